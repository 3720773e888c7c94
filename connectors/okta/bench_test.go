package okta

import (
	"testing"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/connectors/okta/oktafake"
)

// The benchmarks read a generated org of 100k users, 10k groups and 1M
// memberships over loopback, through the real SDK. They only run under
// -bench: `go test -run '^$' -bench . -benchtime 1x ./connectors/okta/`.

func benchSource(b *testing.B) (*oktafake.Org, *source) {
	b.Helper()
	o := oktafake.Generate(1, 100_000, 10_000, 1_000_000)
	url := serveOrg(b, o)
	return o, open(b, tokenConfig(b, url, func(c *Config) {
		c.GroupNamePattern = "."
		c.Enterprise = map[string]string{"employeeNumber": "employeeNumber", "department": "department"}
	}))
}

func BenchmarkFullRead(b *testing.B) {
	_, s := benchSource(b)
	var snap *connectors.Snapshot
	for b.Loop() {
		snap = read(b, s, connectors.ReadRequest{})
	}
	b.ReportMetric(float64(snap.Requests), "requests/op")
	b.ReportMetric(float64(len(snap.Users)), "users/op")
	b.ReportMetric(float64(len(snap.Groups)), "groups/op")
}

func BenchmarkIncrementalRead(b *testing.B) {
	o, s := benchSource(b)
	cursor := read(b, s, connectors.ReadRequest{}).Cursor
	ids, groups := o.UserIDs(), o.GroupIDs()
	for i := 0; i < len(ids); i += 100 { // 1% of users
		if err := o.UpdateProfile(ids[i], map[string]any{"department": "Moved"}); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < len(groups); i += 100 { // 1% of groups
		if err := o.AddMember(groups[i], ids[(i*7)%len(ids)]); err != nil {
			b.Fatal(err)
		}
	}
	var snap *connectors.Snapshot
	for b.Loop() {
		snap = read(b, s, connectors.ReadRequest{Cursor: cursor})
	}
	b.ReportMetric(float64(snap.Requests), "requests/op")
	b.ReportMetric(float64(len(snap.Users)), "users/op")
	b.ReportMetric(float64(len(snap.Groups)), "groups/op")
}
