// Package atomicfile writes files and directories so that a reader, or the next run after a
// crash, sees either the old content or the complete new content, never a part of it.
//
// A file is written to a temporary file in the same directory, fsynced, given its mode,
// renamed over the target, and then the directory is fsynced so the rename itself is
// durable. A directory is assembled under a temporary name and swapped in the same way,
// the previous version kept as dir+".old" until the new one is in place (ReplaceDir).
// Checkpoints use a generation store instead (Commit, Current: generation.go): each
// version in its own directory marked complete by a MANIFEST of checksums, a CURRENT
// pointer switched atomically, older versions removed only after the switch.
//
// It owns the one implementation of this sequence in the module: nn (optimizer state),
// llama (safetensors, GGUF, tokenizer and config files, model directories) and popi (run
// directories, response caches, reports) all write through it.
package atomicfile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Write creates or replaces the file at path with what fill writes, atomically: fill
// writes into a temporary file next to path, which is fsynced, given mode perm and renamed
// to path; then the parent directory is fsynced. Missing parent directories are created.
// On error the temporary file is removed and path is left as it was.
func Write(path string, perm os.FileMode, fill func(f *os.File) error) (err error) {
	dir := filepath.Dir(path)
	defer func() {
		if err != nil {
			err = fmt.Errorf("atomicfile: write %s: %w", path, err)
		}
	}()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = fill(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Chmod(f.Name(), perm); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// WriteFile is Write of a byte slice, the atomic counterpart of os.WriteFile.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// WriteJSON writes v as JSON indented by two spaces, with a final newline, the bytes of
// json.MarshalIndent (so <, > and & are escaped as encoding/json does).
func WriteJSON(path string, v any, perm os.FileMode) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("atomicfile: %s: %w", filepath.Base(path), err)
	}
	return WriteFile(path, append(b, '\n'), perm)
}

// ReplaceDir creates or replaces the directory dir with one that build fills in.
//
// build receives an empty temporary directory (mode 0755) next to dir and should write
// every file of the new version into it, each durably (through Write). The temporary
// directory is then fsynced and swapped in: the current dir is renamed to dir+".old" and
// the parent fsynced, the new one renamed to dir, the parent fsynced again and dir+".old"
// removed. Temporary directories left by earlier calls that crashed are removed first. At every
// moment a complete version exists as dir or, between the two renames, as dir+".old" (a
// reader recovering from a crash looks there; when only dir+".old" exists it is kept until
// the new version is in place). On error dir is left as it was (restored from dir+".old"
// if the second rename failed) and the temporary directory is removed.
func ReplaceDir(dir string, build func(tmp string) error) (err error) {
	dir = filepath.Clean(dir)
	parent := filepath.Dir(dir)
	defer func() {
		if err != nil {
			err = fmt.Errorf("atomicfile: replace %s: %w", dir, err)
		}
	}()
	if err := mkdirAllSynced(parent); err != nil {
		return err
	}
	// Temporary directories of earlier calls that crashed are never used: remove them
	// so they do not pile up (each can be a whole model).
	stale, _ := filepath.Glob(filepath.Join(parent, "."+globEscape(filepath.Base(dir))+".tmp-*"))
	for _, s := range stale {
		if err := os.RemoveAll(s); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := build(tmp); err != nil {
		return err
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	old := dir + ".old"
	moved := false
	if _, err := os.Stat(dir); err == nil {
		// dir is complete: it replaces any older survivor as the fallback.
		if err := os.RemoveAll(old); err != nil {
			return err
		}
		if err := os.Rename(dir, old); err != nil {
			return err
		}
		moved = true
		// The survivor's new name is durable before the new version takes dir.
		if err := syncDir(parent); err != nil {
			os.Rename(old, dir)
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if moved {
			os.Rename(old, dir)
		}
		return err
	}
	if err := syncDir(parent); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

// globEscape escapes the pattern characters of a file name for filepath.Glob.
func globEscape(name string) string {
	r := strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`)
	return r.Replace(name)
}

// syncDir fsyncs a directory, making the renames inside it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
