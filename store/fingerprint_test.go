package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"strings"
	"testing"
)

// The stored member fingerprint always equals the fingerprint of the
// members actually stored, through every kind of membership change.
func TestMembersFingerprintStaysInStep(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	var gid string
	ids := map[string]string{}
	mustUpdate(t, s, func(tx *Tx) error {
		for _, n := range []string{"a", "b", "c", "d"} {
			u := &User{UserName: n}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			ids[n] = u.ID
		}
		g := &Group{DisplayName: "g"}
		err := tx.CreateGroup(ctx, g)
		gid = g.ID
		return err
	})
	check := func(step string) {
		t.Helper()
		err := s.View(ctx, func(tx *Tx) error {
			g, err := tx.GetGroup(ctx, gid)
			if err != nil {
				return err
			}
			members, err := tx.GroupMembers(ctx, gid)
			if err != nil {
				return err
			}
			if want := MemberSetFingerprint(members); g.MembersFP != want {
				return fmt.Errorf("%s: stored fingerprint %s, members %v give %s", step, g.MembersFP, members, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	check("empty group")
	steps := []struct {
		name string
		fn   func(tx *Tx) error
	}{
		{"add", func(tx *Tx) error {
			_, err := tx.AddMembers(ctx, gid, []string{ids["a"], ids["b"], ids["c"]})
			return err
		}},
		{"add again", func(tx *Tx) error { _, err := tx.AddMembers(ctx, gid, []string{ids["a"]}); return err }},
		{"remove", func(tx *Tx) error { _, err := tx.RemoveMembers(ctx, gid, []string{ids["b"]}); return err }},
		{"replace", func(tx *Tx) error { _, err := tx.ReplaceMembers(ctx, gid, []string{ids["c"], ids["d"]}); return err }},
		{"delete a member user", func(tx *Tx) error { return tx.DeleteUser(ctx, ids["c"], 0) }},
	}
	for _, st := range steps {
		mustUpdate(t, s, st.fn)
		check(st.name)
	}
	if MemberSetFingerprint([]string{"x", "y"}) != MemberSetFingerprint([]string{"y", "x"}) {
		t.Fatal("fingerprint depends on order")
	}
	if MemberSetFingerprint([]string{"x"}) == MemberSetFingerprint([]string{"y"}) {
		t.Fatal("different sets, same fingerprint")
	}
}

// A pull fingerprint never survives a change it did not make.
func TestPullFingerprintClearedByOtherWrites(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	var id string
	mustUpdate(t, s, func(tx *Tx) error {
		u := &User{UserName: "a", PullFP: "fp1"}
		err := tx.CreateUser(ctx, u)
		id = u.ID
		return err
	})
	get := func() *User {
		var u *User
		s.View(ctx, func(tx *Tx) (err error) { u, err = tx.GetUser(ctx, id); return })
		return u
	}
	if get().PullFP != "fp1" {
		t.Fatal("fingerprint not stored on create")
	}
	// A SCIM push edits the user, carrying the old fingerprint along.
	mustUpdate(t, s, func(tx *Tx) error {
		u := get()
		u.DisplayName = "pushed"
		_, err := tx.UpdateUser(ctx, u, 0)
		return err
	})
	if fp := get().PullFP; fp != "" {
		t.Fatalf("fingerprint %q survived a foreign change", fp)
	}
	// A pull that sets the new fingerprint with its change keeps it.
	mustUpdate(t, s, func(tx *Tx) error {
		u := get()
		u.DisplayName, u.PullFP = "pulled", "fp2"
		_, err := tx.UpdateUser(ctx, u, 0)
		return err
	})
	if fp := get().PullFP; fp != "fp2" {
		t.Fatalf("fingerprint = %q, want fp2", fp)
	}
	mustUpdate(t, s, func(tx *Tx) error { return tx.SetPullFingerprints(ctx, map[string]string{id: "fp3"}) })
	if u := get(); u.PullFP != "fp3" || u.DisplayName != "pulled" {
		t.Fatalf("stamp: %+v", u)
	}
}

// MemberHash is FNV-1a 128 written out by hand; it must stay bit-for-bit what
// hash/fnv computes, or every stored fingerprint would disagree with it.
func TestMemberHashIsFNV128a(t *testing.T) {
	inputs := []string{"", "a", "00u0000001", "3f1c2a9e-7b4d-4c1e-9a55-0e2f6d8b1c3a", "Ünïcødé 用户", strings.Repeat("x", 1000)}
	for i := range 200 {
		inputs = append(inputs, fmt.Sprintf("user-%d-%x", i, i*7919))
	}
	for _, in := range inputs {
		h := fnv.New128a()
		h.Write([]byte(in))
		sum := h.Sum(nil)
		want := MemberFP{binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:])}
		if got := MemberHash(in); got != want {
			t.Fatalf("MemberHash(%q) = %x, hash/fnv says %x", in, got, want)
		}
	}
}
