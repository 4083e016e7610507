package kernels

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// TestUnknownPathWarns runs this test binary with an unknown POPI_KERNELS:
// the package's init must say so on stderr and start on the best path.
func TestUnknownPathWarns(t *testing.T) {
	if os.Getenv("POPI_KERNELS_CHILD") == "1" {
		require.Equal(t, AvailablePaths()[0], ActivePath(), "the best path")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestUnknownPathWarns$", "-test.count=1")
	cmd.Env = append(os.Environ(), "POPI_KERNELS=no-such-isa", "POPI_KERNELS_CHILD=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Run(), "child's stderr: %s", stderr.String())
	assert.Contains(t, stderr.String(),
		`kernels: POPI_KERNELS="no-such-isa" is not a kernel path (available: `+joinPaths(AvailablePaths())+")")
}
