//go:build amd64 && !purego

#include "textflag.h"
#include "vector_consts_amd64.h"

// AVX-512 vector kernels (same algorithms as vector_avx2_amd64.s, 16 lanes).
// Every function processes n elements where n is a multiple of 16.

#include "exp_avx512_amd64.h"

#define LOAD_CLAMPS \
	VMOVUPS K_LO_CLAMP, Z14 \
	VMOVUPS K_HI_CLAMP, Z15

// SILU16 replaces Z0 by silu(Z0) (see SILU8). Clobbers Z1-Z5, K1.
#define SILU16 \
	VMOVAPS Z0, Z4 \
	VPORD K_SIGN_MASK, Z0, Z0 \
	EXP16 \
	VMOVUPS K_ONE, Z5 \
	VPMOVD2M Z4, K1 \
	VMOVAPS Z0, K1, Z5 \
	VADDPS K_ONE, Z0, Z0 \
	VMULPS Z4, Z5, Z5 \
	VDIVPS Z0, Z5, Z0

// HSUM16 leaves in X0 the sum of the 16 lanes of Z0.
#define HSUM16 \
	VEXTRACTF64X4 $1, Z0, Y1 \
	VADDPS Y1, Y0, Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS X1, X0, X0 \
	VMOVHLPS X0, X0, X1 \
	VADDPS X1, X0, X0 \
	VMOVSHDUP X0, X1 \
	VADDSS X1, X0, X0

// func dotAVX512(x, y *float32, n int) float32
TEXT ·dotAVX512(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	CMPQ CX, $64
	JLT dot_one
dot_four:
	VMOVUPS (SI), Z4
	VMOVUPS 64(SI), Z5
	VMOVUPS 128(SI), Z6
	VMOVUPS 192(SI), Z7
	VFMADD231PS (DI), Z4, Z0
	VFMADD231PS 64(DI), Z5, Z1
	VFMADD231PS 128(DI), Z6, Z2
	VFMADD231PS 192(DI), Z7, Z3
	ADDQ $256, SI
	ADDQ $256, DI
	SUBQ $64, CX
	CMPQ CX, $64
	JGE dot_four
dot_one:
	TESTQ CX, CX
	JEQ dot_done
	VMOVUPS (SI), Z4
	VFMADD231PS (DI), Z4, Z0
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP dot_one
dot_done:
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z2, Z0, Z0
	HSUM16
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func sumAVX512(x *float32, n int) float32
TEXT ·sumAVX512(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	CMPQ CX, $64
	JLT sum_one
sum_four:
	VADDPS (SI), Z0, Z0
	VADDPS 64(SI), Z1, Z1
	VADDPS 128(SI), Z2, Z2
	VADDPS 192(SI), Z3, Z3
	ADDQ $256, SI
	SUBQ $64, CX
	CMPQ CX, $64
	JGE sum_four
sum_one:
	TESTQ CX, CX
	JEQ sum_done
	VADDPS (SI), Z0, Z0
	ADDQ $64, SI
	SUBQ $16, CX
	JMP sum_one
sum_done:
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z2, Z0, Z0
	HSUM16
	VMOVSS X0, ret+16(FP)
	VZEROUPPER
	RET

// func maxAVX512(x *float32, n int) float32
TEXT ·maxAVX512(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVL $0xff800000, AX
	VPBROADCASTD AX, Z0
	KXORW K2, K2, K2
max_loop:
	TESTQ CX, CX
	JEQ max_done
	VMOVUPS (SI), Z2
	VMAXPS Z2, Z0, Z0
	VCMPPS $3, Z2, Z2, K1
	KORW K1, K2, K2
	ADDQ $64, SI
	SUBQ $16, CX
	JMP max_loop
max_done:
	KMOVW K2, AX
	TESTL AX, AX
	JNE max_nan
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPS Y1, Y0, Y0
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

// func axpyAVX512(alpha float32, x, y *float32, n int)
TEXT ·axpyAVX512(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Z0
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	CMPQ CX, $64
	JLT axpy_one
axpy_four:
	VMOVUPS (DI), Z1
	VMOVUPS 64(DI), Z2
	VMOVUPS 128(DI), Z3
	VMOVUPS 192(DI), Z4
	VFMADD231PS (SI), Z0, Z1
	VFMADD231PS 64(SI), Z0, Z2
	VFMADD231PS 128(SI), Z0, Z3
	VFMADD231PS 192(SI), Z0, Z4
	VMOVUPS Z1, (DI)
	VMOVUPS Z2, 64(DI)
	VMOVUPS Z3, 128(DI)
	VMOVUPS Z4, 192(DI)
	ADDQ $256, SI
	ADDQ $256, DI
	SUBQ $64, CX
	CMPQ CX, $64
	JGE axpy_four
axpy_one:
	TESTQ CX, CX
	JEQ axpy_done
	VMOVUPS (DI), Z1
	VFMADD231PS (SI), Z0, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP axpy_one
axpy_done:
	VZEROUPPER
	RET

// func scaleAVX512(alpha float32, x *float32, n int)
TEXT ·scaleAVX512(SB), NOSPLIT, $0-24
	VBROADCASTSS alpha+0(FP), Z0
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
scale_loop:
	TESTQ CX, CX
	JEQ scale_done
	VMULPS (SI), Z0, Z1
	VMOVUPS Z1, (SI)
	ADDQ $64, SI
	SUBQ $16, CX
	JMP scale_loop
scale_done:
	VZEROUPPER
	RET

// func addConstAVX512(c float32, dst, src *float32, n int)
TEXT ·addConstAVX512(SB), NOSPLIT, $0-32
	VBROADCASTSS c+0(FP), Z0
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	MOVQ n+24(FP), CX
addc_loop:
	TESTQ CX, CX
	JEQ addc_done
	VADDPS (SI), Z0, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP addc_loop
addc_done:
	VZEROUPPER
	RET

// func addAVX512(dst, a, b *float32, n int)
TEXT ·addAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
add_loop:
	TESTQ CX, CX
	JEQ add_done
	VMOVUPS (SI), Z0
	VADDPS (DX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP add_loop
add_done:
	VZEROUPPER
	RET

// func mulAVX512(dst, a, b *float32, n int)
TEXT ·mulAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
mul_loop:
	TESTQ CX, CX
	JEQ mul_done
	VMOVUPS (SI), Z0
	VMULPS (DX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP mul_loop
mul_done:
	VZEROUPPER
	RET

// func scaleMulAVX512(r float32, dst, x, w *float32, n int)  dst = w*(x*r)
TEXT ·scaleMulAVX512(SB), NOSPLIT, $0-40
	VBROADCASTSS r+0(FP), Z7
	MOVQ dst+8(FP), DI
	MOVQ x+16(FP), SI
	MOVQ w+24(FP), DX
	MOVQ n+32(FP), CX
smul_loop:
	TESTQ CX, CX
	JEQ smul_done
	VMULPS (SI), Z7, Z0
	VMULPS (DX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP smul_loop
smul_done:
	VZEROUPPER
	RET

// func expAVX512(dst, src *float32, n int)
TEXT ·expAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	LOAD_CLAMPS
exp_loop:
	TESTQ CX, CX
	JEQ exp_done
	VMOVUPS (SI), Z0
	EXP16
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP exp_loop
exp_done:
	VZEROUPPER
	RET

// func expSubSumAVX512(m float32, dst, src *float32, n int) float32
TEXT ·expSubSumAVX512(SB), NOSPLIT, $0-36
	VBROADCASTSS m+0(FP), Z13
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	MOVQ n+24(FP), CX
	LOAD_CLAMPS
	VXORPS Z8, Z8, Z8
	VXORPS Z9, Z9, Z9
ess_loop:
	CMPQ CX, $32
	JLT ess_one
	VMOVUPS (SI), Z0
	VSUBPS Z13, Z0, Z0
	EXP16
	VMOVUPS Z0, (DI)
	VADDPS Z0, Z8, Z8
	VMOVUPS 64(SI), Z0
	VSUBPS Z13, Z0, Z0
	EXP16
	VMOVUPS Z0, 64(DI)
	VADDPS Z0, Z9, Z9
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP ess_loop
ess_one:
	TESTQ CX, CX
	JEQ ess_done
	VMOVUPS (SI), Z0
	VSUBPS Z13, Z0, Z0
	EXP16
	VMOVUPS Z0, (DI)
	VADDPS Z0, Z8, Z8
ess_done:
	VADDPS Z9, Z8, Z0
	HSUM16
	VMOVSS X0, ret+32(FP)
	VZEROUPPER
	RET

// func siluAVX512(dst, x *float32, n int)
TEXT ·siluAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	LOAD_CLAMPS
silu_loop:
	TESTQ CX, CX
	JEQ silu_done
	VMOVUPS (SI), Z0
	SILU16
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP silu_loop
silu_done:
	VZEROUPPER
	RET

// func swigluAVX512(dst, gate, up *float32, n int)
TEXT ·swigluAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ gate+8(FP), SI
	MOVQ up+16(FP), DX
	MOVQ n+24(FP), CX
	LOAD_CLAMPS
swiglu_loop:
	TESTQ CX, CX
	JEQ swiglu_done
	VMOVUPS (SI), Z0
	SILU16
	VMULPS (DX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP swiglu_loop
swiglu_done:
	VZEROUPPER
	RET

// func ropeAVX512(a, b, cos, sin *float32, n int, neg uint32)
TEXT ·ropeAVX512(SB), NOSPLIT, $0-44
	MOVQ a+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ cos+16(FP), DX
	MOVQ sin+24(FP), BX
	MOVQ n+32(FP), CX
	VBROADCASTSS neg+40(FP), Z7
rope_loop:
	TESTQ CX, CX
	JEQ rope_done
	VMOVUPS (DI), Z0
	VMOVUPS (SI), Z1
	VMOVUPS (DX), Z2
	VPXORD (BX), Z7, Z3
	VMULPS Z2, Z0, Z4
	VMULPS Z3, Z1, Z5
	VSUBPS Z5, Z4, Z4
	VMULPS Z2, Z1, Z5
	VMULPS Z3, Z0, Z6
	VADDPS Z6, Z5, Z5
	VMOVUPS Z4, (DI)
	VMOVUPS Z5, (SI)
	ADDQ $64, DI
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, BX
	SUBQ $16, CX
	JMP rope_loop
rope_done:
	VZEROUPPER
	RET

// func bf16ToF32AVX512(dst *float32, src *uint16, n int)
TEXT ·bf16ToF32AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
b2f_loop:
	TESTQ CX, CX
	JEQ b2f_done
	VPMOVZXWD (SI), Z0
	VPSLLD $16, Z0, Z0
	VMOVDQU32 Z0, (DI)
	ADDQ $32, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP b2f_loop
b2f_done:
	VZEROUPPER
	RET

// func f32ToBF16AVX512(dst *uint16, src *float32, n int)
TEXT ·f32ToBF16AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
f2b_loop:
	TESTQ CX, CX
	JEQ f2b_done
	VMOVDQU32 (SI), Z0
	VPSRLD $16, Z0, Z1
	VPANDD K_INT_1, Z1, Z2
	VPADDD K_INT_7FFF, Z2, Z2
	VPADDD Z0, Z2, Z2
	VPSRLD $16, Z2, Z2
	VPORD K_INT_40, Z1, Z1
	VPANDD K_ABS_MASK, Z0, Z3
	VPCMPGTD K_INT_7F800000, Z3, K1
	VMOVDQU32 Z1, K1, Z2
	VPMOVDW Z2, (DI)
	ADDQ $64, SI
	ADDQ $32, DI
	SUBQ $16, CX
	JMP f2b_loop
f2b_done:
	VZEROUPPER
	RET

// func f16ToF32AVX512(dst *float32, src *uint16, n int)
TEXT ·f16ToF32AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
h2f_loop:
	TESTQ CX, CX
	JEQ h2f_done
	VCVTPH2PS (SI), Z0
	VMOVUPS Z0, (DI)
	ADDQ $32, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP h2f_loop
h2f_done:
	VZEROUPPER
	RET

// func f32ToF16AVX512(dst *uint16, src *float32, n int)
TEXT ·f32ToF16AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
f2h_loop:
	TESTQ CX, CX
	JEQ f2h_done
	VMOVUPS (SI), Z0
	VCVTPS2PH $0, Z0, (DI)
	ADDQ $64, SI
	ADDQ $32, DI
	SUBQ $16, CX
	JMP f2h_loop
f2h_done:
	VZEROUPPER
	RET
