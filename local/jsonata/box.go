package jsonata

import "unsafe"

// floatRange returns start, start+1, ... as n interface values.
//
// Storing a float64 in an interface allocates 8 bytes for it, one
// allocation per value, which for the ranges JSONata allows ([1..1e7])
// dominates the evaluation time. Here the values live in one []float64 and
// each interface points into it. This is sound because an interface's data
// word is an ordinary pointer the collector follows (keeping the slab alive
// while any value is referenced), and values in interfaces are never
// written through.
func floatRange(start float64, n int) []any {
	slab := make([]float64, n)
	items := make([]any, n)
	var f64 any = float64(0)
	typ := (*eface)(unsafe.Pointer(&f64)).typ
	for i := range slab {
		slab[i] = start + float64(i)
		e := (*eface)(unsafe.Pointer(&items[i]))
		e.typ = typ
		e.data = unsafe.Pointer(&slab[i])
	}
	return items
}

// eface is the layout of an empty interface value.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}
