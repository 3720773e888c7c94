package store

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
)

// A MemberFP (member-set fingerprint) is the XOR of a 128-bit FNV-1a hash of
// each member id: independent of order, and updated in O(1) per added or
// removed member, so a reconcile can tell an unchanged group without reading
// its members. The zero value is the empty set's.
type MemberFP [2]uint64

// MemberHash is one member id's share of a fingerprint. A caller that puts
// the same user in many groups computes it once and combines it with Xor.
//
// It is FNV-1a 128 (hash/fnv's New128a, high word first), written out so that
// hashing a million member ids allocates nothing; a test holds it equal.
func MemberHash(id string) MemberFP {
	const (
		primeLower = 0x13b
		primeShift = 24
	)
	hi, lo := uint64(0x6c62272e07bb0142), uint64(0x62b821756295c58d)
	for i := 0; i < len(id); i++ {
		lo ^= uint64(id[i])
		h, l := bits.Mul64(primeLower, lo)
		h += lo<<primeShift + primeLower*hi
		hi, lo = h, l
	}
	return MemberFP{hi, lo}
}

// Xor adds h to the set, or removes it if present.
func (f *MemberFP) Xor(h MemberFP) {
	f[0] ^= h[0]
	f[1] ^= h[1]
}

func (f *MemberFP) toggle(id string) { f.Xor(MemberHash(id)) }

// String is the form Group.MembersFP holds.
func (f MemberFP) String() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], f[0])
	binary.BigEndian.PutUint64(b[8:], f[1])
	return hex.EncodeToString(b[:])
}

func parseMemberSetFP(s string) (MemberFP, error) {
	var f MemberFP
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		return f, fmt.Errorf("bad member fingerprint %q", s)
	}
	f[0], f[1] = binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	return f, nil
}

// MemberSetFingerprint is the fingerprint of a set of member ids, as
// Group.MembersFP holds it for the group's current members. Duplicates must
// be removed first.
func MemberSetFingerprint(ids []string) string {
	var f MemberFP
	for _, id := range ids {
		f.toggle(id)
	}
	return f.String()
}

// toggleMembersFP flips ids in the stored fingerprint of group pk.
func (t *Tx) toggleMembersFP(ctx context.Context, pk int64, ids ...string) error {
	var cur string
	if err := t.queryRow(ctx, "SELECT COALESCE(members_fp, '') FROM groups WHERE pk = ?", pk).Scan(&cur); err != nil {
		return fmt.Errorf("read member fingerprint: %w", err)
	}
	f, err := parseMemberSetFP(cur)
	if err != nil {
		// Unknown (not yet computed): recompute from the rows themselves.
		return t.recomputeMembersFP(ctx, pk)
	}
	for _, id := range ids {
		f.toggle(id)
	}
	if _, err := t.exec(ctx, "UPDATE groups SET members_fp = ? WHERE pk = ?", f.String(), pk); err != nil {
		return fmt.Errorf("write member fingerprint: %w", err)
	}
	return nil
}

func (t *Tx) recomputeMembersFP(ctx context.Context, pk int64) error {
	rows, err := t.query(ctx, `SELECT u.id FROM memberships m JOIN users u ON u.pk = m.user_pk WHERE m.group_pk = ?`, pk)
	if err != nil {
		return fmt.Errorf("read members: %w", err)
	}
	ids, err := collectStrings(rows, "read members")
	if err != nil {
		return err
	}
	if _, err := t.exec(ctx, "UPDATE groups SET members_fp = ? WHERE pk = ?", MemberSetFingerprint(ids), pk); err != nil {
		return fmt.Errorf("write member fingerprint: %w", err)
	}
	return nil
}

// backfillMembersFP computes the fingerprints a migration left unknown.
func (s *Store) backfillMembersFP(ctx context.Context) error {
	return s.Update(ctx, Actor{Channel: ChannelCLI, Who: "migration"}, func(tx *Tx) error {
		rows, err := tx.query(ctx, "SELECT pk FROM groups WHERE members_fp IS NULL")
		if err != nil {
			return fmt.Errorf("backfill member fingerprints: %w", err)
		}
		var pks []int64
		for rows.Next() {
			var pk int64
			if err := rows.Scan(&pk); err != nil {
				rows.Close()
				return err
			}
			pks = append(pks, pk)
		}
		rows.Close()
		for _, pk := range pks {
			if err := tx.recomputeMembersFP(ctx, pk); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetPullFingerprints records, without touching anything else, that users
// (id -> fingerprint) equal the source records with those fingerprints. A
// reconcile calls it for users it found unchanged by comparing them in full.
func (t *Tx) SetPullFingerprints(ctx context.Context, fps map[string]string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	for id, fp := range fps {
		if _, err := t.exec(ctx, "UPDATE users SET pull_fp = ? WHERE id = ?", fp, id); err != nil {
			return fmt.Errorf("record pull fingerprint: %w", err)
		}
	}
	return nil
}
