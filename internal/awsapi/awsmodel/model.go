package awsmodel

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"sync"
)

// models holds the trimmed service models, one data/<service>.json each.
//
//go:embed data/*.json
var models embed.FS

// Protocol names as they appear in a model's metadata.
const (
	ProtocolJSON     = "json"
	ProtocolRESTJSON = "rest-json"
	ProtocolQuery    = "query"
)

// Location says where in an HTTP request a top-level input member travels.
// Only REST protocols bind members outside the body.
type Location string

// The locations a model can give a member. LocationBody is the zero value:
// the member is serialized in the request body.
const (
	LocationBody       Location = ""
	LocationURI        Location = "uri"
	LocationQuery      Location = "querystring"
	LocationHeader     Location = "header"
	LocationHeaders    Location = "headers" // a map bound to all headers with a prefix
	LocationStatusCode Location = "statusCode"
)

// Shape types as they appear in a model.
const (
	TypeStructure = "structure"
	TypeList      = "list"
	TypeMap       = "map"
	TypeString    = "string"
	TypeInteger   = "integer"
	TypeLong      = "long"
	TypeFloat     = "float"
	TypeDouble    = "double"
	TypeBoolean   = "boolean"
	TypeTimestamp = "timestamp"
	TypeBlob      = "blob"
)

// Service is one parsed service model. Build it once with [Load] and share
// it: it is safe for concurrent use. The exported fields of the values it
// hands out (operations, shapes, members) describe the model and must be
// treated as read-only.
type Service struct {
	name    string
	meta    Metadata
	ops     map[string]*Operation
	opList  []*Operation
	shapes  map[string]*Shape
	routes  []route
	emptyIn *Shape // stands in for operations without an input shape
	valCode string // the error code constraint violations are reported with
}

// Metadata is the service-level part of a model.
type Metadata struct {
	APIVersion          string
	EndpointPrefix      string
	JSONVersion         string // "1.0" or "1.1" for JSON protocols
	Protocol            string // ProtocolJSON, ProtocolRESTJSON or ProtocolQuery
	ServiceAbbreviation string
	ServiceFullName     string
	ServiceID           string
	SignatureVersion    string
	// SigningName is the SigV4 service name. Models leave it out when it
	// equals the endpoint prefix (organizations, sts, iam), so Load fills
	// it in the way the SDKs do.
	SigningName    string
	TargetPrefix   string // X-Amz-Target prefix for JSON protocols
	UID            string
	XMLNamespace   string // Query protocol response namespace
	GlobalEndpoint string
}

// Operation is one API operation.
type Operation struct {
	Name string
	// Method and RequestURI come from the model's http trait. For JSON and
	// Query protocols they are always POST and "/". RequestURI may carry
	// {labels} and a literal query string (e.g. "/token?aws_iam=t").
	Method     string
	RequestURI string
	Input      *Shape // nil when the operation takes no input
	Output     *Shape // nil when the operation returns nothing
	Errors     []*Shape
	// OutputResultWrapper names the XML element wrapping the output of
	// Query protocol operations (e.g. "AssumeRoleResult").
	OutputResultWrapper string
	AuthType            string   // legacy auth hint, e.g. "none" or "v4"
	Auth                []string // e.g. ["smithy.api#noAuth"]
	HostPrefix          string
	Deprecated          bool
	Idempotent          bool
	ReadOnly            bool
}

// Shape is a named type in the model.
type Shape struct {
	Name string
	Type string // one of the Type* constants

	// Members of a structure, in model order.
	Members []*Member
	// Element of a list.
	ListMember *Member
	// Key and value of a map.
	MapKey, MapValue *Member

	// Min and Max bound the length of strings, blobs, lists and maps and
	// the value of numbers. Nil means unbounded.
	Min, Max *float64
	// Pattern is the Java regular expression, exactly as in the model, a
	// string value must match as a whole.
	Pattern string
	Enum    []string

	Sensitive  bool // values must never be echoed in messages or logs
	Union      bool // a structure of which exactly one member is set
	Document   bool // an untyped JSON document
	Box        bool
	Deprecated bool
	Flattened  bool

	// Error data of exception shapes.
	Exception      bool
	Fault          bool // a server-side (5xx) error
	ErrorCode      string
	HTTPStatusCode int
	SenderFault    bool
	Retryable      bool
	Throttling     bool

	TimestampFormat string
	LocationName    string // element name of list members in XML protocols

	memberIndex map[string]int // JSON key → index into Members
	checkOrder  []int          // order Coral reports member violations in
	enumSet     map[string]struct{}

	// The pattern is compiled on first use: most shapes of a model are
	// never validated by a given server.
	patternOnce sync.Once
	pattern     *matcher
}

// Member is a member of a structure, or the element, key or value of a list
// or map.
type Member struct {
	Name  string
	Shape *Shape
	// Required marks a member that must be present and not null.
	Required bool

	Location         Location
	LocationName     string // header name, query parameter or URI label
	QueryName        string // EC2-style query name
	XMLName          string
	XMLAttribute     bool
	Flattened        bool
	HostLabel        bool
	IdempotencyToken bool
	JSONValue        bool // a header carrying base64-encoded JSON
	Box              bool
	Deprecated       bool
	TimestampFormat  string

	path string // the member's name in validation messages
}

// JSONKey is the key the member has in a JSON body. Models may rename a
// body member with locationName; members bound elsewhere keep their name.
func (m *Member) JSONKey() string {
	if m.Location == LocationBody && m.LocationName != "" {
		return m.LocationName
	}
	return m.Name
}

// Services lists the services whose models are embedded.
func Services() []string {
	entries, err := fs.ReadDir(models, "data")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".json"); ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// ErrUnknownService is returned by Load for a service whose model is not
// embedded.
var ErrUnknownService = errors.New("awsmodel: unknown service")

// Load parses the embedded model of service ("identitystore", "sso-admin",
// "organizations", "sso-oidc", "sso", "sts" or "iam"). Each call parses the
// model afresh, so call it once per service and keep the result.
func Load(service string) (*Service, error) {
	raw, err := models.ReadFile("data/" + service + ".json")
	if err != nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownService, service)
	}
	s, err := parseModel(service, raw)
	if err != nil {
		return nil, fmt.Errorf("awsmodel: load %s: %w", service, err)
	}
	return s, nil
}

// Name is the service name Load was called with.
func (s *Service) Name() string { return s.name }

// Metadata returns the service metadata.
func (s *Service) Metadata() Metadata { return s.meta }

// Operation looks up an operation by name, e.g. "CreateUser".
func (s *Service) Operation(name string) (*Operation, bool) {
	op, ok := s.ops[name]
	return op, ok
}

// OperationForTarget looks up the operation an X-Amz-Target header names,
// e.g. "AWSIdentityStore.CreateUser". It fails for services without a
// target prefix and for a prefix that is not this service's.
func (s *Service) OperationForTarget(target string) (*Operation, bool) {
	if s.meta.TargetPrefix == "" {
		return nil, false
	}
	prefix, name, ok := strings.Cut(target, ".")
	if !ok || prefix != s.meta.TargetPrefix {
		return nil, false
	}
	return s.Operation(name)
}

// Operations lists every operation, sorted by name.
func (s *Service) Operations() []*Operation { return slices.Clone(s.opList) }

// Shape looks up a shape by name.
func (s *Service) Shape(name string) (*Shape, bool) {
	sh, ok := s.shapes[name]
	return sh, ok
}

// ValidationCode is the error code this service reports constraint
// violations with: "ValidationError" for Query services (STS, IAM),
// "ValidationException" for JSON ones.
func (s *Service) ValidationCode() string { return s.valCode }

// The JSON form of a model. Only what Load uses is declared.
type rawModel struct {
	Metadata   rawMetadata                `json:"metadata"`
	Operations map[string]rawOperation    `json:"operations"`
	Shapes     map[string]json.RawMessage `json:"shapes"`
}

type rawMetadata struct {
	APIVersion          string `json:"apiVersion"`
	EndpointPrefix      string `json:"endpointPrefix"`
	JSONVersion         string `json:"jsonVersion"`
	Protocol            string `json:"protocol"`
	ServiceAbbreviation string `json:"serviceAbbreviation"`
	ServiceFullName     string `json:"serviceFullName"`
	ServiceID           string `json:"serviceId"`
	SignatureVersion    string `json:"signatureVersion"`
	SigningName         string `json:"signingName"`
	TargetPrefix        string `json:"targetPrefix"`
	UID                 string `json:"uid"`
	XMLNamespace        string `json:"xmlNamespace"`
	GlobalEndpoint      string `json:"globalEndpoint"`
}

type rawOperation struct {
	Name string `json:"name"`
	HTTP struct {
		Method     string `json:"method"`
		RequestURI string `json:"requestUri"`
	} `json:"http"`
	Input      *rawRef  `json:"input"`
	Output     *rawRef  `json:"output"`
	Errors     []rawRef `json:"errors"`
	AuthType   string   `json:"authtype"`
	Auth       []string `json:"auth"`
	Deprecated bool     `json:"deprecated"`
	Idempotent bool     `json:"idempotent"`
	ReadOnly   bool     `json:"readonly"`
	Endpoint   *struct {
		HostPrefix string `json:"hostPrefix"`
	} `json:"endpoint"`
}

type rawRef struct {
	Shape            string `json:"shape"`
	Location         string `json:"location"`
	LocationName     string `json:"locationName"`
	QueryName        string `json:"queryName"`
	XMLName          string `json:"xmlName"`
	XMLAttribute     bool   `json:"xmlAttribute"`
	Flattened        bool   `json:"flattened"`
	HostLabel        bool   `json:"hostLabel"`
	IdempotencyToken bool   `json:"idempotencyToken"`
	JSONValue        bool   `json:"jsonvalue"`
	Box              bool   `json:"box"`
	Deprecated       bool   `json:"deprecated"`
	TimestampFormat  string `json:"timestampFormat"`
	ResultWrapper    string `json:"resultWrapper"`
}

type rawShape struct {
	Type            string         `json:"type"`
	Members         orderedMembers `json:"members"`
	Member          *rawRef        `json:"member"`
	Key             *rawRef        `json:"key"`
	Value           *rawRef        `json:"value"`
	Required        []string       `json:"required"`
	Min             *float64       `json:"min"`
	Max             *float64       `json:"max"`
	Pattern         string         `json:"pattern"`
	Enum            []string       `json:"enum"`
	Sensitive       bool           `json:"sensitive"`
	Union           bool           `json:"union"`
	Document        bool           `json:"document"`
	Box             bool           `json:"box"`
	Deprecated      bool           `json:"deprecated"`
	Flattened       bool           `json:"flattened"`
	Exception       bool           `json:"exception"`
	Fault           bool           `json:"fault"`
	TimestampFormat string         `json:"timestampFormat"`
	LocationName    string         `json:"locationName"`
	Error           *struct {
		Code           string `json:"code"`
		HTTPStatusCode int    `json:"httpStatusCode"`
		SenderFault    bool   `json:"senderFault"`
	} `json:"error"`
	Retryable *struct {
		Throttling bool `json:"throttling"`
	} `json:"retryable"`
}

type namedRef struct {
	name string
	ref  rawRef
}

// orderedMembers decodes a structure's members keeping their model order:
// Go maps would lose it, and validation messages depend on it.
type orderedMembers []namedRef

func (o *orderedMembers) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("members: want an object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		var ref rawRef
		if err := dec.Decode(&ref); err != nil {
			return fmt.Errorf("member %s: %w", name, err)
		}
		*o = append(*o, namedRef{name, ref})
	}
	return nil
}

func parseModel(name string, data []byte) (*Service, error) {
	var rm rawModel
	if err := json.Unmarshal(data, &rm); err != nil {
		return nil, err
	}
	md := rm.Metadata
	s := &Service{
		name: name,
		meta: Metadata{
			APIVersion: md.APIVersion, EndpointPrefix: md.EndpointPrefix,
			JSONVersion: md.JSONVersion, Protocol: md.Protocol,
			ServiceAbbreviation: md.ServiceAbbreviation, ServiceFullName: md.ServiceFullName,
			ServiceID: md.ServiceID, SignatureVersion: md.SignatureVersion,
			SigningName: md.SigningName, TargetPrefix: md.TargetPrefix, UID: md.UID,
			XMLNamespace: md.XMLNamespace, GlobalEndpoint: md.GlobalEndpoint,
		},
		ops:    make(map[string]*Operation, len(rm.Operations)),
		shapes: make(map[string]*Shape, len(rm.Shapes)),
	}
	if s.meta.SigningName == "" {
		s.meta.SigningName = s.meta.EndpointPrefix
	}
	s.valCode = CodeValidationException
	if s.meta.Protocol == ProtocolQuery {
		s.valCode = CodeValidationError
	}

	// Two passes: create every shape, then resolve references, so that
	// recursive shapes and forward references need no special casing.
	raws := make(map[string]*rawShape, len(rm.Shapes))
	for n, b := range rm.Shapes {
		var r rawShape
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("shape %s: %w", n, err)
		}
		raws[n] = &r
		s.shapes[n] = &Shape{Name: n}
	}
	for n, r := range raws {
		if err := s.fillShape(s.shapes[n], r); err != nil {
			return nil, fmt.Errorf("shape %s: %w", n, err)
		}
	}
	s.emptyIn = &Shape{Name: "", Type: TypeStructure, memberIndex: map[string]int{}}

	for n, ro := range rm.Operations {
		op := &Operation{
			Name: n, Method: ro.HTTP.Method, RequestURI: ro.HTTP.RequestURI,
			AuthType: ro.AuthType, Auth: ro.Auth,
			Deprecated: ro.Deprecated, Idempotent: ro.Idempotent, ReadOnly: ro.ReadOnly,
		}
		if ro.Endpoint != nil {
			op.HostPrefix = ro.Endpoint.HostPrefix
		}
		var err error
		if ro.Input != nil {
			if op.Input, err = s.ref(ro.Input.Shape); err != nil {
				return nil, fmt.Errorf("operation %s: %w", n, err)
			}
		}
		if ro.Output != nil {
			if op.Output, err = s.ref(ro.Output.Shape); err != nil {
				return nil, fmt.Errorf("operation %s: %w", n, err)
			}
			op.OutputResultWrapper = ro.Output.ResultWrapper
		}
		for _, e := range ro.Errors {
			es, err := s.ref(e.Shape)
			if err != nil {
				return nil, fmt.Errorf("operation %s: %w", n, err)
			}
			op.Errors = append(op.Errors, es)
		}
		s.ops[n] = op
		s.opList = append(s.opList, op)
	}
	sort.Slice(s.opList, func(i, j int) bool { return s.opList[i].Name < s.opList[j].Name })
	if s.meta.Protocol == ProtocolRESTJSON {
		if err := s.buildRoutes(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Service) ref(name string) (*Shape, error) {
	sh, ok := s.shapes[name]
	if !ok {
		return nil, fmt.Errorf("unknown shape %q", name)
	}
	return sh, nil
}

func (s *Service) member(name string, r *rawRef) (*Member, error) {
	sh, err := s.ref(r.Shape)
	if err != nil {
		return nil, err
	}
	return &Member{
		Name: name, Shape: sh,
		Location: Location(r.Location), LocationName: r.LocationName,
		QueryName: r.QueryName, XMLName: r.XMLName, XMLAttribute: r.XMLAttribute,
		Flattened: r.Flattened, HostLabel: r.HostLabel, IdempotencyToken: r.IdempotencyToken,
		JSONValue: r.JSONValue, Box: r.Box, Deprecated: r.Deprecated,
		TimestampFormat: r.TimestampFormat,
		path:            lowerFirst(name),
	}, nil
}

func (s *Service) fillShape(sh *Shape, r *rawShape) error {
	sh.Type = r.Type
	sh.Min, sh.Max = r.Min, r.Max
	sh.Pattern = r.Pattern
	sh.Enum = r.Enum
	sh.Sensitive, sh.Union, sh.Document = r.Sensitive, r.Union, r.Document
	sh.Box, sh.Deprecated, sh.Flattened = r.Box, r.Deprecated, r.Flattened
	sh.Exception, sh.Fault = r.Exception, r.Fault
	sh.TimestampFormat, sh.LocationName = r.TimestampFormat, r.LocationName
	if r.Error != nil {
		sh.ErrorCode, sh.HTTPStatusCode, sh.SenderFault = r.Error.Code, r.Error.HTTPStatusCode, r.Error.SenderFault
	}
	if r.Retryable != nil {
		sh.Retryable, sh.Throttling = true, r.Retryable.Throttling
	}
	if len(r.Enum) > 0 {
		sh.enumSet = make(map[string]struct{}, len(r.Enum))
		for _, e := range r.Enum {
			sh.enumSet[e] = struct{}{}
		}
	}
	switch r.Type {
	case TypeStructure:
		required := make(map[string]bool, len(r.Required))
		for _, n := range r.Required {
			required[n] = true
		}
		sh.memberIndex = make(map[string]int, len(r.Members))
		for i, nr := range r.Members {
			m, err := s.member(nr.name, &nr.ref)
			if err != nil {
				return fmt.Errorf("member %s: %w", nr.name, err)
			}
			m.Required = required[nr.name]
			sh.Members = append(sh.Members, m)
			sh.memberIndex[m.JSONKey()] = i
		}
		sh.checkOrder = coralMemberOrder(sh.Members)
	case TypeList:
		if r.Member == nil {
			return errors.New("list without member")
		}
		m, err := s.member("member", r.Member)
		if err != nil {
			return err
		}
		sh.ListMember = m
	case TypeMap:
		if r.Key == nil || r.Value == nil {
			return errors.New("map without key or value")
		}
		k, err := s.member("key", r.Key)
		if err != nil {
			return err
		}
		v, err := s.member("value", r.Value)
		if err != nil {
			return err
		}
		sh.MapKey, sh.MapValue = k, v
	}
	return nil
}

// lowerFirst turns a member name into the form Coral uses in messages:
// "IdentityStoreId" → "identityStoreId". Only the first character changes
// ("SAMLAssertion" → "sAMLAssertion"); that form is inferred from a
// third-party reimplementation, not from a capture.
func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

// coralMemberOrder returns the order in which Coral reports violations of a
// structure's members.
//
// Coral does not report them in model order. Every multi-member capture we
// found fits the iteration order of a Java HashMap with 64 buckets keyed by
// the lowerCamel member name (bucket = spread(String.hashCode()) & 63, ties
// in insertion order): DynamoDB CreateTable (provisionedThroughput,
// attributeDefinitions, localSecondaryIndexes with three members), EMR
// AddJobFlowSteps, SWF DescribeWorkflowExecution, Cognito AdminAddUserToGroup
// and SignUp. Plain and reversed model order each contradict at least one
// of them. One old (2015) DynamoDB Query capture fits none of the orders we
// tried. Treat this as a well-supported inference, not a certainty.
func coralMemberOrder(members []*Member) []int {
	order := make([]int, len(members))
	bucket := make([]uint32, len(members))
	for i, m := range members {
		order[i] = i
		h := javaStringHash(m.path)
		bucket[i] = (h ^ h>>16) & 63
	}
	sort.SliceStable(order, func(a, b int) bool { return bucket[order[a]] < bucket[order[b]] })
	return order
}

// javaStringHash is Java's String.hashCode over UTF-16 code units.
func javaStringHash(s string) uint32 {
	var h uint32
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + uint32(0xD800+(r>>10))
			h = 31*h + uint32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + uint32(r)
	}
	return h
}
