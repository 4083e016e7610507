//go:build amd64 && !purego

#include "textflag.h"
#include "vector_consts_amd64.h"

#include "exp_avx512_amd64.h"

// SwiGLU backward, AVX-512 (see SwiGLUBackward). The exponential is EXP16 of the
// vector kernels (exp_avx512_amd64.h); the sigmoid is computed stably as
// (gate < 0 ? e : 1) / (1 + e) with e = exp(-|gate|), as SILU16 does.

// func swigluBwdAVX512(dgate, dup, dy, gate, up *float32, n int)
TEXT ·swigluBwdAVX512(SB), NOSPLIT, $0-48
	MOVQ dgate+0(FP), DI
	MOVQ dup+8(FP), R8
	MOVQ dy+16(FP), SI
	MOVQ gate+24(FP), DX
	MOVQ up+32(FP), R9
	MOVQ n+40(FP), CX
	VMOVUPS K_LO_CLAMP, Z14
	VMOVUPS K_HI_CLAMP, Z15
	VMOVUPS K_ONE, Z13
	SHRQ $4, CX
	JZ   done

loop:
	VMOVUPS  (DX), Z4
	VPORD    K_SIGN_MASK, Z4, Z0
	EXP16
	VMOVAPS  Z13, Z5
	VPMOVD2M Z4, K1
	VMOVAPS  Z0, K1, Z5
	VADDPS   Z13, Z0, Z0
	VDIVPS   Z0, Z5, Z6
	VMOVUPS  (SI), Z7
	VMULPS   Z4, Z7, Z8
	VMULPS   Z6, Z8, Z8
	VMOVUPS  Z8, (R8)
	VSUBPS   Z6, Z13, Z9
	VMULPS   Z4, Z9, Z9
	VADDPS   Z13, Z9, Z9
	VMULPS   (R9), Z7, Z10
	VMULPS   Z6, Z10, Z10
	VMULPS   Z9, Z10, Z10
	VMOVUPS  Z10, (DI)
	ADDQ     $64, DI
	ADDQ     $64, R8
	ADDQ     $64, SI
	ADDQ     $64, DX
	ADDQ     $64, R9
	DECQ     CX
	JNZ      loop

done:
	VZEROUPPER
	RET
