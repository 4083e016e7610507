package kernels

// Half selects the 16-bit float format of weights stored as uint16.
type Half uint8

const (
	BF16 Half = iota // bfloat16: the top 16 bits of an IEEE float32
	F16              // IEEE 754 binary16
)

// Sgemm computes C = alpha*op(A)*op(B) + beta*C where op(A) is m×k and op(B)
// is k×n. With transA, A is stored k×m (row-major, leading dim lda); otherwise
// m×k. With transB, B is stored n×k; otherwise k×n. C is m×n with leading dim
// ldc. beta == 0 overwrites C without reading it (NaNs in C do not leak).
// m == 1 takes the bandwidth-tuned GEMV path.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	kern.gemm.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmHalf is Sgemm with B held in a 16-bit format (kind) and widened to
// f32 on the fly. A and C are f32. This is how LLaMA weights stay 16-bit in
// memory. With allowBF16Dot the kernel may round A to bf16 and use the
// AVX512_BF16 dot-product instruction when the CPU has it and kind == BF16
// (about 2x faster; accuracy that of bf16 activations).
func SgemmHalf(kind Half, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int, allowBF16Dot bool) {
	kern.gemm.sgemmHalf(kind, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, allowBF16Dot)
}

// Dot returns sum x[i]*y[i] over len(x) elements (len(y) >= len(x)).
func Dot(x, y []float32) float32 { return kern.dot(x, y) }

// Axpy computes y[i] += alpha*x[i] for i < len(x).
func Axpy(alpha float32, x, y []float32) { kern.axpy(alpha, x, y) }

// Scale computes x[i] *= alpha.
func Scale(alpha float32, x []float32) { kern.scale(alpha, x) }

// Add computes dst[i] = a[i] + b[i] for i < len(dst).
func Add(dst, a, b []float32) { kern.add(dst, a, b) }

// Mul computes dst[i] = a[i] * b[i] for i < len(dst).
func Mul(dst, a, b []float32) { kern.mul(dst, a, b) }

// Sum returns the sum of x.
func Sum(x []float32) float32 { return kern.sum(x) }

// Max returns the largest element of x (-Inf for an empty slice).
func Max(x []float32) float32 { return kern.max(x) }

// Exp computes dst[i] = exp(src[i]) with relative error <= 2e-7.
func Exp(dst, src []float32) { kern.exp(dst, src) }

// Softmax replaces x by softmax(x), stably (max subtracted first).
func Softmax(x []float32) { kern.softmax(x) }

// LogSoftmax computes dst = log_softmax(src) stably and returns the
// log-sum-exp of src.
func LogSoftmax(dst, src []float32) float32 { return kern.logSoftmax(dst, src) }

// RMSNorm computes dst[i] = w[i] * x[i] / sqrt(mean(x^2) + eps) and returns
// the reciprocal root 1/sqrt(mean(x^2)+eps) (the backward pass needs it).
func RMSNorm(dst, x, w []float32, eps float32) float32 { return kern.rmsNorm(dst, x, w, eps) }

// SiLU computes dst[i] = x[i] * sigmoid(x[i]).
func SiLU(dst, x []float32) { kern.silu(dst, x) }

// SwiGLU computes dst[i] = silu(gate[i]) * up[i].
func SwiGLU(dst, gate, up []float32) { kern.swiglu(dst, gate, up) }

// RoPE rotates, in place, nHeads consecutive heads of headDim elements in x
// for one position, in the Hugging Face rotate_half layout: for i < headDim/2,
// (x[i], x[i+headDim/2]) -> (x[i]*cos[i] - x[i+h]*sin[i], x[i+h]*cos[i] + x[i]*sin[i]).
// cos and sin have headDim/2 entries (the angles of this position).
func RoPE(x []float32, nHeads, headDim int, cos, sin []float32) {
	kern.rope(x, nHeads, headDim, cos, sin)
}

// RoPEInverse applies the inverse rotation (angle -theta); it is the backward
// of RoPE.
func RoPEInverse(x []float32, nHeads, headDim int, cos, sin []float32) {
	kern.ropeInverse(x, nHeads, headDim, cos, sin)
}

// BF16ToF32 widens bfloat16 values.
func BF16ToF32(dst []float32, src []uint16) { kern.bf16ToF32(dst, src) }

// F32ToBF16 rounds to bfloat16, round-to-nearest-even; NaN stays NaN.
func F32ToBF16(dst []uint16, src []float32) { kern.f32ToBF16(dst, src) }

// F16ToF32 widens IEEE binary16 values (subnormals, Inf, NaN exact).
func F16ToF32(dst []float32, src []uint16) { kern.f16ToF32(dst, src) }

// F32ToF16 rounds to IEEE binary16, round-to-nearest-even, overflow to Inf.
func F32ToF16(dst []uint16, src []float32) { kern.f32ToF16(dst, src) }
