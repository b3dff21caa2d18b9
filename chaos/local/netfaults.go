package local

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gauntletbench/gauntlet/chaos"
)

// Parameters of the network fault kinds, decoded strictly from a scenario's fault entry.
// Every kind names the service whose fault proxy it acts on.
type (
	// LatencyParams are the parameters of "latency".
	LatencyParams struct {
		Service string        `yaml:"service"`
		Delay   time.Duration `yaml:"delay"`
		// Jitter is the half-width of a uniform deviation or the standard deviation of a
		// normal one.
		Jitter time.Duration `yaml:"jitter"`
		// Distribution is "uniform" (default) or "normal".
		Distribution string `yaml:"distribution"`
		// Direction is "downstream" (responses, default), "upstream" (requests) or "both"
		// (the delay applies once each way).
		Direction string `yaml:"direction"`
	}
	// BandwidthParams are the parameters of "bandwidth".
	BandwidthParams struct {
		Service        string         `yaml:"service"`
		BytesPerSecond chaos.ByteSize `yaml:"bytes_per_second"`
		Direction      string         `yaml:"direction"`
	}
	// ServiceParams are the parameters of "reset" and "blackhole".
	ServiceParams struct {
		Service string `yaml:"service"`
	}
	// HTTPErrorParams are the parameters of "http_error".
	HTTPErrorParams struct {
		Service string `yaml:"service"`
		// Status defaults to 503.
		Status int `yaml:"status"`
		// Rate is the fraction of requests to fail, 0–1; default 1.
		Rate *float64 `yaml:"rate"`
	}
	// HTTPDelayParams are the parameters of "http_delay".
	HTTPDelayParams struct {
		Service string        `yaml:"service"`
		Delay   time.Duration `yaml:"delay"`
		// Rate is the fraction of requests to delay, 0–1; default 1.
		Rate *float64 `yaml:"rate"`
	}
	// SlowCloseParams are the parameters of "slow_close".
	SlowCloseParams struct {
		Service string        `yaml:"service"`
		Delay   time.Duration `yaml:"delay"`
	}
)

func init() {
	registerProxyKind("latency", latencyToxic)
	registerProxyKind("bandwidth", bandwidthToxic)
	registerProxyKind("reset", func(ServiceParams, uint64) (Toxic, error) { return &Reset{}, nil })
	registerProxyKind("blackhole", func(ServiceParams, uint64) (Toxic, error) { return &Blackhole{}, nil })
	registerProxyKind("http_error", func(p HTTPErrorParams, seed uint64) (Toxic, error) {
		if p.Status == 0 {
			p.Status = 503
		}
		if p.Status < 100 || p.Status > 599 {
			return nil, fmt.Errorf("status must be 100–599, got %d", p.Status)
		}
		rate, err := rateOf(p.Rate)
		return &HTTPError{Status: p.Status, Rate: rate, Seed: seed}, err
	})
	registerProxyKind("http_delay", func(p HTTPDelayParams, seed uint64) (Toxic, error) {
		if p.Delay <= 0 {
			return nil, fmt.Errorf("delay must be > 0, got %s", p.Delay)
		}
		rate, err := rateOf(p.Rate)
		return &HTTPDelay{Delay: p.Delay, Rate: rate, Seed: seed}, err
	})
	registerProxyKind("slow_close", func(p SlowCloseParams, _ uint64) (Toxic, error) {
		if p.Delay <= 0 {
			return nil, fmt.Errorf("delay must be > 0, got %s", p.Delay)
		}
		return &SlowClose{Delay: p.Delay}, nil
	})
}

func latencyToxic(p LatencyParams, seed uint64) (Toxic, error) {
	if p.Delay < 0 || p.Jitter < 0 {
		return nil, fmt.Errorf("delay and jitter must be >= 0")
	}
	if p.Delay == 0 && p.Jitter == 0 {
		return nil, fmt.Errorf("delay must be > 0")
	}
	dir, err := ParseDirection(p.Direction)
	if err != nil {
		return nil, err
	}
	l := &Latency{Delay: p.Delay, Jitter: p.Jitter, Direction: dir, Seed: seed}
	switch p.Distribution {
	case "", "uniform":
	case "normal":
		l.Normal = true
	default:
		return nil, fmt.Errorf("distribution %q: use uniform or normal", p.Distribution)
	}
	return l, nil
}

func bandwidthToxic(p BandwidthParams, _ uint64) (Toxic, error) {
	if p.BytesPerSecond <= 0 {
		return nil, fmt.Errorf("bytes_per_second must be > 0")
	}
	dir, err := ParseDirection(p.Direction)
	return &Bandwidth{BytesPerSecond: int64(p.BytesPerSecond), Direction: dir}, err
}

func rateOf(r *float64) (float64, error) {
	if r == nil {
		return 1, nil
	}
	if *r < 0 || *r > 1 {
		return 0, fmt.Errorf("rate must be 0–1, got %v", *r)
	}
	return *r, nil
}

// serviceOf returns the Service field of any params struct above.
func serviceOf(p any) string {
	switch p := p.(type) {
	case LatencyParams:
		return p.Service
	case BandwidthParams:
		return p.Service
	case ServiceParams:
		return p.Service
	case HTTPErrorParams:
		return p.Service
	case HTTPDelayParams:
		return p.Service
	case SlowCloseParams:
		return p.Service
	}
	return ""
}

// registerProxyKind registers a network kind: its fault decodes P, builds its toxic and
// attaches it to the proxy of the service P names; its check does the same against any
// chaos.Proxy and attaches nothing.
func registerProxyKind[P any](kind string, toxic func(P, uint64) (Toxic, error)) {
	chaos.Register(kind, func(env chaos.Env, decode func(any) error) (chaos.Fault, error) {
		service, t, px, err := proxyTarget(kind, toxic, env, decode)
		if err != nil {
			return nil, err
		}
		proxy, ok := px.(*Proxy)
		if !ok {
			return nil, fmt.Errorf("%s: the proxy of %q is a %T, not a chaos/local proxy: %w", kind, service, px, chaos.ErrNoTarget)
		}
		if err := proxy.prepare(t); err != nil {
			return nil, err
		}
		return &ProxyFault{Kind: kind, Service: service, Proxy: proxy, Toxic: t, journal: env.Journal()}, nil
	})
	chaos.RegisterCheck(kind, func(env chaos.Env, decode func(any) error) error {
		_, _, _, err := proxyTarget(kind, toxic, env, decode)
		return err
	})
}

// proxyTarget decodes P, builds the toxic and finds the service's proxy in env.
func proxyTarget[P any](kind string, toxic func(P, uint64) (Toxic, error), env chaos.Env, decode func(any) error) (string, Toxic, chaos.Proxy, error) {
	var params P
	if err := decode(&params); err != nil {
		return "", nil, nil, err
	}
	service := serviceOf(params)
	if service == "" {
		return "", nil, nil, fmt.Errorf("%s: missing service", kind)
	}
	t, err := toxic(params, chaos.SeedOf(env))
	if err != nil {
		return "", nil, nil, fmt.Errorf("%s on %s: %w", kind, service, err)
	}
	px, ok := env.Proxy(service)
	if !ok {
		return "", nil, nil, fmt.Errorf("%s: service %q has no fault proxy in front of it: %w", kind, service, chaos.ErrNoTarget)
	}
	return service, t, px, nil
}

// ProxyFault attaches a Toxic to a Proxy while it is injected. It is the Fault of every
// network kind; build it with chaos.New or directly.
type ProxyFault struct {
	Kind    string
	Service string
	Proxy   *Proxy
	Toxic   Toxic

	journal *chaos.Journal
	mu      sync.Mutex
	id      uint64
	entry   string
}

var (
	_ chaos.Fault    = (*ProxyFault)(nil)
	_ chaos.Verifier = (*ProxyFault)(nil)
)

// Inject attaches the toxic; it is a no-op if already injected.
func (f *ProxyFault) Inject(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s on %s: %w", f.Kind, f.Service, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.id != 0 {
		return nil
	}
	if f.entry == "" {
		entry, err := f.journal.Add(chaos.Entry{Kind: f.Kind, Service: f.Service, Proxy: f.Proxy.Name()})
		if err != nil {
			return err
		}
		f.entry = entry
	}
	id, err := f.Proxy.Attach(f.Toxic)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", f.Kind, f.Service, err)
	}
	f.id = id
	return nil
}

// Revert detaches the toxic; it is idempotent.
func (f *ProxyFault) Revert(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.id != 0 {
		f.Proxy.Detach(f.id)
		f.id = 0
	}
	if err := f.journal.Remove(f.entry); err != nil {
		return err
	}
	f.entry = ""
	return nil
}

// Verify reports whether the toxic is attached.
func (f *ProxyFault) Verify(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.id == 0 || !f.Proxy.Attached(f.id) {
		return fmt.Errorf("%s on %s: not attached to proxy %s", f.Kind, f.Service, f.Proxy.Addr())
	}
	return nil
}

// String describes the fault for logs.
func (f *ProxyFault) String() string {
	return fmt.Sprintf("%s on %s via proxy %s", f.Kind, f.Service, f.Proxy.Addr())
}
