package main

import "thumbflow/local/cloud"

// functionName is the local cloud's name for the template's function
// logicalID, from the stack the cloud was built from, or "" when the
// template has no such function.
func functionName(c *cloud.Cloud, logicalID string) string {
	if f := c.Stack.Function(logicalID); f != nil {
		return f.Name
	}
	return ""
}
