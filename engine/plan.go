package engine

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/gauntletbench/gauntlet/chaos"
	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/runners"
	"github.com/gauntletbench/gauntlet/scenarios"
	"github.com/gauntletbench/gauntlet/services"
)

// DefaultVariant names the single run of a scenario without variants.
const DefaultVariant = "default"

// plan is a validated scenario turned into what the engine needs.
type plan struct {
	spec       *scenarios.Spec
	runID      string
	seed       int64
	started    time.Time
	variants   []string
	stages     []metrics.Stage
	names      []string
	flows      []string
	search     *metrics.SearchPlan
	thresholds []metrics.Threshold
	// leakCheck is set by a leaks threshold: each run ends with a settle period.
	leakCheck bool
	deps      map[string][]string
	// faultWindows is the fault timeline, the same for every variant.
	faultWindows []chaos.Window
	// segment is this generator's share of a distributed run; zero for
	// the whole load.
	segment metrics.Segment
}

func newPlan(spec *scenarios.Spec, cluster chaos.Cluster) (*plan, error) {
	switch spec.Load.Model {
	case "", "open", "closed", "search":
	default:
		return nil, fmt.Errorf("load model %q is not supported by this version of gauntlet", spec.Load.Model)
	}
	p := &plan{spec: spec, started: time.Now(), seed: spec.Load.Seed, variants: spec.Variants, deps: map[string][]string{}}
	p.runID = newRunID(p.started)
	if p.seed == 0 {
		p.seed = p.started.UnixNano()
	}
	if len(p.variants) == 0 {
		p.variants = []string{DefaultVariant}
	}
	pacer := runners.NewStagePacer(stagesOf(spec.Load.Stages))
	p.stages = pacer.Stages()
	windows, err := checkFaults(spec, max(p.planned(), time.Second), uint64(p.seed), cluster)
	if err != nil {
		return nil, err
	}
	p.faultWindows = windows
	if s := spec.Load.Search; spec.Load.Model == "search" && s != nil {
		p.search = searchPlan(s)
	}
	for _, r := range spec.Requests {
		p.names = append(p.names, r.Name)
		if len(r.Flow) > 0 {
			p.flows = append(p.flows, r.Name)
		}
		for _, st := range r.Flow {
			p.names = append(p.names, r.Name+"/"+st.Name)
		}
	}
	for _, st := range p.stages {
		if st.Kind == "idle" && !slices.Contains(p.names, idleName(st.Target)) {
			p.names = append(p.names, idleName(st.Target))
		}
	}
	for _, t := range spec.Thresholds {
		p.thresholds = append(p.thresholds, metrics.Threshold{Expr: t.Expr, Metric: t.Metric, Op: t.Op, Value: t.Value,
			Request: t.Request, Service: t.Service, Variant: t.Variant, Window: t.Window, AbortOnFail: t.AbortOnFail,
			DelayAbortEvalMs: float64(t.DelayAbortEval.Std()) / 1e6})
		p.leakCheck = p.leakCheck || t.Metric == "leaks"
	}
	managed := map[string]bool{}
	for _, s := range spec.Services {
		managed[s.Name] = s.URL == ""
	}
	for _, s := range spec.Services {
		if !managed[s.Name] {
			continue
		}
		p.deps[s.Name] = []string{}
		for _, d := range s.DependsOn {
			if managed[d] {
				p.deps[s.Name] = append(p.deps[s.Name], d)
			}
		}
	}
	return p, nil
}

func stagesOf(ss []scenarios.Stage) []metrics.Stage {
	out := make([]metrics.Stage, len(ss))
	for i, s := range ss {
		out[i] = metrics.Stage{ForS: time.Duration(s.For).Seconds(), Rate: float64(s.Rate), Concurrency: s.Concurrency,
			Ramp: s.Ramp, Warmup: s.Warmup, Name: s.Name, Kind: s.Kind()}
		if ic := s.IdleConnections; ic != nil {
			out[i].IdleConnections, out[i].Target = ic.Count, ic.Service
		}
	}
	return out
}

func newRunID(t time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

func (p *plan) header(version string) metrics.Header {
	return metrics.Header{
		Format: metrics.RecordFormat, Scenario: p.spec.Name,
		Description: p.spec.Description, File: p.spec.File, RunID: p.runID, GauntletVersion: version,
		GoVersion: runtime.Version(), Host: host(), StartedAt: p.started, Model: p.model(), Flows: p.flows, Search: p.search,
		Variants: p.spec.Variants, Requests: p.names, Stages: p.stages, Thresholds: p.thresholds,
		IntervalMs: int(metrics.IntervalLength / time.Millisecond), Seed: p.seed,
		TimeoutMs:   float64(time.Duration(p.spec.Load.Timeout)) / float64(time.Millisecond),
		MaxInFlight: p.spec.Load.MaxInFlight, Runtimes: p.runtimes(), Segment: p.segmentHeader(),
		Spikes: spikeRule(p.spec.Spikes),
	}
}

// spikeRule is the scenario's spike rule over the defaults; nil when the
// scenario sets none.
func spikeRule(r *scenarios.SpikeRule) *metrics.SpikeRule {
	if r == nil {
		return nil
	}
	out := metrics.DefaultSpikeRule
	if r.Factor != 0 {
		out.Factor = r.Factor
	}
	if r.MinRise != 0 {
		out.MinRiseMs = float64(r.MinRise.Std()) / float64(time.Millisecond)
	}
	if r.GCPause != 0 {
		out.GCPauseMs = float64(r.GCPause.Std()) / float64(time.Millisecond)
	}
	return &out
}

// grpcVariant is the variant whose reference services speak gRPC: the Go
// baseline in gRPC mode (its chain's API and hops over gRPC).
const grpcVariant = "go-grpc"

// protocol is what the reference services of variant speak: "grpc" for
// grpcVariant, else "http".
func protocol(variant string) string {
	if variant == grpcVariant {
		return "grpc"
	}
	return "http"
}

// services returns the process specs of the services gauntlet manages for
// variant; services given by url are not started, only addressed.
func (p *plan) services(variant string) ([]services.Spec, error) {
	remote := map[string]string{}
	for _, s := range p.spec.Services {
		if s.URL != "" {
			remote[s.Name] = strings.TrimSuffix(s.URL, "/")
		}
	}
	var out []services.Spec
	for _, s := range p.spec.Services {
		if s.URL != "" {
			continue
		}
		vars := map[string]string{"run_id": p.runID}
		for k, v := range remote {
			vars[k] = v
		}
		command, env := s.Command, s.Env
		if s.Baseline != "" {
			var err error
			if command, err = services.ResolveBaseline(impl(variant), s.Baseline); err != nil {
				return nil, fmt.Errorf("service %s: %w", s.Name, err)
			}
			// The reference services find their downstreams in NAME_URL.
			env = maps.Clone(env)
			if env == nil {
				env = map[string]string{}
			}
			for _, d := range s.DependsOn {
				env[strings.ToUpper(d)+"_URL"] = "${" + d + "}"
			}
			env["PROTOCOL"] = protocol(variant)
		}
		out = append(out, services.Spec{
			Name: s.Name, Command: command, Env: env, Dir: s.Dir, Ready: s.Ready, Vars: vars,
			StartTimeout: time.Duration(s.StartTimeout), StopTimeout: time.Duration(s.StopTimeout),
		})
	}
	return out, nil
}

// stopTimeout bounds stopping every service: the longest grace plus slack.
func (p *plan) stopTimeout() time.Duration {
	longest := 10 * time.Second
	for _, s := range p.spec.Services {
		longest = max(longest, time.Duration(s.StopTimeout))
	}
	return longest + 5*time.Second
}

// vars are the values templates can name once the services are up: each
// service's base URL, and the run id.
func (p *plan) vars(urls map[string]string) map[string]string {
	vars := map[string]string{"run_id": p.runID}
	for name, u := range urls {
		vars[name] = u
	}
	return vars
}

// model is the scenario's load model, "open" when unset.
func (p *plan) model() string {
	if p.spec.Load.Model == "" {
		return "open"
	}
	return p.spec.Load.Model
}

// planned is the planned length of one variant's load.
func (p *plan) planned() time.Duration {
	if p.search != nil {
		return searchPlanned(p.search)
	}
	var d float64
	for _, st := range p.stages {
		d += st.ForS
	}
	return time.Duration(d * float64(time.Second))
}

// requests turns the scenario's request mix into runner requests, their
// templates bound to vars. A request that is not for variant stays in the
// mix, Off, so that results keep the indexes of p.names.
func (p *plan) requests(variant string, vars map[string]string) ([]runners.Request, error) {
	load := p.spec.Load
	var tag *runners.Header
	if load.Tag != nil {
		v, err := scenarios.CompileTemplate(load.Tag.Value)
		if err != nil {
			return nil, fmt.Errorf("load.tag.value: %w", err)
		}
		tag = &runners.Header{Key: load.Tag.Header, Value: v.Bind(vars)}
	}
	reqs := make([]runners.Request, 0, len(p.spec.Requests))
	for _, r := range p.spec.Requests {
		if len(r.Variants) > 0 && !slices.Contains(r.Variants, variant) {
			off := runners.Request{Name: r.Name, Off: true}
			for _, st := range r.Flow {
				off.Steps = append(off.Steps, runners.Request{Name: st.Name})
			}
			reqs = append(reqs, off)
			continue
		}
		rr, err := p.request(r.Name, r.Method, r.URL, r.Headers, r.Body, r.JSON, r.Expect, nil, vars, tag)
		if r.GRPC != nil {
			rr, err = p.grpcRequest(r.Name, r.GRPC, r.Expect, nil, vars, tag)
		}
		if err != nil {
			return nil, err
		}
		rr.Weight = r.Weight
		for _, st := range r.Flow {
			sr, err := p.request(r.Name+"/"+st.Name, st.Method, st.URL, st.Headers, st.Body, st.JSON, st.Expect, st.Extract, vars, tag)
			if st.GRPC != nil {
				sr, err = p.grpcRequest(r.Name+"/"+st.Name, st.GRPC, st.Expect, st.Extract, vars, tag)
			}
			if err != nil {
				return nil, err
			}
			sr.Name = st.Name
			rr.Steps = append(rr.Steps, sr)
		}
		if r.Data != nil {
			rr.Data = runners.NewFeeder(r.Data)
		}
		reqs = append(reqs, rr)
	}
	return reqs, nil
}

// Check runs the checks a run makes before it starts anything: the plan, and
// every fault built against stand-in targets (faults on Kubernetes services
// through cluster, which may have no connection). `gauntlet validate` uses it.
func Check(spec *scenarios.Spec, cluster chaos.Cluster) error {
	if _, err := newPlan(spec, cluster); err != nil {
		return err
	}
	return checkReflected(spec)
}
