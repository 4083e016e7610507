package llama

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/popi-go/popi/tensor"
)

// readChunk is the transient buffer size used when decoding tensors from disk, so reading a
// tensor costs its decoded size plus at most this much, never twice its size.
const readChunk = 4 << 20

// readF32At decodes n elements of dt stored at off into float32, reading in chunks.
func readF32At(r io.ReaderAt, off int64, dt tensor.DType, n int64) ([]float32, error) {
	size := dt.Bytes(n)
	if size < 0 {
		return nil, fmt.Errorf("cannot read %d elements of %s", n, dt)
	}
	out := newF32Weights(int(n))
	ub, ue := int64(dt.BlockBytes()), int64(dt.BlockSize()) // chunks hold whole blocks
	per := max(readChunk/ub, 1) * ub
	buf := make([]byte, min(per, size))
	var done int64
	for done < size {
		k := min(per, size-done)
		if _, err := r.ReadAt(buf[:k], off+done); err != nil {
			return nil, err
		}
		first := done / ub * ue
		cnt := k / ub * ue
		copy(out[first:first+cnt], decodeF32(dt, buf[:k], int(cnt)))
		done += k
	}
	return out, nil
}

// readU16At reads n little-endian uint16 values at off, in chunks.
func readU16At(r io.ReaderAt, off int64, n int64) ([]uint16, error) {
	out := newU16Weights(int(n))
	buf := make([]byte, min(int64(readChunk), 2*n))
	var done int64
	for done < n {
		k := min(int64(len(buf))/2, n-done)
		if _, err := r.ReadAt(buf[:2*k], off+2*done); err != nil {
			return nil, err
		}
		for i := int64(0); i < k; i++ {
			out[done+i] = binary.LittleEndian.Uint16(buf[2*i:])
		}
		done += k
	}
	return out, nil
}
