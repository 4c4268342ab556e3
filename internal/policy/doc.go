// Package policy implements the AWS IAM policy language for Gatehouse: parsing
// and validation of policy documents, a canonical printer, compilation of a
// permission set (identity policies, an optional permissions boundary and
// optional session policies) into an allocation-free evaluator, and
// evaluation of resource-based policies.
//
// The package is a leaf: it depends only on the standard library and knows
// nothing about HTTP, storage or the rest of Gatehouse. Callers map a
// [*ValidationError] to the wire error of their API (MalformedPolicyDocument
// for IAM, ValidationException for sso-admin) and build a [Request] for every
// authorization decision.
//
// The evaluation rules follow the IAM User Guide; docs/policy.md in the
// repository lists the grammar, the rules, the Gatehouse extensions and every
// place where the documentation was ambiguous and a choice had to be made.
//
// Typical use:
//
//	doc, err := policy.Parse(jsonBytes, policy.IdentityBased)
//	if err != nil { ... } // *ValidationError, errors.Is(err, policy.ErrMalformed)
//	set, err := policy.Compile(policy.Set{Identity: []policy.Policy{{Name: "ReadOnly", Document: doc}}})
//
//	var ctx policy.Context // reused across requests
//	ctx.Reset()
//	ctx.Add(policy.KeyUsername, "alice")
//	res := set.Evaluate(&policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: &ctx})
//	if res.Decision != policy.Allow { ... }
package policy
