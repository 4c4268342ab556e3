package policy

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// managedPoliciesPath locates the snapshot of AWS-managed policies shared by
// the project. GATEHOUSE_AWS_MANAGED_POLICIES overrides the default, which
// is the shared data directory next to the repository.
func managedPoliciesPath() string {
	if p := os.Getenv("GATEHOUSE_AWS_MANAGED_POLICIES"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "..", "shared", "data", "aws-managed-policies.json")
}

// TestAWSManagedPolicies parses, validates, round-trips and compiles every
// AWS-managed policy. These are real documents that AWS accepts: if one
// fails, the parser is wrong, not the policy.
func TestAWSManagedPolicies(t *testing.T) {
	path := managedPoliciesPath()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("AWS-managed policy snapshot not found at %s (set GATEHOUSE_AWS_MANAGED_POLICIES to its location)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	var policies map[string]struct {
		Arn      string
		Document json.RawMessage
	}
	if err := json.Unmarshal(data, &policies); err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	if len(policies) < 1000 {
		t.Fatalf("only %d policies in %s; expected the full snapshot", len(policies), path)
	}
	var compiled Set
	for name, p := range policies {
		doc, err := Parse(p.Document, IdentityBased)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		printed, _ := doc.MarshalJSON()
		again, err := Parse(printed, IdentityBased)
		if err != nil {
			t.Errorf("%s: reparsing canonical form: %v\n%s", name, err, printed)
			continue
		}
		if diff := cmp.Diff(doc, again); diff != "" {
			t.Errorf("%s: canonical form changed the document (-first +second):\n%s", name, diff)
		}
		compiled.Identity = append(compiled.Identity, Policy{Name: p.Arn, Document: doc})
	}
	if _, err := Compile(compiled); err != nil {
		t.Errorf("compiling all managed policies as one set: %v", err)
	}
}
