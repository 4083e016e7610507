package openai

import (
	"regexp"
	"strings"
)

// maxBody caps a response body read into memory, and maxRequest a request body sent.
const (
	maxBody    = 32 << 20
	maxRequest = 32 << 20
)

// redacted replaces a credential in text shown to the user.
const redacted = "[REDACTED]"

var (
	// An Authorization or API-key header or field echoed back: the name is kept, the value
	// (up to the end of the line, quote or separator) goes.
	headerRE = regexp.MustCompile(`(?i)((?:proxy-)?authorization|x-api-key|api[-_]?key|access[-_]?token|secret)("?\s*[:=]\s*"?)(?:bearer\s+|basic\s+)?[^\s",;}&]+`)
	// A bearer token anywhere.
	bearerRE = regexp.MustCompile(`(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+`)
	// Key-like strings: OpenAI-style sk-..., and other providers' common prefixes.
	keyRE = regexp.MustCompile(`\b(?:sk|pk|rk|ak)-[A-Za-z0-9_-]{8,}|\bAIza[0-9A-Za-z_-]{20,}|\bxox[abpr]-[A-Za-z0-9-]{8,}`)
)

// redact removes credentials from text taken from a server's answer before it goes
// into an error: the configured key itself wherever it appears, Authorization-style
// headers and fields, bearer tokens and key-like strings.
func (c *Client) redact(s string) string {
	if c.key != "" {
		s = strings.ReplaceAll(s, c.key, redacted)
	}
	s = headerRE.ReplaceAllString(s, "${1}${2}"+redacted)
	s = bearerRE.ReplaceAllString(s, "${1}"+redacted)
	return keyRE.ReplaceAllString(s, redacted)
}

// excerpt is the first n bytes of a body, with credentials redacted, for an error.
// Redaction runs on a longer prefix than is shown, so a secret cut by the excerpt's end
// is still recognised and removed whole.
func (c *Client) excerpt(body []byte, n int) string {
	s := string(body[:min(len(body), 16*n+len(c.key))])
	return clip(c.redact(strings.TrimSpace(s)), n)
}

// redactedError is a transport error whose text went through redact (a URL may carry a
// key in its query); it unwraps to the original for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
