// Package chaostest is the conformance suite every chaos.Fault passes, plus helpers for
// tests that build faults from YAML parameters.
package chaostest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/gauntletbench/gauntlet/chaos"
)

// Probe observes a fault from outside, the way a user of the system would.
type Probe struct {
	// InEffect returns nil once the fault's effect is observable, else what it saw.
	InEffect func() error
	// Reverted returns nil once the system is back to normal. If nil, the suite uses
	// "InEffect returns an error".
	Reverted func() error
}

// Options tune Run.
type Options struct {
	// Wait bounds each wait for InEffect or Reverted to hold; default 15s. They are polled,
	// so slow machines only make the suite slower.
	Wait time.Duration
	// Cleanup, if set, runs after each step that leaves the system disturbed on failure.
	Cleanup func()
}

// Run runs the conformance steps, each a subtest, on faults from newFault (called once
// per step that needs a fresh fault):
//
//  1. inject: Inject succeeds, the probe sees the fault, Verify (if a chaos.Verifier)
//     agrees;
//  2. revert: Revert succeeds and the probe sees the system back to normal;
//  3. revert again: a second Revert succeeds and changes nothing;
//  4. revert without inject: Revert of a fresh fault succeeds;
//  5. revert after a failed inject: Inject with a cancelled context may fail but must
//     not panic, and Revert then succeeds and leaves the system normal;
//  6. inject after revert: the same fault can be injected and reverted again.
func Run(t *testing.T, newFault func(t *testing.T) (chaos.Fault, Probe), opts ...Options) {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Wait <= 0 {
		o.Wait = 15 * time.Second
	}
	bg := context.Background()
	revertCtx := func() (context.Context, context.CancelFunc) { return context.WithTimeout(bg, 2*o.Wait) }
	reverted := func(p Probe) func() error {
		if p.Reverted != nil {
			return p.Reverted
		}
		return func() error {
			if p.InEffect() == nil {
				return errors.New("fault still in effect")
			}
			return nil
		}
	}
	var f chaos.Fault
	var probe Probe
	mustRevert := func(t *testing.T, f chaos.Fault) {
		t.Helper()
		ctx, cancel := revertCtx()
		defer cancel()
		if err := f.Revert(ctx); err != nil {
			t.Fatalf("Revert = %v; want nil", err)
		}
	}

	t.Run("inject", func(t *testing.T) {
		f, probe = newFault(t)
		t.Cleanup(func() { // on failure, leave nothing disturbed for the next steps
			if t.Failed() {
				ctx, cancel := revertCtx()
				defer cancel()
				_ = f.Revert(ctx)
			}
		})
		ctx, cancel := context.WithTimeout(bg, o.Wait)
		defer cancel()
		if err := f.Inject(ctx); err != nil {
			t.Fatalf("Inject = %v; want nil", err)
		}
		if err := Eventually(o.Wait, probe.InEffect); err != nil {
			t.Fatalf("after Inject the fault is not observable: %v", err)
		}
		if v, ok := f.(chaos.Verifier); ok {
			if err := v.Verify(ctx); err != nil {
				t.Fatalf("Verify = %v; want nil while injected", err)
			}
		}
	})
	if f == nil {
		return
	}
	t.Run("revert", func(t *testing.T) {
		mustRevert(t, f)
		if err := Eventually(o.Wait, reverted(probe)); err != nil {
			t.Fatalf("after Revert: %v", err)
		}
		if v, ok := f.(chaos.Verifier); ok {
			if err := v.Verify(bg); err == nil {
				t.Errorf("Verify = nil after Revert; want an error")
			}
		}
	})
	t.Run("revert again", func(t *testing.T) {
		mustRevert(t, f)
		if err := reverted(probe)(); err != nil {
			t.Fatalf("after the second Revert: %v", err)
		}
	})
	t.Run("inject after revert", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(bg, o.Wait)
		defer cancel()
		if err := f.Inject(ctx); err != nil {
			mustRevert(t, f)
			t.Fatalf("second Inject = %v; want nil", err)
		}
		inErr := Eventually(o.Wait, probe.InEffect)
		mustRevert(t, f)
		if inErr != nil {
			t.Fatalf("after the second Inject: %v", inErr)
		}
		if err := Eventually(o.Wait, reverted(probe)); err != nil {
			t.Fatalf("after the second Revert: %v", err)
		}
	})
	t.Run("revert without inject", func(t *testing.T) {
		g, p := newFault(t)
		mustRevert(t, g)
		if err := reverted(p)(); err != nil {
			t.Fatalf("Revert without Inject disturbed the system: %v", err)
		}
	})
	t.Run("revert after failed inject", func(t *testing.T) {
		g, p := newFault(t)
		ctx, cancel := context.WithCancel(bg)
		cancel()
		err := g.Inject(ctx) // may fail or succeed; must not panic
		mustRevert(t, g)
		if werr := Eventually(o.Wait, reverted(p)); werr != nil {
			t.Fatalf("Inject(cancelled) = %v, then Revert left the system disturbed: %v", err, werr)
		}
	})
}

// Eventually polls cond until it returns nil or wait passes, and returns its last error.
func Eventually(wait time.Duration, cond func() error) error {
	deadline := time.Now().Add(wait)
	delay := 5 * time.Millisecond
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still after %s: %w", wait, err)
		}
		time.Sleep(delay)
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// Params returns a decode function for chaos.New that decodes the YAML mapping src
// strictly, as scenarios.Fault.DecodeParams does: "{service: api, delay: 100ms}".
func Params(src string) func(v any) error {
	return func(v any) error {
		return yaml.UnmarshalWithOptions([]byte(src), v, yaml.Strict())
	}
}

// MustNew builds a fault with chaos.New from YAML parameters, failing t on error.
func MustNew(t testing.TB, kind string, env chaos.Env, params string) chaos.Fault {
	t.Helper()
	f, err := chaos.New(kind, env, Params(params))
	if err != nil {
		t.Fatalf("chaos.New(%q, %s) = %v", kind, params, err)
	}
	return f
}
