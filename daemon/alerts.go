package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	neturl "net/url"
	"time"

	"github.com/dirsync/dirsync/config"
)

// Alert kinds.
const (
	// AlertFailures: AlertConfig.AfterFailures applying runs in a row failed.
	AlertFailures = "consecutive_failures"
	// AlertNoSuccess: a scheduled source has not succeeded for
	// AlertConfig.NoSuccessFor.
	AlertNoSuccess = "no_success"
	// AlertHeld: the deletion guard holds deactivations until an admin
	// allows them.
	AlertHeld = "held_deactivations"
)

// webhookTimeout bounds one webhook POST; a slow receiver must not pile up
// goroutines or delay shutdown for long.
const webhookTimeout = 10 * time.Second

// Alert is one problem with a source. It is shown by /status and /readyz and
// is the JSON body POSTed to the webhook when it starts and stops firing.
type Alert struct {
	Source string `json:"source"`
	Kind   string `json:"kind"`
	// Firing is false in the one post that says the alert resolved.
	Firing  bool      `json:"firing"`
	Message string    `json:"message"`
	Time    time.Time `json:"time"`
}

// evaluate lists the alerts a source's state calls for at now.
func evaluate(src *config.Source, s *sourceState, cfg AlertConfig, now time.Time) []Alert {
	var out []Alert
	add := func(kind, msg string) {
		out = append(out, Alert{Source: src.Name, Kind: kind, Firing: true, Message: msg, Time: now.UTC()})
	}
	if s.failures >= cfg.AfterFailures {
		msg := fmt.Sprintf("the last %d runs failed", s.failures)
		if s.last != nil && s.last.Error != "" {
			msg += "; last error: " + s.last.Error
		}
		add(AlertFailures, msg)
	}
	if scheduled(src) {
		since, what := s.lastSuccess, "last success"
		if since.IsZero() {
			since, what = s.firstSeen, "never succeeded; first run or daemon start"
		}
		if !since.IsZero() && now.Sub(since) > cfg.NoSuccessFor {
			add(AlertNoSuccess, fmt.Sprintf("no successful run for %s (%s %s)",
				now.Sub(since).Round(time.Minute), what, since.UTC().Format(time.RFC3339)))
		}
	}
	if s.held > 0 {
		add(AlertHeld, fmt.Sprintf("%d deactivations are held by the deletion guard; check the report, "+
			"then run `dirsync sync --source %s --allow-deactivations`", s.held, src.Name))
	}
	return out
}

// scheduled reports whether a source runs on its own, so that a lack of
// success means something is wrong rather than that nobody ran it.
func scheduled(src *config.Source) bool {
	return src.Pulls() && (src.ScheduleSpec != nil || src.FullSyncSpec != nil)
}

// transitionsLocked updates a source's firing set to current and returns
// the alerts that started firing and those that resolved; d.mu is held.
func (d *Daemon) transitionsLocked(name string, s *sourceState, current []Alert) []Alert {
	var events []Alert
	now := d.now().UTC()
	seen := map[string]bool{}
	for _, a := range current {
		seen[a.Kind] = true
		if !s.firing[a.Kind] {
			s.firing[a.Kind] = true
			events = append(events, a)
		}
	}
	for kind := range s.firing {
		if !seen[kind] {
			delete(s.firing, kind)
			events = append(events, Alert{Source: name, Kind: kind, Message: "resolved", Time: now})
		}
	}
	return events
}

// checkAlerts re-evaluates every source: "no success for" fires with the
// passing of time, not only when a run ends.
func (d *Daemon) checkAlerts() {
	d.mu.Lock()
	var events []Alert
	now := d.now()
	for _, src := range d.cfg.Sources {
		s := d.stateLocked(src.Name)
		events = append(events, d.transitionsLocked(src.Name, s, evaluate(src, s, d.alerts, now))...)
	}
	d.mu.Unlock()
	d.raise(events)
}

// raise logs, counts and posts alert transitions. It never blocks: posts
// run in the background.
func (d *Daemon) raise(events []Alert) {
	for _, a := range events {
		d.metrics.setAlert(a.Source, a.Kind, a.Firing)
		if a.Firing {
			d.log.Error("source alert", "source", a.Source, "alert", a.Kind, "message", a.Message)
		} else {
			d.log.Info("source alert resolved", "source", a.Source, "alert", a.Kind)
		}
		d.post(a)
	}
}

func (d *Daemon) post(a Alert) {
	d.mu.Lock()
	url := d.alerts.WebhookURL
	d.mu.Unlock()
	if url == "" {
		return
	}
	d.hooks.Add(1)
	go func() {
		defer d.hooks.Done()
		ctx, cancel := context.WithTimeout(context.Background(), webhookTimeout)
		defer cancel()
		if err := postJSON(ctx, d.client, url, a); err != nil {
			d.metrics.webhookFailures.Inc()
			d.log.Warn("alert webhook failed", "source", a.Source, "alert", a.Kind, "error", err)
		}
	}()
}

func postJSON(ctx context.Context, client *http.Client, url string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode alert: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		// The URL often embeds a secret token (chat webhooks): keep it out
		// of logs.
		var uerr *neturl.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("post webhook: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post webhook: status %s", resp.Status)
	}
	return nil
}
