package main

import "strings"

// genQuantAMD64 writes quant_amd64.s: the quantized row kernels (dot
// products of weight rows in llama.cpp's block formats with an activation
// row quantized to 8 bits, see quant_dot.go for the activation records)
// and the dequantizers, for AVX2 and for AVX-512 VNNI (the same 256-bit
// code with VPDPBUSD/VPDPWSSD in place of the VPMADDUBSW/VPMADDWD pairs;
// EVEX-encoded, so it needs AVX512_VNNI with AVX512VL).
//
// Row kernels: func(nb int, w *byte, ldw, rows int, act *byte, out *float32)
// with nb >= 1 blocks per row, row r of the weights at w + r*ldw.
func genQuantAMD64() {
	var o out
	o.w("//go:build amd64 && !purego\n\n#include \"textflag.h\"\n")
	o.w("// Quantized row kernels and dequantizers (see quant_dot.go and quant_amd64.go).\n")
	quantConsts(&o)
	qRowsQ4KZ(&o)
	for _, isa := range []string{"VNNI", "AVX2"} {
		qRowsQ32(&o, "Q8_0", isa)
		qRowsQ32(&o, "Q4_0", isa)
		if isa == "AVX2" { // the VNNI path takes qRowsQ4KZMM
			qRowsQ4K(&o, isa)
		}
		qRowsQ6K(&o, isa)
	}
	qDequant(&o)
	o.save("quant_amd64.s")
}

// quantConsts emits the byte tables (16 bytes each) of the K kernels.
func quantConsts(o *out) {
	table := func(name string, rows [][]byte) {
		for i, r := range rows {
			for j := 0; j < 16; j += 8 {
				var v uint64
				for b := 7; b >= 0; b-- {
					v = v<<8 | uint64(r[j+b])
				}
				o.w("DATA %s<>+%d(SB)/8, $0x%016x", name, 16*i+j, v)
			}
		}
		o.w("GLOBL %s<>(SB), RODATA|NOPTR, $%d\n", name, 16*len(rows))
	}
	rep := func(vals ...int) []byte { // vals: (count, value) pairs
		var b []byte
		for i := 0; i < len(vals); i += 2 {
			for j := 0; j < vals[i]; j++ {
				b = append(b, byte(vals[i+1]))
			}
		}
		return b
	}
	o.w("// Q4_K scale unpacking: bytes 4..15 of a block (12 scale bytes + 4 of qs) ->")
	o.w("// [sc0..sc7, m0..m7]: shuffles A and B, masks M1 (low bits), M2 (high nibble), M3 (top bits).")
	table("q4kUnpack", [][]byte{
		{0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11},
		{0x80, 0x80, 0x80, 0x80, 0, 1, 2, 3, 0x80, 0x80, 0x80, 0x80, 4, 5, 6, 7},
		rep(4, 63, 4, 15, 4, 63, 4, 0),
		rep(12, 0, 4, 15),
		rep(4, 0, 4, 0x30, 4, 0, 4, 0x30),
	})
	var bc, q6 [][]byte
	for s := 0; s < 8; s++ {
		bc = append(bc, rep(16, s))
		q6 = append(q6, rep(8, 2*s, 8, 2*s+1))
	}
	var perm [][]byte
	for j := 0; j < 4; j++ {
		var w []byte
		for l := 0; l < 32; l++ {
			v := 2*j + l/16
			w = append(w, byte(v), 0)
		}
		perm = append(perm, w[:16], w[16:32], w[32:48], w[48:64])
	}
	o.w("// Q4_K (512-bit kernel): VPERMW indices, words 0-15 = 2j and 16-31 = 2j+1, j = 0..3.")
	table("q4kPerm", perm)
	o.w("// Q4_K: scale s of [sc0..sc7] in every byte (s = 0..7).")
	table("q4kBcast", bc)
	o.w("// Q6_K: scales 2s and 2s+1 each in 8 bytes (s = 0..7).")
	table("q6kPair", q6)
}

// qArgs loads the row-kernel arguments: nb CX, w DI, ldw R8, rows BX,
// act SI, out R9.
func qArgs(o *out, name string) {
	o.w("// func %s(nb int, w *byte, ldw, rows int, act *byte, out *float32)", name)
	o.w("TEXT ·%s(SB), NOSPLIT, $0-48", name)
	o.w("\tMOVQ nb+0(FP), CX\n\tMOVQ w+8(FP), DI\n\tMOVQ ldw+16(FP), R8\n\tMOVQ rows+24(FP), BX")
	o.w("\tMOVQ act+32(FP), SI\n\tMOVQ out+40(FP), R9")
}

// bcast32 fills Y<reg> with the 32-bit pattern v.
func bcast32(o *out, reg int, v uint32) {
	o.w("\tMOVL $0x%08x, AX\n\tVMOVD AX, X%d\n\tVPBROADCASTD X%d, Y%d", v, reg, reg, reg)
}

// hsum stores the sum of the 8 floats of Y<r> at off(R9) (clobbers X<t>).
func hsum(o *out, r, t, off int) {
	o.w("\tVEXTRACTF128 $1, Y%d, X%d\n\tVADDPS X%d, X%d, X%d", r, t, t, r, r)
	o.w("\tVMOVHLPS X%d, X%d, X%d\n\tVADDPS X%d, X%d, X%d", r, r, t, t, r, r)
	o.w("\tVMOVSHDUP X%d, X%d\n\tVADDSS X%d, X%d, X%d", r, t, t, r, r)
	o.w("\tVMOVSS X%d, %d(R9)", r, off)
}

// qRowsQ32 emits the Q8_0 or Q4_0 row kernel, one row at a time (a 4-row
// pass streamed Q8_0 weights from DRAM at 8.3 GB/s on one Zen 5 core, one
// row at a time at 19.0: see TUNING_LOG.md). Activation record per block (96 bytes): 32 int8 values,
// 8 int32 seed lanes (the VNNI correction, see qAct), 8 copies of the
// f32 scale. Per block and row: the block's int32 lanes (VNNI: seeded
// VPDPBUSD on the weights made unsigned; AVX2: VPSIGNB, VPMADDUBSW and
// VPMADDWD with ones, Q4_0 adding the seed), converted to float and
// multiplied by dw*dy into the row's 8 accumulator lanes; one horizontal
// sum per row at the end.
// Registers: Y0-Y3 accumulators, Y4 values, Y5 seeds, Y6-Y9 and Y10-Y13
// per-row temporaries, Y14 int16 ones (AVX2), Y15 byte mask (0x80 for
// Q8_0, 0x0F for Q4_0).
func qRowsQ32(o *out, typ, isa string) {
	name := "qRows" + strings.ReplaceAll(typ, "_", "") + isa
	bb := 34
	if typ == "Q4_0" {
		bb = 18
	}
	L := name
	qArgs(o, name)
	if typ == "Q8_0" {
		bcast32(o, 15, 0x80808080)
	} else {
		bcast32(o, 15, 0x0f0f0f0f)
	}
	if isa == "AVX2" {
		bcast32(o, 14, 0x00010001)
	}
	body := func(ptrs []string) {
		o.w("\tVMOVDQU (AX), Y4\n\tVMOVDQU 32(AX), Y5")
		for _, p := range ptrs { // 1 KiB ahead: 18.1 -> 21.3 GB/s from DRAM (TUNING_LOG.md)
			o.w("\tPREFETCHT0 1024(%s)(DX*1)", p)
		}
		for r, p := range ptrs {
			d, w := 6+r, 10+r
			switch {
			case typ == "Q8_0" && isa == "VNNI":
				o.w("\tVPXOR 2(%s)(DX*1), Y15, Y%d", p, w)
				o.w("\tVMOVDQA Y5, Y%d\n\tVPDPBUSD Y4, Y%d, Y%d", d, w, d)
			case typ == "Q8_0":
				o.w("\tVMOVDQU 2(%s)(DX*1), Y%d", p, w)
				o.w("\tVPSIGNB Y%d, Y4, Y%d\n\tVPSIGNB Y%d, Y%d, Y%d", w, d, w, w, w)
				o.w("\tVPMADDUBSW Y%d, Y%d, Y%d\n\tVPMADDWD Y14, Y%d, Y%d", d, w, d, d, d)
			default: // Q4_0: low nibbles are values 0-15, high nibbles 16-31
				o.w("\tVMOVDQU 2(%s)(DX*1), X%d\n\tVPSRLW $4, X%d, X%d", p, w, w, d)
				o.w("\tVINSERTI128 $1, X%d, Y%d, Y%d\n\tVPAND Y15, Y%d, Y%d", d, w, w, w, w)
				if isa == "VNNI" {
					o.w("\tVMOVDQA Y5, Y%d\n\tVPDPBUSD Y4, Y%d, Y%d", d, w, d)
				} else {
					o.w("\tVPMADDUBSW Y4, Y%d, Y%d\n\tVPMADDWD Y14, Y%d, Y%d\n\tVPADDD Y5, Y%d, Y%d", w, d, d, d, d, d)
				}
			}
			o.w("\tVCVTDQ2PS Y%d, Y%d", d, d)
			o.w("\tVPBROADCASTW (%s)(DX*1), X%d\n\tVCVTPH2PS X%d, Y%d\n\tVMULPS 64(AX), Y%d, Y%d", p, w, w, w, w, w)
			o.w("\tVFMADD231PS Y%d, Y%d, Y%d", d, w, r)
		}
		o.w("\tADDQ $96, AX\n\tADDQ $%d, DX\n\tDECQ R10", bb)
	}
	o.w("%s_r1:\n\tTESTQ BX, BX\n\tJZ %s_done", L, L)
	o.w("%s_r1row:\n\tVXORPS Y0, Y0, Y0\n\tMOVQ SI, AX\n\tXORQ DX, DX\n\tMOVQ CX, R10", L)
	o.w("%s_r1b:", L)
	body([]string{"DI"})
	o.w("\tJNZ %s_r1b", L)
	hsum(o, 0, 10, 0)
	o.w("\tADDQ R8, DI\n\tADDQ $4, R9\n\tDECQ BX\n\tJNZ %s_r1row", L)
	o.w("%s_done:\n\tVZEROUPPER\n\tRET\n", L)
}

// qDotScaled emits Y1 += pairs(Y<src> * Y<scale>) (int16 -> int32):
// VPDPWSSD on VNNI, VPMADDWD + VPADDD on AVX2 (clobbers Y<src>).
func qDotScaled(o *out, isa string, src, scale int) {
	if isa == "VNNI" {
		o.w("\tVPDPWSSD Y%d, Y%d, Y1", scale, src)
		return
	}
	o.w("\tVPMADDWD Y%d, Y%d, Y%d\n\tVPADDD Y%d, Y1, Y1", scale, src, src, src)
}

// qRowsLoop wraps a K-format block body in the row and block loops, one
// weight row at a time (4-row passes streamed Q6_K from DRAM at 7.1 GB/s
// on one Zen 5 core against 20.0 for single rows; see TUNING_LOG.md). Per block,
// AX walks the 320-byte activation records (256 int8 values, 16 int16
// sums of 16 at 256, 8 int16 sums of 32 at 288, the f32 scale at 304) and
// DX the weight blocks; block(p, acc) emits one row's block, weights at
// (p)(DX*1), accumulating into Y<acc>.
func qRowsLoop(o *out, name string, bb int, consts func(), block func(p string, acc int)) {
	L := name
	qArgs(o, name)
	consts()
	o.w("%s_r1:\n\tTESTQ BX, BX\n\tJZ %s_done", L, L)
	o.w("%s_row:\n\tVXORPS Y0, Y0, Y0\n\tMOVQ SI, AX\n\tXORQ DX, DX\n\tMOVQ CX, R10", L)
	o.w("%s_blk:", L)
	block("DI", 0)
	o.w("\tADDQ $320, AX\n\tADDQ $%d, DX\n\tDECQ R10\n\tJNZ %s_blk", bb, L)
	hsum(o, 0, 14, 0)
	o.w("\tADDQ R8, DI\n\tADDQ $4, R9\n\tDECQ BX\n\tJNZ %s_row", L)
	o.w("%s_done:\n\tVZEROUPPER\n\tRET\n", L)
}

// qRowsQ4K emits the Q4_K row kernel. Per block: the 6-bit scales and
// mins unpacked to bytes [sc0..7, m0..7] in X2 (two shuffles, three
// masks); per sub-block s the 32 nibbles times the values (VPMADDUBSW),
// weighted by sc[s] (broadcast by VPSHUFB, widened) into the int32 lanes
// of Y1; the mins times the sums of 32 (VPMADDWD); then
// Y0 += float(Y1)*d*dy - float(mins)*dmin*dy.
// Constants: Y15 0x0F bytes.
func qRowsQ4K(o *out, isa string) {
	name := "qRowsQ4K" + isa
	qRowsLoop(o, name, 144, func() { bcast32(o, 15, 0x0f0f0f0f) }, func(p string, acc int) {
		o.w("\tVMOVDQU 4(%s)(DX*1), X2", p)
		o.w("\tVPSHUFB q4kUnpack<>+0(SB), X2, X3\n\tVPSHUFB q4kUnpack<>+16(SB), X2, X4")
		o.w("\tVPAND q4kUnpack<>+32(SB), X3, X5")
		o.w("\tVPSRLW $4, X3, X6\n\tVPAND q4kUnpack<>+48(SB), X6, X6")
		o.w("\tVPSRLW $2, X4, X4\n\tVPAND q4kUnpack<>+64(SB), X4, X4")
		o.w("\tVPOR X5, X6, X5\n\tVPOR X4, X5, X2")
		o.w("\tVPXOR Y1, Y1, Y1")
		for j := 0; j < 4; j++ {
			o.w("\tVMOVDQU %d(%s)(DX*1), Y3", 16+32*j, p)
			o.w("\tVPAND Y15, Y3, Y4\n\tVPSRLW $4, Y3, Y3\n\tVPAND Y15, Y3, Y3")
			for h, q := range []int{4, 3} {
				s := 2*j + h
				o.w("\tVPMADDUBSW %d(AX), Y%d, Y5", 64*j+32*h, q)
				o.w("\tVPSHUFB q4kBcast<>+%d(SB), X2, X6\n\tVPMOVZXBW X6, Y6", 16*s)
				qDotScaled(o, isa, 5, 6)
			}
		}
		o.w("\tVPSRLDQ $8, X2, X6\n\tVPMOVZXBW X6, X6\n\tVPMADDWD 288(AX), X6, X6\n\tVCVTDQ2PS X6, X6")
		o.w("\tVCVTDQ2PS Y1, Y1\n\tVBROADCASTSS 304(AX), Y8")
		o.w("\tVPBROADCASTW (%s)(DX*1), X7\n\tVCVTPH2PS X7, Y7\n\tVMULPS Y8, Y7, Y7\n\tVFMADD231PS Y1, Y7, Y%d", p, acc)
		o.w("\tVPBROADCASTW 2(%s)(DX*1), X7\n\tVCVTPH2PS X7, Y7\n\tVMULPS Y8, Y7, Y7\n\tVFNMADD231PS Y6, Y7, Y%d", p, acc)
	})
}

// qRowsQ4KZ emits the 512-bit Q4_K row kernel of the AVX-512 VNNI path
// (qRowsQ4KZMM): per 64 values one zmm of nibbles [low | high] (which is
// the values' order), one VPMADDUBSW against 64 values, the two scales
// spread over the words by VPERMW, one VPDPWSSD: about 40% fewer
// instructions than the 256-bit kernel, which is compute bound on Q4_K.
// Constants: Z15 0x0F bytes, Z16-Z19 the VPERMW indices.
func qRowsQ4KZ(o *out) {
	qRowsLoop(o, "qRowsQ4KZMM", 144, func() {
		o.w("\tMOVL $0x0f0f0f0f, AX\n\tVMOVD AX, X15\n\tVPBROADCASTD X15, Z15")
		for j := 0; j < 4; j++ {
			o.w("\tVMOVDQU64 q4kPerm<>+%d(SB), Z%d", 64*j, 16+j)
		}
	}, func(p string, acc int) {
		o.w("\tVMOVDQU 4(%s)(DX*1), X2", p)
		o.w("\tVPSHUFB q4kUnpack<>+0(SB), X2, X3\n\tVPSHUFB q4kUnpack<>+16(SB), X2, X4")
		o.w("\tVPAND q4kUnpack<>+32(SB), X3, X5")
		o.w("\tVPSRLW $4, X3, X6\n\tVPAND q4kUnpack<>+48(SB), X6, X6")
		o.w("\tVPSRLW $2, X4, X4\n\tVPAND q4kUnpack<>+64(SB), X4, X4")
		o.w("\tVPOR X5, X6, X5\n\tVPOR X4, X5, X2")
		o.w("\tVPMOVZXBW X2, Y3\n\tVPXORD Z1, Z1, Z1")
		for j := 0; j < 4; j++ {
			o.w("\tVMOVDQU %d(%s)(DX*1), Y4\n\tVPSRLW $4, Y4, Y5", 16+32*j, p)
			o.w("\tVINSERTI64X4 $1, Y5, Z4, Z4\n\tVPANDD Z15, Z4, Z4")
			o.w("\tVPMADDUBSW %d(AX), Z4, Z5", 64*j)
			o.w("\tVPERMW Z3, Z%d, Z6\n\tVPDPWSSD Z6, Z5, Z1", 16+j)
		}
		o.w("\tVEXTRACTI64X4 $1, Z1, Y6\n\tVPADDD Y6, Y1, Y1")
		o.w("\tVPSRLDQ $8, X2, X6\n\tVPMOVZXBW X6, X6\n\tVPMADDWD 288(AX), X6, X6\n\tVCVTDQ2PS X6, X6")
		o.w("\tVCVTDQ2PS Y1, Y1\n\tVBROADCASTSS 304(AX), Y8")
		o.w("\tVPBROADCASTW (%s)(DX*1), X7\n\tVCVTPH2PS X7, Y7\n\tVMULPS Y8, Y7, Y7\n\tVFMADD231PS Y1, Y7, Y%d", p, acc)
		o.w("\tVPBROADCASTW 2(%s)(DX*1), X7\n\tVCVTPH2PS X7, Y7\n\tVMULPS Y8, Y7, Y7\n\tVFNMADD231PS Y6, Y7, Y%d", p, acc)
	})
}

// qRowsQ6K emits the Q6_K row kernel. Per half block of 128 values: the
// four runs of 32 unsigned 6-bit values rebuilt from ql and qh (0..63),
// times the values (VPMADDUBSW), weighted per group of 16 by the int8
// scales (VPSHUFB pairs, widened) into the int32 lanes of Y1; then the
// offset of 32 taken out through the sums of 16 (Y1 -= 32*sum sc[g]*bs[g])
// and Y0 += float(Y1)*d*dy.
// Constants: Y15 0x0F bytes, Y13 0x30 bytes.
func qRowsQ6K(o *out, isa string) {
	name := "qRowsQ6K" + isa
	qRowsLoop(o, name, 210, func() {
		bcast32(o, 15, 0x0f0f0f0f)
		bcast32(o, 13, 0x30303030)
	}, func(p string, acc int) {
		o.w("\tVMOVDQU 192(%s)(DX*1), X2\n\tVPXOR Y1, Y1, Y1", p)
		for n := 0; n < 2; n++ {
			o.w("\tVMOVDQU %d(%s)(DX*1), Y3\n\tVMOVDQU %d(%s)(DX*1), Y4\n\tVMOVDQU %d(%s)(DX*1), Y5", 64*n, p, 64*n+32, p, 128+32*n, p)
			for i := 0; i < 4; i++ {
				src := 3 + i%2 // ql[0:32] for runs 0 and 2, ql[32:64] for 1 and 3
				if i < 2 {
					o.w("\tVPAND Y15, Y%d, Y6", src)
				} else {
					o.w("\tVPSRLW $4, Y%d, Y6\n\tVPAND Y15, Y6, Y6", src)
				}
				switch i { // high bits 2i..2i+1 of qh to bits 4..5
				case 0:
					o.w("\tVPSLLW $4, Y5, Y7")
				case 1:
					o.w("\tVPSLLW $2, Y5, Y7")
				case 2:
					o.w("\tVMOVDQA Y5, Y7")
				case 3:
					o.w("\tVPSRLW $2, Y5, Y7")
				}
				o.w("\tVPAND Y13, Y7, Y7\n\tVPOR Y7, Y6, Y6")
				o.w("\tVPMADDUBSW %d(AX), Y6, Y8", 128*n+32*i)
				o.w("\tVPSHUFB q6kPair<>+%d(SB), X2, X9\n\tVPMOVSXBW X9, Y9", 16*(4*n+i))
				qDotScaled(o, isa, 8, 9)
			}
		}
		o.w("\tVPMOVSXBW X2, Y9\n\tVPMADDWD 256(AX), Y9, Y9\n\tVPSLLD $5, Y9, Y9\n\tVPSUBD Y9, Y1, Y1")
		o.w("\tVCVTDQ2PS Y1, Y1\n\tVBROADCASTSS 304(AX), Y8")
		o.w("\tVPBROADCASTW 208(%s)(DX*1), X7\n\tVCVTPH2PS X7, Y7\n\tVMULPS Y8, Y7, Y7\n\tVFMADD231PS Y1, Y7, Y%d", p, acc)
	})
}

// qDequant emits the AVX2 dequantizers func(nb int, src *byte, dst
// *float32): nb blocks, the values of DequantizeRow bit for bit (one
// rounding per product, no FMA: value = float(q)*d, Q4_K (d*sc)*q - dmin*m,
// Q6_K (d*sc)*q).
func qDequant(o *out) {
	hdr := func(name string) {
		o.w("// func %s(nb int, src *byte, dst *float32)", name)
		o.w("TEXT ·%s(SB), NOSPLIT, $0-24", name)
		o.w("\tMOVQ nb+0(FP), CX\n\tMOVQ src+8(FP), SI\n\tMOVQ dst+16(FP), DI")
	}
	// Q8_0: 4 x 8 values per block.
	hdr("qDequantQ80AVX2")
	o.w("qDequantQ80AVX2_blk:")
	o.w("\tVPBROADCASTW (SI), X0\n\tVCVTPH2PS X0, Y0")
	for i := 0; i < 4; i++ {
		o.w("\tVPMOVSXBD %d(SI), Y1\n\tVCVTDQ2PS Y1, Y1\n\tVMULPS Y0, Y1, Y1\n\tVMOVUPS Y1, %d(DI)", 2+8*i, 32*i)
	}
	o.w("\tADDQ $34, SI\n\tADDQ $128, DI\n\tDECQ CX\n\tJNZ qDequantQ80AVX2_blk\n\tVZEROUPPER\n\tRET\n")

	// Q4_0: nibbles minus 8.
	hdr("qDequantQ40AVX2")
	bcast32(o, 15, 0x0f0f0f0f)
	bcast32(o, 14, 0x08080808)
	o.w("qDequantQ40AVX2_blk:")
	o.w("\tVPBROADCASTW (SI), X0\n\tVCVTPH2PS X0, Y0")
	o.w("\tVMOVDQU 2(SI), X2\n\tVPSRLW $4, X2, X3\n\tVPAND X15, X2, X2\n\tVPAND X15, X3, X3")
	o.w("\tVPSUBB X14, X2, X2\n\tVPSUBB X14, X3, X3")
	for i, src := range []int{2, 2, 3, 3} {
		if i%2 == 1 {
			o.w("\tVPSRLDQ $8, X%d, X%d", src, src)
		}
		o.w("\tVPMOVSXBD X%d, Y1\n\tVCVTDQ2PS Y1, Y1\n\tVMULPS Y0, Y1, Y1\n\tVMOVUPS Y1, %d(DI)", src, 32*i)
	}
	o.w("\tADDQ $18, SI\n\tADDQ $128, DI\n\tDECQ CX\n\tJNZ qDequantQ40AVX2_blk\n\tVZEROUPPER\n\tRET\n")

	// Q4_K: the scales unpacked as in the row kernel; per sub-block s,
	// d*sc[s] and dmin*m[s] broadcast.
	hdr("qDequantQ4KAVX2")
	bcast32(o, 15, 0x0f0f0f0f)
	o.w("qDequantQ4KAVX2_blk:")
	o.w("\tVPBROADCASTW (SI), X0\n\tVCVTPH2PS X0, Y0\n\tVPBROADCASTW 2(SI), X1\n\tVCVTPH2PS X1, Y1")
	o.w("\tVMOVDQU 4(SI), X2")
	o.w("\tVPSHUFB q4kUnpack<>+0(SB), X2, X3\n\tVPSHUFB q4kUnpack<>+16(SB), X2, X4")
	o.w("\tVPAND q4kUnpack<>+32(SB), X3, X5")
	o.w("\tVPSRLW $4, X3, X6\n\tVPAND q4kUnpack<>+48(SB), X6, X6")
	o.w("\tVPSRLW $2, X4, X4\n\tVPAND q4kUnpack<>+64(SB), X4, X4")
	o.w("\tVPOR X5, X6, X5\n\tVPOR X4, X5, X2")
	// Y3 = float sc[0..7], Y4 = float m[0..7], times d and dmin
	o.w("\tVPMOVZXBD X2, Y3\n\tVCVTDQ2PS Y3, Y3\n\tVMULPS Y0, Y3, Y3")
	o.w("\tVPSRLDQ $8, X2, X4\n\tVPMOVZXBD X4, Y4\n\tVCVTDQ2PS Y4, Y4\n\tVMULPS Y1, Y4, Y4")
	for j := 0; j < 4; j++ {
		o.w("\tVMOVDQU %d(SI), Y5\n\tVPSRLW $4, Y5, Y6\n\tVPAND Y15, Y5, Y5\n\tVPAND Y15, Y6, Y6", 16+32*j)
		for h, q := range []int{5, 6} {
			s := 2*j + h
			// broadcast lane s of Y3/Y4: VPERMPS with an index of s in every lane
			o.w("\tMOVL $%d, AX\n\tVMOVD AX, X7\n\tVPBROADCASTD X7, Y7", s)
			o.w("\tVPERMPS Y3, Y7, Y8\n\tVPERMPS Y4, Y7, Y9")
			for i := 0; i < 4; i++ {
				if i == 2 {
					o.w("\tVEXTRACTI128 $1, Y%d, X10", q)
				}
				srcX := q
				if i >= 2 {
					srcX = 10
				}
				if i%2 == 1 {
					o.w("\tVPSRLDQ $8, X%d, X11\n\tVPMOVZXBD X11, Y12", srcX)
				} else {
					o.w("\tVPMOVZXBD X%d, Y12", srcX)
				}
				o.w("\tVCVTDQ2PS Y12, Y12\n\tVMULPS Y8, Y12, Y12\n\tVSUBPS Y9, Y12, Y12\n\tVMOVUPS Y12, %d(DI)", 4*(64*j+32*h+8*i))
			}
		}
	}
	o.w("\tADDQ $144, SI\n\tADDQ $1024, DI\n\tDECQ CX\n\tJNZ qDequantQ4KAVX2_blk\n\tVZEROUPPER\n\tRET\n")

	// Q6_K: values rebuilt as in the row kernel, minus 32; per group of 16,
	// d*sc[g] broadcast.
	hdr("qDequantQ6KAVX2")
	bcast32(o, 15, 0x0f0f0f0f)
	bcast32(o, 13, 0x30303030)
	bcast32(o, 14, 0x20202020)
	o.w("qDequantQ6KAVX2_blk:")
	o.w("\tVPBROADCASTW 208(SI), X0\n\tVCVTPH2PS X0, Y0")
	// d*sc for the 16 groups: Y1 (groups 0-7), Y2 (8-15)
	o.w("\tVPMOVSXBD 192(SI), Y1\n\tVCVTDQ2PS Y1, Y1\n\tVMULPS Y0, Y1, Y1")
	o.w("\tVPMOVSXBD 200(SI), Y2\n\tVCVTDQ2PS Y2, Y2\n\tVMULPS Y0, Y2, Y2")
	for n := 0; n < 2; n++ {
		o.w("\tVMOVDQU %d(SI), Y3\n\tVMOVDQU %d(SI), Y4\n\tVMOVDQU %d(SI), Y5", 64*n, 64*n+32, 128+32*n)
		for i := 0; i < 4; i++ {
			src := 3 + i%2
			if i < 2 {
				o.w("\tVPAND Y15, Y%d, Y6", src)
			} else {
				o.w("\tVPSRLW $4, Y%d, Y6\n\tVPAND Y15, Y6, Y6", src)
			}
			switch i {
			case 0:
				o.w("\tVPSLLW $4, Y5, Y7")
			case 1:
				o.w("\tVPSLLW $2, Y5, Y7")
			case 2:
				o.w("\tVMOVDQA Y5, Y7")
			case 3:
				o.w("\tVPSRLW $2, Y5, Y7")
			}
			o.w("\tVPAND Y13, Y7, Y7\n\tVPOR Y7, Y6, Y6\n\tVPSUBB Y14, Y6, Y6")
			o.w("\tVEXTRACTI128 $1, Y6, X10")
			for part := 0; part < 4; part++ { // 8 values each
				g := 8*n + 2*i + part/2 // group of these 8 values
				srcX := 6
				if part >= 2 {
					srcX = 10
				}
				if part%2 == 1 {
					o.w("\tVPSRLDQ $8, X%d, X11\n\tVPMOVSXBD X11, Y12", srcX)
				} else {
					o.w("\tVPMOVSXBD X%d, Y12", srcX)
				}
				scaleReg := 1
				if g >= 8 {
					scaleReg = 2
				}
				o.w("\tMOVL $%d, AX\n\tVMOVD AX, X7\n\tVPBROADCASTD X7, Y7\n\tVPERMPS Y%d, Y7, Y8", g%8, scaleReg)
				o.w("\tVCVTDQ2PS Y12, Y12\n\tVMULPS Y8, Y12, Y12\n\tVMOVUPS Y12, %d(DI)", 4*(128*n+32*i+8*part))
			}
		}
	}
	o.w("\tADDQ $210, SI\n\tADDQ $1024, DI\n\tDECQ CX\n\tJNZ qDequantQ6KAVX2_blk\n\tVZEROUPPER\n\tRET\n")
}
