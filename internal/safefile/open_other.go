//go:build !unix

package safefile

import (
	"fmt"
	"os"
)

// openNonBlocking refuses non-regular files before opening them (no O_NONBLOCK here).
func openNonBlocking(path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, kind(st.Mode()))
	}
	return os.Open(path)
}
