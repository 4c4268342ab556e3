package managedpolicy

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/policy"
)

func TestEmbeddedCatalogue(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() < 1000 {
		t.Fatalf("catalogue holds %d policies, want the full snapshot", c.Len())
	}
	for _, arn := range []string{
		"arn:aws:iam::aws:policy/AmazonS3FullAccess",
		"arn:aws:iam::aws:policy/AdministratorAccess",
		"arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
	} {
		p, ok := c.Get(arn)
		if !ok {
			t.Fatalf("%s is missing", arn)
		}
		if p.DefaultVersionID == "" || !strings.HasSuffix(arn, "/"+p.Name) {
			t.Fatalf("%s = %+v", arn, p)
		}
		if _, err := policy.Parse([]byte(p.Document), policy.IdentityBased); err != nil {
			t.Fatalf("%s does not parse: %v", arn, err)
		}
	}
	if _, ok := c.Get("arn:aws:iam::aws:policy/NoSuchPolicy"); ok {
		t.Fatal("unknown policy found")
	}
}

func TestList(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	after := ""
	for {
		page, more := c.List("/job-function/", after, 3)
		for _, p := range page {
			if p.Path != "/job-function/" {
				t.Fatalf("path filter let %s through", p.ARN)
			}
			names = append(names, p.Name)
		}
		if !more {
			break
		}
		after = page[len(page)-1].Name
	}
	if len(names) < 5 {
		t.Fatalf("job-function policies = %v", names)
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			t.Fatalf("not in name order: %v", names)
		}
	}
}
