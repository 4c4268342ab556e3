package s3gw

import (
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// s3Error is an error as S3 writes it: an HTTP status and an <Error>
// document with a code and a message, plus the extra elements some codes
// carry.
type s3Error struct {
	Status  int
	Code    string
	Message string
	// Extra elements, in S3's order, e.g. the StringToSign of a
	// SignatureDoesNotMatch.
	Extra []xmlElem
}

type xmlElem struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

func (e *s3Error) Error() string { return e.Code + ": " + e.Message }

func (e *s3Error) with(name, value string) *s3Error {
	e.Extra = append(e.Extra, xmlElem{XMLName: xml.Name{Local: name}, Value: value})
	return e
}

// Errors of the gateway in S3's words.
var (
	msgAccessDenied = "Access Denied"
	msgInternal     = "We encountered an internal error. Please try again."
)

func errAccessDenied() *s3Error {
	return &s3Error{Status: http.StatusForbidden, Code: "AccessDenied", Message: msgAccessDenied}
}

func errInternal() *s3Error {
	return &s3Error{Status: http.StatusInternalServerError, Code: "InternalError", Message: msgInternal}
}

func errNotImplemented(msg string) *s3Error {
	return &s3Error{Status: http.StatusNotImplemented, Code: "NotImplemented", Message: msg}
}

// fromSigV4 maps a verification failure to S3's error, with the elements
// S3 adds for it.
func fromSigV4(err error) *s3Error {
	w := sigv4.S3Wire(err)
	out := &s3Error{Status: w.Status, Code: w.Code, Message: w.Message}
	var e *sigv4.Error
	if !errors.As(err, &e) {
		return out
	}
	switch e.Kind {
	case sigv4.SignatureMismatch:
		if e.StringToSign != "" {
			out.with("StringToSign", e.StringToSign).with("CanonicalRequest", e.CanonicalRequest)
		}
	case sigv4.RequestTimeTooSkewed:
		out.with("RequestTime", e.RequestTime.UTC().Format(time.RFC1123)).
			with("ServerTime", e.ServerTime.UTC().Format("2006-01-02T15:04:05Z")).
			with("MaxAllowedSkewMilliseconds", strconv.FormatInt(sigv4.MaxClockSkew.Milliseconds(), 10))
	case sigv4.RequestExpired:
		if !e.Expires.IsZero() {
			out.with("Expires", e.Expires.UTC().Format("2006-01-02T15:04:05Z")).
				with("ServerTime", e.ServerTime.UTC().Format("2006-01-02T15:04:05Z"))
		}
	case sigv4.UnsignedHeader:
		for _, h := range e.Headers {
			out.with("HeadersNotSigned", h)
		}
	}
	return out
}

// errorDoc is S3's error document.
type errorDoc struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Extra     []xmlElem
	RequestID string `xml:"RequestId"`
	HostID    string `xml:"HostId"`
}

// writeError answers e. HEAD responses carry no body, as in S3.
func writeError(w http.ResponseWriter, r *http.Request, e *s3Error, requestID, hostID string) {
	h := w.Header()
	h.Set("X-Amz-Request-Id", requestID)
	h.Set("X-Amz-Id-2", hostID)
	if r.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	body, err := xml.Marshal(errorDoc{Code: e.Code, Message: e.Message, Extra: e.Extra, RequestID: requestID, HostID: hostID})
	if err != nil {
		body = []byte("<Error><Code>InternalError</Code></Error>")
	}
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(xml.Header)+len(body)))
	w.WriteHeader(e.Status)
	w.Write([]byte(xml.Header))
	w.Write(body)
}
