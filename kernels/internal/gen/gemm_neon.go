package main

import "fmt"

// AArch64 by-element FMLA/FMUL (vector, single precision, 4S).
func fmlaElem(d, n, m, i int) uint32 {
	return 0x4F801000 | uint32(i&1)<<21 | uint32(m)<<16 | uint32(i>>1)<<11 | uint32(n)<<5 | uint32(d)
}

func fmulElem(d, n, m, i int) uint32 {
	return 0x4F809000 | uint32(i&1)<<21 | uint32(m)<<16 | uint32(i>>1)<<11 | uint32(n)<<5 | uint32(d)
}

func genKernelARM64() {
	var o out
	o.w("//go:build arm64 && !purego\n\n#include \"textflag.h\"\n")
	o.w("// 8x8 NEON micro-kernel: 16 accumulators V0-V15 (row r in V2r, V2r+1), B row in V16-V17")
	o.w("// (V20-V21 on odd steps), A column in V18-V19 (V22-V23). The by-element FMLA/FMUL forms")
	o.w("// are not known to the Go assembler, so they are emitted as WORDs (encoding noted).\n")
	step := func(a0, b0 int) {
		o.w("\tVLD1.P 32(R1), [V%d.S4, V%d.S4]", a0, a0+1)
		o.w("\tVLD1.P 32(R2), [V%d.S4, V%d.S4]", b0, b0+1)
		for r := 0; r < 8; r++ {
			areg, idx := a0+r/4, r%4
			for j := 0; j < 2; j++ {
				d, n := 2*r+j, b0+j
				o.w("\tWORD $%#08x // FMLA V%d.4S, V%d.4S, V%d.S[%d]", fmlaElem(d, n, areg, idx), d, n, areg, idx)
			}
		}
	}
	o.w("// func sgemmKernel8x8NEON(k int, a, b, c *float32, ldc int, alpha, beta float32)")
	o.w("TEXT ·sgemmKernel8x8NEON(SB), NOSPLIT, $0-48")
	o.w("\tMOVD k+0(FP), R0\n\tMOVD a+8(FP), R1\n\tMOVD b+16(FP), R2\n\tMOVD c+24(FP), R3\n\tMOVD ldc+32(FP), R4\n\tLSL $2, R4, R4")
	for i := 0; i < 16; i++ {
		o.w("\tVEOR V%d.B16, V%d.B16, V%d.B16", i, i, i)
	}
	o.w("\tCMP $2, R0\n\tBLT neon_tail")
	o.w("neon_loop2:")
	step(18, 16)
	step(22, 20)
	o.w("\tSUB $2, R0, R0\n\tCMP $2, R0\n\tBGE neon_loop2")
	o.w("neon_tail:\n\tCBZ R0, neon_store")
	step(18, 16)
	o.w("neon_store:")
	o.w("\tFMOVD alpha+40(FP), F30 // V30.S[0] = alpha, V30.S[1] = beta")
	o.w("\tMOVWU beta+44(FP), R5\n\tANDW $0x7fffffff, R5, R5\n\tCBZW R5, neon_beta0")
	for r := 0; r < 8; r++ {
		o.w("\tVLD1 (R3), [V24.S4, V25.S4]")
		for j := 0; j < 2; j++ {
			d := 2*r + j
			o.w("\tWORD $%#08x // FMUL V%d.4S, V%d.4S, V30.S[0]", fmulElem(d, d, 30, 0), d, d)
			o.w("\tWORD $%#08x // FMLA V%d.4S, V%d.4S, V30.S[1]", fmlaElem(d, 24+j, 30, 1), d, 24+j)
		}
		o.w("\tVST1 [V%d.S4, V%d.S4], (R3)\n\tADD R4, R3, R3", 2*r, 2*r+1)
	}
	o.w("\tRET\nneon_beta0:")
	for r := 0; r < 8; r++ {
		for j := 0; j < 2; j++ {
			d := 2*r + j
			o.w("\tWORD $%#08x // FMUL V%d.4S, V%d.4S, V30.S[0]", fmulElem(d, d, 30, 0), d, d)
		}
		o.w("\tVST1 [V%d.S4, V%d.S4], (R3)\n\tADD R4, R3, R3", 2*r, 2*r+1)
	}
	o.w("\tRET")
	o.save("gemm_kernel_arm64.s")
}

// AArch64 encodings the Go assembler lacks (all 4S / 4H forms).
func faddV(d, n, m int) uint32  { return 0x4E20D400 | uint32(m)<<16 | uint32(n)<<5 | uint32(d) }
func faddpV(d, n, m int) uint32 { return 0x6E20D400 | uint32(m)<<16 | uint32(n)<<5 | uint32(d) }
func faddpS(d, n int) uint32    { return 0x7E30D800 | uint32(n)<<5 | uint32(d) }
func fcvtl(d, n int) uint32     { return 0x0E217800 | uint32(n)<<5 | uint32(d) }
func fcvtl2(d, n int) uint32    { return 0x4E217800 | uint32(n)<<5 | uint32(d) }

// genGemvARM64 writes the NEON rows kernels (gemvRowsFunc, k a multiple of
// 8): 4 rows of W at a time, 2 accumulators per row.
func genGemvARM64() {
	var o out
	o.w("//go:build arm64 && !purego\n\n#include \"textflag.h\"\n")
	o.w("// NEON GEMV rows kernels: out[r] = dot(x[:k], w[r*ldw:][:k]) for r < rows, k a multiple of 8.")
	o.w("// bf16 is widened by interleaving with zero halves (VZIP1/VZIP2), f16 with FCVTL/FCVTL2;")
	o.w("// FADD/FADDP/FCVTL are emitted as WORDs (encoding noted).\n")
	word := func(v uint32, what string) { o.w("\tWORD $%#08x // %s", v, what) }
	for _, e := range elems {
		name := "gemvRows" + e.name + "NEON"
		L := name
		// loadRow loads 8 weights at pointer p into V(t), V(t+1) (t+2 scratch).
		loadRow := func(p string, t int) {
			switch e.name {
			case "F32":
				o.w("\tVLD1.P 32(%s), [V%d.S4, V%d.S4]", p, t, t+1)
			case "BF16":
				o.w("\tVLD1.P 16(%s), [V%d.H8]", p, t+2)
				o.w("\tVZIP1 V%d.H8, V15.H8, V%d.H8", t+2, t)
				o.w("\tVZIP2 V%d.H8, V15.H8, V%d.H8", t+2, t+1)
			default:
				o.w("\tVLD1.P 16(%s), [V%d.H8]", p, t+2)
				word(fcvtl(t, t+2), fmt.Sprintf("FCVTL V%d.4S, V%d.4H", t, t+2))
				word(fcvtl2(t+1, t+2), fmt.Sprintf("FCVTL2 V%d.4S, V%d.8H", t+1, t+2))
			}
		}
		reduce := func(a, b, off int) {
			word(faddV(a, a, b), fmt.Sprintf("FADD V%d.4S, V%d.4S, V%d.4S", a, a, b))
			word(faddpV(a, a, a), fmt.Sprintf("FADDP V%d.4S, V%d.4S, V%d.4S", a, a, a))
			word(faddpS(a, a), fmt.Sprintf("FADDP S%d, V%d.2S", a, a))
			o.w("\tFMOVS F%d, %d(R5)", a, off)
		}
		o.w("// func %s(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)", name)
		o.w("TEXT ·%s(SB), NOSPLIT, $0-48", name)
		o.w("\tMOVD k+0(FP), R0\n\tMOVD x+8(FP), R1\n\tMOVD w+16(FP), R2\n\tMOVD ldw+24(FP), R3")
		o.w("\tLSL $%d, R3, R3\n\tMOVD rows+32(FP), R4\n\tMOVD out+40(FP), R5", e.shift)
		o.w("\tVEOR V15.B16, V15.B16, V15.B16")
		o.w("%s_r4:\n\tCMP $4, R4\n\tBLT %s_r1", L, L)
		o.w("\tMOVD R1, R6\n\tMOVD R2, R7\n\tADD R3, R7, R8\n\tADD R3, R8, R9\n\tADD R3, R9, R10")
		for i := 0; i < 8; i++ {
			o.w("\tVEOR V%d.B16, V%d.B16, V%d.B16", i, i, i)
		}
		o.w("\tMOVD R0, R11\n\tCBZ R11, %s_r4red", L)
		o.w("%s_r4k:", L)
		o.w("\tVLD1.P 32(R6), [V16.S4, V17.S4]")
		for r, p := range []string{"R7", "R8", "R9", "R10"} {
			t := 18 + 3*r
			loadRow(p, t)
			o.w("\tVFMLA V%d.S4, V16.S4, V%d.S4", t, r)
			o.w("\tVFMLA V%d.S4, V17.S4, V%d.S4", t+1, r+4)
		}
		o.w("\tSUBS $8, R11, R11\n\tBNE %s_r4k", L)
		o.w("%s_r4red:", L)
		for r := 0; r < 4; r++ {
			reduce(r, r+4, 4*r)
		}
		o.w("\tADD R3<<2, R2, R2\n\tADD $16, R5, R5\n\tSUB $4, R4, R4\n\tB %s_r4", L)
		o.w("%s_r1:\n\tCBZ R4, %s_done", L, L)
		o.w("%s_r1row:", L)
		o.w("\tMOVD R1, R6\n\tMOVD R2, R7")
		o.w("\tVEOR V0.B16, V0.B16, V0.B16\n\tVEOR V4.B16, V4.B16, V4.B16")
		o.w("\tMOVD R0, R11\n\tCBZ R11, %s_r1red", L)
		o.w("%s_r1k:", L)
		o.w("\tVLD1.P 32(R6), [V16.S4, V17.S4]")
		loadRow("R7", 18)
		o.w("\tVFMLA V18.S4, V16.S4, V0.S4")
		o.w("\tVFMLA V19.S4, V17.S4, V4.S4")
		o.w("\tSUBS $8, R11, R11\n\tBNE %s_r1k", L)
		o.w("%s_r1red:", L)
		reduce(0, 4, 0)
		o.w("\tADD R3, R2, R2\n\tADD $4, R5, R5\n\tSUBS $1, R4, R4\n\tBNE %s_r1row", L)
		o.w("%s_done:\n\tRET\n", L)
	}
	o.save("gemv_arm64.s")
}
