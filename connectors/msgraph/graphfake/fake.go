package graphfake

import (
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
)

// Well-known values of the fake tenant.
const (
	TenantID = "0b4c1f7e-9d3a-4e52-8f61-2a7d9c3e5b10"
	// ServicePrincipalID is the objectId of the application's service
	// principal in the tenant; AppID is its appId (the client_id).
	ServicePrincipalID = "5f0a2c9e-3b7d-4a1e-9c6f-8d2e4b7a1c30"
	AppID              = "7c1e3a5b-2d4f-4e6a-8b9c-0d1e2f3a4b50"
)

// Permissions the fake enforces, as application roles in the token.
const (
	UserReadAll        = "User.Read.All"
	GroupReadAll       = "Group.Read.All"
	GroupMemberReadAll = "GroupMember.Read.All"
	AppReadAll         = "Application.Read.All"
	DirectoryReadAll   = "Directory.Read.All"
)

// Fake is a running fake Graph: a tenant, the Graph API over plain HTTP and
// the Entra login endpoint over HTTPS (azidentity insists on https).
type Fake struct {
	*Tenant

	graph, login *httptest.Server

	mu      sync.Mutex
	clients map[string]*client // client_id -> registration
	tokens  map[string][]string
	faults  []*faultState
	// DeltaPageSize is how many objects a delta page carries when the client
	// sends no Prefer: odata.maxpagesize; Graph's own default is about 100-200.
	deltaPageSize int
	// membersPerItem splits initial members@delta lists longer than this
	// over several items of the same group; 0 never splits.
	membersPerItem int

	requests atomic.Int64
	byKind   sync.Map // route kind -> *atomic.Int64
	tokenReq atomic.Int64
}

type client struct {
	secret string
	certs  []any // public keys accepted for client assertions
	roles  []string
}

// New returns a fake with an empty tenant and the application registered with
// no credentials yet; call Start or Listen to serve it.
func New() *Fake {
	return &Fake{
		Tenant:        newTenant(ServicePrincipalID, AppID),
		clients:       map[string]*client{},
		tokens:        map[string][]string{},
		deltaPageSize: 200,
	}
}

// SetDeltaPageSize sets the default page size of delta responses.
func (f *Fake) SetDeltaPageSize(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deltaPageSize = n
}

// SplitDeltaMembers makes the initial groups delta spread member lists
// longer than n over several items of the same group, as Graph does for
// large groups; 0 turns it off.
func (f *Fake) SplitDeltaMembers(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.membersPerItem = n
}

// Start serves the fake on ephemeral loopback ports.
func (f *Fake) Start() {
	f.graph = httptest.NewServer(f.GraphHandler())
	f.login = httptest.NewTLSServer(f.LoginHandler())
}

// Listen serves the Graph API on graphAddr (plain HTTP) and the login
// endpoint on loginAddr (HTTPS with a self-signed certificate), for a
// standalone demo. Both addresses must be loopback. It returns the Graph base
// URL (with /v1.0) and the authority host URL.
func (f *Fake) Listen(graphAddr, loginAddr string) (graphURL, authorityURL string, err error) {
	for _, a := range []string{graphAddr, loginAddr} {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			return "", "", fmt.Errorf("listen %q: %w", a, err)
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return "", "", fmt.Errorf("listen %q: not a loopback address", a)
		}
	}
	gl, err := net.Listen("tcp", graphAddr)
	if err != nil {
		return "", "", fmt.Errorf("listen graph: %w", err)
	}
	ll, err := net.Listen("tcp", loginAddr)
	if err != nil {
		gl.Close()
		return "", "", fmt.Errorf("listen login: %w", err)
	}
	f.graph = httptest.NewUnstartedServer(f.GraphHandler())
	f.graph.Listener.Close()
	f.graph.Listener = gl
	f.graph.Start()
	f.login = httptest.NewUnstartedServer(f.LoginHandler())
	f.login.Listener.Close()
	f.login.Listener = ll
	f.login.StartTLS()
	return f.GraphURL(), f.AuthorityURL(), nil
}

// Close stops both servers.
func (f *Fake) Close() {
	if f.graph != nil {
		f.graph.CloseClientConnections()
		f.graph.Close()
	}
	if f.login != nil {
		f.login.Close()
	}
}

// URL is the Graph server's root, e.g. http://127.0.0.1:1234.
func (f *Fake) URL() string { return f.graph.URL }

// GraphURL is the Graph base URL including the version, as graph_url.
func (f *Fake) GraphURL() string { return f.graph.URL + "/v1.0" }

// AuthorityURL is the authority host for azidentity, with a trailing slash.
func (f *Fake) AuthorityURL() string { return f.login.URL + "/" }

// LoginClient is an HTTP client trusting the login server's certificate, to
// pass as the credential's transport.
func (f *Fake) LoginClient() *http.Client { return f.login.Client() }

// LoginCertificatePEM is the login server's self-signed certificate in PEM,
// for a connector's ca_file (the demo writes it to a file).
func (f *Fake) LoginCertificatePEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.login.Certificate().Raw})
}

// RegisterSecret sets the application's client secret and the application
// permissions (roles) its tokens carry.
func (f *Fake) RegisterSecret(clientID, secret string, roles ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.client(clientID)
	c.secret, c.roles = secret, roles
}

// RegisterCertificate accepts client assertions signed by the key of pub (an
// *rsa.PublicKey) for clientID, with the given roles.
func (f *Fake) RegisterCertificate(clientID string, pub any, roles ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.client(clientID)
	c.certs, c.roles = append(c.certs, pub), roles
}

// SetRoles changes the permissions of tokens issued from now on and of
// tokens already issued to clientID (Graph re-evaluates consent lazily; the
// fake does it at once so tests need no new token).
func (f *Fake) SetRoles(clientID string, roles ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.client(clientID).roles = roles
	for tok := range f.tokens {
		if strings.HasPrefix(tok, clientID+".") {
			f.tokens[tok] = roles
		}
	}
}

// IssueToken returns a bearer token with the given roles without going
// through the login endpoint, for plain-HTTP tests.
func (f *Fake) IssueToken(roles ...string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	tok := "static." + newGUID()
	f.tokens[tok] = roles
	return tok
}

func (f *Fake) client(id string) *client {
	c, ok := f.clients[id]
	if !ok {
		c = &client{}
		f.clients[id] = c
	}
	return c
}

// Requests returns how many Graph API requests the fake received (token
// requests excluded), faults and retries included.
func (f *Fake) Requests() int { return int(f.requests.Load()) }

// RequestsFor returns how many Graph requests hit a route kind: "users",
// "user", "users.delta", "groups", "group", "groups.delta", "members",
// "transitiveMembers", "servicePrincipal", "appRoleAssignedTo".
func (f *Fake) RequestsFor(kind string) int {
	if v, ok := f.byKind.Load(kind); ok {
		return int(v.(*atomic.Int64).Load())
	}
	return 0
}

// TokenRequests returns how many tokens the login endpoint issued or refused.
func (f *Fake) TokenRequests() int { return int(f.tokenReq.Load()) }

func (f *Fake) count(kind string) {
	v, _ := f.byKind.LoadOrStore(kind, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}
