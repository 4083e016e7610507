package popi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// cacheKey hashes the endpoint and the exact request body.
func cacheKey(baseURL string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(baseURL))
	h.Write([]byte{0})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

type cacheEntry struct {
	Request json.RawMessage `json:"request"`
	Content string          `json:"content"`
}

func cachePath(dir, key string) string { return filepath.Join(dir, key[:2], key+".json") }

// readCache returns a cached answer; an unreadable or corrupt entry is a miss (it will
// be overwritten by the fresh answer).
func readCache(dir, key string) (string, bool) {
	data, err := os.ReadFile(cachePath(dir, key))
	if err != nil {
		return "", false
	}
	var e cacheEntry
	if json.Unmarshal(data, &e) != nil || e.Request == nil {
		return "", false
	}
	return e.Content, true
}

// writeCache stores an answer atomically (temporary file in the same directory, then rename).
func writeCache(dir, key string, request []byte, content string) error {
	data, err := json.Marshal(cacheEntry{Request: request, Content: content})
	if err != nil {
		return fmt.Errorf("popi: cache: %w", err)
	}
	return writeFileAtomic(cachePath(dir, key), data)
}

// writeFileAtomic writes data to path via a temporary file and a rename, so readers see
// the old file or the complete new one, never a partial write.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("popi: %w", err)
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("popi: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("popi: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("popi: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("popi: %w", err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("popi: %w", err)
	}
	return nil
}
