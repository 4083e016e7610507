package llama

import (
	"fmt"
	"os"
	"path/filepath"
)

// loadModelConfig finds the config of the model at path: config.json in a
// directory (or, without one, the metadata of the directory's single .gguf
// file), or the metadata of a .gguf file.
func loadModelConfig(path string) (*Config, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("llama: load model: %w", err)
	}
	if st.IsDir() {
		cfgPath := filepath.Join(path, "config.json")
		if fileExists(cfgPath) {
			return LoadConfig(cfgPath)
		}
		ggufs, _ := filepath.Glob(filepath.Join(path, "*.gguf"))
		if len(ggufs) != 1 {
			return nil, fmt.Errorf("llama: load model: %s has no config.json (and not exactly one .gguf file)", path)
		}
		path = ggufs[0]
	}
	g, err := OpenGGUF(path)
	if err != nil {
		return nil, fmt.Errorf("llama: load model: %s is neither a model directory nor a readable GGUF file: %w", path, err)
	}
	defer g.Close()
	return g.Config()
}
