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
func genConstsAMD64() {
	var s, h out
	s.w("// Constants of the vector kernels; each constant is replicated 16 times so")
	s.w("// that it serves as a 256- or 512-bit memory operand. Offsets are named in")
	s.w("// vector_consts_amd64.h.\n\n#include \"textflag.h\"\n")
	h.w("// Offsets into ·vecConsts (see vector_consts_amd64.s).")
	for i, c := range vecConsts {
		bits := uint64(c.val)
		if c.float {
			bits = uint64(f32bits(c.val))
		}
		s.w("// %d: %s", i, c.name)
		for j := 0; j < 8; j++ {
			s.w("DATA ·vecConsts+%d(SB)/8, $0x%016x", i*64+j*8, bits|bits<<32)
		}
		macro := strings.NewReplacer(" ", "_", "-", "N", "0X", "").Replace(strings.ToUpper(c.name))
		h.w("#define K_%s ·vecConsts+%d(SB)", macro, i*64)
	}
	s.w("GLOBL ·vecConsts(SB), RODATA|NOPTR, $%d", len(vecConsts)*64)
	s.save("vector_consts_amd64.s")
	h.save("vector_consts_amd64.h")
}
