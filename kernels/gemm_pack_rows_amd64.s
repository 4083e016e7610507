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
