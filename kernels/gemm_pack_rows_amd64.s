//go:build amd64 && !purego

#include "textflag.h"

// func copyRunsAVX2(dst, src *float32, w, ld, kl int)
// dst[p*w+j] = src[p*ld+j] for j < w (a multiple of 8), p < kl.
TEXT ·copyRunsAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ w+16(FP), AX
	MOVQ ld+24(FP), BX
	MOVQ kl+32(FP), CX
	SHLQ $2, BX
	MOVQ AX, DX
	SHLQ $2, DX
	TESTQ CX, CX
	JZ   done
	CMPQ AX, $48
	JEQ  w48
	CMPQ AX, $8
	JEQ  w8
	CMPQ AX, $16
	JEQ  w16

anyw:
	XORQ R9, R9

anycol:
	VMOVUPS (SI)(R9*1), Y0
	VMOVUPS Y0, (DI)(R9*1)
	ADDQ $32, R9
	CMPQ R9, DX
	JLT  anycol
	ADDQ BX, SI
	ADDQ DX, DI
	DECQ CX
	JNZ  anyw
	JMP  done

w8:
	VMOVUPS (SI), Y0
	VMOVUPS Y0, (DI)
	ADDQ BX, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  w8
	JMP  done

w16:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ BX, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  w16
	JMP  done

w48:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMOVUPS 128(SI), Y4
	VMOVUPS 160(SI), Y5
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	ADDQ BX, SI
	ADDQ $192, DI
	DECQ CX
	JNZ  w48

done:
	VZEROUPPER
	RET

// func copyRunsPanels8AVX2(dst, src *float32, ld, kl, np, pstride int)
// dst[g*pstride+p*8+j] = src[p*ld+g*8+j] for j < 8, g < np, p < kl:
// row by row, the row's np runs to np panels pstride floats apart.
TEXT ·copyRunsPanels8AVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), BX
	MOVQ kl+24(FP), CX
	MOVQ np+32(FP), DX
	MOVQ pstride+40(FP), R8
	SHLQ $2, BX
	SHLQ $2, R8
	TESTQ CX, CX
	JZ   pdone
	TESTQ DX, DX
	JZ   pdone

prow:
	MOVQ SI, R10
	MOVQ DI, R11
	MOVQ DX, R9
	CMPQ R9, $2
	JLT  plast

ppair:
	VMOVUPS (R10), Y0
	VMOVUPS 32(R10), Y1
	VMOVUPS Y0, (R11)
	VMOVUPS Y1, (R11)(R8*1)
	ADDQ $64, R10
	LEAQ (R11)(R8*2), R11
	SUBQ $2, R9
	CMPQ R9, $2
	JGE  ppair
	TESTQ R9, R9
	JZ   pnext

plast:
	VMOVUPS (R10), Y0
	VMOVUPS Y0, (R11)

pnext:
	ADDQ BX, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  prow

pdone:
	VZEROUPPER
	RET
