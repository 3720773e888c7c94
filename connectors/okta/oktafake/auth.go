package oktafake

import (
	"crypto"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v3/jwt"
)

// Scopes the read endpoints require, as Okta's OAuth for Okta APIs names them.
const (
	ScopeUsersRead  = "okta.users.read"
	ScopeGroupsRead = "okta.groups.read"
	ScopeAppsRead   = "okta.apps.read"
)

const tokenPath = "/oauth2/v1/token"

type grant struct {
	scopes  []string // nil: every permission (an admin's API token)
	expires time.Time
}

type client struct {
	key    crypto.PublicKey
	scopes []string
}

type authState struct {
	mu      sync.Mutex
	api     map[string]grant  // SSWS tokens
	clients map[string]client // OAuth service apps by client id
	access  map[string]grant  // Bearer access tokens issued
}

func newAuthState() authState {
	return authState{api: map[string]grant{}, clients: map[string]client{}, access: map[string]grant{}}
}

// AddToken registers an SSWS API token. With no scopes it has every read
// permission, like a super admin's token; with scopes it only has those,
// which models an admin role that lacks, say, group access.
func (o *Org) AddToken(token string, scopes ...string) {
	o.auth.mu.Lock()
	defer o.auth.mu.Unlock()
	g := grant{}
	if len(scopes) > 0 {
		g.scopes = slices.Clone(scopes)
	}
	o.auth.api[token] = g
}

// AddClient registers an OAuth service app using private_key_jwt client
// authentication with key, and the scopes granted to it.
func (o *Org) AddClient(clientID string, key crypto.PublicKey, scopes ...string) {
	o.auth.mu.Lock()
	defer o.auth.mu.Unlock()
	o.auth.clients[clientID] = client{key: key, scopes: slices.Clone(scopes)}
}

// authorize checks the Authorization header for an endpoint needing scope
// and writes Okta's 401/403 when it fails.
func (o *Org) authorize(w http.ResponseWriter, r *http.Request, scope string) bool {
	kind, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	o.auth.mu.Lock()
	var g grant
	var ok bool
	switch kind {
	case "SSWS":
		g, ok = o.auth.api[token]
	case "Bearer":
		g, ok = o.auth.access[token]
		ok = ok && o.now().Before(g.expires)
	}
	o.auth.mu.Unlock()
	bearer := func(code, desc string) {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(
			`Bearer authorization_uri="%s/oauth2/v1/authorize", realm="%s", scope="%s", error="%s", error_description="%s", resource="%s"`,
			baseURL(r), baseURL(r), scope, code, desc, r.URL.Path))
	}
	if !ok {
		if kind == "Bearer" {
			bearer("invalid_token", "The token is not valid as it was issued for a different authorization server or has expired.")
		}
		writeError(w, http.StatusUnauthorized, "E0000011", "Invalid token provided")
		return false
	}
	if g.scopes != nil && !slices.Contains(g.scopes, scope) {
		if kind == "Bearer" {
			bearer("insufficient_scope", "The access token provided does not contain the required scopes.")
		}
		writeError(w, http.StatusForbidden, "E0000006", "You do not have permission to perform the requested action")
		return false
	}
	return true
}

// serveToken is the org authorization server's token endpoint, for the
// client_credentials grant with a private_key_jwt client assertion. Like the
// SDK, it accepts the parameters in the query string as well as in the body.
func (o *Org) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, "invalid_request", "The request could not be parsed.")
		return
	}
	if r.Form.Get("grant_type") != "client_credentials" {
		writeOAuthError(w, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
		return
	}
	if r.Form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		writeOAuthError(w, "invalid_client", "The client_assertion_type is invalid.")
		return
	}
	tok, err := jwt.ParseSigned(r.Form.Get("client_assertion"))
	if err != nil {
		writeOAuthError(w, "invalid_client", "The client_assertion is not a valid JWT.")
		return
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		writeOAuthError(w, "invalid_client", "The client_assertion is not a valid JWT.")
		return
	}
	o.auth.mu.Lock()
	c, ok := o.auth.clients[unverified.Issuer]
	o.auth.mu.Unlock()
	if !ok {
		writeOAuthError(w, "invalid_client", "The client_id is invalid.")
		return
	}
	var claims jwt.Claims
	if err := tok.Claims(c.key, &claims); err != nil {
		writeOAuthError(w, "invalid_client", "The client_assertion signature is invalid.")
		return
	}
	want := jwt.Expected{Issuer: unverified.Issuer, Subject: unverified.Issuer,
		Audience: jwt.Audience{baseURL(r) + tokenPath}, Time: o.now()}
	if claims.Expiry == nil || claims.ValidateWithLeeway(want, 30*time.Second) != nil {
		writeOAuthError(w, "invalid_client", "The client_assertion token is expired or has an invalid iss, sub or aud.")
		return
	}
	requested := strings.Fields(r.Form.Get("scope"))
	if len(requested) == 0 {
		writeOAuthError(w, "invalid_scope", "The authorization server resource does not have any configured default scopes, 'scope' must be provided.")
		return
	}
	var missing []string
	for _, s := range requested {
		if !slices.Contains(c.scopes, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		writeOAuthError(w, "invalid_scope", "The following scopes are not granted to the client: "+strings.Join(missing, " "))
		return
	}
	buf := make([]byte, 24)
	_, _ = rand.Read(buf)
	access := hex.EncodeToString(buf)
	o.auth.mu.Lock()
	o.auth.access[access] = grant{scopes: requested, expires: o.now().Add(time.Hour)}
	o.auth.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3600,
		"access_token": access, "scope": strings.Join(requested, " ")})
}

func writeOAuthError(w http.ResponseWriter, code, desc string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
}
