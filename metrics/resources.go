package metrics

import "math"

// Owners of readings that are not services.
const (
	OwnerHost      = "host"
	OwnerGenerator = "generator"
)

// Series is the readings of one value of one owner, in time order.
type Series struct {
	T []float64
	V []float64
}

// readingSeries extracts the series of value name for owner from a run.
func readingSeries(run *Run, owner, name string) Series {
	var s Series
	for i := range run.Readings {
		rd := &run.Readings[i]
		if rd.Owner != owner {
			continue
		}
		if v, ok := rd.Values[name]; ok {
			s.T = append(s.T, rd.T)
			s.V = append(s.V, v)
		}
	}
	return s
}

// Peak is the largest value at T in [from, to]; NaN when there is none.
func (s Series) Peak(from, to float64) float64 {
	peak := math.NaN()
	for i, t := range s.T {
		if t >= from && t <= to && (math.IsNaN(peak) || s.V[i] > peak) {
			peak = s.V[i]
		}
	}
	return peak
}

// Mean is the mean of the values at T in (from, to] — readings of a rate
// over the time up to T — and NaN when there is none.
func (s Series) Mean(from, to float64) float64 {
	var sum float64
	n := 0
	for i, t := range s.T {
		if t > from && t <= to {
			sum += s.V[i]
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// Last is the last value at T <= at; NaN when there is none.
func (s Series) Last(at float64) float64 {
	v := math.NaN()
	for i, t := range s.T {
		if t > at {
			break
		}
		v = s.V[i]
	}
	return v
}

// Delta is the increase of a counter from the last reading at or before from
// (or the first reading, when none is that early) to the last reading at or
// before to. A decrease between readings is a counter reset (a restarted
// process): the growth after it counts from zero, as Prometheus's increase()
// does. NaN when there is no reading at or before to.
func (s Series) Delta(from, to float64) float64 {
	start, end := -1, -1
	for i, t := range s.T {
		if t <= from {
			start = i
		}
		if t <= to {
			end = i
		}
	}
	if end < 0 {
		return math.NaN()
	}
	start = max(start, 0)
	var d float64
	for i := start + 1; i <= end; i++ {
		if inc := s.V[i] - s.V[i-1]; inc >= 0 {
			d += inc
		} else {
			d += s.V[i]
		}
	}
	return d
}

// orZero turns NaN (no readings) into 0 for JSON.
func orZero(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// serviceResources fills the resource figures of each service of a run
// from its readings: idle RSS just before load, peak RSS, CPU over the
// measured window, CPU per 1k requests, peak threads, and the request
// counters scraped from its /metrics at the end.
func serviceResources(run *Run, from, to float64, requests int64, out map[string]ServiceSummary) {
	for name, s := range out {
		rss := readingSeries(run, name, "rss_bytes")
		s.RSSIdleBytes = orZero(rss.Last(0))
		s.RSSPeakBytes = orZero(rss.Peak(math.Inf(-1), math.Inf(1)))
		s.CPUSeconds = orZero(readingSeries(run, name, "cpu_seconds_total").Delta(from, to))
		if requests > 0 {
			s.CPUMsPer1kRequests = s.CPUSeconds * 1e6 / float64(requests)
		}
		s.ThreadsPeak = orZero(readingSeries(run, name, "threads").Peak(math.Inf(-1), math.Inf(1)))
		s.Tagged, s.Received = -1, -1
		if v := readingSeries(run, name, "tagged_requests_total").Last(math.Inf(1)); !math.IsNaN(v) {
			s.Tagged = v
		}
		if v := readingSeries(run, name, "requests_received_total").Last(math.Inf(1)); !math.IsNaN(v) {
			s.Received = v
		}
		// A service in gRPC mode receives its calls over gRPC and counts them apart.
		if v := readingSeries(run, name, "grpc_requests_received_total").Last(math.Inf(1)); !math.IsNaN(v) {
			s.Received = max(s.Received, 0) + v
		}
		s.Leaks, s.LeakChecked = leaks(run, name)
		out[name] = s
	}
}
