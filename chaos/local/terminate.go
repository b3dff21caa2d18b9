package local

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/gauntletbench/gauntlet/chaos"
)

// terminateParams are the parameters of "terminate".
type terminateParams struct {
	Service string `yaml:"service"`
	// Grace is how long Revert waits for the process to finish draining before it
	// decides whether to restart it; default 10s.
	Grace time.Duration `yaml:"grace"`
}

func init() {
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
}

// terminate sends SIGTERM to the service's process group (a graceful shutdown the engine
// records as the service's failure). Revert waits up to Grace for it to exit and restarts
// it if it is gone.
type terminate struct {
	processFault
	Grace  time.Duration
	victim chaos.Proc
}

var _ chaos.Fault = (*terminate)(nil)

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
