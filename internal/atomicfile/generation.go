package atomicfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/popi-go/popi/internal/safefile"
)

// A generation store keeps successive versions of a directory (checkpoints) crash-safely,
// the way LevelDB keeps its CURRENT file and etcd its snapshots:
//
//	root/g000007/...      a complete version: its files and, written last, MANIFEST
//	root/CURRENT          the name of the committed version ("g000007\n")
//
// Commit writes a new version and switches to it in this order, each step durable before
// the next begins:
//
//  1. create root/gNNNNNN (NNNNNN one more than any generation present) and fsync root;
//  2. build writes the files into it, each through Write (temporary file, fsync, rename,
//     fsync of the generation directory);
//  3. write MANIFEST (every file's size and SHA-256) the same way: from now on the
//     generation is complete, and Current would recover it even without CURRENT;
//  4. switch CURRENT to it (temporary file, fsync, rename, fsync root): the commit point;
//  5. remove every other generation and temporary file, then fsync root.
//
// A crash at any instruction leaves the previous committed version, the new one, or
// both complete; an incomplete generation (no MANIFEST, or files that do not match it)
// is never used and is removed by the next Commit. Current prefers the generation CURRENT
// names and otherwise takes the newest complete one, so a CURRENT that is missing, torn or
// names a damaged generation does not lose the run.

// manifestName is the file that marks a generation complete.
const manifestName = "MANIFEST"

// currentName is the pointer file naming the committed generation.
const currentName = "CURRENT"

// maxManifest bounds the MANIFEST and CURRENT files read back.
const maxManifest = 1 << 20

// CrashHook, when set (tests only), is called at each step of Commit with the step's
// name; a non-nil error stops Commit right there without any cleanup, as a crash would.
var CrashHook func(step string) error

func crashPoint(step string) error {
	if CrashHook != nil {
		if err := CrashHook(step); err != nil {
			return fmt.Errorf("%s: %w", step, err)
		}
	}
	return nil
}

// CommitSteps names the points at which CrashHook is called, in order.
var CommitSteps = []string{"mkdir", "build", "manifest", "sync-generation", "current", "cleanup"}

// Commit adds a new generation to the store at root, filled by build, and makes it the
// committed one (see the steps above). It returns the generation's directory.
func Commit(root string, build func(dir string) error) (gen string, err error) {
	root = filepath.Clean(root)
	defer func() {
		if err != nil {
			err = fmt.Errorf("atomicfile: commit to %s: %w", root, err)
		}
	}()
	if err := mkdirAllSynced(root); err != nil {
		return "", err
	}
	gens, err := generations(root)
	if err != nil {
		return "", err
	}
	next := 1
	if len(gens) > 0 {
		next = gens[0].n + 1
	}
	name := genName(next)
	gen = filepath.Join(root, name)
	if err := os.Mkdir(gen, 0o755); err != nil {
		return "", err
	}
	if err := syncDir(root); err != nil {
		return "", err
	}
	if err := crashPoint("mkdir"); err != nil {
		return "", err
	}
	if err := build(gen); err != nil {
		os.RemoveAll(gen)
		syncDir(root)
		return "", err
	}
	if err := crashPoint("build"); err != nil {
		return "", err
	}
	man, err := manifest(gen)
	if err != nil {
		return "", err
	}
	if err := WriteFile(filepath.Join(gen, manifestName), man, 0o644); err != nil {
		return "", err
	}
	if err := crashPoint("manifest"); err != nil {
		return "", err
	}
	if err := syncDir(gen); err != nil {
		return "", err
	}
	if err := syncDir(root); err != nil {
		return "", err
	}
	if err := crashPoint("sync-generation"); err != nil {
		return "", err
	}
	if err := WriteFile(filepath.Join(root, currentName), []byte(name+"\n"), 0o644); err != nil {
		return "", err
	}
	if err := crashPoint("current"); err != nil {
		return "", err
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		return "", err
	}
	for _, e := range ents {
		if e.Name() == name || e.Name() == currentName {
			continue
		}
		if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
			return "", err
		}
	}
	if err := syncDir(root); err != nil {
		return "", err
	}
	return gen, crashPoint("cleanup")
}

// Current returns the directory of the version to resume from: the generation CURRENT
// names if it is complete, otherwise the newest complete generation. ok is false when
// the store holds no complete generation (or does not exist).
func Current(root string) (dir string, ok bool) {
	if b, err := safefile.ReadFile(filepath.Join(root, currentName), maxManifest); err == nil {
		name := strings.TrimSpace(string(b))
		if n, ok := parseGenName(name); ok && n > 0 && Verify(filepath.Join(root, name)) == nil {
			return filepath.Join(root, name), true
		}
	}
	gens, err := generations(root)
	if err != nil {
		return "", false
	}
	for _, g := range gens {
		d := filepath.Join(root, genName(g.n))
		if Verify(d) == nil {
			return d, true
		}
	}
	return "", false
}

// Verify checks that the generation directory dir is complete: its MANIFEST lists
// exactly the regular files present besides itself, with their sizes and SHA-256 sums.
func Verify(dir string) error {
	want, err := safefile.ReadFile(filepath.Join(dir, manifestName), maxManifest)
	if err != nil {
		return err
	}
	got, err := manifest(dir)
	if err != nil {
		return err
	}
	if !bytes.Equal(want, got) {
		return fmt.Errorf("%s: files do not match its %s", dir, manifestName)
	}
	return nil
}

// manifest lists dir's regular files except MANIFEST, sorted: "sha256 size name" lines.
// Any other kind of entry (a directory, a temporary file left by a crash) makes the
// generation incomplete.
func manifest(dir string) ([]byte, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, e := range ents {
		if e.Name() == manifestName {
			continue
		}
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			return nil, fmt.Errorf("%s: unexpected entry %s", dir, e.Name())
		}
		sum, size, err := hashFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "%s %d %s\n", sum, size, e.Name())
	}
	return b.Bytes(), nil
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

type generation struct{ n int }

// generations lists root's generation directories, newest first.
func generations(root string) ([]generation, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var out []generation
	for _, e := range ents {
		if n, ok := parseGenName(e.Name()); ok && e.IsDir() {
			out = append(out, generation{n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].n > out[j].n })
	return out, nil
}

func genName(n int) string { return fmt.Sprintf("g%06d", n) }

func parseGenName(s string) (int, bool) {
	if len(s) < 7 || s[0] != 'g' {
		return 0, false
	}
	n, err := strconv.Atoi(s[1:])
	if err != nil || n < 0 || genName(n) != s {
		return 0, false
	}
	return n, true
}

// mkdirAllSynced creates dir and any missing parents, fsyncing the parent of each
// directory it creates so the new entries survive a crash.
func mkdirAllSynced(dir string) error {
	if st, err := os.Stat(dir); err == nil {
		if !st.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirAllSynced(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return syncDir(parent)
}
