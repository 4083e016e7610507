package main

import (
	_ "embed"
	"strings"
	"text/template"
)

// The slice-level wrappers of the vector and tile kernels are the same Go
// code for every instruction set except for the assembly they call and the
// vector width. They are written once per instruction set (not shared with
// the set chosen at run time) so that each calls its assembly directly:
// a call through a function value would move the wrappers' stack buffers
// to the heap.

//go:embed wrappers.go.tmpl
var wrappersTmpl string

// isa describes one instruction set's vector and tile kernels.
type isa struct {
	Name  string // suffix of the assembly kernels
	P     string // prefix of the wrappers
	Desc  string // name in comments
	Arch  string // GOARCH
	W     int    // vector width in float32 elements
	Wide  int    // columns of the wide tile kernels
	Mid   int    // columns of the mid-width tile kernels (0: none)
	TileT bool   // has transposed-A tile kernels
}

var isas = []isa{
	{Name: "AVX512", P: "avx512", Desc: "AVX-512", Arch: "amd64", W: 16, Wide: 64, Mid: 32, TileT: true},
	{Name: "AVX2", P: "avx2", Desc: "AVX2", Arch: "amd64", W: 8, Wide: 16, TileT: true},
	{Name: "NEON", P: "neon", Desc: "NEON", Arch: "arm64", W: 4, Wide: 16},
}

// genWrappers writes simd_<isa>_<arch>.go for every instruction set.
func genWrappers() {
	t := template.Must(template.New("wrappers").Parse(wrappersTmpl))
	for _, s := range isas {
		var o out
		if err := t.Execute(&o.b, s); err != nil {
			fail(err)
		}
		o.save("simd_" + strings.ToLower(s.Name) + "_" + s.Arch + ".go")
	}
}
