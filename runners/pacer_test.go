package runners

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

func TestStagePacerTotalAndAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		stages []metrics.Stage
		total  uint64
		at     map[uint64]time.Duration
		stage  map[uint64]int
	}{
		{
			name:   "constant",
			stages: []metrics.Stage{{ForS: 5, Rate: 500}},
			total:  2500,
			at:     map[uint64]time.Duration{0: 0, 1: 2 * time.Millisecond, 2499: 4998 * time.Millisecond},
		},
		{
			name:   "linear ramp from zero",
			stages: []metrics.Stage{{ForS: 10, Rate: 100, Ramp: "linear"}},
			total:  500,
			// N(t) = 5 t², so hit k is due at sqrt(k/5).
			at: map[uint64]time.Duration{0: 0, 5: time.Second, 20: 2 * time.Second, 499: time.Duration(math.Sqrt(499.0/5) * float64(time.Second))},
		},
		{
			name:   "steps and ramps",
			stages: []metrics.Stage{{ForS: 2, Rate: 10, Warmup: true}, {ForS: 2, Rate: 30, Ramp: "linear"}, {ForS: 1, Rate: 100}},
			total:  20 + 40 + 100,
			at:     map[uint64]time.Duration{19: 1900 * time.Millisecond, 20: 2 * time.Second, 60: 4 * time.Second, 61: 4010 * time.Millisecond},
			stage:  map[uint64]int{19: 0, 20: 1, 59: 1, 60: 2, 159: 2},
		},
		{
			name:   "fractional total rounds up",
			stages: []metrics.Stage{{ForS: 1.5, Rate: 3}},
			total:  5,
			at:     map[uint64]time.Duration{4: 1333333333},
		},
		{
			name:   "zero rate stage",
			stages: []metrics.Stage{{ForS: 1, Rate: 0}, {ForS: 1, Rate: 2}},
			total:  2,
			at:     map[uint64]time.Duration{0: time.Second, 1: 1500 * time.Millisecond},
			stage:  map[uint64]int{0: 1, 1: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := NewStagePacer(tt.stages)
			if got := p.Total(); got != tt.total {
				t.Errorf("Total() = %d; want %d", got, tt.total)
			}
			for k, want := range tt.at {
				got, _ := p.At(k)
				if d := got - want; d < -time.Microsecond || d > time.Microsecond {
					t.Errorf("At(%d) = %v; want %v", k, got, want)
				}
			}
			for k, want := range tt.stage {
				if _, got := p.At(k); got != want {
					t.Errorf("At(%d) stage = %d; want %d", k, got, want)
				}
			}
			var prev time.Duration
			for k := uint64(0); k < p.Total(); k++ {
				at, _ := p.At(k)
				if at < prev || at >= p.End() {
					t.Fatalf("At(%d) = %v after %v, end %v; want monotonic and before the end", k, at, prev, p.End())
				}
				prev = at
			}
		})
	}
}

func TestStagePacerAsVegetaPacer(t *testing.T) {
	t.Parallel()
	p := NewStagePacer([]metrics.Stage{{ForS: 1, Rate: 10}})
	tests := []struct {
		elapsed time.Duration
		hits    uint64
		wait    time.Duration
		stop    bool
	}{
		{0, 0, 0, false},
		{0, 1, 100 * time.Millisecond, false},
		{250 * time.Millisecond, 1, 0, false},
		{250 * time.Millisecond, 3, 50 * time.Millisecond, false},
		{time.Second, 10, 0, true},
	}
	for _, tt := range tests {
		wait, stop := p.Pace(tt.elapsed, tt.hits)
		if wait != tt.wait || stop != tt.stop {
			t.Errorf("Pace(%v, %d) = %v, %v; want %v, %v", tt.elapsed, tt.hits, wait, stop, tt.wait, tt.stop)
		}
	}
	if got := p.Rate(500 * time.Millisecond); got != 10 {
		t.Errorf("Rate(500ms) = %v; want 10", got)
	}
}

func TestMixIsExactAndDeterministic(t *testing.T) {
	t.Parallel()
	m := newMix([]Request{{Weight: 3}, {Weight: 1}, {Weight: 1}})
	counts := make([]int, 3)
	for seq := uint64(0); seq < 1000; seq++ {
		counts[m.pick(seq)]++
	}
	if counts[0] != 600 || counts[1] != 200 || counts[2] != 200 {
		t.Errorf("pick over 1000 = %v; want [600 200 200]", counts)
	}
}

func TestMixNeverPicksRequestsThatAreOff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		reqs []Request
		want []int
	}{
		{[]Request{{Weight: 3, Off: true}, {Weight: 1}, {Weight: 1}}, []int{0, 500, 500}},
		{[]Request{{Weight: 2}, {Weight: 5, Off: true}, {Weight: 3}}, []int{400, 0, 600}},
		{[]Request{{Weight: 1}, {Weight: 1, Off: true}}, []int{1000, 0}},
		{[]Request{{Off: true}, {Off: true}, {Weight: 4}}, []int{0, 0, 1000}},
	}
	for _, tt := range tests {
		m := newMix(tt.reqs)
		counts := make([]int, len(tt.reqs))
		for seq := uint64(0); seq < 1000; seq++ {
			counts[m.pick(seq)]++
		}
		if !slices.Equal(counts, tt.want) {
			t.Errorf("pick over 1000 of %+v = %v; want %v", tt.reqs, counts, tt.want)
		}
	}
}
