package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/services"
)

// orderChain is the services block of scenarios that start the reference
// order chain: gateway → order → inventory and payment.
const orderChain = `services:
  gateway:   {baseline: gateway, depends_on: [order]}
  order:     {baseline: order, depends_on: [inventory, payment]}
  inventory: {baseline: inventory}
  payment:   {baseline: payment}
`

// binDir holds the gauntlet and baseline binaries built once for all tests.
var binDir string

// testBinEnv names a directory holding gauntlet, gauntlet-kube and
// baseline-go built from this tree, for the tests to use instead of linking
// their own: make test sets it to bin/, whose binaries its preparation has
// just built (linking gauntlet-kube alone takes seconds of a CPU).
const testBinEnv = "GAUNTLET_TEST_BIN"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gauntlet-cmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	built := os.Getenv(testBinEnv)
	for _, b := range []struct{ out, pkg, tags string }{{"gauntlet", ".", ""}, {"gauntlet-kube", ".", "kubernetes"}, {"baseline-go", "../../baselines/go", ""}} {
		if built != "" {
			if err := os.Symlink(filepath.Join(built, b.out), filepath.Join(dir, b.out)); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			continue
		}
		cmd := exec.Command("go", "build", "-tags", b.tags, "-o", filepath.Join(dir, b.out), b.pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", b.pkg, err, out)
			os.Exit(1)
		}
	}
	os.Setenv(services.BaselineDirEnv, dir)
	// Runs in this one test process would pin it, and so every parallel
	// test's servers, to the generator's CPUs: tests ask for pinning by flag.
	os.Setenv(CPUSetsEnv, "off")
	// The CLI run in-process hands Kubernetes commands over to gauntlet-kube.
	os.Setenv("GAUNTLET_KUBE", filepath.Join(dir, "gauntlet-kube"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// gauntlet runs the CLI in-process and returns its exit code and output.
func gauntlet(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// gauntletExec runs the gauntlet binary built by TestMain and returns its exit
// code and output: for tests whose figures a -race build of the generator,
// running in the test process, would skew with its own lag.
func gauntletExec(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "gauntlet"), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); cmd.ProcessState == nil {
		t.Fatalf("gauntlet %q: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startBaseline starts the Go micro baseline on a free loopback port.
func startBaseline(t *testing.T) *services.Process {
	t.Helper()
	cmd, err := services.ResolveBaseline("go", "micro")
	if err != nil {
		t.Fatal(err)
	}
	p, err := services.Start(context.Background(), services.Spec{Name: "api", Command: cmd}, func(services.Event) {})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(context.Background()) })
	return p
}

func decodeSummary(t *testing.T, out string) metrics.Summary {
	t.Helper()
	var s metrics.Summary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s", err, out)
	}
	if len(s.Runs) == 0 {
		t.Fatalf("summary has no runs:\n%s", out)
	}
	return s
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "bad.yaml", `name: bad
services:
  api: {baseline: micro}
load:
  stages:
    - {for: 5 seconds, rate: 100}
    - for: 10s
      rat: 200
    - {for: 10s, rate: -5}
requests:
  - url: "${api}/ping"
`)
	for _, cmd := range []string{"validate", "run"} {
		code, _, stderr := gauntlet(t, cmd, path)
		if code != exitUsage {
			t.Errorf("%s: exit %d; want %d", cmd, code, exitUsage)
		}
		for _, want := range []string{
			path + `:6:13: load.stages[0].for: invalid duration "5 seconds"`,
			path + `:8:7: unknown field "rat" in load.stages[1] (did you mean "rate"?)`,
			path + `:9:24: load.stages[2].rate: must be >= 0, got -5`,
			"3 problems in the scenario; nothing was run",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", cmd, want, stderr)
			}
		}
	}
}

// TestValidateBuildsFaults checks that fault parameters a run would reject,
// locally and for Chaos Mesh, are problems with their position for validate,
// run and chaos render alike, and that nothing runs.
func TestValidateBuildsFaults(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "faults.yaml", `allow_remote: true
services:
  api: {baseline: micro}
  cart: {url: "http://cart.shop.svc", kubernetes: {namespace: shop, selector: {app: cart}}}
load: {stages: [{for: 2s, rate: 10}]}
requests: [{url: "${api}/ping"}]
faults:
  - {at: 1s, for: 1s, latency: {service: api, delay: -1ms}}
  - {at: 1s, for: 1s, http_delay: {service: cart, delay: 1s}}
  - {at: 1s, for: 1s, http_error: {service: cart, rate: 0.5}}
`)
	for _, args := range [][]string{{"validate", path}, {"run", path, "--out", t.TempDir()}, {"chaos", "render", path}} {
		code, stdout, stderr := gauntlet(t, args...)
		if code != exitUsage || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q; want %d and nothing", args, code, stdout, exitUsage)
		}
		wants := []string{
			path + `:9:35: faults[1].http_delay: HTTPChaos intercepts one container port: set kubernetes.port on service "cart"`,
			path + `:10:35: faults[2].http_error: rate 0.5: HTTPChaos acts on every matching request`,
		}
		if args[0] != "chaos" {
			wants = append(wants, path+`:8:32: faults[0].latency: latency on api: delay and jitter must be >= 0`)
		}
		for _, want := range wants {
			if !strings.Contains(stderr, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, want, stderr)
			}
		}
	}
}

// TestValidateReportsFaultProblemsAtOnce checks that the problems of the
// scenario, of its faults' parameters and of their timing are reported
// together, each once and at its position, by validate and run alike.
func TestValidateReportsFaultProblemsAtOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, faults string
		want         []string
	}{
		{"scenario, parameter and timing problems", `
  - {name: a, at: 10s, for: 1s, latency: {service: api, delay: -5ms}}
  - {name: b, at: -1s, for: 1s, latency: {service: api, delay: -5ms}}
  - {name: c, at: 1s, for: 1s, every: 1s, times: 3, latency: {service: api, delay: 5ms, jitter: -1ms}}
  - {name: d, at: 1s, for: 1s, pause: {service: api, bogus: 1}}
  - {name: e, at: 1s, for: 1s, pause: {service: nosuch}}
`, []string{
			`:7:5: faults[0]: at (10s) is not before the end of the load (5s): it would never be injected`,
			`:7:42: faults[0].latency: latency on api: delay and jitter must be >= 0`,
			`:8:19: faults[1].at: must be >= 0, got -1s`,
			`:8:42: faults[1].latency: latency on api: delay and jitter must be >= 0`,
			`:9:62: faults[2].latency: latency on api: delay and jitter must be >= 0`,
			`:10:54: faults[3].pause: unknown field "bogus"`,
			`:11:49: faults[4].pause.service: unknown service "nosuch" (services: api)`,
			`7 problems in the scenario; nothing was run`,
		}},
		{"timing problems only", `
  - {name: a, at: 10s, for: 1s, latency: {service: api, delay: 5ms}}
  - {name: b, at: 1s, every: 1ms, pause: {service: api}}
`, []string{
			`:7:5: faults[0]: at (10s) is not before the end of the load (5s): it would never be injected`,
			`:8:5: faults[1]: a repeating fault needs for (it would never end before the next one)`,
			`2 problems in the scenario; nothing was run`,
		}},
	}
	for _, tt := range tests {
		path := writeFile(t, "faults.yaml", "services:\n  api: {baseline: micro}\nload: {stages: [{for: 5s, rate: 10}]}\nrequests:\n  - url: \"${api}/\"\nfaults:"+tt.faults)
		for _, args := range [][]string{{"validate", path}, {"run", path, "--out", t.TempDir()}} {
			code, stdout, stderr := gauntlet(t, args...)
			var got []string
			for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
				got = append(got, strings.TrimPrefix(strings.TrimPrefix(line, path), "gauntlet: "))
			}
			if code != exitUsage || stdout != "" || !slices.Equal(got, tt.want) {
				t.Errorf("%s: %v: exit %d, stdout %q, stderr:\n%s\nwant exit %d, nothing on stdout, and on stderr:\n%s",
					tt.name, args[0], code, stdout, strings.Join(got, "\n"), exitUsage, strings.Join(tt.want, "\n"))
			}
		}
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	t.Parallel()
	tests := [][]string{
		{"run", "no-such-scenario"},
		{"run", "--output", "yaml"},
		{"attack"},
		{"attack", "http://10.1.2.3/"},
		{"run", "--no-such-flag"},
	}
	for _, args := range tests {
		if code, _, stderr := gauntlet(t, args...); code != exitUsage {
			t.Errorf("gauntlet %v: exit %d; want %d\n%s", args, code, exitUsage, stderr)
		}
	}
}

func TestAttackSendsThePlannedRequests(t *testing.T) {
	t.Parallel()
	p := startBaseline(t)
	code, out, stderr := gauntlet(t, "attack", p.URL()+"/ping", "--rate", "500", "--duration", "2s",
		"--output", "json", "--out", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit %d; want 0\n%s", code, stderr)
	}
	s := decodeSummary(t, out)
	r := s.Runs[0]
	if r.Requests != 1000 || r.Errors != 0 || r.Dropped != 0 {
		t.Errorf("requests %d errors %d dropped %d; want 1000, 0, 0", r.Requests, r.Errors, r.Dropped)
	}
	if r.Latency.P50 <= 0 || r.Latency.P50 > r.Latency.P99 || r.ServiceTime.P50 > r.Latency.P50 {
		t.Errorf("latency %+v service %+v; want 0 < p50 <= p99 and service time <= latency", r.Latency, r.ServiceTime)
	}
	if r.StatusCodes["200"] != 1000 {
		t.Errorf("status codes %v; want 1000 × 200", r.StatusCodes)
	}
	if _, err := os.Stat(s.Record); err != nil {
		t.Errorf("record %q: %v", s.Record, err)
	}
}

func TestStalledServerShowsInTheTail(t *testing.T) {
	t.Parallel()
	p := startBaseline(t)
	// Freeze the target for 1 s in the middle of a 1,000 req/s run.
	time.AfterFunc(1500*time.Millisecond, func() {
		syscall.Kill(p.PID(), syscall.SIGSTOP)
		time.AfterFunc(time.Second, func() { syscall.Kill(p.PID(), syscall.SIGCONT) })
	})
	code, out, stderr := gauntlet(t, "attack", p.URL()+"/ping", "--rate", "1000", "--duration", "4s",
		"--output", "json", "--out", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit %d; want 0\n%s", code, stderr)
	}
	r := decodeSummary(t, out).Runs[0]
	if r.Latency.P999 < 500 {
		t.Errorf("p99.9 = %.1f ms; want >= 500 ms: a 1 s stall must show in the tail", r.Latency.P999)
	}
	if r.Requests < 3900 {
		t.Errorf("requests = %d; want about 4000", r.Requests)
	}
}

// TestBlackholeRateIsOverTheLoad attacks a listener that accepts and never
// answers: every request times out 2 s after it was sent, so the run lasts
// about 4 s, but the load was sent over 2 s. The rate and the measured
// seconds are those of the load, not of the wait for the last timeouts.
func TestBlackholeRateIsOverTheLoad(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	code, out, stderr := gauntlet(t, "attack", "http://"+ln.Addr().String()+"/", "--rate", "20", "--duration", "2s",
		"--timeout", "2s", "--output", "json", "--out", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit %d; want 0\n%s", code, stderr)
	}
	r := decodeSummary(t, out).Runs[0]
	// Every request is an error (a timeout), whatever their number on a
	// loaded machine; the figures must divide it by the 2 s of load.
	if r.Requests == 0 || r.Errors != r.Requests || r.ErrorsByClass["timeout"] != r.Requests {
		t.Fatalf("requests %d errors %d classes %v; want every request a timeout", r.Requests, r.Errors, r.ErrorsByClass)
	}
	if r.DurationS != 2 || r.RPS != float64(r.Requests)/2 {
		t.Errorf("%.2f s measured, %.2f req/s; want 2 s and %d requests / 2 s = %.2f req/s", r.DurationS, r.RPS, r.Requests, float64(r.Requests)/2)
	}
}

const shortScenario = `name: short
services:
  api: {baseline: micro}
load:
  stages:
    - {for: 1s, rate: 50, warmup: true}
    - {for: %s, rate: 200}
requests:
  - {name: ping, url: "${api}/ping"}
thresholds:
  - %s
`

func TestThresholdVerdictsSetTheExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		threshold string
		code      int
		verdict   string
	}{
		{"p99 < 5s", exitOK, metrics.VerdictPass},
		{"p50 < 1us", exitThresholds, metrics.VerdictFail},
		{"rps >= 100000", exitThresholds, metrics.VerdictFail},
	}
	for _, tt := range tests {
		t.Run(tt.threshold, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, "s.yaml", fmt.Sprintf(shortScenario, "1s", tt.threshold))
			code, out, stderr := gauntlet(t, "run", path, "--output", "json", "--out", t.TempDir())
			if code != tt.code {
				t.Fatalf("exit %d; want %d\n%s", code, tt.code, stderr)
			}
			s := decodeSummary(t, out)
			if s.Verdict != tt.verdict {
				t.Errorf("verdict %q; want %q", s.Verdict, tt.verdict)
			}
			r := s.Runs[0]
			if r.Requests != 200 {
				t.Errorf("requests %d; want 200 (warm-up excluded)", r.Requests)
			}
			if r.Services["api"].StartupMs <= 0 {
				t.Errorf("services %+v; want api with startup_ms > 0", r.Services)
			}
			if len(r.Thresholds) != 1 || r.Thresholds[0].Expr != tt.threshold {
				t.Errorf("thresholds %+v; want the one stated", r.Thresholds)
			}
		})
	}
}

func TestReportRecomputesATruncatedRecord(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, "s.yaml", fmt.Sprintf(shortScenario, "3s", "p99 < 5s"))
	if code, _, stderr := gauntlet(t, "run", path, "--output", "json", "--out", dir); code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	record := filepath.Join(dir, "record.ndjson")
	code, full, _ := gauntlet(t, "report", dir, "--output", "json")
	if code != exitOK {
		t.Fatalf("report of a complete record: exit %d", code)
	}
	data, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	// Keep the first two thirds, cutting the last line in half.
	if err := os.WriteFile(record, data[:len(data)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	code, cut, stderr := gauntlet(t, "report", record, "--output", "json")
	if code != exitInterrupted {
		t.Errorf("report of a truncated record: exit %d; want %d\n%s", code, exitInterrupted, stderr)
	}
	fs, cs := decodeSummary(t, full), decodeSummary(t, cut)
	if !cs.Truncated || cs.Verdict != metrics.VerdictInterrupted || cs.Runs[0].Status != metrics.StatusTruncated {
		t.Errorf("truncated summary: truncated=%v verdict=%q status=%q; want true, interrupted, truncated",
			cs.Truncated, cs.Verdict, cs.Runs[0].Status)
	}
	if got, all := cs.Runs[0].Requests, fs.Runs[0].Requests; got <= 0 || got >= all {
		t.Errorf("truncated requests %d of %d; want a part", got, all)
	}
}

func TestInterruptStopsLoadAndServices(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, "long.yaml", fmt.Sprintf(shortScenario, "60s", "p99 < 5s"))
	cmd := exec.Command(filepath.Join(binDir, "gauntlet"), "run", path, "--out", dir, "--output", "json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	sent := time.Now()
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	took := time.Since(sent)
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Fatalf("exit %d (%v); want %d\n%s", code, err, exitInterrupted, stderr.String())
	}
	if took > 10*time.Second {
		t.Errorf("gauntlet took %v to exit after SIGINT; want a prompt stop", took)
	}
	s := decodeSummary(t, stdout.String())
	if s.Verdict != metrics.VerdictInterrupted || s.Runs[0].Status != metrics.StatusInterrupted {
		t.Errorf("verdict %q status %q; want interrupted", s.Verdict, s.Runs[0].Status)
	}
	rec, err := metrics.ReadFile(filepath.Join(dir, "record.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Truncated || rec.Trailer.Status != metrics.StatusInterrupted {
		t.Errorf("record truncated=%v trailer=%+v; want a complete record ending interrupted", rec.Truncated, rec.Trailer)
	}
	// Load stopped within a second: no interval after the signal's second + 1.
	run := rec.Runs[0]
	sigAt := sent.Sub(run.Load.Start).Seconds()
	for _, iv := range run.Intervals {
		if float64(iv.T) > sigAt+1 && iv.Requests > 0 {
			t.Errorf("interval %d has %d requests; load must stop within 1 s of SIGINT at %.1f s", iv.T, iv.Requests, sigAt)
		}
	}
	pid := s.Runs[0].Services["api"].PID
	if pid == 0 {
		t.Fatalf("no pid recorded for the service")
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("service pid %d still runs after gauntlet exited", pid)
	}
	var stopped bool
	for _, ev := range run.Services {
		stopped = stopped || ev.Kind == "stopped"
	}
	if !stopped {
		t.Errorf("record has no stopped event for the service")
	}
}

func TestAbortOnFailStopsEarlyAndStillReports(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, "abort.yaml", `name: abort
services:
  api: {baseline: micro}
load:
  stages:
    - {for: 30s, rate: 100}
requests:
  - {name: slow, url: "${api}/sleep?ms=20"}
thresholds:
  - {expr: "p50 < 1ms", abort_on_fail: true, delay_abort_eval: 2s}
`)
	began := time.Now()
	code, out, stderr := gauntlet(t, "run", path, "--output", "json", "--out", dir, "--junit", filepath.Join(dir, "junit.xml"))
	if code != exitThresholds {
		t.Fatalf("exit %d; want %d\n%s", code, exitThresholds, stderr)
	}
	if took := time.Since(began); took > 20*time.Second {
		t.Errorf("run took %v; want it stopped well before its 30 s", took)
	}
	s := decodeSummary(t, out)
	if r := s.Runs[0]; r.Status != metrics.StatusAborted || r.Requests == 0 {
		t.Errorf("status %q with %d requests; want aborted after some requests", r.Status, r.Requests)
	}
	for _, f := range []string{"record.ndjson", "report.html", "junit.xml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s missing after an aborted run: %v", f, err)
		}
	}
}

func TestFailingThresholdJUnitAndCompare(t *testing.T) {
	t.Parallel()
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		path := writeFile(t, "s.yaml", fmt.Sprintf(shortScenario, "1s", "p99 < 1us"))
		junit := filepath.Join(dir, "junit.xml")
		code, _, stderr := gauntlet(t, "run", path, "--out", dir, "--junit", junit, "--output", "json")
		if code != exitThresholds {
			t.Fatalf("exit %d; want %d\n%s", code, exitThresholds, stderr)
		}
		data, err := os.ReadFile(junit)
		if err != nil {
			t.Fatal(err)
		}
		var suites struct {
			Suites []struct {
				Cases []struct {
					Name    string `xml:"name,attr"`
					Failure *struct {
						Message string `xml:"message,attr"`
					} `xml:"failure"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal(data, &suites); err != nil {
			t.Fatalf("junit.xml does not parse: %v\n%s", err, data)
		}
		var failing []string
		for _, s := range suites.Suites {
			for _, c := range s.Cases {
				if c.Failure != nil {
					failing = append(failing, c.Name+": "+c.Failure.Message)
				}
			}
		}
		if len(failing) != 1 || !strings.Contains(failing[0], "p99 < 1us") || !strings.Contains(failing[0], "ms") {
			t.Errorf("failing cases %q; want one naming the threshold and the measured value", failing)
		}
	}
	html := filepath.Join(t.TempDir(), "cmp.html")
	code, out, stderr := gauntlet(t, "compare", a, b, "--html", html)
	if code != exitOK {
		t.Fatalf("compare: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(out, "p99") || !strings.Contains(out, "%") {
		t.Errorf("compare output lacks deltas:\n%s", out)
	}
	if fi, err := os.Stat(html); err != nil || fi.Size() == 0 {
		t.Errorf("comparison page %s: %v", html, err)
	}
}
