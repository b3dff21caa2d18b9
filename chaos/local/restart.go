package local

import (
	"context"

	"github.com/gauntletbench/gauntlet/chaos"
)

// restartParams are the parameters of "restart".
type restartParams struct {
	Service string `yaml:"service"`
}

func init() {
	chaos.Register("restart", processFactory("restart", func(p restartParams) (string, error) { return p.Service, nil },
		func(pb processBase, _ restartParams) chaos.Fault {
			return &restart{processFault: processFault{processBase: pb}}
		}))
}

// restart restarts the service (stop, start on the same port, wait ready). Revert makes
// sure it runs.
type restart struct {
	processFault
	injected bool
}

var _ chaos.Fault = (*restart)(nil)

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
