package scenarios

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// LatencyMetrics are the threshold metrics measured in milliseconds.
var LatencyMetrics = []string{"p50", "p90", "p95", "p99", "p99.9", "p99.99", "max", "mean"}

// Metrics lists every metric a threshold may name.
var Metrics = append(slices.Clone(LatencyMetrics), "error_rate", "rps", "requests", "time_to_recover")

var thresholdOps = []string{"<=", ">=", "<", ">"}

var thresholdFields = []string{"expr", "request", "window"}

// ParseThreshold parses an expression like "p99 < 250ms" or "error_rate < 1%".
// Latency metrics and time_to_recover need a unit (us, ms, s) and yield
// milliseconds; error_rate takes a percentage or a ratio <= 1.
func ParseThreshold(expr string) (Threshold, error) {
	t := Threshold{Expr: expr}
	i := strings.IndexAny(expr, "<>")
	if i < 0 {
		if strings.Contains(expr, "=") {
			return t, errors.New("threshold " + strconv.Quote(expr) + " needs one of < <= > >=")
		}
		return t, errors.New("invalid threshold " + strconv.Quote(expr) + ` (use e.g. "p99 < 250ms")`)
	}
	t.Metric = strings.TrimSpace(expr[:i])
	t.Op = expr[i : i+1]
	rest := expr[i+1:]
	if strings.HasPrefix(rest, "=") {
		t.Op += "="
		rest = rest[1:]
	}
	val := strings.TrimSpace(rest)
	if !slices.Contains(Metrics, t.Metric) {
		if t.Metric == "" {
			return t, errors.New("threshold " + strconv.Quote(expr) + " names no metric (use e.g. \"p99 < 250ms\")")
		}
		msg := "unknown metric " + strconv.Quote(t.Metric) + " in threshold " + strconv.Quote(expr)
		if h := hint(t.Metric, Metrics); h != "" {
			return t, errors.New(msg + h)
		}
		return t, errors.New(msg + " (metrics: " + strings.Join(Metrics, ", ") + ")")
	}
	if val == "" {
		return t, errors.New("threshold " + strconv.Quote(expr) + " has no value")
	}
	v, err := thresholdValue(t.Metric, val)
	if err != nil {
		return t, errors.New("threshold " + strconv.Quote(expr) + ": " + err.Error())
	}
	t.Value = v
	return t, nil
}

func thresholdValue(metric, val string) (float64, error) {
	switch {
	case slices.Contains(LatencyMetrics, metric) || metric == "time_to_recover":
		if _, err := strconv.ParseFloat(val, 64); err == nil {
			return 0, errors.New("add a unit to " + val + ", e.g. " + val + "ms")
		}
		d, err := time.ParseDuration(val)
		if err != nil {
			return 0, errors.New("invalid duration " + strconv.Quote(val) + " (use e.g. 250ms, 1s)")
		}
		if d < 0 {
			return 0, errors.New("must be >= 0")
		}
		return float64(d) / float64(time.Millisecond), nil
	case metric == "error_rate":
		if pct, ok := strings.CutSuffix(val, "%"); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
			if err != nil || v < 0 || v > 100 {
				return 0, errors.New("invalid percentage " + strconv.Quote(val) + " (use 0% to 100%)")
			}
			return v / 100, nil
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil || v < 0 {
			return 0, errors.New("invalid error rate " + strconv.Quote(val) + " (use e.g. 1% or 0.01)")
		}
		if v > 1 {
			return 0, errors.New("error_rate is a ratio from 0 to 1; write " + val + "% or " + strconv.FormatFloat(v/100, 'g', -1, 64))
		}
		return v, nil
	case metric == "rps":
		v, err := strconv.ParseFloat(strings.TrimSuffix(val, "/s"), 64)
		if err != nil || v < 0 {
			return 0, errors.New("invalid rate " + strconv.Quote(val) + " (use requests per second, e.g. 1000)")
		}
		return v, nil
	default: // requests
		v, err := strconv.ParseUint(val, 10, 63)
		if err != nil {
			return 0, errors.New("invalid count " + strconv.Quote(val) + " (use a whole number)")
		}
		return float64(v), nil
	}
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
			switch e.key {
			case "expr":
				exprNode = d.resolve(e.value)
				d.decodeValue(e.value, reflectOf(&expr), joinPath(path, "expr"), "")
			case "request":
				d.decodeValue(e.value, reflectOf(&t.Request), joinPath(path, "request"), "")
			case "window":
				d.decodeValue(e.value, reflectOf(&t.Window), joinPath(path, "window"), "")
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
