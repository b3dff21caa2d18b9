package local

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/gauntletbench/gauntlet/chaos"
)

// signalWait bounds the wait for a signal's effect (stopped, gone).
const signalWait = 10 * time.Second

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
