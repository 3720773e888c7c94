package oktafake

import (
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Fault makes matching requests fail. Faults are checked in the order they
// were injected; the first one still armed for a request fires.
type Fault struct {
	// Path is the exact URL path the fault applies to, e.g. "/api/v1/users";
	// empty matches every request, the token endpoint included.
	Path string
	// After lets this many matching requests through first: the fault hits
	// the request After+1, so page N of a listing is After = N-1.
	After int
	// Times is how many matching requests fail once the fault starts: 0 means
	// one, a negative value means every later request.
	Times int
	// Status is the HTTP status sent with Okta's error body: 429 sends
	// E0000047 with X-Rate-Limit-Remaining 0 and a reset of now; 5xx sends
	// E0000009.
	Status int
	// Close closes the connection without any response.
	Close bool
	// Truncate sends the status line, the headers and half of the body, then
	// drops the connection.
	Truncate bool
}

type armedFault struct {
	Fault
	seen, fired int
}

type faultState struct {
	mu     sync.Mutex
	faults []*armedFault
	delay  time.Duration
}

// Inject arms a fault.
func (o *Org) Inject(f Fault) {
	o.faults.mu.Lock()
	defer o.faults.mu.Unlock()
	o.faults.faults = append(o.faults.faults, &armedFault{Fault: f})
}

// Throttle answers the next n requests with 429, a "429 storm".
func (o *Org) Throttle(n int) { o.Inject(Fault{Status: http.StatusTooManyRequests, Times: n}) }

// ClearFaults disarms every fault and removes the delay.
func (o *Org) ClearFaults() {
	o.faults.mu.Lock()
	defer o.faults.mu.Unlock()
	o.faults.faults = nil
	o.faults.delay = 0
}

// SetDelay makes every response wait d first (or until the client gives up).
func (o *Org) SetDelay(d time.Duration) {
	o.faults.mu.Lock()
	defer o.faults.mu.Unlock()
	o.faults.delay = d
}

// next returns the fault that fires for a request to path, if any, and the
// configured delay.
func (s *faultState) next(path string) (*Fault, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var hit *Fault
	for _, f := range s.faults {
		if f.Path != "" && f.Path != path {
			continue
		}
		f.seen++
		times := f.Times
		if times == 0 {
			times = 1
		}
		if hit == nil && f.seen > f.After && (times < 0 || f.fired < times) {
			f.fired++
			hit = &f.Fault
		}
	}
	return hit, s.delay
}

// counters counts every request received, faulted ones included.
type counters struct {
	mu    sync.Mutex
	total int
	paths map[string]int
}

func (c *counters) add(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total++
	c.paths[path]++
}

// Requests returns how many requests the org has received.
func (o *Org) Requests() int {
	o.counts.mu.Lock()
	defer o.counts.mu.Unlock()
	return o.counts.total
}

// RequestsByPath returns the request count per exact URL path.
func (o *Org) RequestsByPath() map[string]int {
	o.counts.mu.Lock()
	defer o.counts.mu.Unlock()
	return maps.Clone(o.counts.paths)
}

// ResetRequests sets every counter back to zero.
func (o *Org) ResetRequests() {
	o.counts.mu.Lock()
	defer o.counts.mu.Unlock()
	o.counts.total = 0
	o.counts.paths = map[string]int{}
}

// rateLimiter is Okta's per-endpoint budget: limit requests per window for
// each endpoint family, reported in X-Rate-Limit-* headers and enforced with
// 429 once used up.
type rateLimiter struct {
	mu      sync.Mutex
	limit   int
	window  time.Duration
	buckets map[string]*bucket
}

type bucket struct {
	start time.Time
	used  int
}

// SetRateLimit sets the budget of each endpoint family (/api/v1/users,
// /api/v1/groups, /api/v1/apps, /oauth2/v1/token) to limit requests per
// window; Okta's windows are one minute. Counts restart.
func (o *Org) SetRateLimit(limit int, window time.Duration) {
	o.limits.mu.Lock()
	defer o.limits.mu.Unlock()
	o.limits.limit, o.limits.window = limit, window
	o.limits.buckets = map[string]*bucket{}
}

// take spends one request of path's budget. ok is false when none is left.
func (l *rateLimiter) take(path string, now time.Time) (limit, remaining int, reset time.Time, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := family(path)
	b := l.buckets[key]
	if b == nil || !now.Before(b.start.Add(l.window)) {
		b = &bucket{start: now}
		l.buckets[key] = b
	}
	reset = b.start.Add(l.window)
	if b.used >= l.limit {
		return l.limit, 0, reset, false
	}
	b.used++
	return l.limit, l.limit - b.used, reset, true
}

// family is the first three path segments: /api/v1/users/{id} and
// /api/v1/users share a budget, like Okta's endpoint groups.
func family(path string) string {
	parts := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 4)
	if len(parts) > 3 {
		parts = parts[:3]
	}
	return "/" + strings.Join(parts, "/")
}
