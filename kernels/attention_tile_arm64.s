//go:build arm64 && !purego

#include "textflag.h"

// NEON attention tile kernels (generated): C[rows x cols] += A[rows x k] *
// B[k x cols]; see attention_tile_amd64.s.

// func tile4x16NEON(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)
TEXT ·tile4x16NEON(SB), NOSPLIT, $0-56
	MOVD c+0(FP), R0
	MOVD ldc+8(FP), R1
	LSL $2, R1
	MOVD a+16(FP), R2
	MOVD lda+24(FP), R3
	LSL $2, R3
	MOVD b+32(FP), R4
	MOVD ldb+40(FP), R5
	LSL $2, R5
	MOVD k+48(FP), R6
	MOVD R0, R10
	ADD R1, R10, R11
	ADD R1, R11, R12
	ADD R1, R12, R13
	MOVD R2, R19
	ADD R3, R19, R20
	ADD R3, R20, R21
	ADD R3, R21, R22
	VLD1 (R10), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1 (R11), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1 (R12), [V8.S4, V9.S4, V10.S4, V11.S4]
	VLD1 (R13), [V12.S4, V13.S4, V14.S4, V15.S4]
tile4x16NEON_loop:
	CBZ R6, tile4x16NEON_done
	VLD1 (R4), [V16.S4, V17.S4, V18.S4, V19.S4]
	ADD R5, R4, R4
	VLD1R.P 4(R19), [V20.S4]
	VFMLA V16.S4, V20.S4, V0.S4
	VFMLA V17.S4, V20.S4, V1.S4
	VFMLA V18.S4, V20.S4, V2.S4
	VFMLA V19.S4, V20.S4, V3.S4
	VLD1R.P 4(R20), [V21.S4]
	VFMLA V16.S4, V21.S4, V4.S4
	VFMLA V17.S4, V21.S4, V5.S4
	VFMLA V18.S4, V21.S4, V6.S4
	VFMLA V19.S4, V21.S4, V7.S4
	VLD1R.P 4(R21), [V22.S4]
	VFMLA V16.S4, V22.S4, V8.S4
	VFMLA V17.S4, V22.S4, V9.S4
	VFMLA V18.S4, V22.S4, V10.S4
	VFMLA V19.S4, V22.S4, V11.S4
	VLD1R.P 4(R22), [V23.S4]
	VFMLA V16.S4, V23.S4, V12.S4
	VFMLA V17.S4, V23.S4, V13.S4
	VFMLA V18.S4, V23.S4, V14.S4
	VFMLA V19.S4, V23.S4, V15.S4
	SUB $1, R6
	B tile4x16NEON_loop
tile4x16NEON_done:
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R10)
	VST1 [V4.S4, V5.S4, V6.S4, V7.S4], (R11)
	VST1 [V8.S4, V9.S4, V10.S4, V11.S4], (R12)
	VST1 [V12.S4, V13.S4, V14.S4, V15.S4], (R13)
	RET

// func tile1x16NEON(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)
TEXT ·tile1x16NEON(SB), NOSPLIT, $0-56
	MOVD c+0(FP), R0
	MOVD ldc+8(FP), R1
	LSL $2, R1
	MOVD a+16(FP), R2
	MOVD lda+24(FP), R3
	LSL $2, R3
	MOVD b+32(FP), R4
	MOVD ldb+40(FP), R5
	LSL $2, R5
	MOVD k+48(FP), R6
	MOVD R0, R10
	MOVD R2, R19
	VLD1 (R10), [V0.S4, V1.S4, V2.S4, V3.S4]
tile1x16NEON_loop:
	CBZ R6, tile1x16NEON_done
	VLD1 (R4), [V16.S4, V17.S4, V18.S4, V19.S4]
	ADD R5, R4, R4
	VLD1R.P 4(R19), [V20.S4]
	VFMLA V16.S4, V20.S4, V0.S4
	VFMLA V17.S4, V20.S4, V1.S4
	VFMLA V18.S4, V20.S4, V2.S4
	VFMLA V19.S4, V20.S4, V3.S4
	SUB $1, R6
	B tile1x16NEON_loop
tile1x16NEON_done:
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R10)
	RET

// func tile4x4NEON(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)
TEXT ·tile4x4NEON(SB), NOSPLIT, $0-56
	MOVD c+0(FP), R0
	MOVD ldc+8(FP), R1
	LSL $2, R1
	MOVD a+16(FP), R2
	MOVD lda+24(FP), R3
	LSL $2, R3
	MOVD b+32(FP), R4
	MOVD ldb+40(FP), R5
	LSL $2, R5
	MOVD k+48(FP), R6
	MOVD R0, R10
	ADD R1, R10, R11
	ADD R1, R11, R12
	ADD R1, R12, R13
	MOVD R2, R19
	ADD R3, R19, R20
	ADD R3, R20, R21
	ADD R3, R21, R22
	VLD1 (R10), [V0.S4]
	VLD1 (R11), [V1.S4]
	VLD1 (R12), [V2.S4]
	VLD1 (R13), [V3.S4]
tile4x4NEON_loop:
	CBZ R6, tile4x4NEON_done
	VLD1 (R4), [V16.S4]
	ADD R5, R4, R4
	VLD1R.P 4(R19), [V20.S4]
	VFMLA V16.S4, V20.S4, V0.S4
	VLD1R.P 4(R20), [V21.S4]
	VFMLA V16.S4, V21.S4, V1.S4
	VLD1R.P 4(R21), [V22.S4]
	VFMLA V16.S4, V22.S4, V2.S4
	VLD1R.P 4(R22), [V23.S4]
	VFMLA V16.S4, V23.S4, V3.S4
	SUB $1, R6
	B tile4x4NEON_loop
tile4x4NEON_done:
	VST1 [V0.S4], (R10)
	VST1 [V1.S4], (R11)
	VST1 [V2.S4], (R12)
	VST1 [V3.S4], (R13)
	RET

// func tile1x4NEON(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)
TEXT ·tile1x4NEON(SB), NOSPLIT, $0-56
	MOVD c+0(FP), R0
	MOVD ldc+8(FP), R1
	LSL $2, R1
	MOVD a+16(FP), R2
	MOVD lda+24(FP), R3
	LSL $2, R3
	MOVD b+32(FP), R4
	MOVD ldb+40(FP), R5
	LSL $2, R5
	MOVD k+48(FP), R6
	MOVD R0, R10
	MOVD R2, R19
	VLD1 (R10), [V0.S4]
tile1x4NEON_loop:
	CBZ R6, tile1x4NEON_done
	VLD1 (R4), [V16.S4]
	ADD R5, R4, R4
	VLD1R.P 4(R19), [V20.S4]
	VFMLA V16.S4, V20.S4, V0.S4
	SUB $1, R6
	B tile1x4NEON_loop
tile1x4NEON_done:
	VST1 [V0.S4], (R10)
	RET

// func scoresNEON(q, k *float32, kstride, nk, d int, out *float32)
// Decode-time scores (see attention_scores_amd64.s).
TEXT ·scoresNEON(SB), NOSPLIT, $0-48
	MOVD q+0(FP), R0
	MOVD k+8(FP), R1
	MOVD kstride+16(FP), R2
	LSL $2, R2
	MOVD nk+24(FP), R3
	MOVD d+32(FP), R4
	MOVD out+40(FP), R5
scores_four:
	CMP $4, R3
	BLT scores_one
	MOVD R0, R6
	MOVD R1, R7
	ADD R2, R7, R8
	ADD R2, R8, R9
	ADD R2, R9, R10
	MOVD R4, R11
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
scores_in4:
	VLD1.P 16(R6), [V4.S4]
	VLD1.P 16(R7), [V5.S4]
	VLD1.P 16(R8), [V6.S4]
	VLD1.P 16(R9), [V7.S4]
	VLD1.P 16(R10), [V8.S4]
	VFMLA V4.S4, V5.S4, V0.S4
	VFMLA V4.S4, V6.S4, V1.S4
	VFMLA V4.S4, V7.S4, V2.S4
	VFMLA V4.S4, V8.S4, V3.S4
	SUB $4, R11
	CBNZ R11, scores_in4
	WORD $0x6e21d400 // FADDP V0, V0, V1
	WORD $0x6e23d442 // FADDP V2, V2, V3
	WORD $0x6e22d400 // FADDP V0, V0, V2
	VST1.P [V0.S4], 16(R5)
	ADD R2<<2, R1, R1
	SUB $4, R3
	B scores_four
scores_one:
	CBZ R3, scores_done
	MOVD R0, R6
	MOVD R1, R7
	MOVD R4, R11
	VEOR V0.B16, V0.B16, V0.B16
scores_in1:
	VLD1.P 16(R6), [V4.S4]
	VLD1.P 16(R7), [V5.S4]
	VFMLA V4.S4, V5.S4, V0.S4
	SUB $4, R11
	CBNZ R11, scores_in1
	WORD $0x6e20d400 // FADDP V0, V0, V0
	WORD $0x6e20d400 // FADDP V0, V0, V0
	FMOVS F0, (R5)
	ADD $4, R5
	ADD R2, R1, R1
	SUB $1, R3
	B scores_one
scores_done:
	RET
