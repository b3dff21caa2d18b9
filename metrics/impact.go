package metrics

import (
	"math"
	"sort"
	"time"

	"github.com/gauntletbench/gauntlet/chaos/faultkind"
)

// Recovery says when a system counts as recovered from a fault: error rate
// and p99 back within tolerance of the window before the fault, and staying
// there for Hold seconds.
type Recovery struct {
	// HoldS is how long the figures must stay within tolerance.
	HoldS float64 `json:"hold_s"`
	// P99Tolerance is the allowed relative rise of p99 over the before-window
	// (0.5 = 50 %); P99FloorMs is an absolute allowance added to it so that
	// sub-millisecond baselines are not judged on noise.
	P99Tolerance float64 `json:"p99_tolerance"`
	P99FloorMs   float64 `json:"p99_floor_ms"`
	// ErrorRateTolerance is the allowed rise of the error rate, absolute
	// (0.01 = one percentage point).
	ErrorRateTolerance float64 `json:"error_rate_tolerance"`
	// BeforeS is the length of the before-window.
	BeforeS float64 `json:"before_s"`
}

// DefaultRecovery is used when a scenario sets no recovery block.
var DefaultRecovery = Recovery{HoldS: 3, P99Tolerance: 0.5, P99FloorMs: 10, ErrorRateTolerance: 0.01, BeforeS: 10}

// faultSpan is one fault's real time in a run, from its events.
type faultSpan struct {
	Name, Kind, Target string
	Injected, Reverted float64 // seconds since load start; Reverted = Injected for instant faults
	Error              string
}

// faultSpans pairs a run's fault events by name, in order of injection. A
// fault never reverted (the run ended first) ends at the run's end.
func faultSpans(run *Run, end float64) []faultSpan {
	var spans []faultSpan
	open := map[string]int{}
	for _, ev := range run.Faults {
		switch ev.Event {
		case "injected", "inject_failed":
			spans = append(spans, faultSpan{Name: ev.Name, Kind: ev.Kind, Target: ev.Target,
				Injected: ev.T, Reverted: math.NaN(), Error: ev.Error})
			open[ev.Name] = len(spans) - 1
		case "reverted", "revert_failed":
			if i, ok := open[ev.Name]; ok {
				spans[i].Reverted = ev.T
				if ev.Error != "" {
					spans[i].Error = ev.Error
				}
				delete(open, ev.Name)
			}
		}
	}
	for i := range spans {
		switch {
		case InstantFault(spans[i].Kind):
			// Its revert (making sure the service runs again) comes at the
			// end of the run; the fault itself is a moment.
			spans[i].Reverted = spans[i].Injected
		case math.IsNaN(spans[i].Reverted):
			spans[i].Reverted = max(end, spans[i].Injected)
		}
	}
	sort.SliceStable(spans, func(a, b int) bool { return spans[a].Injected < spans[b].Injected })
	return spans
}

// InstantFault reports whether a fault kind acts in a moment (kill,
// restart, terminate) rather than over a window.
func InstantFault(kind string) bool {
	k, _ := faultkind.Lookup(kind)
	return k.Instant
}

// second is one interval's figures merged across request names. Its
// latencies are kept as the figures the summary reads, not as histograms,
// so that a run's seconds hold a few hundred bytes each however long it
// ran; windows over seconds get their histograms merged as the seconds are
// read (see measuredSeconds).
type second struct {
	requests, errors int64
	classes          map[string]int64
	// latN counts the second's latencies; latP99 and lagP99 are its p99
	// latency and schedule lag.
	latN           int64
	latP99, lagP99 time.Duration
	// slots merges the lines' slots: counts add up, and a slot's p99 is the
	// highest of its lines' (every request's p99 must be within tolerance).
	// partial is set when some line had no slots.
	slots   [slotsPerInterval]slotFigures
	partial bool
}

type slotFigures struct{ requests, errors, p99Us int64 }

func (s *second) addSlots(sl *Slots) {
	if sl == nil || sl.Ms != int(SlotLength/time.Millisecond) || len(sl.Requests) != slotsPerInterval || len(sl.Errors) != slotsPerInterval || len(sl.P99Us) != slotsPerInterval {
		s.partial = true
		return
	}
	for i := range s.slots {
		f := &s.slots[i]
		f.requests += sl.Requests[i]
		f.errors += sl.Errors[i]
		if sl.Requests[i] > 0 {
			f.p99Us = max(f.p99Us, sl.P99Us[i])
		}
	}
}

// faultImpacts measures what each fault of a run did: the windows before, during
// and after it, the requests that failed during it, and the time to
// recover. Windows are made of whole intervals (an interval belongs to a
// window when its middle falls inside it); time to recover is resolved to
// SlotLength where the record has slots.
func faultImpacts(h *Header, run *Run, rc Recovery) ([]FaultImpact, error) {
	out, _, _, err := measureRun(h, run, rc)
	return out, err
}

// measureRun reads a run's measured seconds once: into the figures of each
// second, and into the windows of its faults' impacts, which it returns
// with the seconds and the latest second seen.
func measureRun(h *Header, run *Run, rc Recovery) ([]FaultImpact, map[int]*second, int, error) {
	from, to := MeasuredWindow(h, run)
	spans := faultSpans(run, to)
	out := make([]FaultImpact, len(spans))
	// next is when each fault's after-window ends: at the next fault or
	// the measured window's end.
	next := make([]float64, len(spans))
	var wins []*windowSum
	for i, sp := range spans {
		next[i] = to
		if i+1 < len(spans) {
			next[i] = min(to, spans[i+1].Injected)
		}
		prevEnd := from
		if i > 0 {
			prevEnd = max(prevEnd, spans[i-1].Reverted)
		}
		out[i] = FaultImpact{Name: sp.Name, Kind: sp.Kind, Target: sp.Target, InjectedAt: sp.Injected,
			RevertedAt: sp.Reverted, Error: sp.Error}
		wins = append(wins, newWindowSum(&out[i].Before, max(prevEnd, sp.Injected-rc.BeforeS), sp.Injected),
			newWindowSum(&out[i].During, sp.Injected, sp.Reverted), newWindowSum(&out[i].After, sp.Reverted, next[i]))
	}
	secs, last, err := measuredSeconds(h, run, wins)
	if err != nil {
		return nil, nil, 0, err
	}
	for _, w := range wins {
		w.finish()
	}
	for i, sp := range spans {
		fi := &out[i]
		fi.Failed, fi.FailedByClass = fi.During.Errors, fi.During.ErrorsByClass
		if sp.Reverted == sp.Injected {
			// An instant fault (kill, restart) does its damage afterwards.
			fi.Failed, fi.FailedByClass = fi.After.Errors, fi.After.ErrorsByClass
		}
		// Recovery must show before the next fault starts.
		fi.TimeToRecoverMs = timeToRecover(secs, fi.Before, sp.Reverted, min(float64(last+1), next[i]), rc)
		if sp.Kind == "terminate" {
			fi.Shutdown = shutdownImpact(run, sp.Name, sp.Injected)
		}
	}
	if len(out) == 0 {
		out = nil
	}
	return out, secs, last, nil
}

// measuredSeconds merges a run's interval lines by second, leaving out
// warm-up and idle stages, and adds each second to the windows wins whose
// span holds its middle; last is the latest second seen. One second's
// histograms are decoded at a time.
func measuredSeconds(h *Header, run *Run, wins []*windowSum) (map[int]*second, int, error) {
	byT := map[int][]int{}
	var ts []int
	for i := range run.Intervals {
		iv := &run.Intervals[i]
		if !Measured(h.Stages, iv.Stage) {
			continue
		}
		if byT[iv.T] == nil {
			ts = append(ts, iv.T)
		}
		byT[iv.T] = append(byT[iv.T], i)
	}
	sort.Ints(ts)
	secs := make(map[int]*second, len(ts))
	lat, lag := NewHistogram(), NewHistogram()
	last := 0
	for _, t := range ts {
		s := &second{classes: map[string]int64{}}
		lat.Reset()
		lag.Reset()
		for _, i := range byT[t] {
			iv := &run.Intervals[i]
			s.requests += iv.Requests
			s.errors += iv.Errors
			for k, v := range iv.Classes {
				s.classes[k] += v
			}
			s.addSlots(iv.Slots)
			if err := lat.MergeEncoded(iv.Latency); err != nil {
				return nil, 0, err
			}
			if err := lag.MergeEncoded(iv.Lag); err != nil {
				return nil, 0, err
			}
		}
		s.latN, s.latP99, s.lagP99 = lat.Count(), lat.Quantile(0.99), lag.Quantile(0.99)
		for _, w := range wins {
			w.add(t, s, lat)
		}
		secs[t] = s
		last = max(last, t)
	}
	return secs, last, nil
}

// windowSum adds up the seconds whose middle falls in [from, to) into the
// Window at w.
type windowSum struct {
	w   *Window
	lat *Histogram
}

func newWindowSum(w *Window, from, to float64) *windowSum {
	*w = Window{FromS: from, ToS: to}
	return &windowSum{w: w, lat: NewHistogram()}
}

// add adds second t, its figures s and latencies lat, if it is inside.
func (ws *windowSum) add(t int, s *second, lat *Histogram) {
	w := ws.w
	if mid := float64(t) + 0.5; mid < w.FromS || mid >= w.ToS {
		return
	}
	w.Requests += s.requests
	w.Errors += s.errors
	w.ErrorsByClass = addCounts(w.ErrorsByClass, s.classes)
	ws.lat.Merge(lat)
}

// finish computes the window's rates and percentiles.
func (ws *windowSum) finish() {
	w := ws.w
	w.ErrorRate = ratio(w.Errors, w.Requests)
	w.RPS = perSecond(w.Requests, w.ToS-w.FromS)
	w.Latency = percentiles(ws.lat)
}

// timeToRecover returns the milliseconds from the fault's end until error
// rate and p99 are back within tolerance of before and stay there: the first
// whole second from which HoldS seconds are within tolerance (judged on each
// second's whole histogram, so a stray slow request does not count), moved
// back to the earliest slot (SlotLength) of the second before it from which
// every slot is within tolerance too. Records without slots are resolved to
// whole seconds. nil if no recovery is seen before end.
func timeToRecover(secs map[int]*second, before Window, from, end float64, rc Recovery) *float64 {
	if before.Requests == 0 {
		return nil
	}
	p99Limit := before.Latency.P99*(1+rc.P99Tolerance) + rc.P99FloorMs
	errLimit := before.ErrorRate + rc.ErrorRateTolerance
	ok := func(t int) bool {
		s := secs[t]
		if s == nil || s.requests == 0 {
			return false
		}
		return ratio(s.errors, s.requests) <= errLimit && ms(s.latP99) <= p99Limit
	}
	hold := int(math.Ceil(rc.HoldS))
	for t := int(math.Floor(from)); float64(t+hold) <= end; t++ {
		good := true
		for k := 0; k < hold && good; k++ {
			good = ok(t + k)
		}
		if good {
			at := recoveredSince(secs, t, from, p99Limit, errLimit)
			v := math.Round(max(0, (at-from)*1000))
			return &v
		}
	}
	return nil
}

// recoveredSince walks back from whole second t through the slots of the
// second before it, no earlier than from, and returns (in seconds) the start
// of the earliest slot from which every slot up to t is within the limits;
// slots without requests neither break that run nor start it. It returns t
// when that second has no slots.
func recoveredSince(secs map[int]*second, t int, from, p99Limit, errLimit float64) float64 {
	s := secs[t-1]
	if s == nil || s.partial {
		return float64(t)
	}
	at := t * slotsPerInterval
	lo := max(int(math.Floor(from*float64(slotsPerInterval))), (t-1)*slotsPerInterval)
	for g := t*slotsPerInterval - 1; g >= lo; g-- {
		f := s.slots[g-(t-1)*slotsPerInterval]
		if f.requests == 0 {
			continue
		}
		if ratio(f.errors, f.requests) > errLimit || float64(f.p99Us)/1000 > p99Limit {
			break
		}
		at = g
	}
	return float64(at) / float64(slotsPerInterval)
}
