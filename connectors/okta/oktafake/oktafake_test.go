package oktafake_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/dirsync/dirsync/connectors/okta/oktafake"
)

const token = "test-token"

func serve(t *testing.T, o *oktafake.Org) string {
	t.Helper()
	srv := httptest.NewServer(o.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// sdk builds the real SDK client the way the connector does: nothing left to
// the SDK's defaults, its cache off.
func sdk(t *testing.T, url string, extra ...okta.ConfigSetter) *okta.Client {
	t.Helper()
	setters := append([]okta.ConfigSetter{
		okta.WithOrgUrl(url), okta.WithToken(token), okta.WithAuthorizationMode("SSWS"),
		okta.WithCache(false), okta.WithHttpClientPtr(&http.Client{Timeout: 10 * time.Second}),
		okta.WithTestingDisableHttpsCheck(true), okta.WithRequestTimeout(30),
		okta.WithRateLimitMaxRetries(3), okta.WithRateLimitMaxBackOff(2),
	}, extra...)
	_, c, err := okta.NewClient(context.Background(), setters...)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	return c
}

func listAllUsers(ctx context.Context, c *okta.Client, qp *query.Params) ([]string, int, error) {
	users, resp, err := c.User.ListUsers(ctx, qp)
	pages := 1
	for err == nil && resp.HasNextPage() {
		var next []*okta.User
		resp, err = resp.Next(ctx, &next)
		users = append(users, next...)
		pages++
	}
	var ids []string
	for _, u := range users {
		ids = append(ids, u.Id)
	}
	return ids, pages, err
}

func smallOrg(t *testing.T) (*oktafake.Org, []string) {
	t.Helper()
	o := oktafake.New()
	o.AddToken(token)
	var ids []string
	for i, st := range []string{"ACTIVE", "ACTIVE", "SUSPENDED", "DEPROVISIONED", "STAGED"} {
		ids = append(ids, o.AddUser(oktafake.User{Status: st, Profile: map[string]any{
			"login": "u" + string(rune('a'+i)) + "@example.com", "firstName": "F", "lastName": "L", "displayName": nil}}))
	}
	return o, ids
}

func TestPaginationThroughSDK(t *testing.T) {
	o := oktafake.Generate(1, 25, 3, 30)
	o.AddToken(token)
	url := serve(t, o)
	ids, pages, err := listAllUsers(context.Background(), sdk(t, url), query.NewQueryParams(query.WithLimit(10)))
	if err != nil {
		t.Fatalf("list users: %v", err)
	}
	var want []string
	for _, id := range o.UserIDs() {
		if u, _ := o.User(id); u.Status != oktafake.StatusDeprovisioned {
			want = append(want, id)
		}
	}
	if !slices.Equal(ids, want) {
		t.Errorf("listed %d users, want %d (%v vs %v)", len(ids), len(want), ids, want)
	}
	if wantPages := (len(want)+9)/10 + 0; pages < wantPages {
		t.Errorf("pages = %d, want at least %d", pages, wantPages)
	}
}

func TestLinkHeadersAreSeparateLines(t *testing.T) {
	o, _ := smallOrg(t)
	url := serve(t, o)
	req, _ := http.NewRequest("GET", url+"/api/v1/users?limit=1", nil)
	req.Header.Set("Authorization", "SSWS "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	links := resp.Header.Values("Link")
	if len(links) != 2 || !strings.Contains(links[0], `rel="self"`) || !strings.Contains(links[1], `rel="next"`) {
		t.Errorf("Link headers = %q, want a self line and a next line", links)
	}
	for _, h := range []string{"Date", "X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("header %s missing", h)
		}
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestFilterAndSearch(t *testing.T) {
	o, ids := smallOrg(t)
	o.SetClock(func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) })
	if err := o.RenameLogin(ids[1], "renamed@example.com"); err != nil {
		t.Fatal(err)
	}
	c := sdk(t, serve(t, o))
	tests := []struct {
		name string
		qp   *query.Params
		want []string
	}{
		{"plain list hides deprovisioned", nil, []string{ids[0], ids[1], ids[2], ids[4]}},
		{"search deprovisioned", &query.Params{Search: `status eq "DEPROVISIONED"`}, []string{ids[3]}},
		{"filter lastUpdated", &query.Params{Filter: `lastUpdated gt "2029-12-31T00:00:00.000Z"`}, []string{ids[1]}},
		{"or", &query.Params{Filter: `status eq "STAGED" or status eq "SUSPENDED"`}, []string{ids[2], ids[4]}},
		{"login", &query.Params{Filter: `profile.login eq "renamed@example.com"`}, []string{ids[1]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := listAllUsers(context.Background(), c, tt.qp)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("bad filter", func(t *testing.T) {
		_, resp, err := c.User.ListUsers(context.Background(), &query.Params{Filter: `nonsense gt`})
		var oe *okta.Error
		if !errors.As(err, &oe) || oe.ErrorCode != "E0000031" || resp.StatusCode != 400 {
			t.Errorf("err = %v, want E0000031", err)
		}
	})
}

func TestThrottleRetriedBySDK(t *testing.T) {
	o, _ := smallOrg(t)
	o.Throttle(2)
	ids, _, err := listAllUsers(context.Background(), sdk(t, serve(t, o)), nil)
	if err != nil || len(ids) != 4 {
		t.Fatalf("got %d users, err %v; want 4 after two 429s", len(ids), err)
	}
	if got := o.RequestsByPath()["/api/v1/users"]; got != 3 {
		t.Errorf("requests = %d, want 3 (two 429s and a success)", got)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault oktafake.Fault
	}{
		{"500 on page 2", oktafake.Fault{Path: "/api/v1/users", After: 1, Status: 500}},
		{"truncated page 2", oktafake.Fault{Path: "/api/v1/users", After: 1, Truncate: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _ := smallOrg(t)
			o.Inject(tt.fault)
			_, pages, err := listAllUsers(context.Background(), sdk(t, serve(t, o)), query.NewQueryParams(query.WithLimit(1)))
			if err == nil || pages != 2 {
				t.Errorf("pages = %d, err = %v; want an error on page 2", pages, err)
			}
		})
	}
}

func TestAuthErrors(t *testing.T) {
	o, ids := smallOrg(t)
	o.AddToken("users-only", oktafake.ScopeUsersRead)
	url := serve(t, o)
	ctx := context.Background()

	_, resp, err := sdk(t, url, okta.WithToken("wrong")).User.GetUser(ctx, ids[0])
	if oe := new(okta.Error); !errors.As(err, &oe) || oe.ErrorCode != "E0000011" || resp.StatusCode != 401 {
		t.Errorf("wrong token: %v", err)
	}
	_, resp, err = sdk(t, url, okta.WithToken("users-only")).Group.ListGroups(ctx, nil)
	if oe := new(okta.Error); !errors.As(err, &oe) || oe.ErrorCode != "E0000006" || resp.StatusCode != 403 {
		t.Errorf("missing scope: %v", err)
	}
	_, resp, err = sdk(t, url).User.GetUser(ctx, "00unknown")
	if oe := new(okta.Error); !errors.As(err, &oe) || oe.ErrorCode != "E0000007" || resp.StatusCode != 404 {
		t.Errorf("unknown user: %v", err)
	}
}

func TestPrivateKeyJWT(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	o, _ := smallOrg(t)
	o.AddClient("0oaclient", &key.PublicKey, oktafake.ScopeUsersRead)
	url := serve(t, o)
	oauth := func(scopes ...string) *okta.Client {
		return sdk(t, url, okta.WithAuthorizationMode("PrivateKey"), okta.WithClientId("0oaclient"),
			okta.WithScopes(scopes), okta.WithPrivateKey(pemKey))
	}
	ctx := context.Background()
	if _, _, err := oauth(oktafake.ScopeUsersRead).User.ListUsers(ctx, nil); err != nil {
		t.Errorf("granted scope: %v", err)
	}
	if _, resp, err := oauth(oktafake.ScopeUsersRead).Group.ListGroups(ctx, nil); err == nil || resp.StatusCode != 403 ||
		!strings.Contains(resp.Header.Get("WWW-Authenticate"), "insufficient_scope") {
		t.Errorf("token without groups scope: err %v", err)
	}
	if _, _, err := oauth(oktafake.ScopeUsersRead, oktafake.ScopeGroupsRead).User.ListUsers(ctx, nil); err == nil ||
		!strings.Contains(err.Error(), "not granted") {
		t.Errorf("requesting an ungranted scope: err %v, want invalid_scope", err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	otherPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(other)}))
	if _, _, err := sdk(t, url, okta.WithAuthorizationMode("PrivateKey"), okta.WithClientId("0oaclient"),
		okta.WithScopes([]string{oktafake.ScopeUsersRead}), okta.WithPrivateKey(otherPEM)).User.ListUsers(ctx, nil); err == nil ||
		!strings.Contains(err.Error(), "signature") {
		t.Errorf("wrong key: err %v, want a signature error", err)
	}
}

func TestAppUsersAndGroups(t *testing.T) {
	o, ids := smallOrg(t)
	app := o.AddApp("dirsync")
	g := o.AddGroup("eng", "")
	for _, step := range []error{o.AddMember(g, ids[1]), o.AddMember(g, ids[3]), o.AssignUser(app, ids[0], "alice"),
		o.AssignUser(app, ids[1], ""), o.AssignGroup(app, g)} {
		if step != nil {
			t.Fatal(step)
		}
	}
	c := sdk(t, serve(t, o))
	users, _, err := c.Application.ListApplicationUsers(context.Background(), app, &query.Params{Expand: "user"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, u := range users {
		emb, _ := u.Embedded.(map[string]any)
		if _, ok := emb["user"]; !ok {
			t.Errorf("app user %s has no embedded user", u.Id)
		}
		got[u.Id] = u.Scope + ":" + u.Credentials.UserName
	}
	want := map[string]string{ids[0]: "USER:alice", ids[1]: "USER:ub@example.com"} // ids[3] is deprovisioned
	if len(got) != len(want) || got[ids[0]] != want[ids[0]] || got[ids[1]] != want[ids[1]] {
		t.Errorf("app users = %v, want %v", got, want)
	}
	if err := o.UnassignUser(app, ids[1]); err != nil {
		t.Fatal(err)
	}
	users, _, _ = c.Application.ListApplicationUsers(context.Background(), app, nil)
	if len(users) != 2 || users[1].Scope != "GROUP" {
		t.Errorf("after unassigning the direct assignment the group one should remain: %+v", users)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := oktafake.Generate(7, 500, 20, 3000), oktafake.Generate(7, 500, 20, 3000)
	total := 0
	for _, g := range a.GroupIDs() {
		if !slices.Equal(a.Members(g), b.Members(g)) {
			t.Fatalf("group %s differs between runs", g)
		}
		total += len(a.Members(g))
	}
	if total != 3000 {
		t.Errorf("memberships = %d, want 3000", total)
	}
	ua, _ := a.User(a.UserIDs()[42])
	ub, _ := b.User(b.UserIDs()[42])
	if ua.Login() != ub.Login() || ua.Status != ub.Status || !ua.LastUpdated.Equal(ub.LastUpdated) {
		t.Errorf("user differs: %+v vs %+v", ua, ub)
	}
}
