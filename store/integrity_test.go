package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"
)

// A database written at schema 3 (memberships with foreign keys) keeps every
// membership through migration 4, and deletes still take memberships along.
func TestMigrationFourKeepsMemberships(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v3.db")
	db, err := openDB(path, "immediate", false, readerCacheKiB)
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := fs.Sub(migrationFiles, "migrations")
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 3); err != nil {
		t.Fatal(err)
	}
	const ts = "2026-01-01T00:00:00Z"
	for _, q := range []string{
		`INSERT INTO users (pk, id, user_name, user_name_fold, created, last_modified) VALUES
			(1, 'u1', 'a', 'a', '` + ts + `', '` + ts + `'), (2, 'u2', 'b', 'b', '` + ts + `', '` + ts + `')`,
		`INSERT INTO groups (pk, id, display_name, display_name_fold, created, last_modified) VALUES
			(1, 'g1', 'G1', 'g1', '` + ts + `', '` + ts + `'), (2, 'g2', 'G2', 'g2', '` + ts + `', '` + ts + `')`,
		`INSERT INTO memberships (group_pk, user_pk) VALUES (1, 1), (1, 2), (2, 2)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, _ := s.SchemaVersion(ctx); v != 5 {
		t.Fatalf("schema version %d after open, want 5", v)
	}
	assertCount(t, s, "memberships", 3)
	if err := s.CheckIntegrity(ctx); err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, s, func(tx *Tx) error { return tx.DeleteUser(ctx, "u2", 0) })
	assertCount(t, s, "memberships", 1)
	mustUpdate(t, s, func(tx *Tx) error { return tx.DeleteGroup(ctx, "g1", 0) })
	assertCount(t, s, "memberships", 0)
	if err := s.CheckIntegrity(ctx); err != nil {
		t.Fatal(err)
	}
}

// CheckIntegrity finds what the schema no longer prevents: a membership
// naming a missing user, and a fingerprint out of step with the rows.
func TestCheckIntegrityFindsProblems(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, sql, want string
	}{
		{"orphan membership", "INSERT INTO memberships (group_pk, user_pk) SELECT pk, 999 FROM groups", "1 memberships name a missing user or group"},
		{"stale fingerprint", "UPDATE groups SET members_fp = '00000000000000000000000000000000'", "member fingerprint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			mustUpdate(t, s, func(tx *Tx) error {
				u := &User{UserName: "a"}
				g := &Group{DisplayName: "g"}
				if err := tx.CreateUser(ctx, u); err != nil {
					return err
				}
				if err := tx.CreateGroup(ctx, g); err != nil {
					return err
				}
				_, err := tx.AddMembers(ctx, g.ID, []string{u.ID})
				return err
			})
			if err := s.CheckIntegrity(ctx); err != nil {
				t.Fatalf("clean directory: %v", err)
			}
			if _, err := s.writer.ExecContext(ctx, tc.sql); err != nil {
				t.Fatal(err)
			}
			err := s.CheckIntegrity(ctx)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckIntegrity = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

func hasMemberIndex(ctx context.Context, tx *Tx) (bool, error) {
	var n int
	err := tx.queryRow(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'memberships_user'").Scan(&n)
	return n == 1, err
}

// BulkMembers drops the user-side index only for a load that is large next to
// the table, always restores it, and a failed load rolls the drop back too.
func TestBulkMembersIndex(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	var gid string
	var uids []string
	mustUpdate(t, s, func(tx *Tx) error {
		for i := range 3 {
			u := &User{UserName: fmt.Sprint("u", i)}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			uids = append(uids, u.ID)
		}
		g := &Group{DisplayName: "g"}
		err := tx.CreateGroup(ctx, g)
		gid = g.ID
		return err
	})
	tests := []struct {
		name      string
		adds      int
		fail      bool
		wantIndex bool // during the load
	}{
		{"small load keeps the index", 3, false, true},
		{"large load drops it meanwhile", bulkMemberMin, false, false},
		{"failed large load", bulkMemberMin, true, false},
	}
	boom := errors.New("boom")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Update(ctx, cli, func(tx *Tx) error {
				return tx.BulkMembers(ctx, tc.adds, func() error {
					has, err := hasMemberIndex(ctx, tx)
					if err != nil {
						return err
					}
					if has != tc.wantIndex {
						return fmt.Errorf("index present during load = %v, want %v", has, tc.wantIndex)
					}
					if _, err := tx.ReplaceMembers(ctx, gid, uids); err != nil {
						return err
					}
					// Lookups by user still work (by scanning) meanwhile.
					groups, err := tx.GroupIDsOfUser(ctx, uids[0])
					if err != nil || len(groups) != 1 {
						return fmt.Errorf("groups of a member during the load: %v, %v", groups, err)
					}
					if tc.fail {
						return boom
					}
					_, err = tx.ReplaceMembers(ctx, gid, nil)
					return err
				})
			})
			if tc.fail != errors.Is(err, boom) || (!tc.fail && err != nil) {
				t.Fatalf("Update = %v", err)
			}
			err = s.View(ctx, func(tx *Tx) error {
				if has, err := hasMemberIndex(ctx, tx); err != nil || !has {
					return fmt.Errorf("index after the load: %v, %v", has, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CheckIntegrity(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}
