package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gatehouse/gatehouse/internal/policy"
)

// policyCommand runs `gatehouse policy check|eval`, tools for people
// writing policies: the same parser and engine the server uses.
func policyCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, policyUsage)
		return errors.New("policy: missing subcommand (check or eval)")
	}
	switch args[0] {
	case "check":
		return policyCheck(args[1:], stdout, stderr)
	case "eval":
		return policyEval(args[1:], stdout, stderr)
	default:
		fmt.Fprint(stderr, policyUsage)
		return fmt.Errorf("policy: unknown subcommand %q", args[0])
	}
}

const policyUsage = `Usage:
  gatehouse policy check [--resource-policy] FILE...
      Validate policy documents; print each problem with the element it is in.
  gatehouse policy eval --action ACTION [--resource ARN] --policy FILE [--policy FILE...]
                        [--boundary FILE] [--session-policy FILE...] [--context KEY=VALUE...]
      Evaluate one request and print the decision and the statement that decided it.
`

// errInvalid makes `policy check` exit non-zero after printing every
// problem.
var errInvalid = errors.New("policy: invalid documents")

func policyCheck(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("policy check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	resource := fs.Bool("resource-policy", false, "the documents are resource-based policies (Principal required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("policy check: name at least one file")
	}
	kind := policy.IdentityBased
	if *resource {
		kind = policy.ResourceBased
	}
	bad := 0
	for _, path := range fs.Args() {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("policy check: %w", err)
		}
		if _, err := policy.Parse(data, kind); err != nil {
			bad++
			fmt.Fprintf(stdout, "%s: %v\n", path, err)
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%d characters without whitespace)\n", path, policy.SizeWithoutWhitespace(data))
	}
	if bad > 0 {
		return errInvalid
	}
	return nil
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func policyEval(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("policy eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var identity, session, ctxPairs multiFlag
	fs.Var(&identity, "policy", "identity policy file (repeatable)")
	fs.Var(&session, "session-policy", "session policy file (repeatable)")
	fs.Var(&ctxPairs, "context", "condition key and value, KEY=VALUE (repeatable; repeat a key for several values)")
	boundary := fs.String("boundary", "", "permissions boundary file")
	action := fs.String("action", "", "action, e.g. s3:GetObject")
	resource := fs.String("resource", "*", "resource ARN")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *action == "" || len(identity) == 0 {
		return errors.New("policy eval: --action and at least one --policy are required")
	}
	load := func(path string) (policy.Policy, error) {
		data, err := os.ReadFile(path)
		if err != nil {
			return policy.Policy{}, fmt.Errorf("policy eval: %w", err)
		}
		doc, err := policy.Parse(data, policy.IdentityBased)
		if err != nil {
			return policy.Policy{}, fmt.Errorf("policy eval: %s: %w", path, err)
		}
		return policy.Policy{Name: path, Document: doc}, nil
	}
	var set policy.Set
	for _, p := range identity {
		pol, err := load(p)
		if err != nil {
			return err
		}
		set.Identity = append(set.Identity, pol)
	}
	for _, p := range session {
		pol, err := load(p)
		if err != nil {
			return err
		}
		set.Session = append(set.Session, pol)
	}
	if *boundary != "" {
		pol, err := load(*boundary)
		if err != nil {
			return err
		}
		set.Boundary = &pol
	}
	compiled, err := policy.Compile(set)
	if err != nil {
		return fmt.Errorf("policy eval: %w", err)
	}
	var c policy.Context
	for _, kv := range ctxPairs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("policy eval: --context %q is not KEY=VALUE", kv)
		}
		c.Add(k, v)
	}
	res := compiled.Evaluate(&policy.Request{Action: *action, Resource: *resource, Context: &c})
	fmt.Fprintf(stdout, "%s\n", res)
	if res.Decision != policy.Allow {
		return errDenied
	}
	return nil
}

// errDenied makes `policy eval` exit non-zero for a deny, so scripts can
// test decisions.
var errDenied = errors.New("policy eval: request denied")
