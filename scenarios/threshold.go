package scenarios

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// Threshold is a pass/fail condition on the run's results. Its YAML form is
// an expression string "p99 < 250ms" or a map
//
//	{expr: "p99 < 300ms", request: create-order, window: faults}
//
// with the optional scopes request, service, variant and window, and
// abort_on_fail / delay_abort_eval to stop a run early.
type Threshold struct {
	// Expr is the expression as written.
	Expr string
	// Metric is one of Metrics, or a family member such as errors.timeout,
	// error_rate.http_5xx, status.503 or status_rate.5xx (see MetricHelp).
	Metric string
	// Op is one of < <= > >= ==.
	Op string
	// Value is in the metric's canonical unit: milliseconds for latencies,
	// schedule_lag, time_to_recover, startup_ms and cpu_per_1k; bytes for
	// rss_idle and rss_peak; a 0–1 ratio for error_rate, status_rate and
	// tag_coverage; requests per second for rps; a count otherwise.
	Value float64
	// Request, when set, scopes the threshold to the request of that name.
	Request string
	// Service names the service a service metric (startup_ms, rss_idle,
	// rss_peak, cpu_per_1k, threads_peak, tag_coverage) is judged on. Empty
	// means every service gauntlet started, each of which must pass.
	Service string
	// Variant, when set, judges only the run of that variant.
	Variant string
	// Window is "" (the whole measured run), "faults" (every fault's
	// during-window, each of which must pass), "steady" (the windows before
	// each fault) or "fault:NAME" (the during-window of one fault).
	Window string
	// AbortOnFail asks the engine to stop the run as soon as the threshold
	// fails, after DelayAbortEval has passed since load start.
	AbortOnFail    bool
	DelayAbortEval Duration
	// Line and Col locate the threshold in its file (0 when unknown).
	Line, Col int
}

// LatencyMetrics are the threshold metrics on the latency distribution,
// measured in milliseconds.
var LatencyMetrics = []string{"p50", "p75", "p90", "p95", "p99", "p99.9", "p99.99", "max", "mean"}

// ServiceMetrics are measured per service under test; a threshold on one
// names its service or applies to every service.
var ServiceMetrics = []string{"startup_ms", "rss_idle", "rss_peak", "cpu_per_1k", "threads_peak", "tag_coverage", "leaks"}

// ErrorClasses are the error classes errors.CLASS and error_rate.CLASS name.
var ErrorClasses = append([]string{"timeout", "connection_refused", "connection_reset", "transport", "http_4xx", "http_5xx",
	"expectation_failed"}, grpcStatusErrorClasses()...)

// Metrics lists every metric a threshold may name, family members aside.
var Metrics = slices.Concat(LatencyMetrics,
	[]string{"rps", "requests", "errors", "error_rate", "schedule_lag", "time_to_recover"}, ServiceMetrics, ShutdownMetrics, HopMetrics)

// HopMetrics are measured per hop, a service's calls to one dependency, from the caller's
// own counters: attempts per call, the time its circuit breaker refused calls, and hops
// whose slowest attempt outlived the timeout. service: names the dependency (the hop to
// payment is service: payment), window: a fault and what followed it.
var HopMetrics = []string{"retry_amplification", "breaker_open", "timeouts_broken"}

// ShutdownMetrics are measured per terminate fault: the requests in flight at the SIGTERM
// that failed, and the time until the process exited.
var ShutdownMetrics = []string{"shutdown_failed", "shutdown_ms"}

// Metric families take a qualifier after a dot: errors.timeout (a count),
// error_rate.timeout (a ratio), status.503 or status.5xx (a count of
// responses), status_rate.5xx (their share of requests).
var metricFamilies = []string{"errors", "error_rate", "status", "status_rate"}

// MetricHelp lists the metrics and their families for messages and help.
const MetricHelp = "p50 p75 p90 p95 p99 p99.9 p99.99 max mean (latency), rps, requests, errors, error_rate, " +
	"errors.CLASS, error_rate.CLASS, status.CODE, status_rate.CODE (CODE like 503, 5xx or grpc_unavailable), schedule_lag, " +
	"time_to_recover, startup_ms, rss_idle, rss_peak, cpu_per_1k, threads_peak, tag_coverage, leaks, shutdown_failed, shutdown_ms, " +
	"retry_amplification, breaker_open, timeouts_broken"

// unitKind is how a metric's value is written and converted.
type unitKind int

const (
	durationUnit unitKind = iota // needs us, ms or s; canonical ms
	msUnit                       // a bare number is ms; durations work too
	ratioUnit                    // 1% or 0.01; canonical ratio
	countUnit                    // a whole number
	rateUnit                     // per second, optional /s
	bytesUnit                    // needs B, KB, MB or GB; canonical bytes
	factorUnit                   // a bare number, any size (a multiplier)
)

// scope is a set of the scopes a metric accepts.
type scope uint8

const (
	scopeRequest scope = 1 << iota
	scopeWindow
	scopeService
)

type metricSpec struct {
	unit   unitKind
	scopes scope
}

// lookupMetric returns the spec of a metric name, or an error with a
// did-you-mean hint.
func lookupMetric(name string) (metricSpec, error) {
	switch {
	case slices.Contains(LatencyMetrics, name):
		return metricSpec{durationUnit, scopeRequest | scopeWindow}, nil
	case name == "rps":
		return metricSpec{rateUnit, scopeRequest | scopeWindow}, nil
	case name == "requests", name == "errors":
		return metricSpec{countUnit, scopeRequest | scopeWindow}, nil
	case name == "error_rate":
		return metricSpec{ratioUnit, scopeRequest | scopeWindow}, nil
	case name == "schedule_lag":
		return metricSpec{durationUnit, 0}, nil
	case name == "time_to_recover", name == "shutdown_ms":
		return metricSpec{durationUnit, scopeWindow}, nil
	case name == "shutdown_failed":
		return metricSpec{countUnit, scopeWindow}, nil
	case name == "startup_ms", name == "cpu_per_1k":
		return metricSpec{msUnit, scopeService}, nil
	case name == "rss_idle", name == "rss_peak":
		return metricSpec{bytesUnit, scopeService}, nil
	case name == "threads_peak", name == "leaks":
		return metricSpec{countUnit, scopeService}, nil
	case name == "tag_coverage":
		return metricSpec{ratioUnit, scopeService}, nil
	case name == "retry_amplification":
		return metricSpec{factorUnit, scopeService | scopeWindow}, nil
	case name == "breaker_open":
		return metricSpec{durationUnit, scopeService | scopeWindow}, nil
	case name == "timeouts_broken":
		return metricSpec{countUnit, scopeService}, nil
	}
	family, q, dotted := strings.Cut(name, ".")
	if dotted && slices.Contains(metricFamilies, family) {
		switch family {
		case "errors", "error_rate":
			if !slices.Contains(ErrorClasses, q) {
				return metricSpec{}, &metricError{"unknown error class " + strconv.Quote(q),
					or(hint(q, ErrorClasses), " (classes: "+strings.Join(ErrorClasses, ", ")+")")}
			}
		default:
			if !validStatus(q) {
				return metricSpec{}, &metricError{"invalid status " + strconv.Quote(q) + " in " + family, " (use a code like 503, a class like 5xx or a gRPC status like grpc_unavailable)"}
			}
		}
		unit := countUnit
		if strings.HasSuffix(family, "_rate") {
			unit = ratioUnit
		}
		return metricSpec{unit, scopeRequest}, nil
	}
	if name == "" {
		return metricSpec{}, &metricError{"names no metric", ""}
	}
	return metricSpec{}, &metricError{"unknown metric " + strconv.Quote(name),
		or(hint(name, metricCandidates()), " (metrics: "+MetricHelp+")")}
}

// metricError is an unknown metric: what is wrong, and a hint in
// parentheses that messages put last.
type metricError struct{ msg, hint string }

func (e *metricError) Error() string { return e.msg + e.hint }

// metricCandidates is every spelled-out metric, for did-you-mean hints.
func metricCandidates() []string {
	out := slices.Clone(Metrics)
	for _, c := range ErrorClasses {
		out = append(out, "errors."+c, "error_rate."+c)
	}
	return append(out, "status.5xx", "status.4xx", "status_rate.5xx", "status_rate.4xx")
}

// validStatus accepts an HTTP status code (100–599), a class like 5xx or a
// gRPC status like grpc_unavailable.
func validStatus(s string) bool {
	if name, ok := strings.CutPrefix(s, "grpc_"); ok {
		return slices.Contains(GRPCStatusNames, strings.ToUpper(name))
	}
	if len(s) != 3 || s[0] < '1' || s[0] > '5' {
		return false
	}
	if s[1:] == "xx" {
		return true
	}
	return s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9'
}

var thresholdOps = []string{"<=", ">=", "==", "<", ">"}

var thresholdFields = []string{"expr", "request", "service", "variant", "window", "abort_on_fail", "delay_abort_eval"}

// ParseThreshold parses an expression like "p99 < 250ms", "error_rate < 1%",
// "rss_peak < 200MB" or "errors.timeout < 10". The value is converted to the
// metric's canonical unit (see Threshold.Value); a unit that does not fit
// the metric is an error.
func ParseThreshold(expr string) (Threshold, error) {
	t := Threshold{Expr: expr}
	i := strings.IndexAny(expr, "<>")
	eq := strings.Index(expr, "==")
	if i < 0 && eq < 0 {
		if strings.Contains(expr, "=") {
			return t, errors.New("threshold " + strconv.Quote(expr) + " needs one of < <= > >= ==")
		}
		return t, errors.New("invalid threshold " + strconv.Quote(expr) + ` (use e.g. "p99 < 250ms")`)
	}
	var rest string
	if i < 0 {
		t.Metric, t.Op, rest = strings.TrimSpace(expr[:eq]), "==", expr[eq+2:]
	} else {
		t.Metric = strings.TrimSpace(expr[:i])
		t.Op = expr[i : i+1]
		rest = expr[i+1:]
		if strings.HasPrefix(rest, "=") {
			t.Op += "="
			rest = rest[1:]
		}
	}
	val := strings.TrimSpace(rest)
	spec, err := lookupMetric(t.Metric)
	if err != nil {
		if t.Metric == "" {
			return t, errors.New("threshold " + strconv.Quote(expr) + ` names no metric (use e.g. "p99 < 250ms")`)
		}
		me := err.(*metricError)
		return t, errors.New(me.msg + " in threshold " + strconv.Quote(expr) + me.hint)
	}
	if val == "" {
		return t, errors.New("threshold " + strconv.Quote(expr) + " has no value")
	}
	v, err := thresholdValue(t.Metric, spec.unit, val)
	if err != nil {
		return t, errors.New("threshold " + strconv.Quote(expr) + ": " + err.Error())
	}
	t.Value = v
	return t, nil
}

func (t *Threshold) decodeNode(d *decoder, n ast.Node, path string) {
	p := nodePos(n)
	exprNode := n
	var expr string
	if isScalar(n) {
		expr = scalarText(n)
	} else {
		es, ok := d.entries(n, path)
		if !ok {
			return
		}
		exprNode = nil
		for _, e := range es {
			fp := joinPath(path, e.key)
			switch e.key {
			case "expr":
				exprNode = d.resolve(e.value)
				d.decodeValue(e.value, reflectOf(&expr), fp, "")
			case "request":
				d.decodeValue(e.value, reflectOf(&t.Request), fp, "")
			case "service":
				d.decodeValue(e.value, reflectOf(&t.Service), fp, "")
			case "variant":
				d.decodeValue(e.value, reflectOf(&t.Variant), fp, "")
			case "window":
				d.decodeValue(e.value, reflectOf(&t.Window), fp, "")
			case "abort_on_fail":
				d.decodeValue(e.value, reflectOf(&t.AbortOnFail), fp, "")
			case "delay_abort_eval":
				d.decodeValue(e.value, reflectOf(&t.DelayAbortEval), fp, "")
			default:
				d.unknownField(e, path, thresholdFields)
			}
		}
		if exprNode == nil {
			if !d.bad[joinPath(path, "expr")] {
				d.fail(n, path, `missing expr (e.g. expr: "p99 < 250ms")`)
			}
			return
		}
		if d.bad[joinPath(path, "expr")] {
			return
		}
	}
	parsed, err := ParseThreshold(expr)
	if err != nil {
		d.fail(exprNode, path, err.Error())
	}
	t.Expr, t.Metric, t.Op, t.Value = parsed.Expr, parsed.Metric, parsed.Op, parsed.Value
	t.Line, t.Col = p.line, p.col
}
