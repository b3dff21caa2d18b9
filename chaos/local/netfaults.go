package local

import (
	"context"
	"fmt"
	"sync"

	"github.com/gauntletbench/gauntlet/chaos"
)

// The network fault kinds live one in a file (latency.go, reset.go, …): the parameters
// decoded strictly from a scenario's fault entry, each naming the service whose fault
// proxy it acts on; the Toxic; and the registration with registerProxyKind.

// serviceParams are the parameters of "reset" and "blackhole".
type serviceParams struct {
	Service string `yaml:"service"`
}

// rateOf returns the rate of http_error and http_delay: r, 1 when not set.
func rateOf(r *float64) (float64, error) {
	if r == nil {
		return 1, nil
	}
	if *r < 0 || *r > 1 {
		return 0, fmt.Errorf("rate must be 0–1, got %v", *r)
	}
	return *r, nil
}

// targeted is the parameters of a network kind, which name their service.
type targeted interface{ service() string }

func (p serviceParams) service() string { return p.Service }

// registerProxyKind registers a network kind: its fault decodes P, builds its toxic and
// attaches it to the proxy of the service P names; its check does the same against any
// chaos.Proxy and attaches nothing.
func registerProxyKind[P targeted](kind string, toxic func(P, uint64) (Toxic, error)) {
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
		return &proxyFault{Kind: kind, Service: service, Proxy: proxy, Toxic: t, journal: env.Journal()}, nil
	})
	chaos.RegisterCheck(kind, func(env chaos.Env, decode func(any) error) error {
		_, _, _, err := proxyTarget(kind, toxic, env, decode)
		return err
	})
}

// proxyTarget decodes P, builds the toxic and finds the service's proxy in env.
func proxyTarget[P targeted](kind string, toxic func(P, uint64) (Toxic, error), env chaos.Env, decode func(any) error) (string, Toxic, chaos.Proxy, error) {
	var params P
	if err := decode(&params); err != nil {
		return "", nil, nil, err
	}
	service := params.service()
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

// proxyFault attaches a Toxic to a Proxy while it is injected. It is the Fault of every
// network kind; build it with chaos.New or directly.
type proxyFault struct {
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
	_ chaos.Fault    = (*proxyFault)(nil)
	_ chaos.Verifier = (*proxyFault)(nil)
)

// Inject attaches the toxic; it is a no-op if already injected.
func (f *proxyFault) Inject(ctx context.Context) error {
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
func (f *proxyFault) Revert(context.Context) error {
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
func (f *proxyFault) Verify(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.id == 0 || !f.Proxy.Attached(f.id) {
		return fmt.Errorf("%s on %s: not attached to proxy %s", f.Kind, f.Service, f.Proxy.Addr())
	}
	return nil
}

// String describes the fault for logs.
func (f *proxyFault) String() string {
	return fmt.Sprintf("%s on %s via proxy %s", f.Kind, f.Service, f.Proxy.Addr())
}
