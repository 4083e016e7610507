package kernels

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestChoosePath: POPI_KERNELS picks an available path (case and spaces
// ignored); an empty value picks the best; a value that names no
// available path falls back to the best with a warning that names the
// value and the available paths.
func TestChoosePath(t *testing.T) {
	avail := []Path{PathAVX2, PathGeneric}
	for _, c := range []struct {
		env     string
		want    Path
		warning string // substring; "" means no warning
	}{
		{"", PathAVX2, ""},
		{"generic", PathGeneric, ""},
		{" AVX2 ", PathAVX2, ""},
		{"avx512", PathAVX2, `POPI_KERNELS="avx512" is not available on this CPU or build (available: avx2, generic); using avx2`},
		{"neon", PathAVX2, `POPI_KERNELS="neon" is not available`},
		{"sse", PathAVX2, `POPI_KERNELS="sse" is not a kernel path (available: avx2, generic); using avx2`},
	} {
		got, warning := choosePath(c.env, avail)
		assert.Equal(t, c.want, got, "choosePath(%q)", c.env)
		if c.warning == "" {
			assert.Empty(t, warning, "choosePath(%q)", c.env)
		} else {
			assert.Contains(t, warning, c.warning, "choosePath(%q)", c.env)
		}
	}
}

// TestUnknownPathWarns: what init does with an unknown POPI_KERNELS (it
// calls startPath with os.Stderr): the warning names the value and the
// available paths, and the best path is active.
func TestUnknownPathWarns(t *testing.T) {
	defer SetPath(ActivePath())
	SetPath(PathGeneric)
	var stderr strings.Builder
	startPath("no-such-isa", &stderr)
	assert.Equal(t, AvailablePaths()[0], ActivePath(), "the best path")
	assert.Equal(t, `kernels: POPI_KERNELS="no-such-isa" is not a kernel path (available: `+
		joinPaths(AvailablePaths())+"); using "+string(AvailablePaths()[0])+"\n", stderr.String())

	stderr.Reset()
	startPath("generic", &stderr)
	assert.Equal(t, PathGeneric, ActivePath())
	assert.Empty(t, stderr.String(), "no warning for an available path")
}
