package metrics

import (
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// synthInterval is one interval of a synthetic record.
type synthInterval struct {
	t     int
	req   string
	stage int
	lat   []time.Duration
	codes map[string]int64
}

var synthT0 = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

// synthRecord builds the record of one generator of scenario "dist" whose
// load started at loadStart.
func synthRecord(t *testing.T, seg *Segment, loadStart time.Time, ivs ...synthInterval) *Record {
	t.Helper()
	name := "whole"
	if seg != nil {
		name = strings.ReplaceAll(seg.String(), "/", "of")
	}
	h := Header{Type: LineHeader, Format: RecordFormat, Scenario: "dist", RunID: "run-" + name, Model: "open",
		StartedAt: loadStart.Add(-time.Second), Requests: []string{"a", "b"},
		Stages: []Stage{{StartS: 0, ForS: 5, Rate: 100}}, Segment: seg, IntervalMs: 1000,
		Thresholds: []Threshold{{Expr: "p99 < 1s", Metric: "p99", Op: "<", Value: 1000}},
		Host:       Host{Hostname: "gen-" + name}}
	run := &Run{
		Start: RunStart{Type: LineRun, Variant: "default", Start: loadStart.Add(-500 * time.Millisecond)},
		Load:  &LoadStart{Type: LineLoad, Variant: "default", Start: loadStart, PlannedS: 5},
		Readings: []Readings{
			{Type: LineReadings, Variant: "default", Time: loadStart.Add(time.Second), T: 1, Owner: OwnerGenerator, Values: map[string]float64{"cpu_utilization_ratio": 0.5}},
			{Type: LineReadings, Variant: "default", Time: loadStart.Add(time.Second), T: 1, Owner: OwnerHost, Values: map[string]float64{"host_cpu_utilization_ratio": 0.4}},
		},
		End: &RunEnd{Type: LineRunEnd, Variant: "default", End: loadStart.Add(5 * time.Second), DurationS: 5, Status: StatusCompleted},
	}
	for _, si := range ivs {
		hist := NewHistogram()
		for _, d := range si.lat {
			hist.Record(d)
		}
		enc, err := hist.Encode()
		if err != nil {
			t.Fatal(err)
		}
		run.Intervals = append(run.Intervals, Interval{Type: LineInterval, Variant: "default", T: si.t, Request: si.req,
			Stage: si.stage, Requests: int64(len(si.lat)), Codes: si.codes, Latency: enc, Service: enc, Lag: enc})
	}
	return &Record{Header: h, Runs: []*Run{run}, Trailer: &Trailer{Type: LineTrailer, End: loadStart.Add(6 * time.Second), Status: StatusCompleted},
		Path: "gen-" + name + "/record.ndjson"}
}

func upTo(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(i+1) * time.Millisecond
	}
	return out
}

func TestMergeAlignsIntervalsByWallClock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		offset time.Duration // segment 2's load start after segment 1's
		// want maps each merged second to its request count; segment 1
		// sends 10 requests in each of seconds 0..2, segment 2 20 in each
		// of its seconds 0..1.
		want map[int]int64
	}{
		{"same start", 0, map[int]int64{0: 30, 1: 30, 2: 10}},
		{"within the first second", 400 * time.Millisecond, map[int]int64{0: 30, 1: 30, 2: 10}},
		{"one and a half seconds later", 1500 * time.Millisecond, map[int]int64{0: 10, 1: 30, 2: 30}},
		{"almost three seconds later", 2999 * time.Millisecond, map[int]int64{0: 10, 1: 10, 2: 30, 3: 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			one := synthRecord(t, &Segment{Index: 1, Count: 2}, synthT0,
				synthInterval{t: 0, req: "a", lat: upTo(10)}, synthInterval{t: 1, req: "a", lat: upTo(10)}, synthInterval{t: 2, req: "a", lat: upTo(10)})
			two := synthRecord(t, &Segment{Index: 2, Count: 2}, synthT0.Add(tt.offset),
				synthInterval{t: 0, req: "a", lat: upTo(20)}, synthInterval{t: 1, req: "a", lat: upTo(20)})
			// The order of the inputs does not matter.
			merged, warns, err := Merge([]*Record{two, one})
			if err != nil {
				t.Fatal(err)
			}
			if len(warns) != 0 {
				t.Errorf("warnings %q; want none for a complete set of segments", warns)
			}
			run := merged.Runs[0]
			if !run.Load.Start.Equal(synthT0) {
				t.Errorf("load start %v; want the earliest, %v", run.Load.Start, synthT0)
			}
			got := map[int]int64{}
			for i, iv := range run.Intervals {
				got[iv.T] += iv.Requests
				if i > 0 && iv.T <= run.Intervals[i-1].T {
					t.Errorf("intervals out of order: %d after %d", iv.T, run.Intervals[i-1].T)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("requests per merged second (-want +got):\n%s", diff)
			}
			if want := tt.offset.Seconds() + 5; run.End.DurationS != want {
				t.Errorf("duration %.3f s; want %.3f (the last generator's end)", run.End.DurationS, want)
			}
		})
	}
}

func TestMergeHistogramsExactly(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	draw := func(n int, scale time.Duration) []time.Duration {
		out := make([]time.Duration, n)
		for i := range out {
			out[i] = time.Duration(rng.ExpFloat64() * float64(scale))
		}
		return out
	}
	var ivs [3][]synthInterval
	all := NewHistogram()
	for g := range ivs {
		for sec := range 5 {
			for _, req := range []string{"a", "b"} {
				lat := draw(200+50*g, time.Duration(g+1)*time.Millisecond)
				ivs[g] = append(ivs[g], synthInterval{t: sec, req: req, lat: lat, codes: map[string]int64{"200": int64(len(lat))}})
				for _, d := range lat {
					all.Record(d)
				}
			}
		}
	}
	var recs []*Record
	for g := range ivs {
		recs = append(recs, synthRecord(t, &Segment{Index: g + 1, Count: 3}, synthT0.Add(time.Duration(g)*700*time.Millisecond), ivs[g]...))
	}
	merged, _, err := Merge(recs)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "record.ndjson")
	if err := WriteRecord(path, merged); err != nil {
		t.Fatal(err)
	}
	back, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Truncated {
		t.Errorf("merged record reads back truncated; want complete")
	}
	s, err := Summarize(back)
	if err != nil {
		t.Fatal(err)
	}
	rs := s.Runs[0]
	if rs.Requests != all.Count() || rs.StatusCodes["200"] != all.Count() {
		t.Errorf("requests %d, 200s %d; want %d", rs.Requests, rs.StatusCodes["200"], all.Count())
	}
	if want := percentiles(all); rs.Latency != want {
		t.Errorf("merged latency %+v; want exactly %+v", rs.Latency, want)
	}
	// Interval by interval, too: every merged interval holds the values of
	// the inputs' intervals that fell on it.
	for _, iv := range back.Runs[0].Intervals {
		h := NewHistogram()
		if err := h.MergeEncoded(iv.Latency); err != nil {
			t.Fatal(err)
		}
		if h.Count() != iv.Requests {
			t.Errorf("interval %d %s: histogram holds %d values; want %d", iv.T, iv.Request, h.Count(), iv.Requests)
		}
	}
}

func TestMergeRefusesOtherScenarios(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(h *Header)
		want   string
	}{
		{"scenario name", func(h *Header) { h.Scenario = "other" }, `scenario "other"`},
		{"requests", func(h *Header) { h.Requests = []string{"a", "c"} }, "requests"},
		{"stage plan", func(h *Header) { h.Stages[0].Rate = 200 }, "stage plan"},
		{"load model", func(h *Header) { h.Model = "closed" }, "load model"},
		{"search", func(h *Header) { h.Model = "search" }, "capacity search"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			one := synthRecord(t, &Segment{Index: 1, Count: 2}, synthT0, synthInterval{t: 0, req: "a", lat: upTo(3)})
			two := synthRecord(t, &Segment{Index: 2, Count: 2}, synthT0, synthInterval{t: 0, req: "a", lat: upTo(3)})
			tt.change(&two.Header)
			_, _, err := Merge([]*Record{one, two})
			if !errors.Is(err, ErrCannotMerge) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), two.Path) {
				t.Errorf("Merge() error = %v; want ErrCannotMerge naming %s and %q", err, two.Path, tt.want)
			}
		})
	}
}

func TestMergeWarnsOfIncompleteSegments(t *testing.T) {
	t.Parallel()
	seg := func(i, n int) *Segment { return &Segment{Index: i, Count: n} }
	tests := []struct {
		name string
		segs []*Segment
		cut  bool // the last record is truncated
		want []string
	}{
		{"complete", []*Segment{seg(1, 3), seg(3, 3), seg(2, 3)}, false, nil},
		{"missing", []*Segment{seg(1, 3), seg(3, 3)}, false, []string{"segments 2/3 are missing"}},
		{"twice", []*Segment{seg(1, 2), seg(2, 2), seg(2, 2)}, false, []string{"segments 2/2 appear more than once"}},
		{"counts differ", []*Segment{seg(1, 2), seg(2, 3)}, false, []string{"splits the load into 2", "segments 3/3 are missing"}},
		{"whole runs", []*Segment{nil, nil}, false, []string{"none of the 2 records is a segment"}},
		{"whole and segment", []*Segment{nil, seg(1, 1)}, false, []string{"none of the 2 records is a segment"}},
		{"truncated", []*Segment{seg(1, 2), seg(2, 2)}, true, []string{"is truncated"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var recs []*Record
			for i, s := range tt.segs {
				rec := synthRecord(t, s, synthT0, synthInterval{t: 0, req: "a", lat: upTo(2)})
				rec.Header.RunID += "-" + strconv.Itoa(i) // each generator's run has an id of its own
				recs = append(recs, rec)
			}
			if tt.cut {
				last := recs[len(recs)-1]
				last.Truncated, last.Trailer, last.Runs[0].End = true, nil, nil
			}
			merged, warns, err := Merge(recs)
			if err != nil {
				t.Fatal(err)
			}
			if len(warns) != len(tt.want) {
				t.Errorf("warnings %q; want %d", warns, len(tt.want))
			}
			for _, w := range tt.want {
				if !slices.ContainsFunc(warns, func(s string) bool { return strings.Contains(s, w) }) {
					t.Errorf("warnings %q lack %q", warns, w)
				}
			}
			var n int64
			for _, iv := range merged.Runs[0].Intervals {
				n += iv.Requests
			}
			if want := int64(2 * len(recs)); n != want {
				t.Errorf("merged %d requests; want %d: every record is merged", n, want)
			}
			if tt.cut && (merged.Runs[0].End.Status != StatusTruncated || merged.Trailer.Status != StatusTruncated) {
				t.Errorf("run status %q, trailer %q; want truncated, the worst of the inputs", merged.Runs[0].End.Status, merged.Trailer.Status)
			}
		})
	}
}

func TestMergeKeepsGeneratorsApart(t *testing.T) {
	t.Parallel()
	one := synthRecord(t, &Segment{Index: 1, Count: 2}, synthT0, synthInterval{t: 0, req: "a", lat: upTo(5)})
	two := synthRecord(t, &Segment{Index: 2, Count: 2, FaultsSkipped: true}, synthT0.Add(time.Second), synthInterval{t: 0, req: "a", lat: upTo(5)})
	one.Runs[0].Faults = []FaultEvent{
		{Type: LineFault, Variant: "default", T: 1, Name: "slow", Kind: "latency", Event: "injected"},
		{Type: LineFault, Variant: "default", T: 3, Name: "slow", Kind: "latency", Event: "reverted"},
	}
	one.Runs[0].Services = []ServiceEvent{{Type: LineService, Variant: "default", Time: synthT0, Service: "api", Kind: "ready", PID: 10}}
	two.Runs[0].Services = []ServiceEvent{{Type: LineService, Variant: "default", Time: synthT0, Service: "api", Kind: "ready", PID: 20}}
	two.Header.Thresholds = nil
	two.Runs[0].End.Status = StatusInterrupted
	merged, _, err := Merge([]*Record{two, one})
	if err != nil {
		t.Fatal(err)
	}
	h := merged.Header
	if h.Segment != nil || len(h.Merged) != 2 || h.Merged[0].Segment.Index != 1 || h.Merged[1].Tag != "#2" || h.Merged[1].Path != two.Path {
		t.Errorf("header segment %+v, merged %+v; want no segment and both inputs, segment 1 first, segment 2 tagged #2", h.Segment, h.Merged)
	}
	if len(h.Thresholds) != 1 {
		t.Errorf("thresholds %+v; want segment 1's", h.Thresholds)
	}
	run := merged.Runs[0]
	var owners []string
	for _, rd := range run.Readings {
		owners = append(owners, rd.Owner)
	}
	slices.Sort(owners)
	if want := []string{"generator", "generator#2", "host", "host#2"}; !slices.Equal(owners, want) {
		t.Errorf("reading owners %q; want %q", owners, want)
	}
	if len(run.Faults) != 2 || run.Faults[0].T != 1 {
		t.Errorf("fault events %+v; want segment 1's two, at their own times", run.Faults)
	}
	var svcs []string
	for _, ev := range run.Services {
		svcs = append(svcs, ev.Service)
	}
	slices.Sort(svcs)
	if !slices.Equal(svcs, []string{"api", "api#2"}) {
		t.Errorf("services %q; want api and api#2", svcs)
	}
	if run.End.Status != StatusInterrupted {
		t.Errorf("run status %q; want interrupted, the worst of the inputs", run.End.Status)
	}
	for _, rd := range run.Readings {
		if rd.Owner == "generator#2" && rd.T != 2 {
			t.Errorf("segment 2's reading at T=%v; want 2 (1 s after its own load start)", rd.T)
		}
	}
}

// The same run given twice (merge A A) is refused: it would count every
// request twice.
func TestMergeRefusesTheSameRunTwice(t *testing.T) {
	t.Parallel()
	one := synthRecord(t, &Segment{Index: 1, Count: 2}, synthT0, synthInterval{t: 0, req: "a", lat: upTo(3)})
	one.Header.RunID = "r-1"
	if _, _, err := Merge([]*Record{one, one}); !errors.Is(err, ErrCannotMerge) || !strings.Contains(err.Error(), "same run") {
		t.Errorf("Merge(A, A) = %v; want ErrCannotMerge: the same run", err)
	}
	two := synthRecord(t, &Segment{Index: 2, Count: 2}, synthT0, synthInterval{t: 0, req: "a", lat: upTo(3)})
	two.Header.RunID = "r-2"
	if _, _, err := Merge([]*Record{one, two}); err != nil {
		t.Errorf("Merge of two segments = %v", err)
	}
}
