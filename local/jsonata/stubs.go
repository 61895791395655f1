package jsonata

func fnFormatNumber(c *callCtx, a []any) (any, error)  { return nil, nil }
func fnFromMillis(c *callCtx, a []any) (any, error)    { return nil, nil }
func fnToMillis(c *callCtx, a []any) (any, error)      { return nil, nil }
func formatMillis(ms int64, pic, tz any) (any, error)  { return nil, nil }
