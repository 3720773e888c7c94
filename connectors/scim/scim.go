// Package scim is dirsync's inbound SCIM 2.0 endpoint (RFC 7643, RFC 7644):
// Okta and Microsoft Entra ID push users and groups to it, each integration
// under its own URL prefix and bearer token.
//
// Both IdPs deviate from the RFC in documented ways (capitalised PATCH ops,
// booleans as strings, path-less replaces keyed by attribute paths, Entra's
// legacy member removal that names the members to drop). The package accepts
// what they send by normalising every request body into one canonical JSON
// document shape first, driven by the same schema definitions that the
// /Schemas endpoint serves, so the rest of the code deals with one dialect.
//
// Group membership PATCHes become "add these ids / remove these ids"
// operations for the store, never a rewritten member list, so concurrent
// PATCHes to one group cannot lose each other's members.
package scim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Schema and message URNs.
const (
	URNUser         = "urn:ietf:params:scim:schemas:core:2.0:User"
	URNGroup        = "urn:ietf:params:scim:schemas:core:2.0:Group"
	URNEnterprise   = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	URNListResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	URNPatchOp      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	URNError        = "urn:ietf:params:scim:api:messages:2.0:Error"
	URNSPConfig     = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	URNResourceType = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	URNSchema       = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// The scimType error codes of RFC 7644 §3.12 that dirsync returns.
const (
	TypeInvalidFilter = "invalidFilter"
	TypeTooMany       = "tooMany"
	TypeUniqueness    = "uniqueness"
	TypeMutability    = "mutability"
	TypeInvalidSyntax = "invalidSyntax"
	TypeInvalidPath   = "invalidPath"
	TypeNoTarget      = "noTarget"
	TypeInvalidValue  = "invalidValue"
)

// Error is a SCIM error response. It is also a Go error, so request handling
// can return it from deep inside and have it rendered as-is.
type Error struct {
	Status   int
	ScimType string
	Detail   string
}

func (e *Error) Error() string {
	if e.ScimType != "" {
		return fmt.Sprintf("scim %d %s: %s", e.Status, e.ScimType, e.Detail)
	}
	return fmt.Sprintf("scim %d: %s", e.Status, e.Detail)
}

// MarshalJSON renders the RFC 7644 §3.12 body; status is a string there.
func (e *Error) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Schemas  []string `json:"schemas"`
		Status   string   `json:"status"`
		ScimType string   `json:"scimType,omitempty"`
		Detail   string   `json:"detail,omitempty"`
	}{[]string{URNError}, strconv.Itoa(e.Status), e.ScimType, e.Detail})
}

// badRequest builds a 400 with a scimType.
func badRequest(scimType, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}
