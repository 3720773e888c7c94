package msgraph

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/dirsync/dirsync/connectors"
)

// cursor is what a read hands back as Snapshot.Cursor: the delta links to
// resume from and, for scope "assigned", the users and groups that were in
// scope (app assignments have no delta, so scope changes are found by
// comparing against them).
type cursor struct {
	V        int      `json:"v"`
	Config   string   `json:"c"` // fingerprint of the settings that shape a read
	Users    string   `json:"u"` // users delta link
	Groups   string   `json:"g,omitempty"`
	InScope  []string `json:"s,omitempty"`
	Reported []string `json:"r,omitempty"`
}

const cursorPrefix = "msgraph1."

// encode is gzip'd JSON in base64url: an assigned-scope cursor lists every
// user id in scope, which compresses about two to one.
func (c cursor) encode() (string, error) {
	c.V = 1
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(c); err != nil {
		return "", fmt.Errorf("encode cursor: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("encode cursor: %w", err)
	}
	return cursorPrefix + base64.RawURLEncoding.EncodeToString(buf.Bytes()), nil
}

// decodeCursor parses a cursor; one it cannot use (foreign, corrupt, or made
// under other settings) is reported as connectors.ErrCursorExpired so that
// the caller reads in full.
func decodeCursor(s, fingerprint string) (cursor, error) {
	var c cursor
	raw, ok := strings.CutPrefix(s, cursorPrefix)
	if !ok {
		return c, fmt.Errorf("%w: not a msgraph cursor", connectors.ErrCursorExpired)
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err == nil {
		var zr *gzip.Reader
		if zr, err = gzip.NewReader(bytes.NewReader(b)); err == nil {
			b, err = io.ReadAll(zr)
		}
	}
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil {
		return c, fmt.Errorf("%w: corrupt msgraph cursor: %w", connectors.ErrCursorExpired, err)
	}
	if c.V != 1 || c.Users == "" {
		return c, fmt.Errorf("%w: unsupported msgraph cursor", connectors.ErrCursorExpired)
	}
	if c.Config != fingerprint {
		return c, fmt.Errorf("%w: settings changed since the cursor was made", connectors.ErrCursorExpired)
	}
	return c, nil
}

// fingerprint identifies the settings a cursor depends on: a delta under
// different scope or mapping would miss users.
func (c *Config) fingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s|%s|%s|%t|%s|", c.graphURL(), c.TenantID, c.scope(), strings.ToLower(c.ServicePrincipalID),
		c.NestedGroups, c.userNameAttribute())
	keys := make([]string, 0, len(c.Enterprise))
	for k := range c.Enterprise {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s,", k, c.Enterprise[k])
	}
	fmt.Fprintf(h, "|%q", c.Groups)
	return hex.EncodeToString(h.Sum(nil)[:12])
}
