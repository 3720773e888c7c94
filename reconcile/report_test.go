package reconcile

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/store"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reconcile -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// mixedPlan yields a report with one of every kind of line.
func mixedReport(t *testing.T, dry bool) *Report {
	e := newEnv(t)
	opts := e.opts("okta")
	e.seed([]*store.User{
		{ID: "seed-dora", UserName: "dora@example.com", Active: true},
		{ID: "seed-eve", UserName: "eve@example.com", Owner: "entra", SourceID: "aad-1", Active: true},
	}, map[*store.Group][]string{{ID: "seed-sales", DisplayName: "Sales"}: {"dora@example.com"}})
	e.sync(&fakeSource{snap: base()}, opts, false)
	snap := base()
	snap.Users[0].DisplayName = "Ann Lee"
	snap.Users[1].Active = false
	snap.Users = append(snap.Users[:2], user("00u4", "dora@example.com", true), user("00u5", "eve@example.com", true),
		user("00u6", "fay@example.com", true), connectors.User{SourceID: "00u7", UserName: "nomail", Email: "x@", Active: true})
	snap.Groups = append(snap.Groups, connectors.Group{SourceID: "00g2", DisplayName: "Sales", Members: []string{"00u4", "00u6", "00u404"}})
	opts.Protected = []string{"cy@example.com"}
	rep := e.sync(&fakeSource{snap: snap}, opts, dry)
	rep.RunID, rep.Duration, rep.Requests = "run-1", 1500*time.Millisecond, 7
	return rep
}

func TestReportGolden(t *testing.T) {
	for _, dry := range []bool{true, false} {
		name := "apply"
		if dry {
			name = "dry_run"
		}
		t.Run(name, func(t *testing.T) {
			rep := mixedReport(t, dry)
			var text, js bytes.Buffer
			if err := rep.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if err := rep.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			golden(t, "report_"+name+".txt", text.Bytes())
			golden(t, "report_"+name+".json", js.Bytes())
			var back JSONReport
			if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Schema != ReportSchema {
				t.Fatalf("JSON report does not round-trip: %v", err)
			}
		})
	}
}

// The actions a dry run reports are exactly the changes the apply records in
// the audit log: same objects, same fields, same old and new values.
func TestDryRunMatchesApply(t *testing.T) {
	e := newEnv(t)
	opts := e.opts("okta")
	e.seed([]*store.User{{UserName: "dora@example.com", Active: true}, {UserName: "gil@example.com", Active: true}},
		map[*store.Group][]string{{DisplayName: "Ops"}: {"dora@example.com", "gil@example.com"}})
	e.sync(&fakeSource{snap: base()}, opts, false)
	snap := base()
	snap.Users[0].DisplayName = "Ann Lee"
	snap.Users[1].Active = false
	snap.Users = append(snap.Users, user("00u4", "dora@example.com", true), user("00u5", "fay@example.com", true))
	snap.Groups[0].Members = []string{"00u4", "00u5"}
	snap.Groups = append(snap.Groups, connectors.Group{SourceID: "00g2", DisplayName: "Ops", Members: []string{"00u1", "00u4"}})

	ctx := context.Background()
	var dry *Plan
	err := e.st.View(ctx, func(tx *store.Tx) error {
		var err error
		dry, err = Prepare(ctx, tx, snap, opts)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Apply that very plan, as `dirsync sync` applies what it planned.
	err = e.st.Update(ctx, store.Actor{Channel: store.ChannelPull, Integration: "okta", RunID: "apply-1"}, func(tx *store.Tx) error {
		return Apply(ctx, tx, dry)
	})
	if err != nil {
		t.Fatal(err)
	}
	audit, err := e.st.Audit(ctx, store.AuditQuery{RunID: "apply-1"})
	if err != nil {
		t.Fatal(err)
	}
	type change struct {
		ID      string
		Changes string
	}
	var planned, recorded []change
	for _, a := range dry.Actions {
		if !a.Applies() {
			continue
		}
		c := a.FieldChanges()
		if a.Kind == SetMembers {
			c = []store.Change{{Field: "members", Old: ids(a.Removed), New: ids(a.Added)}}
		}
		planned = append(planned, change{a.ID, canon(c)})
	}
	for _, r := range audit {
		recorded = append(recorded, change{r.ObjectID, canon(r.Changes)})
	}
	sortChanges := func(cs []change) {
		sort.Slice(cs, func(i, j int) bool { return cs[i].ID+cs[i].Changes < cs[j].ID+cs[j].Changes })
	}
	sortChanges(planned)
	sortChanges(recorded)
	if len(planned) < 6 || !reflect.DeepEqual(planned, recorded) {
		t.Fatalf("dry run and apply differ:\nplanned  %v\nrecorded %v", planned, recorded)
	}
}

func ids(ms []Member) any {
	if len(ms) == 0 {
		return nil
	}
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	sort.Strings(out)
	return out
}

func canon(cs []store.Change) string {
	b, _ := json.Marshal(cs)
	var v any
	_ = json.Unmarshal(b, &v)
	b, _ = json.Marshal(v)
	return string(b)
}
