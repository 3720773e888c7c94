package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Read-modify-write inside Update must never lose an increment, whether the
// writers share one Store or open the same file separately (the CLI and the
// daemon are two processes).
func TestConcurrentWritersLoseNoUpdate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "d.db")
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var id string
	mustUpdate(t, a, func(tx *Tx) error {
		u := &User{UserName: "counter", Extra: map[string]any{"n": 0}}
		err := tx.CreateUser(ctx, u)
		id = u.ID
		return err
	})
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				err := s.Update(ctx, cli, func(tx *Tx) error {
					u, err := tx.GetUser(ctx, id)
					if err != nil {
						return err
					}
					u.Extra["n"] = u.Extra["n"].(float64) + 1
					_, err = tx.UpdateUser(ctx, u, 0)
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	err = a.View(ctx, func(tx *Tx) error {
		u, err := tx.GetUser(ctx, id)
		if err != nil {
			return err
		}
		if got := u.Extra["n"].(float64); got != workers*each {
			return fmt.Errorf("counter = %v, want %d: updates were lost", got, workers*each)
		}
		if u.Version != workers*each+1 {
			return fmt.Errorf("version = %d, want %d", u.Version, workers*each+1)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Concurrent member additions to one group (SCIM PATCHes) keep every member.
func TestConcurrentMemberAdds(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	var gid string
	var users []string
	mustUpdate(t, s, func(tx *Tx) error {
		g := &Group{DisplayName: "all"}
		if err := tx.CreateGroup(ctx, g); err != nil {
			return err
		}
		gid = g.ID
		for i := range 40 {
			u := &User{UserName: "u" + strconv.Itoa(i)}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			users = append(users, u.ID)
		}
		return nil
	})
	var wg sync.WaitGroup
	for _, id := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Update(ctx, cli, func(tx *Tx) error {
				_, err := tx.AddMembers(ctx, gid, []string{id})
				return err
			}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var got []string
	s.View(ctx, func(tx *Tx) (err error) { got, err = tx.GroupMembers(ctx, gid); return })
	sort.Strings(users)
	if fmt.Sprint(got) != fmt.Sprint(users) {
		t.Fatalf("members = %d, want %d", len(got), len(users))
	}
}

func TestMembers(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	ids := map[string]string{}
	var gid string
	mustUpdate(t, s, func(tx *Tx) error {
		for _, n := range []string{"a", "b", "c"} {
			u := &User{UserName: n}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			ids[n] = u.ID
		}
		g := &Group{DisplayName: "g", Owner: "okta"}
		gid = g.ID
		if err := tx.CreateGroup(ctx, g); err != nil {
			return err
		}
		gid = g.ID
		return nil
	})
	step := func(fn func(tx *Tx) (MemberChange, error)) MemberChange {
		t.Helper()
		var mc MemberChange
		mustUpdate(t, s, func(tx *Tx) (err error) { mc, err = fn(tx); return })
		return mc
	}
	mc := step(func(tx *Tx) (MemberChange, error) {
		return tx.AddMembers(ctx, gid, []string{ids["a"], ids["b"], "no-such-user", ids["a"]})
	})
	if len(mc.Added) != 2 || fmt.Sprint(mc.Missing) != "[no-such-user]" {
		t.Fatalf("add: %+v", mc)
	}
	mc = step(func(tx *Tx) (MemberChange, error) { return tx.ReplaceMembers(ctx, gid, []string{ids["b"], ids["c"]}) })
	if fmt.Sprint(mc.Added) != fmt.Sprint([]string{ids["c"]}) || fmt.Sprint(mc.Removed) != fmt.Sprint([]string{ids["a"]}) {
		t.Fatalf("replace: %+v", mc)
	}
	mc = step(func(tx *Tx) (MemberChange, error) { return tx.RemoveMembers(ctx, gid, []string{ids["a"], ids["b"]}) })
	if fmt.Sprint(mc.Removed) != fmt.Sprint([]string{ids["b"]}) || len(mc.Added) != 0 {
		t.Fatalf("remove: %+v", mc)
	}
	var byGroup map[string][]string
	s.View(ctx, func(tx *Tx) (err error) { byGroup, err = tx.MembersByGroup(ctx, "okta"); return })
	if fmt.Sprint(byGroup[gid]) != fmt.Sprint([]string{ids["c"]}) {
		t.Fatalf("MembersByGroup = %v", byGroup)
	}
	// Deleting a user drops its memberships (a trigger does).
	mustUpdate(t, s, func(tx *Tx) error { return tx.DeleteUser(ctx, ids["c"], 0) })
	assertCount(t, s, "memberships", 0)
}

func TestTokenCreateResetVerify(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	var first, second string
	mustUpdate(t, s, func(tx *Tx) (err error) { first, err = tx.CreateToken(ctx, "okta", "okta"); return })
	err := s.Update(ctx, cli, func(tx *Tx) error { _, err := tx.CreateToken(ctx, "okta", "okta"); return err })
	if !errors.Is(err, ErrTokenExists) {
		t.Fatalf("second create: %v, want ErrTokenExists", err)
	}
	verify := func(integration, tok string) bool {
		ok, err := s.VerifyToken(ctx, integration, tok)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !verify("okta", first) || verify("entra", first) || verify("okta", first+"x") || verify("okta", "") {
		t.Fatal("first token: verification wrong")
	}
	mustUpdate(t, s, func(tx *Tx) (err error) { second, err = tx.ResetToken(ctx, "okta", "okta"); return })
	if verify("okta", first) {
		t.Fatal("old token still verifies after reset")
	}
	if !verify("okta", second) || first == second || len(second) < 40 {
		t.Fatalf("new token does not verify or is weak: %q", second)
	}
	assertNoPlaintext(t, s, first, second)
	ins, _ := s.Integrations(ctx)
	if len(ins) != 1 || !ins[0].HasToken || ins[0].Name != "okta" {
		t.Fatalf("integrations = %+v", ins)
	}
	audit, _ := s.Audit(ctx, AuditQuery{Action: "token."})
	if len(audit) != 2 || audit[0].Action != "token.create" || audit[1].Action != "token.reset" {
		t.Fatalf("token audit = %+v", audit)
	}
}

// assertNoPlaintext scans every text and blob column of every table.
func assertNoPlaintext(t *testing.T, s *Store, secrets ...string) {
	t.Helper()
	for _, table := range []string{"integrations", "audit", "users", "groups", "cursors", "sync_runs"} {
		rows, err := s.reader.Query("SELECT * FROM " + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			for _, v := range vals {
				text := fmt.Sprint(v)
				if b, ok := v.([]byte); ok {
					text = string(b)
				}
				for _, sec := range secrets {
					if text != "" && strings.Contains(text, sec) {
						t.Fatalf("table %s holds a plaintext token", table)
					}
				}
			}
		}
		rows.Close()
	}
}
