package llama

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/popi-go/popi/internal/atomicfile"
	"github.com/popi-go/popi/tensor"
)

// Tensor is one named tensor to be written. Exactly one of F32 (tensor.F32) or
// U16 (raw bits, tensor.BF16 or tensor.F16) holds the data, row-major.
type Tensor struct {
	Name  string
	DType tensor.DType
	Shape []int
	F32   []float32
	U16   []uint16
}

func (t *Tensor) check() (int64, error) {
	if t.Name == "" || t.Name == "__metadata__" || !utf8.ValidString(t.Name) {
		return 0, fmt.Errorf("invalid tensor name %q", t.Name)
	}
	n, err := numElements(t.Shape, math.MaxInt64/8)
	if err != nil {
		return 0, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	switch t.DType {
	case tensor.F32:
		if int64(len(t.F32)) != n || t.U16 != nil {
			return 0, fmt.Errorf("tensor %q: F32 needs %d values in F32, has %d (U16 %d)", t.Name, n, len(t.F32), len(t.U16))
		}
	case tensor.BF16, tensor.F16:
		if int64(len(t.U16)) != n || t.F32 != nil {
			return 0, fmt.Errorf("tensor %q: %s needs %d values in U16, has %d (F32 %d)", t.Name, t.DType, n, len(t.U16), len(t.F32))
		}
	default:
		return 0, fmt.Errorf("tensor %q: safetensors cannot store %s", t.Name, t.DType)
	}
	return t.DType.Bytes(n), nil
}

// EncodeSafetensorsHeader returns the padded JSON header (without the 8-byte length) for the
// tensors, which must already be sorted by name, and the total data size.
func encodeSafetensorsHeader(ts []Tensor, sizes []int64) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"__metadata__":{"format":"pt"}`)
	var off int64
	for i := range ts {
		name, err := jsonString(ts[i].Name)
		if err != nil {
			return nil, err
		}
		b.WriteByte(',')
		b.Write(name)
		b.WriteString(`:{"dtype":"`)
		b.WriteString(ts[i].DType.String())
		b.WriteString(`","shape":[`)
		for j, d := range ts[i].Shape {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		b.WriteString(`],"data_offsets":[`)
		b.WriteString(strconv.FormatInt(off, 10))
		b.WriteByte(',')
		off += sizes[i]
		b.WriteString(strconv.FormatInt(off, 10))
		b.WriteString("]}")
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes(), nil
}

func jsonString(s string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// WriteSafetensors atomically writes tensors to path in the standard layout: u64 LE header
// length, compact JSON header with __metadata__ {"format":"pt"} padded with spaces to a
// multiple of 8 bytes, tensor data in name order. The input slice is not modified.
func WriteSafetensors(path string, tensors []Tensor) error {
	ts := append([]Tensor(nil), tensors...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	sizes := make([]int64, len(ts))
	for i := range ts {
		if i > 0 && ts[i].Name == ts[i-1].Name {
			return fmt.Errorf("llama: write safetensors: duplicate tensor %q", ts[i].Name)
		}
		sz, err := ts[i].check()
		if err != nil {
			return fmt.Errorf("llama: write safetensors: %w", err)
		}
		sizes[i] = sz
	}
	hdr, err := encodeSafetensorsHeader(ts, sizes)
	if err != nil {
		return fmt.Errorf("llama: write safetensors: %w", err)
	}
	return atomicfile.Write(path, 0o644, func(f *os.File) error {
		w := bufio.NewWriterSize(f, 1<<20)
		var lb [8]byte
		binary.LittleEndian.PutUint64(lb[:], uint64(len(hdr)))
		w.Write(lb[:])
		w.Write(hdr)
		var buf [4]byte
		for i := range ts {
			switch ts[i].DType {
			case tensor.F32:
				for _, v := range ts[i].F32 {
					binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
					w.Write(buf[:4])
				}
			default:
				for _, v := range ts[i].U16 {
					binary.LittleEndian.PutUint16(buf[:], v)
					w.Write(buf[:2])
				}
			}
		}
		return w.Flush()
	})
}

// ReadTensor reads one tensor of a set in its stored precision: 16-bit types stay 16-bit,
// F32 and Q8_0 come back as F32.
func ReadTensor(ts TensorSet, name string) (Tensor, error) {
	dt, shape, ok := ts.Info(name)
	if !ok {
		return Tensor{}, fmt.Errorf("llama: no tensor %q", name)
	}
	t := Tensor{Name: name, Shape: shape}
	var err error
	switch dt {
	case tensor.BF16, tensor.F16:
		t.U16, t.DType, err = ts.ReadU16(name)
	default:
		t.DType = tensor.F32
		t.F32, err = ts.ReadF32(name)
	}
	return t, err
}

// WriteTensorSet copies every tensor of ts into a safetensors file at path (Q8_0 is widened
// to F32, 16-bit types are kept). It holds all tensors in memory while writing.
func WriteTensorSet(path string, ts TensorSet) error {
	var all []Tensor
	for _, name := range ts.Names() {
		t, err := ReadTensor(ts, name)
		if err != nil {
			return err
		}
		all = append(all, t)
	}
	return WriteSafetensors(path, all)
}
