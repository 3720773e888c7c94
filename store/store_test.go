package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var cli = Actor{Channel: ChannelCLI, Who: "test"}

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "dirsync.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustUpdate(t *testing.T, s *Store, fn func(*Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), cli, fn); err != nil {
		t.Fatal(err)
	}
}

func TestMigrateFromEmptyAndReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil || v != 5 {
		t.Fatalf("schema version = %d, %v; want 5", v, err)
	}
	mustUpdate(t, s, func(tx *Tx) error { return tx.CreateUser(ctx, &User{UserName: "a@x", Active: true}) })
	s.Close()

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	err = s.View(ctx, func(tx *Tx) error {
		_, err := tx.UserByUserName(ctx, "A@X")
		return err
	})
	if err != nil {
		t.Fatalf("user lost across reopen: %v", err)
	}
}

func TestNewerSchemaRefusedUntouched(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Simulate a newer dirsync having migrated the file.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (99, 1)`); err != nil {
		t.Fatal(err)
	}
	var before int
	db.QueryRow("SELECT COUNT(*) FROM goose_db_version").Scan(&before)
	db.Close()

	_, err = Open(ctx, path)
	if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), "99") {
		t.Fatalf("open newer schema: err = %v, want ErrNewerSchema naming version 99", err)
	}
	db, _ = sql.Open("sqlite", path)
	defer db.Close()
	var after int
	db.QueryRow("SELECT COUNT(*) FROM goose_db_version").Scan(&after)
	if after != before {
		t.Fatalf("refused open touched the version table: %d -> %d rows", before, after)
	}
}

func TestUserNameUniqueCaseInsensitive(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	mustUpdate(t, s, func(tx *Tx) error { return tx.CreateUser(ctx, &User{UserName: "Ärger@Example.com"}) })
	tests := []struct {
		name     string
		userName string
		wantErr  error
	}{
		{"same case", "Ärger@Example.com", ErrConflict},
		{"ascii case differs", "ärger@example.COM", ErrConflict},
		{"unicode case differs", "ÄRGER@EXAMPLE.COM", ErrConflict},
		{"different name", "other@example.com", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Update(ctx, cli, func(tx *Tx) error { return tx.CreateUser(ctx, &User{UserName: tt.userName}) })
			if !errors.Is(err, tt.wantErr) && !(tt.wantErr == nil && err == nil) {
				t.Fatalf("create %q: err = %v, want %v", tt.userName, err, tt.wantErr)
			}
		})
	}
	// Lookup is case-insensitive too.
	err := s.View(ctx, func(tx *Tx) error {
		u, err := tx.UserByUserName(ctx, "ärger@EXAMPLE.com")
		if err == nil && u.UserName != "Ärger@Example.com" {
			return fmt.Errorf("userName stored as %q, want the case as sent", u.UserName)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestExternalIDNotUniqueAndGroupNameUnique(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	mustUpdate(t, s, func(tx *Tx) error {
		if err := tx.CreateUser(ctx, &User{UserName: "a", ExternalID: "same"}); err != nil {
			return err
		}
		return tx.CreateUser(ctx, &User{UserName: "b", ExternalID: "same"})
	})
	mustUpdate(t, s, func(tx *Tx) error { return tx.CreateGroup(ctx, &Group{DisplayName: "Engineering"}) })
	err := s.Update(ctx, cli, func(tx *Tx) error { return tx.CreateGroup(ctx, &Group{DisplayName: "engineering"}) })
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate group displayName: err = %v, want ErrConflict", err)
	}
}

func TestRollbackLeavesNothing(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	boom := errors.New("boom")
	err := s.Update(ctx, cli, func(tx *Tx) error {
		if err := tx.CreateUser(ctx, &User{UserName: "ghost"}); err != nil {
			return err
		}
		if _, err := tx.ResetToken(ctx, "okta", "okta"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	assertCount(t, s, "users", 0)
	assertCount(t, s, "audit", 0)
	assertCount(t, s, "integrations", 0)

	// A panic rolls back too.
	func() {
		defer func() { _ = recover() }()
		_ = s.Update(ctx, cli, func(tx *Tx) error {
			_ = tx.CreateUser(ctx, &User{UserName: "ghost2"})
			panic("crash mid-apply")
		})
	}()
	assertCount(t, s, "users", 0)
	assertCount(t, s, "audit", 0)
}

func assertCount(t *testing.T, s *Store, table string, want int) {
	t.Helper()
	var n int
	if err := s.reader.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Fatalf("%s has %d rows, want %d", table, n, want)
	}
}

func TestViewIsReadOnly(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	err := s.View(ctx, func(tx *Tx) error { return tx.CreateUser(ctx, &User{UserName: "x"}) })
	if err == nil {
		t.Fatal("write inside View succeeded")
	}
}

func TestAuditRowsWithEachChange(t *testing.T) {
	ctx := context.Background()
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s, err := Open(ctx, filepath.Join(t.TempDir(), "d.db"), WithClock(func() time.Time { return fixed }))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	actor := Actor{Channel: ChannelPush, Integration: "entra", RunID: "req-1"}
	var gid string
	err = s.Update(ctx, actor, func(tx *Tx) error {
		u := &User{UserName: "ann", DisplayName: "Ann", Active: true, Emails: []Email{{Value: "ann@x", Type: "work", Primary: true}}}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		u2 := u.Clone()
		u2.DisplayName, u2.Active = "Ann B", false
		u2.Enterprise = map[string]any{"department": "R&D"}
		if _, err := tx.UpdateUser(ctx, u2, 0); err != nil {
			return err
		}
		// A no-op update writes no audit row.
		if changed, err := tx.UpdateUser(ctx, u2.Clone(), 0); err != nil || changed {
			return fmt.Errorf("no-op update: changed=%v err=%v", changed, err)
		}
		g := &Group{DisplayName: "Eng"}
		if err := tx.CreateGroup(ctx, g); err != nil {
			return err
		}
		gid = g.ID
		if _, err := tx.AddMembers(ctx, g.ID, []string{u.ID}); err != nil {
			return err
		}
		return tx.DeleteUser(ctx, u.ID, 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.Audit(ctx, AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range rows {
		actions = append(actions, r.Action)
		if r.Channel != ChannelPush || r.Integration != "entra" || r.RunID != "req-1" || !r.At.Equal(fixed) {
			t.Errorf("row %d: actor not recorded: %+v", r.Seq, r)
		}
	}
	if got, want := strings.Join(actions, " "), "user.create user.update group.create group.members user.delete"; got != want {
		t.Fatalf("actions = %q, want %q", got, want)
	}
	upd := rows[1]
	gotFields := map[string][2]any{}
	for _, c := range upd.Changes {
		gotFields[c.Field] = [2]any{c.Old, c.New}
	}
	if gotFields["displayName"] != [2]any{"Ann", "Ann B"} || gotFields["active"] != [2]any{true, false} ||
		gotFields["enterprise.department"] != [2]any{nil, "R&D"} || len(gotFields) != 3 {
		t.Fatalf("update changes = %+v", upd.Changes)
	}
	del := rows[4]
	if !strings.Contains(string(del.Detail), `"UserName":"ann"`) || !strings.Contains(string(del.Detail), gid) {
		t.Fatalf("deleted record not kept whole in audit detail: %s", del.Detail)
	}
	// Filters.
	byUser, _ := s.Audit(ctx, AuditQuery{User: "ANN"})
	if len(byUser) != 3 {
		t.Fatalf("audit by user: %d rows, want 3 (create, update, delete)", len(byUser))
	}
	byAction, _ := s.Audit(ctx, AuditQuery{Action: "group."})
	if len(byAction) != 2 {
		t.Fatalf("audit by action prefix: %d rows, want 2", len(byAction))
	}
	none, _ := s.Audit(ctx, AuditQuery{Since: fixed.Add(time.Second)})
	if len(none) != 0 {
		t.Fatalf("audit since later: %d rows, want 0", len(none))
	}
	// The log is append-only at the database level.
	if _, err := s.writer.Exec("UPDATE audit SET action = 'x'"); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("audit update allowed: %v", err)
	}
	if _, err := s.writer.Exec("DELETE FROM audit"); err == nil {
		t.Fatal("audit delete allowed")
	}
}
