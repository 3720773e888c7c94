package daemon

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// fakeSystemd is a NOTIFY_SOCKET that records what it is sent.
type fakeSystemd struct {
	mu   sync.Mutex
	msgs []string
}

func listenNotify(t *testing.T) *fakeSystemd {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	f := &fakeSystemd{}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			f.mu.Lock()
			f.msgs = append(f.msgs, string(buf[:n]))
			f.mu.Unlock()
		}
	}()
	return f
}

func (f *fakeSystemd) received() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.msgs)
}

func TestSystemdNotify(t *testing.T) {
	sd := listenNotify(t)
	t.Setenv("WATCHDOG_USEC", "20000") // pings every 10ms
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	cfg := testConfig(t, "")
	d := start(t, Options{Config: cfg, Sync: (&fakeSync{}).sync})
	waitFor(t, "READY=1", func() bool { return slices.Contains(sd.received(), "READY=1") })
	waitFor(t, "a watchdog ping", func() bool { return slices.Contains(sd.received(), "WATCHDOG=1") })
	if err := d.stop(t); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "STOPPING=1", func() bool { return slices.Contains(sd.received(), "STOPPING=1") })
	msgs := sd.received()
	if ready, stopping := slices.Index(msgs, "READY=1"), slices.Index(msgs, "STOPPING=1"); ready > stopping {
		t.Errorf("messages %q: READY=1 must come before STOPPING=1", msgs)
	}
}

// The watchdog pings only while the health check passes, so that systemd
// restarts a daemon whose database is gone.
func TestWatchdogPingsOnlyWhenHealthy(t *testing.T) {
	tests := []struct {
		name     string
		check    error
		wantPing bool
	}{
		{name: "healthy", check: nil, wantPing: true},
		{name: "database gone", check: errors.New("sql: database is closed"), wantPing: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sd := listenNotify(t)
			t.Setenv("WATCHDOG_USEC", "2000")
			var checks atomic.Int32
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan struct{})
			go func() {
				defer close(done)
				newNotifier(hclog.NewNullLogger()).watchdog(ctx, func(context.Context) error {
					checks.Add(1)
					return tt.check
				})
			}()
			waitFor(t, "health checks", func() bool { return checks.Load() >= 3 })
			cancel()
			<-done
			if tt.wantPing {
				waitFor(t, "a ping", func() bool { return slices.Contains(sd.received(), "WATCHDOG=1") })
				return
			}
			// Datagrams on a unix socket arrive in order: once a marker sent
			// now is read, every earlier ping has been too.
			newNotifier(hclog.NewNullLogger()).notify("MARKER=1")
			waitFor(t, "the marker", func() bool { return slices.Contains(sd.received(), "MARKER=1") })
			if msgs := sd.received(); slices.Contains(msgs, "WATCHDOG=1") {
				t.Errorf("messages %q: pinged while unhealthy", msgs)
			}
		})
	}
}
