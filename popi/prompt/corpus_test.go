package prompt

import (
	"strings"
	"testing"

	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/world"
)

func TestRenderWorldCorpus(t *testing.T) {
	w, err := world.New(world.Config{Seed: 1, TrainUsers: 12, HeldOutUsers: 2})
	if err != nil {
		t.Fatal(err)
	}
	exs, err := w.Corpus(world.CorpusConfig{N: 200, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	chats, err := RenderWorldCorpus(exs, TemplatesPaper)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range chats {
		ex := exs[i]
		switch ex.Kind {
		case world.KindSummarize:
			if !strings.HasPrefix(c.Messages.User, "# User Preference Examples\n## Example 1\n") || c.Assistant != ex.Summary {
				t.Fatalf("summarize example: %+v", c)
			}
		case world.KindAnswerWithSummary:
			if !strings.Contains(c.Messages.User, "# User Preference Summary\n"+ex.Summary+"\n") || c.Assistant != ex.Response {
				t.Fatalf("summary answer: %+v", c)
			}
		case world.KindAnswerBase:
			if c.Messages.User != ex.Prompt || c.Messages.System != SystemHelpful {
				t.Fatalf("base answer: %+v", c)
			}
		case world.KindAnswerWithPairs:
			if !strings.HasSuffix(c.Messages.User, "# User Prompt\n"+ex.Prompt) {
				t.Fatalf("pairs answer: %+v", c)
			}
		}
		if c.Kind != ex.Kind.String() {
			t.Fatalf("kind %q", c.Kind)
		}
	}
}

// EpisodeSignals is an episode's SignalText when set (AlignX, whose data.AlignXEpisodes
// fills it), otherwise its signal pairs rendered.
func TestEpisodeSignals(t *testing.T) {
	pairs := []data.PrefPair{{Prompt: "P", Chosen: "C", Rejected: "R"}}
	if got := EpisodeSignals(&data.Episode{Signals: pairs}); got != RenderPreferencePairs(pairs) {
		t.Fatalf("pairs episode: %q", got)
	}
	if got := EpisodeSignals(&data.Episode{Signals: pairs, SignalText: "- prefers: dimension 1"}); got != "- prefers: dimension 1" {
		t.Fatalf("AlignX episode: %q", got)
	}
}
