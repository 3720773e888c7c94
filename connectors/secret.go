package connectors

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Secret names where a credential comes from, so that no secret ever has to be
// written inline in the configuration file. Exactly one of File and Env is set.
type Secret struct {
	// File is a path to a file holding the secret. A relative path is looked up
	// in systemd's $CREDENTIALS_DIRECTORY first (LoadCredential=), then
	// relative to BaseDir, the directory of the configuration file.
	File string
	// Env is the name of an environment variable holding the secret.
	Env string
	// BaseDir resolves relative File paths when no credential matches.
	BaseDir string
}

// IsSet reports whether any source for the secret is configured.
func (s Secret) IsSet() bool { return s.File != "" || s.Env != "" }

// Read returns the secret with surrounding white space trimmed. Errors name
// the file or variable but never contain the secret.
func (s Secret) Read() (string, error) {
	switch {
	case s.File != "" && s.Env != "":
		return "", errors.New("set either a file or an environment variable, not both")
	case s.Env != "":
		v, ok := os.LookupEnv(s.Env)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", s.Env)
		}
		if v = strings.TrimSpace(v); v == "" {
			return "", fmt.Errorf("environment variable %s is empty", s.Env)
		}
		return v, nil
	case s.File != "":
		path := s.Path()
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("read secret file: %w", err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("secret file %s is empty", path)
		}
		return v, nil
	default:
		return "", errors.New("no secret file or environment variable configured")
	}
}

// Path is the file Read would open: a systemd credential when one of that name
// exists, else File resolved against BaseDir.
func (s Secret) Path() string {
	if s.File == "" || filepath.IsAbs(s.File) {
		return s.File
	}
	if dir := os.Getenv("CREDENTIALS_DIRECTORY"); dir != "" {
		p := filepath.Join(dir, s.File)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return filepath.Join(s.BaseDir, s.File)
}
