package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gauntletbench/gauntlet/engine"
	"github.com/gauntletbench/gauntlet/gates"
	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/runners"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// CPUSetsEnv, when set, is the default of --cpu-sets (auto or off).
const CPUSetsEnv = "GAUNTLET_CPU_SETS"

// defaultScenario is what `gauntlet run` runs without an argument.
const defaultScenario = "go-jvm-python"

type runOptions struct {
	// kube holds the flags for faults on Kubernetes services.
	kube kubeOptions
	// ci turns the gate on and writes every artifact into the output folder.
	ci       bool
	count    int
	gate     gateOptions
	out      outputFlags
	outDir   string
	progress bool
	// results, when set, gets a copy of every result (attack --dump-results).
	results runners.ResultSink
	// segment is --segment as given; seg is it parsed.
	segment string
	// startAt is --start-at as given; start is it parsed.
	startAt string
	start   time.Time
	seg     metrics.Segment
	// cpuSets is --cpu-sets: auto pins the generator and the services it
	// starts to disjoint CPUs, off leaves them sharing.
	cpuSets string
	// metricsAddr is --metrics-addr; tap feeds the live figures served there.
	metricsAddr string
	tap         func(lines []any)
	inFlight    func(variant string, inFlight func() int64)
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
  gauntlet run quickstart --output json | jq '.runs[0].latency_ms.p99'
  gauntlet run order.yaml --segment 2/3 --out out/gen2   # one of three generators; see "gauntlet merge"`,
		Args:              usageArgs(cobra.MaximumNArgs(1)),
		ValidArgsFunction: completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := defaultScenario
			if len(args) == 1 {
				ref = args[0]
			}
			spec, err := openScenario(ref)
			if err != nil {
				return err
			}
			return runSpec(cmd, spec, o)
		},
	}
	o.register(cmd)
	return cmd
}

// register adds run's flags: those of every load command, the CI gate's
// and the Kubernetes ones.
func (o *runOptions) register(cmd *cobra.Command) {
	o.registerLoad(cmd)
	cmd.Flags().BoolVar(&o.ci, "ci", false, "CI mode: no progress line; record, report.html, summary.md and junit.xml in --out; exit 3 on a failed threshold or a regression")
	cmd.Flags().IntVar(&o.count, "count", 1, "run the scenario `N` times (into run-1 … run-N) and pool the runs for the baseline comparison")
	o.gate.register(cmd)
	group(cmd, groupCI, "ci", "count")
	o.kube.register(cmd)
}

// registerLoad adds the flags of every command that drives load (run,
// attack, search): where the record and reports go, and when and which
// share of the load to send.
func (o *runOptions) registerLoad(cmd *cobra.Command) {
	o.count, o.gate.opt = 1, gates.DefaultOptions()
	o.out.register(cmd)
	cmd.Flags().StringVar(&o.outDir, "out", "", "folder for the record and reports (default out/<scenario>-<timestamp>/)")
	cmd.Flags().BoolVar(&o.progress, "progress", true, "show a live progress line when stderr is a terminal")
	cmd.Flags().StringVar(&o.out.html, "html", "", "where to write the HTML report (default report.html beside the record)")
	cmd.Flags().StringVar(&o.startAt, "start-at", "", "hold the load until `TIME` (RFC 3339, e.g. 2026-11-22T10:00:00Z, or Unix seconds), so generators on several machines start together")
	cmd.Flags().StringVar(&o.cpuSets, "cpu-sets", cmp.Or(os.Getenv(CPUSetsEnv), "auto"), "`auto`: with 2+ CPUs, run the generator and the services it starts on disjoint CPUs (a quarter of them, at least one, for the generator); off: let them share every CPU (default from $"+CPUSetsEnv+", else auto)")
	cmd.Flags().StringVar(&o.segment, "segment", "", "run share `I/N` of the load, one of N generators (1 <= I <= N); only segment 1 injects faults, and thresholds judge this share only: merge the records with \"gauntlet merge\" and judge the merged one")
	cmd.Flags().StringVar(&o.metricsAddr, "metrics-addr", "", "serve the run's live figures for Prometheus at `HOST:PORT`/metrics (\":9102\" listens on 127.0.0.1)")
	group(cmd, groupOutput, "out", "progress", "html", "metrics-addr")
	group(cmd, groupLoad, "start-at", "segment", "cpu-sets")
}

// runSpec runs a validated scenario and prints its summary; shared by run and
// attack.
func runSpec(cmd *cobra.Command, spec *scenarios.Spec, o *runOptions) error {
	if err := o.out.validate(); err != nil {
		return err
	}
	if o.count < 1 {
		return usageErr(fmt.Errorf("--count must be at least 1, got %d", o.count))
	}
	if o.cpuSets != "auto" && o.cpuSets != "off" {
		return usageErr(fmt.Errorf("--cpu-sets %q: want auto or off", o.cpuSets))
	}
	if err := o.parseSegment(spec); err != nil {
		return err
	}
	start, err := parseStartAt(o.startAt)
	if err != nil {
		return usageErr(err)
	}
	o.start = start
	stderr := cmd.ErrOrStderr()
	left, _ := journals(nil)
	if o.outDir != "" {
		left = append(left, filepath.Join(o.outDir, engine.JournalName))
	}
	// A gauntlet killed earlier may have left faults in effect.
	if err := recoverAll(stderr, left); err != nil {
		fmt.Fprintf(stderr, "gauntlet: %v\n", err)
	}
	outDir := o.outDir
	if outDir == "" {
		if outDir, err = newRunDir("out", spec.Name); err != nil {
			return err
		}
		defer linkLatest(outDir)
	} else if _, err := os.Lstat(filepath.Join(outDir, engine.RecordName)); err == nil {
		return usageErr(fmt.Errorf("--out %s holds a run already (%s): pick another folder or remove it", outDir, engine.RecordName))
	}
	out := o.out
	if o.ci {
		o.progress = false
		if out.md == "" {
			out.md = filepath.Join(outDir, "summary.md")
		}
		if out.junit == "" {
			out.junit = filepath.Join(outDir, "junit.xml")
		}
	}
	if out.html == "" {
		out.html = filepath.Join(outDir, "report.html")
	}
	stopMetrics, err := o.startMetrics(stderr)
	if err != nil {
		return err
	}
	defer stopMetrics()
	var paths []string
	var runErr error
	for i := 1; i <= o.count && runErr == nil; i++ {
		dir := outDir
		if o.count > 1 {
			dir = filepath.Join(outDir, fmt.Sprintf("run-%d", i))
		}
		var path string
		path, runErr = o.runOnce(cmd, spec, dir)
		if path != "" {
			paths = append(paths, path)
		}
	}
	if len(paths) == 0 {
		return runErr
	}
	_, sumErr := summarize(cmd.OutOrStdout(), &out, paths...)
	var gateErr error
	if len(o.gate.baselines) > 0 {
		gout := out
		if out.format == "json" {
			// stdout holds the summary; the decision goes beside it.
			gout.md, gout.format = "", "text"
			var b strings.Builder
			gateErr = o.gate.judge(&b, &gout, paths)
			if err := os.WriteFile(filepath.Join(outDir, "gate.txt"), []byte(b.String()), 0o644); err != nil && gateErr == nil {
				gateErr = err
			}
		} else {
			fmt.Fprintln(cmd.OutOrStdout())
			gateErr = o.gate.judge(cmd.OutOrStdout(), &gout, paths)
		}
	}
	switch {
	case runErr != nil && !errors.Is(runErr, engine.ErrInterrupted):
		return fmt.Errorf("%w (record: %s)", runErr, paths[len(paths)-1])
	case errors.Is(runErr, engine.ErrInterrupted):
		return runErr
	case sumErr != nil:
		return sumErr
	}
	return gateErr
}

// runOnce runs the scenario once into dir and returns its record's path.
func (o *runOptions) runOnce(cmd *cobra.Command, spec *scenarios.Spec, dir string) (string, error) {
	stderr := cmd.ErrOrStderr()
	opt := engine.Options{OutDir: dir, Version: version(), Log: io.Discard, Results: o.results, Segment: o.seg, StartAt: o.start, Tap: o.tap, InFlight: o.inFlight,
		PinCPUs: o.cpuSets == "auto", Hurry: hurryOf(cmd.Context()),
		Fails: func(th metrics.Threshold, rs *metrics.RunSummary) bool {
			r := gates.Evaluate(rs, th)
			return !r.Pass && r.Error == ""
		}}
	var prog *progress
	if f, ok := stderr.(*os.File); ok && o.progress && isTerminal(f) {
		prog = newProgress(f)
		opt.OnLoad = prog.onLoad
		opt.Log = prog
	} else if o.out.format == "text" {
		opt.Log = stderr
	}
	cluster, err := o.kube.cluster(spec, o.seg.Index, opt.Log)
	if err != nil {
		if prog != nil {
			prog.finish()
		}
		return "", err
	}
	opt.Cluster = cluster
	path, err := engine.Run(cmd.Context(), spec, opt)
	if prog != nil {
		prog.finish()
	}
	return path, err
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

// parseSegment checks --segment: a share I/N of a scenario whose load can be
// split (not a capacity search).
func (o *runOptions) parseSegment(spec *scenarios.Spec) error {
	if o.segment == "" {
		return nil
	}
	seg, err := metrics.ParseSegment(o.segment)
	if err != nil {
		return usageErr(fmt.Errorf("--segment %w", err))
	}
	if spec.Load.Model == "search" && !seg.Whole() {
		return usageErr(fmt.Errorf("--segment %s: %w", seg, engine.ErrSegmentSearch))
	}
	o.seg = seg
	return nil
}

// parseStartAt reads --start-at: RFC 3339 or Unix seconds; empty means now.
func parseStartAt(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if sec, err := strconv.ParseFloat(s, 64); err == nil && sec > 0 {
		return time.Unix(0, int64(sec*1e9)), nil
	}
	return time.Time{}, fmt.Errorf("--start-at %q: want an RFC 3339 time (2026-11-22T10:00:00Z) or Unix seconds", s)
}
