package llama_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	tiktoken "github.com/pkoukk/tiktoken-go"
	tiktokenloader "github.com/pkoukk/tiktoken-go-loader"
	"github.com/pkoukk/tiktoken-go-loader/assets"
	"github.com/stretchr/testify/require"

	"github.com/popi-go/popi/llama"
)

// The cross-check below encodes the same text with our tokenizer and with
// github.com/pkoukk/tiktoken-go, an independent implementation (regexp2
// pre-tokenizer, its own BPE merge loop), on OpenAI's cl100k_base
// vocabulary. cl100k_base uses exactly the LLaMA-3 pre-tokenizer pattern, so
// the ids must agree token for token. Both read the vocabulary embedded in
// github.com/pkoukk/tiktoken-go-loader (no download at test time): tiktoken-go
// through its own loader, ours through ParseTiktoken on the raw file.

// cl100kSpecials are cl100k_base's special tokens (as tiktoken defines them).
var cl100kSpecials = map[string]int{
	"<|endoftext|>":   100257,
	"<|fim_prefix|>":  100258,
	"<|fim_middle|>":  100259,
	"<|fim_suffix|>":  100260,
	"<|endofprompt|>": 100276,
}

func cl100kEncoders(t *testing.T) (*llama.Tokenizer, *tiktoken.Tiktoken) {
	t.Helper()
	raw, err := assets.Assets.ReadFile("cl100k_base.tiktoken")
	require.NoError(t, err)
	ranks, err := llama.ParseTiktoken(raw)
	require.NoError(t, err)
	require.Len(t, ranks, 100256)
	ours, err := llama.NewTiktokenTokenizer(ranks, cl100kSpecials)
	require.NoError(t, err)

	tiktoken.SetBpeLoader(tiktokenloader.NewOfflineLoader())
	ref, err := tiktoken.GetEncoding("cl100k_base")
	require.NoError(t, err)
	return ours, ref
}

// cl100kFixedCorpus covers the pre-tokenizer's branches one by one.
var cl100kFixedCorpus = []string{
	"",
	"Hello, world!",
	"The quick brown fox jumps over the lazy dog.",
	// contractions, any case, and look-alikes that are not contractions
	"I'm sure they'll say we'd've done it; DON'T, it'S, WE'RE, You'Ve, she'D, He'LL, I'M.",
	"rock 'n' roll, 'tis, ''s, 'x, don’t (curly), '", "'s'", "'''s",
	"'ſ 'ſt 'K 'İ 'ǅ", // case folding in (?i:...): long s, Kelvin sign, dotted I, titlecase
	// numbers: groups of at most three digits, other scripts' digits
	"1", "12", "123", "1234", "1234567890", "3.14159", "1,000,000", "-42", "0x1F", "v2.0.1",
	"٣٤٥٦", "१२३४५", "Ⅻ ½ ²³", "２０２４年",
	// whitespace runs, tabs, newlines, CR, trailing and leading spaces
	"a  b   c    d", "   leading", "trailing   ", "\t\ttabs\t", "line\nline\n\n\nline",
	"crlf\r\nline\r\n\r\n", " \n \n ", "\n", "\r", "   \n", "x \n\t y", "end \u00a0\u2003 nbsp",
	"\u2028line separator\u2029paragraph", "  ", " ",
	// punctuation runs followed by newlines
	"!!!\n\n", "...\r\n", " ???", "a--b", "(foo)[bar]{baz}", "«quote» — „dash“",
	// unicode letters, marks, scripts
	"naïve café résumé Ångström", "Ελληνικά", "Русский язык", "日本語のテキスト", "中文分词测试",
	"한국어 텍스트", "العربية", "हिन्दी भाषा", "ไทย", "עברית", "é (e + combining acute)",
	"emoji 👍🏽 👨‍👩‍👧 🇫🇷 ❤️", "math ∑∫√∞ ≤ ≥", "\u200bzero\u200dwidth", "\ufeffbom",
	// code and markup
	"func main() {\n\tfmt.Println(\"hi\")\n}\n", "<div class=\"x\">&amp;</div>", "https://example.com/a?b=c&d=e#f",
	"snake_case camelCase PascalCase kebab-case", "    indented = 4 # comment\n",
	// special-token texts (ordinary text unless specials are parsed)
	"<|endoftext|>", "a<|fim_prefix|>b<|fim_middle|>c<|fim_suffix|>d<|endofprompt|>", "<|endoftext",
}

// cl100kRandomCorpus draws n strings from a pool of characters chosen to hit
// class boundaries (letters, digits, spaces, newlines, apostrophes, marks,
// emoji), plus random byte strings.
func cl100kRandomCorpus(seed uint64, n int) []string {
	pool := []rune("aZeE sStTmMlLdDvVſK'’0123456789 \t\n\r\n\u00a0\u3000.,!?-_()\"$%/\\ßçøéü" +
		"αβγЖжщ中文字日本ひらカタ한글ابجअआ्ि\u0301\u0308👍🏽‍❤️🇫🇷٣१Ⅻ½²")
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		var b strings.Builder
		size := 1 + r.IntN(80)
		if i%4 == 3 { // random bytes, mostly invalid UTF-8
			for j := 0; j < size; j++ {
				b.WriteByte(byte(r.IntN(256)))
			}
		} else {
			for j := 0; j < size; j++ {
				b.WriteRune(pool[r.IntN(len(pool))])
			}
		}
		out = append(out, b.String())
	}
	return out
}

// TestTokenizerMatchesTiktokenGo requires identical ids from our tokenizer
// and tiktoken-go on cl100k_base, for ordinary text and with special tokens
// parsed. tiktoken encodes text (a Python str): tiktoken-go reads the input
// as runes, so an invalid UTF-8 byte reaches it as U+FFFD. Ours keeps raw
// bytes (EncodeBytes), so random byte strings are given to ours the way
// tiktoken-go sees them, string([]rune(s)).
func TestTokenizerMatchesTiktokenGo(t *testing.T) {
	ours, ref := cl100kEncoders(t)
	corpus := append(append([]string(nil), cl100kFixedCorpus...), cl100kRandomCorpus(12, 4000)...)
	var tokens int
	for _, s := range corpus {
		text := string([]rune(s)) // what tiktoken-go encodes
		want := ref.EncodeOrdinary(s)
		got := ours.Encode(text, false)
		require.Equal(t, want, got, "ordinary text %q", s)
		require.Equal(t, ref.Encode(s, []string{"all"}, nil), ours.Encode(text, true), "with specials %q", s)
		dec, err := ours.Decode(got)
		require.NoError(t, err)
		require.Equal(t, text, string(dec), "round trip")
		tokens += len(got)
	}
	t.Logf("%d strings, %d tokens identical", len(corpus), tokens)
}
