package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gauntletbench/gauntlet/engine"
	"github.com/gauntletbench/gauntlet/runners"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// defaultScenario is what `gauntlet run` runs without an argument.
const defaultScenario = "go-vs-jvm"

type runOptions struct {
	out      outputFlags
	outDir   string
	progress bool
	// results, when set, gets a copy of every result (attack --dump-results).
	results runners.ResultSink
}

func newRunCmd() *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run [FILE|NAME]",
		Short: "Run a scenario file or an embedded scenario",
		Long: `Run starts the scenario's services, drives its load, writes the run record
to the output folder as it goes, and prints the summary. Without an argument
it runs the embedded "` + defaultScenario + `" scenario. NAME is an embedded scenario
(see "gauntlet scenarios").`,
		Example: `  gauntlet run                         # the embedded default scenario
  gauntlet run order.yaml --out out/order
  gauntlet run quickstart --output json | jq '.runs[0].latency_ms.p99'`,
		Args:              usageArgs(cobra.MaximumNArgs(1)),
		ValidArgsFunction: completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := defaultScenario
			if len(args) == 1 {
				ref = args[0]
			}
			spec, err := scenarios.Open(ref)
			if err != nil {
				return err
			}
			return runSpec(cmd, spec, o)
		},
	}
	o.register(cmd)
	return cmd
}

func (o *runOptions) register(cmd *cobra.Command) {
	o.out.register(cmd)
	cmd.Flags().StringVar(&o.outDir, "out", "", "folder for the record and reports (default out/<scenario>-<timestamp>/)")
	cmd.Flags().BoolVar(&o.progress, "progress", true, "show a live progress line when stderr is a terminal")
	cmd.Flags().StringVar(&o.out.html, "html", "", "where to write the HTML report (default report.html beside the record)")
}

// runSpec runs a validated scenario and prints its summary; shared by run and
// attack.
func runSpec(cmd *cobra.Command, spec *scenarios.Spec, o *runOptions) error {
	if err := o.out.validate(); err != nil {
		return err
	}
	outDir := o.outDir
	if outDir == "" {
		outDir = defaultOutDir(spec.Name)
		defer linkLatest(outDir)
	}
	stderr := cmd.ErrOrStderr()
	opt := engine.Options{OutDir: outDir, Version: version(), Log: io.Discard, Results: o.results}
	var prog *progress
	if f, ok := stderr.(*os.File); ok && o.progress && isTerminal(f) {
		prog = newProgress(f)
		opt.OnLoad = prog.onLoad
		opt.Log = prog
	} else if o.out.format == "text" {
		opt.Log = stderr
	}
	if left, err := journals(nil); err == nil && len(left) > 0 {
		// A gauntlet killed earlier may have left faults in effect.
		if err := recoverAll(stderr, left); err != nil {
			fmt.Fprintf(stderr, "gauntlet: %v\n", err)
		}
	}
	path, runErr := engine.Run(cmd.Context(), spec, opt)
	if prog != nil {
		prog.finish()
	}
	if path == "" {
		return runErr
	}
	out := o.out
	if out.html == "" {
		out.html = filepath.Join(filepath.Dir(path), "report.html")
	}
	_, sumErr := summarize(cmd.OutOrStdout(), &out, path)
	switch {
	case runErr != nil && !errors.Is(runErr, engine.ErrInterrupted):
		return fmt.Errorf("%w (record: %s)", runErr, path)
	case sumErr != nil:
		return sumErr
	}
	return runErr
}

// linkLatest points out/latest at the newest run folder, so its report is
// always at out/latest/report.html. Failing to is not worth an error.
func linkLatest(dir string) {
	latest := filepath.Join(filepath.Dir(dir), "latest")
	if fi, err := os.Lstat(latest); err == nil && fi.Mode()&os.ModeSymlink == 0 {
		return // not ours: leave it alone
	}
	tmp := latest + ".tmp"
	os.Remove(tmp)
	if err := os.Symlink(filepath.Base(dir), tmp); err == nil {
		os.Rename(tmp, latest)
	}
}
