//go:build amd64 && !purego

#include "textflag.h"

// Score kernels for attention rows that are too few to amortize a
// transposed key block (decoding): out[j] = q · k_j for nk keys at
// stride kstride, d a positive multiple of the vector width. Four keys
// share each load of q; their four sums are reduced together.

// func scoresAVX512(q, k *float32, kstride, nk, d int, out *float32)
TEXT ·scoresAVX512(SB), NOSPLIT, $0-48
	MOVQ q+0(FP), SI
	MOVQ k+8(FP), DX
	MOVQ kstride+16(FP), R8
	SHLQ $2, R8
	MOVQ nk+24(FP), CX
	MOVQ d+32(FP), BX
	SHLQ $2, BX
	MOVQ out+40(FP), DI
scoresAVX512_four:
	CMPQ CX, $4
	JLT scoresAVX512_one
	LEAQ (DX)(R8*1), R11
	LEAQ (DX)(R8*2), R10
	LEAQ (R10)(R8*1), R12
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	XORQ AX, AX
scoresAVX512_in4:
	VMOVUPS (SI)(AX*1), Z4
	VFMADD231PS (DX)(AX*1), Z4, Z0
	VFMADD231PS (R11)(AX*1), Z4, Z1
	VFMADD231PS (R10)(AX*1), Z4, Z2
	VFMADD231PS (R12)(AX*1), Z4, Z3
	ADDQ $64, AX
	CMPQ AX, BX
	JLT scoresAVX512_in4
	VEXTRACTF64X4 $1, Z0, Y4
	VADDPS Y4, Y0, Y0
	VEXTRACTF64X4 $1, Z1, Y5
	VADDPS Y5, Y1, Y1
	VEXTRACTF64X4 $1, Z2, Y6
	VADDPS Y6, Y2, Y2
	VEXTRACTF64X4 $1, Z3, Y7
	VADDPS Y7, Y3, Y3
	VHADDPS Y1, Y0, Y0
	VHADDPS Y3, Y2, Y2
	VHADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVUPS X0, (DI)
	ADDQ $16, DI
	LEAQ (DX)(R8*4), DX
	SUBQ $4, CX
	JMP scoresAVX512_four
scoresAVX512_one:
	TESTQ CX, CX
	JEQ scoresAVX512_done
	VXORPS Z0, Z0, Z0
	XORQ AX, AX
scoresAVX512_in1:
	VMOVUPS (SI)(AX*1), Z4
	VFMADD231PS (DX)(AX*1), Z4, Z0
	ADDQ $64, AX
	CMPQ AX, BX
	JLT scoresAVX512_in1
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVHLPS X0, X0, X1
	VADDPS X1, X0, X0
	VMOVSHDUP X0, X1
	VADDSS X1, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ R8, DX
	DECQ CX
	JMP scoresAVX512_one
scoresAVX512_done:
	VZEROUPPER
	RET

// func scoresAVX2(q, k *float32, kstride, nk, d int, out *float32)
TEXT ·scoresAVX2(SB), NOSPLIT, $0-48
	MOVQ q+0(FP), SI
	MOVQ k+8(FP), DX
	MOVQ kstride+16(FP), R8
	SHLQ $2, R8
	MOVQ nk+24(FP), CX
	MOVQ d+32(FP), BX
	SHLQ $2, BX
	MOVQ out+40(FP), DI
scoresAVX2_four:
	CMPQ CX, $4
	JLT scoresAVX2_one
	LEAQ (DX)(R8*1), R11
	LEAQ (DX)(R8*2), R10
	LEAQ (R10)(R8*1), R12
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ AX, AX
scoresAVX2_in4:
	VMOVUPS (SI)(AX*1), Y4
	VFMADD231PS (DX)(AX*1), Y4, Y0
	VFMADD231PS (R11)(AX*1), Y4, Y1
	VFMADD231PS (R10)(AX*1), Y4, Y2
	VFMADD231PS (R12)(AX*1), Y4, Y3
	ADDQ $32, AX
	CMPQ AX, BX
	JLT scoresAVX2_in4
	VHADDPS Y1, Y0, Y0
	VHADDPS Y3, Y2, Y2
	VHADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVUPS X0, (DI)
	ADDQ $16, DI
	LEAQ (DX)(R8*4), DX
	SUBQ $4, CX
	JMP scoresAVX2_four
scoresAVX2_one:
	TESTQ CX, CX
	JEQ scoresAVX2_done
	VXORPS Y0, Y0, Y0
	XORQ AX, AX
scoresAVX2_in1:
	VMOVUPS (SI)(AX*1), Y4
	VFMADD231PS (DX)(AX*1), Y4, Y0
	ADDQ $32, AX
	CMPQ AX, BX
	JLT scoresAVX2_in1
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVHLPS X0, X0, X1
	VADDPS X1, X0, X0
	VMOVSHDUP X0, X1
	VADDSS X1, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ R8, DX
	DECQ CX
	JMP scoresAVX2_one
scoresAVX2_done:
	VZEROUPPER
	RET
