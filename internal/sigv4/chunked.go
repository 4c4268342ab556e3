package sigv4

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// ChunkConfig describes an aws-chunked body (S3 streaming upload) and
// the signature it chains from. Result.Payload fills it from a verified
// request; NewChunkReader takes it directly.
type ChunkConfig struct {
	// PayloadHash is the request's X-Amz-Content-Sha256:
	// StreamingPayload, StreamingPayloadTrailer or
	// StreamingUnsignedPayloadTrailer.
	PayloadHash string
	// SigningKey, SeedSignature, SigningTime and Scope are those of the
	// verified request; the signed variants need them.
	SigningKey    SigningKey
	SeedSignature string
	SigningTime   time.Time
	Scope         Scope
	// Trailers lists the trailing headers announced in X-Amz-Trailer.
	// Only the checksum trailers are supported: x-amz-checksum-crc32,
	// -crc32c, -crc64nvme, -sha1 and -sha256.
	Trailers []string
	// DecodedLength is X-Amz-Decoded-Content-Length, or -1 if unknown.
	DecodedLength int64
	// MaxChunkSize bounds one chunk; 0 means DefaultMaxChunkSize.
	MaxChunkSize int
}

// ChunkReader decodes an aws-chunked body. In the signed variants it
// holds each chunk until its signature checks out, so a caller never sees
// unverified bytes and memory stays within one chunk. It checks the
// framing, the decoded length and the checksum trailers, and fails with
// an *Error on any mismatch; io.EOF comes only after all of that passed.
type ChunkReader struct {
	br            *bufio.Reader
	signed        bool
	withTrailer   bool
	signedTrailer bool
	key           SigningKey
	prev          string // previous signature, hex
	amzDate       string
	scope         string
	maxChunk      int
	decodedLength int64
	declared      []string

	buf       []byte // the current chunk in the signed variants
	off       int
	remaining int64 // bytes left in the current chunk in the unsigned variant
	total     int64
	state     chunkState
	checksums []checksum
	trailer   http.Header
	err       error
}

type chunkState uint8

const (
	stateHeader chunkState = iota
	stateData
	stateDone
)

type checksum struct {
	name string
	h    hash.Hash
}

// Limits on chunk framing, so hostile input cannot make us buffer lines.
const (
	maxTrailerBytes = 16 << 10
	maxTrailers     = 16
	lineBufferSize  = 4096
	// maxChunkLimit caps MaxChunkSize: S3 clients use chunks of 64 KiB to
	// a few MiB, and a chunk is held in memory whole.
	maxChunkLimit = 1 << 30
)

// crc64NVME is CRC-64/NVME (reflected polynomial 0x9a6c9329ac4bc9b5); Go's
// crc64 uses the same init and final XOR as the NVMe definition.
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func newChecksum(name string) (hash.Hash, bool) {
	switch name {
	case "x-amz-checksum-crc32":
		return crc32.NewIEEE(), true
	case "x-amz-checksum-crc32c":
		return crc32.New(castagnoli), true
	case "x-amz-checksum-crc64nvme":
		return crc64.New(crc64NVME), true
	case "x-amz-checksum-sha1":
		return sha1.New(), true
	case "x-amz-checksum-sha256":
		return sha256.New(), true
	}
	return nil, false
}

// NewChunkReader returns a reader of the payload encoded in body.
func NewChunkReader(body io.Reader, cfg ChunkConfig) (*ChunkReader, error) {
	c := &ChunkReader{
		br:            bufio.NewReaderSize(body, lineBufferSize),
		key:           cfg.SigningKey,
		prev:          cfg.SeedSignature,
		amzDate:       cfg.SigningTime.UTC().Format(TimeFormat),
		scope:         cfg.Scope.String(),
		maxChunk:      cfg.MaxChunkSize,
		decodedLength: cfg.DecodedLength,
	}
	if c.maxChunk <= 0 {
		c.maxChunk = DefaultMaxChunkSize
	}
	c.maxChunk = min(c.maxChunk, maxChunkLimit)
	switch cfg.PayloadHash {
	case StreamingPayload:
		c.signed = true
	case StreamingPayloadTrailer:
		c.signed, c.withTrailer, c.signedTrailer = true, true, true
	case StreamingUnsignedPayloadTrailer:
		c.withTrailer = true
	default:
		return nil, fmt.Errorf("sigv4: %q is not an aws-chunked payload hash", cfg.PayloadHash)
	}
	if c.signed && (len(cfg.SigningKey) == 0 || !isLowerHex64(cfg.SeedSignature)) {
		return nil, errors.New("sigv4: signed aws-chunked bodies need the signing key and seed signature")
	}
	if !c.withTrailer && len(cfg.Trailers) > 0 {
		return nil, chunkError(UnsupportedChecksum, "X-Amz-Trailer requires a STREAMING-*-TRAILER payload.")
	}
	for _, name := range cfg.Trailers {
		name = strings.ToLower(name)
		h, ok := newChecksum(name)
		if !ok {
			return nil, chunkError(UnsupportedChecksum, "The trailer "+name+" is not a supported checksum.")
		}
		for _, d := range c.declared {
			if d == name {
				return nil, chunkError(UnsupportedChecksum, "The trailer "+name+" is announced twice.")
			}
		}
		c.declared = append(c.declared, name)
		c.checksums = append(c.checksums, checksum{name, h})
	}
	return c, nil
}

// chunkError builds an error for a body problem. S3's own texts for these
// are mostly unknown; where S3 has one it is used.
func chunkError(k Kind, msg string) *Error {
	s3 := msg
	switch k {
	case ChunkSignatureMismatch:
		s3 = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	case IncompleteBody:
		s3 = "You did not provide the number of bytes specified by the Content-Length HTTP header."
	}
	return newError(k, msg, s3)
}

// Trailer returns the trailing headers received, once Read has returned
// io.EOF; before that it returns nil.
func (c *ChunkReader) Trailer() http.Header {
	if c.state != stateDone {
		return nil
	}
	return c.trailer
}

// Read implements io.Reader.
func (c *ChunkReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, c.err
	}
	for c.err == nil {
		switch c.state {
		case stateDone:
			return 0, io.EOF
		case stateHeader:
			c.err = c.next()
		case stateData:
			if c.signed {
				if c.off < len(c.buf) {
					n := copy(p, c.buf[c.off:])
					c.off += n
					return n, nil
				}
				c.state = stateHeader
				continue
			}
			if c.remaining > 0 {
				if int64(len(p)) > c.remaining {
					p = p[:c.remaining]
				}
				n, err := c.br.Read(p)
				c.remaining -= int64(n)
				c.total += int64(n)
				for _, cs := range c.checksums {
					cs.h.Write(p[:n])
				}
				if err == io.EOF {
					err = chunkError(IncompleteBody, "The body ended inside a chunk.")
				}
				c.err = err
				if n > 0 {
					return n, nil
				}
				continue
			}
			if c.err = c.expectCRLF(); c.err == nil {
				c.state = stateHeader
			}
		}
	}
	return 0, c.err
}

// readLine returns the next line without its CRLF.
func (c *ChunkReader) readLine() (string, error) {
	line, err := c.br.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull:
		return "", chunkError(MalformedChunk, "A chunk header or trailer line is too long.")
	case err == io.EOF:
		return "", chunkError(IncompleteBody, "The body ended before the final chunk.")
	case err != nil:
		return "", err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return "", chunkError(MalformedChunk, "A chunk line does not end in CRLF.")
	}
	return string(line[:len(line)-2]), nil
}

func (c *ChunkReader) expectCRLF() error {
	var b [2]byte
	if _, err := io.ReadFull(c.br, b[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return chunkError(IncompleteBody, "The body ended before the final chunk.")
		}
		return err
	}
	if b != [2]byte{'\r', '\n'} {
		return chunkError(MalformedChunk, "Chunk data is not followed by CRLF.")
	}
	return nil
}

// next reads a chunk header and, in the signed variants, the whole chunk.
func (c *ChunkReader) next() error {
	line, err := c.readLine()
	if err != nil {
		return err
	}
	sizeHex, ext, hasExt := strings.Cut(line, ";")
	size, ok := parseHexSize(sizeHex)
	if !ok {
		return chunkError(MalformedChunk, "A chunk size is not a hexadecimal number.")
	}
	if size > int64(c.maxChunk) {
		return chunkError(ChunkTooLarge, fmt.Sprintf("A chunk of %d bytes exceeds the limit of %d.", size, c.maxChunk))
	}
	if c.decodedLength >= 0 && c.total+size > c.decodedLength {
		return chunkError(IncompleteBody, "The chunks hold more than X-Amz-Decoded-Content-Length.")
	}
	var sig string
	if c.signed {
		sig, ok = strings.CutPrefix(ext, "chunk-signature=")
		if !hasExt || !ok || !isLowerHex64(sig) {
			return chunkError(MalformedChunk, "A chunk header lacks a valid chunk-signature.")
		}
	} else if hasExt {
		return chunkError(MalformedChunk, "An unsigned chunk header carries an extension.")
	}

	if !c.signed {
		if size > 0 {
			c.remaining, c.state = size, stateData
			return nil
		}
		return c.finish()
	}

	if err := c.readChunk(int(size)); err != nil {
		return err
	}
	if size > 0 || !c.withTrailer {
		if err := c.expectCRLF(); err != nil {
			return err
		}
	}
	if !hmac.Equal([]byte(c.chunkSignature(c.buf)), []byte(sig)) {
		return chunkError(ChunkSignatureMismatch, "A chunk signature does not match the chunk.")
	}
	c.prev = sig
	if size == 0 {
		return c.finish()
	}
	c.total += size
	for _, cs := range c.checksums {
		cs.h.Write(c.buf)
	}
	c.state = stateData
	return nil
}

// readChunk reads size bytes into c.buf. The buffer grows with the bytes
// that actually arrive, so a header that claims a large chunk costs
// nothing until the data is sent.
func (c *ChunkReader) readChunk(size int) error {
	c.buf, c.off = c.buf[:0], 0
	for len(c.buf) < size {
		if len(c.buf) == cap(c.buf) {
			c.buf = slices.Grow(c.buf, min(size-len(c.buf), max(len(c.buf), 32<<10)))
		}
		n, err := c.br.Read(c.buf[len(c.buf):min(cap(c.buf), size)])
		c.buf = c.buf[:len(c.buf)+n]
		if err == io.EOF {
			return chunkError(IncompleteBody, "The body ended inside a chunk.")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// chunkSignature is the signature of one chunk chained from the previous
// one. The empty-string hash stands where event streams put a header hash.
func (c *ChunkReader) chunkSignature(data []byte) string {
	sum := sha256.Sum256(data)
	sts := make([]byte, 0, 256)
	sts = append(sts, "AWS4-HMAC-SHA256-PAYLOAD\n"...)
	sts = append(sts, c.amzDate...)
	sts = append(sts, '\n')
	sts = append(sts, c.scope...)
	sts = append(sts, '\n')
	sts = append(sts, c.prev...)
	sts = append(sts, '\n')
	sts = append(sts, EmptySHA256...)
	sts = append(sts, '\n')
	sts = hex.AppendEncode(sts, sum[:])
	return signHex(c.key, sts)
}

// finish handles everything after the zero-length chunk: trailers, the
// end of the body, the decoded length and the checksums.
func (c *ChunkReader) finish() error {
	if c.withTrailer {
		if err := c.readTrailers(); err != nil {
			return err
		}
	}
	var b [1]byte
	if n, err := io.ReadFull(c.br, b[:]); n > 0 {
		return chunkError(MalformedChunk, "Data follows the final chunk.")
	} else if err != io.EOF {
		return err
	}
	if c.decodedLength >= 0 && c.total != c.decodedLength {
		return chunkError(IncompleteBody, fmt.Sprintf("The chunks hold %d bytes, not the %d of X-Amz-Decoded-Content-Length.", c.total, c.decodedLength))
	}
	for _, cs := range c.checksums {
		want := c.trailer.Get(cs.name)
		if got := base64.StdEncoding.EncodeToString(cs.h.Sum(nil)); got != want {
			alg := strings.ToUpper(strings.TrimPrefix(cs.name, "x-amz-checksum-"))
			return chunkError(ChecksumMismatch, "The "+alg+" you specified did not match the calculated checksum.")
		}
	}
	c.state = stateDone
	return nil
}

// readTrailers reads trailing header lines up to the blank line and, for
// the signed variant, checks x-amz-trailer-signature, which signs the
// other trailers as "name:value\n" lines.
func (c *ChunkReader) readTrailers() error {
	c.trailer = make(http.Header)
	var canonical []byte
	sig := ""
	size, count := 0, 0
	for {
		line, err := c.readLine()
		if err != nil {
			return err
		}
		if line == "" {
			break
		}
		if size += len(line); size > maxTrailerBytes || count >= maxTrailers {
			return chunkError(MalformedChunk, "The trailers are too large.")
		}
		count++
		if sig != "" {
			return chunkError(MalformedChunk, "x-amz-trailer-signature must be the last trailer.")
		}
		name, value, ok := strings.Cut(line, ":")
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		if !ok || !validHeaderName(name) {
			return chunkError(MalformedChunk, "A trailer is not a header line.")
		}
		if name == "x-amz-trailer-signature" {
			if !c.signedTrailer || !isLowerHex64(value) {
				return chunkError(MalformedChunk, "Unexpected or invalid x-amz-trailer-signature.")
			}
			sig = value
			continue
		}
		if !containsString(c.declared, name) {
			return chunkError(UnsupportedChecksum, "The trailer "+name+" was not announced in X-Amz-Trailer.")
		}
		if c.trailer.Get(name) != "" {
			return chunkError(MalformedChunk, "The trailer "+name+" is repeated.")
		}
		c.trailer.Set(name, value)
		canonical = append(canonical, name...)
		canonical = append(canonical, ':')
		canonical = append(canonical, value...)
		canonical = append(canonical, '\n')
	}
	for _, d := range c.declared {
		if c.trailer.Get(d) == "" {
			return chunkError(UnsupportedChecksum, "The announced trailer "+d+" is missing.")
		}
	}
	if !c.signedTrailer {
		return nil
	}
	if sig == "" {
		return chunkError(MalformedChunk, "The trailers lack x-amz-trailer-signature.")
	}
	sum := sha256.Sum256(canonical)
	sts := make([]byte, 0, 256)
	sts = append(sts, "AWS4-HMAC-SHA256-TRAILER\n"...)
	sts = append(sts, c.amzDate...)
	sts = append(sts, '\n')
	sts = append(sts, c.scope...)
	sts = append(sts, '\n')
	sts = append(sts, c.prev...)
	sts = append(sts, '\n')
	sts = hex.AppendEncode(sts, sum[:])
	if !hmac.Equal([]byte(signHex(c.key, sts)), []byte(sig)) {
		return chunkError(ChunkSignatureMismatch, "The trailer signature does not match the trailers.")
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// parseHexSize parses a chunk size: 1 to 15 hex digits, nothing else.
func parseHexSize(s string) (int64, bool) {
	if s == "" || len(s) > 15 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isHex(c) {
			return 0, false
		}
		n = n<<4 | int64(unhex(c))
	}
	return n, true
}

// PayloadReader reads a verified request's body and fails, with an
// *Error, if the body is not what was signed. Only a final io.EOF means
// the whole body checked out; data returned before an error must be
// discarded.
type PayloadReader struct {
	r      io.Reader
	chunks *ChunkReader
	h      hash.Hash
	want   string
	err    error
}

// Payload wraps body, the request body, according to what was signed: a
// declared SHA-256 is checked as the body streams, an aws-chunked body is
// decoded and verified, and an unsigned or already checked body passes
// through.
func (res *Result) Payload(body io.Reader) *PayloadReader {
	ph := res.PayloadHash
	switch {
	case isStreaming(ph):
		cr, err := NewChunkReader(body, ChunkConfig{
			PayloadHash:   ph,
			SigningKey:    res.SigningKey,
			SeedSignature: res.Signature,
			SigningTime:   res.SigningTime,
			Scope:         res.Scope,
			Trailers:      res.Trailers,
			DecodedLength: res.DecodedContentLength,
			MaxChunkSize:  res.maxChunk,
		})
		if err != nil {
			return &PayloadReader{err: err}
		}
		return &PayloadReader{r: cr, chunks: cr}
	case isLowerHex64(ph) && !res.verifiedBody:
		return &PayloadReader{r: body, h: sha256.New(), want: ph}
	}
	return &PayloadReader{r: body}
}

// Read implements io.Reader.
func (p *PayloadReader) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.r.Read(b)
	if p.h != nil {
		p.h.Write(b[:n])
		if err == io.EOF {
			var sum [sha256.Size]byte
			if got := hex.EncodeToString(p.h.Sum(sum[:0])); got != p.want {
				err = newError(ContentSHA256Mismatch,
					"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
					"The provided 'x-amz-content-sha256' header does not match what was computed.")
			}
		}
	}
	if err != nil {
		p.err = err
	}
	return n, err
}

// Trailer returns the aws-chunked trailers once Read has returned io.EOF.
func (p *PayloadReader) Trailer() http.Header {
	if p.chunks == nil {
		return nil
	}
	return p.chunks.Trailer()
}
