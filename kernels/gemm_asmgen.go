//go:build ignore

// gemm_asmgen writes the unrolled GEMM/GEMV assembly of this package:
//
//	gemm_kernel_amd64.s   AVX-512 8x48 and AVX2 6x16 micro-kernels
//	gemm_bf16dot_amd64.s  AVX512_BF16 8x48 micro-kernel (VDPBF16PS as bytes)
//	gemm_pack_amd64.s     AVX2 8x8 transposing B packers (f32, bf16, f16)
//	gemv_amd64.s          GEMV rows/cols kernels (AVX-512, AVX2; f32, bf16, f16)
//	gemv_rows4_amd64.s    small-m (2..8 rows) GEMV kernels, AVX-512
//	gemm_kernel_arm64.s   NEON 8x8 micro-kernel (by-element FMLA/FMUL as WORDs)
//	gemv_arm64.s          NEON GEMV rows kernels (f32, bf16, f16)
//
// Run with `go generate` (see gemm.go) or `go run gemm_asmgen.go`.
package main

import (
	"fmt"
	"os"
	"strings"
)

type out struct{ b strings.Builder }

func (o *out) w(format string, args ...any) { fmt.Fprintf(&o.b, format+"\n", args...) }

func (o *out) save(name string) {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, []byte(o.b.String()), 0o644); err != nil {
		panic(err)
	}
	if err := os.Rename(tmp, name); err != nil {
		panic(err)
	}
}

func main() {
	genKernelAMD64()
	genBF16DotAMD64()
	genPackAMD64()
	genGemvAMD64()
	genKernelARM64()
	genGemvARM64()
}

func macro(name string, lines []string) string {
	return "#define " + name + " \\\n\t" + strings.Join(lines, "; \\\n\t") + "\n"
}

func genKernelAMD64() {
	var o out
	o.w("//go:build amd64 && !purego\n\n#include \"textflag.h\"\n")
	o.w("// One depth step of the 8x48 kernel: B row (3 zmm) at bo(DI), A column (8 floats) at ao(SI).")
	var l []string
	for j := 0; j < 3; j++ {
		if j == 0 {
			l = append(l, "VMOVUPS bo(DI), Z24")
		} else {
			l = append(l, fmt.Sprintf("VMOVUPS bo+%d(DI), Z%d", 64*j, 24+j))
		}
	}
	for r := 0; r < 8; r++ {
		t := 27 + r%3
		l = append(l, fmt.Sprintf("VBROADCASTSS ao+%d(SI), Z%d", 4*r, t))
		for j := 0; j < 3; j++ {
			l = append(l, fmt.Sprintf("VFMADD231PS Z%d, Z%d, Z%d", 24+j, t, 3*r+j))
		}
	}
	o.w("%s", macro("STEP8x48(ao, bo)", l))
	o.w(`// func sgemmKernel8x48AVX512(k int, a, b, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernel8x48AVX512(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8`)
	for r := 0; r < 24; r++ {
		o.w("\tVPXORD Z%d, Z%d, Z%d", r, r, r)
	}
	o.w(`	CMPQ CX, $4
	JLT  k512tail
k512loop4:
	PREFETCHT0 768(DI)
	PREFETCHT0 832(DI)
	PREFETCHT0 896(DI)
	STEP8x48(0, 0)
	PREFETCHT0 960(DI)
	PREFETCHT0 1024(DI)
	PREFETCHT0 1088(DI)
	STEP8x48(32, 192)
	PREFETCHT0 1152(DI)
	PREFETCHT0 1216(DI)
	PREFETCHT0 1280(DI)
	STEP8x48(64, 384)
	PREFETCHT0 1344(DI)
	PREFETCHT0 1408(DI)
	PREFETCHT0 1472(DI)
	STEP8x48(96, 576)
	ADDQ $128, SI
	ADDQ $768, DI
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  k512loop4
k512tail:
	TESTQ CX, CX
	JZ    k512store
k512loop1:
	STEP8x48(0, 0)
	ADDQ $32, SI
	ADDQ $192, DI
	DECQ CX
	JNZ  k512loop1
k512store:
	VBROADCASTSS alpha+40(FP), Z30
	MOVL beta+44(FP), AX
	TESTL $0x7fffffff, AX
	JZ   k512beta0
	VBROADCASTSS beta+44(FP), Z31`)
	storeZ(&o, 8, 3, true)
	o.w("\tVZEROUPPER\n\tRET\nk512beta0:")
	storeZ(&o, 8, 3, false)
	o.w("\tVZEROUPPER\n\tRET\n")

	l = []string{"VMOVUPS bo(DI), Y12", "VMOVUPS bo+32(DI), Y13"}
	for r := 0; r < 6; r++ {
		t := 14 + r%2
		l = append(l, fmt.Sprintf("VBROADCASTSS ao+%d(SI), Y%d", 4*r, t))
		for j := 0; j < 2; j++ {
			l = append(l, fmt.Sprintf("VFMADD231PS Y%d, Y%d, Y%d", 12+j, t, 2*r+j))
		}
	}
	o.w("// One depth step of the 6x16 kernel: B row (2 ymm) at bo(DI), A column (6 floats) at ao(SI).")
	o.w("%s", macro("STEP6x16(ao, bo)", l))
	o.w(`// func sgemmKernel6x16AVX2(k int, a, b, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernel6x16AVX2(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8`)
	for r := 0; r < 12; r++ {
		o.w("\tVXORPS Y%d, Y%d, Y%d", r, r, r)
	}
	o.w(`	CMPQ CX, $4
	JLT  k256tail
k256loop4:
	PREFETCHT0 256(DI)
	STEP6x16(0, 0)
	PREFETCHT0 320(DI)
	STEP6x16(24, 64)
	PREFETCHT0 384(DI)
	STEP6x16(48, 128)
	PREFETCHT0 448(DI)
	STEP6x16(72, 192)
	ADDQ $96, SI
	ADDQ $256, DI
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  k256loop4
k256tail:
	TESTQ CX, CX
	JZ    k256store
k256loop1:
	STEP6x16(0, 0)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  k256loop1
k256store:
	VBROADCASTSS alpha+40(FP), Y14
	MOVL beta+44(FP), AX
	TESTL $0x7fffffff, AX
	JZ   k256beta0
	VBROADCASTSS beta+44(FP), Y15`)
	for r := 0; r < 6; r++ {
		for j := 0; j < 2; j++ {
			d := 2*r + j
			o.w("\tVMULPS Y14, Y%d, Y%d", d, d)
			o.w("\tVFMADD231PS %d(DX), Y15, Y%d", 32*j, d)
			o.w("\tVMOVUPS Y%d, %d(DX)", d, 32*j)
		}
		if r < 5 {
			o.w("\tADDQ R8, DX")
		}
	}
	o.w("\tVZEROUPPER\n\tRET\nk256beta0:")
	for r := 0; r < 6; r++ {
		for j := 0; j < 2; j++ {
			d := 2*r + j
			o.w("\tVMULPS Y14, Y%d, Y%d", d, d)
			o.w("\tVMOVUPS Y%d, %d(DX)", d, 32*j)
		}
		if r < 5 {
			o.w("\tADDQ R8, DX")
		}
	}
	o.w("\tVZEROUPPER\n\tRET")
	o.save("gemm_kernel_amd64.s")
}

// storeZ writes the rows×cols zmm accumulator tile: C = alpha*acc (+ beta*C).
func storeZ(o *out, rows, cols int, withBeta bool) {
	for r := 0; r < rows; r++ {
		for j := 0; j < cols; j++ {
			d := cols*r + j
			o.w("\tVMULPS Z30, Z%d, Z%d", d, d)
			if withBeta {
				o.w("\tVFMADD231PS %d(DX), Z31, Z%d", 64*j, d)
			}
			o.w("\tVMOVUPS Z%d, %d(DX)", d, 64*j)
		}
		if r < rows-1 {
			o.w("\tADDQ R8, DX")
		}
	}
}

// vdpbf16ps encodes VDPBF16PS zmm(dst), zmm(src1), zmm(src2) (Intel operand
// order): EVEX.512.F3.0F38.W0 52 /r with register operands.
func vdpbf16ps(dst, src1, src2 int) []byte {
	inv := func(b int) int { return 1 - b }
	R, Rp := (dst>>3)&1, (dst>>4)&1
	B, X := (src2>>3)&1, (src2>>4)&1
	v, Vp := src1&15, (src1>>4)&1
	p0 := inv(R)<<7 | inv(X)<<6 | inv(B)<<5 | inv(Rp)<<4 | 0b10
	p1 := (^v&15)<<3 | 1<<2 | 0b10
	p2 := 0b10<<5 | inv(Vp)<<3
	modrm := 0xC0 | (dst&7)<<3 | src2&7
	return []byte{0x62, byte(p0), byte(p1), byte(p2), 0x52, byte(modrm)}
}

func genBF16DotAMD64() {
	var o out
	o.w("//go:build amd64 && !purego\n\n#include \"textflag.h\"\n")
	o.w("// 8x48 AVX512_BF16 micro-kernel. Each step consumes one k-pair: A holds 8 dwords (bf16 pair")
	o.w("// [even k low, odd k high] per row), B holds 48 dwords (bf16 pair per column). VDPBF16PS")
	o.w("// (EVEX.512.F3.0F38.W0 52 /r) is not known to the Go assembler: each one is emitted as its six")
	o.w("// bytes (62 P0 P1 P2 52 ModRM), generated and checked against GNU as + objdump.\n")
	l := []string{"VMOVUPS bo(DI), Z24", "VMOVUPS bo+64(DI), Z25", "VMOVUPS bo+128(DI), Z26"}
	for r := 0; r < 8; r++ {
		t := 27 + r%3
		l = append(l, fmt.Sprintf("VPBROADCASTD ao+%d(SI), Z%d", 4*r, t))
		for j := 0; j < 3; j++ {
			var bs []string
			for _, b := range vdpbf16ps(3*r+j, t, 24+j) {
				bs = append(bs, fmt.Sprintf("BYTE $%#02x", b))
			}
			l = append(l, strings.Join(bs, "; "))
		}
	}
	o.w("%s", macro("DSTEP8x48(ao, bo)", l))
	o.w(`// func sgemmKernel8x48BF16Dot(k int, a, b, c *float32, ldc int, alpha, beta float32) (k counts pairs)
TEXT ·sgemmKernel8x48BF16Dot(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8`)
	for r := 0; r < 24; r++ {
		o.w("\tVPXORD Z%d, Z%d, Z%d", r, r, r)
	}
	o.w(`	CMPQ CX, $4
	JLT  d512tail
d512loop4:
	PREFETCHT0 768(DI)
	PREFETCHT0 832(DI)
	PREFETCHT0 896(DI)
	DSTEP8x48(0, 0)
	PREFETCHT0 960(DI)
	PREFETCHT0 1024(DI)
	PREFETCHT0 1088(DI)
	DSTEP8x48(32, 192)
	PREFETCHT0 1152(DI)
	PREFETCHT0 1216(DI)
	PREFETCHT0 1280(DI)
	DSTEP8x48(64, 384)
	PREFETCHT0 1344(DI)
	PREFETCHT0 1408(DI)
	PREFETCHT0 1472(DI)
	DSTEP8x48(96, 576)
	ADDQ $128, SI
	ADDQ $768, DI
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  d512loop4
d512tail:
	TESTQ CX, CX
	JZ    d512store
d512loop1:
	DSTEP8x48(0, 0)
	ADDQ $32, SI
	ADDQ $192, DI
	DECQ CX
	JNZ  d512loop1
d512store:
	VBROADCASTSS alpha+40(FP), Z30
	MOVL beta+44(FP), AX
	TESTL $0x7fffffff, AX
	JZ   d512beta0
	VBROADCASTSS beta+44(FP), Z31`)
	storeZ(&o, 8, 3, true)
	o.w("\tVZEROUPPER\n\tRET\nd512beta0:")
	storeZ(&o, 8, 3, false)
	o.w("\tVZEROUPPER\n\tRET")
	o.save("gemm_bf16dot_amd64.s")
}

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
