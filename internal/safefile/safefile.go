// Package safefile opens and reads input files with the checks every loader needs before
// it allocates: the path must name a regular file (a FIFO, device or directory would
// block or never end), and its size must be within a limit the caller states.
//
// Every reader of model, tokenizer, dataset, checkpoint and cache files in the module
// opens its input through here.
package safefile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// ErrTooLarge is wrapped by the errors of files over their size limit.
var ErrTooLarge = errors.New("file too large")

// ErrNotRegular is wrapped by the errors of paths that are not regular files.
var ErrNotRegular = errors.New("not a regular file")

// Open opens path for reading if it is a regular file (symbolic links followed) and
// returns it with its size. Opening does not block on a FIFO: the file is opened
// non-blocking where the system allows it, and refused after the check.
func Open(path string) (*os.File, int64, error) {
	f, err := openNonBlocking(path)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, kind(st.Mode()))
	}
	return f, st.Size(), nil
}

// OpenLimit is Open, refusing a file of more than max bytes.
func OpenLimit(path string, max int64) (*os.File, int64, error) {
	f, size, err := Open(path)
	if err != nil {
		return nil, 0, err
	}
	if size > max {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %w: %d bytes, the limit is %d", path, ErrTooLarge, size, max)
	}
	return f, size, nil
}

// ReadFile reads a regular file of at most max bytes. The size is checked before the
// buffer is allocated, and a file that grows while being read is still cut at the limit.
func ReadFile(path string, max int64) ([]byte, error) {
	f, size, err := OpenLimit(path, max)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	lim := max
	if lim < math.MaxInt64 {
		lim++ // one byte more tells a file that grew past the limit
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(f, lim)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(buf.Len()) > max {
		return nil, fmt.Errorf("%s: %w: more than %d bytes", path, ErrTooLarge, max)
	}
	return buf.Bytes(), nil
}

func kind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}
