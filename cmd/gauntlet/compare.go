package main

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/gauntletbench/gauntlet/gates"
	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/reports"
)

func newCompareCmd() *cobra.Command {
	var html, variantA, variantB string
	cmd := &cobra.Command{
		Use:   "compare A [B]",
		Short: "Compare two runs side by side: two records, or two variants of one",
		Long: `Compare prints the figures of two runs side by side with their deltas and
writes an HTML page with their latency over time overlaid. With two records,
it compares their first runs (or the variants named by --a and --b); with one
record, two of its variants (by default the first two).`,
		Example: `  gauntlet compare out/before out/after
  gauntlet compare out/go-vs-jvm --a go --b jvm --html cmp.html`,
		Args:              usageArgs(cobra.RangeArgs(1, 2)),
		ValidArgsFunction: completeRuns,
		RunE: func(cmd *cobra.Command, args []string) error {
			pathB := args[0]
			if len(args) == 2 {
				pathB = args[1]
			}
			a, err := side(args[0], variantA, 0)
			if err != nil {
				return err
			}
			idxB := 1
			if len(args) == 2 {
				idxB = 0
			}
			b, err := side(pathB, variantB, idxB)
			if err != nil {
				return err
			}
			if err := reports.CompareText(cmd.OutOrStdout(), a, b); err != nil {
				return err
			}
			if html == "" {
				html = filepath.Join("out", "compare-"+time.Now().Format("20060102-150405")+".html")
			}
			if err := writeArtifact(html, func(w io.Writer) error { return reports.CompareHTML(w, a, b) }); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "comparison: %s\n", html)
			return nil
		},
	}
	cmd.Flags().StringVar(&html, "html", "", "where to write the HTML comparison (default out/compare-<time>.html)")
	cmd.Flags().StringVar(&variantA, "a", "", "variant of A to compare (default: the first run)")
	cmd.Flags().StringVar(&variantB, "b", "", "variant of B to compare (default: the first run, or the second of a single record)")
	return cmd
}

// side loads one side of a comparison: the run of the record at path named
// variant, or its idx-th run when variant is empty.
func side(path, variant string, idx int) (reports.Side, error) {
	recs, err := readRecords([]string{path})
	if err != nil {
		return reports.Side{}, err
	}
	rec := recs[0]
	s, err := metrics.Summarize(rec)
	if err != nil {
		return reports.Side{}, err
	}
	gates.Check(s, rec.Header.Thresholds)
	for i, run := range rec.Runs {
		if (variant != "" && run.Start.Variant == variant) || (variant == "" && i == idx) {
			label := filepath.Base(filepath.Dir(rec.Path)) + " · " + run.Start.Variant
			return reports.Side{Label: label, Record: rec, Run: run, Summary: &s.Runs[i]}, nil
		}
	}
	if variant != "" {
		return reports.Side{}, usageErr(fmt.Errorf("%s has no variant %q", path, variant))
	}
	return reports.Side{}, usageErr(fmt.Errorf("%s has %d run(s); name two records or a record with two variants", path, len(rec.Runs)))
}
