//go:build amd64 && !purego

#include "textflag.h"

// AdamW update (see AdamWUpdate): per element, in this order and each
// rounded separately,
//   m = b1*m + c1*g;  v = b2*v + (c2*g)*g
//   w = w*decay - (step*m) / (sqrt(v)*invBc2 + eps)
// The constant block holds b1, c1, b2, c2, decay, step, invBc2, eps.

// func adamwAVX512(wp, gp, mp, vp *float32, n int, c *adamwConsts)
TEXT ·adamwAVX512(SB), NOSPLIT, $0-48
	MOVQ wp+0(FP), DI
	MOVQ gp+8(FP), SI
	MOVQ mp+16(FP), R8
	MOVQ vp+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ c+40(FP), AX
	VBROADCASTSS 0(AX), Z16
	VBROADCASTSS 4(AX), Z17
	VBROADCASTSS 8(AX), Z18
	VBROADCASTSS 12(AX), Z19
	VBROADCASTSS 16(AX), Z20
	VBROADCASTSS 20(AX), Z21
	VBROADCASTSS 24(AX), Z22
	VBROADCASTSS 28(AX), Z23
	SHRQ $4, CX
	JZ   done512

loop512:
	VMOVUPS (SI), Z0
	VMULPS  (R8), Z16, Z1
	VMULPS  Z0, Z17, Z3
	VADDPS  Z3, Z1, Z1
	VMULPS  (R9), Z18, Z2
	VMULPS  Z0, Z19, Z4
	VMULPS  Z0, Z4, Z4
	VADDPS  Z4, Z2, Z2
	VMOVUPS Z1, (R8)
	VMOVUPS Z2, (R9)
	VSQRTPS Z2, Z5
	VMULPS  Z22, Z5, Z5
	VADDPS  Z23, Z5, Z5
	VMULPS  Z1, Z21, Z6
	VDIVPS  Z5, Z6, Z6
	VMULPS  (DI), Z20, Z7
	VSUBPS  Z6, Z7, Z7
	VMOVUPS Z7, (DI)
	ADDQ    $64, DI
	ADDQ    $64, SI
	ADDQ    $64, R8
	ADDQ    $64, R9
	DECQ    CX
	JNZ     loop512

done512:
	VZEROUPPER
	RET

// func adamwAVX2(wp, gp, mp, vp *float32, n int, c *adamwConsts)
TEXT ·adamwAVX2(SB), NOSPLIT, $0-48
	MOVQ wp+0(FP), DI
	MOVQ gp+8(FP), SI
	MOVQ mp+16(FP), R8
	MOVQ vp+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ c+40(FP), AX
	VBROADCASTSS 0(AX), Y8
	VBROADCASTSS 4(AX), Y9
	VBROADCASTSS 8(AX), Y10
	VBROADCASTSS 12(AX), Y11
	VBROADCASTSS 16(AX), Y12
	VBROADCASTSS 20(AX), Y13
	VBROADCASTSS 24(AX), Y14
	VBROADCASTSS 28(AX), Y15
	SHRQ $3, CX
	JZ   done2

loop2:
	VMOVUPS (SI), Y0
	VMULPS  (R8), Y8, Y1
	VMULPS  Y0, Y9, Y3
	VADDPS  Y3, Y1, Y1
	VMULPS  (R9), Y10, Y2
	VMULPS  Y0, Y11, Y4
	VMULPS  Y0, Y4, Y4
	VADDPS  Y4, Y2, Y2
	VMOVUPS Y1, (R8)
	VMOVUPS Y2, (R9)
	VSQRTPS Y2, Y5
	VMULPS  Y14, Y5, Y5
	VADDPS  Y15, Y5, Y5
	VMULPS  Y1, Y13, Y6
	VDIVPS  Y5, Y6, Y6
	VMULPS  (DI), Y12, Y7
	VSUBPS  Y6, Y7, Y7
	VMOVUPS Y7, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, R8
	ADDQ    $32, R9
	DECQ    CX
	JNZ     loop2

done2:
	VZEROUPPER
	RET
