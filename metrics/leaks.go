package metrics

import (
	"math"
	"sort"
	"strconv"
)

// NoteSettle marks the end of the load when the run waits a settle period before it
// stops its services (a leak check): T is the end of the load, Text the settle period in
// seconds.
const NoteSettle = "settle"

// Leak is a resource of a service that was not back near its idle level at the end of the
// settle period after the load, and was not falling towards it either.
type Leak struct {
	// Resource is the reading: goroutines, threads, open_fds or rss_bytes.
	Resource string `json:"resource"`
	// Idle is the last reading before the load, Start the first of the settle period, End
	// its last; Limit is Idle plus the tolerance.
	Idle  float64 `json:"idle"`
	Start float64 `json:"settle_start"`
	End   float64 `json:"settle_end"`
	Limit float64 `json:"limit"`
}

// leakTolerance is how far above its idle level a resource may stay after the load: an
// absolute floor (a few goroutines or connections the runtime keeps; the threads a runtime
// started for blocking system calls under load, which Go parks and never ends: a Go
// service idling at 6 threads keeps 9 after a busy run), or a share of idle.
// Counts leak when they end above the limit without falling by more than the tolerance over
// the second half of the settle period (a goroutine blocked forever does not come back, but it does not grow
// without load either);
// RSS only when it is still rising, because allocators keep freed memory.
var leakTolerance = []struct {
	resource string
	floor    float64
	share    float64
	rising   bool
}{
	{"goroutines", 10, 0.2, false},
	{"threads", 8, 0.2, false},
	{"open_fds", 5, 0.2, false},
	{"rss_bytes", 20e6, 0.5, true},
}

// settleWindow returns the settle period of run (from, to in seconds since load start), or
// ok false when the run had none.
func settleWindow(run *Run) (from, to float64, ok bool) {
	for _, n := range run.Notes {
		if n.Kind == NoteSettle {
			s, err := strconv.ParseFloat(n.Text, 64)
			if err != nil {
				return 0, 0, false
			}
			return n.T, n.T + s, true
		}
	}
	return 0, 0, false
}

// leaks checks every resource of owner's readings against the rules of leakTolerance. The
// returned bool is false when the run had no settle period or owner has no idle readings.
func leaks(run *Run, owner string) ([]Leak, bool) {
	from, to, ok := settleWindow(run)
	if !ok {
		return nil, false
	}
	checked := false
	var out []Leak
	for _, tol := range leakTolerance {
		type point struct{ t, v float64 }
		var idle, settle []point
		for _, rd := range run.Readings {
			v, has := rd.Values[tol.resource]
			if rd.Owner != owner || !has || math.IsNaN(v) {
				continue
			}
			switch {
			case rd.T < 0:
				idle = append(idle, point{rd.T, v})
			case rd.T >= from && rd.T <= to+0.5:
				settle = append(settle, point{rd.T, v})
			}
		}
		if len(idle) == 0 || len(settle) < 2 {
			continue
		}
		checked = true
		sort.Slice(idle, func(i, j int) bool { return idle[i].t < idle[j].t })
		sort.Slice(settle, func(i, j int) bool { return settle[i].t < settle[j].t })
		l := Leak{Resource: tol.resource, Idle: idle[len(idle)-1].v, Start: settle[0].v, End: settle[len(settle)-1].v}
		slack := math.Max(tol.floor, tol.share*l.Idle)
		l.Limit = l.Idle + slack
		// Falling is judged over the second half of the settle period: the first seconds
		// after the load often drop as the load's own connections close (a goroutine or a
		// descriptor each), which says nothing about what stays behind.
		mid := settle[0].v
		for _, p := range settle {
			if p.t > (from+to)/2 {
				break
			}
			mid = p.v
		}
		falling := l.End < mid-slack
		rising := l.End > l.Start*1.02
		if l.End > l.Limit && ((tol.rising && rising) || (!tol.rising && !falling)) {
			out = append(out, l)
		}
	}
	return out, checked
}
