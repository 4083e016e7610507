package kernels

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"testing"
)

// quantRef is kernels/testdata/quant_ref.bin (scripts/quantref/quantref.sh): inputs and, per
// format, the blocks of llama.cpp's quantize_row_*_ref and its dequantize_row_* of them.
type quantRef struct {
	x   []float32
	out map[QType]struct {
		blocks []byte
		deq    []float32
	}
}

func loadQuantRef(t *testing.T) *quantRef {
	t.Helper()
	b, err := os.ReadFile("testdata/quant_ref.bin")
	if err != nil {
		t.Fatal(err)
	}
	if string(b[:4]) != "QREF" {
		t.Fatal("quant_ref.bin: bad magic")
	}
	le := binary.LittleEndian
	n := int(le.Uint32(b[4:]))
	floats := func(p []byte) []float32 {
		f := make([]float32, n)
		for i := range f {
			f[i] = math.Float32frombits(le.Uint32(p[4*i:]))
		}
		return f
	}
	r := &quantRef{x: floats(b[8:]), out: map[QType]struct {
		blocks []byte
		deq    []float32
	}{}}
	p := b[8+4*n:]
	for len(p) > 0 {
		id, nb := QType(le.Uint32(p)), int(le.Uint32(p[4:]))
		p = p[8:]
		r.out[id] = struct {
			blocks []byte
			deq    []float32
		}{p[:nb], floats(p[nb:])}
		p = p[nb+4*n:]
	}
	return r
}

// TestQuantizeMatchesLlamaCpp: our reference quantizers give llama.cpp's blocks byte for
// byte, and our dequantizers its values bit for bit, on inputs covering zeros, constants,
// tiny and heavy-tailed values, outliers and per-sub-block magnitudes.
func TestQuantizeMatchesLlamaCpp(t *testing.T) {
	r := loadQuantRef(t)
	for _, qt := range []QType{Q8_0, Q4_0, Q4_K, Q6_K, Q8_K} {
		ref, ok := r.out[qt]
		if !ok {
			t.Fatalf("%s missing from quant_ref.bin", qt)
		}
		got := make([]byte, qt.RowBytes(len(r.x)))
		QuantizeRow(qt, got, r.x)
		if !bytes.Equal(got, ref.blocks) {
			bb := qt.BlockBytes()
			for i := range got {
				if got[i] != ref.blocks[i] {
					blk := i / bb
					t.Errorf("%s: block %d byte %d: got %#x, llama.cpp %#x\n got %x\nwant %x", qt, blk, i%bb, got[i], ref.blocks[i],
						got[blk*bb:(blk+1)*bb], ref.blocks[blk*bb:(blk+1)*bb])
					break
				}
			}
		}
		deq := make([]float32, len(r.x))
		DequantizeRow(qt, deq, ref.blocks)
		for i := range deq {
			if math.Float32bits(deq[i]) != math.Float32bits(ref.deq[i]) {
				t.Errorf("%s: dequantized value %d = %g, llama.cpp %g", qt, i, deq[i], ref.deq[i])
				break
			}
		}
	}
}
