package main

import "fmt"

type elem struct {
	name  string
	size  int
	shift int
}

var elems = []elem{{"F32", 4, 2}, {"BF16", 2, 1}, {"F16", 2, 1}}

// load widens one vector of e at mem into register r.
func load(e elem, mem, r string) []string {
	switch e.name {
	case "F32":
		return []string{fmt.Sprintf("VMOVUPS %s, %s", mem, r)}
	case "BF16":
		return []string{fmt.Sprintf("VPMOVZXWD %s, %s", mem, r), fmt.Sprintf("VPSLLD $16, %s, %s", r, r)}
	}
	return []string{fmt.Sprintf("VCVTPH2PS %s, %s", mem, r)}
}

func genPackAMD64() {
	var o out
	o.w("//go:build amd64 && !purego\n\n#include \"textflag.h\"\n")
	o.w("// Transposing packers for B stored n×k (transB): dst[p*nr+c] = src[c*ld+p] for c < nr, p < kl,")
	o.w("// nr and kl multiples of 8, in 8×8 blocks transposed in ymm registers (AVX2). The BF16/F16")
	o.w("// variants widen 16-bit sources to f32 on the way.\n")
	for _, e := range elems {
		name := "packBTrans" + e.name + "AVX2"
		L := name
		o.w("// func %s(dst *float32, nr int, src unsafe.Pointer, ld, kl int)", name)
		o.w("TEXT ·%s(SB), NOSPLIT, $0-40", name)
		o.w("\tMOVQ dst+0(FP), DI\n\tMOVQ nr+8(FP), R9\n\tMOVQ src+16(FP), SI\n\tMOVQ ld+24(FP), R8")
		o.w("\tSHLQ $%d, R8\n\tMOVQ kl+32(FP), CX\n\tMOVQ R9, R11\n\tSHLQ $2, R11 // dst row stride in bytes", e.shift)
		o.w("\tLEAQ (R8)(R8*2), R13 // 3*ld")
		o.w("\tTESTQ CX, CX\n\tJZ %s_done\n\tMOVQ R9, BX // columns left", L)
		o.w("%s_c:\n\tCMPQ BX, $8\n\tJLT %s_done", L, L)
		o.w("\tMOVQ SI, AX // source: rows c..c+7, depth p\n\tMOVQ DI, DX // dst: depth p, columns c..c+7\n\tMOVQ CX, R9")
		o.w("%s_p:", L)
		o.w("\tLEAQ (AX)(R8*4), R12")
		mems := []string{"(AX)", "(AX)(R8*1)", "(AX)(R8*2)", "(AX)(R13*1)", "(R12)", "(R12)(R8*1)", "(R12)(R8*2)", "(R12)(R13*1)"}
		for i, m := range mems {
			for _, ins := range load(e, m, fmt.Sprintf("Y%d", i)) {
				o.w("\t%s", ins)
			}
		}
		for _, p := range [][3]int{{0, 1, 8}, {2, 3, 10}, {4, 5, 12}, {6, 7, 14}} {
			o.w("\tVUNPCKLPS Y%d, Y%d, Y%d", p[1], p[0], p[2])
			o.w("\tVUNPCKHPS Y%d, Y%d, Y%d", p[1], p[0], p[2]+1)
		}
		o.w("\tVSHUFPS $0x44, Y10, Y8, Y0\n\tVSHUFPS $0xEE, Y10, Y8, Y1\n\tVSHUFPS $0x44, Y11, Y9, Y2\n\tVSHUFPS $0xEE, Y11, Y9, Y3")
		o.w("\tVSHUFPS $0x44, Y14, Y12, Y4\n\tVSHUFPS $0xEE, Y14, Y12, Y5\n\tVSHUFPS $0x44, Y15, Y13, Y6\n\tVSHUFPS $0xEE, Y15, Y13, Y7")
		o.w("\tLEAQ (DX)(R11*4), R10")
		for q := 0; q < 8; q++ {
			if q < 4 {
				o.w("\tVPERM2F128 $0x20, Y%d, Y%d, Y%d", q+4, q, 8+q)
			} else {
				o.w("\tVPERM2F128 $0x31, Y%d, Y%d, Y%d", q, q-4, 8+q)
			}
		}
		o.w("\tLEAQ (R11)(R11*2), R14")
		o.w("\tVMOVUPS Y8, (DX)\n\tVMOVUPS Y9, (DX)(R11*1)\n\tVMOVUPS Y10, (DX)(R11*2)\n\tVMOVUPS Y11, (DX)(R14*1)")
		o.w("\tVMOVUPS Y12, (R10)\n\tVMOVUPS Y13, (R10)(R11*1)\n\tVMOVUPS Y14, (R10)(R11*2)\n\tVMOVUPS Y15, (R10)(R14*1)")
		o.w("\tADDQ $%d, AX\n\tLEAQ (DX)(R11*8), DX\n\tSUBQ $8, R9\n\tJNZ %s_p", 8*e.size, L)
		o.w("\tLEAQ (SI)(R8*8), SI\n\tADDQ $32, DI\n\tSUBQ $8, BX\n\tJMP %s_c", L)
		o.w("%s_done:\n\tVZEROUPPER\n\tRET\n", L)
	}
	o.save("gemm_pack_amd64.s")
}
