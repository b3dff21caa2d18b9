package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

const segmentScenario = `name: dist
services:
  api: {url: "%s"}
load:
  stages:
    - {for: 5s, rate: 400}
requests:
  - {name: ping, url: "${api}/ping"}
faults:
  - {at: 1s, for: 1s, latency: {service: api, delay: 2ms}}
thresholds:
  - p99 < 5s
`

// TestSegmentsMergeIntoTheWholeRun runs a scenario as two segments in two
// gauntlet processes at once, merges their records and checks that the
// merged record reports the whole load, with percentiles exactly those of
// the two records' histograms merged by hand.
func TestSegmentsMergeIntoTheWholeRun(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("pong")) }))
	defer srv.Close()
	scenario := writeFile(t, "dist.yaml", fmt.Sprintf(segmentScenario, srv.URL))
	dirs := []string{t.TempDir(), t.TempDir()}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Both generators hold their load until the same instant.
	startAt := time.Now().Add(2 * time.Second).Truncate(time.Millisecond)
	var wg sync.WaitGroup
	for i, dir := range dirs {
		wg.Go(func() {
			cmd := exec.CommandContext(ctx, filepath.Join(binDir, "gauntlet"), "run", scenario,
				"--segment", fmt.Sprintf("%d/2", i+1), "--out", dir, "--output", "json", "--start-at", startAt.Format(time.RFC3339Nano))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				t.Errorf("segment %d/2: %v\n%s", i+1, err, stderr.String())
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	merged := filepath.Join(t.TempDir(), "merged")
	code, out, stderr := gauntlet(t, "merge", dirs[1], dirs[0], "-o", merged)
	if code != exitOK {
		t.Fatalf("merge: exit %d\n%s", code, stderr)
	}
	if stderr != "" || !strings.Contains(out, "segments 1/2, 2/2") {
		t.Errorf("merge printed %q, warned %q; want both segments merged without a warning", out, stderr)
	}
	code, out, stderr = gauntlet(t, "report", merged, "--output", "json")
	if code != exitOK {
		t.Fatalf("report of the merged record: exit %d\n%s", code, stderr)
	}
	s := decodeSummary(t, out)
	r := s.Runs[0]
	if r.Requests != 2000 || r.Errors != 0 {
		t.Errorf("merged run: %d requests (%d dropped), %d errors; want the plan's 2000 (5 s at 400/s), none failed", r.Requests, r.Dropped, r.Errors)
	}
	if s.Generators != 2 || s.Segment != nil {
		t.Errorf("summary generators %d, segment %+v; want 2 and none", s.Generators, s.Segment)
	}

	// The same percentiles from the two records, merged by hand.
	byHand := metrics.NewHistogram()
	var faultEvents [2]int
	for i, dir := range dirs {
		rec, err := metrics.ReadFile(filepath.Join(dir, "record.ndjson"))
		if err != nil {
			t.Fatal(err)
		}
		if ls := rec.Runs[0].Load; ls == nil || ls.Start.Before(startAt) || ls.Start.After(startAt.Add(time.Second)) {
			t.Errorf("record %d: load started at %v; want at --start-at %v (within a second after)", i+1, ls, startAt)
		}
		if sg := rec.Header.Segment; sg == nil || sg.Index != i+1 || sg.Count != 2 || sg.FaultsSkipped != (i == 1) {
			t.Errorf("record %d: header segment %+v; want %d/2, faults skipped only by segment 2", i+1, sg, i+1)
		}
		for _, iv := range rec.Runs[0].Intervals {
			if err := byHand.MergeEncoded(iv.Latency); err != nil {
				t.Fatal(err)
			}
		}
		faultEvents[i] = len(rec.Runs[0].Faults)
	}
	if byHand.Count() != r.Requests {
		t.Errorf("records hold %d latencies; the merged record reports %d requests", byHand.Count(), r.Requests)
	}
	msOf := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"p50", r.Latency.P50, msOf(byHand.Quantile(0.50))},
		{"p90", r.Latency.P90, msOf(byHand.Quantile(0.90))},
		{"p99", r.Latency.P99, msOf(byHand.Quantile(0.99))},
		{"max", r.Latency.Max, msOf(byHand.Max())},
	} {
		if c.got != c.want {
			t.Errorf("merged %s = %v ms; want %v ms, the two records' histograms merged", c.name, c.got, c.want)
		}
	}
	// Only segment 1 injected the fault, and the merged record has it once.
	if faultEvents[0] == 0 || faultEvents[1] != 0 {
		t.Errorf("fault events: segment 1 %d, segment 2 %d; want some in segment 1 only", faultEvents[0], faultEvents[1])
	}
	if len(r.Faults) != 1 {
		t.Errorf("merged faults %+v; want the one fault, once", r.Faults)
	}

	// A record of another scenario is refused.
	data, err := os.ReadFile(filepath.Join(dirs[1], "record.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	other := writeFile(t, "other.ndjson", strings.Replace(string(data), `"scenario":"dist"`, `"scenario":"other"`, 1))
	code, _, stderr = gauntlet(t, "merge", dirs[0], other, "-o", filepath.Join(t.TempDir(), "x.ndjson"))
	if code != exitUsage || !strings.Contains(stderr, `scenario "other"`) {
		t.Errorf("merge of two scenarios: exit %d, %q; want %d naming the other scenario", code, stderr, exitUsage)
	}
}

func TestSegmentFlagErrors(t *testing.T) {
	t.Parallel()
	scenario := writeFile(t, "s.yaml", `name: s
services:
  api: {url: "http://127.0.0.1:9"}
load:
  stages: [{for: 1s, rate: 10}]
requests:
  - url: "${api}/ping"
`)
	search := writeFile(t, "search.yaml", `name: s
services:
  api: {url: "http://127.0.0.1:9"}
load:
  model: search
  search: {slo: {p99: 50ms}}
requests:
  - url: "${api}/ping"
`)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run", scenario, "--segment", "0/2"}, "e.g. 1/3"},
		{[]string{"run", scenario, "--segment", "3/2"}, "e.g. 1/3"},
		{[]string{"run", scenario, "--segment", "a/b"}, "e.g. 1/3"},
		{[]string{"run", scenario, "--segment", "1/0"}, "e.g. 1/3"},
		{[]string{"attack", "http://127.0.0.1:9/", "--segment", "2"}, "e.g. 1/3"},
		{[]string{"run", search, "--segment", "1/2"}, "capacity search"},
		{[]string{"run", scenario, "--start-at", "tomorrow"}, "RFC 3339"},
		{[]string{"merge", scenario}, "-o MERGED is required"},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		args := tt.args
		if args[0] != "merge" {
			args = append(args, "--out", dir)
		}
		code, _, stderr := gauntlet(t, args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("gauntlet %v: exit %d, %q; want %d with %q", tt.args, code, stderr, exitUsage, tt.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "record.ndjson")); err == nil {
			t.Errorf("gauntlet %v: a record was written; want nothing run", tt.args)
		}
	}
}
