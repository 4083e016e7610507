package popi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/popi-go/popi/popi/prompt"
)

// Outcome is the result of comparing candidate A with candidate B.
type Outcome int

const (
	// OutcomeInvalid: the judge gave an answer other than 'm' or 'M' in at least one order.
	OutcomeInvalid Outcome = iota
	// OutcomeA: A preferred in both orders.
	OutcomeA
	// OutcomeB: B preferred in both orders.
	OutcomeB
	// OutcomeTie: the two orders disagree (or an exact judge scores them equal).
	OutcomeTie
)

func (o Outcome) String() string {
	return [...]string{"invalid", "A", "B", "tie"}[o]
}

// Verdict is a judged comparison. Answers holds the raw judge answers for the order
// (A as 'm', B as 'M') and then (B as 'm', A as 'M'); empty for the exact judge.
type Verdict struct {
	Outcome Outcome
	Answers [2]string
}

// Judge compares two candidate responses to instruction for the user described by description.
type Judge interface {
	Compare(ctx context.Context, instruction, description, a, b string) (Verdict, error)
}

// Judge prompt (the paper's appendix G; a specification, do not change). The chat-template
// markers of the figure are left to the chat API. The four placeholders sit inside JSON
// string literals; the inserted texts are JSON-escaped so the block stays valid JSON.
const (
	JudgeSystemPrompt = "You are a highly efficient assistant, who evaluates and selects the best large language model (LLMs) " +
		"based on the quality of their responses to a given instruction. This process will be used to create a leaderboard " +
		"reflecting the most accurate and human-preferred answers."

	JudgeUserTemplate = "You are tasked with evaluating the outputs of multiple large language models to determine which model " +
		"produces the best response from a human perspective.\n\n" +
		"## Instructions\n\n" +
		"You will receive:\n" +
		"1. A **User Instruction**: This is the query or task provided to the models.\n" +
		"2. **Model Outputs**: Unordered responses from different models, each identified by a unique model identifier.\n" +
		"3. A **User Description**: This describes the user's preferences or additional context to guide your evaluation.\n\n" +
		"Your task is to:\n" +
		"1. Evaluate the outputs based on quality and relevance to the user's instruction and description.\n" +
		"2. Select the best output that meets the user's needs.\n\n" +
		"## Input Format\n\n" +
		"### User instruction\n\n" +
		"{\n  \"user_instruction\": \"{instruction}\"\n}\n\n" +
		"## Model Outputs\n\n" +
		"{\n  {\n    \"model_identifier\": \"m\",\n    \"output\": \"{output_1}\"\n  },\n" +
		"  {\n    \"model_identifier\": \"M\",\n    \"output\": \"{output_2}\"\n  }\n}\n\n" +
		"## User Description\n\n" +
		"{\n  \"user_description\": \"{description}\"\n}\n\n" +
		"## Task\n\n" +
		"From the provided outputs, determine which model produces the best response. Output only the model identifier " +
		"of the best response (either 'm' or 'M') with no additional text, quotes, spaces, or new lines.\n\n" +
		"## Best Model Identifier"
)

// jsonInner is s as the inside of a JSON string literal.
func jsonInner(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // encoding a string cannot fail
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

// JudgeMessages renders the judge prompt with output1 as model 'm' and output2 as 'M'.
func JudgeMessages(instruction, description, output1, output2 string) prompt.Messages {
	r := strings.NewReplacer("{instruction}", jsonInner(instruction), "{description}", jsonInner(description),
		"{output_1}", jsonInner(output1), "{output_2}", jsonInner(output2))
	return prompt.Messages{System: JudgeSystemPrompt, User: r.Replace(JudgeUserTemplate)}
}

// LLMJudge is the LLM-as-a-judge of the paper: it asks Model both orders and combines
// them (same winner twice wins, disagreement is a tie). An answer that is not exactly 'm'
// or 'M' (surrounding whitespace aside) makes the verdict OutcomeInvalid: it is counted
// and reported by the metrics, never guessed.
type LLMJudge struct {
	Model Generator
}

// ParseJudgeAnswer maps an answer to 0 ('m'), 1 ('M') or -1 (anything else).
func ParseJudgeAnswer(ans string) int {
	switch strings.TrimSpace(ans) {
	case "m":
		return 0
	case "M":
		return 1
	}
	return -1
}

// Compare asks both orders (concurrently) and combines them.
func (j *LLMJudge) Compare(ctx context.Context, instruction, description, a, b string) (Verdict, error) {
	if j.Model == nil {
		return Verdict{}, errors.New("popi: LLMJudge has no model")
	}
	orders := [2]prompt.Messages{JudgeMessages(instruction, description, a, b), JudgeMessages(instruction, description, b, a)}
	var v Verdict
	var errs [2]error
	var wg sync.WaitGroup
	for i := range orders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v.Answers[i], errs[i] = j.Model.Generate(ctx, orders[i].System, orders[i].User)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs[0], errs[1]); err != nil {
		return Verdict{}, fmt.Errorf("popi: judge: %w", err)
	}
	first, second := ParseJudgeAnswer(v.Answers[0]), ParseJudgeAnswer(v.Answers[1])
	if first < 0 || second < 0 {
		v.Outcome = OutcomeInvalid
		return v, nil
	}
	aFirst := first == 0   // A was 'm' in the first order
	aSecond := second == 1 // A was 'M' in the second order
	switch {
	case aFirst && aSecond:
		v.Outcome = OutcomeA
	case !aFirst && !aSecond:
		v.Outcome = OutcomeB
	default:
		v.Outcome = OutcomeTie
	}
	return v, nil
}

// Comparison is one judging job for CompareAll.
type Comparison struct {
	Instruction, Description, A, B string
}

// CompareAll judges every comparison with up to workers in flight; results keep input order.
// The first error cancels the rest and is returned.
func CompareAll(ctx context.Context, j Judge, items []Comparison, workers int) ([]Verdict, error) {
	workers = max(workers, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make([]Verdict, len(items))
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				it := items[i]
				v, err := j.Compare(ctx, it.Instruction, it.Description, it.A, it.B)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("comparison %d: %w", i, err)
						cancel()
					}
					mu.Unlock()
					continue
				}
				out[i] = v
			}
		}()
	}
feed:
	for i := range items {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
