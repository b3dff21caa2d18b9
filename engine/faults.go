package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gauntletbench/gauntlet/chaos"
	"github.com/gauntletbench/gauntlet/chaos/faultkind"
	"github.com/gauntletbench/gauntlet/chaos/local"
	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/runners"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// ErrRevertFailed is returned by Run when a fault could not be reverted: the
// system under test may still be degraded (exit code 4).
var ErrRevertFailed = errors.New("a fault could not be reverted")

// revertTimeout bounds one Revert; a kill's revert restarts the service and
// waits for it to be ready.
const revertTimeout = 45 * time.Second

// JournalName is the state file of active faults inside the output folder;
// `gauntlet recover` undoes what it lists after gauntlet itself was killed.
const JournalName = "faults.state.json"

// proxyModes returns the services that need a fault proxy in front of them
// and its mode: HTTP when an HTTP-level fault targets the service, else TCP.
func proxyModes(spec *scenarios.Spec) map[string]local.Mode {
	modes := map[string]local.Mode{}
	for _, f := range spec.Faults {
		k, _ := faultkind.Lookup(f.Kind)
		if !k.Proxied() || spec.OnKubernetes(f) {
			continue
		}
		if _, ok := modes[f.Service]; !ok {
			modes[f.Service] = local.TCP
		}
		if k.Where == faultkind.HTTPProxy {
			modes[f.Service] = local.HTTP
		}
	}
	return modes
}

// grpcServices names the services of spec that speak gRPC in some run, each
// with why: those a gRPC call targets by name ("${inventory}"), and the
// reference services when a variant runs them in gRPC mode.
func grpcServices(spec *scenarios.Spec) map[string]string {
	out := map[string]string{}
	for _, site := range spec.GRPCCalls() {
		name, ok := strings.CutPrefix(strings.TrimSpace(site.Call.Target.Source()), "${")
		if name, ok = strings.CutSuffix(name, "}"); ok {
			if _, known := spec.Service(name); known {
				out[name] = name + " is called over gRPC (" + site.Path + ".grpc)"
			}
		}
	}
	if !slices.Contains(spec.Variants, grpcVariant) {
		return out
	}
	for _, s := range spec.Services {
		if s.Baseline != "" {
			out[s.Name] = s.Name + " speaks gRPC in the " + grpcVariant + " variant"
		}
	}
	return out
}

// stubTarget stands in for a service process, and stubProxy for a fault proxy,
// while faults are checked at plan time, before anything runs.
type (
	stubTarget struct{ name string }
	stubProxy  struct{ name string }
)

func (s stubTarget) Name() string                  { return s.name }
func (s stubTarget) PID() int                      { return 0 }
func (s stubTarget) Restart(context.Context) error { return nil }
func (s stubProxy) Name() string                   { return s.name }
func (s stubProxy) Addr() string                   { return "" }

// checkFaults checks every fault of spec against stand-in targets (faults on
// Kubernetes services through cluster), so that a bad parameter is reported
// with its position before any service starts, and computes the fault
// timeline. Parameter and timing problems are reported together. Nothing is
// built or opened: no proxy listens, no process starts.
func checkFaults(spec *scenarios.Spec, length time.Duration, seed uint64, cluster chaos.Cluster) ([]chaos.Window, error) {
	if len(spec.Faults) == 0 {
		return nil, nil
	}
	probs, errs := checkEach(spec, cluster, seed)
	windows, err := chaos.Timeline(plannedOf(spec.Faults), length, seed)
	if err != nil {
		probs = append(probs, timingProblems(spec.Faults, length)...)
	}
	if len(probs) > 0 {
		scenarios.SortProblems(probs)
		errs = append([]error{probs}, errs...)
	}
	return windows, errors.Join(errs...)
}

// FaultProblems checks the faults of a scenario that has problems of its own
// (probs, with which Parse returned it), as a run would, and returns the
// problems of their parameters and timing, so that every problem can be
// reported at once. A fault whose kind or service is among probs is left
// out, and so is the timing of one whose at, for, every, times or jitter is.
func FaultProblems(spec *scenarios.Spec, probs scenarios.Problems, cluster chaos.Cluster) scenarios.Problems {
	ok := *spec
	ok.Faults = nil
	var timed []scenarios.Fault
	for i, f := range spec.Faults {
		path := "faults[" + strconv.Itoa(i) + "]"
		kpath := path + "." + f.Kind
		if f.Kind == "" || slices.ContainsFunc(probs, func(p scenarios.Problem) bool {
			return p.Path == path || p.Path == kpath || p.Path == kpath+".service"
		}) {
			continue
		}
		ok.Faults = append(ok.Faults, f)
		if !slices.ContainsFunc(probs, func(p scenarios.Problem) bool {
			field, _ := strings.CutPrefix(p.Path, path+".")
			return slices.Contains([]string{"at", "for", "every", "times", "jitter", "name"}, field)
		}) {
			timed = append(timed, f)
		}
	}
	fp, _ := checkEach(&ok, cluster, 0)
	// Timing against the planned load, when its length is known.
	var length time.Duration
	for _, st := range spec.Load.Stages {
		if st.For <= 0 {
			length = 0
			break
		}
		length += time.Duration(st.For)
	}
	if length > 0 && spec.Load.Model != "search" {
		fp = append(fp, timingProblems(timed, length)...)
	}
	return fp
}

// plannedOf returns the timing of faults for chaos.Timeline.
func plannedOf(faults []scenarios.Fault) []chaos.Planned {
	planned := make([]chaos.Planned, len(faults))
	for i, f := range faults {
		planned[i] = chaos.Planned{Name: f.Name, Kind: f.Kind, At: time.Duration(f.At),
			For: time.Duration(f.For), Every: time.Duration(f.Every), Times: f.Times, Jitter: time.Duration(f.Jitter)}
	}
	return planned
}

// timingProblems returns what is wrong with the timing of each fault in a
// load of length, placed at the fault.
func timingProblems(faults []scenarios.Fault, length time.Duration) scenarios.Problems {
	var probs scenarios.Problems
	for i, p := range plannedOf(faults) {
		// The problems of a fault do not depend on the seed.
		if _, err := chaos.Timeline([]chaos.Planned{p}, length, 1); err != nil {
			for _, msg := range strings.Split(err.Error(), "\n") {
				probs = append(probs, faults[i].TimingProblem(strings.TrimPrefix(msg, "fault "+strconv.Quote(p.Name)+": ")))
			}
		}
	}
	return probs
}

// checkEach checks every fault of spec against stand-in targets and
// returns the positioned problems of their parameters and the other
// errors (a fault on Kubernetes without a cluster).
func checkEach(spec *scenarios.Spec, cluster chaos.Cluster, seed uint64) (probs scenarios.Problems, errs []error) {
	env := &chaos.StaticEnv{Proxies: map[string]chaos.Proxy{}, Processes: map[string]chaos.ProcessTarget{}, RunSeed: seed}
	for name := range proxyModes(spec) {
		env.Proxies[name] = stubProxy{name}
	}
	for _, s := range spec.Services {
		if s.URL == "" {
			env.Processes[s.Name] = stubTarget{s.Name}
		}
	}
	speaksGRPC := grpcServices(spec)
	for _, f := range spec.Faults {
		if k, _ := faultkind.Lookup(f.Kind); k.Where == faultkind.HTTPProxy && speaksGRPC[f.Service] != "" {
			probs = append(probs, f.Problem(speaksGRPC[f.Service]+", and the fault proxy's HTTP mode parses HTTP/1.1 only: "+
				"on a gRPC service use latency, bandwidth, reset or blackhole"))
		}
		err := checkFault(spec, f, env, cluster)
		var ps scenarios.Problems
		switch {
		case err == nil:
		case errors.As(err, &ps):
			probs = append(probs, ps...)
		case errors.Is(err, ErrNoCluster):
			errs = append(errs, faultError(f, err))
		default:
			// A parameter out of range or a target that cannot be built is
			// a problem of the scenario, at the fault's position.
			probs = append(probs, f.Problem(withHint(err).Error()))
		}
	}
	return probs, errs
}

// ErrNoCluster is wrapped when a scenario has faults on a Kubernetes service
// and the run has no cluster to inject them in.
var ErrNoCluster = errors.New("no Kubernetes cluster to inject the fault in (run with --kubeconfig PATH, or print the Chaos Mesh objects with gauntlet chaos render)")

// buildFault builds fault f of spec: through cluster, as a Chaos Mesh object,
// when its service runs on Kubernetes, else from the local registry.
func buildFault(spec *scenarios.Spec, f scenarios.Fault, env chaos.Env, cluster chaos.Cluster, run string) (chaos.Fault, error) {
	cf, onKube := chaos.ClusterFaultOf(spec, f, run)
	if !onKube {
		return chaos.New(f.Kind, env, f.DecodeParams)
	}
	if cluster == nil {
		return nil, ErrNoCluster
	}
	return cluster.Fault(cf)
}

// checkFault checks fault f of spec as buildFault would build it, without
// building it: through cluster, which builds a Chaos Mesh object in memory,
// when its service runs on Kubernetes, else with the kind's local check.
func checkFault(spec *scenarios.Spec, f scenarios.Fault, env chaos.Env, cluster chaos.Cluster) error {
	if _, onKube := chaos.ClusterFaultOf(spec, f, ""); onKube {
		_, err := buildFault(spec, f, env, cluster, "")
		return err
	}
	return chaos.CheckFault(f.Kind, env, f.DecodeParams)
}

// faultError keeps a positioned scenario problem as it is and places any
// other error at the fault.
func faultError(f scenarios.Fault, err error) error {
	var probs scenarios.Problems
	if errors.As(err, &probs) {
		return probs
	}
	return fmt.Errorf("fault %s (%s, line %d): %w", f.Name, f.Kind, f.Line, withHint(err))
}

// withHint adds what to do to the errors that need it.
func withHint(err error) error {
	if errors.Is(err, chaos.ErrNoTarget) {
		return fmt.Errorf("%w (faults on a service given by url need it to be started by gauntlet, or a proxy)", err)
	}
	return err
}

// faultRun injects and reverts one variant's faults on their timeline and
// writes every inject and revert, with its real time, to the record. Every
// fault that was injected — or whose injection was attempted — is reverted
// by revertAll, which the engine calls on every exit path.
type faultRun struct {
	w       *metrics.Writer
	log     io.Writer
	variant string
	t0      time.Time
	windows []chaos.Window
	faults  map[string]chaos.Fault
	target  map[string]string
	env     chaos.Env
	kills   *killLog
	watch   *shutdownWatch // nil without a terminate fault

	mu       sync.Mutex
	active   []string // names, in order of injection
	failed   bool
	done     chan struct{}
	reverted bool
}

func newFaultRun(e *engine, variant string, env chaos.Env, t0 time.Time) (*faultRun, error) {
	fr := &faultRun{w: e.w, log: e.opt.Log, variant: variant, t0: t0, windows: e.plan.faultWindows,
		faults: map[string]chaos.Fault{}, target: map[string]string{}, env: env, kills: &e.kills, done: make(chan struct{})}
	for _, f := range e.spec.Faults {
		ft, err := buildFault(e.spec, f, env, e.opt.Cluster, e.plan.runID)
		if err != nil {
			return nil, faultError(f, err)
		}
		fr.faults[f.Name], fr.target[f.Name] = ft, f.Service
	}
	return fr, nil
}

// action is one step of the timeline.
type action struct {
	at     time.Duration
	inject bool
	w      chaos.Window
}

// lateAfter is how far past its time a step of the timeline may start
// before it is reported as late.
const lateAfter = 250 * time.Millisecond

// run walks the timeline until it ends or ctx is done; a panic in a
// fault's step is handed to crash. Each fault follows its
// own windows in its own goroutine, so a fault slow to inject or revert (a
// restart waiting for its service) never holds back another one; a step that
// starts late, behind its own fault's previous step, says so in the log.
// Instant faults and faults lasting to the end of the load are left for
// revertAll.
func (fr *faultRun) run(ctx context.Context, crash context.CancelCauseFunc) {
	defer close(fr.done)
	var order []string
	steps := map[string][]action{}
	for _, w := range fr.windows {
		if _, seen := steps[w.Name]; !seen {
			order = append(order, w.Name)
		}
		steps[w.Name] = append(steps[w.Name], action{at: w.Start, inject: true, w: w})
		if !chaos.Instant(w.Kind) && w.End > w.Start {
			steps[w.Name] = append(steps[w.Name], action{at: w.End, w: w})
		}
	}
	var wg sync.WaitGroup
	for _, name := range order {
		acts := steps[name]
		sort.SliceStable(acts, func(i, j int) bool { return acts[i].at < acts[j].at })
		wg.Go(func() { runners.Guard("fault timeline", crash, func() { fr.follow(ctx, acts) }) })
	}
	wg.Wait()
}

// follow takes one fault's steps in order, each at its time.
func (fr *faultRun) follow(ctx context.Context, acts []action) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for _, a := range acts {
		due := fr.t0.Add(a.at)
		timer.Reset(time.Until(due))
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		step := "revert"
		if a.inject {
			step = "injection"
		}
		if late := time.Since(due); late > lateAfter {
			fmt.Fprintf(fr.log, "%s: fault %s (%s): %s %d is %s late (its previous step took that long)\n",
				fr.variant, a.w.Name, a.w.Kind, step, a.w.Occurrence, late.Round(time.Millisecond))
		}
		if a.inject {
			fr.inject(ctx, a.w)
		} else {
			fr.revert(context.WithoutCancel(ctx), a.w.Name, a.w.Kind)
		}
	}
}

func (fr *faultRun) inject(ctx context.Context, w chaos.Window) {
	fr.mu.Lock()
	if fr.reverted {
		fr.mu.Unlock()
		return
	}
	fr.active = append(fr.active, w.Name)
	fr.mu.Unlock()
	if fr.env != nil && chaos.Instant(w.Kind) {
		if p, ok := fr.env.Process(fr.target[w.Name]); ok {
			fr.kills.expect(p.PID(), fr.target[w.Name], w.Name)
		}
	}
	if w.Kind == "terminate" {
		fr.watch.signal(w.Name, fr.target[w.Name])
	}
	ictx, cancel := context.WithTimeout(ctx, revertTimeout)
	err := fr.faults[w.Name].Inject(ictx)
	cancel()
	ev := "injected"
	if err != nil {
		ev = "inject_failed"
		fmt.Fprintf(fr.log, "%s: fault %s (%s) could not be injected: %v\n", fr.variant, w.Name, w.Kind, err)
	}
	fr.record(w.Name, w.Kind, ev, err)
}

// revert undoes one fault if it is active.
func (fr *faultRun) revert(ctx context.Context, name, kind string) {
	fr.mu.Lock()
	i := -1
	for k, n := range fr.active {
		if n == name {
			i = k
		}
	}
	if i < 0 {
		fr.mu.Unlock()
		return
	}
	fr.active = append(fr.active[:i], fr.active[i+1:]...)
	fr.mu.Unlock()
	rctx, cancel := context.WithTimeout(ctx, revertTimeout)
	err := fr.faults[name].Revert(rctx)
	cancel()
	ev := "reverted"
	if err != nil {
		ev = "revert_failed"
		fr.mu.Lock()
		fr.failed = true
		fr.mu.Unlock()
		fmt.Fprintf(fr.log, "%s: fault %s (%s) could not be reverted: %v\n", fr.variant, name, kind, err)
	}
	fr.record(name, kind, ev, err)
}

// revertAll stops the timeline, waits for it and reverts every active fault,
// most recent first. It is safe to call more than once and returns
// ErrRevertFailed when any revert of the run failed.
func (fr *faultRun) revertAll(ctx context.Context, stop context.CancelFunc) error {
	stop()
	<-fr.done
	fr.mu.Lock()
	fr.reverted = true
	active := append([]string(nil), fr.active...)
	fr.mu.Unlock()
	for i := len(active) - 1; i >= 0; i-- {
		fr.revert(ctx, active[i], fr.kind(active[i]))
	}
	fr.mu.Lock()
	defer fr.mu.Unlock()
	if fr.failed {
		return ErrRevertFailed
	}
	return nil
}

func (fr *faultRun) kind(name string) string {
	for _, w := range fr.windows {
		if w.Name == name {
			return w.Kind
		}
	}
	return ""
}

func (fr *faultRun) record(name, kind, event string, err error) {
	now := time.Now()
	line := metrics.FaultEvent{Variant: fr.variant, Time: now, T: now.Sub(fr.t0).Seconds(),
		Name: name, Kind: kind, Target: fr.target[name], Event: event}
	if err != nil {
		line.Error = err.Error()
	}
	// A record write error surfaces at the trailer; the fault's fate is logged too.
	_ = fr.w.Write(line)
}
