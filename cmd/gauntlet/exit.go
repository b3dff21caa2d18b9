package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gauntletbench/gauntlet/engine"
	"github.com/gauntletbench/gauntlet/gates"
	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// Exit codes, as documented in the root command's help.
const (
	exitOK          = 0
	exitRuntime     = 1
	exitUsage       = 2
	exitThresholds  = 3
	exitRevert      = 4
	exitInterrupted = 130
	exitTerminated  = 143
)

// exitError carries an exit code to main. A silent one has already been
// reported (e.g. failed thresholds, shown in the summary).
type exitError struct {
	code   int
	err    error
	silent bool
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usageErr(err error) error { return &exitError{code: exitUsage, err: err} }

// usageArgs wraps a cobra argument check so a wrong argument count exits 2.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageErr(err)
		}
		return nil
	}
}

func exitCode(err error) int {
	var ee *exitError
	var probs scenarios.Problems
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &probs), errors.Is(err, scenarios.ErrNotFound), errors.Is(err, metrics.ErrRecordExists), errors.Is(err, gates.ErrOtherScenario):
		return exitUsage
	case errors.Is(err, engine.ErrRevertFailed):
		return exitRevert
	case errors.Is(err, engine.ErrInterrupted):
		return exitInterrupted
	}
	return exitRuntime
}
