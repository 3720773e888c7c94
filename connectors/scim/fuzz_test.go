package scim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/dirsync/dirsync/store"
)

// FuzzRequest sends arbitrary authenticated requests: whatever the client
// sends, the answer is never a 5xx.
func FuzzRequest(f *testing.F) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	var tok string
	err = st.Update(ctx, store.Actor{Channel: store.ChannelCLI}, func(tx *store.Tx) (err error) {
		if tok, err = tx.CreateToken(ctx, "okta", "scim"); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, &store.User{ID: "u1", UserName: "a@example.com", Active: true}); err != nil {
			return err
		}
		return tx.CreateGroup(ctx, &store.Group{ID: "g1", DisplayName: "G"})
	})
	if err != nil {
		f.Fatal(err)
	}
	h, err := New(st, hclog.NewNullLogger(), []Integration{{Name: "okta"}}, Options{MaxBodyBytes: 4096})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("GET", "/Users?filter=userName%20eq%20%22a%40example.com%22&count=5&sortBy=emails", "")
	f.Add("POST", "/Users", `{"userName":"b","active":"True","emails":[{"value":"x","primary":"true"}]}`)
	f.Add("PATCH", "/Users/u1", ops(`[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"x"}]`))
	f.Add("PATCH", "/Groups/g1", ops(`[{"op":"Remove","path":"members","value":[{"value":"u1"}]}]`))
	f.Add("PUT", "/Groups/g1", `{"displayName":"H","members":[{"value":"u1"}]}`)
	f.Add("GET", "/Groups?attributes=members.value,urn:x:y&excludedAttributes=meta", "")
	f.Add("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "")
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\t#") {
			return
		}
		req, err := http.NewRequest(method, "http://127.0.0.1/scim/okta/v2"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/scim+json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %s: %d %s", method, path, body, rec.Code, rec.Body)
		}
	})
}
