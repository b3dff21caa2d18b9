package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/gauntletbench/gauntlet/gates"
)

// gateCLI runs the gate command on its own (as the root would) and returns
// its exit code and output.
func gateCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := newGateCmd()
	var stdout, stderr bytes.Buffer
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	err := cmd.ExecuteContext(context.Background())
	if err != nil {
		fmt.Fprintln(&stderr, err)
	}
	return exitCode(err), stdout.String(), stderr.String()
}

// sleepScenario is 11 s of load at 300 req/s on /sleep?ms=N: a second of
// warm-up, then ten measured seconds. Five are the fewest a rank test can
// find significant at alpha 0.01, but then only if every second of the
// slower run is beyond the limit: on this machine a baseline run slowed by
// noise hid 2 of 20 25 % regressions that way; ten seconds leave room.
const sleepScenario = `name: sleep
services:
  api: {baseline: micro}
load:
  stages:
    - {for: 1s, rate: 300, warmup: true}
    - {for: 10s, rate: 300}
requests:
  - {name: sleep, url: "${api}/sleep?ms=%d"}
thresholds:
  - %s
`

// runSleep runs the sleep scenario with the binary built by TestMain (not
// in-process: under -race the generator itself would lag) and returns its
// output folder.
func runSleep(t *testing.T, ms int, threshold string, wantCode int) string {
	t.Helper()
	dir := t.TempDir()
	path := writeFile(t, "s.yaml", fmt.Sprintf(sleepScenario, ms, threshold))
	if code, _, stderr := gauntletExec(t, "run", path, "--output", "json", "--out", dir); code != wantCode {
		t.Fatalf("run /sleep?ms=%d: exit %d; want %d\n%s", ms, code, wantCode, stderr)
	}
	return dir
}

func decodeDecision(t *testing.T, out string) gates.Decision {
	t.Helper()
	var d gates.Decision
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("gate output is not JSON: %v\n%s", err, out)
	}
	return d
}

func verdictOf(d gates.Decision, metric string) string {
	if d.Comparison == nil {
		return ""
	}
	for _, r := range d.Comparison.Rows {
		if r.Metric == metric && r.Request == "" && r.Service == "" {
			return r.Verdict
		}
	}
	return ""
}

// gateAttempts is how many times a single repeat of TestGateOnRealRuns may
// run before a miss fails it.
const gateAttempts = 3

// TestGateOnRealRuns runs the Go micro baseline for real: an unchanged
// handler passes, a handler 25% slower (/sleep?ms=5 against ms=4) regresses
// on latency. GAUNTLET_GATE_REPEATS repeats it (the report quotes 10). make
// test runs it without -race, with no other test package running.
func TestGateOnRealRuns(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("compares real runs' latency: run without -race and -short (make test does)")
	}
	// Not parallel: the two sides of a comparison should see the same machine.
	repeats := 1
	if v, err := strconv.Atoi(os.Getenv("GAUNTLET_GATE_REPEATS")); err == nil && v > 0 {
		repeats = v
	}
	right := 0
	for i := range repeats {
		// On two shared cores a run can land in a slow spell of the
		// machine (a neighbour, a burst of steal): with one run a side the
		// gate cannot tell that from a change of the handler, and reports
		// it, rightly for the runs it was given. So a single repeat gets
		// three attempts, the last of which must be right both ways; a
		// gate that is wrong on every run fails all three. (The repeated
		// mode counts misses instead.)
		attempts := gateAttempts
		if repeats > 1 {
			attempts = 1
		}
		ok := false
		for attempt := range attempts {
			last := attempt == attempts-1
			if ok = gateRepeat(t, i, !last); ok || last {
				break
			}
			t.Logf("attempt %d of %d missed: retrying", attempt+1, attempts)
		}
		if ok {
			right++
		}
	}
	t.Logf("%d of %d repeats: unchanged handler passed and slower handler regressed", right, repeats)
}

// gateRepeat runs a baseline, an unchanged and a slower run and gates them;
// it reports whether both verdicts were right, and errors unless lenient.
func gateRepeat(t *testing.T, i int, lenient bool) bool {
	t.Helper()
	fail := t.Errorf
	if lenient {
		fail = t.Logf
	}
	base := runSleep(t, 4, "p99 < 5s", exitOK)
	same := runSleep(t, 4, "p99 < 5s", exitOK)
	slower := runSleep(t, 5, "p99 < 5s", exitOK)
	ok := true

	md := filepath.Join(t.TempDir(), "comment.md")
	code, out, stderr := gateCLI(t, "--baseline", base, same, "--output", "json", "--md", md)
	d := decodeDecision(t, out)
	if code != exitOK || !d.Pass || verdictOf(d, "p50") != gates.Unchanged {
		ok = false
		fail("repeat %d, same handler: exit %d, pass %v, p50 %q; want 0, true, %q\n%s\n%s", i, code, d.Pass, verdictOf(d, "p50"), gates.Unchanged, out, stderr)
	}
	if b, err := os.ReadFile(md); err != nil || !strings.Contains(string(b), "### gauntlet gate:") {
		t.Errorf("markdown %q, %v; want a verdict heading", b, err)
	}

	code, out, stderr = gateCLI(t, "--baseline", filepath.Join(base, "record.ndjson"), slower)
	latency := strings.Contains(out, "p50 of variant default regressed") || strings.Contains(out, "p99 of variant default regressed")
	if code != exitThresholds || !latency {
		ok = false
		fail("repeat %d, 25%% slower handler: exit %d; want %d and a latency (p50 or p99) regression\n%s\n%s", i, code, exitThresholds, out, stderr)
	}
	if i == 0 {
		t.Logf("25%% slower handler:\n%s", out)
	}
	return ok
}

func TestGateFailsOnThresholds(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real load")
	}
	t.Parallel()
	dir := runSleep(t, 5, "p99 < 1ms", exitThresholds)
	code, out, _ := gateCLI(t, dir)
	if code != exitThresholds || !strings.Contains(out, `threshold "p99 < 1ms" failed on variant default`) || !strings.Contains(out, "no baseline given") {
		t.Errorf("gate without baseline on a failed threshold: exit %d; want %d\n%s", code, exitThresholds, out)
	}
}

func TestMisspelledMetricStopsBeforeLoad(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "out")
	path := writeFile(t, "s.yaml", fmt.Sprintf(sleepScenario, 5, "p99.5 < 10ms"))
	code, _, stderr := gauntlet(t, "run", path, "--out", dir)
	if code != exitUsage || !strings.Contains(stderr, `unknown metric "p99.5"`) || !strings.Contains(stderr, "nothing was run") {
		t.Errorf("run with a misspelled metric: exit %d; want %d and the metric named\n%s", code, exitUsage, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "record.ndjson")); err == nil {
		t.Errorf("a record was written: load was sent before validation")
	}
}

func TestGateUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{nil, "requires at least 1 arg"},
		{[]string{"no/such/record"}, "no record at no/such/record"},
		{[]string{"--baseline", "nope", "x"}, "no record at nope"},
		{[]string{"x", "--output", "yaml"}, "--output must be text or json"},
		{[]string{"x", "--max-latency-increase", "lots"}, "want a percentage"},
	}
	for _, tt := range tests {
		code, _, stderr := gateCLI(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("gate %q: exit %d, %q; want %d and %q", tt.args, code, stderr, exitUsage, tt.want)
		}
	}
}

func TestPercentFlag(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]float64{"10%": 0.1, "0.05": 0.05, "2.5 %": 0.025, "0": 0} {
		var p percentFlag
		if err := p.Set(in); err != nil || float64(p) != want {
			t.Errorf("Set(%q) = %v, %v; want %v", in, float64(p), err, want)
		}
	}
	for _, in := range []string{"", "-1%", "x"} {
		var p percentFlag
		if err := p.Set(in); err == nil {
			t.Errorf("Set(%q) = nil error; want an error", in)
		}
	}
}
