package sfn

import "thumbflow/local/asl"

// The engine runs definitions with the local ASL interpreter.
func init() {
	parseDefinition = func(definition []byte) (program, error) {
		m, err := asl.Parse(definition)
		if err != nil {
			return nil, err
		}
		return m, nil
	}
}
