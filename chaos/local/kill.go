package local

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/gauntletbench/gauntlet/chaos"
)

// killParams are the parameters of "kill".
type killParams struct {
	Service string `yaml:"service"`
	// RestartAfter, if set, restarts the service this long after the kill.
	RestartAfter time.Duration `yaml:"restart_after"`
}

func init() {
	chaos.Register("kill", processFactory("kill", func(p killParams) (string, error) {
		if p.RestartAfter < 0 {
			return "", fmt.Errorf("restart_after must be >= 0")
		}
		return p.Service, nil
	}, func(pb processBase, p killParams) chaos.Fault {
		return &kill{processFault: processFault{processBase: pb}, RestartAfter: p.RestartAfter}
	}))
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

var (
	_ chaos.Fault    = (*kill)(nil)
	_ chaos.Verifier = (*kill)(nil)
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
