package engine

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// capacityServer serves with a pool of n workers each busy for busy per
// request: n/busy requests per second at most; beyond that requests queue.
// A worker's next free moment follows from its schedule, not from when its
// sleep happened to end, so a late wake-up on a busy machine adds latency
// but does not lower the capacity.
func capacityServer(t *testing.T, n int, busy time.Duration) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	free := make([]time.Time, n)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		now, i := time.Now(), 0
		for j := range free {
			if free[j].Before(free[i]) {
				i = j
			}
		}
		done := now
		if free[i].After(now) {
			done = free[i]
		}
		done = done.Add(busy)
		free[i] = done
		mu.Unlock()
		time.Sleep(time.Until(done))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Not parallel: it measures a capacity, and it takes about 20-40 s.
func TestSearchFindsKnownCapacity(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("a capacity figure needs a build without -race and without -short")
	}
	skipIfOverloaded(t)
	// 4 workers × 10 ms: 400 req/s. SLO p99 < 4 × 10 ms.
	srv := capacityServer(t, 4, 10*time.Millisecond)
	src := `
services:
  api: {url: "${URL}"}
load:
  model: search
  timeout: 2s
  search: {start: 50, max: 5000, probe: 1500ms, warmup: 500ms, growth: 2, precision: 5%, retries: 2, slo: {p99: 40ms, error_rate: 1%}}
requests:
  - url: "${api}/work"
`
	began := time.Now()
	s, rec := runScenario(t, src, srv.URL, Options{})
	sr := s.Runs[0].Search
	if sr == nil {
		t.Fatalf("summary has no search result: %s", dump(t, s.Runs[0]))
	}
	t.Logf("search took %v:\n%s", time.Since(began).Round(time.Millisecond), metrics.FormatSearch(sr))
	if sr.Stopped == metrics.SearchGeneratorLimited {
		t.Skipf("the generator was the limit on this (shared) machine: %s", metrics.FormatSearch(sr))
	}
	if len(rec.Runs[0].Probes) != len(sr.Probes) || len(sr.Probes) < 4 {
		t.Errorf("probes: %d lines, %d in the summary; want the same, at least 4", len(rec.Runs[0].Probes), len(sr.Probes))
	}
	skipIfOverloaded(t)
	const capacity = 400
	if sr.MaxRate < 0.85*capacity || sr.MaxRate > 1.15*capacity {
		t.Errorf("max_rate = %.0f; want %d ± 15%%", sr.MaxRate, capacity)
	}
	if sr.Stopped != metrics.SearchConverged {
		t.Errorf("stopped = %q; want converged", sr.Stopped)
	}
}

// skipIfOverloaded skips a test that measures capacity when other processes
// keep more than half of the host's CPU time busy over a second: their
// stalls then decide the tail latency, and with it the search. (The load
// average would still count the build and tests that ran just before.)
func skipIfOverloaded(t *testing.T) {
	t.Helper()
	busy0, total0, ok := cpuTimes()
	time.Sleep(time.Second)
	busy1, total1, ok1 := cpuTimes()
	if !ok || !ok1 || total1 <= total0 {
		return
	}
	if r := float64(busy1-busy0) / float64(total1-total0); r > 0.5 {
		t.Skipf("the host's CPUs were %.0f%% busy over the last second: too busy to measure a capacity", 100*r)
	}
}

// cpuTimes returns the busy and total CPU ticks of the host from /proc/stat.
func cpuTimes() (busy, total uint64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, false
	}
	for i, v := range f[1:min(len(f), 9)] { // guest time is in user already
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total, true
}
