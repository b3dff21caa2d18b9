package local

import (
	"context"
	"syscall"

	"github.com/gauntletbench/gauntlet/chaos"
)

// pauseParams are the parameters of "pause".
type pauseParams struct {
	Service string `yaml:"service"`
}

func init() {
	chaos.Register("pause", processFactory("pause", func(p pauseParams) (string, error) { return p.Service, nil },
		func(pb processBase, _ pauseParams) chaos.Fault {
			return &pause{processFault: processFault{processBase: pb}}
		}))
}

// pause sends SIGSTOP to the service's process group; Revert sends SIGCONT, idempotently,
// and does nothing if the process is gone.
type pause struct {
	processFault
	paused chaos.Proc
}

var (
	_ chaos.Fault    = (*pause)(nil)
	_ chaos.Verifier = (*pause)(nil)
)

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
