package graphfake

import (
	"net/http"
	"strconv"
	"time"
)

// Fault makes matching Graph requests misbehave. A request matches when its
// route kind (see RequestsFor) and page agree; the first After matches pass,
// the next Times matches fail.
type Fault struct {
	// Kind is the route kind to match, "" for every route.
	Kind string
	// Page is the 1-based page to match, 0 for every page.
	Page int
	// After lets this many matching requests through before firing.
	After int
	// Times is how often to fire: 0 means once, -1 forever.
	Times int
	// Status and Code make the request fail with a Graph error.
	Status int
	Code   string
	// RetryAfter, when not "", is sent as the Retry-After header; "0" makes
	// the SDK retry at once.
	RetryAfter string
	// Delay holds the response back (then serves it, or the error).
	Delay time.Duration
	// Truncate sends a 200 header and a cut JSON body, then drops the
	// connection, like a listing that breaks mid-way.
	Truncate bool
}

type faultState struct {
	Fault
	seen, fired int
}

// Inject adds a fault. Faults are checked in the order added; the first one
// that fires wins.
func (f *Fake) Inject(flt Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &faultState{Fault: flt})
}

// ClearFaults removes every fault.
func (f *Fake) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

// pick returns the fault that fires for this request, if any.
func (f *Fake) pick(kind string, page int) *Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.faults {
		if (s.Kind != "" && s.Kind != kind) || (s.Page != 0 && s.Page != page) {
			continue
		}
		s.seen++
		if s.seen <= s.After {
			continue
		}
		limit := s.Times
		if limit == 0 {
			limit = 1
		}
		if limit > 0 && s.fired >= limit {
			continue
		}
		s.fired++
		flt := s.Fault
		return &flt
	}
	return nil
}

// inject applies a matching fault and reports whether it wrote the response.
func (f *Fake) inject(w http.ResponseWriter, r *http.Request, kind string) bool {
	flt := f.pick(kind, pageOf(r))
	if flt == nil {
		return false
	}
	if flt.Delay > 0 {
		select {
		case <-time.After(flt.Delay):
		case <-r.Context().Done():
			return true
		}
	}
	if flt.RetryAfter != "" {
		w.Header().Set("Retry-After", flt.RetryAfter)
	}
	switch {
	case flt.Truncate:
		truncate(w)
		return true
	case flt.Status != 0:
		code := flt.Code
		if code == "" {
			code = defaultCode(flt.Status)
		}
		graphError(w, flt.Status, code, "Injected fault: status "+strconv.Itoa(flt.Status)+".")
		return true
	}
	return false
}

func defaultCode(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "TooManyRequests"
	case http.StatusServiceUnavailable:
		return "serviceNotAvailable"
	case http.StatusGatewayTimeout:
		return "UnknownError"
	}
	return "generalException"
}

// truncate promises a long body, sends part of it and closes the connection.
func truncate(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("graphfake: response writer cannot hijack")
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n")
	buf.WriteString(`{"@odata.context":"x","value":[{"id":"`)
	buf.Flush()
}
