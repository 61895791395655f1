package testimage

import "testing"

// TestZigzag pins the walk against the start and end of the order that
// ITU-T T.81 figure A.6 gives.
func TestZigzag(t *testing.T) {
	head := []int{0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5}
	tail := []int{58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63}
	for i, v := range head {
		if unzig[i] != v {
			t.Fatalf("unzig[%d] = %d, want %d", i, unzig[i], v)
		}
	}
	for i, v := range tail {
		if unzig[48+i] != v {
			t.Fatalf("unzig[%d] = %d, want %d", 48+i, unzig[48+i], v)
		}
	}
	seen := map[int]bool{}
	for _, v := range unzig {
		seen[v] = true
	}
	if len(seen) != 64 {
		t.Fatalf("unzig visits %d distinct positions, want 64", len(seen))
	}
}
