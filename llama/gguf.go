package llama

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/popi-go/popi/internal/safefile"
	"github.com/popi-go/popi/tensor"
)

// GGUF value types.
const (
	ggufUint8   = 0
	ggufInt8    = 1
	ggufUint16  = 2
	ggufInt16   = 3
	ggufUint32  = 4
	ggufInt32   = 5
	ggufFloat32 = 6
	ggufBool    = 7
	ggufString  = 8
	ggufArray   = 9
	ggufUint64  = 10
	ggufInt64   = 11
	ggufFloat64 = 12
)

// ggml tensor types this reader supports.
const (
	ggmlF32  = 0
	ggmlF16  = 1
	ggmlQ4_0 = 2
	ggmlQ8_0 = 8
	ggmlQ4_K = 12
	ggmlQ6_K = 14
	ggmlBF16 = 30
)

const (
	ggufMagic            = 0x46554747 // "GGUF" little endian
	ggufDefaultAlignment = 32
	ggufMaxDims          = 4
	ggufMaxNesting       = 4
)

// GGUFTensorInfo describes one tensor as stored in a GGUF file.
type GGUFTensorInfo struct {
	Name   string
	Dims   []uint64 // GGUF order: Dims[0] is the fastest-varying (columns)
	DType  tensor.DType
	Offset int64 // absolute file offset of the data
	Size   int64 // bytes
	n      int64
}

// GGUF is a parsed GGUF (v2/v3) file: metadata and tensor directory. Tensor data stays
// on disk and is read on demand.
type GGUF struct {
	Version   uint32
	Metadata  map[string]any // scalars as Go values; arrays as typed slices ([]string, []int32, ...) or []any
	Tensors   []GGUFTensorInfo
	Alignment int64
	byName    map[string]int
	r         io.ReaderAt
	closer    io.Closer
	path      string
}

type ggufReader struct {
	r    *bufio.Reader
	pos  int64
	size int64
}

func (g *ggufReader) remaining() int64 { return g.size - g.pos }

func (g *ggufReader) read(n int) ([]byte, error) {
	if int64(n) > g.remaining() {
		return nil, fmt.Errorf("unexpected end of file at offset %d (need %d bytes)", g.pos, n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(g.r, b); err != nil {
		return nil, fmt.Errorf("at offset %d: %w", g.pos, err)
	}
	g.pos += int64(n)
	return b, nil
}

func (g *ggufReader) u32() (uint32, error) {
	b, err := g.read(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (g *ggufReader) u64() (uint64, error) {
	b, err := g.read(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (g *ggufReader) str() (string, error) {
	n, err := g.u64()
	if err != nil {
		return "", err
	}
	if n > uint64(g.remaining()) {
		return "", fmt.Errorf("string length %d at offset %d exceeds file size", n, g.pos-8)
	}
	b, err := g.read(int(n))
	return string(b), err
}

// ggufScalarSize is the encoded size of a fixed-size value type, or 0.
func ggufScalarSize(t uint32) int {
	switch t {
	case ggufUint8, ggufInt8, ggufBool:
		return 1
	case ggufUint16, ggufInt16:
		return 2
	case ggufUint32, ggufInt32, ggufFloat32:
		return 4
	case ggufUint64, ggufInt64, ggufFloat64:
		return 8
	}
	return 0
}

func (g *ggufReader) scalar(t uint32) (any, error) {
	sz := ggufScalarSize(t)
	b, err := g.read(sz)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	switch t {
	case ggufUint8:
		return b[0], nil
	case ggufInt8:
		return int8(b[0]), nil
	case ggufBool:
		if b[0] > 1 {
			return nil, fmt.Errorf("invalid bool byte %d", b[0])
		}
		return b[0] == 1, nil
	case ggufUint16:
		return le.Uint16(b), nil
	case ggufInt16:
		return int16(le.Uint16(b)), nil
	case ggufUint32:
		return le.Uint32(b), nil
	case ggufInt32:
		return int32(le.Uint32(b)), nil
	case ggufFloat32:
		return math.Float32frombits(le.Uint32(b)), nil
	case ggufUint64:
		return le.Uint64(b), nil
	case ggufInt64:
		return int64(le.Uint64(b)), nil
	case ggufFloat64:
		return math.Float64frombits(le.Uint64(b)), nil
	}
	return nil, fmt.Errorf("unknown value type %d", t)
}

func (g *ggufReader) value(t uint32, depth int) (any, error) {
	switch t {
	case ggufString:
		return g.str()
	case ggufArray:
		if depth >= ggufMaxNesting {
			return nil, errors.New("arrays nested too deeply")
		}
		et, err := g.u32()
		if err != nil {
			return nil, err
		}
		n, err := g.u64()
		if err != nil {
			return nil, err
		}
		// Every element takes at least one byte (strings: 8), so cap by what is left.
		minSize := uint64(ggufScalarSize(et))
		if et == ggufString || et == ggufArray {
			minSize = 8
		}
		if minSize == 0 {
			return nil, fmt.Errorf("array of unknown value type %d", et)
		}
		if n > uint64(g.remaining())/minSize {
			return nil, fmt.Errorf("array of %d elements at offset %d exceeds file size", n, g.pos)
		}
		return g.array(et, int(n), depth)
	default:
		if ggufScalarSize(t) == 0 {
			return nil, fmt.Errorf("unknown value type %d", t)
		}
		return g.scalar(t)
	}
}

func (g *ggufReader) array(et uint32, n int, depth int) (any, error) {
	switch et {
	case ggufString:
		out := make([]string, n)
		for i := range out {
			s, err := g.str()
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	case ggufArray:
		out := make([]any, n)
		for i := range out {
			v, err := g.value(ggufArray, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	sz := ggufScalarSize(et)
	raw, err := g.read(n * sz)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	switch et {
	case ggufUint8:
		return raw, nil
	case ggufInt8:
		out := make([]int8, n)
		for i := range out {
			out[i] = int8(raw[i])
		}
		return out, nil
	case ggufBool:
		out := make([]bool, n)
		for i := range out {
			if raw[i] > 1 {
				return nil, fmt.Errorf("invalid bool byte %d", raw[i])
			}
			out[i] = raw[i] == 1
		}
		return out, nil
	case ggufUint16:
		out := make([]uint16, n)
		for i := range out {
			out[i] = le.Uint16(raw[2*i:])
		}
		return out, nil
	case ggufInt16:
		out := make([]int16, n)
		for i := range out {
			out[i] = int16(le.Uint16(raw[2*i:]))
		}
		return out, nil
	case ggufUint32:
		out := make([]uint32, n)
		for i := range out {
			out[i] = le.Uint32(raw[4*i:])
		}
		return out, nil
	case ggufInt32:
		out := make([]int32, n)
		for i := range out {
			out[i] = int32(le.Uint32(raw[4*i:]))
		}
		return out, nil
	case ggufFloat32:
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
		return out, nil
	case ggufUint64:
		out := make([]uint64, n)
		for i := range out {
			out[i] = le.Uint64(raw[8*i:])
		}
		return out, nil
	case ggufInt64:
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(le.Uint64(raw[8*i:]))
		}
		return out, nil
	case ggufFloat64:
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(le.Uint64(raw[8*i:]))
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown array element type %d", et)
}

func ggmlDType(t uint32) (tensor.DType, error) {
	switch t {
	case ggmlF32:
		return tensor.F32, nil
	case ggmlF16:
		return tensor.F16, nil
	case ggmlBF16:
		return tensor.BF16, nil
	case ggmlQ8_0:
		return tensor.Q8_0, nil
	case ggmlQ4_0:
		return tensor.Q4_0, nil
	case ggmlQ4_K:
		return tensor.Q4_K, nil
	case ggmlQ6_K:
		return tensor.Q6_K, nil
	}
	return 0, fmt.Errorf("unsupported ggml tensor type %d (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)", t)
}

// OpenGGUF opens and parses a GGUF file's header.
func OpenGGUF(path string) (*GGUF, error) {
	f, size, err := safefile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("llama: gguf: %w", err)
	}
	g, err := parseGGUF(f, size)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("llama: gguf %s: %w", path, err)
	}
	g.closer = f
	g.path = path
	return g, nil
}

// ParseGGUF parses a GGUF image held in memory.
func ParseGGUF(r io.ReaderAt, size int64) (*GGUF, error) {
	g, err := parseGGUF(r, size)
	if err != nil {
		return nil, fmt.Errorf("llama: gguf: %w", err)
	}
	return g, nil
}

func parseGGUF(ra io.ReaderAt, size int64) (*GGUF, error) {
	g := &ggufReader{r: bufio.NewReaderSize(io.NewSectionReader(ra, 0, size), 1<<16), size: size}
	magic, err := g.u32()
	if err != nil {
		return nil, err
	}
	if magic != ggufMagic {
		return nil, fmt.Errorf("bad magic %#x (not a GGUF file)", magic)
	}
	version, err := g.u32()
	if err != nil {
		return nil, err
	}
	if version != 2 && version != 3 {
		return nil, fmt.Errorf("unsupported GGUF version %d (want 2 or 3)", version)
	}
	nTensors, err := g.u64()
	if err != nil {
		return nil, err
	}
	nKV, err := g.u64()
	if err != nil {
		return nil, err
	}
	// A KV pair takes at least 8+4+1 bytes, a tensor info at least 8+4+8+4+8.
	if nKV > uint64(g.remaining())/13 {
		return nil, fmt.Errorf("%d metadata entries cannot fit in %d bytes", nKV, size)
	}
	if nTensors > uint64(g.remaining())/32 {
		return nil, fmt.Errorf("%d tensor infos cannot fit in %d bytes", nTensors, size)
	}
	out := &GGUF{Version: version, Metadata: make(map[string]any, nKV), byName: map[string]int{}, r: ra, Alignment: ggufDefaultAlignment}
	for i := uint64(0); i < nKV; i++ {
		key, err := g.str()
		if err != nil {
			return nil, fmt.Errorf("metadata key %d: %w", i, err)
		}
		t, err := g.u32()
		if err != nil {
			return nil, fmt.Errorf("metadata %q: %w", key, err)
		}
		v, err := g.value(t, 0)
		if err != nil {
			return nil, fmt.Errorf("metadata %q: %w", key, err)
		}
		if _, dup := out.Metadata[key]; dup {
			return nil, fmt.Errorf("duplicate metadata key %q", key)
		}
		out.Metadata[key] = v
	}
	if a, ok := out.Metadata["general.alignment"]; ok {
		al, ok := a.(uint32)
		if !ok || al == 0 || al&(al-1) != 0 {
			return nil, fmt.Errorf("general.alignment must be a power-of-two uint32, got %v", a)
		}
		out.Alignment = int64(al)
	}
	for i := uint64(0); i < nTensors; i++ {
		name, err := g.str()
		if err != nil {
			return nil, fmt.Errorf("tensor info %d: %w", i, err)
		}
		nd, err := g.u32()
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		if nd == 0 || nd > ggufMaxDims {
			return nil, fmt.Errorf("tensor %q: %d dimensions (want 1..%d)", name, nd, ggufMaxDims)
		}
		ti := GGUFTensorInfo{Name: name, Dims: make([]uint64, nd)}
		for d := range ti.Dims {
			if ti.Dims[d], err = g.u64(); err != nil {
				return nil, fmt.Errorf("tensor %q: %w", name, err)
			}
		}
		tt, err := g.u32()
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		if ti.DType, err = ggmlDType(tt); err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		off, err := g.u64()
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		if off > uint64(size) || int64(off)%out.Alignment != 0 {
			return nil, fmt.Errorf("tensor %q: offset %d out of range or not aligned to %d", name, off, out.Alignment)
		}
		ti.Offset = int64(off)
		n := int64(1)
		for _, d := range ti.Dims {
			if d > uint64(size) || (d != 0 && n > size/int64(d)) {
				return nil, fmt.Errorf("tensor %q: dims %v too large for the file", name, ti.Dims)
			}
			n *= int64(d)
		}
		if bs := uint64(ti.DType.BlockSize()); ti.Dims[0]%bs != 0 {
			return nil, fmt.Errorf("tensor %q: %s row length %d not a multiple of %d", name, ti.DType, ti.Dims[0], bs)
		}
		ti.n = n
		ti.Size = ti.DType.Bytes(n)
		if _, dup := out.byName[name]; dup {
			return nil, fmt.Errorf("duplicate tensor %q", name)
		}
		out.byName[name] = len(out.Tensors)
		out.Tensors = append(out.Tensors, ti)
	}
	dataStart := (g.pos + out.Alignment - 1) / out.Alignment * out.Alignment
	if dataStart > size && len(out.Tensors) > 0 {
		return nil, fmt.Errorf("data section starts at %d past end of file (%d bytes)", dataStart, size)
	}
	order := make([]int, len(out.Tensors))
	for i := range out.Tensors {
		t := &out.Tensors[i]
		t.Offset += dataStart
		if t.Offset+t.Size > size {
			return nil, fmt.Errorf("tensor %q: data [%d,%d) beyond end of file (%d bytes)", t.Name, t.Offset, t.Offset+t.Size, size)
		}
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return out.Tensors[order[a]].Offset < out.Tensors[order[b]].Offset })
	for k := 1; k < len(order); k++ {
		p, q := &out.Tensors[order[k-1]], &out.Tensors[order[k]]
		if q.Offset < p.Offset+p.Size {
			return nil, fmt.Errorf("tensors %q and %q overlap", p.Name, q.Name)
		}
	}
	return out, nil
}

// Close releases the file.
func (g *GGUF) Close() error {
	if g.closer == nil {
		return nil
	}
	err := g.closer.Close()
	g.closer = nil
	return err
}

// Tensor returns the info of a tensor by its GGUF name.
func (g *GGUF) Tensor(name string) (GGUFTensorInfo, bool) {
	i, ok := g.byName[name]
	if !ok {
		return GGUFTensorInfo{}, false
	}
	return g.Tensors[i], true
}

// ReadRaw returns the stored bytes of a tensor.
func (g *GGUF) ReadRaw(name string) ([]byte, error) {
	t, ok := g.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("llama: gguf: no tensor %q", name)
	}
	buf := make([]byte, t.Size)
	if _, err := g.r.ReadAt(buf, t.Offset); err != nil {
		return nil, fmt.Errorf("llama: gguf: reading %q: %w", name, err)
	}
	return buf, nil
}

// String returns a string metadata value.
func (g *GGUF) String(key string) (string, bool) {
	s, ok := g.Metadata[key].(string)
	return s, ok
}

// Int returns an integer metadata value of any integer type.
func (g *GGUF) Int(key string) (int64, bool) {
	switch v := g.Metadata[key].(type) {
	case uint8:
		return int64(v), true
	case int8:
		return int64(v), true
	case uint16:
		return int64(v), true
	case int16:
		return int64(v), true
	case uint32:
		return int64(v), true
	case int32:
		return int64(v), true
	case uint64:
		if v > math.MaxInt64 {
			return 0, false
		}
		return int64(v), true
	case int64:
		return v, true
	}
	return 0, false
}

// Float returns a floating-point metadata value (float32 values are widened exactly).
func (g *GGUF) Float(key string) (float64, bool) {
	switch v := g.Metadata[key].(type) {
	case float32:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

// Bool returns a bool metadata value.
func (g *GGUF) Bool(key string) (bool, bool) {
	b, ok := g.Metadata[key].(bool)
	return b, ok
}

// Strings returns a string-array metadata value.
func (g *GGUF) Strings(key string) ([]string, bool) {
	s, ok := g.Metadata[key].([]string)
	return s, ok
}

// Ints returns an integer-array metadata value of any integer element type.
func (g *GGUF) Ints(key string) ([]int64, bool) {
	var out []int64
	switch v := g.Metadata[key].(type) {
	case []int32:
		for _, x := range v {
			out = append(out, int64(x))
		}
	case []uint32:
		for _, x := range v {
			out = append(out, int64(x))
		}
	case []int64:
		out = append(out, v...)
	case []uint8:
		for _, x := range v {
			out = append(out, int64(x))
		}
	case []int8:
		for _, x := range v {
			out = append(out, int64(x))
		}
	case []int16:
		for _, x := range v {
			out = append(out, int64(x))
		}
	case []uint16:
		for _, x := range v {
			out = append(out, int64(x))
		}
	default:
		return nil, false
	}
	if out == nil {
		out = []int64{}
	}
	return out, true
}
