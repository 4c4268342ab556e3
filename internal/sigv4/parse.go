package sigv4

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// authInfo is what the Authorization header or the presigned query says.
type authInfo struct {
	presigned   bool
	accessKeyID string
	scope       Scope
	signed      []string
	signedRaw   string
	signature   string
	amzDate     string // the signing time as it goes into the string to sign
	t           time.Time
	expires     time.Duration
	token       string
	tokenHeader bool   // the token came from the X-Amz-Security-Token header
	term        string // the credential's terminator
	query       []queryParam
}

// mark records on err whether query authentication was used, which S3
// words differently.
func (a *authInfo) mark(err error) error {
	if e, ok := err.(*Error); ok && a != nil {
		e.Presigned = a.presigned
	}
	return err
}

// Query parameter names of presigned URLs.
const (
	qAlgorithm     = "X-Amz-Algorithm"
	qCredential    = "X-Amz-Credential"
	qDate          = "X-Amz-Date"
	qExpires       = "X-Amz-Expires"
	qSignedHeaders = "X-Amz-SignedHeaders"
	qSignature     = "X-Amz-Signature"
	qSecurityToken = "X-Amz-Security-Token"
)

// parse reads the signature parameters from r and checks everything that
// needs no secret: form, scope, clock and signed headers.
func (v *Verifier) parse(r *http.Request, query []queryParam, qerr error, now time.Time) (*authInfo, error) {
	authz := r.Header.Values("Authorization")
	presigned := false
	for _, q := range query {
		switch q.key {
		case qAlgorithm, qCredential, qSignature:
			presigned = true
		}
	}
	switch {
	case len(authz) > 0 && presigned:
		// S3's text; the other services' is unknown.
		msg := "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"
		return nil, newError(MalformedAuthorization, msg, msg)
	case len(authz) > 1:
		msg := "The request contains more than one 'Authorization' header."
		return nil, newError(MalformedAuthorization, msg, msg)
	case len(authz) == 0 && !presigned:
		if qerr != nil {
			return nil, queryError(qerr)
		}
		return nil, newError(MissingAuthentication, "Missing Authentication Token", "Access Denied")
	}
	if qerr != nil {
		return nil, queryError(qerr)
	}

	var (
		a   *authInfo
		err error
	)
	if presigned {
		a, err = v.parsePresigned(r, query)
	} else {
		a, err = v.parseHeader(r, authz[0])
	}
	if err != nil {
		return a, a.mark(err)
	}
	a.query = query
	if err := v.checkScope(a); err != nil {
		return a, a.mark(err)
	}
	if err := checkClock(a, now); err != nil {
		return a, a.mark(err)
	}
	if err := v.checkSignedHeaders(r, a); err != nil {
		return a, a.mark(err)
	}
	return a, nil
}

func queryError(err error) error {
	e := newError(MalformedQueryString, "The query string contains a syntax error.", "The query string contains a syntax error.")
	e.Err = err
	return e
}

// parseHeader reads an Authorization header of the form
//
//	AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/svc/aws4_request, SignedHeaders=host;x-amz-date, Signature=hex
func (v *Verifier) parseHeader(r *http.Request, h string) (*authInfo, error) {
	a := &authInfo{}
	algo, rest, _ := strings.Cut(strings.TrimLeft(h, " "), " ")
	if algo != Algorithm {
		// S3's text. For other schemes the JSON services answer with the
		// "requires 'Credential' parameter" list; their text for a wrong
		// AWS4-* algorithm is unknown, so S3's serves for all.
		msg := "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
		return a, newError(UnsupportedAlgorithm, msg, msg)
	}
	var cred, signed, sig string
	var haveCred, haveSigned, haveSig bool
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.Trim(part, " ")
		if part == "" {
			continue
		}
		k, val, ok := strings.Cut(part, "=")
		var dup bool
		switch {
		case !ok:
			return a, malformedComponent(part)
		case k == "Credential":
			dup, haveCred, cred = haveCred, true, val
		case k == "SignedHeaders":
			dup, haveSigned, signed = haveSigned, true, val
		case k == "Signature":
			dup, haveSig, sig = haveSig, true, val
		default:
			return a, malformedComponent(part)
		}
		if dup {
			return a, malformedComponent(part)
		}
	}

	amzDate, err := singleHeader(r, "X-Amz-Date")
	if err != nil {
		return a, err
	}
	dateHeader := ""
	if amzDate == "" {
		if dateHeader, err = singleHeader(r, "Date"); err != nil {
			return a, err
		}
	}

	var missing []string
	if !haveCred {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if !haveSig {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	if !haveSigned {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	if amzDate == "" && dateHeader == "" {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		// AWS lists every missing part, then the header, which newer
		// services hash (older API Gateway stages echo it raw).
		sum := sha256.Sum256([]byte(h))
		msg := strings.Join(missing, " ") + " (Hashed with SHA-256 and encoded with Base64) Authorization=" + base64.StdEncoding.EncodeToString(sum[:])
		s3 := "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature."
		if haveCred && haveSig && haveSigned {
			s3 = "AWS authentication requires a valid Date or x-amz-date header"
		}
		return a, newError(IncompleteSignature, msg, s3)
	}

	if amzDate != "" {
		t, ok := parseAmzDate(amzDate)
		if !ok {
			return a, badDate(amzDate, false)
		}
		a.t, a.amzDate = t, amzDate
	} else {
		t, err := http.ParseTime(dateHeader)
		if err != nil {
			return a, badDate(dateHeader, false)
		}
		a.t = t.UTC()
		a.amzDate = a.t.Format(TimeFormat)
	}
	if err := a.setCredential(cred, false); err != nil {
		return a, err
	}
	a.signedRaw, a.signature = signed, sig
	a.token, err = singleHeader(r, "X-Amz-Security-Token")
	a.tokenHeader = a.token != ""
	return a, err
}

// malformedComponent reports an Authorization part we cannot read.
// AWS's wording for this is unknown.
func malformedComponent(part string) error {
	msg := fmt.Sprintf("Authorization component %q is malformed.", part)
	return newError(MalformedAuthorization, msg,
		"The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.")
}

// parsePresigned reads the X-Amz-* parameters of a presigned URL.
func (v *Verifier) parsePresigned(r *http.Request, query []queryParam) (*authInfo, error) {
	a := &authInfo{presigned: true}
	names := [...]string{qAlgorithm, qCredential, qDate, qExpires, qSignedHeaders, qSignature, qSecurityToken}
	var vals [len(names)]string
	var seen [len(names)]bool
	for _, q := range query {
		i := slices.Index(names[:], q.key)
		if i < 0 {
			continue
		}
		if seen[i] {
			msg := "The query string contains more than one '" + q.key + "' parameter."
			return a, newError(MalformedAuthorization, msg, msg)
		}
		seen[i], vals[i] = true, q.value
	}
	for i, n := range names[:6] {
		if !seen[i] {
			return a, newError(IncompleteSignature,
				"AWS query-string parameters must include '"+n+"'. Re-examine the query-string parameters.",
				"Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
		}
	}
	if vals[0] != Algorithm {
		return a, newError(UnsupportedAlgorithm,
			"The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
			`X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`)
	}
	t, ok := parseAmzDate(vals[2])
	if !ok {
		return a, badDate(vals[2], true)
	}
	a.t, a.amzDate = t, vals[2]
	exp, err := parseExpires(vals[3])
	if err != nil {
		return a, err
	}
	a.expires = exp
	if err := a.setCredential(vals[1], true); err != nil {
		return a, err
	}
	a.signedRaw, a.signature, a.token = vals[4], vals[5], vals[6]
	hdr, err := singleHeader(r, "X-Amz-Security-Token")
	switch {
	case err != nil:
		return a, err
	case hdr != "" && a.token == "":
		a.token, a.tokenHeader = hdr, true
	case hdr != "" && hdr != a.token:
		msg := "The X-Amz-Security-Token header and query parameter differ."
		return a, newError(MalformedAuthorization, msg, msg)
	}
	return a, nil
}

// parseExpires reads X-Amz-Expires, whole seconds in 1..604800. S3's
// texts are used for every service.
func parseExpires(s string) (time.Duration, error) {
	n, ok := parseDecimal(s)
	if !ok {
		if strings.HasPrefix(s, "-") {
			if _, ok := parseDecimal(s[1:]); ok {
				return 0, newError(InvalidExpires, "X-Amz-Expires must be non-negative", "X-Amz-Expires must be non-negative")
			}
		}
		return 0, newError(InvalidExpires, "X-Amz-Expires should be a number", "X-Amz-Expires should be a number")
	}
	if n > int64(MaxPresignExpiry/time.Second) {
		msg := "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"
		return 0, newError(InvalidExpires, msg, msg)
	}
	if n == 0 {
		// A URL valid for no time at all; AWS's text for it is unknown.
		msg := "X-Amz-Expires must be at least 1 second"
		return 0, newError(InvalidExpires, msg, msg)
	}
	return time.Duration(n) * time.Second, nil
}

// parseAmzDate parses the basic ISO 8601 form, and only that form: the
// string goes into the string to sign as sent, so a second spelling of the
// same instant must not verify.
func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != len(TimeFormat) || s[8] != 'T' || s[15] != 'Z' {
		return time.Time{}, false
	}
	for i := 0; i < len(s); i++ {
		if i != 8 && i != 15 && (s[i] < '0' || s[i] > '9') {
			return time.Time{}, false
		}
	}
	t, err := time.Parse(TimeFormat, s)
	return t, err == nil
}

func badDate(s string, presigned bool) error {
	msg := "Date must be in ISO-8601 'basic format'. Got '" + s + "'. See http://en.wikipedia.org/wiki/ISO_8601"
	s3 := "AWS authentication requires a valid Date or x-amz-date header"
	if presigned {
		s3 = `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`
	}
	return newError(MalformedAuthorization, msg, s3)
}

// setCredential splits AKID/date/region/service/aws4_request. Only the
// shape is checked here; checkScope compares the parts.
func (a *authInfo) setCredential(cred string, presigned bool) error {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[0] == "" {
		s3 := `The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`
		if presigned {
			s3 = `Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`
		}
		return newError(MalformedAuthorization,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '"+cred+"'", s3)
	}
	a.accessKeyID = parts[0]
	a.scope = Scope{Date: parts[1], Region: parts[2], Service: parts[3]}
	a.term = parts[4]
	return nil
}

// checkScope compares the credential scope with the request date and our
// Region and service. AWS reports every mismatch at once, each sentence
// followed by a space; the first decides the Kind.
func (v *Verifier) checkScope(a *authInfo) error {
	term := a.term
	var msg strings.Builder
	kind := Internal
	s3 := ""
	prefix := "The authorization header is malformed; "
	if a.presigned {
		prefix = "Error parsing the X-Amz-Credential parameter; "
	}
	fail := func(k Kind, m, s3m string) {
		if kind == Internal {
			kind, s3 = k, prefix+s3m
		}
		msg.WriteString(m)
	}
	if want := a.amzDate[:8]; a.scope.Date != want {
		// The docs give the first sentence; the quoted details are as
		// AWS's services send them.
		fail(WrongDate, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"+
			a.scope.Date+"' != '"+want+"', from '"+a.amzDate+"'. ",
			"Invalid credential date \""+a.scope.Date+"\". This date is not the same as X-Amz-Date: \""+want+"\".")
	}
	if !slices.Contains(v.regions, a.scope.Region) {
		fail(WrongRegion, "Credential should be scoped to a valid region. ",
			"the region '"+a.scope.Region+"' is wrong; expecting '"+v.regions[0]+"'")
	}
	if a.scope.Service != v.cfg.Service {
		fail(WrongService, "Credential should be scoped to correct service: '"+v.cfg.Service+"'. ",
			"incorrect service \""+a.scope.Service+"\". This endpoint belongs to \""+v.cfg.Service+"\".")
	}
	if term != terminator {
		// The "not '...'" detail is our addition; AWS's exact tail is unknown.
		fail(WrongTerminator, "Credential should be scoped with a valid terminator: 'aws4_request', not '"+term+"'. ",
			"incorrect terminal \""+term+"\". This endpoint uses \"aws4_request\".")
	}
	if kind == Internal {
		return nil
	}
	return newError(kind, msg.String(), s3)
}

// checkClock applies AWS's windows: ±15 minutes for header signatures;
// for presigned URLs, from 15 minutes before X-Amz-Date (clock skew) until
// X-Amz-Date + X-Amz-Expires.
func checkClock(a *authInfo, now time.Time) error {
	skewed := func(k Kind, msg, s3 string) error {
		e := newError(k, msg, s3)
		e.RequestTime, e.ServerTime = a.t, now
		return e
	}
	fmtT := func(t time.Time) string { return t.UTC().Format(TimeFormat) }
	if a.t.Sub(now) > MaxClockSkew {
		msg := "Signature not yet current: " + a.amzDate + " is still later than " + fmtT(now.Add(MaxClockSkew)) +
			" (" + fmtT(now) + " + 15 min.)"
		if a.presigned {
			return skewed(RequestNotYetValid, msg, "Request is not yet valid")
		}
		return skewed(RequestTimeTooSkewed, msg, "The difference between the request time and the current time is too large.")
	}
	if !a.presigned {
		if now.Sub(a.t) > MaxClockSkew {
			return skewed(RequestTimeTooSkewed,
				"Signature expired: "+a.amzDate+" is now earlier than "+fmtT(now.Add(-MaxClockSkew))+" ("+fmtT(now)+" - 15 min.)",
				"The difference between the request time and the current time is too large.")
		}
		return nil
	}
	if exp := a.t.Add(a.expires); now.After(exp) {
		// S3's text is "Request has expired". For the other services we
		// mirror their header-form wording with the URL's lifetime in
		// place of 15 minutes; AWS's own text is unknown.
		secs := strconv.FormatInt(int64(a.expires/time.Second), 10)
		e := skewed(RequestExpired,
			"Signature expired: "+a.amzDate+" is now earlier than "+fmtT(now.Add(-a.expires))+" ("+fmtT(now)+" - "+secs+" sec.)",
			"Request has expired")
		e.(*Error).Expires = exp
		return e
	}
	return nil
}

// checkSignedHeaders parses the signed header list and checks that what
// must be signed is.
func (v *Verifier) checkSignedHeaders(r *http.Request, a *authInfo) error {
	signed, ok := parseSignedHeaders(a.signedRaw)
	if !ok && a.signedRaw != "" {
		msg := "SignedHeaders must be lowercase header names in ascending order, separated by ';'."
		return newError(MalformedAuthorization, msg, msg)
	}
	a.signed = signed
	var unsigned []string
	if _, ok := slices.BinarySearch(signed, "host"); !ok {
		unsigned = append(unsigned, "host")
	}
	if a.tokenHeader {
		if _, ok := slices.BinarySearch(signed, "x-amz-security-token"); !ok {
			unsigned = append(unsigned, "x-amz-security-token")
		}
	}
	if v.cfg.RequireSignedAmzHeaders {
		for k := range r.Header {
			lk := strings.ToLower(k)
			if !strings.HasPrefix(lk, "x-amz-") || slices.Contains(unsigned, lk) {
				continue
			}
			if _, ok := slices.BinarySearch(signed, lk); !ok {
				unsigned = append(unsigned, lk)
			}
		}
	}
	if len(unsigned) == 0 {
		return nil
	}
	slices.Sort(unsigned)
	msg := "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	if unsigned[0] != "host" {
		// By analogy with the host message; AWS's text is unknown.
		msg = "'" + unsigned[0] + "' must be a 'SignedHeader' in the AWS Authorization."
	}
	e := newError(UnsignedHeader, msg, "There were headers present in the request which were not signed")
	e.Headers = unsigned
	return e
}
