package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/popi-go/popi/internal/atomicfile"
	"github.com/popi-go/popi/internal/safefile"
)

// AdamWState is AdamW's complete state: the step count and the first and
// second moments of every parameter in group order (nil for parameters not
// yet updated). It is exactly restorable: SetState then Step continues
// bit-for-bit as if never interrupted.
type AdamWState struct {
	Step int64
	M, V [][]float32
}

const adamMagic = "POPIADW1"

// MarshalBinary encodes the state: magic "POPIADW1", step (int64 LE), the
// parameter count (uint32), then per parameter a length (uint64; all ones for
// "not yet allocated") followed by M and V as little-endian float32.
func (s *AdamWState) MarshalBinary() ([]byte, error) {
	if len(s.M) != len(s.V) {
		return nil, fmt.Errorf("nn: AdamW state with %d first and %d second moments", len(s.M), len(s.V))
	}
	var b bytes.Buffer
	b.WriteString(adamMagic)
	binary.Write(&b, binary.LittleEndian, s.Step)
	binary.Write(&b, binary.LittleEndian, uint32(len(s.M)))
	for i := range s.M {
		if s.M[i] == nil {
			binary.Write(&b, binary.LittleEndian, ^uint64(0))
			continue
		}
		if len(s.M[i]) != len(s.V[i]) {
			return nil, fmt.Errorf("nn: AdamW state parameter %d with moments of %d and %d values", i, len(s.M[i]), len(s.V[i]))
		}
		binary.Write(&b, binary.LittleEndian, uint64(len(s.M[i])))
		binary.Write(&b, binary.LittleEndian, s.M[i])
		binary.Write(&b, binary.LittleEndian, s.V[i])
	}
	return b.Bytes(), nil
}

// UnmarshalBinary decodes MarshalBinary's format, rejecting truncated,
// oversized or malformed input with an error.
func (s *AdamWState) UnmarshalBinary(data []byte) error {
	if len(data) < len(adamMagic)+12 || string(data[:len(adamMagic)]) != adamMagic {
		return errors.New("nn: not an AdamW state (bad magic or too short)")
	}
	p := data[len(adamMagic):]
	step := int64(binary.LittleEndian.Uint64(p))
	n := binary.LittleEndian.Uint32(p[8:])
	p = p[12:]
	if step < 0 {
		return fmt.Errorf("nn: AdamW state with negative step %d", step)
	}
	if uint64(n)*8 > uint64(len(p)) {
		return fmt.Errorf("nn: AdamW state claims %d parameters in %d bytes", n, len(p))
	}
	out := AdamWState{Step: step, M: make([][]float32, n), V: make([][]float32, n)}
	for i := range out.M {
		if len(p) < 8 {
			return fmt.Errorf("nn: AdamW state truncated at parameter %d", i)
		}
		l := binary.LittleEndian.Uint64(p)
		p = p[8:]
		if l == ^uint64(0) {
			continue
		}
		if l > uint64(len(p))/8 {
			return fmt.Errorf("nn: AdamW state parameter %d claims %d values, %d bytes left", i, l, len(p))
		}
		out.M[i] = readF32s(p[:4*l])
		out.V[i] = readF32s(p[4*l : 8*l])
		p = p[8*l:]
	}
	if len(p) != 0 {
		return fmt.Errorf("nn: AdamW state has %d trailing bytes", len(p))
	}
	*s = out
	return nil
}

func readF32s(b []byte) []float32 {
	f := make([]float32, len(b)/4)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return f
}

// Check reports the first value a valid state cannot hold: a negative step, a NaN or
// infinite moment, or a negative second moment (v is a running mean of squares).
func (s *AdamWState) Check() error {
	if s.Step < 0 {
		return fmt.Errorf("nn: AdamW state with negative step %d", s.Step)
	}
	if len(s.M) != len(s.V) {
		return fmt.Errorf("nn: AdamW state with %d first and %d second moments", len(s.M), len(s.V))
	}
	for i := range s.M {
		if err := s.checkParam(i); err != nil {
			return fmt.Errorf("nn: AdamW state of parameter %d: %w", i, err)
		}
	}
	return nil
}

// checkParam checks parameter i's moments: finite, and the second one non-negative.
func (s *AdamWState) checkParam(i int) error {
	for j, x := range s.M[i] {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("first moment [%d] is %v", j, x)
		}
	}
	for j, x := range s.V[i] {
		if !(x >= 0) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("second moment [%d] is %v (must be finite and >= 0)", j, x)
		}
	}
	return nil
}

// Save writes the state to path atomically (internal/atomicfile: temporary file, fsync,
// rename; mode 0600). A state that Check rejects is an error and nothing is written.
func (s *AdamWState) Save(path string) error {
	if err := s.Check(); err != nil {
		return err
	}
	b, err := s.MarshalBinary()
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b, 0o600)
}

// ReadAdamWState reads a state written by Save.
func ReadAdamWState(path string) (*AdamWState, error) {
	b, err := safefile.ReadFile(path, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	var s AdamWState
	if err := s.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}
