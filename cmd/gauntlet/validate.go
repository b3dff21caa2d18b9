package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gauntletbench/gauntlet/engine"
	"github.com/gauntletbench/gauntlet/scenarios"
)

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE|NAME...",
		Short: "Check scenario files without running them",
		Long: `Validate decodes each scenario strictly and reports every problem at once,
as file:line:col with the field path and a hint. It sends no load and starts
nothing and opens no socket. Every fault is checked as a run would build it
(parameters in range, targets that exist); faults on kubernetes services are built
in memory as Chaos Mesh objects and checked with Chaos Mesh's own validation. Exit code 2 when any scenario is
invalid.`,
		Example: `  gauntlet validate order.yaml
  gauntlet validate scenarios/*.yaml`,
		Args:              usageArgs(cobra.MinimumNArgs(1)),
		ValidArgsFunction: completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := 0
			for _, ref := range args {
				spec, err := openScenario(ref)
				var probs scenarios.Problems
				switch {
				case errors.As(err, &probs):
					printProblems(cmd.ErrOrStderr(), probs)
					bad++
					continue
				case err != nil:
					fmt.Fprintf(cmd.ErrOrStderr(), "gauntlet: %v\n", err)
					bad++
					continue
				}
				err = engine.Check(spec, offlineCluster())
				if errors.As(err, &probs) {
					printProblems(cmd.ErrOrStderr(), probs)
					bad++
					continue
				} else if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "gauntlet: %s: %v\n", ref, err)
					bad++
					continue
				}
				var planned time.Duration
				for _, st := range spec.Load.Stages {
					planned += time.Duration(st.For)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%d requests, %d stages, %s of load per variant)\n",
					ref, len(spec.Requests), len(spec.Load.Stages), planned)
			}
			if bad > 0 {
				return &exitError{code: exitUsage, silent: true}
			}
			return nil
		},
	}
}

// openScenario opens a scenario like scenarios.Open; when it has problems,
// its faults are checked too and the problems of their parameters added, so
// that every problem is reported at once.
func openScenario(ref string, adjust ...func(*scenarios.Spec)) (*scenarios.Spec, error) {
	spec, err := scenarios.Open(ref, adjust...)
	var probs scenarios.Problems
	if !errors.As(err, &probs) {
		return spec, err
	}
	if spec != nil {
		probs = append(probs, engine.FaultProblems(spec, probs, offlineCluster())...)
		scenarios.SortProblems(probs)
	}
	return nil, probs
}
