package popi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/popi-go/popi/llama"
)

// tinyPipelineConfig is the main job's code path with tiny sizes.
func tinyPipelineConfig(t *testing.T, f *tinyFixture) PipelineConfig {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "base")
	m := f.model(t, 3)
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	if err := f.Tok.SaveHF(dir); err != nil {
		t.Fatal(err)
	}
	c := DefaultPipelineConfig()
	c.ModelDir = dir
	c.WorldTrainUsers, c.WorldHeldOutUsers, c.WorldPairs = 6, 2, 8
	c.Shots, c.TrainTargets, c.EvalTargets, c.Stage2Targets = 2, 4, 3, 2
	c.Stage1 = Stage1Config{Steps: 2, BatchSize: 2, GroupSize: 2, LR: 1e-3, Warmup: 1, Alpha: -1, Temperature: 1, TopP: 1,
		MaxTokens: 8, RewardPairs: 2, CheckpointEvery: 1}
	c.Stage2 = Stage2Config{Steps: 2, BatchSize: 2, LR: 1e-3, Warmup: 1, CheckpointEvery: 1}
	c.Eval = EvalConfig{MaxTokens: 8, WinTargets: 2, JudgeWorkers: 2}
	return c
}

func TestPipelineEndToEnd(t *testing.T) {
	f := getFixture(t)
	cfg := tinyPipelineConfig(t, f)
	out := filepath.Join(t.TempDir(), "run")
	var log bytes.Buffer
	res, err := RunPipeline(context.Background(), cfg, out, false, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	// Every method has a row with accuracy, and all but the Base-Model an overhead.
	if len(res.Report.Runs) != 10 {
		t.Fatalf("%d method rows", len(res.Report.Runs))
	}
	for _, r := range res.Report.Runs {
		if m, _ := ParseMethod(r.Method); m.Latent() != r.SpecialTokens || (m.Latent() && *r.AvgLen != LatentSlots) {
			t.Fatalf("latent row %+v", r)
		}
		if r.Acc == nil || r.WinRate == nil || (r.Method != "Base-Model") != (r.AvgLen != nil) {
			t.Fatalf("incomplete row %+v", r)
		}
		if *r.Acc < 0 || *r.Acc > 1 || *r.WinRate < 0 || *r.WinRate > 1 {
			t.Fatalf("out of range %+v", r)
		}
		if r.Method == "Base-Model" && (*r.Acc != 0.5 || *r.WinRate != 0.5) {
			t.Fatalf("Base-Model against itself must score 0.5: %+v", r)
		}
		if r.Method == "Raw-Prompting" && *r.AvgLen < 50 {
			t.Fatalf("raw signals should add many tokens: %+v", r)
		}
	}
	// Files: config, metrics, plots, checkpoints, final models, results, summaries.
	for _, p := range []string{"config.json", "metrics.jsonl", "stage1_reward.png", "stage1_reward.svg", "results.md", "results.json",
		"results_details.json", "summaries.md", "summaries_examples.json", "summaries/before_heldout.json", "summaries/after_heldout.json",
		"stage2-popi-full_loss.png", "data/train.jsonl"} {
		st, err := os.Stat(filepath.Join(out, p))
		if err != nil || st.Size() == 0 {
			t.Fatalf("missing or empty %s: %v", p, err)
		}
	}
	png, _ := os.ReadFile(filepath.Join(out, "stage1_reward.png"))
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatal("reward plot is not a PNG")
	}
	svg, _ := os.ReadFile(filepath.Join(out, "stage1_reward.svg"))
	if !bytes.Contains(svg, []byte("<svg")) {
		t.Fatal("reward plot SVG has no <svg")
	}
	for _, m := range []Method{MethodLoRe, MethodPALA, MethodPALB} {
		if _, err := LoadLatentModel(filepath.Join(out, "models", m.Slug(), latentFileName)); err != nil {
			t.Fatalf("%v: %v", m, err)
		}
	}
	for _, d := range []string{"models/inference", "models/popi-full", "models/raw-aligned", "models/inference-aligned", "models/lore", "models/pal-a", "models/pal-b"} {
		if _, err := llama.Load(filepath.Join(out, d), llama.LoadOptions{}); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if _, err := llama.LoadTokenizer(filepath.Join(out, d)); err != nil {
			t.Fatalf("%s tokenizer: %v", d, err)
		}
	}
	var rj struct {
		Runs []RunMetrics `json:"runs"`
	}
	b, _ := os.ReadFile(filepath.Join(out, "results.json"))
	if err := json.Unmarshal(b, &rj); err != nil || len(rj.Runs) != 10 {
		t.Fatalf("results.json: %v (%d runs)", err, len(rj.Runs))
	}
	mf, _ := os.Open(filepath.Join(out, "metrics.jsonl"))
	defer mf.Close()
	sc := bufio.NewScanner(mf)
	phases := map[string]int{}
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("metrics line %q: %v", sc.Text(), err)
		}
		ph, _ := rec["phase"].(string)
		phases[ph]++
		if ph == "stage1_heldout" {
			// Evaluated before training and after the last step, on both held-out users.
			step, _ := rec["step"].(float64)
			users, _ := rec["users"].(float64)
			acc, ok := rec["attr_acc"].(float64)
			if (step != 0 && step != 2) || users != 2 || !ok || acc < 0 || acc > 1 {
				t.Fatalf("held-out record %v", rec)
			}
		}
		if ph == "stage1" {
			if _, ok := rec["reward"]; !ok {
				t.Fatalf("stage1 record without reward: %v", rec)
			}
			if _, ok := rec["reward_std"]; !ok {
				t.Fatalf("stage1 record without reward_std: %v", rec)
			}
		}
	}
	if len(res.Stage1.HeldOut) != 2 || !strings.Contains(log.String(), "held-out reward from") {
		t.Fatalf("held-out evaluations %+v", res.Stage1.HeldOut)
	}
	if phases["stage1"] != 2 || phases["stage1_heldout"] != 2 || phases["stage2-popi-full"] != 2 || phases["stage2-raw-aligned"] != 2 || phases["stage2-inference-aligned"] != 2 ||
		phases["stage2-lore"] != 2 || phases["stage2-pal-a"] != 2 || phases["stage2-pal-b"] != 2 || phases["stage2-pal-b-heldout-fit"] != 1 {
		t.Fatalf("metrics per phase: %v", phases)
	}
	md, _ := os.ReadFile(filepath.Join(out, "results.md"))
	if !strings.Contains(string(md), "| LoRe | 1.00 † |") || !strings.Contains(string(md), "† counts special positions") {
		t.Fatalf("results.md does not mark the latent methods' special position:\n%s", md)
	}
	for _, m := range AllMethods() {
		if !strings.Contains(string(md), m.String()) {
			t.Fatalf("results.md lacks %v:\n%s", m, md)
		}
	}
	lg := log.String()
	for _, want := range []string{"[stage1] 2/2 steps", "ETA", "[eval] 10/10 methods", "done in"} {
		if !strings.Contains(lg, want) {
			t.Fatalf("log lacks %q:\n%s", want, lg)
		}
	}
	// Rerunning into the same directory without -resume is refused; resuming a finished
	// run reproduces the table without training again.
	if _, err := RunPipeline(context.Background(), cfg, out, false, nil); err == nil {
		t.Fatal("overwrote a finished run")
	}
	var log2 bytes.Buffer
	res2, err := RunPipeline(context.Background(), PipelineConfig{}, out, true, &log2)
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, log2.String())
	}
	if strings.Contains(log2.String(), "steps/s") {
		t.Fatalf("resuming a finished run trained again:\n%s", log2.String())
	}
	for i := range res.Report.Runs {
		a, b := res.Report.Runs[i], res2.Report.Runs[i]
		if *a.Acc != *b.Acc || *a.WinRate != *b.WinRate || a.SpecialTokens != b.SpecialTokens {
			t.Fatalf("resumed finished run gives other results: %+v vs %+v", a, b)
		}
	}
	// cmd/eval's path: re-evaluating the saved models reproduces the table; transfer to
	// another local generator covers the four frozen-generator methods (the latent
	// methods are skipped there, with a message).
	var elog bytes.Buffer
	rep, tr, err := EvaluateRun(context.Background(), out, EvalRunOptions{TransferModelDir: cfg.ModelDir}, &elog)
	if err != nil {
		t.Fatal(err)
	}
	for i := range res.Report.Runs {
		a, b := res.Report.Runs[i], rep.Runs[i]
		if a.Method != b.Method || *a.Acc != *b.Acc || *a.WinRate != *b.WinRate {
			t.Fatalf("re-evaluation differs: %+v vs %+v", a, b)
		}
	}
	if tr == nil || len(tr.Runs) != 4 || tr.Runs[0].Acc != nil {
		t.Fatalf("transfer report %+v", tr)
	}
	if !strings.Contains(elog.String(), "LoRe skipped") || !strings.Contains(elog.String(), "PAL-B skipped") {
		t.Fatalf("transfer does not say it skips the latent methods:\n%s", elog.String())
	}
	for _, p := range []string{"eval.md", "eval.json", "transfer.md", "transfer.json"} {
		if !exists(filepath.Join(out, p)) {
			t.Fatalf("missing %s", p)
		}
	}
	// Table 9: the alternative templates, each transfer cell with its change relative to
	// the paper templates' table; the original transfer table is kept.
	_, tr2, err := EvaluateRun(context.Background(), out, EvalRunOptions{TransferModelDir: cfg.ModelDir,
		Templates: "alternative", Out: "eval-alt", Compare: filepath.Join(out, "transfer.json")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if md := tr2.Markdown(); tr2.Baseline == nil || !strings.Contains(md, "| Base-Model | 50.00 (+0.00) |") {
		t.Fatalf("alternative-template transfer table:\n%s", md)
	}
	for _, p := range []string{"eval-alt.md", "eval-alt_transfer.md", "eval-alt_transfer.json", "transfer.md"} {
		if !exists(filepath.Join(out, p)) {
			t.Fatalf("missing %s", p)
		}
	}
	if _, _, err := EvaluateRun(context.Background(), out, EvalRunOptions{Compare: filepath.Join(out, "transfer.json")}, nil); err == nil {
		t.Fatal("-compare without transfer generators accepted")
	}
	if _, _, err := EvaluateRun(context.Background(), t.TempDir(), EvalRunOptions{}, nil); err == nil {
		t.Fatal("evaluated a directory without a run")
	}
}

func TestPipelineConfigErrors(t *testing.T) {
	base := DefaultPipelineConfig()
	cases := map[string]func(c *PipelineConfig){
		"loss":      func(c *PipelineConfig) { c.Loss = "kto" },
		"beta":      func(c *PipelineConfig) { c.Beta = 0 },
		"family":    func(c *PipelineConfig) { c.Family = "imdb" },
		"method":    func(c *PipelineConfig) { c.Methods = "Base-Model,LoRe-X" },
		"latent K":  func(c *PipelineConfig) { c.Latent.K = -3 },
		"group":     func(c *PipelineConfig) { c.Stage1.GroupSize = 1 },
		"templates": func(c *PipelineConfig) { c.Templates = "fancy" },
		"stage2":    func(c *PipelineConfig) { c.Stage2.Steps = 0 },
	}
	for name, mut := range cases {
		c := base
		mut(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: invalid config accepted", name)
		}
	}
	c := base
	c.ModelDir = DefaultModelDir + "-does-not-exist"
	out := filepath.Join(t.TempDir(), "r")
	if _, err := RunPipeline(context.Background(), c, out, false, nil); err == nil || !strings.Contains(err.Error(), "no config.json") {
		t.Fatalf("missing model: %v", err)
	}
	if exists(filepath.Join(out, "config.json")) {
		t.Fatal("a failed start left a run directory behind")
	}
	if _, err := RunPipeline(context.Background(), c, out, true, nil); err == nil {
		t.Fatal("resumed a run that does not exist")
	}
}

// AlignX files go through the same pipeline (here with the IPO objective): one-target
// episodes, rendered raw signals, no win rate (no ground-truth persona), reward accuracy and
// Avg. Len. for every method.
func TestPipelineAlignX(t *testing.T) {
	f := getFixture(t)
	cfg := tinyPipelineConfig(t, f)
	var b strings.Builder
	dir := make([]string, 90)
	for i := range dir {
		dir[i] = []string{"0", "0.5", "1"}[i%3]
	}
	for u := 0; u < 6; u++ {
		for k := 0; k < 3; k++ {
			fmt.Fprintf(&b, `{"prompt":"Post %d about rain","chosen":"I love rain, %d","rejected":"Rain is bad","Demographic Information":"User %d, age %d.",`+
				`"Pair-wise Comparative Feedback":[{"prompt":"Post x","chosen":"yes %d","rejected":"no"}],"Preference Direction":[%s]}`+"\n",
				k, u, u, 20+u, u, strings.Join(dir, ","))
		}
	}
	data := filepath.Join(t.TempDir(), "alignx.jsonl")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Family, cfg.DataFiles, cfg.HeldOutFrac = "alignx", []string{data}, 0.34
	cfg.Loss, cfg.Beta = "ipo", 0.05 // the IPO objective (Eq. 2) end to end
	cfg.Stage1.RewardPairs = 3       // forced to 1 for one-target episodes
	out := filepath.Join(t.TempDir(), "run")
	res, err := RunPipeline(context.Background(), cfg, out, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Report.Runs) != 7 {
		t.Fatalf("%d rows", len(res.Report.Runs))
	}
	// config.json records what ran: one reward pair, the run's seed in every stage.
	var saved PipelineConfig
	if err := ReadJSON(filepath.Join(out, "config.json"), &saved); err != nil {
		t.Fatal(err)
	}
	if saved.Stage1.RewardPairs != 1 || saved.Stage1.Seed != cfg.Seed || saved.Stage2.Seed != cfg.Seed || saved.Eval.Seed != cfg.Seed {
		t.Fatalf("config.json does not say what ran: %+v", saved)
	}
	for _, r := range res.Report.Runs {
		if r.Acc == nil || r.WinRate != nil || r.Dataset != "alignx" {
			t.Fatalf("row %+v", r)
		}
	}
	bad := cfg
	bad.AlignXSignals = "vibes"
	if bad.Validate() == nil {
		t.Fatal("unknown AlignX signal setting accepted")
	}
}
