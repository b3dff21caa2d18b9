package reports

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// Series is one run's load over time, one point per record interval, merged
// across request names and stages. Warm-up intervals are included; WarmupEndS
// says where the measured window starts so charts can shade what came before.
type Series struct {
	Variant string `json:"variant"`
	// IntervalS is the width of one point in seconds.
	IntervalS float64 `json:"interval_s"`
	// WarmupEndS is the end of the leading warm-up stages, in seconds from
	// load start; 0 when the plan has no warm-up.
	WarmupEndS float64 `json:"warmup_end_s"`
	Points     []Point `json:"points"`
}

// Point is one interval of a Series. Seconds with no responses at all (a
// stalled target) are present with Requests 0 and HasLatency false, so a gap
// shows as a gap rather than as a line drawn across it.
type Point struct {
	// T is the interval's start in seconds from load start.
	T float64 `json:"t"`
	// Warmup is set when the interval starts before the measured window.
	Warmup     bool    `json:"warmup,omitempty"`
	Requests   int64   `json:"requests"`
	Errors     int64   `json:"errors"`
	Dropped    int64   `json:"dropped,omitempty"`
	RPS        float64 `json:"rps"`
	ErrorsPS   float64 `json:"errors_per_s"`
	HasLatency bool    `json:"has_latency"`
	// Latency percentiles from the intended send time, in milliseconds.
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
	// Classes counts failed requests by error class in this interval.
	Classes map[string]int64 `json:"classes,omitempty"`
}

// DistPoint is one point of a latency distribution: the latency at or below
// which Percentile percent of requests completed.
type DistPoint struct {
	Percentile float64 `json:"percentile"`
	LatencyMs  float64 `json:"latency_ms"`
}

// Distribution is a run's whole latency distribution (from the intended send
// time), warm-up excluded as in the summary, sampled at quantiles spaced
// evenly in log10(1/(1−q)) — the HdrHistogram percentile plot.
type Distribution struct {
	Variant  string      `json:"variant"`
	Requests int64       `json:"requests"`
	Points   []DistPoint `json:"points"`
}

// distStep is the spacing of distribution points in log10(1/(1−q)): 20
// points per "nine".
const distStep = 0.05

// maxNines caps the distribution's x axis at 99.9999%.
const maxNines = 6.0

// RunSeries computes the per-interval series and the whole-run latency
// distribution of one run. Each interval histogram is decoded once; long
// runs are decoded by up to GOMAXPROCS goroutines, each over its own span
// of seconds (histogram merges are exact, so the result does not depend on
// how the work was split).
func RunSeries(h *metrics.Header, run *metrics.Run) (Series, Distribution, error) {
	from, _ := metrics.MeasuredWindow(h, run)
	width := intervalSeconds(h)
	s := Series{Variant: run.Start.Variant, IntervalS: width, WarmupEndS: from, Points: []Point{}}
	d := Distribution{Variant: run.Start.Variant, Points: []DistPoint{}}

	// Group intervals by T without assuming the record is sorted.
	byT := map[int][]*metrics.Interval{}
	for i := range run.Intervals {
		iv := &run.Intervals[i]
		byT[iv.T] = append(byT[iv.T], iv)
	}
	ts := slots(byT)
	s.Points = make([]Point, len(ts))
	workers := 1
	if len(ts) >= 120 {
		workers = min(runtime.GOMAXPROCS(0), 4)
	}
	wholes := make([]*metrics.Histogram, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := len(ts)*w/workers, len(ts)*(w+1)/workers
		wg.Go(func() {
			wholes[w], errs[w] = seriesSpan(h, byT, ts[lo:hi], from, width, s.Points[lo:hi])
		})
	}
	wg.Wait()
	whole := metrics.NewHistogram()
	for w := range workers {
		if errs[w] != nil {
			return s, d, fmt.Errorf("run %q: %w", run.Start.Variant, errs[w])
		}
		whole.Merge(wholes[w])
	}
	d.Requests = whole.Count()
	d.Points = distribution(whole)
	return s, d, nil
}

// slots returns the intervals the series has a point for, in order: every
// one from 0 to the last with lines, except that a run of empty intervals
// longer than two is kept only by its first and last, which draw the same gap
// for a fraction of the memory. A record's claims about time thus cost
// memory by the lines it holds, not by how late their intervals are.
func slots(byT map[int][]*metrics.Interval) []int {
	present := make([]int, 0, len(byT))
	for t := range byT {
		if t >= 0 {
			present = append(present, t)
		}
	}
	sort.Ints(present)
	out := make([]int, 0, len(present))
	prev := -1
	for _, t := range present {
		if t-prev > 3 {
			out = append(out, prev+1, t-1)
		} else {
			for g := prev + 1; g < t; g++ {
				out = append(out, g)
			}
		}
		out = append(out, t)
		prev = t
	}
	return out
}

// seriesSpan fills points with the intervals ts and returns the merged
// latency of their measured (non-warm-up) lines.
func seriesSpan(h *metrics.Header, byT map[int][]*metrics.Interval, ts []int, from, width float64, points []Point) (*metrics.Histogram, error) {
	perT, whole, tmp := metrics.NewHistogram(), metrics.NewHistogram(), metrics.NewHistogram()
	for i, t := range ts {
		p := Point{T: float64(t) * width}
		p.Warmup = p.T < from
		perT.Reset()
		mixed := false // some of this second's lines are warm-up: merge line by line
		for _, iv := range byT[t] {
			mixed = mixed || isWarmup(h, iv.Stage)
		}
		for _, iv := range byT[t] {
			p.Requests += iv.Requests
			p.Errors += iv.Errors
			p.Dropped += iv.Dropped
			for k, v := range iv.Classes {
				if p.Classes == nil {
					p.Classes = map[string]int64{}
				}
				p.Classes[k] += v
			}
			var err error
			if mixed {
				tmp.Reset()
				if err = tmp.MergeEncoded(iv.Latency); err == nil {
					perT.Merge(tmp)
					if !isWarmup(h, iv.Stage) {
						whole.Merge(tmp)
					}
				}
			} else {
				err = perT.MergeEncoded(iv.Latency)
			}
			if err != nil {
				return nil, fmt.Errorf("interval %d %s: %w", iv.T, iv.Request, err)
			}
		}
		if !mixed && perT.Count() > 0 {
			whole.Merge(perT)
		}
		p.RPS = float64(p.Requests) / width
		p.ErrorsPS = float64(p.Errors) / width
		if perT.Count() > 0 {
			p.HasLatency = true
			p.P50, p.P90, p.P99 = msOf(perT.Quantile(0.5)), msOf(perT.Quantile(0.9)), msOf(perT.Quantile(0.99))
			p.Max = msOf(perT.Max())
		}
		points[i] = p
	}
	return whole, nil
}

func isWarmup(h *metrics.Header, stage int) bool {
	return stage < len(h.Stages) && h.Stages[stage].Warmup
}

func intervalSeconds(h *metrics.Header) float64 {
	if h.IntervalMs > 0 {
		return float64(h.IntervalMs) / 1000
	}
	return metrics.IntervalLength.Seconds()
}

// distribution samples h at q = 1 − 10^(−x) for x = 0, distStep, … up to the
// resolution the sample count supports (one request in 10^x), then the max.
func distribution(h *metrics.Histogram) []DistPoint {
	n := h.Count()
	out := []DistPoint{}
	if n == 0 {
		return out
	}
	top := min(math.Log10(float64(n)), maxNines)
	for i := 0; ; i++ {
		x := float64(i) * distStep
		if x > top+1e-9 {
			break
		}
		q := 1 - math.Pow(10, -x)
		if q <= 0 {
			q = 1e-9 // the minimum, as HdrHistogram's 0th percentile
		}
		out = append(out, DistPoint{Percentile: round(q*100, 6), LatencyMs: msOf(h.Quantile(q))})
	}
	out = append(out, DistPoint{Percentile: 100, LatencyMs: msOf(h.Max())})
	return out
}

// ResourceSeries is what the probes saw of one owner (a service, "generator"
// or "host") over time. T is seconds from load start (negative before it).
// A slice is empty when the owner had no such reading.
type ResourceSeries struct {
	Owner string `json:"owner"`
	// RSSMB is resident memory in MB (10^6 bytes) from rss_bytes.
	RSSMB []XY `json:"rss_mb"`
	// CPUCores is CPU used, in cores, the derivative of cpu_seconds_total
	// between consecutive readings (a counter reset, e.g. a restarted
	// process, skips one point).
	CPUCores []XY `json:"cpu_cores"`
	Threads  []XY `json:"threads"`
}

// XY is one reading.
type XY struct {
	T float64 `json:"t"`
	V float64 `json:"v"`
}

// Resources returns one ResourceSeries per owner that reported rss_bytes,
// cpu_seconds_total or threads, ordered by owner name.
func Resources(run *metrics.Run) []ResourceSeries {
	byOwner := map[string]*ResourceSeries{}
	lastCPU := map[string]XY{}
	for _, rd := range run.Readings {
		rs := byOwner[rd.Owner]
		if rs == nil {
			rs = &ResourceSeries{Owner: rd.Owner, RSSMB: []XY{}, CPUCores: []XY{}, Threads: []XY{}}
			byOwner[rd.Owner] = rs
		}
		if v, ok := rd.Values["rss_bytes"]; ok {
			rs.RSSMB = append(rs.RSSMB, XY{rd.T, round(v/1e6, 3)})
		}
		if v, ok := rd.Values["threads"]; ok {
			rs.Threads = append(rs.Threads, XY{rd.T, v})
		}
		if v, ok := rd.Values["cpu_seconds_total"]; ok {
			if prev, seen := lastCPU[rd.Owner]; seen && rd.T > prev.T && v >= prev.V {
				rs.CPUCores = append(rs.CPUCores, XY{rd.T, round((v-prev.V)/(rd.T-prev.T), 4)})
			}
			lastCPU[rd.Owner] = XY{rd.T, v}
		}
	}
	out := []ResourceSeries{}
	for _, name := range sortedKeys(byOwner) {
		rs := byOwner[name]
		if len(rs.RSSMB)+len(rs.CPUCores)+len(rs.Threads) > 0 {
			out = append(out, *rs)
		}
	}
	return out
}

// FaultWindow is one fault's time in effect, paired from its injected and
// reverted events by name. Times are seconds from load start.
type FaultWindow struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Target string `json:"target,omitempty"`
	// Injected is false when the injection failed (see Error).
	Injected  bool    `json:"injected"`
	InjectedS float64 `json:"injected_s"`
	// Reverted is false when no revert was recorded: the fault stayed in
	// effect to the end of the run, or its revert failed (see Error).
	Reverted  bool    `json:"reverted"`
	RevertedS float64 `json:"reverted_s,omitempty"`
	Error     string  `json:"error,omitempty"`
	// RecoveredS is when the run recovered from the fault, from the
	// summary's time to recover; 0 when unknown or never.
	RecoveredS float64 `json:"recovered_s,omitempty"`
}

// withRecovery sets each instant fault's recovery instant from rs.
func withRecovery(fw []FaultWindow, rs *metrics.RunSummary) []FaultWindow {
	if rs == nil {
		return fw
	}
	for i := range fw {
		for _, im := range rs.Faults {
			if im.Name == fw[i].Name && math.Abs(im.InjectedAt-fw[i].InjectedS) <= 0.5 && im.TimeToRecoverMs != nil {
				fw[i].RecoveredS = im.RevertedAt + *im.TimeToRecoverMs/1000
			}
		}
	}
	return fw
}

// Faults pairs a run's fault events into windows, in order of injection.
func Faults(run *metrics.Run) []FaultWindow {
	out := []FaultWindow{}
	open := map[string]int{}
	for _, fe := range run.Faults {
		switch fe.Event {
		case "injected":
			open[fe.Name] = len(out)
			out = append(out, FaultWindow{Name: fe.Name, Kind: fe.Kind, Target: fe.Target, Injected: true, InjectedS: fe.T})
		case "inject_failed":
			out = append(out, FaultWindow{Name: fe.Name, Kind: fe.Kind, Target: fe.Target, InjectedS: fe.T, Error: fe.Error})
		case "reverted", "revert_failed":
			i, ok := open[fe.Name]
			if !ok {
				continue
			}
			if fe.Event == "reverted" {
				out[i].Reverted, out[i].RevertedS = true, fe.T
				delete(open, fe.Name)
			} else {
				out[i].Error = fe.Error
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].InjectedS < out[j].InjectedS })
	return out
}

func msOf(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 6) }

// round keeps figures stable across platforms in golden files.
func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}
