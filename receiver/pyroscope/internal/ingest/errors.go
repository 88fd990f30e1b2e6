package ingest

import (
	"errors"
	"fmt"
)

// Kind says which status a decoding error deserves.
type Kind int

const (
	KindBadRequest  Kind = iota // 400: malformed query, name or body
	KindLabels                  // 400: too many or too long labels
	KindTooLarge                // 413: body or a part over the limit
	KindUnsupported             // 415: a content type or format this receiver does not read
)

// Error is a decoding error with its Kind.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func errorf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Err: fmt.Errorf(format, args...)}
}

// KindOf returns err's Kind (KindBadRequest for errors not from this package).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindBadRequest
}
