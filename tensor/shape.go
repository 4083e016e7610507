package tensor

import "fmt"

// numel is the number of elements of shape s (1 for a scalar shape).
func numel(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// contiguousStrides returns the row-major strides of s.
func contiguousStrides(s []int) []int {
	st := make([]int, len(s))
	acc := 1
	for i := len(s) - 1; i >= 0; i-- {
		st[i] = acc
		acc *= s[i]
	}
	return st
}

// checkShape returns a copy of shape, panicking on a negative dimension.
func checkShape(shape []int) []int {
	s := append([]int(nil), shape...)
	for _, d := range s {
		if d < 0 {
			panic(fmt.Sprintf("tensor: negative dimension in shape %v", s))
		}
	}
	return s
}

// BroadcastShapes returns the NumPy broadcast of shapes a and b, and
// whether they broadcast at all.
func BroadcastShapes(a, b []int) ([]int, bool) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db:
			out[i] = da
		case da == 1:
			out[i] = db
		case db == 1:
			out[i] = da
		default:
			return nil, false
		}
	}
	return out, true
}
