package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/gauntletbench/gauntlet/runners"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// grpcRequest binds a gRPC call to vars. Its connections and message types
// are set by connectGRPC.
func (p *plan) grpcRequest(name string, g *scenarios.GRPC, expect *scenarios.Expect, extract map[string]string,
	vars map[string]string, tag *runners.Header) (runners.Request, error) {
	rr := runners.Request{Name: name}
	target, ok := g.Target.Bind(vars).Static()
	if !ok {
		return rr, fmt.Errorf("request %s: gRPC target %q must not change per call", name, g.Target.Source())
	}
	deadline := time.Duration(g.Deadline)
	if deadline <= 0 {
		deadline = time.Duration(p.spec.Load.Timeout)
	}
	call := &runners.GRPCCall{Target: target, Method: g.FullMethod(), Deadline: deadline}
	if g.Message != nil {
		m := g.Message.Bind(vars)
		call.Message = &m
	}
	for _, k := range slices.Sorted(maps.Keys(g.Metadata)) {
		call.Metadata = append(call.Metadata, runners.Header{Key: strings.ToLower(k), Value: g.Metadata[k].Bind(vars)})
	}
	if tag != nil {
		call.Metadata = append(call.Metadata, runners.Header{Key: strings.ToLower(tag.Key), Value: tag.Value})
	}
	rr.GRPC = call
	return rr, checks(&rr, name, expect, extract)
}

// grpcCalls pairs the gRPC calls of reqs (bound by requests) with the
// scenario's, in the order of Spec.GRPCCalls.
func grpcCalls(reqs []runners.Request) []*runners.GRPCCall {
	var out []*runners.GRPCCall
	for i := range reqs {
		if reqs[i].GRPC != nil {
			out = append(out, reqs[i].GRPC)
		}
		for j := range reqs[i].Steps {
			if c := reqs[i].Steps[j].GRPC; c != nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// connectGRPC opens the connections of the plan's gRPC calls into a pool
// on client and resolves their message types: from the scenario's proto
// files, or by server reflection (checking the call against what the
// server says, with positioned problems). On error nothing stays open.
func (p *plan) connectGRPC(reqs []runners.Request, client *runners.Client) (err error) {
	sites, calls := p.spec.GRPCCalls(), grpcCalls(reqs)
	// A request that is not for this run's variant is Off and binds no call.
	sites = slices.DeleteFunc(sites, func(s scenarios.GRPCSite) bool { return reqs[s.Request].Off })
	if len(calls) == 0 {
		return nil
	}
	if len(calls) != len(sites) {
		return fmt.Errorf("bound %d gRPC calls of the scenario's %d", len(calls), len(sites))
	}
	load := p.spec.Load
	pool := runners.NewGRPCPool(runners.GRPCPoolOptions{Connections: load.Connections, DialTimeout: time.Duration(load.Timeout),
		AllowRemote: p.spec.AllowRemote, InsecureSkipVerify: load.InsecureSkipVerify})
	client.GRPC = pool
	client.NoHTTP = len(calls) == len(runners.Names(reqs))-len(p.flows)
	defer func() {
		if err != nil {
			pool.Close()
			client.GRPC = nil
		}
	}()
	reflected := map[string]*protoregistry.Files{} // by target and service
	var probs scenarios.Problems
	for i, s := range sites {
		call := calls[i]
		addr, useTLS := scenarios.GRPCTarget(call.Target)
		if err := checkGRPCTarget(addr, p.spec.AllowRemote); err != nil {
			return fmt.Errorf("%s.grpc.target: %w", s.Path, err)
		}
		conns, err := pool.Conns(addr, useTLS)
		if err != nil {
			return fmt.Errorf("%s.grpc.target: %w", s.Path, err)
		}
		call.Conns = conns
		files := s.Call.Files
		if files == nil {
			svc, _, _ := strings.Cut(strings.TrimPrefix(s.Call.Method, "/"), "/")
			key := call.Target + " " + svc
			if files = reflected[key]; files == nil {
				ctx, cancel := context.WithTimeout(context.Background(), max(time.Duration(load.Timeout), 5*time.Second))
				files, err = runners.ReflectFiles(ctx, conns.First(), []string{svc})
				cancel()
				if err != nil {
					return fmt.Errorf("%s.grpc: %s: %w", s.Path, call.Target, err)
				}
				reflected[key] = files
			}
			if ps := p.spec.CheckGRPC(s.Path, s.Call, files); len(ps) > 0 {
				probs = append(probs, ps...)
				continue
			}
		}
		m, err := scenarios.ResolveMethod(files, s.Call.Method)
		if err != nil {
			return fmt.Errorf("%s.grpc.method: %w", s.Path, err)
		}
		call.Input, call.Output = m.Input(), m.Output()
		if err := call.Prepare(); err != nil {
			return fmt.Errorf("%s.grpc: %w", s.Path, err)
		}
	}
	if len(probs) > 0 {
		return probs
	}
	return nil
}

// checkGRPCTarget refuses a target outside loopback unless remote targets
// are allowed; the dialer checks the resolved address again.
func checkGRPCTarget(addr string, allowRemote bool) error {
	if allowRemote {
		return nil
	}
	return scenarios.CheckTarget("http://"+addr, false)
}

// checkReflected checks the gRPC calls without proto files whose target is
// a server already running (a url service or a literal address) against
// what its server reflection says, so that `gauntlet validate` finds a
// misspelled method or field without a run. A server it cannot reach is not
// a problem here: the run checks every call once its services are up.
func checkReflected(spec *scenarios.Spec) error {
	vars := map[string]string{}
	for _, s := range spec.Services {
		if s.URL != "" {
			vars[s.Name] = strings.TrimSuffix(s.URL, "/")
		}
	}
	pool := runners.NewGRPCPool(runners.GRPCPoolOptions{DialTimeout: time.Second, AllowRemote: spec.AllowRemote})
	defer pool.Close()
	var probs scenarios.Problems
	for _, s := range spec.GRPCCalls() {
		target, ok := s.Call.Target.Bind(vars).Static()
		if s.Call.Files != nil || !ok || strings.Contains(target, "${") {
			continue
		}
		addr, useTLS := scenarios.GRPCTarget(target)
		if checkGRPCTarget(addr, spec.AllowRemote) != nil {
			continue
		}
		conns, err := pool.Conns(addr, useTLS)
		if err != nil {
			continue
		}
		svc, _, _ := strings.Cut(strings.TrimPrefix(s.Call.Method, "/"), "/")
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		files, err := runners.ReflectFiles(ctx, conns.First(), []string{svc})
		cancel()
		if err != nil {
			continue
		}
		probs = append(probs, spec.CheckGRPC(s.Path, s.Call, files)...)
	}
	if len(probs) > 0 {
		return probs
	}
	return nil
}
