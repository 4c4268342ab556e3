package console

import (
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/fault"
)

func notFound(what string) error {
	return fault.NotFoundf(what, "", "No such %s.", strings.ToLower(strings.ReplaceAll(what, "_", " ")))
}

func invalid(msg string) error { return fault.Invalidf("%s", msg) }

// formError is a refusal of the console's own form checks, shown like an
// operation's.
func formError(msg string) error {
	return &CallError{Target: "form", Err: &awsapi.Error{Status: 400, Code: "ValidationException", Message: msg}}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// names resolves ids to names for display within one request, each
// through the operation a client would call (DescribeGroup, …), once per
// id. A name the administrator may not read shows as its id.
type names struct {
	x *req
	// seen holds the names resolved so far, by kind and id ("group/…").
	seen map[string]string
}

// lookup returns the name of key, resolving it the first time.
func (n *names) lookup(key string, resolve func() string) string {
	if v, ok := n.seen[key]; ok {
		return v
	}
	if n.seen == nil {
		n.seen = map[string]string{}
	}
	v := resolve()
	n.seen[key] = v
	return v
}

func (n *names) group(id string) string {
	return n.lookup("group/"+id, func() string {
		var g wireGroup
		if err := n.x.call(isvc+"DescribeGroup", map[string]string{"IdentityStoreId": n.x.h.o.Instance.IdentityStoreID, "GroupId": id}, &g); err != nil {
			return id
		}
		return g.DisplayName
	})
}

func (n *names) user(id string) string {
	return n.lookup("user/"+id, func() string {
		var u wireUser
		if err := n.x.call(isvc+"DescribeUser", map[string]string{"IdentityStoreId": n.x.h.o.Instance.IdentityStoreID, "UserId": id}, &u); err != nil {
			return id
		}
		return u.UserName
	})
}

func (n *names) permissionSet(arn string) string {
	return n.lookup("permission-set/"+arn, func() string {
		ps, err := n.x.h.describePS(n.x, arn)
		if err != nil {
			return psID(arn)
		}
		return ps.Name
	})
}

func (n *names) principal(typ, id string) string {
	if typ == "GROUP" {
		return n.group(id)
	}
	return n.user(id)
}

func (n *names) assignments(as []wireAssignment) []assignmentRow {
	out := make([]assignmentRow, 0, len(as))
	for _, a := range as {
		out = append(out, assignmentRow{AccountID: a.AccountID, PermissionSetArn: a.PermissionSetArn, PermissionSetID: psID(a.PermissionSetArn),
			PermissionSetName: n.permissionSet(a.PermissionSetArn), PrincipalType: a.PrincipalType, PrincipalID: a.PrincipalID,
			PrincipalName: n.principal(a.PrincipalType, a.PrincipalID)})
	}
	return out
}

// psID returns the ps-… id at the end of a permission set ARN.
func psID(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

// psARN returns the ARN of a permission set of this instance.
func (h *Handler) psARN(id string) string {
	return "arn:aws:sso:::permissionSet/" + h.o.Instance.InstanceID + "/" + id
}
