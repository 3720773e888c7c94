package okta

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
)

// eofAttempts is how often a GET that the server answered by closing the
// connection is tried in all. The SDK retries io.EOF itself, but without a
// limit or a pause, so a server that keeps dropping the connection would spin
// until the request timeout; we retry a little and then fail for good.
const eofAttempts = 3

// transport sits under the SDK: it counts requests per read, paces requests
// from the X-Rate-Limit-* headers the SDK ignores, and bounds retries of
// dropped connections.
type transport struct {
	next         http.RoundTripper
	minRemaining int
	maxWait      time.Duration
	logger       hclog.Logger

	mu      sync.Mutex
	windows map[string]window // by endpoint family
}

// window is the last rate-limit state seen for an endpoint family; reset is
// translated to the local clock using the response's Date header, so clock
// skew between us and Okta does not matter.
type window struct {
	remaining int
	reset     time.Time
}

// readStats travels in the context of one Read or Test.
type readStats struct {
	requests  atomic.Int64
	throttled atomic.Int64
	mu        sync.Mutex
	start     time.Time // server time (Date header) of the first response
}

type statsKey struct{}

func withStats(ctx context.Context) (context.Context, *readStats) {
	st := &readStats{}
	return context.WithValue(ctx, statsKey{}, st), st
}

func (st *readStats) serverStart() time.Time {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.start
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	fam := family(req.URL.Path)
	if err := t.pace(req.Context(), fam); err != nil {
		return nil, err
	}
	st, _ := req.Context().Value(statsKey{}).(*readStats)
	var resp *http.Response
	var err error
	for attempt := 1; ; attempt++ {
		if st != nil {
			st.requests.Add(1)
		}
		resp, err = t.next.RoundTrip(req)
		if err == nil || !errors.Is(err, io.EOF) || req.Method != http.MethodGet || req.Body != nil {
			break
		}
		if attempt == eofAttempts {
			// Deliberately not wrapped: an io.EOF would make the SDK retry forever.
			return nil, fmt.Errorf("%s %s: connection closed by the server %d times: %s",
				req.Method, req.URL.Path, attempt, err.Error())
		}
		t.logger.Debug("connection closed by server, retrying", "path", req.URL.Path, "attempt", attempt)
	}
	if err != nil {
		return nil, err
	}
	if st != nil && resp.StatusCode == http.StatusTooManyRequests {
		st.throttled.Add(1)
	}
	t.observe(fam, resp, st)
	return resp, nil
}

// pace waits for the window to reset when the last response of this
// endpoint family said fewer than minRemaining requests are left.
func (t *transport) pace(ctx context.Context, fam string) error {
	if t.minRemaining <= 0 {
		return nil
	}
	t.mu.Lock()
	w, ok := t.windows[fam]
	t.mu.Unlock()
	if !ok || w.remaining >= t.minRemaining {
		return nil
	}
	wait := min(time.Until(w.reset), t.maxWait)
	if wait <= 0 {
		return nil
	}
	t.logger.Info("rate limit nearly used up, waiting for reset", "endpoint", fam,
		"remaining", w.remaining, "wait", wait.String())
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for okta rate limit reset: %w", ctx.Err())
	}
}

func (t *transport) observe(fam string, resp *http.Response, st *readStats) {
	now := time.Now()
	date, dateErr := http.ParseTime(resp.Header.Get("Date"))
	if st != nil && dateErr == nil {
		st.mu.Lock()
		if st.start.IsZero() {
			st.start = date
		}
		st.mu.Unlock()
	}
	remaining, err1 := strconv.Atoi(resp.Header.Get("X-Rate-Limit-Remaining"))
	reset, err2 := strconv.ParseInt(resp.Header.Get("X-Rate-Limit-Reset"), 10, 64)
	if err1 != nil || err2 != nil {
		return
	}
	serverNow := now
	if dateErr == nil {
		serverNow = date
	}
	w := window{remaining: remaining, reset: now.Add(time.Unix(reset, 0).Sub(serverNow))}
	t.mu.Lock()
	t.windows[fam] = w
	t.mu.Unlock()
}

// family groups paths the way Okta's rate limits do, roughly: by the first
// three segments (/api/v1/users, /api/v1/groups, /api/v1/apps, ...).
func family(path string) string {
	parts := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 4)
	if len(parts) > 3 {
		parts = parts[:3]
	}
	return "/" + strings.Join(parts, "/")
}
