// Package engine turns a scenario into runs: it starts the services under
// test, drives the load, and writes the run record as the run goes. Every
// service it started is stopped on every exit path.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gauntletbench/gauntlet/chaos"
	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/runners"
	"github.com/gauntletbench/gauntlet/scenarios"
	"github.com/gauntletbench/gauntlet/services"
)

// RecordName is the file name of the run record inside the output folder.
const RecordName = "record.ndjson"

// loadStartDelay leaves the runner and recorder time to start before t0, so
// the first requests do not start late, and the probes time to take the idle
// readings of the services.
const loadStartDelay = 300 * time.Millisecond

// Options configure a run.
type Options struct {
	// Results, when set, receives a copy of every request's Result, off the
	// hot path (e.g. a runners.Dump writing vegeta results).
	Results runners.ResultSink
	// OutDir receives the record (created if missing).
	OutDir string
	// Version is gauntlet's version, written to the record header.
	Version string
	// Log receives one line per notable step (services up, load started);
	// nil discards them.
	Log io.Writer
	// Tap, when set, gets every line of the record as it is written (see
	// metrics.Writer.SetTap): live metrics read the run from it, off the
	// per-request path.
	Tap func(lines []any)
	// InFlight, when set, is given for each variant the function that reads
	// how many requests its load has in flight, when its runner can tell
	// (runners.InFlighter): for live metrics.
	InFlight func(variant string, inFlight func() int64)
	// OnLoad is called when a variant's load starts, with the planned load
	// length, and returns the function the recorder calls after each
	// interval (may be nil). Used for progress displays.
	OnLoad func(variant string, planned time.Duration) func(metrics.Live)
	// Fails judges one threshold on a run's figures so far and reports
	// whether it failed; with it, thresholds marked abort_on_fail stop the
	// load once they fail (after their delay_abort_eval).
	Fails func(th metrics.Threshold, rs *metrics.RunSummary) bool
	// StartAt, when in the future, holds the load back until then (services
	// start first), so generators on several machines start together.
	StartAt time.Time
	// Hurry, when closed (a second Ctrl-C or SIGTERM), cuts the services'
	// stop_timeout short: they are sent SIGKILL at once. Faults are still
	// reverted and the record still ends with its trailer.
	Hurry <-chan struct{}
	// Cluster injects the faults on services that run on Kubernetes
	// (chaos/chaosmesh); nil means a scenario with such faults cannot run.
	Cluster chaos.Cluster
	// Segment, when set, runs one generator's share of the load (see
	// metrics.Segment): the i-th of every n open-model requests, its share
	// of workers, iterations and idle connections. Only segment 1 injects
	// faults. The search model cannot run as a segment (ErrSegmentSearch).
	Segment metrics.Segment
	// PinCPUs, where there are two or more CPUs and the scenario starts
	// services, binds the generator (this whole process, for the run) and
	// the services to disjoint CPU sets (affinity.Split), so neither takes
	// CPU time from the other; the record says which.
	PinCPUs bool
}

// ErrInterrupted is returned by Run when ctx was cancelled (Ctrl-C): the
// record is complete up to that moment and marked interrupted.
var ErrInterrupted = errors.New("run interrupted")

// Run executes spec once per variant and returns the record's path. The
// record is written as the run goes; on error or interruption it still ends
// with what happened.
func Run(ctx context.Context, spec *scenarios.Spec, opt Options) (string, error) {
	p, err := newPlan(spec, opt.Cluster)
	if err != nil {
		return "", err
	}
	if spec, err = p.segmented(opt.Segment); err != nil {
		return "", err
	}
	if err := os.MkdirAll(opt.OutDir, 0o755); err != nil {
		return "", fmt.Errorf("create output folder: %w", err)
	}
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	// A gauntlet killed while running into this folder may have left faults in
	// effect: undo them before anything else, and never write over their file.
	jpath := filepath.Join(opt.OutDir, JournalName)
	report, err := chaos.Recover(jpath)
	for _, line := range report {
		fmt.Fprintf(opt.Log, "%s: %s\n", jpath, line)
	}
	if err != nil {
		return "", fmt.Errorf("faults a previous run left in effect: %w", err)
	}
	path := filepath.Join(opt.OutDir, RecordName)
	w, err := metrics.Create(path)
	if err != nil {
		return "", err
	}
	if opt.Tap != nil {
		w.SetTap(opt.Tap)
	}
	e := &engine{spec: spec, plan: p, w: w, opt: opt}
	e.cpus = pinCPUs(opt.PinCPUs, len(p.deps) > 0)
	defer e.cpus.release()
	if len(spec.Faults) > 0 {
		if e.journal, err = chaos.OpenJournal(jpath); err != nil {
			w.Close()
			return "", err
		}
		defer e.closeJournal()
	}
	runErr := e.run(ctx)
	status := metrics.StatusCompleted
	switch {
	case errors.Is(runErr, ErrInterrupted):
		status = metrics.StatusInterrupted
	case runErr != nil:
		status = metrics.StatusFailed
	}
	if err := w.Write(metrics.Trailer{End: time.Now(), Status: status}); err != nil && runErr == nil {
		runErr = err
	}
	if err := w.Close(); err != nil && runErr == nil {
		runErr = err
	}
	return path, runErr
}

type engine struct {
	spec    *scenarios.Spec
	plan    *plan
	w       *metrics.Writer
	opt     Options
	journal *chaos.Journal
	cpus    cpuPlan
	kills   killLog
}

func (e *engine) run(ctx context.Context) error {
	h := e.plan.header(e.opt.Version)
	h.CPUSets = e.cpus.rec
	if err := e.w.Write(h); err != nil {
		return err
	}
	if h.CPUSets != nil {
		fmt.Fprintf(e.opt.Log, "cpu sets: %s\n", h.CPUSets)
	}
	for _, variant := range e.plan.variants {
		if err := e.runVariant(ctx, variant); err != nil {
			return err
		}
	}
	return nil
}

// closeJournal removes the state file of active faults once none is left:
// a file that stays behind means something still needs `gauntlet recover`.
func (e *engine) closeJournal() {
	if len(e.journal.Entries()) == 0 {
		os.Remove(e.journal.Path())
	}
}

// emitter returns the callback through which the services package reports
// events; each one becomes a record line at once.
func (e *engine) emitter(variant string) func(services.Event) {
	return func(ev services.Event) {
		line := metrics.ServiceEvent{
			Variant: variant, Time: ev.Time, Service: ev.Service, Kind: ev.Kind,
			PID: ev.PID, StartupMs: ev.StartupMs, ExitCode: ev.ExitCode, Signal: ev.Signal,
			Unexpected: ev.Unexpected, Message: ev.Message, OutputTail: ev.OutputTail,
		}
		e.kills.name(&line)
		// A record write error surfaces at the trailer; events are best effort.
		_ = e.w.Write(line)
		if line.Unexpected {
			fmt.Fprintf(e.opt.Log, "%s: service %s exited unexpectedly: %s\n", variant, ev.Service, ev.Message)
		}
	}
}

// leakSettle is how long a run with a leaks threshold keeps its services, idle, after the
// load before it stops them, sampling them all the while: longer than the generator's 10 s
// idle-connection timeout, so the connections the load leaves open close within it.
const leakSettle = 12 * time.Second

// settle waits out the settle period of a leak check (if the scenario has one) and marks
// its start in the record; the probes keep sampling. It first closes the load's idle
// connections.
func (e *engine) settle(ctx context.Context, variant string, t0 time.Time, load runners.Runner) {
	if !e.plan.leakCheck || ctx.Err() != nil {
		return
	}
	// The load's keep-alive connections would otherwise close at the services' idle
	// timeout, inside the settle period, and their goroutines and descriptors would read
	// as falling there.
	runners.CloseIdle(load)
	_ = e.w.Write(metrics.Note{Variant: variant, T: time.Since(t0).Seconds(), Kind: metrics.NoteSettle,
		Text: strconv.FormatFloat(leakSettle.Seconds(), 'f', -1, 64)})
	fmt.Fprintf(e.opt.Log, "%s: load done; %s of idle to check for leaks\n", variant, leakSettle)
	t := time.NewTimer(leakSettle)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
