package jsonata

func fnFormatNumber(c *callCtx, a []any) (any, error)  { return nil, nil }
func fnToMillis(c *callCtx, a []any) (any, error)      { return nil, nil }
