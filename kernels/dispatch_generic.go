package kernels

// genericKernels is the portable path, on every architecture: the blocked
// Go GEMM with the Go GEMV kernels, and the Go twins of the vector,
// conversion and attention kernels (the references the assembly paths are
// tested against).
var genericKernels = kernelTable{
	path: PathGeneric,
	vectorKernels: vectorKernels{
		dot: dotGeneric, axpy: axpyGeneric, scale: scaleGeneric, add: addGeneric, mul: mulGeneric,
		sum: sumGeneric, max: maxGeneric, exp: expGeneric,
		softmax: softmaxGeneric, logSoftmax: logSoftmaxGeneric, rmsNorm: rmsNormGeneric,
		silu: siluGeneric, swiglu: swigluGeneric, rope: ropeGeneric, ropeInverse: ropeInverseGeneric,
		bf16ToF32: bf16ToF32Generic, f32ToBF16: f32ToBF16Generic, f16ToF32: f16ToF32Generic, f32ToF16: f32ToF16Generic,
		attention: attentionGeneric, attentionBackward: attentionBackwardGeneric,
		attnTile: tileMulAddGeneric, attnTileT: tileMulAddTGeneric,
		expSubSum: expSubSumGeneric, attnRowScores: rowScoresGeneric,
	},
	gemm:           gemmPath{f32: &genericArch, gemv: &gemvGeneric},
	adamw:          adamwGeneric,
	swigluBackward: swigluBackwardGo,
	quant:          quantGo,
}
