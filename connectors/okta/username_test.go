package okta

import (
	"strings"
	"testing"
)

// user_name = "app" takes the app assignment's username, which is what
// Okta's SCIM push sends, in full and incremental reads alike.
func TestUserNameFromApp(t *testing.T) {
	e := newE2E(t, func(c *Config) { c.UserName = "app" })
	e.must(e.org.AssignUser(e.app, e.users["bob"], "BOB.APP"))
	rep := e.sync(true)
	if got := plan(rep); !strings.Contains(got, "create:BOB.APP") || strings.Contains(got, "create:bob@example.com") {
		t.Fatalf("full read plan: %s", got)
	}
	// The app username changes later (an admin edits the assignment): the
	// incremental read sees it, and with the rename policy it renames.
	e.opts.RenameInPlace = true
	e.must(e.org.AssignUser(e.app, e.users["bob"], "robert.app"))
	rep = e.sync(false)
	if rep.Read.String() != "delta" || plan(rep) != "update:robert.app" {
		t.Fatalf("incremental read: %s read, plan %s", rep.Read, plan(rep))
	}
}

func TestUserNameValidation(t *testing.T) {
	for _, tt := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.UserName = "email" }, `user_name: "email" is not login or app`},
		{func(c *Config) { c.UserName = "app"; c.AppID = "" }, `user_name: "app" needs app_id`},
	} {
		c := tokenConfig(t, "https://example.okta.com", tt.mod)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate() = %v, want %q", err, tt.want)
		}
	}
}
