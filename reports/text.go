// Package reports renders run summaries for people and machines. Every
// renderer is pure: the same summary always gives the same bytes.
package reports

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/gauntletbench/gauntlet/metrics"
)

// Text writes the terminal summary of s: verdict, then per run the request
// counts, latency percentiles (from the intended send time), service time,
// schedule lag, per-request figures, services, thresholds and warnings.
func Text(w io.Writer, s *metrics.Summary) error {
	ew := &errWriter{w: w}
	ew.printf("gauntlet · %s · run %s%s\n", s.Scenario, s.RunID, distributed(s))
	ew.printf("verdict: %s\n", strings.ToUpper(s.Verdict))
	if s.CPUSets != nil {
		ew.printf("cpu sets: %s\n", s.CPUSets)
	}
	for i := range s.Runs {
		textRun(ew, &s.Runs[i])
	}
	if err := textHeadline(ew, s); err != nil {
		return err
	}
	if err := textStages(ew, s); err != nil {
		return err
	}
	if s.Record != "" {
		ew.printf("\nrecord: %s\n", s.Record)
	}
	return ew.err
}

func textRun(ew *errWriter, r *metrics.RunSummary) {
	if r.Search != nil {
		textSearch(ew, r)
	} else {
		textLoad(ew, r)
	}
	textOutcome(ew, r)
}

// textSearch leads a capacity search with the rate it found and the SLO it
// held, then one line per probe: figures pooled over probes of different
// rates describe no load that ran, so none are shown.
func textSearch(ew *errWriter, r *metrics.RunSummary) {
	ew.printf("\n── %s · %s · capacity search · %.1f s measured\n", r.Variant, r.Status, r.DurationS)
	for _, l := range strings.SplitAfter(strings.TrimSuffix(metrics.FormatSearch(r.Search), "\n"), "\n") {
		ew.printf("   %s", l)
	}
	ew.printf("\n")
}

// textLoad is the header and latency tables of a run's load as one whole.
func textLoad(ew *errWriter, r *metrics.RunSummary) {
	ew.printf("\n── %s · %s · %.1f s measured · %.1f req/s%s", r.Variant, r.Status, r.DurationS, r.RPS, plannedText(r))
	ew.printf("\n   requests %d · errors %d (%s) · dropped %d\n", r.Requests, r.Errors, pct(r.ErrorRate), r.Dropped)
	if r.Client != "" {
		ew.printf("   client %s\n", r.Client)
	}

	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "   ms\tp50\tp90\tp99\tp99.9\tmax\tmean\t")
	for _, row := range []struct {
		name string
		p    metrics.Percentiles
	}{{"latency", r.Latency}, {"service time", r.ServiceTime}, {"schedule lag", r.ScheduleLag}} {
		fmt.Fprintf(tw, "   %s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", row.name, num(row.p.P50), num(row.p.P90),
			num(row.p.P99), num(row.p.P999), num(row.p.Max), num(row.p.Mean))
	}
	tw.Flush()

	if len(r.ByRequest) > 0 {
		ew.printf("\n")
		tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "   request\trequests\treq/s\terrors\tp50 ms\tp99 ms\tp99.9 ms\tmax ms\t")
		for _, q := range r.ByRequest {
			fmt.Fprintf(tw, "   %s\t%d\t%.1f\t%s\t%s\t%s\t%s\t%s\t\n", q.Name, q.Requests, q.RPS, pct(q.ErrorRate),
				num(q.Latency.P50), num(q.Latency.P99), num(q.Latency.P999), num(q.Latency.Max))
		}
		tw.Flush()
	}
}

// textOutcome is what a run's status codes, services, faults, thresholds
// and warnings were.
func textOutcome(ew *errWriter, r *metrics.RunSummary) {
	ew.printf("\n   status codes: %s\n", counts(r.StatusCodes))
	if len(r.ErrorsByClass) > 0 {
		ew.printf("   errors: %s\n", counts(r.ErrorsByClass))
	}
	for _, name := range sortedKeys(r.Services) {
		sv := r.Services[name]
		ew.printf("   service %s: ready in %s ms (pid %d)", name, num(sv.StartupMs), sv.PID)
		if sv.RSSPeakBytes > 0 {
			ew.printf(", RSS %.1f → %.1f MB, CPU %s ms per 1k requests, %.0f threads",
				sv.RSSIdleBytes/1e6, sv.RSSPeakBytes/1e6, num(sv.CPUMsPer1kRequests), sv.ThreadsPeak)
		}
		if sv.Tagged > 0 && sv.Received > 0 {
			ew.printf(", tagged %.0f of %.0f requests (%s)", sv.Tagged, sv.Received, pct(sv.Tagged/sv.Received))
		}
		for _, f := range sv.KilledBy {
			ew.printf(", killed by fault %s", f)
		}
		if sv.Restarts > 0 {
			ew.printf(", restarted %d×", sv.Restarts)
		}
		if sv.ExitedUnexpectedly {
			ew.printf(", exited unexpectedly: %s", sv.ExitMessage)
		}
		for _, l := range sv.Leaks {
			ew.printf(", LEAK %s", leakText(l))
		}
		if sv.LeakChecked && len(sv.Leaks) == 0 {
			ew.printf(", no leaks")
		}
		ew.printf("\n")
	}
	for _, f := range r.Faults {
		target := ""
		if f.Target != "" {
			target = " on " + f.Target
		}
		if f.RevertedAt > f.InjectedAt {
			ew.printf("   fault %s (%s%s) %.1f–%.1f s: p99 %s → %s → %s ms (before → during → after), failed %d",
				f.Name, f.Kind, target, f.InjectedAt, f.RevertedAt,
				num(f.Before.Latency.P99), num(f.During.Latency.P99), num(f.After.Latency.P99), f.Failed)
		} else {
			ew.printf("   fault %s (%s%s) at %.1f s: p99 %s → %s ms (before → after), failed %d",
				f.Name, f.Kind, target, f.InjectedAt, num(f.Before.Latency.P99), num(f.After.Latency.P99), f.Failed)
		}
		if len(f.FailedByClass) > 0 {
			ew.printf(" (%s)", counts(f.FailedByClass))
		}
		if f.TimeToRecoverMs != nil {
			ew.printf(", recovered in %s ms", num(*f.TimeToRecoverMs))
		} else {
			ew.printf(", no recovery seen before the next fault or the end")
		}
		if f.Error != "" {
			ew.printf(" — %s", f.Error)
		}
		ew.printf("\n")
		if sd := f.Shutdown; sd != nil {
			ew.printf("     shutdown: %s\n", shutdownText(sd))
		}
		for _, h := range faultHopsWorthShowing(f.Hops) {
			ew.printf("     %s %s\n", faultHopLead(f), faultHopText(h))
		}
	}
	for _, h := range r.Hops {
		ew.printf("   %s\n", hopText(h))
	}
	textSpikes(ew, r)
	if len(r.Thresholds) > 0 {
		ew.printf("   thresholds:\n")
		for _, t := range r.Thresholds {
			mark := "✓"
			if !t.Pass {
				mark = "✗"
			}
			scope := ""
			if t.Request != "" {
				scope = " [" + t.Request + "]"
			}
			got := FormatValue(t.Value, t.Unit)
			if t.Error != "" {
				got = t.Error
			}
			ew.printf("     %s %s%s: %s\n", mark, t.Expr, scope, got)
		}
	}
	for _, wmsg := range r.Warnings {
		ew.printf("   ! %s\n", wmsg)
	}
	for _, note := range r.Notes {
		ew.printf("   · %s\n", note)
	}
}

// maxTextSpikes caps the spike lines the terminal prints; JSON and HTML
// list every spike.
const maxTextSpikes = 8

func textSpikes(ew *errWriter, r *metrics.RunSummary) {
	groups := spikeGroups(r.Spikes)
	if len(groups) == 0 {
		return
	}
	ew.printf("   latency spikes (seconds whose p99 stood far above the typical %s ms):\n", num(r.TypicalP99Ms))
	for i, g := range groups {
		if i == maxTextSpikes {
			ew.printf("     … and %d more (see the JSON or HTML report)\n", len(groups)-i)
			break
		}
		ew.printf("     %s  p99 %s ms: %s\n", g.when(), num(g.PeakMs), strings.Join(g.Causes, "; "))
	}
}

// spikeGroup is a run of consecutive spike seconds with the same causes.
type spikeGroup struct {
	From, To float64 // seconds; To is the last second's start
	PeakMs   float64
	peakT    float64 // the start of the second of the peak
	Causes   []string
}

// when is the group's span of time, e.g. "11–17 s" for seconds 11 to 16.
func (g spikeGroup) when() string {
	return fmt.Sprintf("%.0f–%.0f s", g.From, g.To+1)
}

// spikeGroups folds consecutive spike seconds with the same causes into one.
func spikeGroups(spikes []metrics.Spike) []spikeGroup {
	var out []spikeGroup
	for _, sp := range spikes {
		if n := len(out); n > 0 && sp.T == out[n-1].To+1 && slices.Equal(sp.Causes, out[n-1].Causes) {
			out[n-1].To = sp.T
			if sp.P99Ms > out[n-1].PeakMs {
				out[n-1].PeakMs, out[n-1].peakT = sp.P99Ms, sp.T
			}
			continue
		}
		out = append(out, spikeGroup{From: sp.T, To: sp.T, PeakMs: sp.P99Ms, peakT: sp.T, Causes: sp.Causes})
	}
	return out
}

// FormatValue renders a measured threshold value in its unit.
func FormatValue(v float64, unit string) string {
	switch unit {
	case "ms":
		return num(v) + " ms"
	case "ratio":
		return pct(v)
	case "req/s":
		return strconv.FormatFloat(v, 'f', 1, 64) + " req/s"
	case "requests":
		return strconv.FormatFloat(v, 'f', 0, 64) + " requests"
	case "factor":
		return factor(v)
	}
	return strconv.FormatFloat(v, 'g', 6, 64) + " " + unit
}

// num prints a millisecond figure with precision that fits its size.
func num(v float64) string {
	switch {
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func pct(r float64) string { return strconv.FormatFloat(r*100, 'f', 2, 64) + "%" }

func counts(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+strconv.FormatInt(m[k], 10))
	}
	return strings.Join(parts, " ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// errWriter keeps the first write error so rendering code stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }

// distributed says when a summary covers one segment of a distributed run
// or several generators' merged records.
func distributed(s *metrics.Summary) string {
	switch {
	case s.Segment != nil:
		return " · segment " + s.Segment.String()
	case s.Generators > 1:
		return fmt.Sprintf(" · %d generators merged", s.Generators)
	}
	return ""
}

// shutdownText says how a service shut down after a terminate fault.
func shutdownText(sd *metrics.ShutdownImpact) string {
	s := fmt.Sprintf("%d requests in flight at SIGTERM, %d failed", sd.InFlight, sd.Failed)
	if len(sd.FailedByClass) > 0 {
		s += " (" + counts(sd.FailedByClass) + ")"
	}
	s += fmt.Sprintf("; after it %d refused, %d reset", sd.Refused, sd.Reset)
	switch {
	case sd.ExitMs == nil:
		s += "; still running at the end of the run"
	case sd.ExitSignal != "":
		s += fmt.Sprintf("; ended by signal (%s) after %s ms", sd.ExitSignal, num(*sd.ExitMs))
	default:
		s += fmt.Sprintf("; exited %d after %s ms", *sd.ExitCode, num(*sd.ExitMs))
	}
	return s
}

// plannedText sets a run's rate against its plan: " of 250.0 planned" when
// every measured stage has a planned rate, " (open stages 248.7 of 250.0
// planned)" when some (closed) stages have none, so that an achieved rate
// is only ever set against the plan of the same stages; "" without a plan.
func plannedText(r *metrics.RunSummary) string {
	if r.PlannedRPS <= 0 {
		return ""
	}
	planned := strconv.FormatFloat(r.PlannedRPS, 'f', 1, 64)
	if unplannedStages(r) {
		return " (open stages " + strconv.FormatFloat(r.PlanAchievedRPS, 'f', 1, 64) + " of " + planned + " planned)"
	}
	return " of " + planned + " planned"
}

// unplannedStages reports whether a run measured stages without a planned
// rate (closed stages) besides those with one.
func unplannedStages(r *metrics.RunSummary) bool {
	for _, st := range r.Stages {
		if !st.Warmup && st.Kind == "closed" {
			return true
		}
	}
	return false
}

// leakText gives a leaking resource's figures: idle before the load → start and end of the
// settle period after it.
func leakText(l metrics.Leak) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
	if l.Resource == "rss_bytes" {
		f = func(v float64) string { return strconv.FormatFloat(v/1e6, 'f', 1, 64) + " MB" }
	}
	return fmt.Sprintf("%s: %s idle → %s → %s after the load (limit %s)", l.Resource, f(l.Idle), f(l.Start), f(l.End), f(l.Limit))
}
