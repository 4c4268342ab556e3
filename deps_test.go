package gatehouse_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyDirection keeps the architecture's arrows true: domain
// packages never reach HTTP or SQL, leaves import no other project package,
// and adapters do not import each other (docs/architecture.md).
func TestDependencyDirection(t *testing.T) {
	const mod = "github.com/gatehouse/gatehouse/"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}|{{join .Imports " "}}|{{join .Deps " "}}`, "./internal/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	// imports are a package's own imports; deps are everything it reaches.
	imports, deps := map[string][]string{}, map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		pkg := strings.TrimPrefix(f[0], mod)
		imports[pkg], deps[pkg] = strings.Fields(f[1]), strings.Fields(f[2])
	}
	has := func(pkg, dep string) bool {
		for _, d := range deps[pkg] {
			if d == dep || strings.HasPrefix(d, dep+"/") {
				return true
			}
		}
		return false
	}
	// A third-party library may use net/http internally (go-webauthn does);
	// what the rule forbids is our domain code using it.
	imports1 := func(pkg, dep string) bool {
		for _, d := range imports[pkg] {
			if d == dep {
				return true
			}
		}
		return false
	}
	isDomain := func(p string) bool {
		for _, d := range []string{"internal/directory", "internal/accesskey", "internal/instance", "internal/access",
			"internal/org", "internal/iam", "internal/signin", "internal/mfa", "internal/password", "internal/tempcred", "internal/oauth", "internal/authz", "internal/consoleadmin"} {
			if p == d || strings.HasPrefix(p, d+"/") {
				return true
			}
		}
		return false
	}
	leaves := []string{"internal/fault", "internal/arn", "internal/sigv4", "internal/policy", "internal/keyring", "internal/jsonw"}
	for pkg := range deps {
		if isDomain(pkg) {
			for _, banned := range []string{"net/http", "database/sql"} {
				if imports1(pkg, banned) {
					t.Errorf("domain package %s imports %s", pkg, banned)
				}
			}
			for _, banned := range []string{"internal/awsapi", "internal/server", "internal/store/sqlstore", "internal/web"} {
				if has(pkg, mod+banned) {
					t.Errorf("domain package %s depends on %s", pkg, banned)
				}
			}
		}
		for _, leaf := range leaves {
			if pkg != leaf {
				continue
			}
			for _, d := range deps[pkg] {
				if strings.HasPrefix(d, mod) {
					t.Errorf("leaf package %s imports %s", pkg, d)
				}
			}
		}
		if strings.HasPrefix(pkg, "internal/awsapi/") && pkg != "internal/awsapi/awsmodel" {
			for other := range deps {
				if other != pkg && strings.HasPrefix(other, "internal/awsapi/") && other != "internal/awsapi/awsmodel" && has(pkg, mod+other) {
					t.Errorf("adapter %s imports adapter %s", pkg, other)
				}
			}
		}
	}
	if len(deps) < 10 {
		t.Fatalf("only %d packages listed; the check would prove nothing", len(deps))
	}
}
