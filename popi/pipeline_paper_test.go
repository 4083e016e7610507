package popi

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/openai/openaitest"
)

const published = "data/testdata/published/"

func TestPresets(t *testing.T) {
	w, err := PresetConfig("")
	if err != nil || w.Preset != PresetWorld || w.Episodes != EpisodesFixed || w.Shots != 0 {
		t.Fatalf("world: %+v %v", w, err)
	}
	if _, err := PresetConfig("fast"); err == nil {
		t.Fatal("unknown preset accepted")
	}
	p, _ := PresetConfig("paper")
	p.ModelDir = "llama-3.2-3b-instruct"
	plan, err := NewPlan(p)
	if err != nil {
		t.Fatal(err)
	}
	c := plan.Config
	if c.TrainSamples != 20000 || c.Stage1.Steps != 2500 || c.Stage2.Steps != 2500 || !plan.PerStep ||
		c.Stage1.BatchSize != 8 || c.Stage2.BatchSize != 8 || c.Stage1.LR != 1e-6 || c.Stage2.LR != 1e-6 ||
		c.Stage1.Warmup != 150 || c.Stage2.Warmup != 150 || plan.Alpha() != 0.002*c.Beta || c.Stage1.RewardPairs != 1 || c.Shots != 0 {
		t.Fatalf("paper plan: %+v", c)
	}
	p.Family, p.DataFiles = "alignx", []string{"x.parquet"}
	if plan, err = NewPlan(p); err != nil || plan.Config.TrainSamples != 92000 || plan.Config.Stage1.Steps != 11500 {
		t.Fatalf("paper AlignX: %v %+v", err, plan)
	}
	p.Loss, p.LogProbMean = "ipo", true
	if plan, err = NewPlan(p); err != nil || !plan.Pref.MeanLogProbs || plan.Alpha() != 0.002*2/p.Beta {
		t.Fatalf("IPO mean: %v", err)
	}
	bad := DefaultPipelineConfig()
	bad.TrainSamples = 100
	if bad.Validate() == nil {
		t.Fatal("-train-samples with fixed episodes accepted")
	}
	bad = DefaultPipelineConfig()
	bad.Episodes = "sometimes"
	if bad.Validate() == nil {
		t.Fatal("unknown episode mode accepted")
	}
	bad = DefaultPipelineConfig()
	bad.Episodes, bad.Stage1.Steps = EpisodesPerStep, 0
	if bad.Validate() == nil {
		t.Fatal("steps 0 without training samples accepted")
	}
}

// A fake LLM judge that always answers 'm'.
func fakeJudge(t *testing.T, c *PipelineConfig) {
	srv, _ := openaitest.Server(t, func(int, openaitest.Request, *http.Request) (int, map[string]string, string) {
		return 200, nil, openaitest.Completion("m")
	})
	t.Setenv("POPI_TEST_JUDGE_KEY", "k")
	c.JudgeURL, c.JudgeModel, c.JudgeKeyEnv = srv.URL+"/v1", "judge", "POPI_TEST_JUDGE_KEY"
}

// The paper's protocol on the published ELIX files as downloaded (a directory of shards
// and the official test split): per-step episodes, results per persona, and re-evaluation
// with the alternative templates and several transfer generators.
func TestPipelinePerStepOnPublishedTestSplit(t *testing.T) {
	f := getFixture(t)
	cfg := tinyPipelineConfig(t, f)
	fakeJudge(t, &cfg)
	cfg.Preset, cfg.Family = PresetPaper, "elix"
	cfg.DataFiles, cfg.HeldOutFiles = []string{published + "elix_train"}, []string{published + "elix_test.parquet"}
	cfg.Episodes, cfg.TrainSamples, cfg.Shots, cfg.EvalTargets, cfg.EvalUsers = EpisodesPerStep, 6, 0, 2, 4
	cfg.Stage1.RewardPairs, cfg.Stage1.Steps, cfg.Stage2.Steps = 1, 0, 0 // one pass: 3 steps of 2
	cfg.Methods = "Base-Model,POPI-Inference-Only,POPI-Full"
	out := filepath.Join(t.TempDir(), "run")
	var log bytes.Buffer
	res, err := RunPipeline(context.Background(), cfg, out, false, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	lg := log.String()
	for _, want := range []string{"preset: paper", "6 training samples (episodes drawn per step), 4 held-out episodes evaluated (test split",
		"5 ELIX rows dropped", "stage 1: 3 steps", "[stage1] 3/3 steps", "[stage2-popi-full] 3/3 steps", "[summaries] after_train: 6 written"} {
		if !strings.Contains(lg, want) {
			t.Fatalf("log lacks %q:\n%s", want, lg)
		}
	}
	var saved PipelineConfig
	if err := ReadJSON(filepath.Join(out, "config.json"), &saved); err != nil || saved.Preset != PresetPaper || saved.Stage1.Steps != 3 || saved.TrainSamples != 6 {
		t.Fatalf("config.json: %+v %v", saved, err)
	}
	// Four episodes, round-robin over personas: four personas, each with its own row.
	for _, r := range res.Report.Runs {
		if len(r.ByPersona) != 4 || r.WinRate == nil || !strings.HasPrefix(r.ByPersona[0].Persona, "The user is ") {
			t.Fatalf("per persona: %+v", r)
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, "results.md"))
	if !strings.Contains(string(md), "Per persona") || !strings.Contains(string(md), "The user is a young adult in college.") {
		t.Fatalf("results.md:\n%s", md)
	}
	// cmd/eval: alternative templates and two generators, without retraining.
	rep, tr, err := EvaluateRun(context.Background(), out, EvalRunOptions{Templates: "alternative", Out: "eval-alt",
		Transfers: []TransferSpec{{Name: "tiny-a", ModelDir: cfg.ModelDir}, {Name: "tiny-b", ModelDir: cfg.ModelDir}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.Title, "templates alternative") || tr == nil || len(tr.Datasets) != 2 {
		t.Fatalf("eval: %s, transfer %+v", rep.Title, tr)
	}
	tmd := tr.Markdown()
	if !strings.Contains(tmd, "| Method | tiny-a | tiny-b | Avg. |") || !strings.Contains(tmd, "| Base-Model | 50.00 | 50.00 | 50.00 |") {
		t.Fatalf("transfer table:\n%s", tmd)
	}
	// Another inference model's summaries are labelled as such, not as POPI's.
	rep, _, err = EvaluateRun(context.Background(), out, EvalRunOptions{Inference: cfg.ModelDir, InferenceName: "Tiny", Out: "eval-inf", Methods: "Base-Model,POPI-Inference-Only"}, nil)
	if err != nil || rep.Methods[1] != "Inference-Prompting (Tiny as Inference Model)" {
		t.Fatalf("labels %v %v", rep, err)
	}
}

// Bad data stops the run before the run directory exists.
func TestPipelineBadDataWritesNothing(t *testing.T) {
	f := getFixture(t)
	cfg := tinyPipelineConfig(t, f)
	for _, c := range []struct{ fam, file, want string }{
		{"elix", "bad_elix_missing_label.parquet", `row 1: field "label": missing`},
		{"roleplay", "bad_roleplay_persona_type.parquet", `field "score_persona"`},
		{"alignx", "bad_alignx_ugc_comment.parquet", `User-Generated Content[0].comment`},
	} {
		cfg.Family, cfg.DataFiles = c.fam, []string{published + c.file}
		out := filepath.Join(t.TempDir(), "run")
		_, err := RunPipeline(context.Background(), cfg, out, false, nil)
		if err == nil || !strings.Contains(err.Error(), c.file) || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%s: %v", c.file, err)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("%s: the run directory was created: %v", c.file, err)
		}
	}
}

// AlignX trained on the published training file, then evaluated on every test split
// without retraining: one column group per split.
func TestAlignXEvaluateAllSplits(t *testing.T) {
	f := getFixture(t)
	cfg := tinyPipelineConfig(t, f)
	cfg.Family, cfg.DataFiles, cfg.HeldOutFiles = "alignx", []string{published + "alignx_train.parquet"}, []string{published + "alignx_test_demo.parquet"}
	cfg.AlignXSplit, cfg.Episodes, cfg.TrainSamples = "demo", EpisodesPerStep, 8
	cfg.Methods, cfg.SkipStage2 = "Base-Model,Raw-Prompting,POPI-Inference-Only", true
	out := filepath.Join(t.TempDir(), "run")
	if _, err := RunPipeline(context.Background(), cfg, out, false, nil); err != nil {
		t.Fatal(err)
	}
	rep, _, err := EvaluateRun(context.Background(), out, EvalRunOptions{Split: "all", HeldOutFiles: []string{published + "alignx_test_arbitrary.parquet"}, Out: "eval-splits"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rep.Datasets, ",") != "alignx Arbitrary,alignx DEMO,alignx PAIR,alignx UGC" || len(rep.Runs) != 12 {
		t.Fatalf("splits %v, %d runs", rep.Datasets, len(rep.Runs))
	}
	// Raw-Prompting's context differs by split: each split shows only its own source.
	lens := map[string]float64{}
	for _, r := range rep.Runs {
		if r.Method == "Raw-Prompting" {
			lens[r.Dataset] = *r.AvgLen
		}
	}
	if !(lens["alignx Arbitrary"] > lens["alignx PAIR"] && lens["alignx Arbitrary"] > lens["alignx DEMO"] && lens["alignx PAIR"] != lens["alignx UGC"]) {
		t.Fatalf("context per split %v", lens)
	}
	if _, _, err := EvaluateRun(context.Background(), out, EvalRunOptions{Split: "PAIR"}, nil); err == nil {
		t.Fatal("the DEMO test file evaluated as PAIR")
	}
}

// The β grid runs one pipeline per β and reports the Table 7 rows and the selection.
func TestBetaGrid(t *testing.T) {
	f := getFixture(t)
	cfg := tinyPipelineConfig(t, f)
	cfg.Methods, cfg.SkipStage2 = "Base-Model,POPI-Inference-Only", true
	if _, err := ParseBetas("0.1,-1"); err == nil {
		t.Fatal("negative β accepted")
	}
	betas, err := ParseBetas(" 0.1, 0.05 ")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "grid")
	g, err := RunBetaGrid(context.Background(), cfg, betas, out, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(out, "beta_grid.md"))
	for _, want := range []string{"| Base-Model | – |", "| POPI-Inference-Only | 0.1 |", "|  | 0.05 |", "Selected β ="} {
		if !strings.Contains(string(md), want) {
			t.Fatalf("beta_grid.md lacks %q:\n%s", want, md)
		}
	}
	if g.Selected != 0.1 && g.Selected != 0.05 {
		t.Fatalf("selected %v", g.Selected)
	}
	for _, b := range []string{"beta-0.1", "beta-0.05"} {
		var c PipelineConfig
		if err := ReadJSON(filepath.Join(out, b, "config.json"), &c); err != nil || "beta-"+strconv.FormatFloat(c.Beta, 'g', -1, 64) != b {
			t.Fatalf("%s: %+v %v", b, c.Beta, err)
		}
	}
}

func TestParseTransferSpec(t *testing.T) {
	for _, c := range []struct {
		in   string
		want TransferSpec
	}{
		{"/m/Llama-3.2-1B-Instruct", TransferSpec{Name: "Llama-3.2-1B-Instruct", ModelDir: "/m/Llama-3.2-1B-Instruct"}},
		{"Llama-1b=/m/x", TransferSpec{Name: "Llama-1b", ModelDir: "/m/x"}},
		{"GPT-4o-mini=https://api.openai.com/v1#gpt-4o-mini#KEY", TransferSpec{Name: "GPT-4o-mini", URL: "https://api.openai.com/v1", Model: "gpt-4o-mini", KeyEnv: "KEY"}},
		{"http://localhost:8000/v1#mistral-small", TransferSpec{Name: "mistral-small", URL: "http://localhost:8000/v1", Model: "mistral-small"}},
	} {
		got, err := ParseTransferSpec(c.in)
		if err != nil || got != c.want {
			t.Fatalf("%q: %+v %v", c.in, got, err)
		}
	}
	for _, bad := range []string{"", "x=", "https://h/v1", "https://h/v1#m#k#z"} {
		if _, err := ParseTransferSpec(bad); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
	c := DefaultPipelineConfig()
	c.Transfers = []TransferSpec{{Name: "a", ModelDir: "x"}, {Name: "a", URL: "u", Model: "m"}}
	if c.Validate() == nil {
		t.Fatal("duplicate transfer names accepted")
	}
}

// The data phase keeps the official test split's prompts out of training: a training row
// that repeats a test prompt is removed, and no per-step draw ever shows a test prompt.
func TestFileEpisodesTestSplitNoLeak(t *testing.T) {
	train, err := os.ReadFile(published + "elix_train.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	leak := `{"prompt":"Question 100 about volcanoes?","response_x":"volcanoes for an expert.","response_y":"volcanoes for a child.","label":0,"level_x":"an expert","level_y":"a child in elementary school","scorer_level":"an expert"}` + "\n"
	p := filepath.Join(t.TempDir(), "train.jsonl")
	if err := os.WriteFile(p, append(train, leak...), 0o644); err != nil {
		t.Fatal(err)
	}
	c := PaperPipelineConfig()
	c.ModelDir, c.DataFiles, c.HeldOutFiles, c.TrainSamples = "unused", []string{p}, []string{published + "elix_test.parquet"}, 0
	c.Stage1.Steps, c.Stage2.Steps = 1, 1
	plan, err := NewPlan(c)
	if err != nil {
		t.Fatal(err)
	}
	e, err := fileEpisodes(plan)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(e.Notes, "\n"), "1 training pairs removed: their prompts are in the test split") || e.Sampler.Len() != 40 {
		t.Fatalf("notes %v, %d samples", e.Notes, e.Sampler.Len())
	}
	test := map[string]bool{}
	for _, ep := range e.Held {
		for _, tp := range ep.Targets {
			test[tp.Prompt] = true
		}
	}
	for key := uint64(0); key < 20; key++ {
		for i := 0; i < e.Sampler.Len(); i++ {
			ep, err := e.Sampler.Episode(i, key)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range append(append([]data.PrefPair(nil), ep.Signals...), ep.Targets...) {
				if test[x.Prompt] {
					t.Fatalf("test prompt %q in a training episode", x.Prompt)
				}
			}
		}
	}
	for _, ep := range e.Held {
		for _, s := range ep.Signals {
			if test[s.Prompt] {
				t.Fatalf("test prompt %q as a held-out signal", s.Prompt)
			}
		}
	}
}
