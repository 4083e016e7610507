package llama

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/popi-go/popi/internal/safefile"
	"github.com/popi-go/popi/tensor"
)

// maxSafetensorsHeader caps the JSON header size (the format's own reference limit is 100 MB).
const maxSafetensorsHeader = 100 << 20

type stEntry struct {
	dtype tensor.DType
	shape []int
	begin int64 // absolute file offset
	size  int64
	n     int64
}

// Safetensors is an open .safetensors file. Tensors are read on demand with ReadAt,
// so opening a large file costs only its header.
type Safetensors struct {
	path     string
	f        io.ReaderAt
	closer   io.Closer
	entries  map[string]*stEntry
	names    []string
	Metadata map[string]string // the __metadata__ object, if any
}

// OpenSafetensors opens and validates a single .safetensors file.
func OpenSafetensors(path string) (*Safetensors, error) {
	f, size, err := safefile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("llama: safetensors: %w", err)
	}
	s, err := parseSafetensors(f, size)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("llama: safetensors %s: %w", path, err)
	}
	s.path = path
	s.closer = f
	return s, nil
}

// ParseSafetensors validates a safetensors image held in memory (used by tests and fuzzing).
func ParseSafetensors(data []byte) (*Safetensors, error) {
	s, err := parseSafetensors(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("llama: safetensors: %w", err)
	}
	return s, nil
}

type stHeaderEntry struct {
	DType       string  `json:"dtype"`
	Shape       []int   `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

func parseSafetensorsDType(s string) (tensor.DType, error) {
	switch s {
	case "F32":
		return tensor.F32, nil
	case "BF16":
		return tensor.BF16, nil
	case "F16":
		return tensor.F16, nil
	}
	return 0, fmt.Errorf("unsupported dtype %q (want F32, BF16 or F16)", s)
}

func parseSafetensors(r io.ReaderAt, fileSize int64) (*Safetensors, error) {
	if fileSize < 8 {
		return nil, fmt.Errorf("file too short (%d bytes) for a header length", fileSize)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("reading header length: %w", err)
	}
	hlen := binary.LittleEndian.Uint64(lenBuf[:])
	if hlen > uint64(fileSize-8) {
		return nil, fmt.Errorf("header length %d exceeds file size %d", hlen, fileSize)
	}
	if hlen > maxSafetensorsHeader {
		return nil, fmt.Errorf("header length %d exceeds limit %d", hlen, maxSafetensorsHeader)
	}
	if hlen < 2 {
		return nil, fmt.Errorf("header length %d too small", hlen)
	}
	hdr := make([]byte, hlen)
	if _, err := r.ReadAt(hdr, 8); err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	raw, err := decodeHeaderObject(dec)
	if err != nil {
		return nil, err
	}
	// Only trailing spaces (the padding) may follow the object.
	if rest := bytes.TrimRight(hdr[dec.InputOffset():], " \t\r\n"); len(rest) != 0 {
		return nil, errors.New("header JSON: trailing data after object")
	}
	dataStart := int64(8 + hlen)
	dataSize := fileSize - dataStart
	s := &Safetensors{f: r, entries: map[string]*stEntry{}}
	type span struct {
		name       string
		begin, end int64
	}
	var spans []span
	for _, kv := range raw {
		name, msg := kv.name, kv.value
		if name == "__metadata__" {
			var md map[string]string
			if err := json.Unmarshal(msg, &md); err != nil {
				return nil, fmt.Errorf("__metadata__ must map strings to strings: %w", err)
			}
			s.Metadata = md
			continue
		}
		if name == "" {
			return nil, errors.New("empty tensor name")
		}
		var he stHeaderEntry
		if err := json.Unmarshal(msg, &he); err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		dt, err := parseSafetensorsDType(he.DType)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		if he.Shape == nil {
			return nil, fmt.Errorf("tensor %q: missing shape", name)
		}
		n, err := numElements(he.Shape, dataSize+1)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		if len(he.DataOffsets) != 2 {
			return nil, fmt.Errorf("tensor %q: data_offsets must have 2 entries, got %d", name, len(he.DataOffsets))
		}
		b, e := he.DataOffsets[0], he.DataOffsets[1]
		if b < 0 || e < b || e > dataSize {
			return nil, fmt.Errorf("tensor %q: data_offsets [%d,%d] outside data area of %d bytes", name, b, e, dataSize)
		}
		if want := dt.Bytes(n); e-b != want {
			return nil, fmt.Errorf("tensor %q: %d bytes for shape %v of %s, want %d", name, e-b, he.Shape, dt, want)
		}
		s.entries[name] = &stEntry{dtype: dt, shape: append([]int(nil), he.Shape...), begin: dataStart + b, size: e - b, n: n}
		spans = append(spans, span{name, b, e})
	}
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].begin != spans[j].begin {
			return spans[i].begin < spans[j].begin
		}
		return spans[i].end < spans[j].end
	})
	for i := 1; i < len(spans); i++ {
		if spans[i].begin < spans[i-1].end {
			return nil, fmt.Errorf("tensors %q and %q overlap", spans[i-1].name, spans[i].name)
		}
	}
	for name := range s.entries {
		s.names = append(s.names, name)
	}
	sort.Strings(s.names)
	return s, nil
}

type headerField struct {
	name  string
	value json.RawMessage
}

// decodeHeaderObject reads the header's JSON object field by field, refusing a name that
// appears twice (a map would keep the last one silently, so two readers of the same file
// could disagree on a tensor).
func decodeHeaderObject(dec *json.Decoder) ([]headerField, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("header JSON: %w", err)
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return nil, errors.New("header JSON is not an object")
	}
	var out []headerField
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("header JSON: %w", err)
		}
		name, ok := t.(string)
		if !ok {
			return nil, fmt.Errorf("header JSON: unexpected %v", t)
		}
		if seen[name] {
			return nil, fmt.Errorf("header JSON: %q appears twice", name)
		}
		seen[name] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("header JSON: %q: %w", name, err)
		}
		out = append(out, headerField{name, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("header JSON: %w", err)
	}
	return out, nil
}

// Path is the file this set was opened from ("" for in-memory images).
func (s *Safetensors) Path() string { return s.path }

// Names returns the tensor names, sorted.
func (s *Safetensors) Names() []string { return append([]string(nil), s.names...) }

// Info returns the dtype and shape of a tensor.
func (s *Safetensors) Info(name string) (tensor.DType, []int, bool) {
	e, ok := s.entries[name]
	if !ok {
		return 0, nil, false
	}
	return e.dtype, append([]int(nil), e.shape...), true
}

// ReadF32 returns the tensor widened to float32.
func (s *Safetensors) ReadF32(name string) ([]float32, error) {
	e, ok := s.entries[name]
	if !ok {
		return nil, fmt.Errorf("llama: safetensors %s: no tensor %q", s.path, name)
	}
	out, err := readF32At(s.f, e.begin, e.dtype, e.n)
	if err != nil {
		return nil, fmt.Errorf("llama: safetensors %s: reading %q: %w", s.path, name, err)
	}
	return out, nil
}

// ReadU16 returns the raw bits of a BF16 or F16 tensor.
func (s *Safetensors) ReadU16(name string) ([]uint16, tensor.DType, error) {
	e, ok := s.entries[name]
	if !ok {
		return nil, 0, fmt.Errorf("llama: safetensors %s: no tensor %q", s.path, name)
	}
	if e.dtype != tensor.BF16 && e.dtype != tensor.F16 {
		return nil, e.dtype, fmt.Errorf("llama: safetensors %s: tensor %q is %s, not a 16-bit type", s.path, name, e.dtype)
	}
	out, err := readU16At(s.f, e.begin, e.n)
	if err != nil {
		return nil, 0, fmt.Errorf("llama: safetensors %s: reading %q: %w", s.path, name, err)
	}
	return out, e.dtype, nil
}

// Close releases the file.
func (s *Safetensors) Close() error {
	if s.closer == nil {
		return nil
	}
	err := s.closer.Close()
	s.closer = nil
	return err
}
