// Package sigv4 verifies and creates AWS Signature Version 4
// (AWS4-HMAC-SHA256) signatures on HTTP requests.
//
// A Verifier checks both ways a request can carry a signature: the
// Authorization header and a presigned URL (X-Amz-* query parameters). It
// rebuilds the canonical request exactly as AWS documents it, checks the
// credential scope and the clock, looks the secret up through a
// SecretLookup, and compares signatures in constant time. Failures are
// *Error values whose Kind says what went wrong and whose Message is the
// text AWS sends; JSONWire, QueryWire and S3Wire turn one into the status
// code, error code and message of each AWS protocol family.
//
// For S3-style bodies the Result of a verification opens the payload:
// it checks a declared X-Amz-Content-Sha256 while the body streams, or
// decodes and verifies an aws-chunked body (chunk signatures, trailers and
// checksums) one chunk at a time.
//
// Signer produces the same signatures, for tests and for forwarding a
// request to an upstream under other credentials.
//
// The package uses only the standard library and keeps no global mutable
// state; clocks are injected.
package sigv4
