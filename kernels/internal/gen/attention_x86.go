package main

import (
	"fmt"
	"strings"
)

// tileAMD64 returns the name and lines of one attention tile kernel
// C[rows x cols] += A[rows x k] * B[k x cols] with nvec vectors of B per
// row. trans: A is stored k x rows (element (i, p) at p*lda + i), the
// product C += Aᵀ·B the attention backward needs for dV and dK.
func tileAMD64(isa string, rows, nvec int, trans bool) (string, []string) {
	R, vb, w := "Y", 32, 8
	if isa == "AVX512" {
		R, vb, w = "Z", 64, 16
	}
	cols := nvec * w
	name := fmt.Sprintf("tile%dx%d%s", rows, cols, isa)
	if trans {
		name = fmt.Sprintf("tileT%dx%d%s", rows, cols, isa)
	}
	L := []string{
		fmt.Sprintf("// func %s(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, k int)", name),
		fmt.Sprintf("TEXT ·%s(SB), NOSPLIT, $0-56", name),
		"\tMOVQ c+0(FP), DI", "\tMOVQ ldc+8(FP), R10", "\tSHLQ $2, R10",
		"\tMOVQ a+16(FP), SI", "\tMOVQ lda+24(FP), R8", "\tSHLQ $2, R8",
		"\tMOVQ b+32(FP), DX", "\tMOVQ ldb+40(FP), R12", "\tSHLQ $2, R12",
		"\tMOVQ k+48(FP), CX", "\tLEAQ (DI)(R10*2), R11", "\tLEAQ (SI)(R8*2), R9",
	}
	crow := []string{"(DI)", "(DI)(R10*1)", "(R11)", "(R11)(R10*1)"}
	arow := []string{"(SI)", "(SI)(R8*1)", "(R9)", "(R9)(R8*1)"}
	if trans {
		arow = []string{"(SI)", "4(SI)", "8(SI)", "12(SI)"}
	}
	nacc := rows * nvec
	acc := func(r, v int) string { return fmt.Sprintf("%s%d", R, r*nvec+v) }
	breg := func(v int) string { return fmt.Sprintf("%s%d", R, nacc+v) }
	creg := func(r int) string { return fmt.Sprintf("%s%d", R, nacc+nvec+r) }
	mem := func(base string, off int) string {
		if off != 0 {
			return fmt.Sprintf("%d%s", off, base)
		}
		return base
	}
	for r := 0; r < rows; r++ {
		for v := 0; v < nvec; v++ {
			L = append(L, fmt.Sprintf("\tVMOVUPS %s, %s", mem(crow[r], v*vb), acc(r, v)))
		}
	}
	L = append(L, name+"_loop:", "\tTESTQ CX, CX", "\tJEQ "+name+"_done")
	for v := 0; v < nvec; v++ {
		L = append(L, fmt.Sprintf("\tVMOVUPS %s, %s", mem("(DX)", v*vb), breg(v)))
	}
	for r := 0; r < rows; r++ {
		L = append(L, fmt.Sprintf("\tVBROADCASTSS %s, %s", arow[r], creg(r)))
		for v := 0; v < nvec; v++ {
			L = append(L, fmt.Sprintf("\tVFMADD231PS %s, %s, %s", breg(v), creg(r), acc(r, v)))
		}
	}
	if trans {
		L = append(L, "\tADDQ R8, SI")
	} else {
		L = append(L, "\tADDQ $4, SI", "\tADDQ $4, R9")
	}
	L = append(L, "\tADDQ R12, DX", "\tDECQ CX", "\tJMP "+name+"_loop", name+"_done:")
	for r := 0; r < rows; r++ {
		for v := 0; v < nvec; v++ {
			L = append(L, fmt.Sprintf("\tVMOVUPS %s, %s", acc(r, v), mem(crow[r], v*vb)))
		}
	}
	return name, append(L, "\tVZEROUPPER", "\tRET")
}

// tileShapesAMD64 lists the (rows, vectors of B) shapes of each
// instruction set's tile kernels; each exists plain and transposed.
var tileShapesAMD64 = []struct {
	isa    string
	shapes [][2]int
}{
	{"AVX512", [][2]int{{4, 4}, {1, 4}, {4, 2}, {1, 2}, {4, 1}, {1, 1}}},
	{"AVX2", [][2]int{{4, 2}, {1, 2}, {4, 1}, {1, 1}}},
}

// genTilesAMD64 writes attention_tile_amd64.s.
func genTilesAMD64() {
	L := []string{"//go:build amd64 && !purego", "", "#include \"textflag.h\"", "",
		"// Attention tile kernels (one per shape):",
		"// C[rows x cols] += A[rows x k] * B[k x cols], row-major with leading",
		"// dimensions ldc, lda, ldb in elements. C stays in registers over the k loop;",
		"// each step loads one row of B and broadcasts one element of A per row.", ""}
	for _, s := range tileShapesAMD64 {
		for _, trans := range []bool{false, true} {
			for _, sh := range s.shapes {
				_, code := tileAMD64(s.isa, sh[0], sh[1], trans)
				L = append(L, code...)
				L = append(L, "")
			}
		}
	}
	var o out
	o.b.WriteString(strings.Join(L, "\n"))
	o.save("attention_tile_amd64.s")
}

// scoresAMD64 returns the decode-time score kernel out[j] = q · k_j, four
// keys per pass.
func scoresAMD64(isa string) []string {
	Z := isa == "AVX512"
	R, vb := "Y", 32
	if Z {
		R, vb = "Z", 64
	}
	n := "scores" + isa
	L := []string{fmt.Sprintf("// func %s(q, k *float32, kstride, nk, d int, out *float32)", n),
		fmt.Sprintf("TEXT ·%s(SB), NOSPLIT, $0-48", n),
		"\tMOVQ q+0(FP), SI", "\tMOVQ k+8(FP), DX", "\tMOVQ kstride+16(FP), R8", "\tSHLQ $2, R8",
		"\tMOVQ nk+24(FP), CX", "\tMOVQ d+32(FP), BX", "\tSHLQ $2, BX", "\tMOVQ out+40(FP), DI",
		n + "_four:", "\tCMPQ CX, $4", "\tJLT " + n + "_one",
		"\tLEAQ (DX)(R8*1), R11", "\tLEAQ (DX)(R8*2), R10", "\tLEAQ (R10)(R8*1), R12"}
	for i := 0; i < 4; i++ {
		L = append(L, fmt.Sprintf("\tVXORPS %s%d, %s%d, %s%d", R, i, R, i, R, i))
	}
	L = append(L, "\tXORQ AX, AX", n+"_in4:", fmt.Sprintf("\tVMOVUPS (SI)(AX*1), %s4", R))
	for i, p := range []string{"DX", "R11", "R10", "R12"} {
		L = append(L, fmt.Sprintf("\tVFMADD231PS (%s)(AX*1), %s4, %s%d", p, R, R, i))
	}
	L = append(L, fmt.Sprintf("\tADDQ $%d, AX", vb), "\tCMPQ AX, BX", "\tJLT "+n+"_in4")
	if Z {
		for i := 0; i < 4; i++ {
			L = append(L, fmt.Sprintf("\tVEXTRACTF64X4 $1, Z%d, Y%d", i, i+4), fmt.Sprintf("\tVADDPS Y%d, Y%d, Y%d", i+4, i, i))
		}
	}
	L = append(L, "\tVHADDPS Y1, Y0, Y0", "\tVHADDPS Y3, Y2, Y2", "\tVHADDPS Y2, Y0, Y0",
		"\tVEXTRACTF128 $1, Y0, X1", "\tVADDPS X1, X0, X0", "\tVMOVUPS X0, (DI)",
		"\tADDQ $16, DI", "\tLEAQ (DX)(R8*4), DX", "\tSUBQ $4, CX", "\tJMP "+n+"_four",
		n+"_one:", "\tTESTQ CX, CX", "\tJEQ "+n+"_done", fmt.Sprintf("\tVXORPS %s0, %s0, %s0", R, R, R), "\tXORQ AX, AX",
		n+"_in1:", fmt.Sprintf("\tVMOVUPS (SI)(AX*1), %s4", R), fmt.Sprintf("\tVFMADD231PS (DX)(AX*1), %s4, %s0", R, R),
		fmt.Sprintf("\tADDQ $%d, AX", vb), "\tCMPQ AX, BX", "\tJLT "+n+"_in1")
	if Z {
		L = append(L, "\tVEXTRACTF64X4 $1, Z0, Y1", "\tVADDPS Y1, Y0, Y0")
	}
	return append(L, "\tVEXTRACTF128 $1, Y0, X1", "\tVADDPS X1, X0, X0", "\tVMOVHLPS X0, X0, X1", "\tVADDPS X1, X0, X0",
		"\tVMOVSHDUP X0, X1", "\tVADDSS X1, X0, X0", "\tVMOVSS X0, (DI)",
		"\tADDQ $4, DI", "\tADDQ R8, DX", "\tDECQ CX", "\tJMP "+n+"_one",
		n+"_done:", "\tVZEROUPPER", "\tRET", "")
}

// genScoresAMD64 writes attention_scores_amd64.s.
func genScoresAMD64() {
	L := []string{"//go:build amd64 && !purego", "", "#include \"textflag.h\"", "",
		"// Score kernels for attention rows that are too few to amortize a",
		"// transposed key block (decoding): out[j] = q · k_j for nk keys at",
		"// stride kstride, d a positive multiple of the vector width. Four keys",
		"// share each load of q; their four sums are reduced together.", ""}
	L = append(L, scoresAMD64("AVX512")...)
	L = append(L, scoresAMD64("AVX2")...)
	var o out
	o.b.WriteString(strings.Join(L, "\n"))
	o.save("attention_scores_amd64.s")
}
