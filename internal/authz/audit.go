package authz

import (
	"strconv"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/jsonw"
)

// AuditKey is the additionalEventData member that carries the decisions of
// a request in its audit event.
const AuditKey = "authorization"

// AuditDecision is one decision as an audit event records it.
type AuditDecision struct {
	Action   string `json:"action"`
	Resource string `json:"resource"`
	// Decision is Allow, ExplicitDeny or ImplicitDeny.
	Decision string `json:"decision"`
	// Layer, Policy, Statement and Sid name the deciding statement; for an
	// implicit deny, Layer names the layer that lacked an allow.
	Layer     string `json:"layer,omitempty"`
	Policy    string `json:"policy,omitempty"`
	Statement *int   `json:"statement,omitempty"`
	Sid       string `json:"sid,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// AppendJSON appends the decision as encoding/json would encode it; the
// audit event's encoder calls it for every decision of a call.
func (d AuditDecision) AppendJSON(b []byte) []byte {
	b = append(b, `{"action":`...)
	b = jsonw.AppendString(b, d.Action)
	b = append(b, `,"resource":`...)
	b = jsonw.AppendString(b, d.Resource)
	b = append(b, `,"decision":`...)
	b = jsonw.AppendString(b, d.Decision)
	for _, m := range [...]struct{ name, value string }{{"layer", d.Layer}, {"policy", d.Policy}} {
		if m.value != "" {
			b = append(b, `,"`...)
			b = append(b, m.name...)
			b = append(b, `":`...)
			b = jsonw.AppendString(b, m.value)
		}
	}
	if d.Statement != nil {
		b = append(b, `,"statement":`...)
		b = strconv.AppendInt(b, int64(*d.Statement), 10)
	}
	for _, m := range [...]struct{ name, value string }{{"sid", d.Sid}, {"reason", d.Reason}} {
		if m.value != "" {
			b = append(b, `,"`...)
			b = append(b, m.name...)
			b = append(b, `":`...)
			b = jsonw.AppendString(b, m.value)
		}
	}
	return append(b, '}')
}

// AuditDecisions turns decisions into their audit form.
func AuditDecisions(ds []Decision) []AuditDecision {
	out := make([]AuditDecision, 0, len(ds))
	for _, d := range ds {
		a := AuditDecision{Action: d.Action, Resource: d.Resource, Decision: d.Decision.String(), Policy: d.Policy, Sid: d.Sid, Reason: d.Reason}
		if d.Layer != 0 {
			a.Layer = d.Layer.String()
		}
		if d.Statement >= 0 && d.Policy != "" {
			n := d.Statement
			a.Statement = &n
		}
		out = append(out, a)
	}
	return out
}

// UserIdentity is the CloudTrail userIdentity of a principal.
func UserIdentity(p *Principal) audit.UserIdentity {
	u := audit.UserIdentity{PrincipalID: p.PrincipalID, ARN: p.ARN, AccountID: p.AccountID, AccessKeyID: p.AccessKeyID}
	switch p.Kind {
	case KindAdmin:
		u.Type, u.UserName = "IAMUser", p.UserName
	case KindRoleSession:
		u.Type = "AssumedRole"
	default:
		u.Type = "Unknown"
	}
	return u
}

// Annotate records who asked and the decisions in ev: the principal as its
// userIdentity, and the decisions with their deciding statements under
// additionalEventData.authorization. For a role session it also records
// the session's MFA fact (CloudTrail's sessionContext mfaAuthenticated)
// and its issuer role.
func Annotate(ev *audit.Event, p *Principal, ds []Decision) {
	if p != nil {
		ev.UserIdentity = UserIdentity(p)
	}
	if ev.AdditionalEventData == nil {
		ev.AdditionalEventData = map[string]any{}
	}
	if p != nil && p.Kind == KindRoleSession {
		ev.AdditionalEventData["sessionContext"] = map[string]any{
			"sessionIssuer": map[string]string{"type": "Role", "principalId": p.RoleID, "arn": p.PrincipalARN, "accountId": p.AccountID, "userName": p.RoleName},
			"attributes": map[string]string{
				"creationDate":     p.IssuedAt.UTC().Format("2006-01-02T15:04:05Z"),
				"mfaAuthenticated": strconv.FormatBool(p.MFAPresent),
			},
		}
	}
	if ds != nil {
		ev.AdditionalEventData[AuditKey] = AuditDecisions(ds)
	}
}

// AnnotateSubject records in ev, an event whose userIdentity is the one
// who asked (the authorization API's caller), the principal a decision
// was made for and the decisions, under additionalEventData.subject and
// additionalEventData.authorization.
func AnnotateSubject(ev *audit.Event, p *Principal, ds []Decision) {
	if ev.AdditionalEventData == nil {
		ev.AdditionalEventData = map[string]any{}
	}
	if p != nil {
		sub := map[string]any{"type": p.Kind.String(), "arn": p.ARN, "principalArn": p.PrincipalARN, "accountId": p.AccountID}
		if p.AccessKeyID != "" {
			sub["accessKeyId"] = p.AccessKeyID
		}
		if p.Kind == KindRoleSession {
			sub["userId"] = p.UserID
			sub["mfaAuthenticated"] = strconv.FormatBool(p.MFAPresent)
		}
		ev.AdditionalEventData["subject"] = sub
	}
	if ds != nil {
		ev.AdditionalEventData[AuditKey] = AuditDecisions(ds)
	}
}
