package scim

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/dirsync/dirsync/store"
)

// BenchmarkFilterUserName measures the lookup both IdPs make before every
// create, `GET /Users?filter=userName eq "..."`, against 100k stored users.
// Setup inserts the users and takes a while; it runs only under -bench.
func BenchmarkFilterUserName(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const n = 100_000
	var tok string
	err = st.Update(ctx, store.Actor{Channel: store.ChannelCLI}, func(tx *store.Tx) error {
		if tok, err = tx.CreateToken(ctx, "okta", "scim"); err != nil {
			return err
		}
		for i := range n {
			u := &store.User{UserName: fmt.Sprintf("user%06d@example.com", i), ExternalID: fmt.Sprintf("00u%06d", i),
				Active: true, Emails: []store.Email{{Value: fmt.Sprintf("user%06d@example.com", i), Type: "work", Primary: true}}}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	h, err := New(st, hclog.NewNullLogger(), []Integration{{Name: "okta"}}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := srv.Client()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		i++
		f := url.QueryEscape(fmt.Sprintf(`userName eq "USER%06d@example.com"`, (i*7919)%n))
		req, _ := http.NewRequest("GET", srv.URL+"/scim/okta/v2/Users?filter="+f+"&startIndex=1&count=100", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || len(body) < 100 {
			b.Fatalf("status %d: %s", res.StatusCode, body)
		}
	}
}
