package popi

import (
	"testing"

	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
)

func TestMethods(t *testing.T) {
	ms := AllMethods()
	if len(ms) != 10 || ms[0] != MethodBase || ms[9] != MethodPOPIFull {
		t.Fatalf("%v", ms)
	}
	for _, m := range ms {
		p, err := ParseMethod(m.Slug())
		if err != nil || p != m {
			t.Fatalf("%v: %v %v", m, p, err)
		}
	}
	if got, _ := ParseMethods("popi-full, Base-Model,popi-full"); len(got) != 2 || got[0] != MethodPOPIFull {
		t.Fatalf("%v", got)
	}
	// The latent-embedding baselines, in Table 1's order (after Inference-Aligned, before
	// POPI-Full), by name or slug.
	got, err := ParseMethods("LoRe, pal-a,PAL-B")
	if err != nil || len(got) != 3 || got[0] != MethodLoRe || got[1] != MethodPALA || got[2] != MethodPALB {
		t.Fatalf("%v %v", got, err)
	}
	if ms[6] != MethodLoRe || ms[7] != MethodPALA || ms[8] != MethodPALB {
		t.Fatalf("order %v", ms)
	}
	if _, err := ParseMethods("LoRe-X"); err == nil {
		t.Fatal("unknown method accepted")
	}
	aligned, latent := 0, 0
	for _, m := range ms {
		if m.Aligned() {
			aligned++
		}
		if m.Latent() {
			latent++
			if !m.Aligned() {
				t.Fatalf("%v is latent but not aligned", m)
			}
		}
	}
	if aligned != 6 || latent != 3 {
		t.Fatalf("%d aligned methods, %d latent", aligned, latent)
	}
	eps := []data.Episode{{Signals: []data.PrefPair{{Prompt: "p", Chosen: "c", Rejected: "r"}}}}
	before := &Summaries{PerEpisode: []string{"z0"}}
	after := &Summaries{PromptDependent: true, PerTarget: [][]string{{"a0", "a1"}}}
	for m, want := range map[Method]prompt.Conditioning{
		MethodBase:               {Cond: prompt.CondPrompt},
		MethodInferencePrompting: {Cond: prompt.CondSummary, Summary: "z0"},
		MethodPOPIFull:           {Cond: prompt.CondSummary, Summary: "a1"},
	} {
		c, err := Conditioner(m, eps, before, after)(0, 1)
		if err != nil || c != want {
			t.Fatalf("%v: %+v %v", m, c, err)
		}
	}
	if c, _ := Conditioner(MethodRawAligned, eps, nil, nil)(0, 0); c.Cond != prompt.CondSignals || c.Signals == "" {
		t.Fatalf("%+v", c)
	}
	if _, err := Conditioner(MethodPOPIFull, eps, before, after)(0, 5); err == nil {
		t.Fatal("missing summary accepted")
	}
}

func FuzzParseMethods(f *testing.F) {
	for _, s := range []string{"all", "", "Base-Model,popi-full", "raw-prompting , RAW-ALIGNED", ",,", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := ParseMethods(s)
		if err != nil {
			return
		}
		seen := map[Method]bool{}
		for _, m := range ms {
			if m < 0 || m >= numMethods || seen[m] {
				t.Fatalf("%q: bad or repeated method %v", s, m)
			}
			seen[m] = true
		}
	})
}
