package main

import (
	"fmt"
	"strings"
)

// tileNEON returns the name and lines of the NEON tile kernel
// C[rows x nvec*4] += A[rows x k] * B[k x nvec*4].
func tileNEON(rows, nvec int) (string, []string) {
	name := fmt.Sprintf("tile%dx%dNEON", rows, nvec*4)
	L := []string{fmt.Sprintf("// func %s(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)", name),
		fmt.Sprintf("TEXT ·%s(SB), NOSPLIT, $0-56", name),
		"\tMOVD c+0(FP), R0", "\tMOVD ldc+8(FP), R1", "\tLSL $2, R1", "\tMOVD a+16(FP), R2", "\tMOVD lda+24(FP), R3", "\tLSL $2, R3",
		"\tMOVD b+32(FP), R4", "\tMOVD ldb+40(FP), R5", "\tLSL $2, R5", "\tMOVD k+48(FP), R6"}
	// C row pointers R10..R13, A row pointers R19..R22 (R18 is reserved on
	// some OSes).
	cp := []string{"R10", "R11", "R12", "R13"}
	ap := []string{"R19", "R20", "R21", "R22"}
	L = append(L, "\tMOVD R0, R10")
	for r := 1; r < rows; r++ {
		L = append(L, fmt.Sprintf("\tADD R1, %s, %s", cp[r-1], cp[r]))
	}
	L = append(L, "\tMOVD R2, R19")
	for r := 1; r < rows; r++ {
		L = append(L, fmt.Sprintf("\tADD R3, %s, %s", ap[r-1], ap[r]))
	}
	regs := func(n0, k int) string {
		s := make([]string, k)
		for i := range s {
			s[i] = fmt.Sprintf("V%d.S4", n0+i)
		}
		return strings.Join(s, ", ")
	}
	for r := 0; r < rows; r++ {
		L = append(L, fmt.Sprintf("\tVLD1 (%s), [%s]", cp[r], regs(r*nvec, nvec)))
	}
	L = append(L, name+"_loop:", "\tCBZ R6, "+name+"_done", fmt.Sprintf("\tVLD1 (R4), [%s]", regs(16, nvec)), "\tADD R5, R4, R4")
	for r := 0; r < rows; r++ {
		L = append(L, fmt.Sprintf("\tVLD1R.P 4(%s), [V%d.S4]", ap[r], 20+r))
		for v := 0; v < nvec; v++ {
			L = append(L, fmt.Sprintf("\tVFMLA V%d.S4, V%d.S4, V%d.S4", 16+v, 20+r, r*nvec+v))
		}
	}
	L = append(L, "\tSUB $1, R6", "\tB "+name+"_loop", name+"_done:")
	for r := 0; r < rows; r++ {
		L = append(L, fmt.Sprintf("\tVST1 [%s], (%s)", regs(r*nvec, nvec), cp[r]))
	}
	return name, append(L, "\tRET")
}

// tileShapesNEON lists the (rows, vectors of B) shapes of the NEON tiles.
var tileShapesNEON = [][2]int{{4, 4}, {1, 4}, {4, 1}, {1, 1}}

// scoresNEON is the decode-time score kernel out[j] = q · k_j, four keys
// per pass.
func scoresNEON() []string {
	return []string{"// func scoresNEON(q, k *float32, kstride, nk, d int, out *float32)",
		"// Decode-time scores (see attention_scores_amd64.s).",
		"TEXT ·scoresNEON(SB), NOSPLIT, $0-48",
		"\tMOVD q+0(FP), R0", "\tMOVD k+8(FP), R1", "\tMOVD kstride+16(FP), R2", "\tLSL $2, R2",
		"\tMOVD nk+24(FP), R3", "\tMOVD d+32(FP), R4", "\tMOVD out+40(FP), R5",
		"scores_four:", "\tCMP $4, R3", "\tBLT scores_one",
		"\tMOVD R0, R6", "\tMOVD R1, R7", "\tADD R2, R7, R8", "\tADD R2, R8, R9", "\tADD R2, R9, R10", "\tMOVD R4, R11",
		"\tVEOR V0.B16, V0.B16, V0.B16", "\tVEOR V1.B16, V1.B16, V1.B16", "\tVEOR V2.B16, V2.B16, V2.B16", "\tVEOR V3.B16, V3.B16, V3.B16",
		"scores_in4:", "\tVLD1.P 16(R6), [V4.S4]", "\tVLD1.P 16(R7), [V5.S4]", "\tVLD1.P 16(R8), [V6.S4]", "\tVLD1.P 16(R9), [V7.S4]", "\tVLD1.P 16(R10), [V8.S4]",
		"\tVFMLA V4.S4, V5.S4, V0.S4", "\tVFMLA V4.S4, V6.S4, V1.S4", "\tVFMLA V4.S4, V7.S4, V2.S4", "\tVFMLA V4.S4, V8.S4, V3.S4",
		"\tSUB $4, R11", "\tCBNZ R11, scores_in4",
		I("FADDP", 0, 0, 1), I("FADDP", 2, 2, 3), I("FADDP", 0, 0, 2), "\tVST1.P [V0.S4], 16(R5)",
		"\tADD R2<<2, R1, R1", "\tSUB $4, R3", "\tB scores_four",
		"scores_one:", "\tCBZ R3, scores_done", "\tMOVD R0, R6", "\tMOVD R1, R7", "\tMOVD R4, R11", "\tVEOR V0.B16, V0.B16, V0.B16",
		"scores_in1:", "\tVLD1.P 16(R6), [V4.S4]", "\tVLD1.P 16(R7), [V5.S4]", "\tVFMLA V4.S4, V5.S4, V0.S4", "\tSUB $4, R11", "\tCBNZ R11, scores_in1",
		I("FADDP", 0, 0, 0), I("FADDP", 0, 0, 0), "\tFMOVS F0, (R5)", "\tADD $4, R5", "\tADD R2, R1, R1", "\tSUB $1, R3", "\tB scores_one",
		"scores_done:", "\tRET", ""}
}

// genTilesARM64 writes attention_tile_arm64.s.
func genTilesARM64() {
	L := []string{"//go:build arm64 && !purego", "", "#include \"textflag.h\"", "",
		"// NEON attention tile kernels: C[rows x cols] += A[rows x k] * B[k x cols];",
		"// see attention_tile_amd64.s.", ""}
	for _, sh := range tileShapesNEON {
		_, code := tileNEON(sh[0], sh[1])
		L = append(L, code...)
		L = append(L, "")
	}
	L = append(L, scoresNEON()...)
	var o out
	o.b.WriteString(strings.Join(L, "\n"))
	o.save("attention_tile_arm64.s")
}
