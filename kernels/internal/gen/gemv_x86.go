package main

import "fmt"

func genGemvAMD64() {
	var o out
	o.w("//go:build amd64 && !purego\n\n#include \"textflag.h\"\n")
	o.w("// Bandwidth-tuned GEMV kernels. Rows kernels: out[r] = dot(x[:k], w[r*ldw:][:k]) for r < rows,")
	o.w("// k a multiple of the vector width. Cols kernels: acc[j] += sum_p x[p]*b[p*ldb+j] for j < n,")
	o.w("// n a multiple of the vector width. Weights are f32, bf16 or f16 (widened in registers).\n")
	for _, isa := range []string{"AVX512", "AVX2"} {
		for _, e := range elems {
			gemvRows(&o, e, isa)
			gemvCols(&o, e, isa)
		}
	}
	o.save("gemv_amd64.s")

	var o4 out
	o4.w("//go:build amd64 && !purego\n\n#include \"textflag.h\"\n")
	o4.w("// Small-m GEMV kernels (C = X*W^T with W stored [N,K], m <= 4 rows of X per call):")
	o4.w("// out[r*4+i] = dot(x4[:, i], w[r*ldw:][:k]) for r < rows, i < 4, where x4 holds the 4 rows")
	o4.w("// of X interleaved in 16-float chunks (chunk c of row i at (4c+i)*16). W is read once for")
	o4.w("// all 4 rows. k is a multiple of 16. AVX-512: 4 rows of W x 4 rows of X per step (16 zmm")
	o4.w("// accumulators); AVX2: 2 rows of W x 4 rows of X (8 ymm accumulators), two 8-float halves.\n")
	for _, e := range elems {
		gemvRows4(&o4, e)
	}
	for _, e := range elems {
		gemvRows4AVX2(&o4, e)
	}
	o4.save("gemv_rows4_amd64.s")
}

// gemvRows4 emits the AVX-512 small-m kernel for weights e: 4 rows of W
// times 4 interleaved rows of X, 16 zmm accumulators.
func gemvRows4(o *out, e elem) {
	WB := 16 * e.size
	name := "gemvRows4x" + e.name + "AVX512"
	L := name
	emit := func(ins []string) {
		for _, s := range ins {
			o.w("\t%s", s)
		}
	}
	reduce := func(r, off int) {
		o.w("\tVEXTRACTF64X4 $1, Z%d, Y30", r)
		o.w("\tVADDPS Y30, Y%d, Y%d", r, r)
		o.w("\tVEXTRACTF32X4 $1, Y%d, X30", r)
		o.w("\tVADDPS X30, X%d, X%d", r, r)
		o.w("\tVMOVHLPS X%d, X%d, X30", r, r)
		o.w("\tVADDPS X30, X%d, X%d", r, r)
		o.w("\tVMOVSHDUP X%d, X30", r)
		o.w("\tVADDSS X30, X%d, X%d", r, r)
		o.w("\tVMOVSS X%d, %d(R10)", r, off)
	}
	ptrs := []string{"DI", "R12", "R13", "R14"}
	o.w("// func %s(k int, x4 *float32, w unsafe.Pointer, ldw, rows int, out *float32)", name)
	o.w("TEXT ·%s(SB), NOSPLIT, $0-48", name)
	o.w("\tMOVQ k+0(FP), CX\n\tMOVQ x4+8(FP), SI\n\tMOVQ w+16(FP), DI\n\tMOVQ ldw+24(FP), R8")
	o.w("\tSHLQ $%d, R8\n\tMOVQ rows+32(FP), R9\n\tMOVQ out+40(FP), R10", e.shift)
	o.w("%s_r4:\n\tCMPQ R9, $4\n\tJLT %s_r1", L, L)
	o.w("\tLEAQ (DI)(R8*1), R12\n\tLEAQ (R12)(R8*1), R13\n\tLEAQ (R13)(R8*1), R14")
	for i := 0; i < 16; i++ {
		o.w("\tVPXORD Z%d, Z%d, Z%d", i, i, i)
	}
	o.w("\tXORQ AX, AX\n\tXORQ DX, DX\n\tMOVQ CX, BX")
	o.w("%s_r4k:\n\tTESTQ BX, BX\n\tJZ %s_r4red", L, L)
	for i := 0; i < 4; i++ {
		o.w("\tVMOVUPS %d(SI)(AX*1), Z%d", 64*i, 16+i)
	}
	for r, p := range ptrs {
		emit(load(e, fmt.Sprintf("(%s)(DX*1)", p), fmt.Sprintf("Z%d", 20+r)))
		for i := 0; i < 4; i++ {
			o.w("\tVFMADD231PS Z%d, Z%d, Z%d", 20+r, 16+i, 4*i+r)
		}
	}
	o.w("\tADDQ $256, AX\n\tADDQ $%d, DX\n\tSUBQ $16, BX\n\tJMP %s_r4k", WB, L)
	o.w("%s_r4red:", L)
	for i := 0; i < 4; i++ {
		for r := 0; r < 4; r++ {
			reduce(4*i+r, 4*(4*r+i))
		}
	}
	o.w("\tLEAQ (DI)(R8*4), DI\n\tADDQ $64, R10\n\tSUBQ $4, R9\n\tJMP %s_r4", L)
	o.w("%s_r1:\n\tTESTQ R9, R9\n\tJZ %s_done", L, L)
	o.w("%s_r1row:", L)
	for i := 0; i < 4; i++ {
		o.w("\tVPXORD Z%d, Z%d, Z%d", i, i, i)
	}
	o.w("\tXORQ AX, AX\n\tXORQ DX, DX\n\tMOVQ CX, BX")
	o.w("%s_r1k:\n\tTESTQ BX, BX\n\tJZ %s_r1red", L, L)
	emit(load(e, "(DI)(DX*1)", "Z20"))
	for i := 0; i < 4; i++ {
		o.w("\tVFMADD231PS %d(SI)(AX*1), Z20, Z%d", 64*i, i)
	}
	o.w("\tADDQ $256, AX\n\tADDQ $%d, DX\n\tSUBQ $16, BX\n\tJMP %s_r1k", WB, L)
	o.w("%s_r1red:", L)
	for i := 0; i < 4; i++ {
		reduce(i, 4*i)
	}
	o.w("\tADDQ R8, DI\n\tADDQ $16, R10\n\tDECQ R9\n\tJNZ %s_r1row", L)
	o.w("%s_done:\n\tVZEROUPPER\n\tRET\n", L)
}

// gemvRows8 emits the AVX-512 8-row block of a rows kernel: eight weight
// rows stream at once (eight hardware prefetch streams per core, against
// four in the 4-row block: measured 17-20 -> 19-23 GB/s on one Zen 4 core),
// each row summed exactly as the 4-row block sums it (even vectors in one
// accumulator, odd in another, tail into the first, then the same
// reduction), so the result does not depend on which block served a row.
// Accumulators Z0-Z15 (row r: Z(r), Z(r+8)), x in Z16/Z17, weights Z18-Z25.
func gemvRows8(o *out, e elem, L string, zero func(int), reduce func(r, off int), emit func([]string)) {
	W := 16
	VB, WB := W*4, W*e.size
	// Row r of the block at base+(r%4)*ldw with base DI (rows 0-3) or R12 =
	// DI+4*ldw (rows 4-7); both bases advance along k. R11 = 3*ldw, R13 keeps
	// the block start.
	mem := func(r, off int) string {
		base := "DI"
		if r >= 4 {
			base = "R12"
		}
		switch r % 4 {
		case 0:
			return fmt.Sprintf("%d(%s)", off, base)
		case 1:
			return fmt.Sprintf("%d(%s)(R8*1)", off, base)
		case 2:
			return fmt.Sprintf("%d(%s)(R8*2)", off, base)
		}
		return fmt.Sprintf("%d(%s)(R11*1)", off, base)
	}
	o.w("\tLEAQ (R8)(R8*2), R11")
	o.w("%s_r8:\n\tCMPQ R9, $8\n\tJLT %s_r4", L, L)
	o.w("\tMOVQ DI, R13\n\tLEAQ (DI)(R8*4), R12")
	for i := 0; i < 16; i++ {
		zero(i)
	}
	o.w("\tXORQ AX, AX\n\tMOVQ CX, BX")
	o.w("%s_r8k2:\n\tCMPQ BX, $%d\n\tJLT %s_r8k1", L, 2*W, L)
	o.w("\tVMOVUPS (SI)(AX*1), Z16\n\tVMOVUPS %d(SI)(AX*1), Z17", VB)
	for u := 0; u < 2; u++ {
		for r := 0; r < 8; r++ {
			t := fmt.Sprintf("Z%d", 18+r)
			emit(load(e, mem(r, u*WB), t))
			o.w("\tVFMADD231PS %s, Z%d, Z%d", t, 16+u, r+8*u)
		}
	}
	o.w("\tADDQ $%d, AX\n\tADDQ $%d, DI\n\tADDQ $%d, R12\n\tSUBQ $%d, BX\n\tJMP %s_r8k2", 2*VB, 2*WB, 2*WB, 2*W, L)
	o.w("%s_r8k1:\n\tTESTQ BX, BX\n\tJZ %s_r8red", L, L)
	o.w("\tVMOVUPS (SI)(AX*1), Z16")
	for r := 0; r < 8; r++ {
		t := fmt.Sprintf("Z%d", 18+r)
		emit(load(e, mem(r, 0), t))
		o.w("\tVFMADD231PS %s, Z16, Z%d", t, r)
	}
	o.w("%s_r8red:", L)
	for r := 0; r < 8; r++ {
		o.w("\tVADDPS Z%d, Z%d, Z%d", r+8, r, r)
		reduce(r, 4*r)
	}
	o.w("\tLEAQ (R13)(R8*8), DI\n\tADDQ $32, R10\n\tSUBQ $8, R9\n\tJMP %s_r8", L)
}

func gemvRows(o *out, e elem, isa string) {
	W, R, tmp := 8, "Y", "15"
	if isa == "AVX512" {
		W, R, tmp = 16, "Z", "30"
	}
	VB, WB := W*4, W*e.size
	name := "gemvRows" + e.name + isa
	L := name
	zero := func(i int) {
		if isa == "AVX2" {
			o.w("\tVXORPS Y%d, Y%d, Y%d", i, i, i)
		} else {
			o.w("\tVPXORD Z%d, Z%d, Z%d", i, i, i)
		}
	}
	reduce := func(r, off int) {
		if isa == "AVX512" {
			o.w("\tVEXTRACTF64X4 $1, Z%d, Y%s", r, tmp)
			o.w("\tVADDPS Y%s, Y%d, Y%d", tmp, r, r)
			o.w("\tVEXTRACTF32X4 $1, Y%d, X%s", r, tmp)
		} else {
			o.w("\tVEXTRACTF128 $1, Y%d, X%s", r, tmp)
		}
		o.w("\tVADDPS X%s, X%d, X%d", tmp, r, r)
		o.w("\tVMOVHLPS X%d, X%d, X%s", r, r, tmp)
		o.w("\tVADDPS X%s, X%d, X%d", tmp, r, r)
		o.w("\tVMOVSHDUP X%d, X%s", r, tmp)
		o.w("\tVADDSS X%s, X%d, X%d", tmp, r, r)
		o.w("\tVMOVSS X%d, %d(R10)", r, off)
	}
	emit := func(ins []string) {
		for _, s := range ins {
			o.w("\t%s", s)
		}
	}
	ptrs := []string{"DI", "R12", "R13", "R14"}
	xr := []string{"Y8", "Y9"}
	wt := []string{"Y10", "Y11", "Y12", "Y13", "Y10", "Y11", "Y12", "Y13"}
	if isa == "AVX512" {
		xr = []string{"Z16", "Z17"}
		wt = nil
		for i := 0; i < 8; i++ {
			wt = append(wt, fmt.Sprintf("Z%d", 18+i))
		}
	}
	o.w("// func %s(k int, x *float32, w unsafe.Pointer, ldw, rows int, out *float32)", name)
	o.w("TEXT ·%s(SB), NOSPLIT, $0-48", name)
	o.w("\tMOVQ k+0(FP), CX\n\tMOVQ x+8(FP), SI\n\tMOVQ w+16(FP), DI\n\tMOVQ ldw+24(FP), R8")
	o.w("\tSHLQ $%d, R8\n\tMOVQ rows+32(FP), R9\n\tMOVQ out+40(FP), R10", e.shift)
	if isa == "AVX512" {
		gemvRows8(o, e, L, zero, reduce, emit)
	}
	o.w("%s_r4:\n\tCMPQ R9, $4\n\tJLT %s_r1", L, L)
	o.w("\tLEAQ (DI)(R8*1), R12\n\tLEAQ (R12)(R8*1), R13\n\tLEAQ (R13)(R8*1), R14")
	for i := 0; i < 8; i++ {
		zero(i)
	}
	o.w("\tXORQ AX, AX\n\tXORQ DX, DX\n\tMOVQ CX, BX")
	o.w("%s_r4k2:\n\tCMPQ BX, $%d\n\tJLT %s_r4k1", L, 2*W, L)
	o.w("\tVMOVUPS (SI)(AX*1), %s\n\tVMOVUPS %d(SI)(AX*1), %s", xr[0], VB, xr[1])
	for r, p := range ptrs {
		for u := 0; u < 2; u++ {
			t := wt[r*2+u]
			emit(load(e, fmt.Sprintf("%d(%s)(DX*1)", u*WB, p), t))
			o.w("\tVFMADD231PS %s, %s, %s%d", t, xr[u], R, r+4*u)
		}
	}
	o.w("\tADDQ $%d, AX\n\tADDQ $%d, DX\n\tSUBQ $%d, BX\n\tJMP %s_r4k2", 2*VB, 2*WB, 2*W, L)
	o.w("%s_r4k1:\n\tTESTQ BX, BX\n\tJZ %s_r4red", L, L)
	o.w("\tVMOVUPS (SI)(AX*1), %s", xr[0])
	for r, p := range ptrs {
		t := wt[r*2]
		emit(load(e, fmt.Sprintf("(%s)(DX*1)", p), t))
		o.w("\tVFMADD231PS %s, %s, %s%d", t, xr[0], R, r)
	}
	o.w("%s_r4red:", L)
	for r := 0; r < 4; r++ {
		o.w("\tVADDPS %s%d, %s%d, %s%d", R, r+4, R, r, R, r)
		reduce(r, 4*r)
	}
	o.w("\tLEAQ (DI)(R8*4), DI\n\tADDQ $16, R10\n\tSUBQ $4, R9\n\tJMP %s_r4", L)
	o.w("%s_r1:\n\tTESTQ R9, R9\n\tJZ %s_done", L, L)
	o.w("%s_r1row:", L)
	zero(0)
	zero(4)
	o.w("\tXORQ AX, AX\n\tXORQ DX, DX\n\tMOVQ CX, BX")
	o.w("%s_r1k2:\n\tCMPQ BX, $%d\n\tJLT %s_r1k1", L, 2*W, L)
	o.w("\tVMOVUPS (SI)(AX*1), %s\n\tVMOVUPS %d(SI)(AX*1), %s", xr[0], VB, xr[1])
	for u := 0; u < 2; u++ {
		t := wt[u]
		emit(load(e, fmt.Sprintf("%d(DI)(DX*1)", u*WB), t))
		o.w("\tVFMADD231PS %s, %s, %s%d", t, xr[u], R, 4*u)
	}
	o.w("\tADDQ $%d, AX\n\tADDQ $%d, DX\n\tSUBQ $%d, BX\n\tJMP %s_r1k2", 2*VB, 2*WB, 2*W, L)
	o.w("%s_r1k1:\n\tTESTQ BX, BX\n\tJZ %s_r1red", L, L)
	o.w("\tVMOVUPS (SI)(AX*1), %s", xr[0])
	emit(load(e, "(DI)(DX*1)", wt[0]))
	o.w("\tVFMADD231PS %s, %s, %s0", wt[0], xr[0], R)
	o.w("%s_r1red:", L)
	o.w("\tVADDPS %s4, %s0, %s0", R, R, R)
	reduce(0, 0)
	o.w("\tADDQ R8, DI\n\tADDQ $4, R10\n\tDECQ R9\n\tJNZ %s_r1row", L)
	o.w("%s_done:\n\tVZEROUPPER\n\tRET\n", L)
}

func gemvCols(o *out, e elem, isa string) {
	W, R := 8, "Y"
	xb := []string{"Y12", "Y13", "Y14", "Y15"}
	bt := []string{"Y1", "Y2", "Y3", "Y4"}
	if isa == "AVX512" {
		W, R = 16, "Z"
		xb = []string{"Z28", "Z29", "Z30", "Z31"}
		bt = []string{"Z1", "Z2", "Z3", "Z4"}
	}
	VB, WB := W*4, W*e.size
	name := "gemvCols" + e.name + isa
	L := name
	emit := func(ins []string) {
		for _, s := range ins {
			o.w("\t%s", s)
		}
	}
	ptrs := []string{"DI", "R12", "R13", "R14"}
	o.w("// func %s(k, n int, x *float32, b unsafe.Pointer, ldb int, acc *float32)", name)
	o.w("TEXT ·%s(SB), NOSPLIT, $0-48", name)
	o.w("\tMOVQ k+0(FP), CX\n\tMOVQ n+8(FP), R9\n\tMOVQ x+16(FP), SI\n\tMOVQ b+24(FP), DI\n\tMOVQ ldb+32(FP), R8")
	o.w("\tSHLQ $%d, R8\n\tMOVQ acc+40(FP), R10", e.shift)
	o.w("%s_c4:\n\tCMPQ CX, $4\n\tJLT %s_c1", L, L)
	o.w("\tLEAQ (DI)(R8*1), R12\n\tLEAQ (R12)(R8*1), R13\n\tLEAQ (R13)(R8*1), R14")
	for i := 0; i < 4; i++ {
		o.w("\tVBROADCASTSS %d(SI), %s", 4*i, xb[i])
	}
	o.w("\tXORQ AX, AX\n\tXORQ DX, DX\n\tMOVQ R9, BX")
	o.w("%s_c4j:\n\tTESTQ BX, BX\n\tJZ %s_c4next", L, L)
	o.w("\tVMOVUPS (R10)(AX*1), %s0", R)
	for i, p := range ptrs {
		emit(load(e, fmt.Sprintf("(%s)(DX*1)", p), bt[i]))
	}
	o.w("\tVFMADD231PS %s, %s, %s0", bt[0], xb[0], R)
	o.w("\tVMULPS %s, %s, %s5", bt[1], xb[1], R)
	o.w("\tVFMADD231PS %s, %s, %s0", bt[2], xb[2], R)
	o.w("\tVFMADD231PS %s, %s, %s5", bt[3], xb[3], R)
	o.w("\tVADDPS %s5, %s0, %s0", R, R, R)
	o.w("\tVMOVUPS %s0, (R10)(AX*1)", R)
	o.w("\tADDQ $%d, AX\n\tADDQ $%d, DX\n\tSUBQ $%d, BX\n\tJMP %s_c4j", VB, WB, W, L)
	o.w("%s_c4next:\n\tLEAQ (DI)(R8*4), DI\n\tADDQ $16, SI\n\tSUBQ $4, CX\n\tJMP %s_c4", L, L)
	o.w("%s_c1:\n\tTESTQ CX, CX\n\tJZ %s_done", L, L)
	o.w("%s_c1row:\n\tVBROADCASTSS (SI), %s", L, xb[0])
	o.w("\tXORQ AX, AX\n\tXORQ DX, DX\n\tMOVQ R9, BX")
	o.w("%s_c1j:\n\tTESTQ BX, BX\n\tJZ %s_c1next", L, L)
	o.w("\tVMOVUPS (R10)(AX*1), %s0", R)
	emit(load(e, "(DI)(DX*1)", bt[0]))
	o.w("\tVFMADD231PS %s, %s, %s0", bt[0], xb[0], R)
	o.w("\tVMOVUPS %s0, (R10)(AX*1)", R)
	o.w("\tADDQ $%d, AX\n\tADDQ $%d, DX\n\tSUBQ $%d, BX\n\tJMP %s_c1j", VB, WB, W, L)
	o.w("%s_c1next:\n\tADDQ R8, DI\n\tADDQ $4, SI\n\tDECQ CX\n\tJNZ %s_c1row", L, L)
	o.w("%s_done:\n\tVZEROUPPER\n\tRET\n", L)
}

// gemvRows4AVX2 emits the AVX2 small-m kernel: 2 rows of W times the 4
// interleaved rows of X (8 ymm accumulators), each 16-float chunk in two
// halves; a single-row tail.
func gemvRows4AVX2(o *out, e elem) {
	WB := 16 * e.size
	HB := 8 * e.size
	name := "gemvRows4x" + e.name + "AVX2"
	L := name
	emit := func(ins []string) {
		for _, s := range ins {
			o.w("\t%s", s)
		}
	}
	reduce := func(r, off int) {
		o.w("\tVEXTRACTF128 $1, Y%d, X15", r)
		o.w("\tVADDPS X15, X%d, X%d", r, r)
		o.w("\tVMOVHLPS X%d, X%d, X15", r, r)
		o.w("\tVADDPS X15, X%d, X%d", r, r)
		o.w("\tVMOVSHDUP X%d, X15", r)
		o.w("\tVADDSS X15, X%d, X%d", r, r)
		o.w("\tVMOVSS X%d, %d(R10)", r, off)
	}
	o.w("// func %s(k int, x4 *float32, w unsafe.Pointer, ldw, rows int, out *float32)", name)
	o.w("TEXT ·%s(SB), NOSPLIT, $0-48", name)
	o.w("\tMOVQ k+0(FP), CX\n\tMOVQ x4+8(FP), SI\n\tMOVQ w+16(FP), DI\n\tMOVQ ldw+24(FP), R8")
	o.w("\tSHLQ $%d, R8\n\tMOVQ rows+32(FP), R9\n\tMOVQ out+40(FP), R10", e.shift)
	o.w("%s_r2:\n\tCMPQ R9, $2\n\tJLT %s_r1", L, L)
	o.w("\tLEAQ (DI)(R8*1), R12")
	for i := 0; i < 8; i++ {
		o.w("\tVXORPS Y%d, Y%d, Y%d", i, i, i)
	}
	o.w("\tXORQ AX, AX\n\tXORQ DX, DX\n\tMOVQ CX, BX")
	o.w("%s_r2k:\n\tTESTQ BX, BX\n\tJZ %s_r2red", L, L)
	for h := 0; h < 2; h++ {
		for r, p := range []string{"DI", "R12"} {
			emit(load(e, fmt.Sprintf("%d(%s)(DX*1)", h*HB, p), fmt.Sprintf("Y%d", 12+r)))
		}
		for i := 0; i < 4; i++ {
			o.w("\tVMOVUPS %d(SI)(AX*1), Y%d", 64*i+32*h, 8+i)
			for r := 0; r < 2; r++ {
				o.w("\tVFMADD231PS Y%d, Y%d, Y%d", 12+r, 8+i, 2*i+r)
			}
		}
	}
	o.w("\tADDQ $256, AX\n\tADDQ $%d, DX\n\tSUBQ $16, BX\n\tJMP %s_r2k", WB, L)
	o.w("%s_r2red:", L)
	for i := 0; i < 4; i++ {
		for r := 0; r < 2; r++ {
			reduce(2*i+r, 4*(4*r+i))
		}
	}
	o.w("\tLEAQ (DI)(R8*2), DI\n\tADDQ $32, R10\n\tSUBQ $2, R9\n\tJMP %s_r2", L)
	o.w("%s_r1:\n\tTESTQ R9, R9\n\tJZ %s_done", L, L)
	for i := 0; i < 4; i++ {
		o.w("\tVXORPS Y%d, Y%d, Y%d", i, i, i)
	}
	o.w("\tXORQ AX, AX\n\tXORQ DX, DX\n\tMOVQ CX, BX")
	o.w("%s_r1k:\n\tTESTQ BX, BX\n\tJZ %s_r1red", L, L)
	for h := 0; h < 2; h++ {
		emit(load(e, fmt.Sprintf("%d(DI)(DX*1)", h*HB), "Y12"))
		for i := 0; i < 4; i++ {
			o.w("\tVFMADD231PS %d(SI)(AX*1), Y12, Y%d", 64*i+32*h, i)
		}
	}
	o.w("\tADDQ $256, AX\n\tADDQ $%d, DX\n\tSUBQ $16, BX\n\tJMP %s_r1k", WB, L)
	o.w("%s_r1red:", L)
	for i := 0; i < 4; i++ {
		reduce(i, 4*i)
	}
	o.w("%s_done:\n\tVZEROUPPER\n\tRET\n", L)
}
