package main

import (
	"fmt"
	"strings"
)

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
