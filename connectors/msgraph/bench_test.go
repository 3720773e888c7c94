package msgraph

import (
	"context"
	"fmt"
	"testing"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/connectors/msgraph/graphfake"
)

// Run with: go test -run '^$' -bench . -benchtime 1x ./connectors/msgraph/
// (add -cpuprofile cpu.out to see the share of SDK deserialisation).

var benchSpec = graphfake.Spec{Users: 100_000, Groups: 10_000, Memberships: 1_000_000, Seed: 42, AssignGroups: 1000, AssignUsers: 1000}

func benchFake(b *testing.B) *graphfake.Fake {
	f := startFake(b, allRoles...)
	f.Generate(benchSpec)
	f.SetDeltaPageSize(999)
	return f
}

func BenchmarkFullRead(b *testing.B) {
	for _, scope := range []string{"all", "assigned"} {
		b.Run(scope, func(b *testing.B) {
			f := benchFake(b)
			src := open(b, testConfig(b, f, scope))
			var snap *connectors.Snapshot
			for b.Loop() {
				var err error
				if snap, err = src.Read(context.Background(), connectors.ReadRequest{}); err != nil {
					b.Fatal(err)
				}
			}
			members := 0
			for _, g := range snap.Groups {
				members += len(g.Members)
			}
			b.ReportMetric(float64(snap.Requests), "requests/op")
			b.ReportMetric(float64(len(snap.Users)), "users")
			b.ReportMetric(float64(len(snap.Groups)), "groups")
			b.ReportMetric(float64(members), "memberships")
		})
	}
}

// BenchmarkDeltaRead reads a delta in which 1% of users changed and 1% of
// groups gained a new user, following the same cursor each iteration.
func BenchmarkDeltaRead(b *testing.B) {
	for _, scope := range []string{"all", "assigned"} {
		b.Run(scope, func(b *testing.B) {
			f := benchFake(b)
			src := open(b, testConfig(b, f, scope))
			full, err := src.Read(context.Background(), connectors.ReadRequest{})
			if err != nil {
				b.Fatal(err)
			}
			ids := f.UserIDs()
			for i := 0; i < len(ids); i += 100 {
				if err := f.UpdateUser(ids[i], func(u *graphfake.User) { u.Department = "Moved" }); err != nil {
					b.Fatal(err)
				}
			}
			groups := f.GroupIDs()
			for i := 0; i < len(groups); i += 100 {
				id := f.AddUser(graphfake.User{UserPrincipalName: fmt.Sprintf("new%d@x", i), AccountEnabled: true})
				if err := f.AddMember(groups[i], id); err != nil {
					b.Fatal(err)
				}
			}
			var snap *connectors.Snapshot
			for b.Loop() {
				if snap, err = src.Read(context.Background(), connectors.ReadRequest{Cursor: full.Cursor}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(snap.Requests), "requests/op")
			b.ReportMetric(float64(len(snap.Users)), "users")
			b.ReportMetric(float64(len(snap.Groups)), "groups")
			b.ReportMetric(float64(len(full.Cursor)), "cursor-bytes")
		})
	}
}
