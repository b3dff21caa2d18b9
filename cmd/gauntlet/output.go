package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/spf13/cobra"

	"github.com/gauntletbench/gauntlet/gates"
	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/reports"
)

// outputFlags are the flags every command that prints a summary shares.
type outputFlags struct {
	format string
}

func (o *outputFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.format, "output", "o", "text", "summary format: text or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
}

func (o *outputFlags) validate() error {
	if o.format != "text" && o.format != "json" {
		return usageErr(fmt.Errorf("--output must be text or json, got %q", o.format))
	}
	return nil
}

// summarize reads a record back, recomputes its summary, judges its
// thresholds and prints it. It returns the error that sets the exit code:
// thresholds failed (3) or interrupted (130).
func summarize(w io.Writer, path string, format string) (*metrics.Summary, error) {
	rec, err := metrics.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := metrics.Summarize(rec)
	if err != nil {
		return nil, err
	}
	gates.Check(s, rec.Header.Thresholds)
	if format == "json" {
		err = reports.JSON(w, s)
	} else {
		err = reports.Text(w, s)
	}
	if err != nil {
		return s, err
	}
	switch s.Verdict {
	case metrics.VerdictFail:
		return s, &exitError{code: exitThresholds, err: fmt.Errorf("thresholds failed"), silent: format == "json"}
	case metrics.VerdictInterrupted:
		return s, &exitError{code: exitInterrupted, err: fmt.Errorf("run interrupted"), silent: format == "json"}
	}
	return s, nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// defaultOutDir is out/<scenario>-<timestamp>/ under the working directory.
func defaultOutDir(scenario string) string {
	name := unsafeName.ReplaceAllString(scenario, "-")
	if name == "" {
		name = "run"
	}
	return filepath.Join("out", name+"-"+time.Now().Format("20060102-150405"))
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
