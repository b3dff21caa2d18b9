package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/gauntletbench/gauntlet/chaos/local"
	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/probes"
	"github.com/gauntletbench/gauntlet/runners"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// Probe intervals: process and host readings, and /metrics scrapes (less
// often: each scrape is a request the service counts).
const (
	sampleEvery = 250 * time.Millisecond
	scrapeEvery = time.Second
)

// scrapePick maps the baselines' /metrics families to reading names.
var scrapePick = map[string]string{
	"go_goroutines":                       "goroutines",
	"jvm_threads_live":                    "jvm_threads",
	"gauntlet_http_tagged_requests_total": "tagged_requests_total",
	// What the Go baseline's accepted connections carried, whatever the
	// protocol: the stages' bytes on the wire and connections open.
	"gauntlet_connections_open":                "connections_open",
	"gauntlet_connection_received_bytes_total": "net_received_bytes_total",
	"gauntlet_connection_sent_bytes_total":     "net_sent_bytes_total",
	// Requests that reached the service, not gauntlet's own readiness
	// polls and scrapes: the denominator of full-link coverage.
	"gauntlet_http_requests_total{route!=/healthz,route!=/metrics}": "requests_received_total",
	// The calls a reference service in gRPC mode received (health checks are
	// not methods of the chain).
	"gauntlet_grpc_requests_total": "grpc_requests_received_total",

	// The runtime's garbage collection (Go's stop-the-world pauses, the
	// JVM's collectors summed) and threads: what spike attribution reads.
	"go_gc_duration_seconds_sum":      "gc_pause_seconds_total",
	"go_gc_duration_seconds_count":    "gc_collections_total",
	"jvm_gc_collection_seconds_sum":   "gc_pause_seconds_total",
	"jvm_gc_collection_seconds_count": "gc_collections_total",
	"jvm_threads_current":             "jvm_threads",
	// Python: prometheus_client's collections per generation, summed, and the
	// Python baseline's own timing of them (gc.callbacks).
	"python_gc_collections_total":    "gc_collections_total",
	"python_gc_duration_seconds_sum": "gc_pause_seconds_total",
	"python_threads":                 "python_threads",

	// Per dependency (a reading per value of the label): calls, attempts, the slowest
	// attempt, the timeout and the circuit breaker, for the resilience figures.
	"gauntlet_downstream_requests_total{dependency=*}":          metrics.ReadingCalls + "/*",
	"gauntlet_downstream_attempts_total{dependency=*}":          metrics.ReadingAttempts + "/*",
	"gauntlet_downstream_attempt_seconds_max{dependency=*}":     metrics.ReadingAttemptMax + "/*",
	"gauntlet_downstream_timeout_seconds{dependency=*}":         metrics.ReadingTimeout + "/*",
	"gauntlet_circuit_breaker_opened_total{dependency=*}":       metrics.ReadingBreakerOpened + "/*",
	"gauntlet_circuit_breaker_open_seconds_total{dependency=*}": metrics.ReadingBreakerOpen + "/*",
}

// probeLogEvery is how often a probe that keeps failing is reported again.
const probeLogEvery = 10 * time.Second

// probeLog reports probe failures without flooding the log: an owner's
// first failure, then at most one line every probeLogEvery with how many
// failed since, and at the end (flush) how many went unreported.
type probeLog struct {
	mu      sync.Mutex
	w       io.Writer
	variant string
	owners  map[string]*probeFailures
}

type probeFailures struct {
	next  time.Time // when the next failure may be printed
	muted int       // failures since the last line
	last  error
}

func newProbeLog(w io.Writer, variant string) *probeLog {
	return &probeLog{w: w, variant: variant, owners: map[string]*probeFailures{}}
}

func (l *probeLog) failed(owner string, err error, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.owners[owner]
	if f == nil {
		f = &probeFailures{}
		l.owners[owner] = f
	}
	if now.Before(f.next) {
		f.muted++
		f.last = err
		return
	}
	if f.muted > 0 {
		fmt.Fprintf(l.w, "%s: probe %s: %v (failures not shown since the last line: %d)\n", l.variant, owner, err, f.muted)
	} else {
		fmt.Fprintf(l.w, "%s: probe %s: %v\n", l.variant, owner, err)
	}
	f.muted, f.last, f.next = 0, nil, now.Add(probeLogEvery)
}

// flush reports the failures not yet printed.
func (l *probeLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, owner := range slices.Sorted(maps.Keys(l.owners)) {
		if f := l.owners[owner]; f.muted > 0 {
			fmt.Fprintf(l.w, "%s: probe %s: failures not shown: %d, the last: %v\n", l.variant, owner, f.muted, f.last)
			f.muted, f.last = 0, nil
		}
	}
}

// prober samples the services of one variant, the host and the generator
// into the record from just after the services are ready until stopped.
type prober struct {
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	once     sync.Once
	scrapers []probes.Sampler
	emit     func(metrics.Readings)
	log      *probeLog
	t0       time.Time
	variant  string
}

func (e *engine) startProbes(ctx context.Context, crash context.CancelCauseFunc, variant string, st *stack, t0 time.Time) *prober {
	pctx, cancel := context.WithCancel(ctx)
	pr := &prober{cancel: cancel, t0: t0, variant: variant, log: newProbeLog(e.opt.Log, variant)}
	pr.emit = func(rd metrics.Readings) {
		// A record write error surfaces at the trailer; readings are best effort.
		_ = e.w.Write(rd)
	}
	onErr := func(owner string, err error) {
		if e.kills.down(owner) {
			return // a fault took the service down: its probes fail by design until it is back
		}
		if nm := (*probes.NoMetricsError)(nil); errors.As(err, &nm) {
			// Most services serve no Prometheus metrics: a remark, not an error.
			_ = e.w.Write(metrics.Note{Variant: variant, T: time.Since(t0).Seconds(), Kind: metrics.NoteNoMetrics,
				Text: fmt.Sprintf("service %s serves no Prometheus metrics at /metrics (it answered: %s), so its goroutines, threads and GC "+
					"were not read; set metrics: PATH on the service if it serves them elsewhere, or metrics: off", owner, nm.Answer)})
			return
		}
		pr.log.failed(owner, err, time.Now())
	}
	samplers := []probes.Sampler{probes.Host(), probes.Self()}
	if sets := e.cpus.sets(); sets != nil {
		samplers = append(samplers, probes.CPUSets(sets))
	}
	for _, svc := range st.order {
		samplers = append(samplers, &following{svc: svc})
		if s := e.scraper(svc); s != nil {
			pr.scrapers = append(pr.scrapers, s)
		}
	}
	for name, p := range st.proxies {
		if p.Mode() == local.HTTP {
			pr.scrapers = append(pr.scrapers, proxyCounts{service: name, p: p})
		}
	}
	for _, set := range []struct {
		every time.Duration
		ss    []probes.Sampler
	}{{sampleEvery, samplers}, {scrapeEvery, pr.scrapers}} {
		pr.wg.Add(1)
		go func() {
			defer pr.wg.Done()
			runners.Guard("probes", crash, func() { probes.Poll(pctx, set.every, t0, variant, pr.emit, onErr, set.ss...) })
		}()
	}
	return pr
}

// scraper is the /metrics sampler of a service: at the path its scenario
// declares, at /metrics for the reference services (they serve it), none
// when declared "off", and otherwise one that asks /metrics once and
// scrapes only if the answer is Prometheus metrics.
func (e *engine) scraper(svc *local.Service) probes.Sampler {
	i := slices.IndexFunc(e.plan.spec.Services, func(s scenarios.Service) bool { return s.Name == svc.Name() })
	if i < 0 {
		return nil
	}
	s := e.plan.spec.Services[i]
	switch {
	case s.Metrics == scenarios.MetricsOff:
		return nil
	case s.Metrics != "":
		return probes.Scrape(svc.Name(), "http://"+svc.Addr()+s.Metrics, scrapePick)
	case s.Baseline != "":
		return probes.Scrape(svc.Name(), "http://"+svc.Addr()+"/metrics", scrapePick)
	}
	return probes.ScrapeIfServed(svc.Name(), "http://"+svc.Addr()+"/metrics", scrapePick)
}

// stop ends the sampling and takes one last scrape of every service, so the
// record holds each service's counters after the load's last request. Only
// the first call does anything.
func (pr *prober) stop(ctx context.Context) {
	pr.once.Do(func() { pr.finish(ctx) })
}

func (pr *prober) finish(ctx context.Context) {
	pr.cancel()
	pr.wg.Wait()
	pr.log.flush()
	for _, s := range pr.scrapers {
		now := time.Now()
		rd, err := s.Sample(ctx, now)
		if err != nil {
			continue
		}
		rd.Variant, rd.T = pr.variant, now.Sub(pr.t0).Seconds()
		pr.emit(rd)
	}
}

// proxyCounts reads the fault proxy in front of a service: the HTTP requests it read from
// every caller, a count of the attempts they sent that does not rely on their own counters.
type proxyCounts struct {
	service string
	p       *local.Proxy
}

func (pc proxyCounts) Sample(_ context.Context, now time.Time) (metrics.Readings, error) {
	return metrics.Readings{Owner: metrics.ProxyOwner(pc.service), Time: now,
		Values: map[string]float64{metrics.ReadingProxyRequests: float64(pc.p.Stats().Requests)}}, nil
}

// following samples the process tree of a service across restarts: when a
// fault restarts the service, it follows the new process. Its CPU counter
// then starts again from zero, which metrics.Series.Delta reads as a reset.
type following struct {
	svc *local.Service
	pid int
	s   probes.Sampler
}

func (f *following) Sample(ctx context.Context, now time.Time) (metrics.Readings, error) {
	if pid := f.svc.PID(); pid != f.pid || f.s == nil {
		f.pid, f.s = pid, probes.ProcessTree(f.svc.Name(), pid)
	}
	rd, err := f.s.Sample(ctx, now)
	if errors.Is(err, probes.ErrGone) {
		// Killed, maybe to be restarted: keep following the service.
		return rd, fmt.Errorf("%s is not running: %v", f.svc.Name(), err)
	}
	return rd, err
}
