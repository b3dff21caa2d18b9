package local

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/gauntletbench/gauntlet/chaos"
)

// Parameters of the process fault kinds.
type (
	// killParams are the parameters of "kill".
	killParams struct {
		Service string `yaml:"service"`
		// RestartAfter, if set, restarts the service this long after the kill.
		RestartAfter time.Duration `yaml:"restart_after"`
	}
	// pauseParams are the parameters of "pause".
	pauseParams struct {
		Service string `yaml:"service"`
	}
	// terminateParams are the parameters of "terminate".
	terminateParams struct {
		Service string `yaml:"service"`
		// Grace is how long Revert waits for the process to finish draining before it
		// decides whether to restart it; default 10s.
		Grace time.Duration `yaml:"grace"`
	}
	// restartParams are the parameters of "restart".
	restartParams struct {
		Service string `yaml:"service"`
	}
)

// signalWait bounds the wait for a signal's effect (stopped, gone).
const signalWait = 10 * time.Second

func init() {
	chaos.Register("kill", processFactory("kill", func(p killParams) (string, error) {
		if p.RestartAfter < 0 {
			return "", fmt.Errorf("restart_after must be >= 0")
		}
		return p.Service, nil
	}, func(pb processBase, p killParams) chaos.Fault {
		return &kill{processFault: processFault{processBase: pb}, RestartAfter: p.RestartAfter}
	}))
	chaos.Register("pause", processFactory("pause", func(p pauseParams) (string, error) { return p.Service, nil },
		func(pb processBase, _ pauseParams) chaos.Fault {
			return &pause{processFault: processFault{processBase: pb}}
		}))
	chaos.Register("terminate", processFactory("terminate", func(p terminateParams) (string, error) {
		if p.Grace < 0 {
			return "", fmt.Errorf("grace must be >= 0")
		}
		return p.Service, nil
	}, func(pb processBase, p terminateParams) chaos.Fault {
		g := p.Grace
		if g == 0 {
			g = 10 * time.Second
		}
		return &terminate{processFault: processFault{processBase: pb}, Grace: g}
	}))
	chaos.Register("restart", processFactory("restart", func(p restartParams) (string, error) { return p.Service, nil },
		func(pb processBase, _ restartParams) chaos.Fault {
			return &restart{processFault: processFault{processBase: pb}}
		}))
}

// processFactory returns the factory of a process kind: decode P, check it and name
// its service, find the service's process, build the fault.
func processFactory[P any](kind string, check func(P) (string, error), build func(processBase, P) chaos.Fault) chaos.Factory {
	return func(env chaos.Env, decode func(any) error) (chaos.Fault, error) {
		var params P
		if err := decode(&params); err != nil {
			return nil, err
		}
		service, err := check(params)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", kind, err)
		}
		if service == "" {
			return nil, fmt.Errorf("%s: missing service", kind)
		}
		target, ok := env.Process(service)
		if !ok {
			return nil, fmt.Errorf("%s: gauntlet did not start service %q, so it cannot signal it: %w", kind, service, chaos.ErrNoTarget)
		}
		return build(processBase{kind: kind, Target: target, journal: env.Journal()}, params), nil
	}
}

// processBase is what a factory resolved for a process kind.
type processBase struct {
	kind    string
	Target  chaos.ProcessTarget
	journal *chaos.Journal
}

// processFault is what the process kinds share.
type processFault struct {
	processBase
	mu    sync.Mutex
	entry string
}

// signal journals the fault and sends sig to the running target's process
// group. The returned Proc is the victim once the fault is on record (even
// if the signal then failed), zero before.
func (f *processFault) signal(ctx context.Context, sig syscall.Signal) (chaos.Proc, error) {
	if !running(f.Target) {
		return chaos.Proc{}, f.errorf("not running")
	}
	proc, err := identify(f.Target)
	if err != nil {
		return chaos.Proc{}, f.errorf("%w", err)
	}
	if err := f.begin(ctx, chaos.Entry{}); err != nil {
		return chaos.Proc{}, err
	}
	if err := proc.Signal(sig); err != nil {
		return proc, f.errorf("%s: %w", sig, err)
	}
	return proc, nil
}

func (f *processFault) errorf(format string, args ...any) error {
	return fmt.Errorf("%s %s: "+format, append([]any{f.kind, f.Target.Name()}, args...)...)
}

// begin checks ctx and journals the fault before it acts.
func (f *processFault) begin(ctx context.Context, e chaos.Entry) error {
	if err := ctx.Err(); err != nil {
		return f.errorf("%w", err)
	}
	if f.entry != "" {
		return nil
	}
	e.Kind, e.Service = f.kind, f.Target.Name()
	id, err := f.journal.Add(e)
	f.entry = id
	return err
}

func (f *processFault) end() error {
	err := f.journal.Remove(f.entry)
	if err == nil {
		f.entry = ""
	}
	return err
}

// running reports whether the target's current process is alive.
func running(t chaos.ProcessTarget) bool {
	if r, ok := t.(chaos.Runner); ok {
		return r.Running()
	}
	switch chaos.ProcState(t.PID()) {
	case 0, 'Z', 'X':
		return false
	}
	return true
}

// survives reports whether the target runs, counting the victim of a signal as dead as
// soon as /proc says so, even if the target has not noticed yet.
func survives(t chaos.ProcessTarget, victim chaos.Proc) bool {
	if !running(t) {
		return false
	}
	return victim.PID == 0 || t.PID() != victim.PID || victim.Same()
}

// identify returns the target's current process, as a group if it leads one.
func identify(t chaos.ProcessTarget) (chaos.Proc, error) {
	pid := t.PID()
	if pid <= 0 {
		return chaos.Proc{}, fmt.Errorf("no process")
	}
	pgid, err := syscall.Getpgid(pid)
	if err != nil {
		return chaos.Proc{}, fmt.Errorf("pid %d: %w", pid, err)
	}
	return chaos.Identify(pid, pgid == pid, false)
}

// waitFor polls cond until it holds, ctx is done or limit passes.
func waitFor(ctx context.Context, limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		if cond() {
			return true
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return false
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
		}
	}
}

// kill sends SIGKILL to the service's process group; with RestartAfter it restarts the
// service that long later. Revert makes sure the service runs again.
type kill struct {
	processFault
	RestartAfter time.Duration

	victim     chaos.Proc
	stop       chan struct{} // closed by Revert to cancel a pending restart
	restarted  chan struct{} // closed when the restart goroutine ended
	restartErr error
}

// pause sends SIGSTOP to the service's process group; Revert sends SIGCONT, idempotently,
// and does nothing if the process is gone.
type pause struct {
	processFault
	paused chaos.Proc
}

// terminate sends SIGTERM to the service's process group (a graceful shutdown the engine
// records as the service's failure). Revert waits up to Grace for it to exit and restarts
// it if it is gone.
type terminate struct {
	processFault
	Grace  time.Duration
	victim chaos.Proc
}

// restart restarts the service (stop, start on the same port, wait ready). Revert makes
// sure it runs.
type restart struct {
	processFault
	injected bool
}

var (
	_ chaos.Fault    = (*kill)(nil)
	_ chaos.Fault    = (*pause)(nil)
	_ chaos.Fault    = (*terminate)(nil)
	_ chaos.Fault    = (*restart)(nil)
	_ chaos.Verifier = (*kill)(nil)
	_ chaos.Verifier = (*pause)(nil)
)

// Inject kills the process group and returns once the process is gone.
func (f *kill) Inject(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.victim.PID != 0 {
		return nil
	}
	proc, err := f.signal(ctx, syscall.SIGKILL)
	if proc.PID != 0 {
		f.victim = proc
	}
	if err != nil {
		return err
	}
	// Wait until the target itself saw the exit, so that a Restart right after works.
	if !waitFor(ctx, signalWait, func() bool { return !running(f.Target) || f.Target.PID() != proc.PID }) {
		return f.errorf("pid %d still alive after SIGKILL", proc.PID)
	}
	if f.RestartAfter > 0 {
		f.stop, f.restarted = make(chan struct{}), make(chan struct{})
		go f.restartLater(context.WithoutCancel(ctx), f.stop, f.restarted)
	}
	return nil
}

func (f *kill) restartLater(ctx context.Context, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTimer(f.RestartAfter)
	defer t.Stop()
	select {
	case <-t.C:
	case <-stop:
		return
	}
	if !running(f.Target) {
		f.restartErr = f.Target.Restart(ctx)
	}
}

// Verify reports whether the killed process is gone.
func (f *kill) Verify(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.victim.PID == 0 {
		return f.errorf("not injected")
	}
	if f.victim.Same() {
		return f.errorf("pid %d is still alive", f.victim.PID)
	}
	return nil
}

// Revert cancels a pending restart (or waits for one under way) and restarts the service
// if it is not running.
func (f *kill) Revert(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var errs []error
	if f.stop != nil {
		close(f.stop)
		select {
		case <-f.restarted:
		case <-ctx.Done():
			return f.errorf("waiting for the restart under way: %w", ctx.Err())
		}
		if f.restartErr != nil && running(f.Target) {
			f.restartErr = nil
		}
		f.stop, f.restarted = nil, nil
	}
	if f.victim.PID != 0 && !survives(f.Target, f.victim) {
		if err := f.Target.Restart(ctx); err != nil {
			errs = append(errs, f.errorf("restart: %w", err))
		}
	}
	if len(errs) == 0 {
		f.victim = chaos.Proc{}
		errs = append(errs, f.end())
	}
	return errors.Join(errs...)
}

// Inject stops the process group and returns once the process is stopped.
func (f *pause) Inject(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.paused.PID != 0 {
		return nil
	}
	if !running(f.Target) {
		return f.errorf("not running")
	}
	proc, err := identify(f.Target)
	if err != nil {
		return f.errorf("%w", err)
	}
	if err := f.begin(ctx, chaos.Entry{Paused: []chaos.Proc{proc}}); err != nil {
		return err
	}
	f.paused = proc
	if err := proc.Signal(syscall.SIGSTOP); err != nil {
		return f.errorf("SIGSTOP: %w", err)
	}
	if !waitFor(ctx, signalWait, func() bool { return chaos.ProcState(proc.PID) == 'T' || !proc.Same() }) {
		return f.errorf("pid %d not stopped after SIGSTOP", proc.PID)
	}
	if !proc.Same() {
		return f.errorf("pid %d exited", proc.PID)
	}
	return nil
}

// Verify reports whether the process is stopped.
func (f *pause) Verify(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.paused.PID == 0 {
		return f.errorf("not injected")
	}
	if s := chaos.ProcState(f.paused.PID); s != 'T' || !f.paused.Same() {
		return f.errorf("pid %d is in state %q, not stopped", f.paused.PID, s)
	}
	return nil
}

// Revert sends SIGCONT if the paused process is still there.
func (f *pause) Revert(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.paused.PID != 0 && f.paused.Same() {
		if err := f.paused.Signal(syscall.SIGCONT); err != nil {
			return f.errorf("SIGCONT: %w", err)
		}
	}
	f.paused = chaos.Proc{}
	return f.end()
}

// Inject sends SIGTERM to the process group.
func (f *terminate) Inject(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.victim.PID != 0 {
		return nil
	}
	proc, err := f.signal(ctx, syscall.SIGTERM)
	if proc.PID != 0 {
		f.victim = proc
	}
	return err
}

// Revert waits up to Grace for the terminated process to exit and restarts the service
// if it is not running. A process that ignored SIGTERM is left alone.
func (f *terminate) Revert(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.victim.PID != 0 {
		waitFor(ctx, f.Grace, func() bool { return !survives(f.Target, f.victim) })
		if !survives(f.Target, f.victim) {
			if err := f.Target.Restart(ctx); err != nil {
				return f.errorf("restart: %w", err)
			}
		}
	}
	f.victim = chaos.Proc{}
	return f.end()
}

// Inject restarts the service and returns once it is ready again.
func (f *restart) Inject(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(ctx, chaos.Entry{}); err != nil {
		return err
	}
	f.injected = true
	if err := f.Target.Restart(ctx); err != nil {
		return f.errorf("%w", err)
	}
	return nil
}

// Revert restarts the service if it is not running (a failed restart).
func (f *restart) Revert(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.injected && !running(f.Target) {
		if err := f.Target.Restart(ctx); err != nil {
			return f.errorf("%w", err)
		}
	}
	f.injected = false
	return f.end()
}
