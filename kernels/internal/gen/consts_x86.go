package main

import (
	"math"
	"strings"
)

// vecConsts are the constants of the amd64 vector kernels, in table order:
// a float (bits of the value rounded to float32) or an integer bit pattern.
var vecConsts = []struct {
	name  string
	float bool
	val   float64
}{
	{"hi clamp", true, 89.0},
	{"lo clamp", true, -110.0},
	{"log2e", true, 1.4426950408889634},
	{"-ln2hi", true, -0.693359375},
	{"-ln2lo", true, -(math.Log(2) - 0.693359375)},
	{"c7", true, 1.0 / 5040},
	{"c6", true, 1.0 / 720},
	{"c5", true, 1.0 / 120},
	{"c4", true, 1.0 / 24},
	{"c3", true, 1.0 / 6},
	{"c2", true, 0.5},
	{"one", true, 1.0},
	{"int 127", false, 127},
	{"abs mask", false, 0x7fffffff},
	{"int 0x7fff", false, 0x7fff},
	{"int 1", false, 1},
	{"int 0x7f800000", false, 0x7f800000},
	{"int 0x40", false, 0x40},
	{"sign mask", false, 0x80000000},
}

// genConstsAMD64 writes vector_consts_amd64.s (the table ·vecConsts, each
// constant replicated 16 times so that it serves as a 256- or 512-bit
// memory operand) and vector_consts_amd64.h (its offsets as K_* macros).
//
// The table is a TEXT symbol, never called, rather than DATA: the linker
// aligns data symbols to at most 32 bytes, and a zmm memory operand that
// starts 32 bytes into a cache line splits it (AVX-512 exp and SwiGLU ran
// 1.4-1.7x slower when the table landed there). PCALIGN $64 makes the
// linker start the symbol on a 64-byte boundary.
func genConstsAMD64() {
	var s, h out
	s.w("//go:build amd64 && !purego\n")
	s.w("// Constants of the vector kernels; each constant is replicated 16 times so")
	s.w("// that it serves as a 256- or 512-bit memory operand. Offsets are named in")
	s.w("// vector_consts_amd64.h. The table lives in the text section so that it is")
	s.w("// 64-byte aligned (PCALIGN); it is data, never called.\n\n#include \"textflag.h\"\n")
	s.w("TEXT ·vecConsts(SB), NOSPLIT|NOFRAME, $0-0\n\tPCALIGN $64")
	h.w("// Offsets into ·vecConsts (see vector_consts_amd64.s).")
	for i, c := range vecConsts {
		bits := uint64(c.val)
		if c.float {
			bits = uint64(f32bits(c.val))
		}
		s.w("// %d: %s (offset %d)", i, c.name, i*64)
		for j := 0; j < 8; j++ {
			s.w("\tQUAD $0x%016x", bits|bits<<32)
		}
		macro := strings.NewReplacer(" ", "_", "-", "N", "0X", "").Replace(strings.ToUpper(c.name))
		h.w("#define K_%s ·vecConsts+%d(SB)", macro, i*64)
	}
	s.w("\n// func vecConstsPtr() *uint32 (the tests check the alignment)")
	s.w("TEXT ·vecConstsPtr(SB), NOSPLIT, $0-8\n\tLEAQ ·vecConsts(SB), AX\n\tMOVQ AX, ret+0(FP)\n\tRET")
	s.save("vector_consts_amd64.s")
	h.save("vector_consts_amd64.h")
}
