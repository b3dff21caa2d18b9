package main

import (
	"bufio"
	"net/http"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// TagHeader marks traffic a run wants to follow through every hop; requests that carry it
// with a non-empty value are counted in gauntlet_http_tagged_requests_total.
const TagHeader = "X-Gauntlet-Tag"

// maxStatus bounds the status codes counted; net/http accepts 100–999.
const maxStatus = 1000

// routeStats counts one route's responses by status code.
type routeStats struct {
	route string
	codes [maxStatus]atomic.Uint64
}

func (rs *routeStats) observe(code int) {
	if code < 100 || code >= maxStatus {
		return
	}
	rs.codes[code].Add(1)
}

// serverMetrics is the state behind /metrics. routes is written only while the role
// registers its endpoints and read-only afterwards; everything per request is atomic.
type serverMetrics struct {
	routes   []*routeStats
	deps     []*depStats
	tagged   atomic.Uint64
	inFlight atomic.Int64
	grpc     map[string]*grpcMethodStats // gRPC mode: by full method name (grpcmetrics.go)
}

func newServerMetrics() *serverMetrics { return &serverMetrics{} }

// route adds the counters for a new route label. Call it only while building the router.
func (m *serverMetrics) route(label string) *routeStats {
	rs := &routeStats{route: label}
	m.routes = append(m.routes, rs)
	return rs
}

// dependency adds the series of a new downstream dependency. Call it only while building
// the router.
func (m *serverMetrics) dependency(name string, timeout time.Duration) *depStats {
	ds := &depStats{name: name, timeout: timeout, breaker: newBreaker()}
	m.deps = append(m.deps, ds)
	return ds
}

// instrument wraps the whole handler with the in-flight gauge and the tagged counter.
func (m *serverMetrics) instrument(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.inFlight.Add(1)
		defer m.inFlight.Add(-1)
		if r.Header.Get(TagHeader) != "" {
			m.tagged.Add(1)
		}
		h.ServeHTTP(w, r)
	})
}

// serveHTTP writes the Prometheus text exposition format 0.0.4.
func (m *serverMetrics) serveHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	bw := bufio.NewWriter(w)
	m.write(bw)
	_ = bw.Flush()
}

func (m *serverMetrics) write(bw *bufio.Writer) {
	routes := slices.Clone(m.routes)
	slices.SortFunc(routes, func(a, b *routeStats) int { return strings.Compare(a.route, b.route) })

	bw.WriteString("# HELP gauntlet_http_requests_total HTTP requests answered, by route and status code.\n")
	bw.WriteString("# TYPE gauntlet_http_requests_total counter\n")
	var buf []byte
	for _, rs := range routes {
		for code := range rs.codes {
			n := rs.codes[code].Load()
			if n == 0 {
				continue
			}
			buf = append(buf[:0], `gauntlet_http_requests_total{route="`...)
			buf = appendLabelValue(buf, rs.route)
			buf = append(buf, `",code="`...)
			buf = strconv.AppendInt(buf, int64(code), 10)
			buf = append(buf, `"} `...)
			buf = strconv.AppendUint(buf, n, 10)
			buf = append(buf, '\n')
			bw.Write(buf)
		}
	}

	bw.WriteString("# HELP gauntlet_http_tagged_requests_total HTTP requests that carried a non-empty " + TagHeader + " header.\n")
	bw.WriteString("# TYPE gauntlet_http_tagged_requests_total counter\n")
	bw.WriteString("gauntlet_http_tagged_requests_total " + strconv.FormatUint(m.tagged.Load(), 10) + "\n")

	bw.WriteString("# HELP gauntlet_http_in_flight_requests HTTP requests being served, this one included.\n")
	bw.WriteString("# TYPE gauntlet_http_in_flight_requests gauge\n")
	bw.WriteString("gauntlet_http_in_flight_requests " + strconv.FormatInt(m.inFlight.Load(), 10) + "\n")

	if len(m.deps) > 0 {
		m.writeDeps(bw)
	}
	if len(m.grpc) > 0 {
		m.writeGRPC(bw)
	}
	writeConnStats(bw)

	writeGC(bw)

	bw.WriteString("# HELP go_goroutines Number of goroutines that currently exist.\n")
	bw.WriteString("# TYPE go_goroutines gauge\n")
	bw.WriteString("go_goroutines " + strconv.Itoa(runtime.NumGoroutine()) + "\n")
}

// gcQuantiles are the quantiles of go_gc_duration_seconds, as client_golang writes them.
var gcQuantiles = []string{"0", "0.25", "0.5", "0.75", "1"}

// writeGC writes go_gc_duration_seconds as client_golang does: a summary of the
// stop-the-world pauses of recent collections, with the total pause time and count.
func writeGC(bw *bufio.Writer) {
	st := debug.GCStats{PauseQuantiles: make([]time.Duration, len(gcQuantiles))}
	debug.ReadGCStats(&st)
	bw.WriteString("# HELP go_gc_duration_seconds A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.\n")
	bw.WriteString("# TYPE go_gc_duration_seconds summary\n")
	for i, q := range gcQuantiles {
		v := 0.0
		if st.NumGC > 0 {
			v = st.PauseQuantiles[i].Seconds()
		}
		bw.WriteString(`go_gc_duration_seconds{quantile="` + q + `"} ` + strconv.FormatFloat(v, 'g', -1, 64) + "\n")
	}
	bw.WriteString("go_gc_duration_seconds_sum " + strconv.FormatFloat(st.PauseTotal.Seconds(), 'g', -1, 64) + "\n")
	bw.WriteString("go_gc_duration_seconds_count " + strconv.FormatInt(st.NumGC, 10) + "\n")
}

// writeDeps writes the downstream series. Every outcome of every dependency is written,
// zeros included, so a rate over them exists from the first scrape.
func (m *serverMetrics) writeDeps(bw *bufio.Writer) {
	deps := slices.Clone(m.deps)
	slices.SortFunc(deps, func(a, b *depStats) int { return strings.Compare(a.name, b.name) })

	bw.WriteString("# HELP gauntlet_downstream_requests_total Downstream calls (all attempts of one call count once), by dependency and outcome.\n")
	bw.WriteString("# TYPE gauntlet_downstream_requests_total counter\n")
	for _, d := range deps {
		for o, name := range outcomeNames {
			bw.WriteString(`gauntlet_downstream_requests_total{dependency="` + d.name + `",outcome="` + name + `"} `)
			bw.WriteString(strconv.FormatUint(d.outcomes[o].Load(), 10) + "\n")
		}
	}
	bw.WriteString("# HELP gauntlet_downstream_retries_total Downstream attempts after the first, by dependency.\n")
	bw.WriteString("# TYPE gauntlet_downstream_retries_total counter\n")
	for _, d := range deps {
		bw.WriteString(`gauntlet_downstream_retries_total{dependency="` + d.name + `"} ` + strconv.FormatUint(d.retries.Load(), 10) + "\n")
	}
	bw.WriteString("# HELP gauntlet_downstream_attempts_total Downstream attempts sent (the first of each call and its retries), by dependency.\n")
	bw.WriteString("# TYPE gauntlet_downstream_attempts_total counter\n")
	for _, d := range deps {
		bw.WriteString(`gauntlet_downstream_attempts_total{dependency="` + d.name + `"} ` + strconv.FormatUint(d.attempts.Load(), 10) + "\n")
	}
	bw.WriteString("# HELP gauntlet_downstream_attempt_seconds_max The longest downstream attempt so far, by dependency.\n")
	bw.WriteString("# TYPE gauntlet_downstream_attempt_seconds_max gauge\n")
	for _, d := range deps {
		bw.WriteString(`gauntlet_downstream_attempt_seconds_max{dependency="` + d.name + `"} ` + formatSeconds(time.Duration(d.slowest.Load())) + "\n")
	}
	bw.WriteString("# HELP gauntlet_downstream_timeout_seconds The configured timeout of one downstream attempt, by dependency.\n")
	bw.WriteString("# TYPE gauntlet_downstream_timeout_seconds gauge\n")
	for _, d := range deps {
		bw.WriteString(`gauntlet_downstream_timeout_seconds{dependency="` + d.name + `"} ` + formatSeconds(d.timeout) + "\n")
	}
	now := time.Now()
	bw.WriteString("# HELP gauntlet_circuit_breaker_opened_total Times the dependency's circuit breaker opened from closed.\n")
	bw.WriteString("# TYPE gauntlet_circuit_breaker_opened_total counter\n")
	var refused []time.Duration
	for _, d := range deps {
		opened, r := d.breaker.history(now)
		refused = append(refused, r)
		bw.WriteString(`gauntlet_circuit_breaker_opened_total{dependency="` + d.name + `"} ` + strconv.FormatUint(opened, 10) + "\n")
	}
	bw.WriteString("# HELP gauntlet_circuit_breaker_open_seconds_total Time the dependency's circuit breaker has refused calls (open or half-open).\n")
	bw.WriteString("# TYPE gauntlet_circuit_breaker_open_seconds_total counter\n")
	for i, d := range deps {
		bw.WriteString(`gauntlet_circuit_breaker_open_seconds_total{dependency="` + d.name + `"} ` + formatSeconds(refused[i]) + "\n")
	}
	bw.WriteString("# HELP gauntlet_circuit_breaker_open 1 while the dependency's circuit breaker refuses calls (open or half-open), else 0.\n")
	bw.WriteString("# TYPE gauntlet_circuit_breaker_open gauge\n")
	for _, d := range deps {
		open := "0"
		if d.breaker.isOpen() {
			open = "1"
		}
		bw.WriteString(`gauntlet_circuit_breaker_open{dependency="` + d.name + `"} ` + open + "\n")
	}
}

// formatSeconds writes d in seconds, as Prometheus wants durations.
func formatSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'g', -1, 64)
}

// appendLabelValue escapes s as a Prometheus label value.
func appendLabelValue(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			buf = append(buf, `\\`...)
		case '"':
			buf = append(buf, `\"`...)
		case '\n':
			buf = append(buf, `\n`...)
		default:
			buf = append(buf, c)
		}
	}
	return buf
}
