package engine

import (
	"sync"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// shutdownWatch counts, for every terminate fault injected during the load, what the load's
// requests saw of the service's shutdown (a metrics.Shutdown line each). It receives every
// Result as a runners.ResultSink, off the hot path, and exists only in runs with a terminate
// fault on a service gauntlet started.
type shutdownWatch struct {
	variant string
	t0      time.Time

	mu      sync.Mutex
	signals []*watchedSignal
}

type watchedSignal struct {
	at   time.Duration // since load start
	line metrics.Shutdown
}

// newShutdownWatch returns the watch of a variant's run whose load starts at t0, or nil when
// spec has no local terminate fault.
func newShutdownWatch(spec *scenarios.Spec, variant string, t0 time.Time) *shutdownWatch {
	for _, f := range spec.Faults {
		if f.Kind == "terminate" && !spec.OnKubernetes(f) {
			return &shutdownWatch{variant: variant, t0: t0}
		}
	}
	return nil
}

// Begin implements runners.ResultSink; the watch knows its t0 already.
func (w *shutdownWatch) Begin(string, time.Time, []string) {}

// Put implements runners.ResultSink.
func (w *shutdownWatch) Put(r metrics.Result) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.signals {
		s.line.Observe(&r, s.at)
	}
}

// signal notes that service is about to be sent SIGTERM by fault. Call it right before the
// signal. A nil watch does nothing.
func (w *shutdownWatch) signal(fault, service string) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	at := now.Sub(w.t0)
	w.signals = append(w.signals, &watchedSignal{at: at, line: metrics.Shutdown{Variant: w.variant, Time: now,
		T: at.Seconds(), Fault: fault, Service: service}})
}

// lines returns one line per signal; call it once the runner has returned.
func (w *shutdownWatch) lines() []metrics.Shutdown {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]metrics.Shutdown, 0, len(w.signals))
	for _, s := range w.signals {
		out = append(out, s.line)
	}
	return out
}
