//go:build amd64 && !purego

#include "textflag.h"
#include "vector_consts_amd64.h"

// AVX2+FMA vector kernels. Every function processes n elements where n is a
// multiple of 8 (the Go wrappers in simd_avx2_amd64.go handle the tails).

// EXP8 replaces Y0 by exp(Y0) (relative error < 2e-7 where the result is
// normal). Needs Y14 = lo clamp and Y15 = hi clamp; clobbers Y1-Y3.
// Cody-Waite: x = n*ln2 + r with |r| <= ln2/2, exp(r) by its degree-7
// Taylor polynomial, then 2^n applied in two exact halves so that results
// down to the subnormal range and overflow to +Inf come out right. NaN
// survives the clamps because VMAXPS/VMINPS return their second source
// (here x) when an operand is NaN.
#define EXP8 \
	VMAXPS Y0, Y14, Y0 \
	VMINPS Y0, Y15, Y0 \
	VMULPS K_LOG2E, Y0, Y1 \
	VCVTPS2DQ Y1, Y2 \
	VCVTDQ2PS Y2, Y1 \
	VFMADD231PS K_NLN2HI, Y1, Y0 \
	VFMADD231PS K_NLN2LO, Y1, Y0 \
	VMOVUPS K_C7, Y3 \
	VFMADD213PS K_C6, Y0, Y3 \
	VFMADD213PS K_C5, Y0, Y3 \
	VFMADD213PS K_C4, Y0, Y3 \
	VFMADD213PS K_C3, Y0, Y3 \
	VFMADD213PS K_C2, Y0, Y3 \
	VMULPS Y0, Y0, Y1 \
	VFMADD213PS Y0, Y1, Y3 \
	VADDPS K_ONE, Y3, Y3 \
	VPSRAD $1, Y2, Y1 \
	VPSUBD Y1, Y2, Y2 \
	VPADDD K_INT_127, Y1, Y1 \
	VPSLLD $23, Y1, Y1 \
	VPADDD K_INT_127, Y2, Y2 \
	VPSLLD $23, Y2, Y2 \
	VMULPS Y1, Y3, Y3 \
	VMULPS Y2, Y3, Y0

#define LOAD_CLAMPS \
	VMOVUPS K_LO_CLAMP, Y14 \
	VMOVUPS K_HI_CLAMP, Y15

// SILU8 replaces Y0 by silu(Y0) = x*sigmoid(x), computed from
// e = exp(-|x|) as x*(x<0 ? e : 1)/(1+e) so that neither branch overflows.
// Clobbers Y1-Y5 (Y4 keeps x).
#define SILU8 \
	VMOVAPS Y0, Y4 \
	VORPS K_SIGN_MASK, Y0, Y0 \
	EXP8 \
	VMOVUPS K_ONE, Y5 \
	VBLENDVPS Y4, Y0, Y5, Y1 \
	VADDPS K_ONE, Y0, Y0 \
	VMULPS Y4, Y1, Y1 \
	VDIVPS Y0, Y1, Y0

// HSUM8 leaves in X0 (lowest lane) the sum of the 8 lanes of Y0.
#define HSUM8 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS X1, X0, X0 \
	VMOVHLPS X0, X0, X1 \
	VADDPS X1, X0, X0 \
	VMOVSHDUP X0, X1 \
	VADDSS X1, X0, X0

// func dotAVX2(x, y *float32, n int) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	CMPQ CX, $32
	JLT dot_one
dot_four:
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE dot_four
dot_one:
	TESTQ CX, CX
	JEQ dot_done
	VMOVUPS (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP dot_one
dot_done:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM8
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func sumAVX2(x *float32, n int) float32
TEXT ·sumAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	CMPQ CX, $32
	JLT sum_one
sum_four:
	VADDPS (SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	ADDQ $128, SI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE sum_four
sum_one:
	TESTQ CX, CX
	JEQ sum_done
	VADDPS (SI), Y0, Y0
	ADDQ $32, SI
	SUBQ $8, CX
	JMP sum_one
sum_done:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM8
	VMOVSS X0, ret+16(FP)
	VZEROUPPER
	RET

// func maxAVX2(x *float32, n int) float32
// NaN anywhere makes the result NaN (tracked apart: VMAXPS drops NaNs).
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVL $0xff800000, AX
	MOVL AX, X0
	VBROADCASTSS X0, Y0
	VMOVAPS Y0, Y1
	VXORPS Y6, Y6, Y6
max_loop:
	TESTQ CX, CX
	JEQ max_done
	VMOVUPS (SI), Y2
	VMAXPS Y2, Y0, Y0
	VCMPPS $3, Y2, Y2, Y3
	VORPS Y3, Y6, Y6
	ADDQ $32, SI
	SUBQ $8, CX
	JMP max_loop
max_done:
	VMOVMSKPS Y6, AX
	TESTL AX, AX
	JNE max_nan
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VMOVHLPS X0, X0, X1
	VMAXPS X1, X0, X0
	VMOVSHDUP X0, X1
	VMAXSS X1, X0, X0
	VMOVSS X0, ret+16(FP)
	VZEROUPPER
	RET
max_nan:
	MOVL $0x7fc00000, AX
	MOVL AX, ret+16(FP)
	VZEROUPPER
	RET

// func axpyAVX2(alpha float32, x, y *float32, n int)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Y0
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	CMPQ CX, $32
	JLT axpy_one
axpy_four:
	VMOVUPS (DI), Y1
	VMOVUPS 32(DI), Y2
	VMOVUPS 64(DI), Y3
	VMOVUPS 96(DI), Y4
	VFMADD231PS (SI), Y0, Y1
	VFMADD231PS 32(SI), Y0, Y2
	VFMADD231PS 64(SI), Y0, Y3
	VFMADD231PS 96(SI), Y0, Y4
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE axpy_four
axpy_one:
	TESTQ CX, CX
	JEQ axpy_done
	VMOVUPS (DI), Y1
	VFMADD231PS (SI), Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP axpy_one
axpy_done:
	VZEROUPPER
	RET

// func scaleAVX2(alpha float32, x *float32, n int)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-24
	VBROADCASTSS alpha+0(FP), Y0
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
scale_loop:
	TESTQ CX, CX
	JEQ scale_done
	VMULPS (SI), Y0, Y1
	VMOVUPS Y1, (SI)
	ADDQ $32, SI
	SUBQ $8, CX
	JMP scale_loop
scale_done:
	VZEROUPPER
	RET

// func addConstAVX2(c float32, dst, src *float32, n int)  dst = src + c
TEXT ·addConstAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS c+0(FP), Y0
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	MOVQ n+24(FP), CX
addc_loop:
	TESTQ CX, CX
	JEQ addc_done
	VADDPS (SI), Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP addc_loop
addc_done:
	VZEROUPPER
	RET

// func addAVX2(dst, a, b *float32, n int)
TEXT ·addAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
add_loop:
	TESTQ CX, CX
	JEQ add_done
	VMOVUPS (SI), Y0
	VADDPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP add_loop
add_done:
	VZEROUPPER
	RET

// func mulAVX2(dst, a, b *float32, n int)
TEXT ·mulAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
mul_loop:
	TESTQ CX, CX
	JEQ mul_done
	VMOVUPS (SI), Y0
	VMULPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP mul_loop
mul_done:
	VZEROUPPER
	RET

// func scaleMulAVX2(r float32, dst, x, w *float32, n int)  dst = w*(x*r)
TEXT ·scaleMulAVX2(SB), NOSPLIT, $0-40
	VBROADCASTSS r+0(FP), Y7
	MOVQ dst+8(FP), DI
	MOVQ x+16(FP), SI
	MOVQ w+24(FP), DX
	MOVQ n+32(FP), CX
smul_loop:
	TESTQ CX, CX
	JEQ smul_done
	VMULPS (SI), Y7, Y0
	VMULPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP smul_loop
smul_done:
	VZEROUPPER
	RET

// func expAVX2(dst, src *float32, n int)
TEXT ·expAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	LOAD_CLAMPS
exp_loop:
	TESTQ CX, CX
	JEQ exp_done
	VMOVUPS (SI), Y0
	EXP8
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP exp_loop
exp_done:
	VZEROUPPER
	RET

// func expSubSumAVX2(m float32, dst, src *float32, n int) float32
// dst = exp(src - m); returns the sum of dst.
TEXT ·expSubSumAVX2(SB), NOSPLIT, $0-36
	VBROADCASTSS m+0(FP), Y13
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	MOVQ n+24(FP), CX
	LOAD_CLAMPS
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
ess_loop:
	CMPQ CX, $16
	JLT ess_one
	VMOVUPS (SI), Y0
	VSUBPS Y13, Y0, Y0
	EXP8
	VMOVUPS Y0, (DI)
	VADDPS Y0, Y8, Y8
	VMOVUPS 32(SI), Y0
	VSUBPS Y13, Y0, Y0
	EXP8
	VMOVUPS Y0, 32(DI)
	VADDPS Y0, Y9, Y9
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP ess_loop
ess_one:
	TESTQ CX, CX
	JEQ ess_done
	VMOVUPS (SI), Y0
	VSUBPS Y13, Y0, Y0
	EXP8
	VMOVUPS Y0, (DI)
	VADDPS Y0, Y8, Y8
ess_done:
	VADDPS Y9, Y8, Y0
	HSUM8
	VMOVSS X0, ret+32(FP)
	VZEROUPPER
	RET

// func siluAVX2(dst, x *float32, n int)
TEXT ·siluAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	LOAD_CLAMPS
silu_loop:
	TESTQ CX, CX
	JEQ silu_done
	VMOVUPS (SI), Y0
	SILU8
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP silu_loop
silu_done:
	VZEROUPPER
	RET

// func swigluAVX2(dst, gate, up *float32, n int)
TEXT ·swigluAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ gate+8(FP), SI
	MOVQ up+16(FP), DX
	MOVQ n+24(FP), CX
	LOAD_CLAMPS
swiglu_loop:
	TESTQ CX, CX
	JEQ swiglu_done
	VMOVUPS (SI), Y0
	SILU8
	VMULPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP swiglu_loop
swiglu_done:
	VZEROUPPER
	RET

// func ropeAVX2(a, b, cos, sin *float32, n int, neg uint32)
// (a, b) -> (a*cos - b*s, b*cos + a*s) with s = sin XOR neg (neg flips the
// sign of sin for the inverse rotation).
TEXT ·ropeAVX2(SB), NOSPLIT, $0-44
	MOVQ a+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ cos+16(FP), DX
	MOVQ sin+24(FP), BX
	MOVQ n+32(FP), CX
	VBROADCASTSS neg+40(FP), Y7
rope_loop:
	TESTQ CX, CX
	JEQ rope_done
	VMOVUPS (DI), Y0
	VMOVUPS (SI), Y1
	VMOVUPS (DX), Y2
	VXORPS (BX), Y7, Y3
	VMULPS Y2, Y0, Y4
	VMULPS Y3, Y1, Y5
	VSUBPS Y5, Y4, Y4
	VMULPS Y2, Y1, Y5
	VMULPS Y3, Y0, Y6
	VADDPS Y6, Y5, Y5
	VMOVUPS Y4, (DI)
	VMOVUPS Y5, (SI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, BX
	SUBQ $8, CX
	JMP rope_loop
rope_done:
	VZEROUPPER
	RET

// func bf16ToF32AVX2(dst *float32, src *uint16, n int)
TEXT ·bf16ToF32AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
b2f_loop:
	TESTQ CX, CX
	JEQ b2f_done
	VPMOVZXWD (SI), Y0
	VPSLLD $16, Y0, Y0
	VMOVDQU Y0, (DI)
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP b2f_loop
b2f_done:
	VZEROUPPER
	RET

// func f32ToBF16AVX2(dst *uint16, src *float32, n int)
// Round to nearest even: (b + 0x7fff + ((b>>16)&1)) >> 16; NaN -> (b>>16)|0x40.
TEXT ·f32ToBF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
f2b_loop:
	TESTQ CX, CX
	JEQ f2b_done
	VMOVDQU (SI), Y0
	VPSRLD $16, Y0, Y1
	VPAND K_INT_1, Y1, Y2
	VPADDD K_INT_7FFF, Y2, Y2
	VPADDD Y0, Y2, Y2
	VPSRLD $16, Y2, Y2
	VPOR K_INT_40, Y1, Y1
	VPAND K_ABS_MASK, Y0, Y3
	VPCMPGTD K_INT_7F800000, Y3, Y3
	VPBLENDVB Y3, Y1, Y2, Y2
	VEXTRACTI128 $1, Y2, X3
	VPACKUSDW X3, X2, X2
	VMOVDQU X2, (DI)
	ADDQ $32, SI
	ADDQ $16, DI
	SUBQ $8, CX
	JMP f2b_loop
f2b_done:
	VZEROUPPER
	RET

// func f16ToF32AVX2(dst *float32, src *uint16, n int)
TEXT ·f16ToF32AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
h2f_loop:
	TESTQ CX, CX
	JEQ h2f_done
	VCVTPH2PS (SI), Y0
	VMOVUPS Y0, (DI)
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP h2f_loop
h2f_done:
	VZEROUPPER
	RET

// func f32ToF16AVX2(dst *uint16, src *float32, n int)
TEXT ·f32ToF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
f2h_loop:
	TESTQ CX, CX
	JEQ f2h_done
	VMOVUPS (SI), Y0
	VCVTPS2PH $0, Y0, X1
	VMOVDQU X1, (DI)
	ADDQ $32, SI
	ADDQ $16, DI
	SUBQ $8, CX
	JMP f2h_loop
f2h_done:
	VZEROUPPER
	RET
