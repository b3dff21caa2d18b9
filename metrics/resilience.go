package metrics

import (
	"math"
	"slices"
	"strings"
)

// Readings of a service's calls to one dependency, scraped from its /metrics: each name is
// followed by "/" and the dependency (e.g. downstream_attempts_total/payment).
const (
	// ReadingCalls counts the calls the service made to the dependency (all attempts of a
	// call count once, whatever the outcome, calls its breaker refused included).
	ReadingCalls = "downstream_calls_total"
	// ReadingAttempts counts the attempts it sent: the first of each call and its retries.
	ReadingAttempts = "downstream_attempts_total"
	// ReadingAttemptMax is the longest attempt so far, in seconds.
	ReadingAttemptMax = "downstream_attempt_max_seconds"
	// ReadingTimeout is the configured timeout of one attempt, in seconds.
	ReadingTimeout = "downstream_timeout_seconds"
	// ReadingBreakerOpened counts the times the dependency's circuit breaker opened from closed.
	ReadingBreakerOpened = "breaker_opened_total"
	// ReadingBreakerOpen is the time the breaker has refused calls (open or half-open), in seconds.
	ReadingBreakerOpen = "breaker_open_seconds_total"
	// ReadingProxyRequests counts the HTTP requests a fault proxy read from every caller of
	// the service behind it; its owner is ProxyOwner(service).
	ReadingProxyRequests = "proxy_requests_total"
)

// ProxyOwner is the owner of the readings of the fault proxy in front of service.
func ProxyOwner(service string) string { return "proxy:" + service }

// maxOpenSpans bounds the spans listed for one breaker.
const maxOpenSpans = 20

// Hop is what one service's calls to one of its dependencies did, from the caller's own
// counters: over the whole load in RunSummary.Hops (from the last reading before it to the
// last of the run), over a fault and the recovery after it in FaultImpact.Hops.
type Hop struct {
	Caller     string `json:"caller"`
	Dependency string `json:"dependency"`
	// Calls the caller was asked to make of the dependency, and Attempts it sent.
	Calls    float64 `json:"calls"`
	Attempts float64 `json:"attempts"`
	// Received counts the requests that the fault proxy in front of the dependency read
	// over the same span, from every caller (the load's own requests too): a count of the
	// attempts independent of the caller's. Nil when the dependency had no HTTP-mode proxy.
	Received *float64 `json:"received,omitempty"`
	// RetryAmplification is Attempts ÷ Calls: requests the dependency was sent per request
	// the chain asked of it. Above 1, retries multiplied the load; below 1, an open breaker
	// spared the dependency. 0 without calls.
	RetryAmplification float64 `json:"retry_amplification"`
	// BreakerOpened counts the times the breaker opened from closed; BreakerOpenS is how long
	// it refused calls (open or half-open) in all, from the caller's own clock.
	BreakerOpened float64 `json:"breaker_opened"`
	BreakerOpenS  float64 `json:"breaker_open_s"`
	// BreakerOpen says when (whole run only): the spans between readings, in seconds since
	// load start, during which the breaker refused calls at least part of the time; their
	// edges are as fine as the scrapes (1 s). At most 20.
	BreakerOpen []Span `json:"breaker_open,omitempty"`
	// AttemptMaxMs is the longest attempt the caller made and TimeoutMs its configured
	// timeout per attempt (whole run only); TimeoutsHeld is false when the longest attempt
	// outlived the timeout by more than 100 ms plus a tenth of it (timeoutSlack), nil when
	// the caller reports no timeout.
	AttemptMaxMs float64 `json:"attempt_max_ms,omitempty"`
	TimeoutMs    float64 `json:"timeout_ms,omitempty"`
	TimeoutsHeld *bool   `json:"timeouts_held,omitempty"`
}

// Span is a stretch of a run, in seconds since load start.
type Span struct {
	FromS float64 `json:"from_s"`
	ToS   float64 `json:"to_s"`
}

// timeoutSlack is how far past its timeout an attempt may end and still count as held: the
// caller's clock reads the attempt around the client call, so a busy CPU delays the reading
// (and the timer) by scheduling, not by a timeout that failed: 100 ms plus 10 % of it.
func timeoutSlack(timeoutMs float64) float64 { return 100 + timeoutMs/10 }

// hopKeys lists the caller, dependency pairs of a run's readings, sorted.
func hopKeys(run *Run) [][2]string {
	seen := map[[2]string]bool{}
	for i := range run.Readings {
		rd := &run.Readings[i]
		for name := range rd.Values {
			if dep, ok := strings.CutPrefix(name, ReadingCalls+"/"); ok {
				seen[[2]string{rd.Owner, dep}] = true
			}
		}
	}
	keys := make([][2]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	return keys
}

// hopWindow measures one hop's counters from the last reading at or before from to the
// last at or before to.
func hopWindow(run *Run, caller, dep string, from, to float64) Hop {
	series := func(name string) Series { return readingSeries(run, caller, name+"/"+dep) }
	h := Hop{Caller: caller, Dependency: dep,
		Calls:         orZero(series(ReadingCalls).Delta(from, to)),
		Attempts:      orZero(series(ReadingAttempts).Delta(from, to)),
		BreakerOpened: orZero(series(ReadingBreakerOpened).Delta(from, to)),
		BreakerOpenS:  orZero(series(ReadingBreakerOpen).Delta(from, to)),
	}
	if h.Calls > 0 {
		h.RetryAmplification = h.Attempts / h.Calls
	}
	if v := readingSeries(run, ProxyOwner(dep), ReadingProxyRequests).Delta(from, to); !math.IsNaN(v) {
		h.Received = &v
	}
	return h
}

// hops measures every hop of a run over the whole load: from the last reading before it
// (idle) to the run's last reading.
func hops(run *Run) []Hop {
	var out []Hop
	for _, k := range hopKeys(run) {
		caller, dep := k[0], k[1]
		h := hopWindow(run, caller, dep, 0, math.Inf(1))
		h.BreakerOpen = openSpans(readingSeries(run, caller, ReadingBreakerOpen+"/"+dep))
		if v := readingSeries(run, caller, ReadingAttemptMax+"/"+dep).Peak(math.Inf(-1), math.Inf(1)); !math.IsNaN(v) {
			h.AttemptMaxMs = v * 1000
		}
		if v := readingSeries(run, caller, ReadingTimeout+"/"+dep).Last(math.Inf(1)); !math.IsNaN(v) {
			h.TimeoutMs = v * 1000
			held := h.AttemptMaxMs <= h.TimeoutMs+timeoutSlack(h.TimeoutMs)
			h.TimeoutsHeld = &held
		}
		out = append(out, h)
	}
	return out
}

// faultHops measures every hop over each fault: from its injection to its revert, or for
// an instant fault (kill, restart, terminate) to the next fault's injection (the last one:
// to the end of the run), so that the breaker's spell after a kill counts with it. The
// edges fall on the callers' scrapes, up to a second before the fault's own.
func faultHops(run *Run, faults []FaultImpact) {
	keys := hopKeys(run)
	if len(keys) == 0 {
		return
	}
	for i := range faults {
		to := faults[i].RevertedAt
		if to <= faults[i].InjectedAt {
			to = math.Inf(1)
			if i+1 < len(faults) {
				to = faults[i+1].InjectedAt
			}
		}
		for _, k := range keys {
			faults[i].Hops = append(faults[i].Hops, hopWindow(run, k[0], k[1], faults[i].InjectedAt, to))
		}
	}
}

// openSpans returns the spans between consecutive readings of a breaker's open-seconds
// counter in which it grew (a fall is a restarted caller: growth from zero), adjacent
// spans merged.
func openSpans(s Series) []Span {
	var out []Span
	for i := 1; i < len(s.T); i++ {
		grew := s.V[i] > s.V[i-1] || (s.V[i] < s.V[i-1] && s.V[i] > 0)
		if !grew {
			continue
		}
		if n := len(out); n > 0 && out[n-1].ToS == s.T[i-1] {
			out[n-1].ToS = s.T[i]
			continue
		}
		if len(out) == maxOpenSpans {
			break
		}
		out = append(out, Span{FromS: s.T[i-1], ToS: s.T[i]})
	}
	return out
}
