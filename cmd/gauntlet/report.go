package main

import (
	"github.com/spf13/cobra"
)

func newReportCmd() *cobra.Command {
	out := outputFlags{}
	cmd := &cobra.Command{
		Use:   "report RECORD...",
		Short: "Recompute the summary and reports of runs from their records",
		Long: `Report reads run records (record.ndjson, or the folders holding them) and
prints their summary, recomputed exactly from the recorded histograms, and
renders the HTML report, Markdown and JUnit files on request. Several records
are reported side by side. A record cut off mid-run (crash, kill) still
reports what it holds, marked as such. The exit code follows the verdict, as
for run.`,
		Example: `  gauntlet report out/quickstart-20261122-031500
  gauntlet report out/a out/b -o both.html
  gauntlet report out/run/record.ndjson --output json --junit junit.xml`,
		Args:              usageArgs(cobra.MinimumNArgs(1)),
		ValidArgsFunction: completeRuns,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			_, err := summarize(cmd.OutOrStdout(), &out, args...)
			return err
		},
	}
	out.register(cmd)
	cmd.Flags().StringVarP(&out.html, "html", "o", "", "write the HTML report to `FILE`")
	return cmd
}
