// Package managedpolicy is the catalogue of AWS-managed IAM policies
// (arn:aws:iam::aws:policy/…) that Gatehouse knows: their names, paths,
// default versions and documents.
//
// The catalogue is a snapshot of the policies AWS publishes, embedded
// gzip-compressed and refreshed with scripts/refresh-managed-policies.sh.
// Permission sets may attach only policies it contains, and provisioning
// resolves their documents from it.
package managedpolicy

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

//go:embed aws-managed-policies.json.gz
var compressed []byte

// Policy is one AWS-managed policy.
type Policy struct {
	Name             string
	ARN              string
	Path             string
	DefaultVersionID string
	// Document is the policy document as compact JSON.
	Document string
}

// Catalogue holds the managed policies, by ARN and in name order. It is
// immutable and safe for concurrent use.
type Catalogue struct {
	byARN  map[string]*Policy
	sorted []*Policy
}

// Load decodes the embedded catalogue. It takes a few tens of
// milliseconds; load it once at start-up and share it.
func Load() (*Catalogue, error) { return Parse(gzipReader(compressed)) }

func gzipReader(b []byte) io.Reader {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return errReader{fmt.Errorf("managedpolicy: open embedded catalogue: %w", err)}
	}
	return zr
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// Parse reads a catalogue in the snapshot format: a JSON object keyed by
// policy name, each value holding Arn, Path, DefaultVersionId and Document.
func Parse(r io.Reader) (*Catalogue, error) {
	var raw map[string]struct {
		Arn              string          `json:"Arn"`
		Path             string          `json:"Path"`
		DefaultVersionID string          `json:"DefaultVersionId"`
		Document         json.RawMessage `json:"Document"`
	}
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, fmt.Errorf("managedpolicy: decode catalogue: %w", err)
	}
	c := &Catalogue{byARN: make(map[string]*Policy, len(raw)), sorted: make([]*Policy, 0, len(raw))}
	for name, p := range raw {
		if !strings.HasPrefix(p.Arn, "arn:aws:iam::aws:policy/") || !strings.HasSuffix(p.Arn, "/"+name) {
			return nil, fmt.Errorf("managedpolicy: policy %s has ARN %q", name, p.Arn)
		}
		var doc bytes.Buffer
		if err := json.Compact(&doc, p.Document); err != nil {
			return nil, fmt.Errorf("managedpolicy: document of %s: %w", name, err)
		}
		pol := &Policy{Name: name, ARN: p.Arn, Path: p.Path, DefaultVersionID: p.DefaultVersionID, Document: doc.String()}
		c.byARN[p.Arn] = pol
		c.sorted = append(c.sorted, pol)
	}
	sort.Slice(c.sorted, func(i, j int) bool { return c.sorted[i].Name < c.sorted[j].Name })
	return c, nil
}

// Get returns the policy with the given ARN.
func (c *Catalogue) Get(arn string) (Policy, bool) {
	p, ok := c.byARN[arn]
	if !ok {
		return Policy{}, false
	}
	return *p, true
}

// Len returns how many policies the catalogue holds.
func (c *Catalogue) Len() int { return len(c.sorted) }

// List returns up to limit policies whose name sorts after the given name
// and whose path starts with pathPrefix ("" or "/" for all), in name order,
// and whether more follow.
func (c *Catalogue) List(pathPrefix, after string, limit int) ([]Policy, bool) {
	i := sort.Search(len(c.sorted), func(i int) bool { return c.sorted[i].Name > after })
	var out []Policy
	for ; i < len(c.sorted); i++ {
		p := c.sorted[i]
		if pathPrefix != "" && !strings.HasPrefix(p.Path, pathPrefix) {
			continue
		}
		if len(out) == limit {
			return out, true
		}
		out = append(out, *p)
	}
	return out, false
}
