package main

import (
	"fmt"
	"math"
	"strings"
)

// NEON vector kernels (vector_neon_arm64.s): the algorithms of the amd64
// kernels (vector_avx2_amd64.s) on 4 lanes.

// dup broadcasts the 32-bit pattern bits into every lane of V(reg).
func dup(reg int, bits uint32) []string {
	return []string{fmt.Sprintf("\tMOVW $0x%08x, R9", bits), fmt.Sprintf("\tVDUP R9, V%d.S4", reg)}
}

// Constant registers of exp4 and silu4, loaded by loadConsts.
const (
	cLO, cHI, cLOG2E, cNLN2HI, cNLN2LO = 16, 17, 18, 19, 20
	cC7, cC6, cC5, cC4, cC3, cC2       = 21, 22, 23, 24, 25, 26
	cONE, cI127, cSIGN                 = 27, 28, 29
)

func loadConsts() []string {
	var L []string
	for _, c := range []struct {
		reg  int
		bits uint32
	}{
		{cLO, f32bits(-110.0)}, {cHI, f32bits(89.0)}, {cLOG2E, f32bits(1.4426950408889634)},
		{cNLN2HI, f32bits(-0.693359375)}, {cNLN2LO, f32bits(-(math.Log(2) - 0.693359375))},
		{cC7, f32bits(1.0 / 5040)}, {cC6, f32bits(1.0 / 720)}, {cC5, f32bits(1.0 / 120)},
		{cC4, f32bits(1.0 / 24)}, {cC3, f32bits(1.0 / 6)}, {cC2, f32bits(0.5)}, {cONE, f32bits(1.0)},
		{cI127, 127}, {cSIGN, 0x80000000},
	} {
		L = append(L, dup(c.reg, c.bits)...)
	}
	return L
}

// exp4 computes V(x) = exp(V(x)), clobbering V(t1)..V(t3). FMAX/FMIN
// propagate NaN on arm64.
func exp4(x, t1, t2, t3 int) []string {
	L := []string{I("FMAX", x, x, cLO), I("FMIN", x, x, cHI),
		I("FMUL", t1, x, cLOG2E), I("FRINTN", t1, t1),
		I("FMLA", x, t1, cNLN2HI), I("FMLA", x, t1, cNLN2LO),
		I("FCVTZS", t2, t1)}
	// Horner: t3 = c7; t3 = c_k + t3*x via t1 = c_k; FMLA t1 += t3*x; t3 = t1
	L = append(L, fmt.Sprintf("\tVMOV V%d.B16, V%d.B16", cC7, t3))
	for _, c := range []int{cC6, cC5, cC4, cC3, cC2} {
		L = append(L, fmt.Sprintf("\tVMOV V%d.B16, V%d.B16", c, t1), I("FMLA", t1, t3, x),
			fmt.Sprintf("\tVMOV V%d.B16, V%d.B16", t1, t3))
	}
	return append(L,
		I("FMUL", t1, x, x),  // r^2
		I("FMLA", x, t1, t3), // x = r + r^2*q
		I("FADD", x, x, cONE),
		I("SSHR", t1, t2, 1), // n1
		I("SUB", t2, t2, t1), // n2
		I("ADD", t1, t1, cI127), I("SHL", t1, t1, 23),
		I("ADD", t2, t2, cI127), I("SHL", t2, t2, 23),
		I("FMUL", x, x, t1), I("FMUL", x, x, t2))
}

// silu4 computes V(x) = silu(V(x)) using V4..V8.
func silu4(x int) []string {
	L := []string{fmt.Sprintf("\tVMOV V%d.B16, V8.B16", x), I("ORR", x, x, cSIGN)}
	L = append(L, exp4(x, 4, 5, 6)...)
	return append(L, I("SSHR", 7, 8, 31), // all ones where x < 0
		fmt.Sprintf("\tVMOV V%d.B16, V5.B16", cONE),
		I("BIT", 5, x, 7), // V5 = x<0 ? e : 1
		I("FADD", x, x, cONE),
		I("FMUL", 5, 5, 8),
		I("FDIV", x, 5, x))
}

// neonFile collects the functions of one NEON .s file.
type neonFile struct{ L []string }

func (f *neonFile) fn(name, args string, frame int, body ...[]string) {
	f.L = append(f.L, "// func "+args, fmt.Sprintf("TEXT ·%s(SB), NOSPLIT, $0-%d", name, frame))
	for _, b := range body {
		f.L = append(f.L, b...)
	}
	f.L = append(f.L, "")
}

// loop1 wraps body in a loop over R3 elements, 4 per pass.
func loop1(label string, body ...string) []string {
	L := []string{label + "_loop:", "\tCBZ R3, " + label + "_done"}
	L = append(L, body...)
	return append(L, "\tSUB $4, R3", "\tB "+label+"_loop", label+"_done:")
}

func cat(parts ...[]string) []string {
	var L []string
	for _, p := range parts {
		L = append(L, p...)
	}
	return L
}

var ret = []string{"\tRET"}

func genVectorNEON() {
	f := &neonFile{L: []string{"//go:build arm64 && !purego", "", "#include \"textflag.h\"", "",
		"// NEON vector kernels. Go's arm64 assembler has no mnemonics for most NEON",
		"// float instructions; those are WORD encodings with the instruction in a",
		"// comment. Every function processes n elements, n a multiple of 4 (the Go",
		"// wrappers handle the tails). The algorithms are those of the amd64 kernels",
		"// (see vector_avx2_amd64.s).", ""}}
	zero4 := []string{"\tVEOR V0.B16, V0.B16, V0.B16", "\tVEOR V1.B16, V1.B16, V1.B16", "\tVEOR V2.B16, V2.B16, V2.B16", "\tVEOR V3.B16, V3.B16, V3.B16"}
	f.fn("dotNEON", "dotNEON(x, y *float32, n int) float32", 28, []string{
		"\tMOVD x+0(FP), R0", "\tMOVD y+8(FP), R1", "\tMOVD n+16(FP), R3"}, zero4, []string{
		"dot_four:", "\tCMP $16, R3", "\tBLT dot_one",
		"\tVLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]", "\tVLD1.P 64(R1), [V8.S4, V9.S4, V10.S4, V11.S4]",
		"\tVFMLA V4.S4, V8.S4, V0.S4", "\tVFMLA V5.S4, V9.S4, V1.S4", "\tVFMLA V6.S4, V10.S4, V2.S4", "\tVFMLA V7.S4, V11.S4, V3.S4",
		"\tSUB $16, R3", "\tB dot_four",
		"dot_one:", "\tCBZ R3, dot_done", "\tVLD1.P 16(R0), [V4.S4]", "\tVLD1.P 16(R1), [V8.S4]", "\tVFMLA V4.S4, V8.S4, V0.S4",
		"\tSUB $4, R3", "\tB dot_one",
		"dot_done:", I("FADD", 0, 0, 1), I("FADD", 2, 2, 3), I("FADD", 0, 0, 2), I("FADDP", 0, 0, 0), I("FADDP", 0, 0, 0),
		"\tFMOVS F0, ret+24(FP)", "\tRET"})
	f.fn("sumNEON", "sumNEON(x *float32, n int) float32", 20, []string{
		"\tMOVD x+0(FP), R0", "\tMOVD n+8(FP), R3"}, zero4, []string{
		"sum_four:", "\tCMP $16, R3", "\tBLT sum_one",
		"\tVLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]",
		I("FADD", 0, 0, 4), I("FADD", 1, 1, 5), I("FADD", 2, 2, 6), I("FADD", 3, 3, 7),
		"\tSUB $16, R3", "\tB sum_four",
		"sum_one:", "\tCBZ R3, sum_done", "\tVLD1.P 16(R0), [V4.S4]", I("FADD", 0, 0, 4),
		"\tSUB $4, R3", "\tB sum_one",
		"sum_done:", I("FADD", 0, 0, 1), I("FADD", 2, 2, 3), I("FADD", 0, 0, 2), I("FADDP", 0, 0, 0), I("FADDP", 0, 0, 0),
		"\tFMOVS F0, ret+16(FP)", "\tRET"})
	// max: FMAX propagates NaN
	f.fn("maxNEON", "maxNEON(x *float32, n int) float32", 20, []string{
		"\tMOVD x+0(FP), R0", "\tMOVD n+8(FP), R3"}, dup(0, 0xff800000), []string{
		"max_loop:", "\tCBZ R3, max_done", "\tVLD1.P 16(R0), [V4.S4]", I("FMAX", 0, 0, 4), "\tSUB $4, R3", "\tB max_loop",
		"max_done:", I("FMAXP", 0, 0, 0), I("FMAXP", 0, 0, 0), "\tFMOVS F0, ret+16(FP)", "\tRET"})
	f.fn("axpyNEON", "axpyNEON(alpha float32, x, y *float32, n int)", 32, []string{
		"\tFMOVS alpha+0(FP), F0", "\tVDUP V0.S[0], V0.S4", "\tMOVD x+8(FP), R0", "\tMOVD y+16(FP), R1", "\tMOVD n+24(FP), R3",
		"axpy_four:", "\tCMP $16, R3", "\tBLT axpy_one",
		"\tVLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]", "\tVLD1 (R1), [V8.S4, V9.S4, V10.S4, V11.S4]",
		"\tVFMLA V4.S4, V0.S4, V8.S4", "\tVFMLA V5.S4, V0.S4, V9.S4", "\tVFMLA V6.S4, V0.S4, V10.S4", "\tVFMLA V7.S4, V0.S4, V11.S4",
		"\tVST1.P [V8.S4, V9.S4, V10.S4, V11.S4], 64(R1)", "\tSUB $16, R3", "\tB axpy_four",
		"axpy_one:", "\tCBZ R3, axpy_done", "\tVLD1.P 16(R0), [V4.S4]", "\tVLD1 (R1), [V8.S4]", "\tVFMLA V4.S4, V0.S4, V8.S4",
		"\tVST1.P [V8.S4], 16(R1)", "\tSUB $4, R3", "\tB axpy_one", "axpy_done:", "\tRET"})
	f.fn("scaleNEON", "scaleNEON(alpha float32, x *float32, n int)", 24, []string{
		"\tFMOVS alpha+0(FP), F0", "\tVDUP V0.S[0], V0.S4", "\tMOVD x+8(FP), R0", "\tMOVD n+16(FP), R3"},
		loop1("scale", "\tVLD1 (R0), [V4.S4]", I("FMUL", 4, 4, 0), "\tVST1.P [V4.S4], 16(R0)"), ret)
	f.fn("addConstNEON", "addConstNEON(c float32, dst, src *float32, n int)", 32, []string{
		"\tFMOVS c+0(FP), F0", "\tVDUP V0.S[0], V0.S4", "\tMOVD dst+8(FP), R1", "\tMOVD src+16(FP), R0", "\tMOVD n+24(FP), R3"},
		loop1("addc", "\tVLD1.P 16(R0), [V4.S4]", I("FADD", 4, 4, 0), "\tVST1.P [V4.S4], 16(R1)"), ret)
	for _, b := range []struct{ nm, op string }{{"add", "FADD"}, {"mul", "FMUL"}} {
		f.fn(b.nm+"NEON", b.nm+"NEON(dst, a, b *float32, n int)", 32, []string{
			"\tMOVD dst+0(FP), R1", "\tMOVD a+8(FP), R0", "\tMOVD b+16(FP), R2", "\tMOVD n+24(FP), R3"},
			loop1(b.nm, "\tVLD1.P 16(R0), [V4.S4]", "\tVLD1.P 16(R2), [V5.S4]", I(b.op, 4, 4, 5), "\tVST1.P [V4.S4], 16(R1)"), ret)
	}
	f.fn("scaleMulNEON", "scaleMulNEON(r float32, dst, x, w *float32, n int)", 40, []string{
		"\tFMOVS r+0(FP), F0", "\tVDUP V0.S[0], V0.S4", "\tMOVD dst+8(FP), R1", "\tMOVD x+16(FP), R0", "\tMOVD w+24(FP), R2", "\tMOVD n+32(FP), R3"},
		loop1("smul", "\tVLD1.P 16(R0), [V4.S4]", "\tVLD1.P 16(R2), [V5.S4]", I("FMUL", 4, 4, 0), I("FMUL", 4, 4, 5), "\tVST1.P [V4.S4], 16(R1)"), ret)
	f.fn("expNEON", "expNEON(dst, src *float32, n int)", 24, []string{
		"\tMOVD dst+0(FP), R1", "\tMOVD src+8(FP), R0", "\tMOVD n+16(FP), R3"}, loadConsts(),
		loop1("exp", cat([]string{"\tVLD1.P 16(R0), [V0.S4]"}, exp4(0, 1, 2, 3), []string{"\tVST1.P [V0.S4], 16(R1)"})...), ret)
	f.fn("expSubSumNEON", "expSubSumNEON(m float32, dst, src *float32, n int) float32", 36, []string{
		"\tFMOVS m+0(FP), F10", "\tVDUP V10.S[0], V10.S4", "\tMOVD dst+8(FP), R1", "\tMOVD src+16(FP), R0", "\tMOVD n+24(FP), R3",
		"\tVEOR V11.B16, V11.B16, V11.B16"}, loadConsts(),
		loop1("ess", cat([]string{"\tVLD1.P 16(R0), [V0.S4]", I("FSUB", 0, 0, 10)}, exp4(0, 1, 2, 3),
			[]string{"\tVST1.P [V0.S4], 16(R1)", I("FADD", 11, 11, 0)})...),
		[]string{I("FADDP", 11, 11, 11), I("FADDP", 11, 11, 11), "\tFMOVS F11, ret+32(FP)", "\tRET"})
	f.fn("siluNEON", "siluNEON(dst, x *float32, n int)", 24, []string{
		"\tMOVD dst+0(FP), R1", "\tMOVD x+8(FP), R0", "\tMOVD n+16(FP), R3"}, loadConsts(),
		loop1("silu", cat([]string{"\tVLD1.P 16(R0), [V0.S4]"}, silu4(0), []string{"\tVST1.P [V0.S4], 16(R1)"})...), ret)
	f.fn("swigluNEON", "swigluNEON(dst, gate, up *float32, n int)", 32, []string{
		"\tMOVD dst+0(FP), R1", "\tMOVD gate+8(FP), R0", "\tMOVD up+16(FP), R2", "\tMOVD n+24(FP), R3"}, loadConsts(),
		loop1("swiglu", cat([]string{"\tVLD1.P 16(R0), [V0.S4]"}, silu4(0),
			[]string{"\tVLD1.P 16(R2), [V9.S4]", I("FMUL", 0, 0, 9), "\tVST1.P [V0.S4], 16(R1)"})...), ret)
	f.fn("ropeNEON", "ropeNEON(a, b, cos, sin *float32, n int, neg uint32)", 44, []string{
		"\tMOVD a+0(FP), R0", "\tMOVD b+8(FP), R1", "\tMOVD cos+16(FP), R2", "\tMOVD sin+24(FP), R4", "\tMOVD n+32(FP), R3",
		"\tMOVWU neg+40(FP), R9", "\tVDUP R9, V7.S4"},
		loop1("rope", "\tVLD1 (R0), [V0.S4]", "\tVLD1 (R1), [V1.S4]", "\tVLD1.P 16(R2), [V2.S4]", "\tVLD1.P 16(R4), [V3.S4]",
			I("EOR", 3, 3, 7), I("FMUL", 4, 0, 2), I("FMUL", 5, 1, 3), I("FSUB", 4, 4, 5),
			I("FMUL", 5, 1, 2), I("FMUL", 6, 0, 3), I("FADD", 5, 5, 6),
			"\tVST1.P [V4.S4], 16(R0)", "\tVST1.P [V5.S4], 16(R1)"), ret)
	// Conversions: 8 per step would need n%8; keep 4 per step.
	f.fn("bf16ToF32NEON", "bf16ToF32NEON(dst *float32, src *uint16, n int)", 24, []string{
		"\tMOVD dst+0(FP), R1", "\tMOVD src+8(FP), R0", "\tMOVD n+16(FP), R3", "\tVEOR V1.B16, V1.B16, V1.B16"},
		loop1("b2f", "\tFMOVD.P 8(R0), F0", I("ZIP1H", 2, 1, 0), "\tVST1.P [V2.S4], 16(R1)"), ret)
	f.fn("f32ToBF16NEON", "f32ToBF16NEON(dst *uint16, src *float32, n int)", 24, []string{
		"\tMOVD dst+0(FP), R1", "\tMOVD src+8(FP), R0", "\tMOVD n+16(FP), R3"}, dup(20, 1), dup(21, 0x7fff), dup(22, 0x40),
		loop1("f2b", "\tVLD1.P 16(R0), [V0.S4]", I("USHR", 1, 0, 16), I("AND", 2, 1, 20), I("ADD", 2, 2, 21), I("ADD", 2, 2, 0),
			I("USHR", 2, 2, 16), I("ORR", 1, 1, 22), I("FCMEQ", 3, 0, 0), I("BIT", 1, 2, 3), I("UZP1H", 1, 1, 1),
			"\tFMOVD.P F1, 8(R1)"), ret)
	f.fn("f16ToF32NEON", "f16ToF32NEON(dst *float32, src *uint16, n int)", 24, []string{
		"\tMOVD dst+0(FP), R1", "\tMOVD src+8(FP), R0", "\tMOVD n+16(FP), R3"},
		loop1("h2f", "\tFMOVD.P 8(R0), F0", I("FCVTL", 1, 0), "\tVST1.P [V1.S4], 16(R1)"), ret)
	f.fn("f32ToF16NEON", "f32ToF16NEON(dst *uint16, src *float32, n int)", 24, []string{
		"\tMOVD dst+0(FP), R1", "\tMOVD src+8(FP), R0", "\tMOVD n+16(FP), R3"},
		loop1("f2h", "\tVLD1.P 16(R0), [V0.S4]", I("FCVTN", 1, 0), "\tFMOVD.P F1, 8(R1)"), ret)

	var o out
	o.b.WriteString(strings.Join(f.L, "\n"))
	o.save("vector_neon_arm64.s")
}
