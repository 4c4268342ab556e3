package iam

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/fault"
	iamsvc "github.com/gatehouse/gatehouse/internal/iam"
	"github.com/gatehouse/gatehouse/internal/simulate"
)

// contextEntry is the model's ContextEntry.
type contextEntry struct {
	ContextKeyName   string   `json:"ContextKeyName"`
	ContextKeyValues []string `json:"ContextKeyValues"`
	ContextKeyType   string   `json:"ContextKeyType"`
}

// simulateIn is the input of SimulateCustomPolicy and
// SimulatePrincipalPolicy.
type simulateIn struct {
	PolicySourceArn                    string         `json:"PolicySourceArn,omitempty"`
	PolicyInputList                    []string       `json:"PolicyInputList,omitempty"`
	PermissionsBoundaryPolicyInputList []string       `json:"PermissionsBoundaryPolicyInputList,omitempty"`
	ActionNames                        []string       `json:"ActionNames,omitempty"`
	ResourceArns                       []string       `json:"ResourceArns,omitempty"`
	ResourcePolicy                     string         `json:"ResourcePolicy,omitempty"`
	ResourceOwner                      string         `json:"ResourceOwner,omitempty"`
	CallerArn                          string         `json:"CallerArn,omitempty"`
	ContextEntries                     []contextEntry `json:"ContextEntries,omitempty"`
	ResourceHandlingOption             string         `json:"ResourceHandlingOption,omitempty"`
	MaxItems                           int            `json:"MaxItems,omitempty"`
	Marker                             string         `json:"Marker,omitempty"`
}

// position is the model's Position.
type position struct {
	Line   int `xml:"Line"`
	Column int `xml:"Column"`
}

// statement is the model's Statement (a matched statement).
type statement struct {
	SourcePolicyID   string   `xml:"SourcePolicyId"`
	SourcePolicyType string   `xml:"SourcePolicyType"`
	StartPosition    position `xml:"StartPosition"`
	EndPosition      position `xml:"EndPosition"`
}

type boundaryDetail struct {
	AllowedByPermissionsBoundary bool `xml:"AllowedByPermissionsBoundary"`
}

// decisionDetails is EvalDecisionDetails, a map serialised as entries.
type decisionDetails struct {
	Entries []decisionEntry `xml:"entry"`
}

type decisionEntry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type resourceResult struct {
	EvalResourceName                  string             `xml:"EvalResourceName"`
	EvalResourceDecision              string             `xml:"EvalResourceDecision"`
	MatchedStatements                 members[statement] `xml:"MatchedStatements"`
	MissingContextValues              members[string]    `xml:"MissingContextValues"`
	EvalDecisionDetails               *decisionDetails   `xml:"EvalDecisionDetails,omitempty"`
	PermissionsBoundaryDecisionDetail *boundaryDetail    `xml:"PermissionsBoundaryDecisionDetail,omitempty"`
}

// evaluationResult is the model's EvaluationResult.
type evaluationResult struct {
	EvalActionName                    string                   `xml:"EvalActionName"`
	EvalResourceName                  string                   `xml:"EvalResourceName"`
	EvalDecision                      string                   `xml:"EvalDecision"`
	MatchedStatements                 members[statement]       `xml:"MatchedStatements"`
	MissingContextValues              members[string]          `xml:"MissingContextValues"`
	EvalDecisionDetails               *decisionDetails         `xml:"EvalDecisionDetails,omitempty"`
	PermissionsBoundaryDecisionDetail *boundaryDetail          `xml:"PermissionsBoundaryDecisionDetail,omitempty"`
	ResourceSpecificResults           *members[resourceResult] `xml:"ResourceSpecificResults,omitempty"`
}

type simulateResult struct {
	EvaluationResults members[evaluationResult] `xml:"EvaluationResults"`
	IsTruncated       bool                      `xml:"IsTruncated"`
	Marker            string                    `xml:"Marker,omitempty"`
}

func (a *api) simulateCustomPolicy(ctx context.Context, in *simulateIn) (*simulateResult, error) {
	var sin simulate.Input
	for i, doc := range in.PolicyInputList {
		sin.Identity = append(sin.Identity, simulate.Document{ID: "PolicyInputList." + strconv.Itoa(i+1), Type: simulate.TypeNone, Text: doc})
	}
	sin.CallerARN = in.CallerArn
	return a.simulate(ctx, "SimulateCustomPolicy", in, sin)
}

func (a *api) simulatePrincipalPolicy(ctx context.Context, in *simulateIn) (*simulateResult, error) {
	p, err := a.principal(ctx, in.PolicySourceArn)
	if err != nil {
		return nil, err
	}
	var sin simulate.Input
	for _, d := range p.Identity {
		sin.Identity = append(sin.Identity, simulate.Document{ID: sourceID(d), Type: d.Type, Text: d.Document})
	}
	if p.Boundary != nil {
		sin.Boundary = &simulate.Document{ID: sourceID(*p.Boundary), Type: p.Boundary.Type, Text: p.Boundary.Document}
	}
	// Policies to add to the principal's, for "what if" questions.
	for i, doc := range in.PolicyInputList {
		sin.Identity = append(sin.Identity, simulate.Document{ID: "PolicyInputList." + strconv.Itoa(i+1), Type: simulate.TypeNone, Text: doc})
	}
	sin.CallerARN = in.CallerArn
	if sin.CallerARN == "" {
		sin.CallerARN = in.PolicySourceArn
	}
	return a.simulate(ctx, "SimulatePrincipalPolicy", in, sin)
}

// principal returns the policies of the user or role a simulation is for.
// The bootstrap administrator acts with AdministratorAccess, and is
// simulated so.
func (a *api) principal(ctx context.Context, arn string) (*iamsvc.Principal, error) {
	rest, _ := strings.CutPrefix(arn, "arn:aws:iam::")
	acct, res, _ := strings.Cut(rest, ":")
	if acct != account(ctx) {
		return nil, noSuchEntityf("The entity %s does not exist in this account.", arn)
	}
	switch {
	case strings.HasPrefix(res, "user/"):
		p, err := a.iam.UserPrincipal(ctx, arn)
		if err != nil {
			return nil, err
		}
		if p.Bootstrap {
			doc, err := a.iam.GetPolicyVersion(ctx, acct, administratorAccess, "v1")
			if err != nil {
				return nil, err
			}
			p.Identity = []iamsvc.NamedDocument{{Name: administratorAccess, Type: simulate.TypeAWSManaged, Document: doc.Document}}
		}
		return p, nil
	case strings.HasPrefix(res, "role/"):
		return a.iam.RolePrincipal(ctx, arn)
	case strings.HasPrefix(res, "group/"):
		return nil, noSuchEntityf("The group %s cannot be found: Gatehouse has no IAM groups.", arn)
	}
	return nil, invalidInputf("Invalid ARN %s: PolicySourceArn must be the ARN of a user, group or role.", arn)
}

// administratorAccess is the policy the bootstrap administrator acts with.
const administratorAccess = "arn:aws:iam::aws:policy/AdministratorAccess"

// sourceID is a principal's policy as SourcePolicyId names it: the name of
// an inline policy, the name of a managed policy.
func sourceID(d iamsvc.NamedDocument) string {
	if ref, err := iamsvc.ParsePolicyARN(d.Name); err == nil {
		return ref.Name
	}
	return d.Name
}

func noSuchEntityf(format string, args ...any) error {
	f := fault.New(fault.NotFound, format, args...)
	f.Code = "NoSuchEntity"
	return f
}

func invalidInputf(format string, args ...any) error {
	f := fault.New(fault.Invalid, format, args...)
	f.Code = "InvalidInput"
	return f
}

// simulate runs a simulation and pages through its results.
func (a *api) simulate(ctx context.Context, op string, in *simulateIn, sin simulate.Input) (*simulateResult, error) {
	if len(in.PermissionsBoundaryPolicyInputList) > 1 {
		return nil, invalidInputf("PermissionsBoundaryPolicyInputList takes at most one policy.")
	}
	if len(in.PermissionsBoundaryPolicyInputList) == 1 {
		sin.Boundary = &simulate.Document{ID: "PermissionsBoundaryPolicyInputList.1", Type: simulate.TypeNone,
			Text: in.PermissionsBoundaryPolicyInputList[0]}
	}
	if in.ResourcePolicy != "" {
		sin.ResourcePolicy = &simulate.Document{ID: "ResourcePolicy", Type: simulate.TypeResource, Text: in.ResourcePolicy}
	}
	sin.Actions, sin.Resources = in.ActionNames, in.ResourceArns
	for _, e := range in.ContextEntries {
		sin.Context = append(sin.Context, simulate.ContextEntry{Key: e.ContextKeyName, Values: e.ContextKeyValues, Type: e.ContextKeyType})
	}
	results, err := simulate.Run(sin)
	var se *simulate.Error
	if errors.As(err, &se) {
		return nil, invalidInputf("%s", se.Msg)
	} else if err != nil {
		return nil, err
	}

	// The marker is bound to the question: a marker of one simulation
	// does not page through another's results.
	question := *in
	question.Marker, question.MaxItems = "", 0
	body, _ := json.Marshal(question)
	sum := sha256.Sum256(body)
	scope := op + ":" + hex.EncodeToString(sum[:12])
	all := make([]evaluationResult, len(results))
	for i, r := range results {
		all[i] = resultOut(r, len(in.ResourceArns) > 0)
	}
	items, truncated, marker, err := pageSlice(a, ctx, scope, all, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &simulateResult{EvaluationResults: members[evaluationResult]{Items: items}, IsTruncated: truncated, Marker: marker}, nil
}

// resultOut turns a result into the wire shape. With explicit resources,
// the details (matched statements, missing keys) are also given per
// resource, and the missing keys only there, as IAM does.
func resultOut(r simulate.Result, perResource bool) evaluationResult {
	matched := make([]statement, len(r.Matched))
	for i, m := range r.Matched {
		matched[i] = statement{SourcePolicyID: m.SourcePolicyID, SourcePolicyType: m.SourcePolicyType,
			StartPosition: position{m.Start.Line, m.Start.Column}, EndPosition: position{m.End.Line, m.End.Column}}
	}
	var boundary *boundaryDetail
	if r.BoundaryAllowed != nil {
		boundary = &boundaryDetail{AllowedByPermissionsBoundary: *r.BoundaryAllowed}
	}
	out := evaluationResult{EvalActionName: r.Action, EvalResourceName: r.Resource, EvalDecision: r.Decision,
		MatchedStatements: members[statement]{Items: matched}, MissingContextValues: members[string]{Items: r.Missing},
		PermissionsBoundaryDecisionDetail: boundary}
	if perResource {
		// Same-account simulations with a resource ARN carry an empty
		// EvalDecisionDetails, as IAM's documentation says.
		out.EvalDecisionDetails = &decisionDetails{}
		out.MissingContextValues = members[string]{Items: []string{}}
		out.ResourceSpecificResults = &members[resourceResult]{Items: []resourceResult{{
			EvalResourceName: r.Resource, EvalResourceDecision: r.Decision,
			MatchedStatements: members[statement]{Items: matched}, MissingContextValues: members[string]{Items: r.Missing},
			EvalDecisionDetails: &decisionDetails{}, PermissionsBoundaryDecisionDetail: boundary,
		}}}
	}
	return out
}
