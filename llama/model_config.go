package llama

import (
	"fmt"
	"os"
	"path/filepath"
)

// loadModelConfig finds the config of the model at path: config.json in a
// directory, or the metadata of a .gguf file.
func loadModelConfig(path string) (*Config, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("llama: load model: %w", err)
	}
	if st.IsDir() {
		cfgPath := filepath.Join(path, "config.json")
		if _, err := os.Stat(cfgPath); err == nil {
			return LoadConfig(cfgPath)
		}
		return nil, fmt.Errorf("llama: load model: %s has no config.json", path)
	}
	return nil, fmt.Errorf("llama: load model: %s: GGUF config not supported yet", path)
}
