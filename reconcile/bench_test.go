package reconcile

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/dirsync/dirsync/connectors"
	"github.com/dirsync/dirsync/store"
)

// The benchmark directory: 100k users, 10k groups of 100 members (1M
// memberships), the size issue #3 sets targets for.
const (
	benchUsers   = 100_000
	benchGroups  = 10_000
	benchPerGrp  = 100
	benchSource  = "okta"
	benchChanged = 0.01
)

func benchSnapshot(changed float64) *connectors.Snapshot {
	s := &connectors.Snapshot{Kind: connectors.Full, Users: make([]connectors.User, benchUsers), Groups: make([]connectors.Group, benchGroups)}
	every := 0
	if changed > 0 {
		every = int(1 / changed)
	}
	for i := range s.Users {
		id := fmt.Sprintf("00u%07d", i)
		u := connectors.User{SourceID: id, ExternalID: id, UserName: fmt.Sprintf("user%07d@example.com", i),
			DisplayName: fmt.Sprintf("User %d", i), GivenName: "User", FamilyName: fmt.Sprint(i),
			Email: fmt.Sprintf("user%07d@example.com", i), Active: true}
		if every > 0 && i%every == 0 {
			u.DisplayName += " (renamed)"
		}
		s.Users[i] = u
	}
	for g := range s.Groups {
		members := make([]string, benchPerGrp)
		for m := range members {
			// Spread members so that groups overlap, as real groups do.
			members[m] = fmt.Sprintf("00u%07d", (g*37+m*997)%benchUsers)
		}
		if every > 0 && g%every == 0 {
			members[0] = fmt.Sprintf("00u%07d", (g+1)%benchUsers)
		}
		id := fmt.Sprintf("00g%06d", g)
		s.Groups[g] = connectors.Group{SourceID: id, ExternalID: id, DisplayName: fmt.Sprintf("Group %d", g), Members: members}
	}
	return s
}

func benchOptions() Options {
	return Options{Source: benchSource, MaxDeactivations: 1000, MaxDeactivationPercent: 10}
}

// peakHeap samples the live heap while fn runs and returns the maximum.
func peakHeap(fn func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak {
				peak = v
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return peak
}

var (
	populatedOnce sync.Once
	populatedPath string
	populatedErr  error
)

// TestMain removes the benchmark fixture (about 220 MB) when the binary ends.
func TestMain(m *testing.M) {
	code := m.Run()
	if populatedPath != "" {
		os.RemoveAll(filepath.Dir(populatedPath))
	}
	os.Exit(code)
}

// populated returns a database file holding the benchmark directory, built
// once per test binary and copied for each benchmark.
func populated(b *testing.B) string {
	populatedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dirsync-bench")
		if err != nil {
			populatedErr = err
			return
		}
		populatedPath = filepath.Join(dir, "base.db")
		st, err := store.Open(context.Background(), populatedPath)
		if err != nil {
			populatedErr = err
			return
		}
		eng := &Engine{Store: st, Logger: hclog.NewNullLogger()}
		_, populatedErr = eng.Sync(context.Background(), Request{Source: &fakeSource{snap: benchSnapshot(0)}, Options: benchOptions()})
		if populatedErr == nil {
			_, populatedErr = st.Checkpoint(context.Background())
		}
		st.Close()
	})
	if populatedErr != nil {
		b.Fatal(populatedErr)
	}
	dst := filepath.Join(b.TempDir(), "d.db")
	in, err := os.Open(populatedPath)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	out.Close()
	return dst
}

// benchPlan times Prepare (load and plan) in a read transaction: exactly what a
// dry run does after the IdP read.
func benchPlan(b *testing.B, changed float64, wantChanges bool) {
	st, err := store.Open(context.Background(), populated(b))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	snap := benchSnapshot(changed)
	ctx := context.Background()
	var peak uint64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		// Start from live data only, outside the timed part: garbage left by
		// the fixture or the last iteration is not this plan's.
		b.StopTimer()
		runtime.GC()
		b.StartTimer()
		p := peakHeap(func() {
			err = st.View(ctx, func(tx *store.Tx) error {
				plan, err := Prepare(ctx, tx, snap, benchOptions())
				if err != nil {
					return err
				}
				if plan.Changes() != wantChanges {
					return fmt.Errorf("plan changes = %v, want %v: %v", plan.Changes(), wantChanges, plan.Summary())
				}
				return nil
			})
		})
		if err != nil {
			b.Fatal(err)
		}
		peak = max(peak, p)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkPlanNoChange: the steady state, a snapshot equal to the directory.
func BenchmarkPlanNoChange(b *testing.B) { benchPlan(b, 0, false) }

// BenchmarkPlanOnePercent: 1% of users renamed and 1% of groups changed.
func BenchmarkPlanOnePercent(b *testing.B) { benchPlan(b, benchChanged, true) }

// BenchmarkInitialApply: the first sync into an empty directory, including
// the audit rows of every create.
func BenchmarkInitialApply(b *testing.B) {
	snap := benchSnapshot(0)
	ctx := context.Background()
	var peak uint64
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(ctx, filepath.Join(b.TempDir(), fmt.Sprintf("d%d.db", b.N)))
		if err != nil {
			b.Fatal(err)
		}
		eng := &Engine{Store: st, Logger: hclog.NewNullLogger()}
		runtime.GC()
		b.StartTimer()
		var rep *Report
		p := peakHeap(func() {
			rep, err = eng.Sync(ctx, Request{Source: &fakeSource{snap: snap}, Options: benchOptions()})
		})
		b.StopTimer()
		if err != nil || rep.Summary().Creates != benchUsers {
			b.Fatalf("initial apply: %v, %+v", err, rep.Summary())
		}
		st.Close()
		peak = max(peak, p)
		b.StartTimer()
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
