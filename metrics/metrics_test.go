package metrics

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestClassifyStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code   int
		expect []int
		want   ErrorClass
	}{
		{200, nil, OK},
		{302, nil, OK},
		{404, nil, HTTP4xx},
		{503, nil, HTTP5xx},
		{201, []int{201}, OK},
		{200, []int{201}, ExpectationFailed},
		{404, []int{404}, OK},
		{500, []int{201}, HTTP5xx},
	}
	for _, tt := range tests {
		if got := ClassifyStatus(tt.code, tt.expect); got != tt.want {
			t.Errorf("ClassifyStatus(%d, %v) = %v; want %v", tt.code, tt.expect, got, tt.want)
		}
	}
}

func TestClassifyError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err         error
		interrupted bool
		want        ErrorClass
	}{
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), false, ConnRefused},
		{fmt.Errorf("read: %w", syscall.ECONNRESET), false, ConnReset},
		{io.ErrUnexpectedEOF, false, ConnReset},
		{os.ErrDeadlineExceeded, false, Timeout},
		{errors.New("tls: bad certificate"), false, Transport},
	}
	for _, tt := range tests {
		if got := ClassifyError(tt.err, tt.interrupted); got != tt.want {
			t.Errorf("ClassifyError(%v, %v) = %v; want %v", tt.err, tt.interrupted, got, tt.want)
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	t.Parallel()
	h := NewHistogram()
	for i := 1; i <= 10000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	tests := []struct {
		q    float64
		want time.Duration
	}{{0.5, 5000 * time.Microsecond}, {0.99, 9900 * time.Microsecond}, {0.999, 9990 * time.Microsecond}}
	for _, tt := range tests {
		got := h.Quantile(tt.q)
		if rel := math.Abs(float64(got-tt.want)) / float64(tt.want); rel > 0.001 {
			t.Errorf("Quantile(%v) = %v; want %v within 0.1%%", tt.q, got, tt.want)
		}
	}
	h.Record(2 * time.Hour)
	if h.Clamped != 1 {
		t.Errorf("Clamped = %d after a 2 h value; want 1", h.Clamped)
	}
}

func TestHistogramEncodeMergeExact(t *testing.T) {
	t.Parallel()
	a, b, both := NewHistogram(), NewHistogram(), NewHistogram()
	for i := 0; i < 5000; i++ {
		d := time.Duration(i*i%7919+1) * time.Microsecond
		if i%2 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
		both.Record(d)
	}
	merged := NewHistogram()
	for _, h := range []*Histogram{a, b} {
		s, err := h.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if err := merged.MergeEncoded(s); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		if got, want := merged.Quantile(q), both.Quantile(q); got != want {
			t.Errorf("merged Quantile(%v) = %v; want %v (exact merge)", q, got, want)
		}
	}
}

// writeRecord records results through a real Recorder into a record file and
// returns its path.
func writeRecord(t testing.TB, stages []Stage, results []Result, complete bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "record.ndjson")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := Header{Type: LineHeader, Format: RecordFormat, Scenario: "test", Requests: []string{"a", "b"}, Stages: stages}
	t0 := time.Now()
	if err := w.Write(h, RunStart{Type: LineRun, Variant: "v", Start: t0},
		LoadStart{Type: LineLoad, Variant: "v", Start: t0}); err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(w, "v", h.Requests, len(stages), t0.Add(-time.Hour)) // t0 in the past: ticks never wait
	in := NewSink()
	buf := in.Buffer()
	for _, r := range results {
		buf.Put(r)
	}
	buf.Close()
	done := make(chan struct{})
	close(done)
	if err := rec.Consume(in, done); err != nil {
		t.Fatal(err)
	}
	if complete {
		var end float64
		for _, st := range stages {
			end += st.ForS
		}
		if err := w.Write(RunEnd{Type: LineRunEnd, Variant: "v", DurationS: end, Status: StatusCompleted},
			Trailer{Type: LineTrailer, Status: StatusCompleted}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// syntheticResults spreads n requests per second over secs seconds; request
// i has latency (i%100+1) ms, every 50th is a 503, and stage = second/warm.
func syntheticResults(secs, perSec, warmSecs int) []Result {
	var out []Result
	for s := 0; s < secs; s++ {
		for i := 0; i < perSec; i++ {
			at := time.Duration(s)*time.Second + time.Duration(i)*time.Second/time.Duration(perSec)
			lat := time.Duration(i%100+1) * time.Millisecond
			r := Result{Intended: at, Sent: at, End: at + lat, Request: uint16(i % 2), Code: 200}
			if s >= warmSecs {
				r.Stage = 1
			}
			if i%50 == 0 {
				r.Code, r.Class = 503, HTTP5xx
			}
			out = append(out, r)
		}
	}
	return out
}

func TestSummarizeExcludesWarmupAndCounts(t *testing.T) {
	t.Parallel()
	stages := []Stage{{StartS: 0, ForS: 2, Rate: 100, Warmup: true}, {StartS: 2, ForS: 4, Rate: 100}}
	path := writeRecord(t, stages, syntheticResults(6, 100, 2), true)
	rec, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Truncated {
		t.Fatalf("complete record read as truncated")
	}
	s, err := Summarize(rec)
	if err != nil {
		t.Fatal(err)
	}
	rs := s.Runs[0]
	if rs.Requests != 400 || rs.Errors != 8 {
		t.Errorf("requests, errors = %d, %d; want 400, 8 (warm-up excluded)", rs.Requests, rs.Errors)
	}
	if rs.DurationS != 4 || rs.RPS != 100 {
		t.Errorf("duration, rps = %v, %v; want 4, 100", rs.DurationS, rs.RPS)
	}
	if rs.PlannedRPS != 100 {
		t.Errorf("planned rps = %v; want 100", rs.PlannedRPS)
	}
	if got := rs.Latency.P50; math.Abs(got-50) > 1 {
		t.Errorf("p50 = %v ms; want 50 ± 1", got)
	}
	if got := rs.Latency.Max; math.Abs(got-100) > 0.1 {
		t.Errorf("max = %v ms; want 100", got)
	}
	if rs.StatusCodes["503"] != 8 || rs.ErrorsByClass["http_5xx"] != 8 {
		t.Errorf("codes %v classes %v; want 8 × 503 / http_5xx", rs.StatusCodes, rs.ErrorsByClass)
	}
	if len(rs.ByRequest) != 2 || rs.ByRequest[0].Requests+rs.ByRequest[1].Requests != 400 {
		t.Errorf("by request = %+v; want a and b adding up to 400", rs.ByRequest)
	}
}

func TestReadTruncatedRecord(t *testing.T) {
	t.Parallel()
	stages := []Stage{{ForS: 5, Rate: 100}}
	path := writeRecord(t, stages, syntheticResults(5, 100, 0), false)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Cut the file in the middle of its last interval line.
	cut := data[:len(data)-40]
	rec, err := Read(bytes.NewReader(cut))
	if err != nil {
		t.Fatalf("Read(truncated) error = %v; want a partial record", err)
	}
	if !rec.Truncated {
		t.Errorf("Truncated = false; want true")
	}
	s, err := Summarize(rec)
	if err != nil {
		t.Fatal(err)
	}
	rs := s.Runs[0]
	if rs.Status != StatusTruncated || rs.Requests == 0 || rs.Requests >= 500 {
		t.Errorf("status %q, requests %d; want truncated with 0 < requests < 500", rs.Status, rs.Requests)
	}
	if !strings.Contains(strings.Join(rs.Warnings, "\n"), "ends early") {
		t.Errorf("warnings %q; want one saying the record ends early", rs.Warnings)
	}
}

func TestReadRejectsGarbage(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "hello\n", `{"type":"interval"}` + "\n"} {
		if _, err := Read(strings.NewReader(in)); err == nil {
			t.Errorf("Read(%q) = nil error; want one", in)
		}
	}
}

func TestPlannedHits(t *testing.T) {
	t.Parallel()
	stages := []Stage{
		{StartS: 0, ForS: 2, Rate: 100},
		{StartS: 2, ForS: 4, Rate: 300, Ramp: "linear"},
		{StartS: 6, ForS: 1, Rate: 50},
	}
	tests := []struct{ t, want float64 }{
		{0, 0}, {1, 100}, {2, 200}, {4, 200 + 2*100 + 100*2*2/(2*4)*2}, {6, 200 + 800}, {7, 1050}, {100, 1050},
	}
	for _, tt := range tests {
		if got := PlannedHits(stages, tt.t); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("PlannedHits(%v) = %v; want %v", tt.t, got, tt.want)
		}
	}
}
