package daemon

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/dirsync/dirsync/reconcile"
	"github.com/dirsync/dirsync/store"
)

// metrics are the daemon's Prometheus series. Every label value comes from
// the configuration or a fixed set, never from a request, so cardinality
// stays bounded.
type metrics struct {
	runs            *prometheus.CounterVec
	duration        *prometheus.HistogramVec
	actions         *prometheus.CounterVec
	held            *prometheus.GaugeVec
	requests        *prometheus.CounterVec
	throttled       *prometheus.CounterVec
	failures        *prometheus.GaugeVec
	lastSuccess     *prometheus.GaugeVec
	skipped         *prometheus.CounterVec
	running         *prometheus.GaugeVec
	alert           *prometheus.GaugeVec
	webhookFailures prometheus.Counter
	scimRequests    *prometheus.CounterVec
	scimDuration    *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dirsync_sync_runs_total", Help: "Sync runs by source and outcome.",
		}, []string{"source", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dirsync_sync_duration_seconds", Help: "How long sync runs took.",
			// From a quick delta read to a full read of a large tenant.
			Buckets: []float64{0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 3600},
		}, []string{"source", "outcome"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dirsync_actions_total",
			Help: "Planned actions by kind; mode is applied for applying runs, planned for dry runs.",
		}, []string{"source", "kind", "mode"}),
		held: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dirsync_held_deactivations", Help: "Deactivations the deletion guard is holding.",
		}, []string{"source"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dirsync_idp_requests_total", Help: "API requests made to the IdP by syncs.",
		}, []string{"source"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dirsync_idp_throttled_total",
			Help: "IdP responses asking to slow down (429, 503 with Retry-After) during syncs.",
		}, []string{"source"}),
		failures: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dirsync_source_consecutive_failures", Help: "Applying runs in a row that failed.",
		}, []string{"source"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dirsync_source_last_success_timestamp_seconds", Help: "Start of the last successful run.",
		}, []string{"source"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dirsync_sync_skipped_total", Help: "Scheduled runs skipped because a run was still going.",
		}, []string{"source"}),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dirsync_source_running", Help: "1 while a sync of the source is in progress.",
		}, []string{"source"}),
		alert: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dirsync_source_alert", Help: "1 while an alert of this kind fires for the source.",
		}, []string{"source", "kind"}),
		webhookFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dirsync_alert_webhook_failures_total", Help: "Alert webhook posts that failed.",
		}),
		scimRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dirsync_scim_requests_total", Help: "SCIM requests by integration, route template, method and status.",
		}, []string{"integration", "route", "method", "status"}),
		scimDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dirsync_scim_request_duration_seconds", Help: "SCIM request latency by route template.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
	}
	cs := []prometheus.Collector{m.runs, m.duration, m.actions, m.held, m.requests, m.throttled, m.failures, m.lastSuccess,
		m.skipped, m.running, m.alert, m.webhookFailures, m.scimRequests, m.scimDuration}
	var errs []error
	for _, c := range cs {
		errs = append(errs, reg.Register(c))
	}
	// Runtime metrics are welcome on a registry that already has them.
	for _, c := range []prometheus.Collector{collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		var dup prometheus.AlreadyRegisteredError
		if err := reg.Register(c); err != nil && !errors.As(err, &dup) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	return m, nil
}

// observe counts one finished report.
func (m *metrics) observe(rep *reconcile.Report) {
	outcome := rep.Outcome
	if outcome == "" {
		outcome = store.OutcomeFailed
	}
	m.runs.WithLabelValues(rep.Source, outcome).Inc()
	m.duration.WithLabelValues(rep.Source, outcome).Observe(rep.Duration.Seconds())
	m.requests.WithLabelValues(rep.Source).Add(float64(rep.Requests))
	m.throttled.WithLabelValues(rep.Source).Add(float64(rep.Throttled))
	mode := "applied"
	if rep.DryRun {
		mode = "planned"
	}
	for kind, n := range rep.Summary().Counts() {
		if n > 0 {
			m.actions.WithLabelValues(rep.Source, kind, mode).Add(float64(n))
		}
	}
}

// setSource publishes a source's state gauges.
func (m *metrics) setSource(name string, s *sourceState) {
	m.failures.WithLabelValues(name).Set(float64(s.failures))
	m.held.WithLabelValues(name).Set(float64(s.held))
	if !s.lastSuccess.IsZero() {
		m.lastSuccess.WithLabelValues(name).Set(float64(s.lastSuccess.UnixNano()) / 1e9)
	}
}

func (m *metrics) setRunning(name string, running bool) {
	m.running.WithLabelValues(name).Set(boolFloat(running))
}

func (m *metrics) setAlert(name, kind string, firing bool) {
	m.alert.WithLabelValues(name, kind).Set(boolFloat(firing))
}

// forget drops every series of a source removed by a reload.
func (m *metrics) forget(name string) {
	l := prometheus.Labels{"source": name}
	for _, v := range []interface{ DeletePartialMatch(prometheus.Labels) int }{
		m.runs.MetricVec, m.duration.MetricVec, m.actions.MetricVec, m.held.MetricVec, m.requests.MetricVec, m.throttled.MetricVec,
		m.failures.MetricVec, m.lastSuccess.MetricVec, m.skipped.MetricVec, m.running.MetricVec, m.alert.MetricVec,
	} {
		v.DeletePartialMatch(l)
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// statusLabel keeps the status label to the codes a server can send.
func statusLabel(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return strconv.Itoa(code)
}
