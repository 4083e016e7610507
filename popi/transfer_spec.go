package popi

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// TransferSpec is one frozen generator the learned summaries are handed to (Tables 2-4): a
// local model directory (ModelDir) or a model behind an OpenAI-compatible API (URL, Model,
// and KeyEnv naming the environment variable holding its key). Name labels its column.
type TransferSpec struct {
	Name     string `json:"name"`
	ModelDir string `json:"model_dir,omitempty"`
	URL      string `json:"url,omitempty"`
	Model    string `json:"model,omitempty"`
	KeyEnv   string `json:"key_env,omitempty"`
}

var specName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*=`)

// ParseTransferSpec parses [NAME=]DIR or [NAME=]URL#MODEL[#KEYENV], e.g.
// "Llama-1b=/models/Llama-3.2-1B-Instruct" or
// "GPT-4o-mini=https://api.openai.com/v1#gpt-4o-mini#OPENAI_API_KEY". Without NAME the
// column is the directory's base name or the API model name.
func ParseTransferSpec(s string) (TransferSpec, error) {
	s = strings.TrimSpace(s)
	var t TransferSpec
	if m := specName.FindString(s); m != "" && !strings.Contains(m, "/") {
		t.Name, s = strings.TrimSuffix(m, "="), s[len(m):]
	}
	if s == "" {
		return t, errors.New("popi: empty transfer generator")
	}
	if strings.Contains(s, "://") {
		parts := strings.Split(s, "#")
		if len(parts) < 2 || len(parts) > 3 || parts[1] == "" {
			return t, fmt.Errorf("popi: transfer generator %q: want URL#MODEL[#KEYENV]", s)
		}
		t.URL, t.Model = parts[0], parts[1]
		if len(parts) == 3 {
			t.KeyEnv = parts[2]
		}
		if t.Name == "" {
			t.Name = t.Model
		}
		return t, nil
	}
	t.ModelDir = s
	if t.Name == "" {
		t.Name = filepath.Base(filepath.Clean(s))
	}
	return t, nil
}

// transferSpecs is the configuration's generator list: Transfers, then the single-target
// fields of older configurations. Names must be distinct.
func transferSpecs(c *PipelineConfig) ([]TransferSpec, error) {
	out := append([]TransferSpec(nil), c.Transfers...)
	if c.TransferModelDir != "" {
		out = append(out, TransferSpec{Name: filepath.Base(filepath.Clean(c.TransferModelDir)), ModelDir: c.TransferModelDir})
	}
	if c.TransferURL != "" {
		name := c.TransferModel
		if name == "" {
			name = "api"
		}
		out = append(out, TransferSpec{Name: name, URL: c.TransferURL, Model: c.TransferModel, KeyEnv: c.TransferKeyEnv})
	}
	seen := map[string]bool{}
	for _, t := range out {
		switch {
		case t.Name == "":
			return nil, errors.New("popi: transfer generator without a name")
		case (t.ModelDir == "") == (t.URL == ""):
			return nil, fmt.Errorf("popi: transfer generator %q needs exactly one of a model directory and an API URL", t.Name)
		case seen[t.Name]:
			return nil, fmt.Errorf("popi: two transfer generators named %q", t.Name)
		}
		seen[t.Name] = true
	}
	return out, nil
}
