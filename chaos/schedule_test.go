package chaos

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const s = time.Second

func TestTimeline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		plan   []Planned
		length time.Duration
		want   []Window
	}{
		{"single window", []Planned{{Name: "lat", Kind: "latency", At: 25 * s, For: 10 * s}}, 60 * s,
			[]Window{{"lat", "latency", 1, 25 * s, 35 * s}}},
		{"for 0 lasts until the end", []Planned{{Name: "bh", Kind: "blackhole", At: 5 * s}}, 20 * s,
			[]Window{{"bh", "blackhole", 1, 5 * s, 20 * s}}},
		{"end clipped to the run", []Planned{{Name: "lat", Kind: "latency", At: 50 * s, For: 30 * s}}, 60 * s,
			[]Window{{"lat", "latency", 1, 50 * s, 60 * s}}},
		{"instant kinds end where they start", []Planned{
			{Name: "k", Kind: "kill", At: 40 * s, For: 10 * s},
			{Name: "r", Kind: "restart", At: 10 * s},
			{Name: "t", Kind: "terminate", At: 20 * s},
		}, 60 * s, []Window{
			{"r", "restart", 1, 10 * s, 10 * s},
			{"t", "terminate", 1, 20 * s, 20 * s},
			{"k", "kill", 1, 40 * s, 40 * s},
		}},
		{"every with times", []Planned{{Name: "p", Kind: "pause", At: 10 * s, For: 2 * s, Every: 10 * s, Times: 3}}, 60 * s,
			[]Window{{"p", "pause", 1, 10 * s, 12 * s}, {"p", "pause", 2, 20 * s, 22 * s}, {"p", "pause", 3, 30 * s, 32 * s}}},
		{"every without times runs to the end", []Planned{{Name: "k", Kind: "kill", At: 0, Every: 20 * s}}, 50 * s,
			[]Window{{"k", "kill", 1, 0, 0}, {"k", "kill", 2, 20 * s, 20 * s}, {"k", "kill", 3, 40 * s, 40 * s}}},
		{"sorted by start, ties in plan order", []Planned{
			{Name: "b", Kind: "latency", At: 30 * s, For: s},
			{Name: "a", Kind: "pause", At: 10 * s, For: s, Every: 20 * s, Times: 2},
			{Name: "c", Kind: "reset", At: 10 * s, For: s},
		}, 60 * s, []Window{
			{"a", "pause", 1, 10 * s, 11 * s},
			{"c", "reset", 1, 10 * s, 11 * s},
			{"b", "latency", 1, 30 * s, 31 * s},
			{"a", "pause", 2, 30 * s, 31 * s},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Timeline(tt.plan, tt.length, 42)
			if err != nil {
				t.Fatalf("Timeline = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Timeline mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTimelineJitter(t *testing.T) {
	t.Parallel()
	plan := []Planned{
		{Name: "a", Kind: "latency", At: 10 * s, For: 2 * s, Every: 10 * s, Times: 4, Jitter: 2 * s},
		{Name: "b", Kind: "kill", At: 5 * s, Jitter: 3 * s},
	}
	first, err := Timeline(plan, 60*s, 7)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Timeline(plan, 60*s, 7)
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("same seed, different timeline (-first +again):\n%s", diff)
	}
	other, _ := Timeline(plan, 60*s, 8)
	if cmp.Equal(first, other) {
		t.Errorf("seeds 7 and 8 gave the same timeline %v", first)
	}
	// Adding a fault does not move the others.
	more, _ := Timeline(append([]Planned{{Name: "z", Kind: "reset", At: s, For: s, Jitter: s}}, plan...), 60*s, 7)
	var kept []Window
	for _, w := range more {
		if w.Name != "z" {
			kept = append(kept, w)
		}
	}
	if diff := cmp.Diff(first, kept); diff != "" {
		t.Errorf("adding a fault moved others (-before +after):\n%s", diff)
	}
	for _, w := range first {
		var base, jitter time.Duration
		switch w.Name {
		case "a":
			base, jitter = 10*s+time.Duration(w.Occurrence-1)*10*s, 2*s
			if w.End-w.Start != 2*s {
				t.Errorf("%v: length %s; want 2s", w, w.End-w.Start)
			}
		case "b":
			base, jitter = 5*s, 3*s
			if w.End != w.Start {
				t.Errorf("%v: instant fault with End != Start", w)
			}
		}
		if off := w.Start - base; off < 0 || off >= jitter {
			t.Errorf("%v: offset %s outside [0, %s)", w, off, jitter)
		}
	}
}

func TestTimelineErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Planned
		want string
	}{
		{"negative at", Planned{Name: "x", Kind: "latency", At: -s, For: s}, `fault "x": at must be >= 0, got -1s`},
		{"times without every", Planned{Name: "x", Kind: "kill", Times: 3}, "times needs every"},
		{"repeating without for", Planned{Name: "x", Kind: "pause", Every: 10 * s}, "a repeating fault needs for"},
		{"overlap", Planned{Name: "x", Kind: "pause", For: 8 * s, Every: 10 * s, Jitter: 3 * s}, "occurrences would overlap"},
		{"negative times", Planned{Name: "x", Kind: "kill", Times: -1}, "times must be >= 0"},
		{"at the end of the load", Planned{Name: "x", Kind: "latency", At: time.Minute, For: s}, `fault "x": at (1m0s) is not before the end of the load (1m0s): it would never be injected`},
		{"at past the end", Planned{Name: "x", Kind: "kill", At: time.Hour}, "would never be injected"},
		{"too many occurrences", Planned{Name: "x", Kind: "kill", Every: time.Microsecond}, "more than 100000 occurrences"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Timeline([]Planned{tt.p, {Name: "ok", Kind: "kill", At: s}}, time.Minute, 1)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Timeline(%+v) error = %v; want it to contain %q", tt.p, err, tt.want)
			}
		})
	}
	if _, err := Timeline(nil, 0, 1); err == nil {
		t.Error("Timeline with length 0 = nil error; want one")
	}
}

func TestInstant(t *testing.T) {
	t.Parallel()
	for kind, want := range map[string]bool{"kill": true, "restart": true, "terminate": true, "pause": false, "latency": false} {
		if got := Instant(kind); got != want {
			t.Errorf("Instant(%q) = %v; want %v", kind, got, want)
		}
	}
}
