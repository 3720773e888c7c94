package graphfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// caller is a plain-HTTP Graph caller for testing the fake itself.
type caller struct {
	t     *testing.T
	f     *Fake
	token string
}

func start(t *testing.T, roles ...string) (*Fake, *caller) {
	t.Helper()
	f := New()
	f.Start()
	t.Cleanup(f.Close)
	return f, &caller{t: t, f: f, token: f.IssueToken(roles...)}
}

type response struct {
	Value     []map[string]any `json:"value"`
	NextLink  string           `json:"@odata.nextLink"`
	DeltaLink string           `json:"@odata.deltaLink"`
	Error     struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (c *caller) get(rawURL string, header ...string) (int, response, http.Header) {
	c.t.Helper()
	if !strings.HasPrefix(rawURL, "http") {
		rawURL = c.f.GraphURL() + rawURL
	}
	req, _ := http.NewRequest(http.MethodGet, rawURL, nil)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		c.t.Errorf("GET %s: Content-Type %q", rawURL, ct)
	}
	var p response
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &p); err != nil {
		c.t.Fatalf("GET %s: %v in %s", rawURL, err, b)
	}
	return resp.StatusCode, p, resp.Header
}

// all follows nextLinks and returns every item and the final delta link.
func (c *caller) all(path string, header ...string) ([]map[string]any, string, int) {
	c.t.Helper()
	var items []map[string]any
	pages := 0
	for link := path; link != ""; {
		status, p, _ := c.get(link, header...)
		if status != http.StatusOK {
			c.t.Fatalf("GET %s: %d %s", link, status, p.Error.Code)
		}
		pages++
		items = append(items, p.Value...)
		if p.NextLink != "" && !strings.HasPrefix(p.NextLink, c.f.URL()) {
			c.t.Fatalf("nextLink %q is not absolute", p.NextLink)
		}
		if p.DeltaLink != "" {
			return items, p.DeltaLink, pages
		}
		link = p.NextLink
	}
	return items, "", pages
}

func TestPagingAndSelect(t *testing.T) {
	f, c := start(t, UserReadAll, GroupReadAll)
	f.Generate(Spec{Users: 25, Groups: 3, Memberships: 25, Seed: 1})
	items, _, pages := c.all("/users?$top=10&$select=id,mail")
	if len(items) != 25 || pages != 3 {
		t.Fatalf("got %d users in %d pages, want 25 in 3", len(items), pages)
	}
	if _, ok := items[0]["displayName"]; ok || items[0]["mail"] == nil || len(items[0]) != 2 {
		t.Errorf("$select ignored: %v", items[0])
	}
	members, _, _ := c.all("/groups/" + f.GroupIDs()[0] + "/members?$select=id")
	if len(members) == 0 || members[0]["@odata.type"] != "#microsoft.graph.user" {
		t.Errorf("members = %v, want typed users", members)
	}

	tests := []struct {
		name, path, code string
		status           int
	}{
		{"top too large", "/users?$top=1000", "Request_UnsupportedQuery", 400},
		{"unknown property", "/users?$select=id,nickname", "Request_UnsupportedQuery", 400},
		{"bad id", "/groups/not-a-guid/members", "Request_BadRequest", 400},
		{"unknown group", "/groups/" + newGUID(), "Request_ResourceNotFound", 404},
		{"unknown route", "/devices", "BadRequest", 400},
		{"no permission", "/servicePrincipals/" + ServicePrincipalID, "Authorization_RequestDenied", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, p, _ := c.get(tt.path)
			if status != tt.status || p.Error.Code != tt.code {
				t.Errorf("GET %s = %d %q, want %d %q", tt.path, status, p.Error.Code, tt.status, tt.code)
			}
		})
	}
}

func TestAuth(t *testing.T) {
	f, c := start(t)
	c.token = ""
	if status, p, _ := c.get("/users"); status != 401 || p.Error.Code != "InvalidAuthenticationToken" {
		t.Errorf("no token: %d %s", status, p.Error.Code)
	}
	c.token = "forged"
	if status, _, _ := c.get("/users"); status != 401 {
		t.Errorf("forged token: %d", status)
	}

	f.RegisterSecret(AppID, "pw", UserReadAll)
	hc := f.LoginClient()
	token := func(tenant, secret, scope string) (int, map[string]any) {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {AppID}, "client_secret": {secret}, "scope": {scope}}
		resp, err := hc.PostForm(f.AuthorityURL()+tenant+"/oauth2/v2.0/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	if status, body := token(TenantID, "wrong", "https://graph.microsoft.com/.default"); status != 401 || body["error"] != "invalid_client" {
		t.Errorf("wrong secret: %d %v", status, body)
	}
	if status, _ := token(newGUID(), "pw", "https://graph.microsoft.com/.default"); status != 400 {
		t.Errorf("wrong tenant: %d", status)
	}
	if status, _ := token(TenantID, "pw", "User.Read"); status != 400 {
		t.Errorf("delegated scope: %d", status)
	}
	status, body := token(TenantID, "pw", "https://graph.microsoft.com/.default")
	if status != 200 || body["token_type"] != "Bearer" {
		t.Fatalf("token: %d %v", status, body)
	}
	c.token = body["access_token"].(string)
	if status, _, _ := c.get("/users"); status != 200 {
		t.Errorf("issued token: %d", status)
	}
	if status, p, _ := c.get("/groups"); status != 403 || p.Error.Code != "Authorization_RequestDenied" {
		t.Errorf("token without Group.Read.All: %d %s", status, p.Error.Code)
	}
}

func TestDelta(t *testing.T) {
	f, c := start(t, UserReadAll, GroupReadAll)
	a := f.AddUser(User{UserPrincipalName: "a@x", DisplayName: "A", AccountEnabled: true})
	b := f.AddUser(User{UserPrincipalName: "b@x", DisplayName: "B", AccountEnabled: true})
	d := f.AddUser(User{UserPrincipalName: "d@x", DisplayName: "D", AccountEnabled: true})
	g := f.AddGroup(Group{DisplayName: "G", Members: []string{a, b}})

	users, ulink, pages := c.all("/users/delta()?$select=id,userPrincipalName,displayName", "Prefer", "odata.maxpagesize=2")
	if len(users) != 3 || pages != 2 || ulink == "" {
		t.Fatalf("initial round: %d users, %d pages, link %q", len(users), pages, ulink)
	}
	if strings.Contains(ulink, "$select") {
		t.Errorf("delta link %q repeats the query; Graph keeps it in the token", ulink)
	}
	groups, glink, _ := c.all("/groups/delta()?$select=displayName,members")
	if len(groups) != 1 || len(groups[0]["members@delta"].([]any)) != 2 {
		t.Fatalf("initial groups = %v", groups)
	}
	f.SplitDeltaMembers(1)
	if split, _, _ := c.all("/groups/delta()?$select=displayName,members"); len(split) != 2 || split[1]["id"] != g {
		t.Errorf("split initial groups = %v, want g twice with one member each", split)
	}
	f.SplitDeltaMembers(0)

	must(t, f.RenameUPN(a, "a2@x"))
	must(t, f.SoftDelete(b))
	must(t, f.HardDelete(d))
	must(t, f.RemoveMember(g, a))

	users, ulink2, _ := c.all(ulink)
	byID := map[string]map[string]any{}
	for _, u := range users {
		byID[u["id"].(string)] = u
	}
	if len(users) != 3 || byID[a]["userPrincipalName"] != "a2@x" {
		t.Fatalf("changes = %v", users)
	}
	if _, ok := byID[a]["displayName"]; ok {
		t.Errorf("update carries unchanged properties: %v", byID[a])
	}
	if r := byID[b]["@removed"].(map[string]any)["reason"]; r != "changed" {
		t.Errorf("soft delete reason %v", r)
	}
	if r := byID[d]["@removed"].(map[string]any)["reason"]; r != "deleted" {
		t.Errorf("hard delete reason %v", r)
	}
	groups, _, _ = c.all(glink)
	md := groups[0]["members@delta"].([]any)
	if len(md) != 2 {
		t.Fatalf("members@delta = %v, want a and b removed", md)
	}
	for _, m := range md {
		if m.(map[string]any)["@removed"] == nil {
			t.Errorf("member %v not marked removed", m)
		}
	}
	if users, _, _ := c.all(ulink2); len(users) != 0 {
		t.Errorf("round without changes = %v", users)
	}

	f.ExpireDeltaTokens()
	if status, p, _ := c.get(ulink2); status != http.StatusGone || p.Error.Code != "syncStateNotFound" {
		t.Errorf("expired token: %d %s", status, p.Error.Code)
	}
	if status, _, _ := c.get(f.GraphURL() + "/users/delta()?$deltatoken=bogus"); status != http.StatusGone {
		t.Errorf("invalid token: %d", status)
	}
}

func TestTransitiveMembersCycle(t *testing.T) {
	f, c := start(t, GroupMemberReadAll)
	u1 := f.AddUser(User{UserPrincipalName: "1@x"})
	u2 := f.AddUser(User{UserPrincipalName: "2@x"})
	g1 := f.AddGroup(Group{DisplayName: "g1", Members: []string{u1}})
	g2 := f.AddGroup(Group{DisplayName: "g2", Members: []string{u2, g1}})
	must(t, f.AddMember(g1, g2))
	items, _, _ := c.all("/groups/" + g1 + "/transitiveMembers")
	var ids []string
	for _, it := range items {
		ids = append(ids, it["id"].(string))
	}
	if len(ids) != 3 || !strings.Contains(strings.Join(ids, ","), u2) {
		t.Errorf("transitive members of g1 = %v, want u1, g2, u2 once each", ids)
	}
}

func TestFaults(t *testing.T) {
	f, c := start(t, UserReadAll)
	f.Generate(Spec{Users: 5, Seed: 2})
	f.Inject(Fault{Kind: "users", Page: 2, Status: 429, RetryAfter: "0", Times: 2})
	if status, _, _ := c.get("/users?$top=2"); status != 200 {
		t.Errorf("page 1: %d", status)
	}
	_, p1, _ := c.get("/users?$top=2")
	for i, want := range []int{429, 429, 200} {
		status, p, h := c.get(p1.NextLink)
		if status != want {
			t.Errorf("page 2 attempt %d: %d, want %d", i+1, status, want)
		}
		if want == 429 && (h.Get("Retry-After") != "0" || p.Error.Code != "TooManyRequests") {
			t.Errorf("throttle response: Retry-After %q code %q", h.Get("Retry-After"), p.Error.Code)
		}
	}
	if got := f.RequestsFor("users"); got != 5 {
		t.Errorf("users requests = %d, want 5", got)
	}

	f.ClearFaults()
	f.Inject(Fault{Kind: "user", After: 1, Status: 500})
	id := f.UserIDs()[0]
	for i, want := range []int{200, 500, 200} {
		if status, _, _ := c.get("/users/" + id); status != want {
			t.Errorf("request %d: %d, want %d", i+1, status, want)
		}
	}

	f.Inject(Fault{Kind: "users", Truncate: true})
	resp, err := http.Get(f.GraphURL() + "/users")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Error("truncated response read without error")
	}
}

func TestGenerate(t *testing.T) {
	a, b := New(), New()
	spec := Spec{Users: 1000, Groups: 10, Memberships: 5000, Seed: 7, AssignUsers: 3, AssignGroups: 2}
	a.Generate(spec)
	b.Generate(spec)
	if a.UserIDs()[999] != b.UserIDs()[999] || a.GroupIDs()[9] != b.GroupIDs()[9] {
		t.Error("generation is not deterministic")
	}
	if !guidRE.MatchString(a.UserIDs()[0]) {
		t.Errorf("id %q is not a GUID", a.UserIDs()[0])
	}
	n := 0
	for _, id := range a.GroupIDs() {
		n += len(a.groups[id].Members)
	}
	if n != 5000 {
		t.Errorf("memberships = %d, want 5000", n)
	}
	if len(a.assignments) != 5 {
		t.Errorf("assignments = %d, want 5", len(a.assignments))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestListen(t *testing.T) {
	f := New()
	if _, _, err := f.Listen("0.0.0.0:0", "127.0.0.1:0"); err == nil {
		t.Fatal("listened on a non-loopback address")
	}
	graphURL, authority, err := f.Listen("127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !strings.HasPrefix(graphURL, "http://127.0.0.1:") || !strings.HasPrefix(authority, "https://127.0.0.1:") {
		t.Errorf("urls %q %q", graphURL, authority)
	}
	c := &caller{t: t, f: f, token: f.IssueToken(UserReadAll)}
	if status, _, _ := c.get(graphURL + "/users"); status != 200 {
		t.Errorf("GET users: %d", status)
	}
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		New().Generate(Spec{Users: 100_000, Groups: 10_000, Memberships: 1_000_000, Seed: 1})
	}
}
