package kernels

import (
	"os"
	"os/exec"
	"strings"
	"testing"
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
		if got != c.want {
			t.Errorf("choosePath(%q) = %s, want %s", c.env, got, c.want)
		}
		if (c.warning == "") != (warning == "") || !strings.Contains(warning, c.warning) {
			t.Errorf("choosePath(%q) warning %q, want one containing %q", c.env, warning, c.warning)
		}
	}
}

// TestUnknownPathWarns runs this test binary with an unknown POPI_KERNELS:
// the package's init must say so on stderr and start on the best path.
func TestUnknownPathWarns(t *testing.T) {
	if os.Getenv("POPI_KERNELS_CHILD") == "1" {
		if ActivePath() != AvailablePaths()[0] {
			t.Fatalf("active path %s, want the best, %s", ActivePath(), AvailablePaths()[0])
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestUnknownPathWarns$", "-test.count=1")
	cmd.Env = append(os.Environ(), "POPI_KERNELS=no-such-isa", "POPI_KERNELS_CHILD=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	want := `kernels: POPI_KERNELS="no-such-isa" is not a kernel path (available: ` + joinPaths(AvailablePaths()) + ")"
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr %q does not contain %q", stderr.String(), want)
	}
}
