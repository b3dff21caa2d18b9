package metrics

import (
	"math"
	"testing"
)

// TestStageServicesFromCounters checks the per-stage CPU, bytes on the wire and connections
// against counters that grow at known rates, different in each stage, so that a figure
// taken across the stage boundary or over the wrong span comes out wrong.
func TestStageServicesFromCounters(t *testing.T) {
	t.Parallel()
	// Per second in stage 0 (0–5 s) and stage 1 (5–10 s): service a sends/receives
	// 600+400 bytes then 2,400+1,600, b 500 then 2,000 (received only); CPU a 0.1 then
	// 0.2 s, b 0.05 then 0.1 s; open connections a 2 then 10, b 1 then 5.
	run := &Run{}
	counter := func(r0, r1, t float64) float64 { return r0*min(t, 5) + r1*max(t-5, 0) }
	for i := 1; i <= 10; i++ {
		at := float64(i)
		conA, conB := 2.0, 1.0
		if at > 5 {
			conA, conB = 10, 5
		}
		run.Readings = append(run.Readings,
			Readings{T: at, Owner: "a", Values: map[string]float64{
				"net_sent_bytes_total": counter(600, 2400, at), "net_received_bytes_total": counter(400, 1600, at),
				"cpu_seconds_total": counter(0.1, 0.2, at), "connections_open": conA}},
			Readings{T: at + 0.01, Owner: "b", Values: map[string]float64{
				"net_received_bytes_total": counter(500, 2000, at), "cpu_seconds_total": counter(0.05, 0.1, at),
				"connections_open": conB}},
			// Another owner's counters are not the services'.
			Readings{T: at, Owner: OwnerHost, Values: map[string]float64{"cpu_seconds_total": 100 * at}})
	}
	tests := []struct {
		from, to, rps            float64
		cpuPer1k, wire, connPeak float64
	}{
		{0, 5, 100, (0.1 + 0.05) * 1e6 / 100, (600 + 400 + 500) / 100.0, 3},
		{5, 10, 200, (0.2 + 0.1) * 1e6 / 200, (2400 + 1600 + 2000) / 200.0, 15},
	}
	for _, tt := range tests {
		ss := StageSummary{RPS: tt.rps, Requests: int64(tt.rps * 5)}
		stageServices(run, []string{"a", "b"}, tt.from, tt.to, &ss)
		if math.Abs(ss.CPUMsPer1kRequests-tt.cpuPer1k) > 1e-6 || math.Abs(ss.WireBytesPerRequest-tt.wire) > 1e-9 ||
			ss.ConnectionsPeak != tt.connPeak {
			t.Errorf("stage %v–%v s: CPU %v ms per 1k, %v bytes per request, %v connections; want %v, %v, %v",
				tt.from, tt.to, ss.CPUMsPer1kRequests, ss.WireBytesPerRequest, ss.ConnectionsPeak, tt.cpuPer1k, tt.wire, tt.connPeak)
		}
	}
}
