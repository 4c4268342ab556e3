package policy

import "fmt"

// Policy language versions accepted by [Parse].
const (
	// Version2012 is the current policy language; it enables policy variables.
	Version2012 = "2012-10-17"
	// Version2008 is the original policy language. A document without a
	// Version element follows its rules: "${...}" is literal text.
	Version2008 = "2008-10-17"
)

// Kind selects the validation rules for a document: identity policies (also
// used for permissions boundaries, session policies and the inline and
// managed policies of a permission set) must not name a principal, while
// resource-based policies must.
type Kind uint8

const (
	// IdentityBased rejects Principal and NotPrincipal and enforces IAM's
	// Sid rules (alphanumeric, unique within the document).
	IdentityBased Kind = iota + 1
	// ResourceBased requires Principal or NotPrincipal in every statement.
	ResourceBased
)

// String returns "identity" or "resource".
func (k Kind) String() string {
	switch k {
	case IdentityBased:
		return "identity"
	case ResourceBased:
		return "resource"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Effect is the Effect element of a statement.
type Effect uint8

const (
	// EffectAllow grants the statement's actions.
	EffectAllow Effect = iota + 1
	// EffectDeny explicitly denies them; an explicit deny always wins.
	EffectDeny
)

// String returns "Allow" or "Deny", as written in a policy.
func (e Effect) String() string {
	switch e {
	case EffectAllow:
		return "Allow"
	case EffectDeny:
		return "Deny"
	}
	return fmt.Sprintf("Effect(%d)", uint8(e))
}

// Document is a parsed policy document. [Parse] returns only valid documents;
// a Document built or modified in code can be checked with [Document.Validate]
// and is validated again by [Compile].
type Document struct {
	// Version is "2012-10-17", "2008-10-17", or "" when the element is
	// absent (which means 2008-10-17 rules).
	Version string
	// ID is the optional Id element.
	ID string
	// Statements holds the Statement element; a single statement object is
	// represented as a one-element slice.
	Statements []Statement
}

// variablesEnabled reports whether "${...}" is a policy variable in this
// document; before 2012-10-17 it is literal text.
func (d *Document) variablesEnabled() bool { return d.Version == Version2012 }

// Statement is one element of the Statement array. Exactly one of Action and
// NotAction is non-empty; at most one of Resource and NotResource, and at
// most one of Principal and NotPrincipal, is set.
type Statement struct {
	Sid          string
	Effect       Effect
	Principal    *Principal
	NotPrincipal *Principal
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	// Conditions lists every operator/key pair of the Condition element in
	// document order. All values of one pair are ORed; pairs are ANDed.
	Conditions []Condition
}

// Principal is the Principal or NotPrincipal element of a resource policy.
type Principal struct {
	// Wildcard is set for the bare form "Principal": "*". The equivalent
	// {"AWS": "*"} is kept in AWS so that printing preserves the author's form.
	Wildcard      bool
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string
}

// Condition is one key of one condition operator block, e.g. the
// "aws:username" entry of a "StringEquals" block.
type Condition struct {
	// Operator is the full operator as written, including any set qualifier
	// and IfExists suffix, e.g. "ForAnyValue:StringLikeIfExists".
	Operator string
	// Key is the condition context key as written; keys compare
	// case-insensitively.
	Key string
	// Values are the policy values as text; JSON numbers and booleans are
	// kept in their literal spelling.
	Values []string
}
