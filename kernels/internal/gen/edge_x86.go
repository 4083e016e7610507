package main

import "fmt"

// genEdgeAMD64 writes gemm_edge_amd64.s: the AVX-512 edge micro-kernels
// 8x16 and 8x32 (see kernels/gemm_edge.go), which compute the last, narrow
// B panel of a GEMM whose n is not a multiple of 48.
func genEdgeAMD64() {
	var o out
	w := o.w
	w("//go:build amd64 && !purego\n\n#include \"textflag.h\"")
	for _, nz := range []int{1, 2} { // zmm columns: width 16*nz
		width := 16 * nz
		name := fmt.Sprintf("sgemmKernel8x%dAVX512", width)
		lab := fmt.Sprintf("e%d", width)
		acc := func(r, j int) int { return r*nz + j } // Z0 .. Z(8*nz-1)
		step := func(ao, bo int) {
			for j := 0; j < nz; j++ {
				w("\tVMOVUPS %d(DI), Z%d", bo+64*j, 24+j)
			}
			for r := 0; r < 8; r++ {
				t := 27 + r%3
				w("\tVBROADCASTSS %d(SI), Z%d", ao+4*r, t)
				for j := 0; j < nz; j++ {
					w("\tVFMADD231PS Z%d, Z%d, Z%d", 24+j, t, acc(r, j))
				}
			}
		}
		w("\n// func %s(k int, a, b, c *float32, ldc int, alpha, beta float32)", name)
		w("TEXT ·%s(SB), NOSPLIT, $0-48", name)
		w("\tMOVQ k+0(FP), CX\n\tMOVQ a+8(FP), SI\n\tMOVQ b+16(FP), DI\n\tMOVQ c+24(FP), DX\n\tMOVQ ldc+32(FP), R8\n\tSHLQ $2, R8")
		for r := 0; r < 8*nz; r++ {
			w("\tVPXORD Z%d, Z%d, Z%d", r, r, r)
		}
		w("\tCMPQ CX, $4\n\tJLT  %stail", lab)
		w("%sloop4:", lab)
		for u := 0; u < 4; u++ {
			step(32*u, 4*width*u)
		}
		w("\tADDQ $128, SI\n\tADDQ $%d, DI\n\tSUBQ $4, CX\n\tCMPQ CX, $4\n\tJGE  %sloop4", 16*width, lab)
		w("%stail:\n\tTESTQ CX, CX\n\tJZ    %sstore", lab, lab)
		w("%sloop1:", lab)
		step(0, 0)
		w("\tADDQ $32, SI\n\tADDQ $%d, DI\n\tDECQ CX\n\tJNZ  %sloop1", 4*width, lab)
		w("%sstore:", lab)
		w("\tVBROADCASTSS alpha+40(FP), Z30\n\tMOVL beta+44(FP), AX\n\tTESTL $0x7fffffff, AX\n\tJZ   %sbeta0", lab)
		w("\tVBROADCASTSS beta+44(FP), Z31")
		for r := 0; r < 8; r++ {
			for j := 0; j < nz; j++ {
				z := acc(r, j)
				w("\tVMULPS Z30, Z%d, Z%d\n\tVFMADD231PS %d(DX), Z31, Z%d\n\tVMOVUPS Z%d, %d(DX)", z, z, 64*j, z, z, 64*j)
			}
			if r < 7 {
				w("\tADDQ R8, DX")
			}
		}
		w("\tVZEROUPPER\n\tRET")
		w("%sbeta0:", lab)
		for r := 0; r < 8; r++ {
			for j := 0; j < nz; j++ {
				z := acc(r, j)
				w("\tVMULPS Z30, Z%d, Z%d\n\tVMOVUPS Z%d, %d(DX)", z, z, z, 64*j)
			}
			if r < 7 {
				w("\tADDQ R8, DX")
			}
		}
		w("\tVZEROUPPER\n\tRET")
	}
	o.save("gemm_edge_amd64.s")
}
