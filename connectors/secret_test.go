package connectors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretRead(t *testing.T) {
	base, creds := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(base, "tok"), []byte("from-base\n"), 0o600)
	os.WriteFile(filepath.Join(base, "shadowed"), []byte("from-base"), 0o600)
	os.WriteFile(filepath.Join(creds, "shadowed"), []byte("  from-credentials  "), 0o600)
	os.WriteFile(filepath.Join(base, "empty"), []byte("\n"), 0o600)
	abs := filepath.Join(base, "tok")
	t.Setenv("CREDENTIALS_DIRECTORY", creds)
	t.Setenv("DIRSYNC_TEST_SECRET", "from-env")
	t.Setenv("DIRSYNC_TEST_EMPTY", " ")
	tests := []struct {
		name    string
		s       Secret
		want    string
		wantErr string
	}{
		{"relative to the config file", Secret{File: "tok", BaseDir: base}, "from-base", ""},
		{"absolute path", Secret{File: abs, BaseDir: "/nowhere"}, "from-base", ""},
		{"systemd credential wins", Secret{File: "shadowed", BaseDir: base}, "from-credentials", ""},
		{"environment variable", Secret{Env: "DIRSYNC_TEST_SECRET"}, "from-env", ""},
		{"unset variable", Secret{Env: "DIRSYNC_TEST_UNSET"}, "", "DIRSYNC_TEST_UNSET is not set"},
		{"empty variable", Secret{Env: "DIRSYNC_TEST_EMPTY"}, "", "DIRSYNC_TEST_EMPTY is empty"},
		{"missing file", Secret{File: "nope", BaseDir: base}, "", "nope"},
		{"empty file", Secret{File: "empty", BaseDir: base}, "", "is empty"},
		{"both set", Secret{File: "tok", Env: "X", BaseDir: base}, "", "not both"},
		{"nothing set", Secret{}, "", "no secret file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.s.Read()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "from-") {
					t.Fatal("an error leaks the secret")
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Read() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
