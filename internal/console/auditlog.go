package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

func (h *Handler) auditRoutes() {
	h.get("/admin/audit", h.auditLog)
	h.get("/admin/audit/{seq}", h.auditEvent)
}

// auditPage is how many events a page of the audit log shows.
const auditPage = 50

// The audit page's time fields use the browser's datetime-local format,
// read as UTC.
const localTime = "2006-01-02T15:04"

var eventNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

type auditData struct {
	Form    url.Values
	Rows    []eventRow
	NextURL string
	First   bool
}

// auditLog lists the CloudTrail-shaped events, newest first, filtered by
// user, event name, time window and outcome; each filter walks an index
// of the audit table and pages by keyset, so a page costs the same at a
// million events as at a hundred.
func (h *Handler) auditLog(x *req) {
	x.section = "audit"
	q := x.r.URL.Query()
	d := auditData{Form: url.Values{}, First: q.Get("before") == ""}
	for _, k := range []string{"user", "event", "outcome", "from", "to"} {
		if v := strings.TrimSpace(q.Get(k)); v != "" && len(v) <= 256 {
			d.Form.Set(k, v)
		}
	}
	s := store.AuditSearch{Limit: auditPage}
	errs := map[string]string{}
	if v := d.Form.Get("event"); v != "" {
		if eventNamePattern.MatchString(v) {
			s.EventName = v
		} else {
			errs["event"] = "An event name is letters and digits, like CreateUser."
		}
	}
	switch d.Form.Get("outcome") {
	case "success":
		s.Outcome = store.AuditSuccess
	case "failure":
		s.Outcome = store.AuditFailure
	}
	for field, dst := range map[string]*time.Time{"from": &s.Since, "to": &s.Until} {
		if v := d.Form.Get(field); v != "" {
			t, err := time.Parse(localTime, v)
			if err != nil {
				errs[field] = "Enter a date and time like 2026-01-31T13:45 (UTC)."
				continue
			}
			*dst = t.UTC()
		}
	}
	if u := d.Form.Get("user"); u != "" {
		p, err := h.auditPrincipal(x, u)
		if err != nil {
			if Code(err) == "AccessDeniedException" {
				x.fail(err)
				return
			}
			errs["user"] = "No user has this user name; enter a user name, a user ID or an IAM ARN."
		}
		s.Principal = p
	}
	if b, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && b > 0 {
		s.Before = b
		if t, err := strconv.ParseInt(q.Get("bt"), 10, 64); err == nil {
			s.BeforeTime = time.UnixMicro(t).UTC()
		}
	}
	if len(errs) > 0 {
		x.render(http.StatusBadRequest, "c-audit", page{Title: "Audit log", Message: "Check the highlighted filters.", Errors: errs, Data: d})
		return
	}
	var (
		evs  []store.AuditEvent
		more bool
	)
	err := x.read("cloudtrail.amazonaws.com", "LookupEvents", "cloudtrail:LookupEvents", nil, lookupParams(s),
		func(ctx context.Context) (err error) {
			evs, more, err = h.o.Audit.Search(ctx, s)
			return err
		})
	if err != nil {
		x.fail(err)
		return
	}
	d.Rows = eventRows(evs)
	if more {
		last := evs[len(evs)-1]
		v := url.Values{}
		for k, vs := range d.Form {
			v[k] = vs
		}
		v.Set("before", strconv.FormatInt(last.Seq, 10))
		v.Set("bt", strconv.FormatInt(last.Time.UnixMicro(), 10))
		d.NextURL = "/admin/audit?" + v.Encode()
	}
	x.render(http.StatusOK, "c-audit", page{Title: "Audit log", Data: d})
}

// auditPrincipal turns the user filter into the principal the audit log
// is indexed by: an IAM ARN as given, an identity store user by its id
// (a user name is looked up with GetUserId).
func (h *Handler) auditPrincipal(x *req, v string) (string, error) {
	if strings.HasPrefix(v, "arn:") || userIDPattern.MatchString(v) {
		return v, nil
	}
	var out struct {
		UserID string `json:"UserId"`
	}
	err := x.call(isvc+"GetUserId", map[string]any{"IdentityStoreId": h.o.Instance.IdentityStoreID,
		"AlternateIdentifier": map[string]any{"UniqueAttribute": map[string]string{"AttributePath": "userName", "AttributeValue": v}}}, &out)
	return out.UserID, err
}

// lookupParams records a search as CloudTrail's LookupEvents request.
func lookupParams(s store.AuditSearch) map[string]any {
	p := map[string]any{"maxResults": s.Limit}
	var attrs []map[string]string
	if s.EventName != "" {
		attrs = append(attrs, map[string]string{"attributeKey": "EventName", "attributeValue": s.EventName})
	}
	if s.Principal != "" {
		attrs = append(attrs, map[string]string{"attributeKey": "Username", "attributeValue": s.Principal})
	}
	if attrs != nil {
		p["lookupAttributes"] = attrs
	}
	if !s.Since.IsZero() {
		p["startTime"] = s.Since.Format(time.RFC3339)
	}
	if !s.Until.IsZero() {
		p["endTime"] = s.Until.Format(time.RFC3339)
	}
	if s.Outcome != "" {
		p["outcome"] = s.Outcome
	}
	return p
}

type auditEventData struct {
	Row  eventRow
	JSON string
}

func (h *Handler) auditEvent(x *req) {
	x.section = "audit"
	seq, err := strconv.ParseInt(x.r.PathValue("seq"), 10, 64)
	if err != nil || seq <= 0 {
		x.fail(notFound("EVENT"))
		return
	}
	var ev store.AuditEvent
	err = x.read("cloudtrail.amazonaws.com", "LookupEvents", "cloudtrail:LookupEvents", nil, map[string]any{"sequence": seq},
		func(ctx context.Context) (err error) {
			ev, err = h.o.Audit.Event(ctx, seq)
			if errors.Is(err, store.ErrNotFound) {
				return notFound("EVENT")
			}
			return err
		})
	if err != nil {
		x.fail(err)
		return
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, ev.Document, "", "  "); err != nil {
		pretty.Write(ev.Document)
	}
	x.render(http.StatusOK, "c-audit-event", page{Title: "Event " + ev.Name, Data: auditEventData{Row: eventRows([]store.AuditEvent{ev})[0], JSON: pretty.String()}})
}
