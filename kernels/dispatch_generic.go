package kernels

// The function variables below are what the exported kernels call. setPath
// points them at the chosen implementation; the generic ones are the base
// every path starts from, and faster paths override what they implement.
var (
	sgemm     = SgemmGeneric
	sgemmHalf = func(kind Half, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int, _ bool) {
		SgemmHalfGeneric(kind, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
	dot               = DotGeneric
	axpy              = AxpyGeneric
	scale             = ScaleGeneric
	add               = AddGeneric
	mul               = MulGeneric
	sum               = SumGeneric
	maxf              = MaxGeneric
	expv              = ExpGeneric
	softmax           = SoftmaxGeneric
	logSoftmax        = LogSoftmaxGeneric
	rmsNorm           = RMSNormGeneric
	silu              = SiLUGeneric
	swiglu            = SwiGLUGeneric
	rope              = RoPEGeneric
	ropeInverse       = RoPEInverseGeneric
	bf16ToF32         = BF16ToF32Generic
	f32ToBF16         = F32ToBF16Generic
	f16ToF32          = F16ToF32Generic
	f32ToF16          = F32ToF16Generic
	attention         = AttentionGeneric
	attentionBackward = AttentionBackwardGeneric
)

// setGeneric resets every kernel variable to its portable version.
func setGeneric() {
	sgemm = SgemmGeneric
	sgemmHalf = func(kind Half, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int, _ bool) {
		SgemmHalfGeneric(kind, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
	dot, axpy, scale, add, mul = DotGeneric, AxpyGeneric, ScaleGeneric, AddGeneric, MulGeneric
	sum, maxf, expv = SumGeneric, MaxGeneric, ExpGeneric
	softmax, logSoftmax, rmsNorm = SoftmaxGeneric, LogSoftmaxGeneric, RMSNormGeneric
	silu, swiglu, rope, ropeInverse = SiLUGeneric, SwiGLUGeneric, RoPEGeneric, RoPEInverseGeneric
	bf16ToF32, f32ToBF16, f16ToF32, f32ToF16 = BF16ToF32Generic, F32ToBF16Generic, F16ToF32Generic, F32ToF16Generic
	attention, attentionBackward = AttentionGeneric, AttentionBackwardGeneric
}
