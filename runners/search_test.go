package runners

import (
	"testing"

	"github.com/gauntletbench/gauntlet/metrics"
)

func TestSearcherGrowsThenBisects(t *testing.T) {
	t.Parallel()
	plan := metrics.SearchPlan{StartRPS: 100, MaxRPS: 100000, Growth: 2, Precision: 0.05}
	tests := []struct {
		name     string
		capacity float64
		max      float64
		rates    []float64
		best     float64
		reason   string
	}{
		{"capacity 400", 400, 0, []float64{100, 200, 400, 800, 600, 500, 450, 425, 413}, 400, metrics.SearchConverged},
		{"max reached", 1e9, 300, []float64{100, 200, 300}, 300, metrics.SearchMaxReached},
		{"start fails", 30, 0, []float64{100, 50, 25, 38, 32, 29, 31, 30}, 30, metrics.SearchConverged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := plan
			if tt.max > 0 {
				p.MaxRPS = tt.max
			}
			s := NewSearcher(p)
			var got []float64
			for len(got) < 30 {
				r, ok := s.Next()
				if !ok {
					break
				}
				got = append(got, r)
				s.Observe(r, r <= tt.capacity)
			}
			if len(got) != len(tt.rates) {
				t.Fatalf("rates %v; want %v", got, tt.rates)
			}
			for i := range got {
				if got[i] != tt.rates[i] {
					t.Fatalf("rates %v; want %v", got, tt.rates)
				}
			}
			if s.Best() != tt.best || s.Reason() != tt.reason {
				t.Errorf("best %v reason %q; want %v %q", s.Best(), s.Reason(), tt.best, tt.reason)
			}
		})
	}
}

func TestJudgeBlamesTheGeneratorOnlyWhenTheTargetWasFine(t *testing.T) {
	t.Parallel()
	p := metrics.SearchPlan{SLOP99Ms: 50, SLOErrorRate: 0.01, MaxLagMs: 10, MaxGeneratorCPU: 0.95}
	tests := []struct {
		name      string
		f         metrics.ProbeFigures
		pass, gen bool
	}{
		{"clean pass", metrics.ProbeFigures{Requests: 100, P99: 20e6, ServiceP99: 20e6}, true, false},
		{"pass despite lag", metrics.ProbeFigures{Requests: 100, P99: 40e6, ServiceP99: 10e6, LagP99: 30e6}, true, false},
		{"target slow", metrics.ProbeFigures{Requests: 100, P99: 90e6, ServiceP99: 80e6, LagP99: 30e6}, false, false},
		{"lag only", metrics.ProbeFigures{Requests: 100, P99: 90e6, ServiceP99: 20e6, LagP99: 70e6}, false, true},
		{"lag at the in-flight cap is the target's", metrics.ProbeFigures{Requests: 100, P99: 90e6, ServiceP99: 20e6, LagP99: 70e6, InFlightCapped: true}, false, false},
		{"cpu", metrics.ProbeFigures{Requests: 100, P99: 90e6, ServiceP99: 80e6, GeneratorCPU: 1}, false, true},
		{"dropped", metrics.ProbeFigures{Requests: 100, Dropped: 3, P99: 90e6, ServiceP99: 80e6}, false, true},
		{"errors", metrics.ProbeFigures{Requests: 100, Errors: 5, P99: 1e6, ServiceP99: 1e6}, false, false},
	}
	for _, tt := range tests {
		pass, gen, note := p.Judge(tt.f)
		if pass != tt.pass || gen != tt.gen {
			t.Errorf("%s: Judge = %v, %v (%s); want %v, %v", tt.name, pass, gen, note, tt.pass, tt.gen)
		}
	}
}
