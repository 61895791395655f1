package awsjson

import (
	"encoding/json"
	"maps"
	"slices"
)

// MarshalValues encodes m's values as an indented JSON array in the order
// of their keys: the form local services keep their state in on disk
// (topics, secrets, each keyed by ARN).
func MarshalValues[V any](m map[string]V) ([]byte, error) {
	list := make([]V, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		list = append(list, m[k])
	}
	return json.MarshalIndent(list, "", "  ")
}
