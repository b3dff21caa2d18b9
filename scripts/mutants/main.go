// Command mutants plants known bugs in gauntlet's measurement core, one at a
// time, and runs the tests meant to catch each: a mutation check of the test
// suite (make mutants). Each mutant is a row of the table below: a file, an
// exact snippet of it, its replacement and the tests that must fail. A
// snippet that is not found exactly once stops the check, so a rewrite of
// the code shows up as a row to update rather than as a mutant quietly
// caught. The mutants are planted in a copy of the working tree; the tree
// itself is never changed.
//
// Usage: go run ./scripts/mutants [-only ID,...] [-keep]
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A mutant is one planted bug and the tests that must catch it. None of the
// tests is a golden-file comparison.
type mutant struct {
	id, file, from, to string
	// pkg is the package whose tests catch it; tests are their names.
	pkg   string
	tests []string
}

var mutants = []mutant{
	{id: "latency-from-send", file: "metrics/result.go",
		from: "func (r *Result) Latency() time.Duration { return r.End - r.Intended }",
		to:   "func (r *Result) Latency() time.Duration { return r.End - r.Sent }",
		pkg:  "./runners", tests: []string{"TestOpenLatencyIsLagPlusServiceTimeThroughAStall"}},
	{id: "intended-is-send", file: "runners/exec.go",
		from: "\tres.Sent = time.Since(w.start)\n\tif !scheduled {",
		to:   "\tres.Sent = time.Since(w.start)\n\tif true {",
		pkg:  "./runners", tests: []string{"TestOpenLatencyIsLagPlusServiceTimeThroughAStall"}},
	{id: "intended-is-send-fast", file: "runners/fast.go",
		from: "w.sent(res, scheduled)",
		to:   "w.sent(res, false)",
		pkg:  "./runners", tests: []string{"TestOpenLatencyIsLagPlusServiceTimeThroughAStall"}},
	{id: "lag-from-end", file: "metrics/result.go",
		from: "func (r *Result) Lag() time.Duration { return r.Sent - r.Intended }",
		to:   "func (r *Result) Lag() time.Duration { return r.End - r.Sent }",
		pkg:  "./runners", tests: []string{"TestOpenLatencyIsLagPlusServiceTimeThroughAStall", "TestOpenKeepsTheSchedule"}},
	{id: "open-sends-2ms-late", file: "runners/open.go",
		from: "waitDue(ctx, timer, o.Start.Add(at))",
		to:   "waitDue(ctx, timer, o.Start.Add(at+2*time.Millisecond))",
		pkg:  "./runners", tests: []string{"TestOpenKeepsTheSchedule"}},
	{id: "interval-by-completion", file: "metrics/recorder.go",
		from: "idx := max(int(res.Intended/IntervalLength), r.cur) - r.cur",
		to:   "idx := max(int(res.End/IntervalLength), r.cur) - r.cur",
		pkg:  "./metrics", tests: []string{"TestRecorderCountsByIntendedTime"}},
	{id: "interval-written-while-held", file: "metrics/sink.go",
		from: "mark = min(mark, b.hold.Load())",
		to:   "mark = min(mark, holdNone)",
		pkg:  "./metrics", tests: []string{"TestSinkShiftsAndHolds", "TestRecorderCountsByIntendedTime"}},
	{id: "merge-drops-clamped", file: "metrics/histogram.go",
		from: "\th.Clamped += o.Clamped\n",
		to:   "\n",
		pkg:  "./metrics", tests: []string{"TestHistogramMergeKeepsClamped"}},
	{id: "record-drops-clamped", file: "metrics/recorder.go",
		from: "\t\t\tiv.Clamped = a.lat.Clamped\n",
		to:   "\n",
		pkg:  "./metrics", tests: []string{"TestClampedSurvivesTheRecord"}},
	{id: "clamp-not-counted", file: "metrics/histogram.go",
		from: "\t\treturn histHighest, true\n",
		to:   "\t\treturn histHighest, false\n",
		pkg:  "./metrics", tests: []string{"TestClampedSurvivesTheRecord", "TestHistogramQuantiles"}},
	{id: "interval-bucket-one-up", file: "metrics/histcodec.go",
		from: "int(v>>bucket) - subBucketHalf",
		to:   "int(v>>bucket) - subBucketHalf + 1",
		pkg:  "./metrics", tests: []string{"TestBucketIndexInvertsBucketValue", "TestCountsIsAHistogram"}},
	{id: "interval-merge-skips-lowest", file: "metrics/counts.go",
		from: "for i := h.lo; i <= h.hi; i++ {",
		to:   "for i := h.lo + 1; i <= h.hi; i++ {",
		pkg:  "./metrics", tests: []string{"TestCountsIsAHistogram"}},
	{id: "interval-merge-drops-clamped", file: "metrics/counts.go",
		from: "\tt.Clamped += h.Clamped\n",
		to:   "\n",
		pkg:  "./metrics", tests: []string{"TestCountsIsAHistogram"}},
	{id: "interval-reset-keeps-top", file: "metrics/counts.go",
		from: "clear(h.c[h.lo : h.hi+1])",
		to:   "clear(h.c[h.lo:h.hi])",
		pkg:  "./metrics", tests: []string{"TestCountsIsAHistogram"}},
	{id: "decode-bucket-one-up", file: "metrics/histcodec.go",
		from: "_ = h.h.RecordValues(bucketValue(bc.index), bc.count)",
		to:   "_ = h.h.RecordValues(bucketValue(bc.index+1), bc.count)",
		pkg:  "./metrics", tests: []string{"TestMergeEncodedAddsWhatHdrHistogramGoDecodes"}},
	{id: "encode-zero-run-one-short", file: "metrics/histcodec.go",
		from: "\t\t\t\tc = -run\n",
		to:   "\t\t\t\tc = 1 - run\n",
		pkg:  "./metrics", tests: []string{"TestEncodeIsHdrHistogramGos"}},
	{id: "p99-is-p98", file: "metrics/summary.go",
		from: "P99: ms(h.Quantile(0.99))",
		to:   "P99: ms(h.Quantile(0.98))",
		pkg:  "./metrics", tests: []string{"TestSummaryPercentilesOfAKnownDistribution"}},
	{id: "p999-is-p99", file: "metrics/summary.go",
		from: "P999: ms(h.Quantile(0.999))",
		to:   "P999: ms(h.Quantile(0.99))",
		pkg:  "./metrics", tests: []string{"TestSummaryPercentilesOfAKnownDistribution"}},
	{id: "p90-is-p95", file: "metrics/summary.go",
		from: "P90: ms(h.Quantile(0.90))",
		to:   "P90: ms(h.Quantile(0.95))",
		pkg:  "./metrics", tests: []string{"TestSummaryPercentilesOfAKnownDistribution"}},
	{id: "lag-histogram-is-latency", file: "metrics/recorder.go",
		from: "a.lag.Record(res.Lag())",
		to:   "a.lag.Record(res.Latency())",
		pkg:  "./metrics", tests: []string{"TestSummaryPercentilesOfAKnownDistribution"}},
	{id: "rps-over-a-longer-window", file: "metrics/summary.go",
		from: "RPS: perSecond(total.requests, perS)",
		to:   "RPS: perSecond(total.requests, perS+1)",
		pkg:  "./metrics", tests: []string{"TestSummarizeExcludesWarmupAndCounts"}},
	{id: "rate-over-the-plan-when-sent-late", file: "metrics/summary.go",
		from: "if spill := total.sentUntil - to; spill > 0 {",
		to:   "if spill := 0.0; spill > 0 {",
		pkg:  "./metrics", tests: []string{"TestRateIsOverTheTimeTheRequestsTookToSend"}},
	{id: "pool-grows-64-while-busy", file: "runners/open.go",
		from: "\tif share > busyShare {\n\t\treturn spawnBusy",
		to:   "\tif share > busyShare {\n\t\treturn spawnBatch",
		pkg:  "./runners", tests: []string{"TestBackfillAddsFewWorkersWhileTheGeneratorIsBusy"}},
	{id: "alarm-a-gap-late", file: "runners/open.go",
		from: "return k, max(at, last+alarmGap)",
		to:   "return k, max(at, last) + alarmGap",
		pkg:  "./runners", tests: []string{"TestAlarmWakesAtDueTimesAtMostEveryGap"}},
	{id: "alarm-does-not-repeat", file: "runners/alarm_linux.go",
		from: "a.spec.Interval = unix.NsecToTimespec(int64(max(every, 0)))",
		to:   "a.spec.Interval = unix.NsecToTimespec(0 * int64(every))",
		pkg:  "./runners", tests: []string{"TestAlarmRepeats"}},
	{id: "fast-pool-oldest-first", file: "runners/fast.go",
		from: "ConnPoolStrategy: fasthttp.LIFO,",
		to:   "ConnPoolStrategy: fasthttp.FIFO,",
		pkg:  "./runners", tests: []string{"TestBurstConnectionsStayIdle"}},
	{id: "fast-header-not-grown", file: "runners/fastread.go",
		from: "if err == nil || !outgrew(err) {",
		to:   "if err == nil || true || !outgrew(err) {",
		pkg:  "./runners", tests: []string{"TestClientsClassifyAlike"}},
	{id: "fast-body-held-whole", file: "runners/fastread.go",
		from: "\td, err := io.CopyN(io.Discard, r, n)\n",
		to:   "\tall, err := io.ReadAll(io.LimitReader(r, n))\n\td := int64(len(all))\n",
		pkg:  "./runners", tests: []string{"TestFastClientHoldsLittleOfALargeBody"}},
	{id: "fast-chunked-trailer-left", file: "runners/fastread.go",
		from: "err = skipTrailer(r)",
		to:   "err = nil",
		pkg:  "./runners", tests: []string{"TestFastClientReusesItsConnection"}},
	{id: "fast-sends-on-closed-connections", file: "runners/fastread.go",
		from: "&& peerGone(cc.Conn())",
		to:   "&& false && peerGone(cc.Conn())",
		pkg:  "./runners", tests: []string{"TestClientsSendOnLiveConnections"}},
	{id: "fast-host-header-not-sent", file: "runners/fast.go",
		from: "r.UseHostHeader = true",
		to:   "r.UseHostHeader = false",
		pkg:  "./runners", tests: []string{"TestClientsClassifyAlike"}},
	{id: "spares-not-checked", file: "runners/fast.go",
		from: "if !peerGone(nc) {",
		to:   "if true || !peerGone(nc) {",
		pkg:  "./runners", tests: []string{"TestSparesTheServiceClosedAreNotUsed"}},
	{id: "warm-dials-past-the-start", file: "runners/fast.go",
		from: "nc, err := f.dial.DialContext(ctx, \"tcp\", addr)",
		to:   "nc, err := f.dial.DialContext(context.WithoutCancel(ctx), \"tcp\", addr)",
		pkg:  "./runners", tests: []string{"TestWarmStopsAtTheStart"}},
	{id: "stage-rate-over-its-plan", file: "metrics/stages.go",
		from: "return max(end, sentUntil) - st.StartS",
		to:   "return st.ForS + 0*max(end, sentUntil)",
		pkg:  "./metrics", tests: []string{"TestStageRateIsOverTheTimeItRan"}},
	{id: "ramp-twice-as-steep", file: "runners/pacer.go",
		from: "a := (st.Rate - p.r0[i]) / (2 * st.ForS)",
		to:   "a := (st.Rate - p.r0[i]) / st.ForS",
		pkg:  "./runners", tests: []string{"TestStagePacerTotalAndAt"}},
	{id: "window-by-start", file: "metrics/impact.go",
		from: "mid := float64(t) + 0.5;",
		to:   "mid := float64(t);",
		pkg:  "./metrics", tests: []string{"TestFaultWindowsTakeTheIntervalsWhoseMiddleIsInside"}},
	{id: "window-end-inclusive", file: "metrics/impact.go",
		from: "mid < w.FromS || mid >= w.ToS",
		to:   "mid < w.FromS || mid > w.ToS",
		pkg:  "./metrics", tests: []string{"TestFaultWindowsTakeTheIntervalsWhoseMiddleIsInside"}},
	{id: "instant-fault-failed-during", file: "metrics/impact.go",
		from: "\t\t\tfi.Failed, fi.FailedByClass = fi.After.Errors, fi.After.ErrorsByClass\n",
		to:   "\n",
		pkg:  "./metrics", tests: []string{"TestFaultWindowsTakeTheIntervalsWhoseMiddleIsInside"}},
	{id: "http-delay-ignores-rate", file: "chaos/local/http.go",
		from: "if hit(&d.rng, d.Rate) {",
		to:   "if true {",
		pkg:  "./chaos/local", tests: []string{"TestHTTPFaultShares"}},
	{id: "http-error-half-rate", file: "chaos/local/http.go",
		from: "if hit(&e.rng, e.Rate) {",
		to:   "if hit(&e.rng, e.Rate/2) {",
		pkg:  "./chaos/local", tests: []string{"TestHTTPFaultShares"}},
	{id: "recorder-unguarded", file: "engine/variant.go",
		from: `runners.Guard("recorder", crash, func() { err = rec.Consume(results, loadDone) })`,
		to:   `err = rec.Consume(results, loadDone)`,
		pkg:  "./engine", tests: []string{"TestPanicStopsTheRunAndCleansUp"}},
	{id: "fault-timeline-unguarded", file: "engine/faults.go",
		from: `runners.Guard("fault timeline", crash, func() { fr.follow(ctx, acts) })`,
		to:   `_ = runners.Guard; fr.follow(ctx, acts)`,
		pkg:  "./engine", tests: []string{"TestPanicStopsTheRunAndCleansUp"}},
	{id: "probes-unguarded", file: "engine/probing.go",
		from: `runners.Guard("probes", crash, func() { probes.Poll(pctx, set.every, t0, variant, pr.emit, onErr, set.ss...) })`,
		to:   `_ = runners.Guard; probes.Poll(pctx, set.every, t0, variant, pr.emit, onErr, set.ss...)`,
		pkg:  "./engine", tests: []string{"TestPanicStopsTheRunAndCleansUp"}},
	{id: "open-worker-unguarded", file: "runners/open.go",
		from: `Guard("worker", s.stop, func() { s.work(s.ctx, id) })`,
		to:   `s.work(s.ctx, id)`,
		pkg:  "./runners", tests: []string{"TestWorkerPanicStopsTheRun"}},
	{id: "gate-without-margin-test", file: "gates/compare.go",
		from: "\t\tif mp < alpha {",
		to:   "\t\tif true {",
		pkg:  "./gates", tests: []string{"TestRegressErrorRates"}},
}

func main() {
	only := flag.String("only", "", "comma-separated mutant ids to run (default: all)")
	keep := flag.Bool("keep", false, "keep the scratch copy of the tree")
	flag.Parse()
	if err := run(*only, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "mutants:", err)
		os.Exit(1)
	}
}

func run(only string, keep bool) error {
	todo := mutants
	if only != "" {
		ids := strings.Split(only, ",")
		todo = slices.DeleteFunc(slices.Clone(mutants), func(m mutant) bool { return !slices.Contains(ids, m.id) })
		if len(todo) != len(ids) {
			return fmt.Errorf("-only %s: unknown mutant id", only)
		}
	}
	if err := checkSnippets(todo, "."); err != nil {
		return err
	}
	dir, err := copyTree()
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	} else {
		fmt.Println("scratch copy:", dir)
	}

	// The tests must pass on the code as it is, or failing proves nothing.
	byPkg := map[string][]string{}
	for _, m := range todo {
		for _, t := range m.tests {
			if !slices.Contains(byPkg[m.pkg], t) {
				byPkg[m.pkg] = append(byPkg[m.pkg], t)
			}
		}
	}
	for pkg, tests := range byPkg {
		if failed, out := goTest(dir, pkg, tests); len(failed) > 0 || out != "" {
			return fmt.Errorf("unmutated tree: %s %v fail; fix them first\n%s", pkg, failed, out)
		}
	}

	fmt.Printf("%-28s %-22s %-8s %s\n", "mutant", "file", "result", "caught by (took)")
	var missed []string
	for _, m := range todo {
		path := filepath.Join(dir, m.file)
		orig, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, bytes.Replace(orig, []byte(m.from), []byte(m.to), 1), 0o644); err != nil {
			return err
		}
		began := time.Now()
		failed, output := goTest(dir, m.pkg, m.tests)
		if err := os.WriteFile(path, orig, 0o644); err != nil {
			return err
		}
		took := time.Since(began).Round(time.Second)
		switch {
		case output != "" && len(failed) == 0:
			return fmt.Errorf("%s: the mutated tree does not build or its tests crashed; fix the row:\n%s", m.id, output)
		case len(failed) == 0:
			missed = append(missed, m.id)
			fmt.Printf("%-28s %-22s %-8s %s (%s)\n", m.id, m.file, "MISSED", "-", took)
		default:
			fmt.Printf("%-28s %-22s %-8s %s (%s)\n", m.id, m.file, "caught", strings.Join(failed, ", "), took)
		}
	}
	fmt.Printf("%d of %d mutants caught\n", len(todo)-len(missed), len(todo))
	if len(missed) > 0 {
		return fmt.Errorf("not caught: %s", strings.Join(missed, ", "))
	}
	return nil
}

// copyTree copies the files git tracks (with their working-tree changes) and
// untracked, not ignored ones into a scratch folder.
// checkSnippets makes sure each mutant's snippet is in its file (under root)
// exactly once, so that the mutant plants the bug it names.
func checkSnippets(ms []mutant, root string) error {
	for _, m := range ms {
		src, err := os.ReadFile(filepath.Join(root, m.file))
		if err != nil {
			return fmt.Errorf("%s: %w", m.id, err)
		}
		if n := bytes.Count(src, []byte(m.from)); n != 1 {
			return fmt.Errorf("%s: %s has its snippet %d times, want exactly once: update the row for the code as it is now\n  snippet: %q", m.id, m.file, n, m.from)
		}
	}
	return nil
}

func copyTree() (string, error) {
	out, err := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return "", fmt.Errorf("git ls-files: %w", err)
	}
	dir, err := os.MkdirTemp("", "gauntlet-mutants-")
	if err != nil {
		return "", err
	}
	for name := range strings.SplitSeq(strings.TrimRight(string(out), "\x00"), "\x00") {
		if err := copyFile(name, filepath.Join(dir, name)); err != nil {
			os.RemoveAll(dir)
			return "", err
		}
	}
	return dir, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if os.IsNotExist(err) {
		return nil // deleted in the working tree
	}
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil || fi.IsDir() {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, fi.Mode())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// killMarked kills every process whose environment holds mark (on Linux,
// read from /proc; elsewhere nothing is found).
func killMarked(mark string) {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil || !slices.ContainsFunc(bytes.Split(env, []byte{0}), func(v []byte) bool { return string(v) == mark }) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(d)); err == nil && pid != os.Getpid() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

var failLine = regexp.MustCompile(`^\s*--- FAIL: (\S+)`)

// crashLine starts the report of a panic that killed the test binary.
var crashLine = regexp.MustCompile(`^panic: `)

// goTest runs the named tests of pkg in dir without -race and returns the
// top-level tests that failed — all of them, marked, when a panic killed the
// test binary — and, when the run failed, its output (which names no failed
// test after a build error).
func goTest(dir, pkg string, tests []string) (failed []string, problem string) {
	cmd := exec.Command("go", "test", "-count=1", "-v", "-run", "^("+strings.Join(tests, "|")+")$", pkg)
	cmd.Dir = dir
	// A mutant that removes a panic guard kills the test binary mid-run, and
	// the services its test started live on: they inherit this mark in their
	// environment, and are stopped by it once the run is over.
	mark := fmt.Sprintf("GAUNTLET_MUTANTS_RUN=%d-%d", os.Getpid(), time.Now().UnixNano())
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", mark)
	out, err := cmd.CombinedOutput()
	killMarked(mark)
	sc := bufio.NewScanner(bytes.NewReader(out))
	crashed := false
	for sc.Scan() {
		crashed = crashed || crashLine.MatchString(sc.Text())
		if m := failLine.FindStringSubmatch(sc.Text()); m != nil && !strings.Contains(m[1], "/") && !slices.Contains(failed, m[1]) {
			failed = append(failed, m[1])
		}
	}
	if crashed && len(failed) == 0 {
		failed = []string{strings.Join(tests, ", ") + " (crashed)"}
	}
	if err != nil {
		return failed, string(out)
	}
	return nil, ""
}
