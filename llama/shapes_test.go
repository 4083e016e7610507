package llama

import "testing"

func TestShapeConfig(t *testing.T) {
	want := map[string][4]int{ // vocab, hidden, layers, ffn
		"1b": {128256, 2048, 16, 8192}, "5m": {4096, 256, 4, 688}, "30m": {8192, 512, 8, 1376},
	}
	for name, w := range want {
		c, err := ShapeConfig(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := [4]int{c.Vocab, c.Hidden, c.Layers, c.Intermediate}; got != w || c.HeadDim*c.Heads != c.Hidden || !c.TieWordEmbeddings {
			t.Fatalf("%s: %+v", name, c)
		}
		if a, _ := ShapeConfig(name); a == c {
			t.Fatalf("%s: shared *Config returned twice", name)
		}
	}
	if _, err := ShapeConfig("7b"); err == nil {
		t.Fatal("unknown shape accepted")
	}
}
