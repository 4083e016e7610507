package serve

import (
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/popi-go/popi/popi"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/rl"
)

// Remote scores equal local llama scores within float tolerance, across a failing server.
func TestRemoteScorerMatchesLocal(t *testing.T) {
	s, hs := newTestServer(t, nil)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	rs, err := NewRemoteScorer([]string{down.URL + "/v1", hs.URL + "/v1/"}, "popi-tiny", "")
	if err != nil {
		t.Fatal(err)
	}
	ids := s.enc.Prompt(mustMessages(t, s, "Tell me about cats."))
	conts := [][]int{s.enc.Reply("Cats are small."), {}, s.enc.Reply("Cats are long and verbose animals, really.")}
	for range 2 { // both rotations: the down server first, then second
		got, err := rs.Score(ids, conts)
		if err != nil {
			t.Fatal(err)
		}
		want, err := s.m.Score(ids, conts)
		if err != nil {
			t.Fatal(err)
		}
		for i := range conts {
			if math.Abs(got[i].LogProb-want[i].LogProb) > 1e-3 || len(got[i].TokenLogProbs) != len(conts[i]) {
				t.Fatalf("continuation %d: remote %v, local %v", i, got[i].LogProb, want[i].LogProb)
			}
		}
	}
	if _, err := NewRemoteScorer([]string{"file:///etc/passwd"}, "", ""); err == nil {
		t.Fatal("a file URL was accepted")
	}
	bad, _ := NewRemoteScorer([]string{hs.URL + "/v1"}, "other-model", "")
	if _, err := bad.Score(ids, conts); err == nil {
		t.Fatal("a 404 (unknown model) was not reported")
	}

	// The Stage-1 objective with remote scoring equals the local one.
	local, err := popi.NewObjective(s.m, s.m, s.enc, s.opts.Prompting, rl.PreferenceConfig{Kind: rl.DPOLoss, Beta: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	remote, err := popi.NewObjective(s.m, s.m, s.enc, s.opts.Prompting, rl.PreferenceConfig{Kind: rl.DPOLoss, Beta: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	remote.SetScorer(rs)
	pairs := []data.PrefPair{{Prompt: "Tell me about cats", Chosen: "Cats are small.", Rejected: "Cats are big and loud."}}
	a, err := local.SummaryLoss("The user likes brief answers.", pairs)
	if err != nil {
		t.Fatal(err)
	}
	b, err := remote.SummaryLoss("The user likes brief answers.", pairs)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(a-b) > 1e-4 {
		t.Fatalf("objective: remote %v, local %v", b, a)
	}
}

func mustMessages(t *testing.T, s *Server, q string) prompt.Messages {
	t.Helper()
	pm, err := s.opts.Prompting.GeneratorMessages(prompt.Conditioning{Cond: prompt.CondPrompt}, q)
	if err != nil {
		t.Fatal(err)
	}
	return pm
}
