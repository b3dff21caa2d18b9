package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gauntletbench/gauntlet/engine"
	"github.com/gauntletbench/gauntlet/metrics"
)

func newMergeCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge RECORD... -o MERGED",
		Short: "Merge the records of a distributed run (run --segment) into one",
		Long: `Merge combines the records that several generators wrote of one scenario —
each running a share of its load with "gauntlet run --segment I/N" — into one
record, which "gauntlet report" and "gauntlet gate" then judge as the whole
distributed run. RECORD is a record.ndjson or a folder holding one.

Intervals are aligned by wall clock (each generator's load start + offset,
re-based on the earliest load start, in whole seconds); counts, status codes,
error classes and HDR latency histograms are merged exactly. Each generator's
own readings and services (host, generator, services it started) are kept
apart under a tag ("generator#2", "host#2"), not summed; fault events come
from segment 1, the only one that injects faults.

Records of different scenarios, requests or stage plans are refused (exit 2).
Segments that are not a complete set 1..N, and truncated records, are merged
with a warning on stderr.

MERGED is a file, or a folder (created if missing, then record.ndjson inside
it); a path ending in .ndjson or .json names a file.`,
		Example: `  # two generators, then one record of the whole run
  gauntlet run order.yaml --segment 1/2 --out out/gen1     # machine 1
  gauntlet run order.yaml --segment 2/2 --out out/gen2     # machine 2
  gauntlet merge out/gen1 out/gen2 -o out/merged
  gauntlet report out/merged -o merged.html
  gauntlet gate --baseline base/ out/merged`,
		Args:              usageArgs(cobra.MinimumNArgs(1)),
		ValidArgsFunction: completeRuns,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageErr(errors.New("-o MERGED is required: the file or folder to write the merged record to, e.g. -o out/merged"))
			}
			path, err := mergedPath(out)
			if err != nil {
				return err
			}
			recs, err := readRecords(args)
			if err != nil {
				return err
			}
			for _, rec := range recs {
				if same, _ := samePath(rec.Path, path); same {
					return usageErr(fmt.Errorf("-o %s would overwrite the input %s", out, rec.Path))
				}
			}
			merged, warns, err := metrics.Merge(recs)
			if errors.Is(err, metrics.ErrCannotMerge) {
				return usageErr(err)
			}
			if err != nil {
				return err
			}
			for _, w := range warns {
				fmt.Fprintf(cmd.ErrOrStderr(), "gauntlet: warning: %s\n", w)
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			if err := metrics.WriteRecord(path, merged); err != nil {
				return err
			}
			noun := "records"
			if len(recs) == 1 {
				noun = "record"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "merged %d %s (%s) into %s\n", len(recs), noun, mergedSegments(merged), path)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the merged record to `MERGED` (a file, or a folder for record.ndjson)")
	return cmd
}

// mergedPath is the record file -o names: the path itself when it is a file
// or ends in .ndjson/.json, else record.ndjson in that folder.
func mergedPath(out string) (string, error) {
	fi, err := os.Stat(out)
	switch {
	case err == nil && fi.IsDir():
		return filepath.Join(out, engine.RecordName), nil
	case err == nil:
		return out, nil
	case !errors.Is(err, os.ErrNotExist):
		return "", err
	case strings.HasSuffix(out, ".ndjson"), strings.HasSuffix(out, ".json"):
		return out, nil
	}
	return filepath.Join(out, engine.RecordName), nil
}

// samePath reports whether a and b name the same file.
func samePath(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

// mergedSegments lists the merged inputs' segments, e.g. "segments 1/2, 2/2".
func mergedSegments(rec *metrics.Record) string {
	var segs []string
	for _, in := range rec.Header.Merged {
		if in.Segment != nil {
			segs = append(segs, in.Segment.String())
		} else {
			segs = append(segs, "whole")
		}
	}
	return "segments " + strings.Join(segs, ", ")
}
