package scim

import (
	"context"
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

	"github.com/hashicorp/go-hclog"
)

// writeCert writes a self-signed certificate for 127.0.0.1 and returns the
// file paths and a pool that trusts it.
func writeCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestServeTLSAndShutdown(t *testing.T) {
	certFile, keyFile, pool := writeCert(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	go func() {
		done <- Serve(ctx, ln, h, ServeConfig{TLSCertFile: certFile, TLSKeyFile: keyFile}, hclog.NewNullLogger())
	}()
	url := "https://" + ln.Addr().String() + "/"

	modern := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := modern.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTeapot || res.TLS == nil || res.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("status %d, TLS %+v", res.StatusCode, res.TLS)
	}
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}}}
	if _, err := old.Get(url); err == nil {
		t.Fatal("a TLS 1.1 client was served")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after cancel: %v", err)
	}
}

func TestListenAndServeErrors(t *testing.T) {
	ctx := context.Background()
	if err := ListenAndServe(ctx, http.NotFoundHandler(), ServeConfig{Addr: "127.0.0.1:0", TLSCertFile: "x"}, hclog.NewNullLogger()); err == nil {
		t.Fatal("a certificate without a key was accepted")
	}
	err := ListenAndServe(ctx, http.NotFoundHandler(), ServeConfig{Addr: "127.0.0.1:0", TLSCertFile: "/nonexistent/c", TLSKeyFile: "/nonexistent/k"}, hclog.NewNullLogger())
	if err == nil {
		t.Fatal("a missing certificate was accepted")
	}
	srv := NewHTTPServer(http.NotFoundHandler(), "127.0.0.1:0", hclog.NewNullLogger())
	if srv.ReadHeaderTimeout == 0 || srv.ReadTimeout == 0 || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 || srv.TLSConfig.MinVersion != tls.VersionTLS12 {
		t.Fatalf("server not hardened: %+v", srv)
	}
}
