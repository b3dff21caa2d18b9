package reports

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gauntletbench/gauntlet/metrics"
)

// TestChartDataGolden pins the data behind every chart of the full fixture:
// per-second series, distributions, readings and fault windows.
func TestChartDataGolden(t *testing.T) {
	t.Parallel()
	rec := fullFixture.write(t, t.TempDir())
	type runData struct {
		Series       Series           `json:"series"`
		Distribution Distribution     `json:"distribution"`
		Resources    []ResourceSeries `json:"resources"`
		Faults       []FaultWindow    `json:"faults"`
	}
	var all []runData
	for _, run := range rec.Runs {
		s, d, err := RunSeries(&rec.Header, run)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, runData{s, d, Resources(run), Faults(run)})
	}
	got, err := json.MarshalIndent(all, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "chartdata.golden.json", append(got, '\n'))
}

func TestRunSeries(t *testing.T) {
	t.Parallel()
	h := &metrics.Header{IntervalMs: 1000, Stages: []metrics.Stage{{StartS: 0, ForS: 2, Rate: 10, Warmup: true}, {StartS: 2, ForS: 3, Rate: 10}}}
	enc := func(ds ...time.Duration) string {
		hist := metrics.NewHistogram()
		for _, d := range ds {
			hist.Record(d)
		}
		s, err := hist.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	run := &metrics.Run{Start: metrics.RunStart{Variant: "v"}, Intervals: []metrics.Interval{
		// Out of order on purpose, two request names in second 3, and second 2 empty.
		{T: 3, Request: "a", Stage: 1, Requests: 2, Errors: 1, Classes: map[string]int64{"timeout": 1}, Latency: enc(time.Millisecond, 3*time.Millisecond)},
		{T: 0, Request: "a", Stage: 0, Requests: 1, Latency: enc(10 * time.Millisecond)},
		{T: 3, Request: "b", Stage: 1, Requests: 1, Errors: 1, Classes: map[string]int64{"http_5xx": 1}, Latency: enc(5 * time.Millisecond)},
		{T: 1, Request: "b", Stage: 0, Requests: 1, Latency: enc(2 * time.Millisecond)},
	}}
	s, d, err := RunSeries(h, run)
	if err != nil {
		t.Fatal(err)
	}
	want := []Point{
		{T: 0, Warmup: true, Requests: 1, RPS: 1, HasLatency: true, P50: 10, P90: 10, P99: 10, Max: 10},
		{T: 1, Warmup: true, Requests: 1, RPS: 1, HasLatency: true, P50: 2, P90: 2, P99: 2, Max: 2},
		{T: 2},
		{T: 3, Requests: 3, Errors: 2, RPS: 3, ErrorsPS: 2, HasLatency: true, P50: 3, P90: 5, P99: 5, Max: 5,
			Classes: map[string]int64{"timeout": 1, "http_5xx": 1}},
	}
	approx := cmp.Comparer(func(x, y float64) bool { return math.Abs(x-y) <= 0.01*math.Max(math.Abs(x), math.Abs(y)) })
	if diff := cmp.Diff(want, s.Points, approx); diff != "" {
		t.Errorf("RunSeries points (-want +got):\n%s", diff)
	}
	if s.WarmupEndS != 2 {
		t.Errorf("WarmupEndS = %v; want 2", s.WarmupEndS)
	}
	// The distribution leaves the warm-up out: 3 requests, 1–5 ms.
	if d.Requests != 3 || d.Points[0].LatencyMs > 1.01 || d.Points[len(d.Points)-1].LatencyMs < 4.99 {
		t.Errorf("distribution = %d requests, %v…%v; want 3 requests from 1 to 5 ms", d.Requests, d.Points[0], d.Points[len(d.Points)-1])
	}
}

func TestDistributionPercentiles(t *testing.T) {
	t.Parallel()
	h := metrics.NewHistogram()
	for i := 1; i <= 10000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	pts := distribution(h)
	tests := []struct {
		pct, wantMs float64
	}{{90, 9.0}, {99, 9.9}, {99.9, 9.99}, {100, 10}}
	for _, tt := range tests {
		found := false
		for _, p := range pts {
			if math.Abs(p.Percentile-tt.pct) < 1e-9 {
				found = true
				if math.Abs(p.LatencyMs-tt.wantMs) > 0.01 {
					t.Errorf("latency at %v%% = %v ms; want %v", tt.pct, p.LatencyMs, tt.wantMs)
				}
			}
		}
		if !found {
			t.Errorf("no point at %v%%", tt.pct)
		}
	}
	// 10,000 samples resolve four nines, no more.
	if last := pts[len(pts)-2]; last.Percentile > 99.99+1e-9 {
		t.Errorf("last quantile %v%%; want at most 99.99%% for 10,000 samples", last.Percentile)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	ev := func(tm float64, name, event, errMsg string) metrics.FaultEvent {
		return metrics.FaultEvent{T: tm, Name: name, Kind: "latency", Target: "svc", Event: event, Error: errMsg}
	}
	tests := []struct {
		name string
		in   []metrics.FaultEvent
		want []FaultWindow
	}{
		{"none", nil, []FaultWindow{}},
		{"paired", []metrics.FaultEvent{ev(5, "a", "injected", ""), ev(8, "a", "reverted", "")},
			[]FaultWindow{{Name: "a", Kind: "latency", Target: "svc", Injected: true, InjectedS: 5, Reverted: true, RevertedS: 8}}},
		{"never reverted", []metrics.FaultEvent{ev(5, "a", "injected", "")},
			[]FaultWindow{{Name: "a", Kind: "latency", Target: "svc", Injected: true, InjectedS: 5}}},
		{"revert failed", []metrics.FaultEvent{ev(5, "a", "injected", ""), ev(8, "a", "revert_failed", "boom")},
			[]FaultWindow{{Name: "a", Kind: "latency", Target: "svc", Injected: true, InjectedS: 5, Error: "boom"}}},
		{"inject failed", []metrics.FaultEvent{ev(5, "a", "inject_failed", "no such pid")},
			[]FaultWindow{{Name: "a", Kind: "latency", Target: "svc", InjectedS: 5, Error: "no such pid"}}},
		{"same fault twice, interleaved with another", []metrics.FaultEvent{
			ev(1, "a", "injected", ""), ev(2, "b", "injected", ""), ev(3, "a", "reverted", ""),
			ev(4, "a", "injected", ""), ev(5, "b", "reverted", ""), ev(6, "a", "reverted", "")},
			[]FaultWindow{
				{Name: "a", Kind: "latency", Target: "svc", Injected: true, InjectedS: 1, Reverted: true, RevertedS: 3},
				{Name: "b", Kind: "latency", Target: "svc", Injected: true, InjectedS: 2, Reverted: true, RevertedS: 5},
				{Name: "a", Kind: "latency", Target: "svc", Injected: true, InjectedS: 4, Reverted: true, RevertedS: 6},
			}},
	}
	for _, tt := range tests {
		got := Faults(&metrics.Run{Faults: tt.in})
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Faults(%s) (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestResources(t *testing.T) {
	t.Parallel()
	rd := func(tm float64, owner string, v map[string]float64) metrics.Readings {
		return metrics.Readings{T: tm, Owner: owner, Values: v}
	}
	run := &metrics.Run{Readings: []metrics.Readings{
		rd(-1, "svc", map[string]float64{"rss_bytes": 5e6, "cpu_seconds_total": 1}),
		rd(0, "host", map[string]float64{"host_cpu_utilization_ratio": 0.5}),
		rd(1, "svc", map[string]float64{"rss_bytes": 7e6, "cpu_seconds_total": 2, "threads": 4}),
		rd(2, "svc", map[string]float64{"cpu_seconds_total": 0.1}), // restarted: the counter reset
		rd(3, "svc", map[string]float64{"cpu_seconds_total": 0.6}),
	}}
	want := []ResourceSeries{{
		Owner:    "svc",
		RSSMB:    []XY{{-1, 5}, {1, 7}},
		CPUCores: []XY{{1, 0.5}, {3, 0.5}},
		Threads:  []XY{{1, 4}},
	}}
	if diff := cmp.Diff(want, Resources(run)); diff != "" {
		t.Errorf("Resources (-want +got):\n%s", diff)
	}
}

func TestLTTB(t *testing.T) {
	t.Parallel()
	ramp := func(n int) []XY {
		out := make([]XY, n)
		for i := range out {
			out[i] = XY{float64(i), float64(i % 7)}
		}
		return out
	}
	spike := ramp(1000)
	for i := range spike {
		spike[i].V = 1
	}
	spike[517].V = 100
	tests := []struct {
		name string
		in   []XY
		n    int
		want int
	}{
		{"short stays", ramp(10), 20, 10},
		{"n below 3 is ignored", ramp(10), 2, 10},
		{"long shrinks", ramp(6000), 600, 600},
		{"keeps a spike", spike, 50, 50},
	}
	for _, tt := range tests {
		got := LTTB(tt.in, tt.n)
		if len(got) != tt.want {
			t.Errorf("%s: LTTB(%d points, %d) = %d points; want %d", tt.name, len(tt.in), tt.n, len(got), tt.want)
			continue
		}
		if got[0] != tt.in[0] || got[len(got)-1] != tt.in[len(tt.in)-1] {
			t.Errorf("%s: LTTB dropped an end point", tt.name)
		}
		for i := 1; i < len(got); i++ {
			if got[i].T <= got[i-1].T {
				t.Errorf("%s: LTTB output not ordered at %d", tt.name, i)
				break
			}
		}
	}
	found := false
	for _, p := range LTTB(spike, 50) {
		found = found || p.V == 100
	}
	if !found {
		t.Error("LTTB lost the only spike")
	}
}
