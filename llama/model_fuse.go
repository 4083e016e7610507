package llama

import (
	"unsafe"

	"github.com/popi-go/popi/tensor"
)

// Inference multiplies the Q, K and V projections (and gate and up) as one
// matrix each: Layer.Q/K/V are row ranges of one contiguous buffer, so one
// GEMM (or GEMV) reads them all. Fusing re-points the matrices at the
// shared buffer; training parameters made afterwards share it too.

// fuseRows copies the matrices (same Cols and DType) into one buffer of
// their stacked rows and re-points each at its row range. Quantized
// matrices already stored back to back (as the quantized loader places
// them) are fused as a view, without a copy.
func fuseRows(ms ...*Matrix) Matrix {
	f := Matrix{Cols: ms[0].Cols, DType: ms[0].DType}
	for _, m := range ms {
		f.Rows += m.Rows
	}
	if f.DType.IsQuant() {
		if v, ok := contiguousQ(ms); ok {
			f.Q = v
			return f
		}
		n := 0
		for _, m := range ms {
			n += len(m.Q)
		}
		f.Q = newByteWeights(n)
		off := 0
		for _, m := range ms {
			copy(f.Q[off:], m.Q)
			off += len(m.Q)
		}
		off = 0
		for _, m := range ms {
			n := len(m.Q)
			m.Q = f.Q[off : off+n : off+n]
			off += n
		}
		return f
	}
	if f.DType == tensor.F32 {
		f.F32 = newF32Weights(f.Rows * f.Cols)
	} else {
		f.U16 = newU16Weights(f.Rows * f.Cols)
	}
	off := 0
	for _, m := range ms {
		n := m.Rows * m.Cols
		if f.DType == tensor.F32 {
			copy(f.F32[off:], m.F32)
			m.F32 = f.F32[off : off+n : off+n]
		} else {
			copy(f.U16[off:], m.U16)
			m.U16 = f.U16[off : off+n : off+n]
		}
		off += n
	}
	return f
}

// fuse builds the layer's fused matrices when the parts agree in type.
// Parts already fused are left alone, so their storage (which training
// parameters may share) does not move.
func (l *Layer) fuse() {
	if !aliases(&l.qkv, &l.Q, &l.K, &l.V) {
		l.qkv = Matrix{}
		if l.Q.DType == l.K.DType && l.K.DType == l.V.DType {
			l.qkv = fuseRows(&l.Q, &l.K, &l.V)
		}
	}
	if !aliases(&l.gateUp, &l.Gate, &l.Up) {
		l.gateUp = Matrix{}
		if l.Gate.DType == l.Up.DType {
			l.gateUp = fuseRows(&l.Gate, &l.Up)
		}
	}
}

// fuseLayers fuses every layer.
func (m *Model) fuseLayers() {
	for i := range m.Layers {
		m.Layers[i].fuse()
	}
}

// aliases reports whether the parts still sit, in order, in f's buffer
// (false once a part was replaced by another matrix).
func aliases(f *Matrix, parts ...*Matrix) bool {
	if f.Rows == 0 {
		return false
	}
	off := 0
	for _, p := range parts {
		if p.DType != f.DType || p.Cols != f.Cols {
			return false
		}
		n := p.Rows * p.Cols
		if f.DType.IsQuant() {
			n = len(p.Q)
			if n != p.Rows*p.rowBytes() || off+n > len(f.Q) || (n > 0 && unsafe.SliceData(p.Q) != &f.Q[off]) {
				return false
			}
			off += n
			continue
		}
		if f.DType == tensor.F32 {
			if len(p.F32) != n || off+n > len(f.F32) || (n > 0 && unsafe.SliceData(p.F32) != &f.F32[off]) {
				return false
			}
		} else if len(p.U16) != n || off+n > len(f.U16) || (n > 0 && unsafe.SliceData(p.U16) != &f.U16[off]) {
			return false
		}
		off += n
	}
	return true
}

// contiguousQ returns the bytes spanning quantized matrices that lie back
// to back in one buffer, in order.
func contiguousQ(ms []*Matrix) ([]byte, bool) {
	first := ms[0].Q
	total := 0
	for _, m := range ms {
		if len(m.Q) == 0 || cap(first) < total+len(m.Q) || unsafe.SliceData(m.Q) != unsafe.SliceData(first[total:total+1]) {
			return nil, false
		}
		total += len(m.Q)
	}
	return first[:total:total], true
}
