package engine

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gauntletbench/gauntlet/chaos"
	"github.com/gauntletbench/gauntlet/chaos/local"
	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/runners"
	"github.com/gauntletbench/gauntlet/services"
)

// stack is one variant's system under test: the processes gauntlet started
// (wrapped so that faults can restart them on the same port), the fault
// proxies in front of the services that network faults target, and the base
// URL every service name resolves to for the load and for the other
// services — the proxy's where there is one, so a fault on a hop affects
// everyone who calls it.
type stack struct {
	specs   []services.Spec
	order   []*local.Service
	byName  map[string]*local.Service
	proxies map[string]*local.Proxy
	urls    map[string]string
}

// startStack picks a port for every service, puts proxies in front of the
// targets of network faults, and starts the services in dependency order.
// On error, whatever was started is stopped again.
func (e *engine) startStack(ctx context.Context, variant string) (_ *stack, err error) {
	specs, err := e.plan.services(variant)
	if err != nil {
		return nil, err
	}
	st := &stack{byName: map[string]*local.Service{}, proxies: map[string]*local.Proxy{}, urls: map[string]string{}}
	defer func() {
		if err != nil {
			st.closeProxies()
		}
	}()
	upstream := map[string]string{}
	for i := range specs {
		port, err := services.FreePort()
		if err != nil {
			return nil, err
		}
		specs[i].Port = port
		specs[i].CPUs = e.cpus.service
		upstream[specs[i].Name] = fmt.Sprintf("127.0.0.1:%d", port)
		st.urls[specs[i].Name] = "http://" + upstream[specs[i].Name]
	}
	for _, s := range e.spec.Services {
		if s.URL == "" {
			continue
		}
		st.urls[s.Name] = strings.TrimSuffix(s.URL, "/")
		if u, err := url.Parse(s.URL); err == nil {
			upstream[s.Name] = runners.HostPort(u)
		}
	}
	for name, mode := range proxyModes(e.spec) {
		p, err := local.NewProxy(name, upstream[name], mode)
		if err != nil {
			return nil, fmt.Errorf("fault proxy for %s: %w", name, err)
		}
		st.proxies[name] = p
		st.urls[name] = p.URL()
	}
	for i := range specs {
		for name, u := range st.urls {
			if name != specs[i].Name {
				specs[i].Vars[name] = u
			}
		}
	}
	st.specs = specs
	emit := e.emitter(variant)
	for _, spec := range specs {
		// How each service is started goes on record before it starts.
		_ = e.w.Write(metrics.ServiceEvent{Variant: variant, Time: time.Now(),
			Service: spec.Name, Kind: "command", Command: spec.Command})
	}
	group, err := services.StartGroup(ctx, specs, e.plan.deps, emit)
	if err != nil {
		return nil, err
	}
	for _, spec := range specs {
		svc := local.NewService(spec, group.Get(spec.Name), emit)
		st.order = append(st.order, svc)
		st.byName[spec.Name] = svc
	}
	return st, nil
}

// env is what faults act on in this stack.
func (st *stack) env(j *chaos.Journal, seed uint64) chaos.Env {
	env := &chaos.StaticEnv{Proxies: map[string]chaos.Proxy{}, Processes: map[string]chaos.ProcessTarget{}, State: j, RunSeed: seed}
	for name, p := range st.proxies {
		env.Proxies[name] = p
	}
	for name, s := range st.byName {
		env.Processes[name] = s
	}
	return env
}

// stop stops the services in reverse start order — each one's current
// process, after any restart — and closes the proxies. It stops all of them
// even when one fails.
func (st *stack) stop(ctx context.Context) error {
	var errs []error
	for i := len(st.order) - 1; i >= 0; i-- {
		if err := st.order[i].Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", st.order[i].Name(), err))
		}
	}
	st.closeProxies()
	return errors.Join(errs...)
}

func (st *stack) closeProxies() {
	for _, p := range st.proxies {
		p.Close()
	}
}
