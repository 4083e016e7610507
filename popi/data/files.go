package data

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// dataExts are the file types the loaders read.
var dataExts = map[string]bool{".parquet": true, ".jsonl": true, ".ndjson": true, ".json": true}

// ExpandPaths returns paths with every directory replaced by the data files directly inside
// it (.parquet, .jsonl, .ndjson, .json; sorted by name; hidden files skipped), so a
// downloaded directory of shards (train-00000-of-00002.parquet, ...) is read as one split.
// A directory holding shards of several splits (train-* and test-* files side by side, as
// in a Hugging Face dataset's data/ folder) is refused: pass one split's files. A directory
// without data files is an error too.
func ExpandPaths(paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("popi: no data files given")
	}
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("popi: %w", err)
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("popi: %w", err)
		}
		var files []string
		splits := map[string]bool{}
		for _, e := range ents {
			name := e.Name()
			if strings.HasPrefix(name, ".") || e.IsDir() || !dataExts[strings.ToLower(filepath.Ext(name))] {
				continue
			}
			files = append(files, filepath.Join(p, name))
			if i := strings.IndexAny(name, "-."); i > 0 {
				if s := name[:i]; s == "train" || s == "test" || s == "validation" || s == "valid" || s == "dev" {
					splits[s] = true
				}
			}
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("popi: %s: directory holds no .parquet, .jsonl or .json files", p)
		}
		if len(splits) > 1 {
			names := make([]string, 0, len(splits))
			for s := range splits {
				names = append(names, s)
			}
			sort.Strings(names)
			return nil, fmt.Errorf("popi: %s: directory holds shards of several splits (%s); pass the files of one split, e.g. %s",
				p, strings.Join(names, ", "), filepath.Join(p, names[len(names)-1]+"-*"))
		}
		sort.Strings(files)
		out = append(out, files...)
	}
	return out, nil
}
