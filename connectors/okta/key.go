package okta

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/go-jose/go-jose/v3"
)

// newSigner builds the client-assertion signer from a private key file. The
// SDK's own parser only takes PKCS#1 RSA PEM, but Okta's admin console hands
// out JWKs and most tools write PKCS#8, so we parse the key ourselves.
func newSigner(raw []byte, kid string) (jose.Signer, error) {
	var key any
	if trimmed := bytes.TrimSpace(raw); bytes.HasPrefix(trimmed, []byte("{")) {
		var jwk jose.JSONWebKey
		if err := json.Unmarshal(trimmed, &jwk); err != nil {
			return nil, fmt.Errorf("parse JWK: %w", err)
		}
		if jwk.IsPublic() {
			return nil, errors.New("the JWK is a public key; the private key is needed")
		}
		key = jwk.Key
		if kid == "" {
			kid = jwk.KeyID
		}
	} else {
		block, _ := pem.Decode(trimmed)
		if block == nil {
			return nil, errors.New("no PEM block or JWK found")
		}
		var err error
		switch block.Type {
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		default:
			return nil, fmt.Errorf("unsupported PEM block %q", block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", block.Type, err)
		}
	}
	var alg jose.SignatureAlgorithm
	switch k := key.(type) {
	case *rsa.PrivateKey:
		alg = jose.RS256
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			alg = jose.ES256
		case elliptic.P384():
			alg = jose.ES384
		case elliptic.P521():
			alg = jose.ES512
		default:
			return nil, errors.New("unsupported elliptic curve")
		}
	default:
		return nil, fmt.Errorf("unsupported key type %T (RSA or EC needed)", key)
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		return nil, fmt.Errorf("build signer: %w", err)
	}
	return s, nil
}
