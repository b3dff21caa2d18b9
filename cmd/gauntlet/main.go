// Command gauntlet is a load-testing and chaos benchmarking harness: it reads
// a scenario, starts the services under test, drives load at them, and
// reports honest latency, throughput and a verdict.
//
// Exit codes: 0 ok, 1 runtime error, 2 bad usage or scenario, 3 thresholds
// failed, 4 a fault not reverted, 130 interrupted (SIGINT), 143 terminated
// (SIGTERM).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gauntletbench/gauntlet/scenarios"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the CLI and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if code, done := handOver(args, stdout, stderr); done {
		return code
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctx, first, unhandle := withSignals(ctx, cancel, stderr)
	defer unhandle()
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	if err != nil && strings.HasPrefix(err.Error(), "unknown command ") {
		code = exitUsage // cobra's error has no type of its own
	}
	if code == exitInterrupted && first() == syscall.SIGTERM {
		code = exitTerminated
	}
	var quiet *exitError
	var probs scenarios.Problems
	switch {
	case err == nil, errors.As(err, &quiet) && quiet.silent:
	case errors.As(err, &probs):
		printProblems(stderr, probs)
	default:
		fmt.Fprintf(stderr, "gauntlet: %v\n", err)
	}
	return code
}

// hurryKey is the context key of the channel a second signal closes.
type hurryKey struct{}

// withSignals handles SIGINT and SIGTERM for the whole command: the first
// cancels ctx (the run stops, reverts its faults, stops its services and
// writes its record and report); a second — what CI runners send when a job
// is cancelled — closes the channel hurryOf returns, so services still
// running are killed at once instead of being given their stop timeout; the
// faults are still reverted. Later signals only say what is still going on:
// gauntlet never leaves without undoing what it did. first returns the first
// signal caught (nil if none); unhandle stops the handling.
func withSignals(ctx context.Context, cancel context.CancelFunc, stderr io.Writer) (_ context.Context, first func() os.Signal, unhandle func()) {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	hurry := make(chan struct{})
	done := make(chan struct{})
	var caught atomic.Value
	go func() {
		for n := 1; ; n++ {
			select {
			case <-done:
				return
			case sig := <-sigs:
				switch n {
				case 1:
					caught.Store(sig)
					cancel()
				case 2:
					fmt.Fprintf(stderr, "gauntlet: %v again: killing the services now; faults are still reverted\n", sig)
					close(hurry)
				default:
					fmt.Fprintf(stderr, "gauntlet: %v: still reverting faults and stopping services (SIGKILL would leave them behind; gauntlet recover undoes faults)\n", sig)
				}
			}
		}
	}()
	first = func() os.Signal {
		sig, _ := caught.Load().(os.Signal)
		return sig
	}
	return context.WithValue(ctx, hurryKey{}, (<-chan struct{})(hurry)), first, func() {
		signal.Stop(sigs)
		close(done)
	}
}

// hurryOf returns the channel a second signal closes (nil outside run).
func hurryOf(ctx context.Context) <-chan struct{} {
	h, _ := ctx.Value(hurryKey{}).(<-chan struct{})
	return h
}

// printProblems lists a scenario's problems, one per line, and says that
// nothing ran.
func printProblems(w io.Writer, probs scenarios.Problems) {
	for _, p := range probs {
		fmt.Fprintln(w, p.String())
	}
	noun := "problems"
	if len(probs) == 1 {
		noun = "problem"
	}
	fmt.Fprintf(w, "gauntlet: %d %s in the scenario; nothing was run\n", len(probs), noun)
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "gauntlet",
		Short: "Load testing and chaos benchmarking with honest numbers",
		Long: `gauntlet reads a scenario file, starts the services under test, drives
open-model load at them and reports latency measured from each request's
intended send time (no coordinated omission), throughput, errors by class
and a verdict on the scenario's thresholds. Every run writes a record
(record.ndjson) as it goes; every figure is recomputed from it.

Exit codes:
  0    ok: the run completed and every threshold passed
  1    runtime error (a service failed to start, the record could not be written)
  2    bad usage or an invalid scenario (nothing was run)
  3    one or more thresholds failed, or a regression against the baseline
  4    a fault could not be reverted: the system under test may still be degraded
  130  interrupted (Ctrl-C); the record and summary are still written
  143  terminated (SIGTERM); likewise`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	root.SetUsageFunc(usage)
	root.AddCommand(
		newRunCmd(),
		newAttackCmd(),
		newValidateCmd(),
		newReportCmd(),
		newCompareCmd(),
		newMergeCmd(),
		newGateCmd(),
		newSearchCmd(),
		newRecoverCmd(),
		newChaosCmd(),
		newK8sCmd(),
		newStressCmd(),
		newScenariosCmd(),
		newInitCmd(),
		newSchemaCmd(),
		newVersionCmd(),
	)
	return root
}
