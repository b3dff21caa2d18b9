package gates

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// synth describes a synthetic service whose runs are drawn with realistic
// noise: a per-run level (run-to-run variation), an AR(1) per-second
// factor (slow drifts: GC, neighbours), lognormal request latencies and
// occasional tail spikes.
type synth struct {
	warmupS, seconds int
	rate             int           // requests per second
	median           time.Duration // typical request latency
	sigma            float64       // lognormal shape of request latencies
	runSD            float64       // sd of the per-run log level
	ar, arSD         float64       // AR(1) coefficient and innovation sd of the per-second log factor
	spikeP           float64       // chance a second has a tail spike
	errRate          float64
	slow             float64 // multiplier on every latency; 0 means 1
	requests         []string
	startupMs        float64
}

func defaultSynth() synth {
	return synth{warmupS: 2, seconds: 20, rate: 100, median: 2 * time.Millisecond, sigma: 0.3,
		runSD: 0.02, ar: 0.6, arSD: 0.03, spikeP: 0.05, errRate: 0.001,
		requests: []string{"ping", "json"}, startupMs: 20}
}

// record draws one run of s as a decoded record.
func (s synth) record(t testing.TB, rng *rand.Rand) *metrics.Record {
	t.Helper()
	slow := s.slow
	if slow == 0 {
		slow = 1
	}
	h := metrics.Header{
		Type: metrics.LineHeader, Format: metrics.RecordFormat, Scenario: "synth", Model: "open",
		Host: metrics.Host{CPUs: 2}, Requests: s.requests, IntervalMs: 1000,
		Stages: []metrics.Stage{
			{StartS: 0, ForS: float64(s.warmupS), Rate: float64(s.rate), Warmup: true},
			{StartS: float64(s.warmupS), ForS: float64(s.seconds), Rate: float64(s.rate)},
		},
	}
	if s.warmupS == 0 {
		h.Stages = h.Stages[1:]
		h.Stages[0].StartS = 0
	}
	total := s.warmupS + s.seconds
	run := &metrics.Run{
		Start: metrics.RunStart{Type: metrics.LineRun, Variant: "default"},
		Load:  &metrics.LoadStart{Type: metrics.LineLoad, Variant: "default", PlannedS: float64(total)},
		Services: []metrics.ServiceEvent{{Type: metrics.LineService, Variant: "default", Service: "api", Kind: "ready", PID: 42,
			StartupMs: s.startupMs * math.Exp(0.1*rng.NormFloat64())}},
		End: &metrics.RunEnd{Type: metrics.LineRunEnd, Variant: "default", DurationS: float64(total) + 0.01, Status: metrics.StatusCompleted},
	}
	level := s.runSD * rng.NormFloat64()
	drift := 0.0
	hist := metrics.NewHistogram()
	for sec := range total {
		drift = s.ar*drift + s.arSD*rng.NormFloat64()
		spike := rng.Float64() < s.spikeP
		stage := 0
		if s.warmupS > 0 && sec >= s.warmupS {
			stage = 1
		}
		for _, name := range s.requests {
			n := s.rate / len(s.requests)
			hist.Reset()
			var errs int64
			for range n {
				lat := float64(s.median) * slow * math.Exp(level+drift+s.sigma*rng.NormFloat64())
				if spike && rng.Float64() < 0.02 {
					lat *= 8
				}
				hist.Record(time.Duration(lat))
				if rng.Float64() < s.errRate {
					errs++
				}
			}
			enc, err := hist.Encode()
			if err != nil {
				t.Fatal(err)
			}
			iv := metrics.Interval{Type: metrics.LineInterval, Variant: "default", T: sec, Request: name, Stage: stage,
				Requests: int64(n), Errors: errs, Latency: enc}
			if errs > 0 {
				iv.Classes = map[string]int64{"http_5xx": errs}
			}
			run.Intervals = append(run.Intervals, iv)
		}
	}
	return &metrics.Record{Header: h, Runs: []*metrics.Run{run}, Trailer: &metrics.Trailer{Type: metrics.LineTrailer, Status: metrics.StatusCompleted}}
}
