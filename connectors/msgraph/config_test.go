package msgraph

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/connectors/msgraph/graphfake"
)

const (
	tenantGUID = "0b4c1f7e-9d3a-4e52-8f61-2a7d9c3e5b10"
	clientGUID = "7c1e3a5b-2d4f-4e6a-8b9c-0d1e2f3a4b50"
	spGUID     = "5f0a2c9e-3b7d-4a1e-9c6f-8d2e4b7a1c30"
)

func validConfig() Config {
	return Config{TenantID: tenantGUID, ClientID: clientGUID, ClientSecretEnv: "GRAPH_SECRET", ServicePrincipalID: spGUID}
}

func TestValidate(t *testing.T) {
	intp := func(n int) *int { return &n }
	tests := []struct {
		name   string
		change func(*Config)
		want   []string // each error's field prefix; nil means valid
	}{
		{"push-only", func(c *Config) { *c = Config{} }, nil},
		{"valid assigned", func(c *Config) {}, nil},
		{"valid all with options", func(c *Config) {
			c.Scope, c.ServicePrincipalID, c.UserNameAttribute = "all", "", "mail"
			c.Enterprise = map[string]string{"employeeNumber": "employeeId", "manager": "manager", "department": "department"}
			c.Groups, c.PageSize, c.MaxConcurrency, c.MaxRetries, c.RequestTimeout = []string{"eng-*", "ops"}, 500, 8, intp(0), "30s"
			c.AuthorityHost, c.GraphURL = "https://login.microsoftonline.us/", "https://graph.microsoft.us/v1.0"
		}, nil},
		{"loopback graph over http", func(c *Config) { c.GraphURL = "http://127.0.0.1:8080/v1.0" }, nil},
		{"pull settings without tenant", func(c *Config) { *c = Config{Scope: "all", PageSize: 10} }, []string{"tenant_id"}},
		{"missing ids", func(c *Config) { c.TenantID, c.ClientID = "", "" }, []string{"client_id", "tenant_id"}},
		{"ids not GUIDs", func(c *Config) { c.TenantID, c.ClientID = "contoso.onmicrosoft.com", "app" }, []string{"client_id", "tenant_id"}},
		{"no credential", func(c *Config) { c.ClientSecretEnv = ""; c.TenantID = tenantGUID }, []string{"client_secret_file"}},
		{"two credentials", func(c *Config) { c.CertificateFile = "cert.pem" }, []string{"client_secret_file"}},
		{"authority over http", func(c *Config) { c.AuthorityHost = "http://127.0.0.1:1/" }, []string{"authority_host"}},
		{"authority relative", func(c *Config) { c.AuthorityHost = "login.microsoftonline.com" }, []string{"authority_host"}},
		{"graph over http", func(c *Config) { c.GraphURL = "http://graph.microsoft.com/v1.0" }, []string{"graph_url"}},
		{"graph without version", func(c *Config) { c.GraphURL = "https://graph.microsoft.com" }, []string{"graph_url"}},
		{"graph with query", func(c *Config) { c.GraphURL = "https://graph.microsoft.com/v1.0?x=1" }, []string{"graph_url"}},
		{"bad scope", func(c *Config) { c.Scope = "everything" }, []string{"scope"}},
		{"assigned without service principal", func(c *Config) { c.ServicePrincipalID = "" }, []string{"service_principal_id"}},
		{"service principal not GUID", func(c *Config) { c.ServicePrincipalID = "dirsync" }, []string{"service_principal_id"}},
		{"bad user name attribute", func(c *Config) { c.UserNameAttribute = "upn" }, []string{"user_name_attribute"}},
		{"bad enterprise attribute", func(c *Config) { c.Enterprise = map[string]string{"badge": "employeeId"} }, []string{"enterprise.badge"}},
		{"bad enterprise property", func(c *Config) { c.Enterprise = map[string]string{"costCenter": "costCentre"} }, []string{"enterprise.costCenter"}},
		{"manager mapped to a property", func(c *Config) { c.Enterprise = map[string]string{"manager": "employeeId"} }, []string{"enterprise.manager"}},
		{"bad group pattern", func(c *Config) { c.Groups = []string{"a*b", " "} }, []string{"groups[0]", "groups[1]"}},
		{"page size", func(c *Config) { c.PageSize = 1000 }, []string{"page_size"}},
		{"concurrency", func(c *Config) { c.MaxConcurrency = -1 }, []string{"max_concurrency"}},
		{"retries", func(c *Config) { c.MaxRetries = intp(11) }, []string{"max_retries"}},
		{"timeout", func(c *Config) { c.RequestTimeout = "soon" }, []string{"request_timeout"}},
		{"everything at once", func(c *Config) {
			c.TenantID, c.Scope, c.PageSize, c.RequestTimeout = "x", "some", -1, "-1s"
		}, []string{"page_size", "request_timeout", "scope", "tenant_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.change(&c)
			err := c.Validate()
			var got []string
			if err != nil {
				for _, line := range strings.Split(err.Error(), "\n") {
					got = append(got, strings.SplitN(line, ":", 2)[0])
				}
			}
			if !sameSet(got, tt.want) {
				t.Errorf("Validate() = %v\nfields %v, want %v", err, got, tt.want)
			}
		})
	}
}

func TestPullEnabled(t *testing.T) {
	if (&Config{}).PullEnabled() {
		t.Error("empty block pulls")
	}
	if c := validConfig(); !c.PullEnabled() {
		t.Error("complete block does not pull")
	}
}

func TestDecodeHCL(t *testing.T) {
	src := `
tenant_id            = "` + tenantGUID + `"
client_id            = "` + clientGUID + `"
client_secret_file   = "graph.secret"
service_principal_id = "` + spGUID + `"
nested_groups        = true
groups               = ["eng-*"]
max_retries          = 0
enterprise = {
  employeeNumber = "employeeId"
  manager        = "manager"
}
`
	f, diags := hclparse.NewParser().ParseHCL([]byte(src), "dirsync.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var c Config
	if diags := gohcl.DecodeBody(f.Body, nil, &c); diags.HasErrors() {
		t.Fatal(diags)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.MaxRetries == nil || *c.MaxRetries != 0 || c.maxRetries() != 0 || !c.NestedGroups || c.Enterprise["manager"] != "manager" {
		t.Errorf("decoded %+v", c)
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name   string
		config Config
		want   string
	}{
		{"push-only", Config{}, "push-only"},
		{"invalid", Config{TenantID: "x"}, "tenant_id: must be a GUID"},
		{"secret file missing", func() Config {
			c := validConfig()
			c.ClientSecretEnv, c.ClientSecretFile = "", "missing.secret"
			c.SetBaseDir(t.TempDir())
			return c
		}(), "client_secret_file: read secret file"},
		{"certificate not PEM", func() Config {
			c := validConfig()
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "cert.pem"), []byte("nope"), 0o600)
			c.ClientSecretEnv, c.CertificateFile = "", "cert.pem"
			c.SetBaseDir(dir)
			return c
		}(), "certificate_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.config.Open(context.Background(), "corp", hclog.NewNullLogger())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open() error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestCertificateCredential signs in with a certificate: azidentity sends a
// PS256 client assertion the fake verifies against the registered key.
func TestCertificateCredential(t *testing.T) {
	f := startFake(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dirsync"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pemData := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})...)
	f.RegisterCertificate(graphfake.AppID, &key.PublicKey, allRoles...)
	f.AddUser(graphfake.User{UserPrincipalName: "cert@x", AccountEnabled: true})

	c := testConfig(t, f, "all")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.pem"), pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	c.ClientSecretFile, c.CertificateFile = "", "app.pem"
	c.SetBaseDir(dir)
	snap := read(t, open(t, c), connectors.ReadRequest{})
	if len(snap.Users) != 1 || snap.Users[0].UserName != "cert@x" {
		t.Errorf("users = %+v", snap.Users)
	}
	if f.TokenRequests() != 1 {
		t.Errorf("token requests = %d, want 1 (the token is cached)", f.TokenRequests())
	}
}
