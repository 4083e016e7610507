// Package tensor owns popi-go's n-dimensional array type: a dtype (F32, BF16
// or F16), a shape, strides and an offset into storage that views share.
//
// Views (Reshape of a contiguous tensor, Transpose, Permute, Narrow/Slice)
// never copy; Contiguous, Clone and To copy. MatMul and BatchedMatMul call
// kernels.Sgemm / kernels.SgemmHalf directly on strided operands when each
// matrix is a plain row-major or transposed 2-D layout, and copy only
// otherwise. Random initialisation is seeded and deterministic.
//
// Shape mismatches are programmer errors: they panic with a message naming
// both shapes.
package tensor
