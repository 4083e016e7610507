package openai

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/popi-go/popi/internal/atomicfile"
	"github.com/popi-go/popi/internal/safefile"
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
	data, err := safefile.ReadFile(cachePath(dir, key), 2*maxBody)
	if err != nil {
		return "", false
	}
	var e cacheEntry
	if json.Unmarshal(data, &e) != nil || e.Request == nil {
		return "", false
	}
	return e.Content, true
}

// writeCache stores an answer atomically (internal/atomicfile; mode 0600 as before).
func writeCache(dir, key string, request []byte, content string) error {
	data, err := json.Marshal(cacheEntry{Request: request, Content: content})
	if err != nil {
		return fmt.Errorf("popi: cache: %w", err)
	}
	return atomicfile.WriteFile(cachePath(dir, key), data, 0o600)
}
