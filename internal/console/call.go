package console

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/consoleadmin"
	"github.com/gatehouse/gatehouse/internal/fault"
)

// CallerType is the userIdentity type of a console administrator, as
// CloudTrail names Identity Center users.
const CallerType = "IdentityCenterUser"

// CallError is an operation's refusal, as a client would have received it.
type CallError struct {
	Target string
	Err    *awsapi.Error
}

func (e *CallError) Error() string { return e.Target + ": " + e.Err.Error() }

// Code returns the error code of err when it is a refused call, else "".
func Code(err error) string {
	if ce, ok := err.(*CallError); ok {
		return ce.Err.Code
	}
	return ""
}

// caller is the administrator as an API caller: an Identity Center user
// of the management account, with the facts of the console sign-in.
func (x *req) caller() awsapi.Caller {
	u := x.s.User
	return awsapi.Caller{
		Type: CallerType, PrincipalARN: consoleadmin.UserARN(u.ID), PrincipalID: u.ID,
		AccountID: x.h.o.Instance.OwnerAccountID, UserName: u.UserName,
		Session: &awsapi.SessionContext{UserID: u.ID, MFAPresent: x.s.MFAPresent(), AuthTime: x.s.AuthTime,
			IssuedAt: x.s.CreatedAt, ExpiresAt: x.s.ExpiresAt},
	}
}

// mark completes an event as the console's: the identity store user on
// whose behalf it was made, the portal session, and CloudTrail's marker of
// calls made from a console.
func (x *req) mark(ev *audit.Event) {
	u := x.s.User
	ev.UserIdentity = audit.UserIdentity{
		Type: CallerType, PrincipalID: u.ID, ARN: consoleadmin.UserARN(u.ID),
		AccountID: x.h.o.Instance.OwnerAccountID, UserName: u.UserName, CredentialID: x.s.ID,
		OnBehalfOf: &audit.OnBehalfOf{UserID: u.ID, IdentityStoreARN: x.h.o.Instance.IdentityStoreARN()},
	}
	ev.SessionCredentialFromConsole = "true"
}

// event starts an event of the console's own (a read no API offers).
func (x *req) event(source, name string) *audit.Event {
	ev := x.h.o.Router.NewEvent(x.ctx(), source, name)
	x.mark(ev)
	return ev
}

// call invokes an operation ("AWSIdentityStore.CreateUser") as the
// administrator and decodes its output into out (when not nil). A refusal
// is a *CallError.
func (x *req) call(target string, in, out any) error {
	raw, werr := x.h.o.Router.Invoke(x.ctx(), awsapi.Invocation{Target: target, Input: in, Caller: x.caller(), Prepare: x.mark})
	if werr != nil {
		return &CallError{Target: target, Err: werr}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("console: decode the output of %s: %w", target, err)
	}
	return nil
}

// read is a read no API operation offers: it is authorised as action on
// resources (the closest API listing), runs fn, and is recorded as the
// event name of that listing with params as its request. A refusal is
// recorded and returned as a *CallError, like an operation's.
func (x *req) read(source, name, action string, resources []string, params any, fn func(ctx context.Context) error) error {
	ev := x.event(source, name)
	ev.ReadOnly = true
	ev.RequestParameters = params
	ev.AdditionalEventData = map[string]any{"consoleRead": true}
	fail := func(err error) error {
		we := &awsapi.Error{Code: "InternalServerException", Message: awsapi.InternalMessage, Status: 500}
		if f, ok := fault.As(err); ok && f.Kind != fault.Internal {
			we = awsapi.DefaultFaultMapper(f)
		}
		if rerr := x.h.o.Router.Record(x.ctx(), ev, we); rerr != nil {
			return rerr
		}
		if we.Status >= 500 {
			return err
		}
		return &CallError{Target: name, Err: we}
	}
	if err := x.h.o.Grants.Authorize(x.ctx(), x.principal(), action, resources, nil); err != nil {
		return fail(err)
	}
	if err := fn(x.ctx()); err != nil {
		return fail(err)
	}
	return x.h.o.Router.Record(x.ctx(), ev, nil)
}

// ---- resources, as the API's Guards name them ----

func (h *Handler) storeARN() string {
	return "arn:aws:identitystore::" + h.o.Instance.OwnerAccountID + ":identitystore/" + h.o.Instance.IdentityStoreID
}

const (
	allUsers  = "arn:aws:identitystore:::user/*"
	allGroups = "arn:aws:identitystore:::group/*"
)

// ---- form errors ----

var atPath = regexp.MustCompile(`at '([^']+)'`)

// fieldErrors sorts a refusal's message into messages next to the form
// fields it names (by their wire paths, "userName", "name.givenName",
// "emails.value"); what names no field is returned as general.
func fieldErrors(err error, known map[string]bool) (general string, fields map[string]string) {
	ce, ok := err.(*CallError)
	if !ok {
		return "", nil
	}
	msg := ce.Err.Message
	fields = map[string]string{}
	switch msg {
	case "Duplicate UserName":
		fields["userName"] = "Another user already has this user name."
	case "Duplicate Email":
		fields["emails.value"] = "Another user already has this email address."
	case "Duplicate GroupDisplayName":
		fields["displayName"] = "Another group already has this name."
	}
	if len(fields) > 0 {
		return "", fields
	}
	_, list, found := strings.Cut(msg, "detected: ")
	if !found {
		return msg, nil
	}
	var rest []string
	for _, part := range strings.Split(list, "; ") {
		path := ""
		if m := atPath.FindStringSubmatch(part); m != nil {
			path = m[1]
		} else if p, _, ok := strings.Cut(part, ": "); ok && !strings.Contains(p, " ") {
			path = p
		}
		path = normalizePath(path)
		if path != "" && known[path] {
			if fields[path] == "" {
				fields[path] = part
			}
			continue
		}
		rest = append(rest, part)
	}
	if len(rest) > 0 {
		general = strings.Join(rest, "; ")
	}
	return general, fields
}

// formRefused shows a refusal of a form's operation, sorted into msg and
// errs (fieldErrors). A denial, or a refusal with nothing to show next to
// the form, gets the error page; else show puts the form back with msg
// above it ("Check the highlighted fields." when every part of the
// refusal went next to a field) and errs next to the fields.
func (x *req) formRefused(err error, msg string, errs map[string]string, show func(msg string, errs map[string]string)) {
	if Code(err) == "AccessDeniedException" || (msg == "" && errs == nil) {
		x.fail(err)
		return
	}
	if msg == "" {
		msg = "Check the highlighted fields."
	}
	show(msg, errs)
}

var listIndex = regexp.MustCompile(`\.\d+\.member|\[\d+\]|\.\d+`)

// normalizePath turns "emails.1.member.value" or "emails[0].value" into
// "emails.value", and lower-cases the first letter of each part
// ("Name.GivenName" → "name.givenName").
func normalizePath(p string) string {
	p = listIndex.ReplaceAllString(p, "")
	parts := strings.Split(p, ".")
	for i, s := range parts {
		if s != "" {
			parts[i] = strings.ToLower(s[:1]) + s[1:]
		}
	}
	return strings.Join(parts, ".")
}
