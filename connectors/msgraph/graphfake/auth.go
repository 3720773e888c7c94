package graphfake

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// authorize checks the bearer token and returns its roles, or writes Graph's
// 401.
func (f *Fake) authorize(w http.ResponseWriter, r *http.Request) ([]string, bool) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
		return nil, false
	}
	f.mu.Lock()
	roles, ok := f.tokens[tok]
	f.mu.Unlock()
	if !ok {
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
		return nil, false
	}
	return roles, true
}

// LoginHandler serves the Entra login endpoint for the fake tenant: OpenID
// discovery and the client credentials grant with a client secret or a
// certificate-signed client assertion.
func (f *Fake) LoginHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		tenant := r.PathValue("tenant")
		if tenant != TenantID {
			tokenError(w, http.StatusBadRequest, "invalid_tenant", "AADSTS90002: Tenant '"+tenant+"' not found.")
			return
		}
		base := "https://" + r.Host + "/" + tenant
		writeJSON(w, map[string]any{
			"token_endpoint":                        base + "/oauth2/v2.0/token",
			"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
			"issuer":                                base + "/v2.0",
			"jwks_uri":                              base + "/discovery/v2.0/keys",
			"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
			"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		})
	})
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", f.serveToken)
	return mux
}

func tokenError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": code, "error_description": desc, "error_codes": []int{}})
}

func (f *Fake) serveToken(w http.ResponseWriter, r *http.Request) {
	f.tokenReq.Add(1)
	if r.PathValue("tenant") != TenantID {
		tokenError(w, http.StatusBadRequest, "invalid_request", "AADSTS90002: Tenant '"+r.PathValue("tenant")+"' not found.")
		return
	}
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "AADSTS900144: malformed request body.")
		return
	}
	if g := r.PostForm.Get("grant_type"); g != "client_credentials" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "AADSTS70003: grant type "+g+" is not supported.")
		return
	}
	if !defaultScope(r.PostForm.Get("scope")) {
		tokenError(w, http.StatusBadRequest, "invalid_scope", "AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.")
		return
	}
	id := r.PostForm.Get("client_id")
	f.mu.Lock()
	c, ok := f.clients[id]
	f.mu.Unlock()
	if !ok {
		tokenError(w, http.StatusBadRequest, "unauthorized_client", "AADSTS700016: Application with identifier '"+id+"' was not found in the directory.")
		return
	}
	var err error
	switch {
	case r.PostForm.Get("client_secret") != "":
		if c.secret == "" || r.PostForm.Get("client_secret") != c.secret {
			err = errors.New("AADSTS7000215: Invalid client secret provided.")
		}
	case r.PostForm.Get("client_assertion") != "":
		err = verifyAssertion(r.PostForm.Get("client_assertion"), c.certs)
	default:
		err = errors.New("AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
	}
	if err != nil {
		tokenError(w, http.StatusUnauthorized, "invalid_client", err.Error())
		return
	}
	f.mu.Lock()
	tok := id + "." + newGUID()
	f.tokens[tok] = c.roles
	f.mu.Unlock()
	writeJSON(w, map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": tok})
}

// verifyAssertion checks a client assertion's PS256 or RS256 signature
// against the registered certificates' keys.
func verifyAssertion(jwt string, keys []any) error {
	bad := errors.New("AADSTS700027: Client assertion failed signature validation.")
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return bad
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return bad
	}
	var hdr struct{ Alg string }
	if json.Unmarshal(hb, &hdr) != nil {
		return bad
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return bad
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	for _, k := range keys {
		pub, ok := k.(*rsa.PublicKey)
		if !ok {
			continue
		}
		switch hdr.Alg {
		case "PS256":
			err = rsa.VerifyPSS(pub, crypto.SHA256, sum[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
		case "RS256":
			err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
		default:
			return errors.New("AADSTS5002738: Invalid JWT token. '" + hdr.Alg + "' is not a supported signature algorithm.")
		}
		if err == nil {
			return nil
		}
	}
	return bad
}

// defaultScope reports whether a client credentials scope names a resource's
// /.default (MSAL may add its own scopes, such as openid, beside it).
func defaultScope(scope string) bool {
	for _, s := range strings.Fields(scope) {
		if strings.HasSuffix(s, "/.default") {
			return true
		}
	}
	return false
}
