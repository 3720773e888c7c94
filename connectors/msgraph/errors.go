package msgraph

import (
	"errors"
	"fmt"
	"net/http"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/dirsync/dirsync/connectors"
)

// apiError is a Graph error with its status and OData code spelled out: the
// SDK's own error text is only "error status code received from the API".
type apiError struct {
	Status  int
	Code    string
	Message string
	err     error
}

func (e *apiError) Error() string {
	return fmt.Sprintf("graph returned %d %s: %s", e.Status, e.Code, e.Message)
}

func (e *apiError) Unwrap() error { return e.err }

// wrap adds lower-case context to err and, for a Graph error, its status and
// code.
func wrap(op string, err error) error {
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) {
		ae := &apiError{Status: oe.ResponseStatusCode, err: err}
		if m := oe.GetErrorEscaped(); m != nil {
			ae.Code, ae.Message = str(m.GetCode()), str(m.GetMessage())
		}
		return fmt.Errorf("%s: %w", op, ae)
	}
	var ab *abstractions.ApiError
	if errors.As(err, &ab) {
		return fmt.Errorf("%s: %w", op, &apiError{Status: ab.ResponseStatusCode, Message: ab.Message, err: err})
	}
	return fmt.Errorf("%s: %w", op, err)
}

// statusOf returns the HTTP status and OData code of a wrapped Graph error.
func statusOf(err error) (int, string) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status, ae.Code
	}
	return 0, ""
}

// expired marks an error from following a delta link that Graph no longer
// honours (about seven days old, or unknown) as connectors.ErrCursorExpired.
func expired(err error) error {
	status, code := statusOf(err)
	switch {
	case status == http.StatusGone,
		code == "syncStateNotFound", code == "syncStateInvalid", code == "resyncRequired",
		code == "Request_ResyncRequired":
		return fmt.Errorf("%w: %w", connectors.ErrCursorExpired, err)
	}
	return err
}
