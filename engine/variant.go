package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/runners"
)

// runVariant starts the services of one variant on fresh processes, drives
// the load, and stops the services again, whatever happens. Every way out
// writes the run's end line (end) before the services stop.
func (e *engine) runVariant(ctx context.Context, variant string) (err error) {
	if err := e.w.Write(metrics.RunStart{Variant: variant, Start: time.Now()}); err != nil {
		return err
	}
	var t0 time.Time // the load's start, once it is about to begin
	end := func(status string, cause error) error { return e.end(variant, t0, status, cause) }
	if reason := e.plan.unavailable(variant); reason != "" {
		fmt.Fprintf(e.opt.Log, "%s: skipped: %s\n", variant, reason)
		return end(metrics.StatusSkipped, errors.New(reason))
	}
	st, err := e.startStack(ctx, variant)
	if err != nil {
		return end(failure(ctx, fmt.Errorf("variant %s: %w", variant, err)))
	}
	defer e.stopStack(ctx, st, &err)
	if !e.awaitStart(ctx, variant, st) {
		return end(metrics.StatusInterrupted, ErrInterrupted)
	}
	// A panic in one of the run's goroutines stops the run as a
	// cancellation would, so everything below still cleans up; the run then
	// fails with the panic.
	runCtx, crash := context.WithCancelCause(ctx)
	defer crash(nil)
	start := time.Now().Add(loadStartDelay)
	prober := e.startProbes(runCtx, crash, variant, st, start)
	defer prober.stop(context.WithoutCancel(ctx))
	l, err := e.newLoad(variant, st, start)
	if l != nil {
		defer runners.CloseClient(l.built)
	}
	if err != nil {
		return end(metrics.StatusFailed, err)
	}
	t0 = start
	if err := e.w.Write(metrics.LoadStart{Variant: variant, Start: t0, Client: runners.ClientName(l.runner),
		PlannedS: e.plan.planned().Seconds()}); err != nil {
		return end(metrics.StatusFailed, err)
	}
	runErr, revertErr, aborted := e.drive(ctx, runCtx, crash, variant, l, t0)
	prober.stop(context.WithoutCancel(ctx))
	err = end(outcome(ctx, runCtx, runErr, revertErr, aborted))
	if revertErr != nil && errors.Is(err, ErrInterrupted) {
		// The record says the run was interrupted; the caller must still
		// learn that a fault stayed in effect.
		err = revertErr
	}
	return err
}

// end writes the end line of variant's run, with its status and cause, and
// returns the error that stops the whole run: cause, unless the variant was
// skipped or aborted (neither stops the others), or the write's error.
func (e *engine) end(variant string, t0 time.Time, status string, cause error) error {
	re := metrics.RunEnd{Variant: variant, End: time.Now(), Status: status}
	if !t0.IsZero() {
		re.DurationS = time.Since(t0).Seconds()
	}
	if cause != nil {
		re.Error = cause.Error()
	}
	werr := e.w.Write(re)
	if status == metrics.StatusSkipped || status == metrics.StatusAborted {
		cause = nil
	}
	if werr != nil && cause == nil {
		return werr
	}
	return cause
}

// failure is the status and cause of a run that could not go on because of
// err: interrupted when ctx was cancelled, failed otherwise.
func failure(ctx context.Context, err error) (string, error) {
	if ctx.Err() != nil {
		return metrics.StatusInterrupted, ErrInterrupted
	}
	return metrics.StatusFailed, err
}

// outcome is the status and cause of a run whose load ran: the runner's
// error, a panic in one of the run's goroutines (runCtx), an interruption
// (ctx), a fault left in effect, then a threshold that aborted the load, in
// that order, decide.
func outcome(ctx, runCtx context.Context, runErr, revertErr error, aborted string) (string, error) {
	switch {
	case runErr != nil:
		return metrics.StatusFailed, runErr
	case runners.Panicked(runCtx) != nil:
		return metrics.StatusFailed, runners.Panicked(runCtx)
	case ctx.Err() != nil:
		return metrics.StatusInterrupted, ErrInterrupted
	case revertErr != nil:
		return metrics.StatusFailed, revertErr
	case aborted != "":
		return metrics.StatusAborted, errors.New("threshold " + strconv.Quote(aborted) + " failed (abort_on_fail)")
	}
	return metrics.StatusCompleted, nil
}

// stopStack stops a variant's services within the plan's stop timeout (at
// once when Options.Hurry closes); a failure to stop becomes *err unless
// that already holds one.
func (e *engine) stopStack(ctx context.Context, st *stack, err *error) {
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.plan.stopTimeout())
	defer cancel()
	if e.opt.Hurry != nil {
		go func() {
			select {
			case <-e.opt.Hurry:
				cancel()
			case <-stopCtx.Done():
			}
		}()
	}
	if serr := st.stop(stopCtx); serr != nil && *err == nil {
		*err = fmt.Errorf("stop services: %w", serr)
	}
}

// awaitStart logs the variant's ready services and holds the load back
// until Options.StartAt (less loadStartDelay); false when ctx was cancelled
// while waiting.
func (e *engine) awaitStart(ctx context.Context, variant string, st *stack) bool {
	for _, svc := range st.order {
		p := svc.Process()
		fmt.Fprintf(e.opt.Log, "%s: service %s ready at %s in %.1f ms (pid %d)\n", variant, p.Name(), p.URL(), p.StartupMs(), p.PID())
	}
	wait := time.Until(e.opt.StartAt.Add(-loadStartDelay))
	if e.opt.StartAt.IsZero() || wait <= 0 {
		return true
	}
	fmt.Fprintf(e.opt.Log, "%s: services ready; load starts at %s\n", variant, e.opt.StartAt.Format(time.RFC3339Nano))
	select {
	case <-ctx.Done():
		return false
	case <-time.After(wait):
		return true
	}
}

// variantLoad is one variant's load, ready to run: its runner as built and
// as run, and the fault timeline that runs beside it.
type variantLoad struct {
	built  runners.Runner // as the plan built it: its client, idle connections and in-flight count
	runner runners.Runner // built, instrumented and watched for shutdowns
	watch  *shutdownWatch // nil without a terminate fault
	faults *faultRun
}

// newLoad builds the variant's runner, bound to its services, and its
// faults. On error the returned load, when not nil, still holds the built
// runner, whose client the caller closes.
func (e *engine) newLoad(variant string, st *stack, t0 time.Time) (*variantLoad, error) {
	built, err := e.plan.runner(variant, st.urls, t0)
	if err != nil {
		return nil, err
	}
	l := &variantLoad{built: built}
	if f, ok := built.(runners.InFlighter); ok && e.opt.InFlight != nil {
		e.opt.InFlight(variant, f.InFlight)
	}
	l.runner = e.instrument(built, variant, t0)
	l.watch = newShutdownWatch(e.spec, variant, t0)
	if l.watch != nil {
		l.runner = &runners.Tee{Runner: l.runner, Sink: l.watch}
	}
	if l.faults, err = newFaultRun(e, variant, st.env(e.journal, uint64(e.plan.seed)), t0); err != nil {
		return l, err
	}
	l.faults.watch = l.watch
	return l, nil
}

// drive runs the load with its recorder and its fault timeline, reverts
// every fault, writes the load's shutdown lines and waits out a leak
// check's settle period. It returns the runner's (or the record's) error,
// the reverts' error and the threshold that aborted the load, if one did.
// Whatever way it is left, every fault still in effect is reverted first.
func (e *engine) drive(ctx, runCtx context.Context, crash context.CancelCauseFunc, variant string, l *variantLoad,
	t0 time.Time) (runErr, revertErr error, aborted string) {
	rec := metrics.NewRecorder(e.w, variant, e.plan.names, len(e.plan.stages), t0)
	rec.Excluded = e.plan.excluded
	if e.opt.OnLoad != nil {
		rec.OnInterval = e.opt.OnLoad(variant, e.plan.planned())
	}
	loadCtx, cancelLoad := context.WithCancel(runCtx)
	defer cancelLoad()
	abort := e.abortOnFail(variant, rec, cancelLoad)
	results := metrics.NewSink()
	loadDone := make(chan struct{})
	recErr := make(chan error, 1)
	go func() {
		var err error
		// A recorder that panics stops the run (crash); the runners' buffers
		// are not waited on, so nothing blocks behind it.
		runners.Guard("recorder", crash, func() { err = rec.Consume(results, loadDone) })
		recErr <- err
	}()

	fctx, stopFaults := context.WithCancel(loadCtx)
	go l.faults.run(fctx, crash)
	revertCtx := context.WithoutCancel(ctx)
	// revertAll is safe to call twice: this one reverts on a panic.
	defer l.faults.revertAll(revertCtx, stopFaults)

	runErr = l.runner.Run(loadCtx, results)
	revertErr = l.faults.revertAll(revertCtx, stopFaults)
	for _, line := range l.watch.lines() {
		if err := e.w.Write(line); err != nil && runErr == nil {
			runErr = err
		}
	}
	e.settle(runCtx, variant, t0, l.built)
	close(loadDone)
	if err := <-recErr; err != nil && runErr == nil {
		runErr = err
	}
	return runErr, revertErr, abort.reason()
}
