package daemon

import (
	"context"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
	"github.com/hashicorp/go-hclog"
)

// States sent to systemd (Type=notify). Each is a no-op without
// NOTIFY_SOCKET, e.g. when run from a shell.
const (
	sdReady    = sd.SdNotifyReady
	sdStopping = sd.SdNotifyStopping
	sdWatchdog = sd.SdNotifyWatchdog
)

type notifier struct {
	log hclog.Logger
}

func newNotifier(log hclog.Logger) *notifier { return &notifier{log: log} }

// notify tells systemd state; a failure is logged, never fatal: the service
// manager's view is not worth stopping SCIM for.
func (n *notifier) notify(state string) {
	sent, err := sd.SdNotify(false, state)
	switch {
	case err != nil:
		n.log.Warn("systemd notify failed", "state", state, "error", err)
	case sent:
		n.log.Debug("systemd notified", "state", state)
	}
}

// watchdog pings systemd at half of WatchdogSec=, but only while check
// passes: a wedged daemon stops pinging and systemd restarts it.
func (n *notifier) watchdog(ctx context.Context, check func(context.Context) error) {
	interval, err := sd.SdWatchdogEnabled(false)
	if err != nil {
		n.log.Warn("systemd watchdog settings are invalid; not pinging", "error", err)
		return
	}
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := check(ctx); err != nil {
			n.log.Error("unhealthy; withholding the systemd watchdog ping", "error", err)
			continue
		}
		n.notify(sdWatchdog)
	}
}
