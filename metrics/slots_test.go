package metrics

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestSlotBucketBounds(t *testing.T) {
	t.Parallel()
	for _, us := range []int64{1, 2, 3, 4, 5, 7, 8, 9, 100, 999, 1000, 1023, 1024, 1500, 100_000, 3_600_000_000} {
		d := time.Duration(us) * time.Microsecond
		top := slotBucketTop(slotBucket(d))
		if top < us || float64(top) > float64(us)*1.25+1 {
			t.Errorf("slotBucketTop(slotBucket(%d µs)) = %d; want in [%d, %.0f]", us, top, us, float64(us)*1.25+1)
		}
		if b := slotBucket(d); b < 0 || b >= slotBuckets {
			t.Errorf("slotBucket(%d µs) = %d; out of range", us, b)
		}
	}
}

// TestRecorderSlots feeds one interval of results whose intended and end
// times share a slot, and checks each slot's counts and p99 against the
// results given.
func TestRecorderSlots(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "record.ndjson")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(Header{Type: LineHeader, Format: RecordFormat}, RunStart{Type: LineRun, Variant: "v"}); err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(w, "v", []string{"r"}, 1, time.Now())
	in := NewSink()
	buf := in.Buffer()
	// Slot 0: 10 fast; slot 3: 99 at 1 ms and 1 at 40 ms, 5 errors; slot 9: 1 at 20 ms.
	send := func(slot, n int, lat time.Duration, class ErrorClass) {
		for range n {
			intended := time.Duration(slot)*SlotLength + 10*time.Millisecond
			buf.Put(Result{Intended: intended, Sent: intended, End: intended + lat, Class: class})
		}
	}
	send(0, 10, time.Millisecond, OK)
	send(3, 94, time.Millisecond, OK)
	send(3, 5, time.Millisecond, HTTP5xx)
	send(3, 1, 40*time.Millisecond, OK)
	send(9, 1, 20*time.Millisecond, OK)
	buf.Close()
	done := make(chan struct{})
	close(done)
	if err := rec.Consume(in, done); err != nil {
		t.Fatal(err)
	}
	w.Close()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := Read(f)
	if err != nil {
		t.Fatal(err)
	}
	ivs := r.Runs[0].Intervals
	if len(ivs) != 1 || ivs[0].Slots == nil {
		t.Fatalf("intervals = %+v; want one with slots", ivs)
	}
	sl := ivs[0].Slots
	wantN := []int64{10, 0, 0, 100, 0, 0, 0, 0, 0, 1}
	wantE := []int64{0, 0, 0, 5, 0, 0, 0, 0, 0, 0}
	for i := range wantN {
		if sl.Requests[i] != wantN[i] || sl.Errors[i] != wantE[i] {
			t.Errorf("slot %d = %d requests, %d errors; want %d, %d", i, sl.Requests[i], sl.Errors[i], wantN[i], wantE[i])
		}
	}
	// p99 of 100 requests is the 99th: 1 ms (its bucket tops out below 1.25 ms).
	if p := sl.P99Us[3]; p < 1000 || p > 1250 {
		t.Errorf("slot 3 p99 = %d µs; want 1000–1250", p)
	}
	if p := sl.P99Us[9]; p < 20000 || p > 25000 {
		t.Errorf("slot 9 p99 = %d µs; want 20000–25000", p)
	}
	if sl.P99Us[1] != 0 || sl.Ms != 100 {
		t.Errorf("slots = %+v; want empty slot 1 at p99 0 and 100 ms slots", sl)
	}
}

// slotRun is a 20 s run of 100 req/s whose every slot holds 10 requests at
// 1 ms, except the slots in bad, whose requests take 100 ms, and those in
// failing, where 5 of 10 fail; its interval histograms and slots agree.
func slotRun(t *testing.T, inject, revert float64, bad, failing []int) (*Header, *Run) {
	t.Helper()
	run := &Run{End: &RunEnd{DurationS: 20, Status: StatusCompleted}}
	for sec := range 20 {
		h := NewHistogram()
		iv := Interval{T: sec, Request: "r", Requests: 100}
		sl := &Slots{Ms: 100, Requests: make([]int64, 10), Errors: make([]int64, 10), P99Us: make([]int64, 10)}
		for k := range 10 {
			g := sec*10 + k
			lat := time.Millisecond
			if slices.Contains(bad, g) {
				lat = 100 * time.Millisecond
			}
			if slices.Contains(failing, g) {
				sl.Errors[k] = 5
				iv.Errors += 5
			}
			for range 10 {
				h.Record(lat)
			}
			sl.Requests[k], sl.P99Us[k] = 10, lat.Microseconds()
		}
		enc, err := h.Encode()
		if err != nil {
			t.Fatal(err)
		}
		iv.Latency, iv.Slots = enc, sl
		run.Intervals = append(run.Intervals, iv)
	}
	run.Faults = []FaultEvent{
		{Name: "slow", Kind: "latency", Target: "api", Event: "injected", T: inject},
		{Name: "slow", Kind: "latency", Target: "api", Event: "reverted", T: revert},
	}
	return &Header{Stages: []Stage{{ForS: 20, Rate: 100}}}, run
}

func TestTimeToRecoverSlots(t *testing.T) {
	t.Parallel()
	span := func(from, to int) []int {
		var out []int
		for g := from; g < to; g++ {
			out = append(out, g)
		}
		return out
	}
	tests := []struct {
		name          string
		revert        float64
		bad, failing  []int // slot numbers (tenths of a second)
		wantTTR       float64
		wantRecovered bool
	}{
		{"clean at the revert", 10, span(50, 100), nil, 0, true},
		{"one slow slot after the revert", 10, span(50, 101), nil, 100, true},
		{"revert mid-slot, slow through 10.3 s", 10.05, span(50, 103), nil, 250, true},
		{"errors after the latency", 10, span(50, 101), []int{101}, 200, true},
		{"a relapse inside the hold restarts it", 10, span(50, 101), []int{125}, 2600, true},
		{"slow through 11.3 s", 10, span(50, 113), nil, 1300, true},
		{"revert late in a second", 10.95, span(50, 111), nil, 150, true},
		{"never within tolerance", 10, span(50, 200), nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, run := slotRun(t, 5, tt.revert, tt.bad, tt.failing)
			got, err := faultImpacts(h, run, DefaultRecovery)
			if err != nil {
				t.Fatal(err)
			}
			ttr := got[0].TimeToRecoverMs
			switch {
			case !tt.wantRecovered && ttr != nil:
				t.Errorf("time to recover = %v ms; want none", *ttr)
			case tt.wantRecovered && ttr == nil:
				t.Errorf("time to recover = none; want %v ms", tt.wantTTR)
			case tt.wantRecovered && *ttr != tt.wantTTR:
				t.Errorf("time to recover = %v ms; want %v ms", *ttr, tt.wantTTR)
			}
		})
	}
}
