package okta

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/dirsync/dirsync/connectors"
)

// maxBackoff caps the SDK's wait after a 429: Okta's windows are a minute.
const maxBackoff = 60 * time.Second

// source is one configured Okta integration.
type source struct {
	cfg    Config
	client *okta.Client
	logger hclog.Logger
	active map[string]bool
}

var (
	_ connectors.Source = (*source)(nil)
	_ connectors.Tester = (*source)(nil)
)

// Open validates the configuration, reads the credential and builds the SDK
// client with every setting explicit, so neither ~/.okta/okta.yaml nor
// OKTA_* environment variables change how the daemon behaves.
func (c *Config) Open(ctx context.Context, name string, logger hclog.Logger) (connectors.Source, error) {
	if !c.PullEnabled() {
		return nil, errors.New("okta: pulls are not configured (set org_url and credentials)")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	logger = logger.Named("okta").With("source", name)
	retries := *c.MaxRetries
	rt := &transport{
		next: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: c.requestTimeout,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   c.MaxConcurrency + 2,
			ForceAttemptHTTP2:     true,
		},
		minRemaining: *c.RateLimitMinRemaining,
		maxWait:      maxBackoff,
		logger:       logger,
		windows:      map[string]window{},
	}
	// The SDK's request timeout covers a call with all its 429 retries and
	// their backoffs; the HTTP client's covers one attempt.
	callTimeout := c.requestTimeout*time.Duration(retries+1) + maxBackoff*time.Duration(retries)
	u, _ := url.Parse(c.OrgURL) // checked by Validate
	orgURL := u.Scheme + "://" + u.Host
	setters := []okta.ConfigSetter{
		okta.WithOrgUrl(orgURL),
		okta.WithCache(false),
		okta.WithHttpClientPtr(&http.Client{Transport: rt, Timeout: c.requestTimeout}),
		okta.WithRequestTimeout(int64(math.Ceil(callTimeout.Seconds()))),
		okta.WithConnectionTimeout(int64(math.Ceil(c.requestTimeout.Seconds()))),
		okta.WithRateLimitMaxRetries(int32(retries)),
		okta.WithRateLimitMaxBackOff(int64(maxBackoff / time.Second)),
		okta.WithUserAgentExtra("dirsync"),
		// Only a loopback http URL passes Validate, so this never weakens a
		// real org's connection.
		okta.WithTestingDisableHttpsCheck(u.Scheme == "http"),
		okta.WithClientAssertion(""),
		okta.WithPrivateKeyId(""),
	}
	auth, err := c.authSetters()
	if err != nil {
		return nil, err
	}
	_, client, err := okta.NewClient(ctx, append(setters, auth...)...)
	if err != nil {
		return nil, fmt.Errorf("okta: build client: %w", err)
	}
	s := &source{cfg: *c, client: client, logger: logger, active: map[string]bool{}}
	for _, st := range c.ActiveStatuses {
		s.active[st] = true
	}
	return s, nil
}

func (c *Config) authSetters() ([]okta.ConfigSetter, error) {
	if c.ClientID == "" {
		token, err := connectors.Secret{File: c.APITokenFile, Env: c.APITokenEnv, BaseDir: c.baseDir}.Read()
		if err != nil {
			field := "api_token_file"
			if c.APITokenEnv != "" {
				field = "api_token_env"
			}
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		return []okta.ConfigSetter{okta.WithAuthorizationMode("SSWS"), okta.WithToken(token),
			okta.WithClientId(""), okta.WithScopes(nil), okta.WithPrivateKey("")}, nil
	}
	sec := connectors.Secret{File: c.PrivateKeyFile, BaseDir: c.baseDir}
	raw, err := os.ReadFile(sec.Path())
	if err != nil {
		return nil, fmt.Errorf("private_key_file: %w", err)
	}
	signer, err := newSigner(raw, c.PrivateKeyID)
	if err != nil {
		return nil, fmt.Errorf("private_key_file: %s: %w", sec.Path(), err)
	}
	return []okta.ConfigSetter{okta.WithAuthorizationMode("PrivateKey"), okta.WithToken(""),
		okta.WithClientId(c.ClientID), okta.WithScopes(c.Scopes), okta.WithPrivateKey(""),
		okta.WithPrivateKeySigner(signer)}, nil
}
