package registry

import (
	"errors"
	"fmt"
)

// Sentinel errors an *Error matches with errors.Is.
var (
	ErrNotFound      = errors.New("not found")               // 404xx
	ErrIncompatible  = errors.New("incompatible schema")     // 409
	ErrInvalidSchema = errors.New("invalid schema or input") // 422xx
)

// Confluent's error codes used here.
const (
	codeSubjectNotFound   = 40401
	codeVersionNotFound   = 40402
	codeSchemaNotFound    = 40403
	codeSubjectConfigNone = 40408
	codeIncompatible      = 409
	codeInvalidSchema     = 42201
	codeInvalidVersion    = 42202
	codeInvalidLevel      = 42203
	codeStore             = 50001
)

// Error is a registry error response: the HTTP status and Confluent's error_code and
// message.
type Error struct {
	Status  int    `json:"-"`
	Code    int    `json:"error_code"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("schema registry: HTTP %d, error %d: %s", e.Status, e.Code, e.Message)
}

// Incompatible reports whether the registry refused a schema as incompatible with the
// subject's earlier versions (for callers that cannot import this package).
func (e *Error) Incompatible() bool { return e.Status == 409 }

// Is matches the sentinel errors by status.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == 404
	case ErrIncompatible:
		return e.Status == 409
	case ErrInvalidSchema:
		return e.Status == 422
	}
	return false
}
