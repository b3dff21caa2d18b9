package live

import (
	"github.com/prometheus/client_golang/prometheus"
)

// The metrics /metrics serves. Requests count by the second they completed
// in, as the record does; latency is from the intended send time.
var (
	descRequests = prometheus.NewDesc("gauntlet_requests_total",
		"Requests completed, by variant and request name.", []string{"variant", "request"}, nil)
	descErrors = prometheus.NewDesc("gauntlet_request_errors_total",
		"Failed requests, by variant, request name and error class.", []string{"variant", "request", "class"}, nil)
	descDropped = prometheus.NewDesc("gauntlet_requests_dropped_total",
		"Requests the open model could not send within the run (every worker busy).", []string{"variant", "request"}, nil)
	descLatency = prometheus.NewDesc("gauntlet_request_duration_seconds",
		"Latency from each request's intended send time to its response's end.", []string{"variant", "request"}, nil)
	descLag = prometheus.NewDesc("gauntlet_schedule_lag_seconds",
		"How late each request left against its schedule (open model).", []string{"variant", "request"}, nil)
	descFaultsActive = prometheus.NewDesc("gauntlet_faults_active",
		"Faults in effect.", []string{"variant"}, nil)
	descFault = prometheus.NewDesc("gauntlet_fault_active",
		"1 while the fault is in effect, 0 after it was reverted.", []string{"variant", "fault", "kind", "target"}, nil)
	descRSS = prometheus.NewDesc("gauntlet_service_resident_memory_bytes",
		"Resident memory of a service's process tree (or of gauntlet itself, service=\"generator\").", []string{"variant", "service"}, nil)
	descCPU = prometheus.NewDesc("gauntlet_service_cpu_seconds_total",
		"CPU time of a service's process tree (or of gauntlet itself, service=\"generator\"); starts again after a restart.", []string{"variant", "service"}, nil)
	descThreads = prometheus.NewDesc("gauntlet_service_threads",
		"Threads of a service's process tree.", []string{"variant", "service"}, nil)
	descInFlight = prometheus.NewDesc("gauntlet_requests_in_flight",
		"Requests sent and not yet answered (open model: the workers busy with a request).", []string{"variant"}, nil)
	descDecodeErrors = prometheus.NewDesc("gauntlet_live_decode_errors",
		"1 when an interval histogram could not be decoded (latency figures are then incomplete).", nil, nil)
)

// Describe sends the descriptors of every metric Collect may send.
func (x *Exporter) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRequests, descErrors, descDropped, descLatency, descLag,
		descFaultsActive, descFault, descRSS, descCPU, descThreads, descInFlight, descDecodeErrors} {
		ch <- d
	}
}

// Collect sends the figures so far.
func (x *Exporter) Collect(ch chan<- prometheus.Metric) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for k, f := range x.requests {
		ch <- prometheus.MustNewConstMetric(descRequests, prometheus.CounterValue, float64(f.requests), k.variant, k.request)
		ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(f.dropped), k.variant, k.request)
		for c, n := range f.classes {
			ch <- prometheus.MustNewConstMetric(descErrors, prometheus.CounterValue, float64(n), k.variant, k.request, c)
		}
		ch <- prometheus.MustNewConstHistogram(descLatency, f.latency.count, f.latency.sum, f.latency.cumulative(), k.variant, k.request)
		if f.lag.count > 0 {
			ch <- prometheus.MustNewConstHistogram(descLag, f.lag.count, f.lag.sum, f.lag.cumulative(), k.variant, k.request)
		}
	}
	active := map[string]int{}
	for k, on := range x.faults {
		v := 0.0
		if on {
			v = 1
			active[k.variant]++
		}
		ch <- prometheus.MustNewConstMetric(descFault, prometheus.GaugeValue, v, k.variant, k.name, k.kind, k.target)
	}
	variants := map[string]bool{}
	for k := range x.requests {
		variants[k.variant] = true
	}
	for k := range x.faults {
		variants[k.variant] = true
	}
	for v := range variants {
		ch <- prometheus.MustNewConstMetric(descFaultsActive, prometheus.GaugeValue, float64(active[v]), v)
	}
	for k, vals := range x.owners {
		if k.owner == "host" {
			continue
		}
		for _, m := range []struct {
			desc *prometheus.Desc
			typ  prometheus.ValueType
			name string
		}{{descRSS, prometheus.GaugeValue, "rss_bytes"}, {descCPU, prometheus.CounterValue, "cpu_seconds_total"}, {descThreads, prometheus.GaugeValue, "threads"}} {
			if v, ok := vals[m.name]; ok {
				ch <- prometheus.MustNewConstMetric(m.desc, m.typ, v, k.variant, k.owner)
			}
		}
	}
	for v, f := range x.inFlight {
		ch <- prometheus.MustNewConstMetric(descInFlight, prometheus.GaugeValue, float64(f()), v)
	}
	bad := 0.0
	if x.err != nil {
		bad = 1
	}
	ch <- prometheus.MustNewConstMetric(descDecodeErrors, prometheus.GaugeValue, bad)
}
