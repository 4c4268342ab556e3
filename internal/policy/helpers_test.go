package policy

import (
	"fmt"
	"strings"
	"testing"
)

// Documentation pages cited by the golden tables. All are pages of the IAM
// User Guide (https://docs.aws.amazon.com/IAM/latest/UserGuide/<page>).
const (
	refOperators   = "IAM User Guide, reference_policies_elements_condition_operators.html"
	refMultiValue  = "IAM User Guide, reference_policies_condition-single-vs-multi-valued-context-keys.html"
	refMultiLogic  = "IAM User Guide, reference_policies_condition-logic-multiple-context-keys-or-values.html"
	refCondition   = "IAM User Guide, reference_policies_elements_condition.html"
	refVariables   = "IAM User Guide, reference_policies_variables.html"
	refVersion     = "IAM User Guide, reference_policies_elements_version.html"
	refEvalLogic   = "IAM User Guide, reference_policies_evaluation-logic.html"
	refBoundaries  = "IAM User Guide, access_policies_boundaries.html"
	refSession     = "IAM User Guide, access_policies.html#policies_session"
	refAction      = "IAM User Guide, reference_policies_elements_action.html"
	refNotAction   = "IAM User Guide, reference_policies_elements_notaction.html"
	refResource    = "IAM User Guide, reference_policies_elements_resource.html"
	refNotResource = "IAM User Guide, reference_policies_elements_notresource.html"
	refPrincipal   = "IAM User Guide, reference_policies_elements_principal.html"
	refNotPrin     = "IAM User Guide, reference_policies_elements_notprincipal.html"
	refGrammar     = "IAM User Guide, reference_policies_grammar.html"
	refSid         = "IAM User Guide, reference_policies_elements_sid.html"
	refStatement   = "IAM User Guide, reference_policies_elements_statement.html"
	refMFATutorial = "IAM User Guide, tutorial_users-self-manage-mfa-and-creds.html"
	refRevoke      = "IAM User Guide, id_roles_use_revoke-sessions.html"
	refQuotas      = "IAM User Guide, reference_iam-quotas.html"
	refGatehouse   = "Gatehouse extension, docs/policy.md"
)

// kv builds a context from key/value pairs; a repeated key becomes
// multivalued.
func kv(pairs ...string) [][2]string {
	if len(pairs)%2 != 0 {
		panic("kv: odd number of arguments")
	}
	out := make([][2]string, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, [2]string{pairs[i], pairs[i+1]})
	}
	return out
}

func buildContext(pairs [][2]string) *Context {
	var c Context
	for _, p := range pairs {
		c.Add(p[0], p[1])
	}
	return &c
}

func mustParse(t testing.TB, doc string, kind Kind) *Document {
	t.Helper()
	d, err := Parse([]byte(doc), kind)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, doc)
	}
	return d
}

// conditionPolicy wraps a Condition element in an Allow-everything statement.
func conditionPolicy(version, cond string) string {
	v := ""
	if version != "" {
		v = fmt.Sprintf(`"Version":%q,`, version)
	}
	return fmt.Sprintf(`{%s"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":%s}]}`, v, cond)
}

// stmt builds a one-statement 2012-10-17 policy from element JSON fragments.
func stmt(elems ...string) string {
	return `{"Version":"2012-10-17","Statement":[{` + strings.Join(elems, ",") + `}]}`
}

// stmts builds a 2012-10-17 policy from statement objects.
func stmts(objs ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(objs, ",") + `]}`
}
