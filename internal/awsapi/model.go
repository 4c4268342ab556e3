package awsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/awsapi/awsmodel"
)

// ModelValidator validates requests against an embedded AWS service model
// and redacts them for audit records using the model's sensitive flags.
type ModelValidator struct {
	svc *awsmodel.Service
}

// NewModelValidator loads the model of service (for example
// "identitystore", "sso-admin").
func NewModelValidator(service string) (*ModelValidator, error) {
	svc, err := awsmodel.Load(service)
	if err != nil {
		return nil, fmt.Errorf("awsapi: load model %s: %w", service, err)
	}
	return &ModelValidator{svc: svc}, nil
}

// Model returns the loaded service model.
func (m *ModelValidator) Model() *awsmodel.Service { return m.svc }

// Known reports whether the model defines the operation.
func (m *ModelValidator) Known(operation string) bool {
	_, ok := m.svc.Operation(operation)
	return ok
}

// Validate checks body against the operation's input shape.
func (m *ModelValidator) Validate(operation string, body []byte) *Error {
	err := m.svc.ValidateJSON(operation, body)
	if err == nil {
		return nil
	}
	var me *awsmodel.Error
	if errors.As(err, &me) {
		return &Error{Status: http.StatusBadRequest, Code: me.Code, Message: me.Message}
	}
	return &Error{Status: http.StatusBadRequest, Code: "UnknownOperationException", Message: ""}
}

// ValidateRedact is Validate and Redact from one parse of the body: it
// returns the wire error for input that breaks the model, or else the
// request as CloudTrail's requestParameters, already encoded
// (audit.JSON). The members are those Redact keeps, except that members
// sent as null are left out.
func (m *ModelValidator) ValidateRedact(operation string, body []byte) (any, *Error) {
	red, err := m.svc.ValidateJSONRedacted(operation, body, audit.Hidden)
	if err != nil {
		var me *awsmodel.Error
		if errors.As(err, &me) {
			return nil, &Error{Status: http.StatusBadRequest, Code: me.Code, Message: me.Message}
		}
		return nil, &Error{Status: http.StatusBadRequest, Code: "UnknownOperationException", Message: ""}
	}
	if red == nil {
		return nil, nil
	}
	return audit.JSON(red), nil
}

// Redact returns the request as CloudTrail's requestParameters: member
// names in lowerCamelCase, sensitive values and documents hidden.
func (m *ModelValidator) Redact(operation string, body []byte) any {
	op, ok := m.svc.Operation(operation)
	if !ok || op.Input == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	return redact(op.Input, v, 0)
}

// RedactShape redacts a value of the named shape (for responses).
func (m *ModelValidator) RedactShape(shape string, v any) any {
	s, ok := m.svc.Shape(shape)
	if !ok {
		return nil
	}
	return redact(s, v, 0)
}

func redact(s *awsmodel.Shape, v any, depth int) any {
	if v == nil {
		return nil
	}
	if s.Sensitive || s.Document || depth > 32 {
		return audit.Hidden
	}
	switch s.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		out := make(map[string]any, len(obj))
		for _, mem := range s.Members {
			val, ok := obj[mem.JSONKey()]
			if !ok {
				continue
			}
			out[lowerCamel(mem.Name)] = redact(mem.Shape, val, depth+1)
		}
		return out
	case "list":
		arr, ok := v.([]any)
		if !ok {
			return nil
		}
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = redact(s.ListMember.Shape, e, depth+1)
		}
		return out
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		out := make(map[string]any, len(obj))
		for k, e := range obj {
			if s.MapKey.Shape.Sensitive {
				k = audit.Hidden
			}
			out[k] = redact(s.MapValue.Shape, e, depth+1)
		}
		return out
	default:
		return v
	}
}

// lowerCamel turns a model member name ("IdentityStoreId") into the key
// CloudTrail uses ("identityStoreId").
func lowerCamel(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}
