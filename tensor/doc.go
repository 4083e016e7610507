// Package tensor owns popi-go's element types and the dtype-tagged storage
// that nn and llama build on.
//
// DType is the one element-type enum of the module: F32, BF16, F16 (what
// weights and activations are held in) and llama.cpp's block formats Q8_0,
// Q4_0, Q4_K, Q6_K (quantized weights, kept in their GGUF bytes and
// multiplied by kernels.QGemm; DType.Quant maps them to the kernels'
// selector) and Q8_K (the activation format of the K-quant dot products). Each dtype knows its block layout (BlockSize elements
// in BlockBytes bytes; 1 element per block for the float types), so sizes
// of stored data are computed in one place, and DType.Half is the one
// mapping from a 16-bit dtype to the kernels package's Half selector.
// DType.ToF32 and DType.FromF32 convert whole slices between float32 and
// 16-bit storage with the kernels' vector conversions.
//
// Tensor is an n-dimensional strided view of F32 or 16-bit storage: nn's
// Param and Const take one (a BF16/F16 tensor becomes a frozen 16-bit
// weight that the GEMM kernels widen on the fly, which is how llama hands
// its 16-bit weight matrices to nn without copying them), and nn's
// Transpose and Slice accumulate gradients through views. Reshape of a contiguous tensor,
// Transpose and Slice never copy; Contiguous, Clone and To copy. RandN is
// seeded and deterministic.
//
// Shape mismatches are programmer errors: they panic with a message naming
// both shapes.
package tensor
