package popi

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/popi-go/popi/popi/openai"
	"github.com/popi-go/popi/popi/openai/openaitest"
	"github.com/popi-go/popi/popi/world"
)

var outputRe = regexp.MustCompile(`"output": ("(?:[^"\\]|\\.)*")`)

// judgeOutputs recovers outputs m and M from a rendered judge prompt.
func judgeOutputs(t *testing.T, user string) (m, M string) {
	found := outputRe.FindAllStringSubmatch(user, -1)
	if len(found) != 2 {
		t.Errorf("judge prompt has %d outputs", len(found))
		return "", ""
	}
	if err := json.Unmarshal([]byte(found[0][1]), &m); err != nil {
		t.Errorf("output m is not a valid JSON string: %v", err)
	}
	if err := json.Unmarshal([]byte(found[1][1]), &M); err != nil {
		t.Errorf("output M is not a valid JSON string: %v", err)
	}
	return m, M
}

// testClient is a client of the fake server at url without retries' waiting to speak of
// (1 ms backoff).
func testClient(t *testing.T, url string, cfg openai.Config) *openai.Client {
	t.Helper()
	cfg.BaseURL, cfg.Model, cfg.BackoffBase = url+"/v1", "judge-model", time.Millisecond
	c, err := openai.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func judgeClient(t *testing.T, answer func(m, M string) string) *openai.Client {
	srv, _ := openaitest.Server(t, func(_ int, req openaitest.Request, _ *http.Request) (int, map[string]string, string) {
		if len(req.Messages) != 2 || req.Messages[0].Content != JudgeSystemPrompt {
			return 400, nil, `{"error":"not a judge request"}`
		}
		m, M := judgeOutputs(t, req.Messages[1].Content)
		return 200, nil, openaitest.Completion(answer(m, M))
	})
	c := testClient(t, srv.URL, openai.Config{MaxRetries: -1})
	return c
}

func TestJudgeMessagesGolden(t *testing.T) {
	msg := JudgeMessages(`Say "hi"`, "The user is a child.", "line1\nline2", `back\slash`)
	if msg.System != "You are a highly efficient assistant, who evaluates and selects the best large language model (LLMs) based on the quality of their responses to a given instruction. This process will be used to create a leaderboard reflecting the most accurate and human-preferred answers." {
		t.Fatalf("system %q", msg.System)
	}
	for _, want := range []string{
		"You are tasked with evaluating the outputs of multiple large language models to determine which model produces the best response from a human perspective.\n\n## Instructions\n\nYou will receive:\n1. A **User Instruction**: This is the query or task provided to the models.\n",
		"{\n  \"user_instruction\": \"Say \\\"hi\\\"\"\n}",
		"{\n  {\n    \"model_identifier\": \"m\",\n    \"output\": \"line1\\nline2\"\n  },\n  {\n    \"model_identifier\": \"M\",\n    \"output\": \"back\\\\slash\"\n  }\n}",
		"{\n  \"user_description\": \"The user is a child.\"\n}",
		"Output only the model identifier of the best response (either 'm' or 'M') with no additional text, quotes, spaces, or new lines.\n\n## Best Model Identifier",
	} {
		if !strings.Contains(msg.User, want) {
			t.Fatalf("judge prompt lacks %q:\n%s", want, msg.User)
		}
	}
	m, M := judgeOutputs(t, msg.User)
	if m != "line1\nline2" || M != `back\slash` {
		t.Fatalf("outputs round trip: %q %q", m, M)
	}
}

func TestLLMJudgeOverHTTP(t *testing.T) {
	ctx := context.Background()
	fair := &LLMJudge{Model: judgeClient(t, func(m, M string) string {
		if strings.Contains(m, "GOOD") {
			return "m"
		}
		return "M"
	})}
	if v, err := fair.Compare(ctx, "q", "d", "GOOD answer", "bad answer"); err != nil || v.Outcome != OutcomeA || v.Answers != [2]string{"m", "M"} {
		t.Fatalf("fair judge, A good: %+v %v", v, err)
	}
	if v, err := fair.Compare(ctx, "q", "d", "bad answer", "GOOD answer"); err != nil || v.Outcome != OutcomeB {
		t.Fatalf("fair judge, B good: %+v %v", v, err)
	}
	biased := &LLMJudge{Model: judgeClient(t, func(string, string) string { return "m" })}
	if v, err := biased.Compare(ctx, "q", "d", "x", "y"); err != nil || v.Outcome != OutcomeTie {
		t.Fatalf("position-biased judge should tie: %+v %v", v, err)
	}
	spaced := &LLMJudge{Model: judgeClient(t, func(m, M string) string {
		if strings.Contains(M, "GOOD") {
			return " M\n"
		}
		return "m "
	})}
	if v, err := spaced.Compare(ctx, "q", "d", "x", "GOOD"); err != nil || v.Outcome != OutcomeB {
		t.Fatalf("whitespace answers: %+v %v", v, err)
	}
	for _, odd := range []string{"Model M", "'m'", "", "mM", "A", "m.", "The best is m"} {
		j := &LLMJudge{Model: judgeClient(t, func(string, string) string { return odd })}
		v, err := j.Compare(ctx, "q", "d", "x", "y")
		if err != nil || v.Outcome != OutcomeInvalid || v.Answers[0] != odd {
			t.Fatalf("odd answer %q: %+v %v", odd, v, err)
		}
	}
	srv, _ := openaitest.Server(t, func(int, openaitest.Request, *http.Request) (int, map[string]string, string) { return 503, nil, "down" })
	c := testClient(t, srv.URL, openai.Config{MaxRetries: 1})
	if _, err := (&LLMJudge{Model: c}).Compare(ctx, "q", "d", "x", "y"); err == nil {
		t.Fatal("server errors not reported")
	}
}

func TestCompareAllKeepsOrder(t *testing.T) {
	j := &LLMJudge{Model: judgeClient(t, func(m, M string) string {
		if len(m) > len(M) {
			return "m"
		}
		return "M"
	})}
	var items []Comparison
	for i := 0; i < 12; i++ {
		a, b := strings.Repeat("a", i+1), strings.Repeat("b", 6)
		items = append(items, Comparison{"q", "d", a, b})
	}
	vs, err := CompareAll(context.Background(), j, items, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		want := OutcomeB
		if i+1 > 6 {
			want = OutcomeA
		} else if i+1 == 6 {
			want = OutcomeTie // equal lengths: both orders answer M
		}
		if v.Outcome != want {
			t.Fatalf("item %d: %v, want %v", i, v.Outcome, want)
		}
	}
}

func TestExactJudge(t *testing.T) {
	w, err := world.New(world.Config{Seed: 4, TrainUsers: 12, HeldOutUsers: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, u := range w.HeldOut {
		for _, p := range u.Pairs {
			v, err := ExactJudge{}.Compare(ctx, p.Prompt, u.Persona.Sentence(), p.Chosen, p.Rejected)
			if err != nil || v.Outcome != OutcomeA {
				t.Fatalf("exact judge: %+v %v", v, err)
			}
			if v, _ := (ExactJudge{}).Compare(ctx, p.Prompt, u.Persona.Sentence(), p.Rejected, p.Chosen); v.Outcome != OutcomeB {
				t.Fatalf("exact judge swapped: %+v", v)
			}
			if v, _ := (ExactJudge{}).Compare(ctx, p.Prompt, u.Persona.Sentence(), p.Chosen, p.Chosen); v.Outcome != OutcomeTie {
				t.Fatalf("exact judge equal: %+v", v)
			}
		}
	}
	sc, err := WorldSummaryScore(world.Persona{world.Expert, world.Negative, world.Concise}.Sentence(), "Brief, technical and upbeat.")
	if err != nil || sc.Correct != 2 || sc.Wrong != 1 || sc.Missing != 0 {
		t.Fatalf("summary score %+v %v", sc, err)
	}
	if _, err := WorldSummaryScore("someone", "brief"); err == nil {
		t.Fatal("non-world persona accepted")
	}
	if _, err := (ExactJudge{}).Compare(ctx, "q", "The user is a child in elementary school.", "a", "b"); err == nil {
		t.Fatal("non-world description accepted")
	}
}
