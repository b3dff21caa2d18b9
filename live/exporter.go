// Package live serves a run's figures while it runs, in the Prometheus
// exposition format, for dashboards (Grafana on Prometheus). It reads the
// run record's lines as they are written — one per request name and second,
// probe readings, fault events — so it adds nothing to the per-request path.
package live

import (
	"maps"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gauntletbench/gauntlet/metrics"
)

// latencyBuckets are the upper bounds, in seconds, of the latency and
// schedule-lag histograms: 100 µs to 10 s.
var latencyBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Exporter holds the live figures of a run, fed by Observe and read by
// Prometheus through Collect. It is safe for concurrent use.
type Exporter struct {
	mu       sync.Mutex
	requests map[reqKey]*reqFigures
	owners   map[ownerKey]map[string]float64 // the latest readings
	faults   map[faultKey]bool               // in effect
	err      error                           // the first undecodable histogram
	inFlight map[string]func() int64         // by variant
}

type reqKey struct{ variant, request string }

type ownerKey struct{ variant, owner string }

type faultKey struct{ variant, name, kind, target string }

type reqFigures struct {
	requests, errors, dropped int64
	classes                   map[string]int64
	latency, lag              histogram
}

// histogram is a Prometheus histogram built from interval histograms:
// counts per bucket of latencyBuckets (not cumulative; the last one is
// +Inf), count and sum in seconds.
type histogram struct {
	counts []uint64
	count  uint64
	sum    float64
}

// New returns an empty exporter.
func New() *Exporter {
	return &Exporter{requests: map[reqKey]*reqFigures{}, owners: map[ownerKey]map[string]float64{}, faults: map[faultKey]bool{},
		inFlight: map[string]func() int64{}}
}

// SetInFlight gives the function that reads how many requests variant's
// load has in flight (engine.Options.InFlight); it is read at each scrape.
func (x *Exporter) SetInFlight(variant string, f func() int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.inFlight[variant] = f
}

// Observe takes lines of the run record as they are written (metrics.Writer
// tap): intervals, readings and fault events; it ignores the rest.
func (x *Exporter) Observe(lines []any) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, l := range lines {
		switch l := l.(type) {
		case metrics.Interval:
			x.interval(&l)
		case *metrics.Interval:
			x.interval(l)
		case metrics.Readings:
			x.readings(&l)
		case *metrics.Readings:
			x.readings(l)
		case metrics.FaultEvent:
			x.fault(&l)
		case *metrics.FaultEvent:
			x.fault(l)
		}
	}
}

func (x *Exporter) interval(iv *metrics.Interval) {
	k := reqKey{iv.Variant, iv.Request}
	f := x.requests[k]
	if f == nil {
		f = &reqFigures{classes: map[string]int64{}}
		x.requests[k] = f
	}
	f.requests += iv.Requests
	f.errors += iv.Errors
	f.dropped += iv.Dropped
	for c, n := range iv.Classes {
		f.classes[c] += n
	}
	for _, h := range []struct {
		into *histogram
		enc  string
	}{{&f.latency, iv.Latency}, {&f.lag, iv.Lag}} {
		if err := h.into.add(h.enc); err != nil && x.err == nil {
			x.err = err
		}
	}
}

func (x *Exporter) readings(rd *metrics.Readings) {
	k := ownerKey{rd.Variant, rd.Owner}
	if x.owners[k] == nil {
		x.owners[k] = map[string]float64{}
	}
	maps.Copy(x.owners[k], rd.Values)
}

func (x *Exporter) fault(ev *metrics.FaultEvent) {
	k := faultKey{ev.Variant, ev.Name, ev.Kind, ev.Target}
	switch ev.Event {
	case "injected":
		x.faults[k] = true
	case "reverted", "inject_failed":
		x.faults[k] = false
	}
}

// add folds an encoded interval histogram (metrics.Histogram.Encode) in.
func (h *histogram) add(enc string) error {
	if enc == "" {
		return nil
	}
	d := metrics.NewHistogram()
	if err := d.MergeEncoded(enc); err != nil {
		return err
	}
	if h.counts == nil {
		h.counts = make([]uint64, len(latencyBuckets)+1)
	}
	for _, b := range d.Distribution() {
		s := float64(b.UpperUs) / 1e6
		i, _ := slices.BinarySearch(latencyBuckets, s)
		h.counts[i] += uint64(b.Count)
	}
	h.count += uint64(d.Count())
	h.sum += d.Mean().Seconds() * float64(d.Count())
	return nil
}

// cumulative is h's buckets as Prometheus wants them.
func (h *histogram) cumulative() map[float64]uint64 {
	out := make(map[float64]uint64, len(latencyBuckets))
	var cum uint64
	for i, ub := range latencyBuckets {
		if h.counts != nil {
			cum += h.counts[i]
		}
		out[ub] = cum
	}
	return out
}

var _ prometheus.Collector = (*Exporter)(nil)
