package msgraph

import (
	"context"
	"crypto/tls"
	"crypto/x509"

	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/hashicorp/go-hclog"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	azauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/dirsync/dirsync/connectors"
)

// source is one opened msgraph integration.
type source struct {
	cfg     Config
	name    string
	log     hclog.Logger
	cred    azcore.TokenCredential
	scopes  []string
	adapter *msgraphsdk.GraphRequestAdapter
	client  *msgraphsdk.GraphServiceClient
}

var (
	_ connectors.Source = (*source)(nil)
	_ connectors.Tester = (*source)(nil)
)

// Open builds the pull connector: an azidentity app credential, the Graph
// SDK's default middleware with bounded retries, and a client pointed at
// graph_url.
func (c *Config) Open(ctx context.Context, name string, logger hclog.Logger) (connectors.Source, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("msgraph source %q: %w", name, err)
	}
	if !c.PullEnabled() {
		return nil, fmt.Errorf("msgraph source %q: no tenant_id, client_id or credential: push-only integrations cannot pull", name)
	}
	registerPageErrors()
	cred, err := c.credential()
	if err != nil {
		return nil, fmt.Errorf("msgraph source %q: %w", name, err)
	}
	g, err := url.Parse(c.graphURL())
	if err != nil {
		return nil, fmt.Errorf("msgraph source %q: graph_url: %w", name, err)
	}
	scopes := []string{g.Scheme + "://" + g.Host + "/.default"}
	// The provider sends the token only to the Graph host: a nextLink to any
	// other host gets no credentials.
	auth, err := azauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred, scopes, []string{g.Hostname()})
	if err != nil {
		return nil, fmt.Errorf("msgraph source %q: auth provider: %w", name, err)
	}
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, c.httpClient())
	if err != nil {
		return nil, fmt.Errorf("msgraph source %q: request adapter: %w", name, err)
	}
	// Before NewGraphServiceClient: it copies the base URL into its path
	// parameters when built.
	adapter.SetBaseUrl(c.graphURL())
	return &source{
		cfg:     *c,
		name:    name,
		log:     logger.Named("msgraph").With("source", name),
		cred:    cred,
		scopes:  scopes,
		adapter: adapter,
		client:  msgraphsdk.NewGraphServiceClient(adapter),
	}, nil
}

func (c *Config) credential() (azcore.TokenCredential, error) {
	host := c.authorityHost()
	opts := azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: host}}
	if c.authClient != nil {
		opts.Transport = c.authClient
	} else if c.CAFile != "" {
		tlsCfg, err := c.tlsConfig()
		if err != nil {
			return nil, err
		}
		opts.Transport = &http.Client{Timeout: c.requestTimeout(), Transport: &http.Transport{
			TLSClientConfig: tlsCfg, Proxy: http.ProxyFromEnvironment}}
	}
	u, _ := url.Parse(host)
	// Instance discovery asks login.microsoft.com about the authority; a
	// loopback authority (a fake) is not known there.
	noDiscovery := u != nil && isLoopback(u.Hostname())
	if c.CertificateFile != "" {
		path := connectors.Secret{File: c.CertificateFile, BaseDir: c.baseDir}.Path()
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("certificate_file: %w", err)
		}
		certs, key, err := azidentity.ParseCertificates(data, nil)
		if err != nil {
			return nil, fmt.Errorf("certificate_file: %s: %w", path, err)
		}
		cred, err := azidentity.NewClientCertificateCredential(c.TenantID, c.ClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: noDiscovery})
		if err != nil {
			return nil, fmt.Errorf("certificate credential: %w", err)
		}
		return cred, nil
	}
	field := "client_secret_file"
	if c.ClientSecretEnv != "" {
		field = "client_secret_env"
	}
	secret, err := connectors.Secret{File: c.ClientSecretFile, Env: c.ClientSecretEnv, BaseDir: c.baseDir}.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	cred, err := azidentity.NewClientSecretCredential(c.TenantID, c.ClientID, secret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: noDiscovery})
	if err != nil {
		return nil, fmt.Errorf("client secret credential: %w", err)
	}
	return cred, nil
}

// httpClient is the SDK's default client and middleware with our retry
// bounds, a request counter, and a connection pool sized for the member
// reads that run in parallel.
func (c *Config) httpClient() *http.Client {
	opts := msgraphsdk.GetDefaultClientOptions()
	mws := msgraphcore.GetDefaultMiddlewaresWithOptions(&opts)
	retries := c.maxRetries()
	for i, m := range mws {
		switch m.(type) {
		case *khttp.RetryHandler, khttp.RetryHandler:
			mws[i] = khttp.NewRetryHandlerWithOptions(khttp.RetryHandlerOptions{
				MaxRetries: max(retries, 1),
				// Retries honour Retry-After; kiota also caps the total wait
				// at 180 s. ShouldRetry must not be nil (it would panic).
				ShouldRetry: func(_ time.Duration, attempt int, _ *http.Request, _ *http.Response) bool {
					return attempt < retries
				},
			})
		}
	}
	// Last, so that it sees every attempt the retry handler makes.
	mws = append(mws, counter{})
	hc := msgraphcore.GetDefaultClient(&opts, mws...)
	tr := khttp.GetDefaultTransport()
	if t, ok := tr.(*http.Transport); ok {
		t.MaxIdleConnsPerHost = 2 * c.concurrency()
		if tlsCfg, err := c.tlsConfig(); err == nil && tlsCfg != nil {
			t.TLSClientConfig = tlsCfg
		}
	}
	hc.Transport = khttp.NewCustomTransportWithParentTransport(tr, mws...)
	hc.Timeout = c.requestTimeout()
	return hc
}

// counter counts HTTP requests, retries included, into the *atomic.Int64 a
// Read puts in the request context.
type counter struct{}

type counterKey struct{}

func (counter) Intercept(p khttp.Pipeline, i int, req *http.Request) (*http.Response, error) {
	c, ok := req.Context().Value(counterKey{}).(*counts)
	if ok {
		c.requests.Add(1)
	}
	resp, err := p.Next(req, i)
	if ok && err == nil && (resp.StatusCode == http.StatusTooManyRequests ||
		(resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "")) {
		c.throttled.Add(1)
	}
	return resp, err
}

// counts are the requests and throttled responses of one read.
type counts struct {
	requests, throttled atomic.Int64
}

func withCounter(ctx context.Context) (context.Context, *counts) {
	c := new(counts)
	return context.WithValue(ctx, counterKey{}, c), c
}

// pageErrors registers, once per process, how the SDK's PageIterator decodes
// a failed page after the first: unregistered, such errors lose their OData
// code. The registry is the SDK's own global, and its lazy initialisation is
// racy (unsynchronised double-checked locking); doing it once here, before
// any iterator runs, also keeps that race away.
var pageErrors sync.Once

func registerPageErrors() {
	pageErrors.Do(func() {
		_ = msgraphcore.RegisterError(msgraphcore.PageIteratorErrorRegistryKey,
			abstractions.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue})
	})
}

// tlsConfig trusts the system roots plus ca_file; nil when ca_file is unset.
func (c *Config) tlsConfig() (*tls.Config, error) {
	if c.CAFile == "" {
		return nil, nil
	}
	path := connectors.Secret{File: c.CAFile, BaseDir: c.baseDir}.Path()
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ca_file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca_file: %s holds no PEM certificate", path)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}
