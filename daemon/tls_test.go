package daemon

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeCert writes a self-signed certificate for 127.0.0.1 with serial to
// dir and returns it.
func writeCert(t *testing.T, dir string, serial int64) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "dirsync test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("cert.pem", "CERTIFICATE", der)
	write("key.pem", "EC PRIVATE KEY", keyDER)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestSCIMOverTLS(t *testing.T) {
	dir := t.TempDir()
	first := writeCert(t, dir, 1)
	cfg := testConfig(t, "")
	cfg.SCIM.TLSCertFile, cfg.SCIM.TLSKeyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	scim := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	d := start(t, Options{Config: cfg, Sync: (&fakeSync{}).sync, SCIM: scim})

	// dial connects with a fresh connection and returns the server's serial.
	dial := func(trust *x509.Certificate, maxVersion uint16) (int64, error) {
		pool := x509.NewCertPool()
		pool.AddCert(trust)
		conn, err := tls.Dial("tcp", d.SCIMAddr(), &tls.Config{RootCAs: pool, MaxVersion: maxVersion})
		if err != nil {
			return 0, err
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64(), nil
	}
	if serial, err := dial(first, 0); err != nil || serial != 1 {
		t.Fatalf("TLS dial = serial %d, %v; want the configured certificate", serial, err)
	}
	if _, err := dial(first, tls.VersionTLS11); err == nil {
		t.Error("a TLS 1.1 client was accepted; want TLS 1.2 or later only")
	}
	pool := x509.NewCertPool()
	pool.AddCert(first)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + d.SCIMAddr() + "/scim/x/v2/Users")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTeapot {
		t.Errorf("SCIM over TLS = %d, want the handler's 418", resp.StatusCode)
	}

	// A renewed certificate is served after Reload, on the same listener.
	second := writeCert(t, dir, 2)
	if err := d.Reload(cfg, nil, nil); err != nil {
		t.Fatal(err)
	}
	if serial, err := dial(second, 0); err != nil || serial != 2 {
		t.Errorf("after reload TLS dial = serial %d, %v; want the renewed certificate", serial, err)
	}
}
