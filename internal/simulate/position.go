package simulate

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// span is where a statement is in its document.
type span struct{ start, end Position }

// statementSpans finds the statements of a policy document in its text, in
// document order: for each, the position just after its opening brace and
// the position just after its closing brace, as IAM's simulator reports
// StartPosition and EndPosition (on one line, {"Statement":{...}} starting
// at byte 36 has StartPosition column 38 and EndPosition one past the
// closing brace). Statement may be one object or an array of them. The
// document has been validated, so the scan only needs to find the element;
// on anything unexpected it returns what it found so far.
func statementSpans(text string) []span {
	dec := json.NewDecoder(strings.NewReader(text))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var offsets [][2]int64
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil
		}
		if key != "Statement" {
			if skipValue(dec) != nil {
				return nil
			}
			continue
		}
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		switch tok {
		case json.Delim('{'):
			if o, ok := objectSpan(dec); ok {
				offsets = append(offsets, o)
			}
		case json.Delim('['):
			for dec.More() {
				t, err := dec.Token()
				if err != nil || t != json.Delim('{') {
					break
				}
				o, ok := objectSpan(dec)
				if !ok {
					break
				}
				offsets = append(offsets, o)
			}
		}
		break
	}
	return toPositions(text, offsets)
}

// objectSpan is called just after an object's opening brace was read; it
// reads to the matching closing brace and returns the offsets just after
// both braces.
func objectSpan(dec *json.Decoder) ([2]int64, bool) {
	start := dec.InputOffset()
	if err := skipRest(dec, 1); err != nil {
		return [2]int64{}, false
	}
	return [2]int64{start, dec.InputOffset()}, true
}

// skipValue reads one complete value.
func skipValue(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
		return skipRest(dec, 1)
	}
	return nil
}

// skipRest reads tokens until depth open containers are closed.
func skipRest(dec *json.Decoder, depth int) error {
	for depth > 0 {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
		}
	}
	return nil
}

// toPositions turns byte offsets into 1-based lines and columns, columns
// counted in characters. A line ends at "\n" (a "\r" before it is part of
// the line, as IAM counts it).
func toPositions(text string, offsets [][2]int64) []span {
	out := make([]span, len(offsets))
	for i, o := range offsets {
		out[i] = span{start: positionAt(text, int(o[0])), end: positionAt(text, int(o[1]))}
	}
	return out
}

func positionAt(text string, off int) Position {
	if off > len(text) {
		off = len(text)
	}
	before := text[:off]
	line := 1 + strings.Count(before, "\n")
	lineStart := strings.LastIndexByte(before, '\n') + 1
	return Position{Line: line, Column: 1 + utf8.RuneCountInString(before[lineStart:])}
}
