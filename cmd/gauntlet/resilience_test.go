package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/services"
)

// outageScenario kills payment for 3 s under 40 req/s of orders. The http_delay of 1 ms
// does nothing to the figures: it puts an HTTP-mode fault proxy in front of payment for the
// whole run, whose own count of the requests it read is the truth the callers' attempts are
// checked against.
const outageScenario = `name: outage
variants: [%s]
` + orderChain + `load:
  stages:
    - {for: 8s, rate: 40}
  timeout: 2s
requests:
  - {name: create-order, method: POST, url: "${gateway}/orders", json: {sku: "a", qty: 1}}
faults:
  - {name: payment-down, at: 1s, kill: {service: payment, restart_after: 3s}}
  - {name: payment-counted, at: 7s, for: 500ms, http_delay: {service: payment, delay: 1ms, rate: 1}}
thresholds:
  - {expr: "retry_amplification <= 3", service: payment}
  - {expr: "breaker_open >= 1s", service: payment}
`

// outagePolicy is each baseline's retry count and breaker open window.
var outagePolicy = map[string]struct {
	retries float64
	openFor float64 // seconds
}{"go": {2, 1}, "jvm": {2, 1}, "python": {0, 2}}

var (
	runtimesOnce sync.Once
	runtimesSkip map[string]string // why a variant cannot run here
)

// buildRuntimes puts the JVM jar and the Python zip app beside the Go baseline TestMain
// built, or says why a variant cannot run.
func buildRuntimes(t *testing.T) {
	t.Helper()
	runtimesOnce.Do(func() {
		runtimesSkip = map[string]string{}
		if _, err := exec.LookPath("javac"); err != nil {
			runtimesSkip["jvm"] = "javac not on PATH (make test installs a JDK)"
		} else if out, err := exec.Command("bash", "../../baselines/jvm/build.sh", filepath.Join(binDir, "baseline-jvm.jar")).CombinedOutput(); err != nil {
			runtimesSkip["jvm"] = fmt.Sprintf("baselines/jvm/build.sh: %v\n%s", err, out)
		}
		if _, err := services.PythonInterpreter(); err != nil {
			runtimesSkip["python"] = err.Error() + " (make test installs them)"
		} else if out, err := exec.Command("bash", "../../baselines/python/build.sh", filepath.Join(binDir, "baseline-python.pyz")).CombinedOutput(); err != nil {
			runtimesSkip["python"] = fmt.Sprintf("baselines/python/build.sh: %v\n%s", err, out)
		}
	})
}

// TestPaymentOutage kills payment for 3 s under each variant's order chain and checks the
// hop figures against truths that do not come from the order service's own counters: the
// requests payment's fault proxy read, the load's own request count, payment's readiness
// after the restart as gauntlet saw it, and each baseline's retry policy.
func TestPaymentOutage(t *testing.T) {
	t.Parallel()
	buildRuntimes(t)
	for _, variant := range []string{"go", "jvm", "python"} {
		t.Run(variant, func(t *testing.T) {
			t.Parallel()
			if why := runtimesSkip[variant]; why != "" {
				t.Skip(why)
			}
			out := t.TempDir()
			code, stdout, stderr := gauntlet(t, "run", writeFile(t, "outage.yaml", fmt.Sprintf(outageScenario, variant)),
				"--output", "json", "--out", out)
			if code != exitOK {
				t.Fatalf("exit %d; want %d\n%s\n%s", code, exitOK, stderr, stdout)
			}
			sum := decodeSummary(t, stdout)
			r := sum.Runs[0]
			if r.Status != metrics.StatusCompleted {
				t.Fatalf("run %s: %s", r.Status, strings.Join(r.Warnings, "; "))
			}
			var hop *metrics.Hop
			for i := range r.Hops {
				if r.Hops[i].Caller == "order" && r.Hops[i].Dependency == "payment" {
					hop = &r.Hops[i]
				}
			}
			if hop == nil {
				t.Fatalf("no hop order → payment in %+v", r.Hops)
			}
			policy := outagePolicy[variant]
			t.Logf("order → payment: %v calls, %v attempts, proxy read %v, amplification %.3f, breaker opened %v× for %.2f s %+v, slowest attempt %.0f ms",
				hop.Calls, hop.Attempts, derefOr(hop.Received), hop.RetryAmplification, hop.BreakerOpened, hop.BreakerOpenS, hop.BreakerOpen, hop.AttemptMaxMs)

			// Attempts against the proxy's count. After the load's last request the chain
			// may still be working on requests the load gave up on (timeouts), and the
			// proxy is read after the order service: each such request can add up to
			// retries+1 attempts between the two readings. Otherwise they must agree.
			if hop.Received == nil {
				t.Fatalf("hop order → payment has no proxy count: %+v", *hop)
			}
			slack := (policy.retries+1)*float64(r.ErrorsByClass["timeout"]) + 2
			if d := math.Abs(*hop.Received - hop.Attempts); d > slack {
				t.Errorf("order sent %v attempts to payment, its proxy read %v; want within %v", hop.Attempts, *hop.Received, slack)
			}
			// Calls against the load: one order call at most per request the load sent;
			// every request that reached the order service and passed inventory made one.
			if hop.Calls > float64(r.Requests) || hop.Calls < float64(r.Requests)/2 {
				t.Errorf("order made %v calls to payment for %d requests of the load; want between half and all", hop.Calls, r.Requests)
			}
			// The policy: never more than retries+1 attempts per call (none for Python).
			if want := hop.Attempts / hop.Calls; hop.RetryAmplification != want || want > policy.retries+1 {
				t.Errorf("retry amplification %v (%v attempts ÷ %v calls); want %v, at most %v", hop.RetryAmplification, hop.Attempts, hop.Calls, want, policy.retries+1)
			}

			// The breaker refused calls from a few failed attempts after the kill until the
			// first trial after payment was ready again (at most one open window later),
			// or to the end of the run if payment came back after the load ended. 1 s of
			// slack each way: gathering five failures at 40 req/s, and calls arriving late
			// on a loaded machine.
			killT, readyT, lastT := outageTimes(t, sum.Record)
			lower, upper := readyT-killT-1, readyT+policy.openFor+1-killT
			if loadEnd := 8.0; readyT > loadEnd {
				lower, upper = loadEnd-killT-1, lastT-killT+0.5
			}
			if hop.BreakerOpened < 1 || hop.BreakerOpenS < lower || hop.BreakerOpenS > upper {
				t.Errorf("breaker opened %v× for %.2f s; payment was killed at %.2f s and ready again at %.2f s: want 1× or more, %.2f–%.2f s",
					hop.BreakerOpened, hop.BreakerOpenS, killT, readyT, lower, upper)
			}
			if len(hop.BreakerOpen) == 0 || hop.BreakerOpen[0].FromS > killT+1 || hop.BreakerOpen[0].ToS < killT {
				t.Errorf("breaker open spans %+v; want the first around the kill at %.2f s", hop.BreakerOpen, killT)
			}
			if hop.TimeoutsHeld == nil || hop.TimeoutMs != 2000 {
				t.Errorf("timeout %v ms, held %v; want the 2000 ms default judged", hop.TimeoutMs, hop.TimeoutsHeld)
			}

			// The thresholds judge the same figures.
			for _, th := range r.Thresholds {
				want := map[string]float64{"retry_amplification <= 3": hop.RetryAmplification, "breaker_open >= 1s": hop.BreakerOpenS * 1000}[th.Expr]
				if !th.Pass || th.Value != want {
					t.Errorf("threshold %s = %v (pass %v); want %v, pass", th.Expr, th.Value, th.Pass, want)
				}
			}
			_, text, _ := gauntlet(t, "report", sum.Record, "-o", filepath.Join(out, "again.html"))
			if !strings.Contains(text, "hop order → payment: ") || !strings.Contains(text, "retry amplification ") {
				t.Errorf("summary lacks the hop figures:\n%s", text)
			}
			if html, err := os.ReadFile(filepath.Join(out, "again.html")); err != nil || !strings.Contains(string(html), "Retries, breakers and timeouts") {
				t.Errorf("report lacks the resilience section (read error %v)", err)
			}
		})
	}
}

// outageTimes reads from the record when payment-down was injected, when payment answered
// its readiness check again after the restart, and the last reading's time, all in seconds
// since load start.
func outageTimes(t *testing.T, record string) (killT, readyT, lastT float64) {
	t.Helper()
	f, err := os.Open(record)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var load0 metrics.LoadStart
	var kill, ready bool
	readyT = math.NaN()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var line struct {
			Type, Event, Name, Kind, Service string
			T                                float64
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		switch {
		case line.Type == metrics.LineLoad:
			if err := json.Unmarshal(sc.Bytes(), &load0); err != nil {
				t.Fatal(err)
			}
		case line.Type == metrics.LineFault && line.Name == "payment-down" && line.Event == "injected":
			killT, kill = line.T, true
		case line.Type == metrics.LineService && kill && !ready && line.Service == "payment" && line.Kind == "ready":
			var ev metrics.ServiceEvent
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Fatal(err)
			}
			readyT, ready = ev.Time.Sub(load0.Start).Seconds(), true
		case line.Type == metrics.LineReadings:
			lastT = max(lastT, line.T)
		}
	}
	if !kill || !ready {
		t.Fatalf("record %s: kill seen %v, payment ready again %v", record, kill, ready)
	}
	return killT, readyT, lastT
}

// derefOr is *p, or NaN for nil.
func derefOr(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}
