package main

import (
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gauntletbench/gauntlet/engine"
)

func newReportCmd() *cobra.Command {
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "report RECORD",
		Short: "Recompute the summary of a run from its record",
		Long: `Report reads a run record (record.ndjson, or the folder holding it) and
prints its summary, recomputed exactly from the recorded histograms. A record
cut off mid-run (crash, kill) still reports what it holds, marked as such.
The exit code follows the verdict, as for run.`,
		Example: `  gauntlet report out/quickstart-20261122-031500
  gauntlet report out/quickstart-20261122-031500/record.ndjson --output json`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			path := args[0]
			if fi, err := os.Stat(path); err == nil && fi.IsDir() {
				path = filepath.Join(path, engine.RecordName)
			}
			_, err := summarize(cmd.OutOrStdout(), path, out.format)
			return err
		},
	}
	out.register(cmd)
	return cmd
}
