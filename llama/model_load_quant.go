package llama

import (
	"fmt"

	"github.com/popi-go/popi/tensor"
)

// Quantized GGUF tensors are loaded without conversion: one buffer (on
// huge pages where the kernel allows) holds every quantized matrix, in the
// order LoadFrom reads them (embeddings; per layer Q, K, V, O, gate, up,
// down; lm_head), so Q/K/V and gate/up of one type lie back to back and
// fuse as views (model_fuse.go). Each tensor's blocks are read straight
// into its place; only attn_q/attn_k rows are moved (llama.cpp's RoPE row
// order undone, in place).

// quantReader is a TensorSet that can hand out stored quantized blocks.
type quantReader interface {
	ReadQuant(name string, dst []byte) error
}

// quantArena is the buffer of the quantized matrices of one load.
type quantArena struct {
	ts  TensorSet
	buf []byte
	off int
}

// newQuantArena sizes the buffer for the quantized matrices of ts that
// LoadFrom keeps (none when force converts every matrix).
func newQuantArena(ts TensorSet, m *Model, force bool) *quantArena {
	a := &quantArena{ts: ts}
	if force {
		return a
	}
	if _, ok := ts.(quantReader); !ok {
		return a
	}
	total := 0
	for _, name := range ts.Names() {
		dt, shape, ok := ts.Info(name)
		if ok && isWeightQuant(dt) && len(shape) == 2 {
			if n := dt.Bytes(int64(shape[0]) * int64(shape[1])); n > 0 {
				total += int(n)
			}
		}
	}
	a.buf = newByteWeights(total)
	return a
}

// read places the blocks of a rows×cols quantized tensor in the arena.
func (a *quantArena) read(name string, dt tensor.DType, rows, cols int) (Matrix, error) {
	qr, ok := a.ts.(quantReader)
	if !ok {
		return Matrix{}, fmt.Errorf("llama: %s is %v but its file cannot hand out quantized blocks", name, dt)
	}
	n := dt.Bytes(int64(rows) * int64(cols))
	if cols%dt.BlockSize() != 0 || n < 0 || a.off+int(n) > len(a.buf) {
		return Matrix{}, fmt.Errorf("llama: tensor %s: %v shape [%d %d] does not fit its blocks", name, dt, rows, cols)
	}
	dst := a.buf[a.off : a.off+int(n)] // capacity runs on: back-to-back parts fuse as views
	if err := qr.ReadQuant(name, dst); err != nil {
		return Matrix{}, err
	}
	a.off += int(n)
	return Matrix{Rows: rows, Cols: cols, DType: dt, Q: dst}, nil
}
