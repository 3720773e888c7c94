// Package scimtest is a minimal SCIM client for tests that replay what an
// IdP's provisioning service sends.
package scimtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// Client sends requests to one integration's SCIM base URL.
type Client struct {
	T     testing.TB
	Base  string // e.g. http://127.0.0.1:1234/scim/okta/v2
	Token string
	// ContentType is what the IdP sends: Okta's POSTs use application/json,
	// Entra uses application/scim+json.
	ContentType string
}

// Do sends body (marshalled to JSON when not nil) and decodes the answer.
func (c Client) Do(method, path string, body any) (int, map[string]any) {
	c.T.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.T.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.Base+path, rd)
	if err != nil {
		c.T.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Content-Type", c.ContentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.T.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}
