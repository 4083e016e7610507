package main

import "fmt"

// genQuantARM64 writes quant_arm64.s: the NEON quantized row kernels (one
// weight row at a time) with the integer dot product SDOT (FEAT_DotProd,
// ARMv8.2), which multiplies signed bytes by signed bytes, so the weights
// enter as their signed values (Q4_0 nibbles minus 8, Q6_K minus 32) and
// no correction is needed (Q4_K mins still go through the sums of 32).
// Go's assembler has no SDOT, SCVTF, widening or by-element integer
// forms: those are WORDs with the instruction in a comment.
func genQuantARM64() {
	var o out
	o.w("//go:build arm64 && !purego\n\n#include \"textflag.h\"\n")
	o.w("// NEON quantized row kernels (see quant_dot.go for the activation records and\n// internal/gen/quant_neon.go for the method).\n")
	qNeonRows(&o, "qRowsQ80NEON", 34, 96, qNeonQ8_0)
	qNeonRows(&o, "qRowsQ40NEON", 18, 96, qNeonQ4_0)
	qNeonRows(&o, "qRowsQ4KNEON", 144, 320, qNeonQ4K)
	qNeonRows(&o, "qRowsQ6KNEON", 210, 320, qNeonQ6K)
	o.save("quant_arm64.s")
}

func nw(o *out, v uint32, format string, args ...any) {
	o.w("\tWORD $0x%08x // %s", v, fmt.Sprintf(format, args...))
}

func r3(base uint32, d, n, m int) uint32 { return base | uint32(m)<<16 | uint32(n)<<5 | uint32(d) }
func r2(base uint32, d, n int) uint32    { return base | uint32(n)<<5 | uint32(d) }

func sdot(o *out, d, n, m int) {
	nw(o, r3(0x4E809400, d, n, m), "SDOT V%d.4S, V%d.16B, V%d.16B", d, n, m)
}
func scvtf(o *out, d, n int) { nw(o, r2(0x4E21D800, d, n), "SCVTF V%d.4S, V%d.4S", d, n) }
func and16(o *out, d, n, m int) {
	nw(o, r3(0x4E201C00, d, n, m), "AND V%d.16B, V%d.16B, V%d.16B", d, n, m)
}
func orr16(o *out, d, n, m int) {
	nw(o, r3(0x4EA01C00, d, n, m), "ORR V%d.16B, V%d.16B, V%d.16B", d, n, m)
}
func sub16(o *out, d, n, m int) {
	nw(o, r3(0x6E208400, d, n, m), "SUB V%d.16B, V%d.16B, V%d.16B", d, n, m)
}
func ushr16(o *out, d, n, s int) {
	nw(o, r2(0x6F000400|uint32(16-s)<<16, d, n), "USHR V%d.16B, V%d.16B, #%d", d, n, s)
}
func shl16(o *out, d, n, s int) {
	nw(o, r2(0x4F005400|uint32(8+s)<<16, d, n), "SHL V%d.16B, V%d.16B, #%d", d, n, s)
}
func movi16(o *out, d int, imm uint8) {
	nw(o, 0x4F00E400|uint32(imm>>5)<<16|uint32(imm&31)<<5|uint32(d), "MOVI V%d.16B, #%d", d, imm)
}
func fmul4(o *out, d, n, m int) {
	nw(o, r3(0x6E20DC00, d, n, m), "FMUL V%d.4S, V%d.4S, V%d.4S", d, n, m)
}
func fmla4(o *out, d, n, m int) {
	nw(o, r3(0x4E20CC00, d, n, m), "FMLA V%d.4S, V%d.4S, V%d.4S", d, n, m)
}
func fmls4(o *out, d, n, m int) {
	nw(o, r3(0x4EA0CC00, d, n, m), "FMLS V%d.4S, V%d.4S, V%d.4S", d, n, m)
}

// dupS broadcasts lane i of V(n) (32-bit) into V(d).
func dupS(o *out, d, n, i int) {
	nw(o, r2(0x4E040400|uint32(4+8*i)<<16, d, n), "DUP V%d.4S, V%d.S[%d]", d, n, i)
}

// mlaElem: V(d).4S += V(n).4S * V(m).S[i] (m < 16).
func mlaElem(o *out, d, n, m, i int) {
	v := 0x6F800000 | uint32(i&1)<<21 | uint32(m)<<16 | uint32(i>>1)<<11 | uint32(n)<<5 | uint32(d)
	nw(o, v, "MLA V%d.4S, V%d.4S, V%d.S[%d]", d, n, m, i)
}

// Widening moves (xTL = xSHLL #0; the 2 forms take the upper half).
func uxtl8h(o *out, d, n int)  { nw(o, r2(0x2F08A400, d, n), "UXTL V%d.8H, V%d.8B", d, n) }
func uxtl4s(o *out, d, n int)  { nw(o, r2(0x2F10A400, d, n), "UXTL V%d.4S, V%d.4H", d, n) }
func uxtl24s(o *out, d, n int) { nw(o, r2(0x6F10A400, d, n), "UXTL2 V%d.4S, V%d.8H", d, n) }
func sxtl8h(o *out, d, n int)  { nw(o, r2(0x0F08A400, d, n), "SXTL V%d.8H, V%d.8B", d, n) }
func sxtl28h(o *out, d, n int) { nw(o, r2(0x4F08A400, d, n), "SXTL2 V%d.8H, V%d.16B", d, n) }
func sxtl4s(o *out, d, n int)  { nw(o, r2(0x0F10A400, d, n), "SXTL V%d.4S, V%d.4H", d, n) }
func sxtl24s(o *out, d, n int) { nw(o, r2(0x4F10A400, d, n), "SXTL2 V%d.4S, V%d.8H", d, n) }

// qNeonRows wraps a block body in the row and block loops:
// func(nb int, w *byte, ldw, rows int, act *byte, out *float32); per row
// R6 walks the weight blocks, R7 the activation records, V7 accumulates.
func qNeonRows(o *out, name string, bb, rec int, body func(o *out)) {
	L := name
	o.w("// func %s(nb int, w *byte, ldw, rows int, act *byte, out *float32)", name)
	o.w("TEXT ·%s(SB), NOSPLIT, $0-48", name)
	o.w("\tMOVD nb+0(FP), R0\n\tMOVD w+8(FP), R1\n\tMOVD ldw+16(FP), R2\n\tMOVD rows+24(FP), R3")
	o.w("\tMOVD act+32(FP), R4\n\tMOVD out+40(FP), R5")
	movi16(o, 15, 0x0f)
	movi16(o, 24, 0x30)
	movi16(o, 25, 32)
	movi16(o, 14, 8)
	o.w("%s_row:\n\tMOVD R1, R6\n\tMOVD R4, R7\n\tMOVD R0, R8\n\tVEOR V7.B16, V7.B16, V7.B16", L)
	o.w("%s_blk:", L)
	body(o)
	o.w("\tADD $%d, R6, R6\n\tADD $%d, R7, R7\n\tSUBS $1, R8, R8\n\tBNE %s_blk", bb, rec, L)
	nw(o, r3(0x6E20D400, 7, 7, 7), "FADDP V7.4S, V7.4S, V7.4S")
	nw(o, r2(0x7E30D800, 7, 7), "FADDP S7, V7.2S")
	o.w("\tFMOVS F7, (R5)\n\tADD R2, R1, R1\n\tADD $4, R5, R5\n\tSUBS $1, R3, R3\n\tBNE %s_row\n\tRET\n", L)
}

// qNeonScale32 sets V5 = d_w*d_y in every lane for a block-32 format (d_w
// the f16 at (R6), d_y the lanes at 64(R7)) and does V7 += float(V4)*V5.
func qNeonScale32(o *out) {
	o.w("\tMOVHU (R6), R9\n\tVMOV R9, V5.H[0]")
	nw(o, fcvtlW(5, 5), "FCVTL V5.4S, V5.4H")
	dupS(o, 5, 5, 0)
	o.w("\tADD $64, R7, R10\n\tVLD1 (R10), [V6.S4]")
	fmul4(o, 5, 5, 6)
	scvtf(o, 4, 4)
	fmla4(o, 7, 4, 5)
}

func fcvtlW(d, n int) uint32 { return r2(0x0E217800, d, n) }

func qNeonQ8_0(o *out) {
	o.w("\tADD $2, R6, R10\n\tVLD1 (R10), [V0.B16, V1.B16]\n\tVLD1 (R7), [V2.B16, V3.B16]")
	o.w("\tVEOR V4.B16, V4.B16, V4.B16")
	sdot(o, 4, 0, 2)
	sdot(o, 4, 1, 3)
	qNeonScale32(o)
}

func qNeonQ4_0(o *out) {
	o.w("\tADD $2, R6, R10\n\tVLD1 (R10), [V0.B16]\n\tVLD1 (R7), [V2.B16, V3.B16]")
	and16(o, 1, 0, 15)
	ushr16(o, 0, 0, 4)
	sub16(o, 1, 1, 14)
	sub16(o, 0, 0, 14)
	o.w("\tVEOR V4.B16, V4.B16, V4.B16")
	sdot(o, 4, 1, 2)
	sdot(o, 4, 0, 3)
	qNeonScale32(o)
}

// qNeonQ4K: scales and mins unpacked in general registers (the 12 bytes
// as three words), widened to int32 lanes (scales V9, V10) and int16
// (mins V11); per sub-block an SDOT pair, MLA by its scale into V16; mins
// times the sums of 32 by SMULL/SMLAL2 into V13; then
// V7 += float(V16)*d*dy - float(V13)*dmin*dy.
func qNeonQ4K(o *out) {
	o.w("\tMOVWU 4(R6), R9\n\tMOVWU 8(R6), R10\n\tMOVWU 12(R6), R11")
	o.w("\tANDW $0x3f3f3f3f, R9, R12")
	o.w("\tANDW $0x0f0f0f0f, R11, R13\n\tLSRW $6, R9, R14\n\tANDW $0x03030303, R14, R14\n\tORRW R14<<4, R13, R13")
	o.w("\tORR R13<<32, R12, R12")
	o.w("\tANDW $0x3f3f3f3f, R10, R13")
	o.w("\tLSRW $4, R11, R14\n\tANDW $0x0f0f0f0f, R14, R14\n\tLSRW $6, R10, R15\n\tANDW $0x03030303, R15, R15\n\tORRW R15<<4, R14, R14")
	o.w("\tORR R14<<32, R13, R13")
	o.w("\tVMOV R12, V8.D[0]\n\tVMOV R13, V11.D[0]")
	uxtl8h(o, 8, 8)
	uxtl4s(o, 9, 8)
	uxtl24s(o, 10, 8)
	uxtl8h(o, 11, 11)
	o.w("\tADD $288, R7, R16\n\tVLD1 (R16), [V12.H8]")
	nw(o, r3(0x0E60C000, 13, 11, 12), "SMULL V13.4S, V11.4H, V12.4H")
	nw(o, r3(0x4E608000, 13, 11, 12), "SMLAL2 V13.4S, V11.8H, V12.8H")
	o.w("\tVEOR V16.B16, V16.B16, V16.B16")
	for j := 0; j < 4; j++ {
		o.w("\tADD $%d, R6, R16\n\tVLD1 (R16), [V0.B16, V1.B16]", 16+32*j)
		o.w("\tADD $%d, R7, R16\n\tVLD1 (R16), [V20.B16, V21.B16, V22.B16, V23.B16]", 64*j)
		and16(o, 2, 0, 15)
		and16(o, 3, 1, 15)
		ushr16(o, 0, 0, 4)
		ushr16(o, 1, 1, 4)
		o.w("\tVEOR V18.B16, V18.B16, V18.B16\n\tVEOR V19.B16, V19.B16, V19.B16")
		sdot(o, 18, 2, 20)
		sdot(o, 18, 3, 21)
		sdot(o, 19, 0, 22)
		sdot(o, 19, 1, 23)
		for h, v := range []int{18, 19} {
			s := 2*j + h
			mlaElem(o, 16, v, 9+s/4, s%4)
		}
	}
	scvtf(o, 16, 16)
	scvtf(o, 13, 13)
	o.w("\tMOVHU (R6), R9\n\tVMOV R9, V26.H[0]\n\tMOVHU 2(R6), R9\n\tVMOV R9, V26.H[1]")
	nw(o, fcvtlW(26, 26), "FCVTL V26.4S, V26.4H")
	o.w("\tADD $304, R7, R16\n\tVLD1 (R16), [V27.S4]")
	dupS(o, 27, 27, 0)
	fmul4(o, 26, 26, 27)
	dupS(o, 27, 26, 0)
	dupS(o, 28, 26, 1)
	fmla4(o, 7, 16, 27)
	fmls4(o, 7, 13, 28)
}

// qNeonQ6K: scales widened to int32 (V11-V14); per half of 128 values the
// four runs of 32 rebuilt from ql and qh, minus 32, SDOT per 16 values
// (one group) and MLA by the group's scale into V16; V7 += float(V16)*d*dy.
func qNeonQ6K(o *out) {
	o.w("\tADD $192, R6, R16\n\tVLD1 (R16), [V8.B16]")
	sxtl8h(o, 9, 8)
	sxtl28h(o, 10, 8)
	sxtl4s(o, 11, 9)
	sxtl24s(o, 12, 9)
	sxtl4s(o, 13, 10)
	sxtl24s(o, 14, 10)
	o.w("\tVEOR V16.B16, V16.B16, V16.B16")
	for n := 0; n < 2; n++ {
		o.w("\tADD $%d, R6, R16\n\tVLD1 (R16), [V0.B16, V1.B16, V2.B16, V3.B16]", 64*n)
		o.w("\tADD $%d, R6, R16\n\tVLD1 (R16), [V4.B16, V5.B16]", 128+32*n)
		o.w("\tADD $%d, R7, R16\n\tVLD1.P 64(R16), [V20.B16, V21.B16, V22.B16, V23.B16]", 128*n)
		o.w("\tVLD1 (R16), [V26.B16, V27.B16, V28.B16, V29.B16]")
		ys := []int{20, 21, 22, 23, 26, 27, 28, 29}
		for i := 0; i < 4; i++ {
			for h := 0; h < 2; h++ {
				src := h
				if i%2 == 1 {
					src = 2 + h
				}
				if i < 2 {
					and16(o, 6, src, 15)
				} else {
					ushr16(o, 6, src, 4)
				}
				switch i {
				case 0:
					shl16(o, 17, 4+h, 4)
					and16(o, 17, 17, 24)
				case 1:
					shl16(o, 17, 4+h, 2)
					and16(o, 17, 17, 24)
				case 2:
					and16(o, 17, 4+h, 24)
				case 3:
					ushr16(o, 17, 4+h, 2)
					and16(o, 17, 17, 24)
				}
				orr16(o, 6, 6, 17)
				sub16(o, 6, 6, 25)
				o.w("\tVEOR V18.B16, V18.B16, V18.B16")
				sdot(o, 18, 6, ys[2*i+h])
				g := 8*n + 2*i + h
				mlaElem(o, 16, 18, 11+g/4, g%4)
			}
		}
	}
	scvtf(o, 16, 16)
	o.w("\tMOVHU 208(R6), R9\n\tVMOV R9, V30.H[0]")
	nw(o, fcvtlW(30, 30), "FCVTL V30.4S, V30.4H")
	o.w("\tADD $304, R7, R16\n\tVLD1 (R16), [V31.S4]")
	fmul4(o, 30, 30, 31)
	dupS(o, 30, 30, 0)
	fmla4(o, 7, 16, 30)
}
