package popi

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/rl"
)

func fixtureEpisodes(t testing.TB, f *tinyFixture, heldOut bool, perUser int) []data.Episode {
	t.Helper()
	p := filepath.Join(t.TempDir(), "w.jsonl")
	if err := f.World.WriteFSPO(p, heldOut); err != nil {
		t.Fatal(err)
	}
	d, err := data.LoadFSPO(data.FamilyELIX, p)
	if err != nil {
		t.Fatal(err)
	}
	eps, _, err := d.Episodes(data.EpisodeConfig{NumShots: 2, NumTargets: 4, PerUser: perUser, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	return eps
}

// cancelWriter cancels a context once n progress lines have been written.
type cancelWriter struct {
	mu     sync.Mutex
	n      int
	cancel context.CancelFunc
	buf    bytes.Buffer
}

func (w *cancelWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(b)
	if bytes.Contains(b, []byte(" steps/s")) {
		w.n--
		if w.n == 0 && w.cancel != nil {
			w.cancel()
		}
	}
	return len(b), nil
}

func newStage1(t testing.TB, f *tinyFixture, base *llama.Model, cfg Stage1Config) *Stage1 {
	t.Helper()
	obj, err := NewObjective(base, base, f.Enc, prompt.Prompting{Family: data.FamilyELIX}, rl.PreferenceConfig{Kind: rl.DPOLoss, Beta: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	pol, _ := NewLMPolicy(CloneModel(base), f.Enc)
	ref, _ := NewLMPolicy(base, f.Enc)
	held := fixtureEpisodes(t, f, true, 1)
	ev, err := NewStage1Eval(held, 2, 2, obj, Summarizer{Enc: f.Enc, P: prompt.Prompting{Family: data.FamilyELIX}, MaxTokens: 8}, false)
	if err != nil {
		t.Fatal(err)
	}
	return &Stage1{Config: cfg, Policy: pol, Ref: ref, Obj: obj, Tok: f.Tok, Eval: ev}
}

func modelParams(m *llama.Model) []float32 {
	var out []float32
	for _, v := range m.Trainable().Params() {
		out = append(out, v.Data...)
	}
	return out
}

// Stage 1 interrupted by cancellation (Ctrl-C) and resumed ends with exactly the weights
// of an uninterrupted run; the checkpoint is a loadable HF directory.
func TestStage1ResumeEqualsUninterrupted(t *testing.T) {
	f := getFixture(t)
	base := f.model(t, 7)
	eps := fixtureEpisodes(t, f, false, 1)[:4]
	cfg := Stage1Config{Steps: 4, BatchSize: 2, GroupSize: 3, LR: 1e-3, Warmup: 1, Alpha: -1, Temperature: 1,
		MaxTokens: 8, RewardPairs: 2, Seed: 9, CheckpointEvery: 1, EvalEvery: 2}
	prompts, err := Stage1Prompts(f.Enc, prompt.Prompting{Family: data.FamilyELIX}, eps, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	runA, _ := OpenRun(filepath.Join(t.TempDir(), "a"), false, nil)
	defer runA.Close()
	os.WriteFile(runA.Path("config.json"), []byte("{}"), 0o644)
	sa := newStage1(t, f, base, cfg)
	stA, err := sa.Run(ctx, runA, prompts, false)
	if err != nil || !stA.Done || len(stA.History) != 4 {
		t.Fatalf("uninterrupted: %v %+v", err, stA)
	}

	dirB := filepath.Join(t.TempDir(), "b")
	cctx, cancel := context.WithCancel(ctx)
	w := &cancelWriter{n: 2, cancel: cancel}
	runB, _ := OpenRun(dirB, false, w)
	os.WriteFile(runB.Path("config.json"), []byte("{}"), 0o644)
	sb := newStage1(t, f, base, cfg)
	st, err := sb.Run(cctx, runB, prompts, false)
	if !errors.Is(err, context.Canceled) || st.Step != 2 {
		t.Fatalf("interrupted run: step %d, err %v", st.Step, err)
	}
	if !strings.Contains(w.buf.String(), "interrupted: checkpoint saved at step 2/4") {
		t.Fatalf("no interruption message in %q", w.buf.String())
	}
	runB.Close()
	ckpt, ok := CheckpointDir(filepath.Join(dirB, "ckpt", "stage1"))
	if !ok {
		t.Fatal("no checkpoint after the interruption")
	}
	if _, err := llama.Load(ckpt, llama.LoadOptions{}); err != nil {
		t.Fatalf("checkpoint is not a loadable model: %v", err)
	}
	if _, err := llama.LoadTokenizer(ckpt); err != nil {
		t.Fatalf("checkpoint tokenizer: %v", err)
	}
	runB2, err := OpenRun(dirB, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer runB2.Close()
	sb2 := newStage1(t, f, base, cfg) // a fresh process: policy starts from the base again
	stB, err := sb2.Run(ctx, runB2, prompts, true)
	if err != nil || !stB.Done {
		t.Fatalf("resumed: %v %+v", err, stB)
	}
	if !slices.Equal(modelParams(sa.Policy.Model), modelParams(sb2.Policy.Model)) {
		t.Fatal("resumed run's final weights differ from the uninterrupted run")
	}
	if !slices.Equal(stA.History, stB.History) {
		t.Fatalf("reward history differs:\n%v\n%v", stA.History, stB.History)
	}
	// Held-out evaluations before training and after steps 2 and 4, the same with an
	// interruption (the one after step 2 is in the checkpoint).
	if len(stA.HeldOut) != 3 || stA.HeldOut[2].Step != 4 || !reflect.DeepEqual(stA.HeldOut, stB.HeldOut) {
		t.Fatalf("held-out evaluations differ:\n%+v\n%+v", stA.HeldOut, stB.HeldOut)
	}
	if slices.Equal(modelParams(sa.Policy.Model), modelParams(base)) {
		t.Fatal("training did not change the policy")
	}
	// A finished phase resumes as done without training.
	st3, err := newStage1(t, f, base, cfg).Run(ctx, runB2, prompts, true)
	if err != nil || !st3.Done || st3.Step != 4 {
		t.Fatalf("re-resume of a finished phase: %v %+v", err, st3)
	}
	// A checkpoint for a different step count is refused.
	cfg2 := cfg
	cfg2.Steps = 5
	if _, err := newStage1(t, f, base, cfg2).Run(ctx, runB2, prompts, true); err == nil {
		t.Fatal("resuming with another step count accepted")
	}
}
