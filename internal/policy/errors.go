package policy

import (
	"errors"
	"fmt"
)

// ErrMalformed matches every [*ValidationError] with errors.Is, so callers that
// only need "is this the caller's fault" do not have to type-assert.
var ErrMalformed = errors.New("malformed policy document")

// ErrorKind classifies a validation error. Every kind is the caller's fault;
// the distinction only helps to word a message or to count failures.
type ErrorKind uint8

const (
	// KindSyntax: the input is not a single well-formed JSON object, or an
	// object repeats a key (which encoding/json would silently accept).
	KindSyntax ErrorKind = iota + 1
	// KindStructure: an element has the wrong JSON type, is unknown, is
	// missing, is empty, or conflicts with another element.
	KindStructure
	// KindValue: an element has the right type but an invalid value: an
	// unsupported Version, a malformed action, ARN, operator, literal or
	// policy variable.
	KindValue
)

// String returns a short lowercase name for the kind.
func (k ErrorKind) String() string {
	switch k {
	case KindSyntax:
		return "syntax"
	case KindStructure:
		return "structure"
	case KindValue:
		return "value"
	}
	return fmt.Sprintf("ErrorKind(%d)", uint8(k))
}

// ValidationError reports why a policy document was rejected. Its message is
// safe to return to the API caller: it quotes only the caller's own document.
type ValidationError struct {
	// Kind classifies the problem.
	Kind ErrorKind
	// Path names the offending element, e.g. "Statement[2].Condition.StringLike".
	// It is empty for problems with the document as a whole.
	Path string
	// Msg describes the problem without the path.
	Msg string
}

// Error formats the error as "Path: Msg".
func (e *ValidationError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Is reports whether target is [ErrMalformed].
func (e *ValidationError) Is(target error) bool { return target == ErrMalformed }

func errorf(kind ErrorKind, path, format string, args ...any) *ValidationError {
	return &ValidationError{Kind: kind, Path: path, Msg: fmt.Sprintf(format, args...)}
}
