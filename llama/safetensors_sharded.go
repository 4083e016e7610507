package llama

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/popi-go/popi/internal/safefile"
	"github.com/popi-go/popi/tensor"
)

// maxIndexFile caps the size of a model.safetensors.index.json we are willing to read.
const maxIndexFile = 64 << 20

// ShardedSafetensors is a set of .safetensors shards described by a
// model.safetensors.index.json ("weight_map": tensor name -> shard file).
type ShardedSafetensors struct {
	path   string
	shards []*Safetensors
	owner  map[string]*Safetensors
	names  []string
}

// OpenShardedSafetensors opens the index file and every shard it names, and checks that
// the weight map and the shards' contents agree exactly.
func OpenShardedSafetensors(indexPath string) (*ShardedSafetensors, error) {
	data, err := safefile.ReadFile(indexPath, maxIndexFile)
	if err != nil {
		return nil, fmt.Errorf("llama: safetensors index: %w", err)
	}
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("llama: safetensors index %s: %w", indexPath, err)
	}
	if len(idx.WeightMap) == 0 {
		return nil, fmt.Errorf("llama: safetensors index %s: empty or missing weight_map", indexPath)
	}
	dir := filepath.Dir(indexPath)
	s := &ShardedSafetensors{path: indexPath, owner: map[string]*Safetensors{}}
	byFile := map[string]*Safetensors{}
	var files []string
	for _, f := range idx.WeightMap {
		if _, ok := byFile[f]; !ok {
			byFile[f] = nil
			files = append(files, f)
		}
	}
	sort.Strings(files)
	for _, f := range files {
		if f == "" || filepath.IsAbs(f) || strings.Contains(f, "..") || strings.ContainsAny(f, `/\`) {
			s.Close()
			return nil, fmt.Errorf("llama: safetensors index %s: bad shard file name %q", indexPath, f)
		}
		sh, err := OpenSafetensors(filepath.Join(dir, f))
		if err != nil {
			s.Close()
			return nil, err
		}
		byFile[f] = sh
		s.shards = append(s.shards, sh)
	}
	for name, f := range idx.WeightMap {
		sh := byFile[f]
		if _, _, ok := sh.Info(name); !ok {
			s.Close()
			return nil, fmt.Errorf("llama: safetensors index %s: tensor %q mapped to %s but not present there", indexPath, name, f)
		}
		s.owner[name] = sh
	}
	for _, sh := range s.shards {
		for _, name := range sh.names {
			if s.owner[name] != sh {
				s.Close()
				return nil, fmt.Errorf("llama: safetensors index %s: tensor %q in shard %s is not in the weight map", indexPath, name, sh.path)
			}
		}
	}
	for name := range s.owner {
		s.names = append(s.names, name)
	}
	sort.Strings(s.names)
	return s, nil
}

// Names returns all tensor names across shards, sorted.
func (s *ShardedSafetensors) Names() []string { return append([]string(nil), s.names...) }

// Info returns the dtype and shape of a tensor.
func (s *ShardedSafetensors) Info(name string) (tensor.DType, []int, bool) {
	sh, ok := s.owner[name]
	if !ok {
		return 0, nil, false
	}
	return sh.Info(name)
}

// ReadF32 returns the tensor widened to float32.
func (s *ShardedSafetensors) ReadF32(name string) ([]float32, error) {
	sh, ok := s.owner[name]
	if !ok {
		return nil, fmt.Errorf("llama: safetensors index %s: no tensor %q", s.path, name)
	}
	return sh.ReadF32(name)
}

// ReadU16 returns the raw bits of a BF16 or F16 tensor.
func (s *ShardedSafetensors) ReadU16(name string) ([]uint16, tensor.DType, error) {
	sh, ok := s.owner[name]
	if !ok {
		return nil, 0, fmt.Errorf("llama: safetensors index %s: no tensor %q", s.path, name)
	}
	return sh.ReadU16(name)
}

// Close closes every shard.
func (s *ShardedSafetensors) Close() error {
	var first error
	for _, sh := range s.shards {
		if err := sh.Close(); err != nil && first == nil {
			first = err
		}
	}
	s.shards = nil
	return first
}
