package sigv4

import (
	"errors"
	"strconv"
	"time"
)

// Kind classifies why a request failed verification. The zero Kind is
// Internal, so an Error built without a Kind never passes for a client
// mistake.
type Kind uint8

// The kinds of verification failure.
const (
	// Internal is a failure on our side, such as the secret lookup failing.
	Internal Kind = iota
	// MissingAuthentication: the request carries no signature at all.
	MissingAuthentication
	// IncompleteSignature: a required part of the signature (Credential,
	// SignedHeaders, Signature, a date, a presigned parameter) is missing.
	IncompleteSignature
	// MalformedAuthorization: a part is present but cannot be parsed, is
	// repeated, or both header and query authentication are used.
	MalformedAuthorization
	// UnsupportedAlgorithm: the algorithm is not AWS4-HMAC-SHA256.
	UnsupportedAlgorithm
	// InvalidExpires: X-Amz-Expires is outside 1..604800 seconds.
	InvalidExpires
	// WrongDate: the credential scope's date is not the request's date.
	WrongDate
	// WrongRegion: the credential scope names a Region we do not serve.
	WrongRegion
	// WrongService: the credential scope names another service.
	WrongService
	// WrongTerminator: the credential scope does not end in aws4_request.
	WrongTerminator
	// UnsignedHeader: a header that must be signed (host, the session
	// token, x-amz-* headers for S3) is not among the signed headers.
	UnsignedHeader
	// DuplicateHost: the request carries more than one Host.
	DuplicateHost
	// RequestTimeTooSkewed: the header-signed request's date is more than
	// 15 minutes away from our clock.
	RequestTimeTooSkewed
	// RequestExpired: the presigned URL's lifetime has passed.
	RequestExpired
	// RequestNotYetValid: the presigned URL is dated more than 15 minutes
	// in the future.
	RequestNotYetValid
	// UnknownAccessKey: the secret lookup does not know the access key.
	UnknownAccessKey
	// MissingSecurityToken: a temporary (ASIA) access key was used without
	// X-Amz-Security-Token.
	MissingSecurityToken
	// InvalidSecurityToken: the session token is not the one issued with
	// the access key. Verify never returns it; callers that check tokens do.
	InvalidSecurityToken
	// ExpiredToken: the session has expired. Verify never returns it;
	// callers that check sessions do.
	ExpiredToken
	// SignatureMismatch: the signature is not the one we calculated.
	SignatureMismatch
	// MissingContentSHA256: the payload hash is needed but neither the body
	// nor X-Amz-Content-Sha256 provides it.
	MissingContentSHA256
	// InvalidContentSHA256: X-Amz-Content-Sha256 is not a lowercase hex
	// SHA-256 or a special value this service accepts.
	InvalidContentSHA256
	// ContentSHA256Mismatch: the body does not hash to the declared value.
	ContentSHA256Mismatch
	// MalformedQueryString: the query string cannot be decoded.
	MalformedQueryString
	// MalformedChunk: an aws-chunked body is not framed correctly.
	MalformedChunk
	// ChunkTooLarge: an aws-chunked chunk exceeds the configured maximum.
	ChunkTooLarge
	// ChunkSignatureMismatch: a chunk or trailer signature is wrong.
	ChunkSignatureMismatch
	// ChecksumMismatch: a checksum trailer does not match the data.
	ChecksumMismatch
	// UnsupportedChecksum: a trailer names a checksum we do not know, or
	// the declared and received trailers differ.
	UnsupportedChecksum
	// IncompleteBody: the decoded body is shorter or longer than declared,
	// or ends before the final chunk.
	IncompleteBody

	kindCount // keep last
)

var kindNames = [kindCount]string{
	Internal:               "Internal",
	MissingAuthentication:  "MissingAuthentication",
	IncompleteSignature:    "IncompleteSignature",
	MalformedAuthorization: "MalformedAuthorization",
	UnsupportedAlgorithm:   "UnsupportedAlgorithm",
	InvalidExpires:         "InvalidExpires",
	WrongDate:              "WrongDate",
	WrongRegion:            "WrongRegion",
	WrongService:           "WrongService",
	WrongTerminator:        "WrongTerminator",
	UnsignedHeader:         "UnsignedHeader",
	DuplicateHost:          "DuplicateHost",
	RequestTimeTooSkewed:   "RequestTimeTooSkewed",
	RequestExpired:         "RequestExpired",
	RequestNotYetValid:     "RequestNotYetValid",
	UnknownAccessKey:       "UnknownAccessKey",
	MissingSecurityToken:   "MissingSecurityToken",
	InvalidSecurityToken:   "InvalidSecurityToken",
	ExpiredToken:           "ExpiredToken",
	SignatureMismatch:      "SignatureMismatch",
	MissingContentSHA256:   "MissingContentSHA256",
	InvalidContentSHA256:   "InvalidContentSHA256",
	ContentSHA256Mismatch:  "ContentSHA256Mismatch",
	MalformedQueryString:   "MalformedQueryString",
	MalformedChunk:         "MalformedChunk",
	ChunkTooLarge:          "ChunkTooLarge",
	ChunkSignatureMismatch: "ChunkSignatureMismatch",
	ChecksumMismatch:       "ChecksumMismatch",
	UnsupportedChecksum:    "UnsupportedChecksum",
	IncompleteBody:         "IncompleteBody",
}

// String returns the Kind's name.
func (k Kind) String() string {
	if k < kindCount {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is a verification failure. Message is safe to send to the caller;
// Err, if set, is the internal cause and must not be.
type Error struct {
	// Kind says what failed.
	Kind Kind
	// Message is AWS's text for this failure as the JSON and Query
	// services word it. S3Wire uses S3's wording where it differs.
	Message string
	// Presigned reports that the request used query (presigned)
	// authentication; S3 words and codes some failures differently then.
	Presigned bool

	// RequestTime and ServerTime are set for clock failures; S3 echoes
	// them in its error document.
	RequestTime, ServerTime time.Time
	// Expires is when a presigned URL expired (RequestExpired), or the
	// X-Amz-Expires lifetime.
	Expires time.Time
	// Headers names the headers concerned: those left unsigned
	// (UnsignedHeader), S3's <HeadersNotSigned>.
	Headers []string
	// CanonicalRequest and StringToSign are what we signed, for
	// SignatureMismatch. AWS's Query services include them in the message;
	// adapters may do the same. They contain no secret.
	CanonicalRequest, StringToSign string

	// Err is the internal cause, for logs only.
	Err error

	s3Message string
}

// Error implements error. The text includes the internal cause, so it is
// for logs; send Message (or a Wire) to callers.
func (e *Error) Error() string {
	s := "sigv4: " + e.Kind.String() + ": " + e.Message
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of the first *Error in err's chain.
func KindOf(err error) (Kind, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind, true
	}
	return Internal, false
}

func newError(kind Kind, msg, s3msg string) *Error {
	return &Error{Kind: kind, Message: msg, s3Message: s3msg}
}

// Wire is how an error is written by one AWS protocol family: the HTTP
// status, the error code (the JSON `__type`, the Query and S3 `<Code>`)
// and the message.
type Wire struct {
	Status  int
	Code    string
	Message string
}

type wireCodes struct {
	json, query, s3, s3Presigned wireCode
}

type wireCode struct {
	code   string
	status int
}

// wireTable maps each Kind to the code AWS uses per protocol family.
// Codes are AWS's; where a family never meets a kind (chunked bodies on
// JSON services) the nearest code is used.
var wireTable = [kindCount]wireCodes{
	Internal: {
		json:  wireCode{"InternalFailure", 500},
		query: wireCode{"InternalFailure", 500},
		s3:    wireCode{"InternalError", 500},
	},
	MissingAuthentication: {
		json:  wireCode{"MissingAuthenticationTokenException", 403},
		query: wireCode{"MissingAuthenticationToken", 403},
		s3:    wireCode{"AccessDenied", 403},
	},
	IncompleteSignature: {
		json:        wireCode{"IncompleteSignatureException", 400},
		query:       wireCode{"IncompleteSignature", 400},
		s3:          wireCode{"AuthorizationHeaderMalformed", 400},
		s3Presigned: wireCode{"AuthorizationQueryParametersError", 400},
	},
	MalformedAuthorization: {
		json:        wireCode{"IncompleteSignatureException", 400},
		query:       wireCode{"IncompleteSignature", 400},
		s3:          wireCode{"AuthorizationHeaderMalformed", 400},
		s3Presigned: wireCode{"AuthorizationQueryParametersError", 400},
	},
	UnsupportedAlgorithm: {
		json:        wireCode{"IncompleteSignatureException", 400},
		query:       wireCode{"IncompleteSignature", 400},
		s3:          wireCode{"InvalidRequest", 400},
		s3Presigned: wireCode{"AuthorizationQueryParametersError", 400},
	},
	InvalidExpires: {
		json:  wireCode{"IncompleteSignatureException", 400},
		query: wireCode{"IncompleteSignature", 400},
		s3:    wireCode{"AuthorizationQueryParametersError", 400},
	},
	WrongDate:       scopeCodes,
	WrongRegion:     scopeCodes,
	WrongService:    scopeCodes,
	WrongTerminator: scopeCodes,
	UnsignedHeader: {
		json:  wireCode{"InvalidSignatureException", 403},
		query: wireCode{"SignatureDoesNotMatch", 403},
		s3:    wireCode{"AccessDenied", 403},
	},
	DuplicateHost: {
		json:  wireCode{"IncompleteSignatureException", 400},
		query: wireCode{"IncompleteSignature", 400},
		s3:    wireCode{"InvalidRequest", 400},
	},
	RequestTimeTooSkewed: {
		json:  wireCode{"InvalidSignatureException", 403},
		query: wireCode{"SignatureDoesNotMatch", 403},
		s3:    wireCode{"RequestTimeTooSkewed", 403},
	},
	RequestExpired: {
		json:  wireCode{"InvalidSignatureException", 403},
		query: wireCode{"SignatureDoesNotMatch", 403},
		s3:    wireCode{"AccessDenied", 403},
	},
	RequestNotYetValid: {
		json:  wireCode{"InvalidSignatureException", 403},
		query: wireCode{"SignatureDoesNotMatch", 403},
		s3:    wireCode{"AccessDenied", 403},
	},
	UnknownAccessKey: {
		json:  wireCode{"UnrecognizedClientException", 403},
		query: wireCode{"InvalidClientTokenId", 403},
		s3:    wireCode{"InvalidAccessKeyId", 403},
	},
	MissingSecurityToken: tokenCodes,
	InvalidSecurityToken: tokenCodes,
	ExpiredToken: {
		json:  wireCode{"ExpiredTokenException", 403},
		query: wireCode{"ExpiredToken", 403},
		s3:    wireCode{"ExpiredToken", 400},
	},
	SignatureMismatch: signatureCodes,
	MissingContentSHA256: {
		json:  wireCode{"IncompleteSignatureException", 400},
		query: wireCode{"IncompleteSignature", 400},
		s3:    wireCode{"InvalidRequest", 400},
	},
	InvalidContentSHA256: {
		json:  wireCode{"IncompleteSignatureException", 400},
		query: wireCode{"IncompleteSignature", 400},
		s3:    wireCode{"InvalidArgument", 400},
	},
	ContentSHA256Mismatch: {
		json:  wireCode{"InvalidSignatureException", 403},
		query: wireCode{"SignatureDoesNotMatch", 403},
		s3:    wireCode{"XAmzContentSHA256Mismatch", 400},
	},
	MalformedQueryString: {
		json:  wireCode{"IncompleteSignatureException", 400},
		query: wireCode{"MalformedQueryString", 400},
		s3:    wireCode{"InvalidArgument", 400},
	},
	MalformedChunk:         chunkCodes,
	ChunkTooLarge:          chunkCodes,
	ChunkSignatureMismatch: signatureCodes,
	ChecksumMismatch: {
		json:  wireCode{"InvalidSignatureException", 400},
		query: wireCode{"SignatureDoesNotMatch", 400},
		s3:    wireCode{"BadDigest", 400},
	},
	UnsupportedChecksum: chunkCodes,
	IncompleteBody: {
		json:  wireCode{"IncompleteSignatureException", 400},
		query: wireCode{"IncompleteSignature", 400},
		s3:    wireCode{"IncompleteBody", 400},
	},
}

var (
	scopeCodes = wireCodes{
		json:        wireCode{"InvalidSignatureException", 403},
		query:       wireCode{"SignatureDoesNotMatch", 403},
		s3:          wireCode{"AuthorizationHeaderMalformed", 400},
		s3Presigned: wireCode{"AuthorizationQueryParametersError", 400},
	}
	tokenCodes = wireCodes{
		json:  wireCode{"UnrecognizedClientException", 403},
		query: wireCode{"InvalidClientTokenId", 403},
		s3:    wireCode{"InvalidToken", 400},
	}
	signatureCodes = wireCodes{
		json:  wireCode{"InvalidSignatureException", 403},
		query: wireCode{"SignatureDoesNotMatch", 403},
		s3:    wireCode{"SignatureDoesNotMatch", 403},
	}
	chunkCodes = wireCodes{
		json:  wireCode{"IncompleteSignatureException", 400},
		query: wireCode{"IncompleteSignature", 400},
		s3:    wireCode{"InvalidRequest", 400},
	}
)

const internalMessage = "The request processing has failed because of an unknown error, exception or failure."

// asError returns err's *Error, or an Internal one for any other error so
// that nothing internal reaches the wire.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) && e.Kind < kindCount {
		return e
	}
	return &Error{Kind: Internal, Message: internalMessage, s3Message: "We encountered an internal error. Please try again."}
}

// JSONWire maps err to the wire form of the JSON protocol services
// (identitystore, sso-admin, organizations, and REST-JSON ones such as
// sso-oidc): the code goes in `__type` and x-amzn-ErrorType.
func JSONWire(err error) Wire {
	e := asError(err)
	c := wireTable[e.Kind].json
	msg := e.Message
	if e.Kind == MissingAuthentication {
		msg = "Missing Authentication Token"
	}
	return Wire{Status: c.status, Code: c.code, Message: msg}
}

// QueryWire maps err to the wire form of the Query protocol services (STS,
// IAM): the code goes in <Error><Code>.
func QueryWire(err error) Wire {
	e := asError(err)
	c := wireTable[e.Kind].query
	msg := e.Message
	if e.Kind == MissingAuthentication {
		msg = "Request is missing Authentication Token"
	}
	return Wire{Status: c.status, Code: c.code, Message: msg}
}

// S3Wire maps err to S3's wire form. S3 words most failures differently
// from the other services and distinguishes header from query
// authentication.
func S3Wire(err error) Wire {
	e := asError(err)
	codes := wireTable[e.Kind]
	c := codes.s3
	if e.Presigned && codes.s3Presigned.code != "" {
		c = codes.s3Presigned
	}
	msg := e.s3Message
	if msg == "" {
		msg = e.Message
	}
	return Wire{Status: c.status, Code: c.code, Message: msg}
}
