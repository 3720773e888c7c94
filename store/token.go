package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// tokenPrefix makes a leaked token recognisable to secret scanners.
const tokenPrefix = "dsk_"

// ErrTokenExists is returned by CreateToken when the integration already has
// a token; replacing one is a deliberate reset.
var ErrTokenExists = errors.New("integration already has a provisioning token")

// Integration is a configured source as the store knows it.
type Integration struct {
	Name         string    `json:"integration"`
	Type         string    `json:"type"`
	HasToken     bool      `json:"has_token"`
	TokenCreated time.Time `json:"token_created,omitempty"`
}

func newToken() (string, error) {
	b := make([]byte, 32) // 256 bits of entropy
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// CreateToken issues the first provisioning token of an integration and
// returns it; only its SHA-256 hash is stored. It fails with ErrTokenExists
// when one exists.
func (t *Tx) CreateToken(ctx context.Context, integration, typ string) (string, error) {
	return t.setToken(ctx, integration, typ, false)
}

// ResetToken replaces an integration's token (or issues the first one). The
// old token stops verifying as soon as the transaction commits: verification
// reads the hash on every request, nothing caches it.
func (t *Tx) ResetToken(ctx context.Context, integration, typ string) (string, error) {
	return t.setToken(ctx, integration, typ, true)
}

func (t *Tx) setToken(ctx context.Context, integration, typ string, reset bool) (string, error) {
	if err := t.mustWrite(); err != nil {
		return "", err
	}
	var existing []byte
	err := t.queryRow(ctx, "SELECT token_hash FROM integrations WHERE name = ?", integration).Scan(&existing)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read integration %s: %w", integration, err)
	}
	if len(existing) > 0 && !reset {
		return "", fmt.Errorf("integration %s: %w (use reset to replace it)", integration, ErrTokenExists)
	}
	tok, err := newToken()
	if err != nil {
		return "", err
	}
	now := formatTime(t.now)
	_, err = t.exec(ctx, `INSERT INTO integrations (name, type, token_hash, token_created, created)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET type = excluded.type,
		token_hash = excluded.token_hash, token_created = excluded.token_created`,
		integration, typ, hashToken(tok), now, now)
	if err != nil {
		return "", fmt.Errorf("store token of %s: %w", integration, err)
	}
	action := "token.create"
	if len(existing) > 0 {
		action = "token.reset"
	}
	if err := t.audit(ctx, action, "integration", integration, integration, nil, nil); err != nil {
		return "", err
	}
	return tok, nil
}

// VerifyToken reports whether tok is the current token of integration. The
// comparison is constant-time; an integration without a token accepts none.
func (s *Store) VerifyToken(ctx context.Context, integration, tok string) (bool, error) {
	var stored []byte
	err := s.verifyToken.QueryRowContext(ctx, integration).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("verify token of %s: %w", integration, err)
	}
	if len(stored) != sha256.Size || tok == "" {
		return false, nil
	}
	return subtle.ConstantTimeCompare(stored, hashToken(tok)) == 1, nil
}

// Integrations lists the integrations that have been given a token.
func (s *Store) Integrations(ctx context.Context) ([]Integration, error) {
	rows, err := s.reader.QueryContext(ctx,
		"SELECT name, type, token_hash IS NOT NULL, COALESCE(token_created, '') FROM integrations ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	defer rows.Close()
	var out []Integration
	for rows.Next() {
		var (
			in  Integration
			crt string
		)
		if err := rows.Scan(&in.Name, &in.Type, &in.HasToken, &crt); err != nil {
			return nil, fmt.Errorf("list integrations: %w", err)
		}
		in.TokenCreated = parseTime(crt)
		out = append(out, in)
	}
	return out, rows.Err()
}
