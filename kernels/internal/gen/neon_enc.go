package main

import (
	"fmt"
	"math"
)

// Go's arm64 assembler has no mnemonics for most NEON float instructions;
// the NEON vector and tile kernels emit those as WORD encodings with the
// instruction in a comment (all 4S forms unless noted).

var (
	neon3 = map[string]uint32{ // Vd, Vn, Vm
		"FADD": 0x4E20D400, "FSUB": 0x4EA0D400, "FMUL": 0x6E20DC00, "FDIV": 0x6E20FC00,
		"FMAX": 0x4E20F400, "FMIN": 0x4EA0F400, "FADDP": 0x6E20D400, "FMAXP": 0x6E20F400,
		"FMLA": 0x4E20CC00, "ADD": 0x4EA08400, "SUB": 0x6EA08400, "AND": 0x4E201C00,
		"ORR": 0x4EA01C00, "EOR": 0x6E201C00, "BIT": 0x6EA01C00, "BSL": 0x6E601C00,
		"FCMEQ": 0x4E20E400, "UZP1H": 0x4E401800, "ZIP1H": 0x4E403800, "ZIP2H": 0x4E407800,
	}
	neon2 = map[string]uint32{ // Vd, Vn
		"FRINTN": 0x4E218800, "FCVTZS": 0x4EA1B800, "FCVTL": 0x0E217800, "FCVTL2": 0x4E217800,
		"FCVTN": 0x0E216800, "FCVTN2": 0x4E216800,
	}
	// Shifts by an immediate: the immh:immb field as a function of the shift.
	neonShift = map[string]struct {
		base  uint32
		field func(s int) int
	}{
		"SSHR": {0x4F000400, func(s int) int { return 64 - s }},
		"USHR": {0x6F000400, func(s int) int { return 64 - s }},
		"SHL":  {0x4F005400, func(s int) int { return 32 + s }},
	}
)

// I returns one NEON instruction as a WORD line: op Vd, Vn[, Vm or #shift].
func I(op string, a ...int) string {
	var w uint32
	var txt string
	if b, ok := neon3[op]; ok {
		w = b | uint32(a[2])<<16 | uint32(a[1])<<5 | uint32(a[0])
		txt = fmt.Sprintf("%s V%d, V%d, V%d", op, a[0], a[1], a[2])
	} else if b, ok := neon2[op]; ok {
		w = b | uint32(a[1])<<5 | uint32(a[0])
		switch op {
		case "FCVTL":
			txt = fmt.Sprintf("%s V%d.4S, V%d.4H", op, a[0], a[1])
		case "FCVTL2":
			txt = fmt.Sprintf("%s V%d.4S, V%d.8H", op, a[0], a[1])
		case "FCVTN":
			txt = fmt.Sprintf("%s V%d.4H, V%d.4S", op, a[0], a[1])
		case "FCVTN2":
			txt = fmt.Sprintf("%s V%d.8H, V%d.4S", op, a[0], a[1])
		default:
			txt = fmt.Sprintf("%s V%d.4S, V%d.4S", op, a[0], a[1])
		}
	} else if s, ok := neonShift[op]; ok {
		w = s.base | uint32(s.field(a[2]))<<16 | uint32(a[1])<<5 | uint32(a[0])
		txt = fmt.Sprintf("%s V%d.4S, V%d.4S, #%d", op, a[0], a[1], a[2])
	} else {
		panic("gen: no NEON encoding for " + op)
	}
	return fmt.Sprintf("\tWORD $0x%08x // %s", w, txt)
}

// f32bits is the IEEE single-precision encoding of x rounded to float32.
func f32bits(x float64) uint32 { return math.Float32bits(float32(x)) }
