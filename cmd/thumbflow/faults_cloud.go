package main

import "thumbflow/local/cloud"

// functionName is the local cloud's name for the template's function
// logicalID: the one place -faults and its tests learn how the local
// cloud names functions.
func functionName(c *cloud.Cloud, logicalID string) string {
	return map[string]string{
		"ConvertFunction":   cloud.ConvertFunction,
		"StartFunction":     cloud.StartFunction,
		"StatusFunction":    cloud.StatusFunction,
		"WebSocketFunction": cloud.WebSocketFunction,
	}[logicalID]
}
