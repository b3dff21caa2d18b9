package reports

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gauntletbench/gauntlet/metrics"
)

// hopName is how a hop is named in every report: "order → payment".
func hopName(h metrics.Hop) string { return h.Caller + " → " + h.Dependency }

// factor formats a retry amplification: "1.05×".
func factor(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + "×" }

// hopText is one hop's figures over the whole load, for the terminal and Markdown.
func hopText(h metrics.Hop) string {
	var b strings.Builder
	fmt.Fprintf(&b, "hop %s: %.0f calls, %.0f attempts", hopName(h), h.Calls, h.Attempts)
	if h.Received != nil {
		fmt.Fprintf(&b, " (its proxy read %.0f)", *h.Received)
	}
	if h.Calls > 0 {
		fmt.Fprintf(&b, " (retry amplification %s)", factor(h.RetryAmplification))
	}
	b.WriteString(", " + breakerText(h))
	if w := openSpansText(h.BreakerOpen); w != "" {
		b.WriteString(" " + w)
	}
	if h.TimeoutsHeld != nil {
		held := "held"
		if !*h.TimeoutsHeld {
			held = "NOT HELD"
		}
		fmt.Fprintf(&b, ", slowest attempt %s ms of a %s ms timeout (%s)", num(h.AttemptMaxMs), num(h.TimeoutMs), held)
	}
	return b.String()
}

// faultHopText is one hop's figures over a fault and what followed it.
func faultHopText(h metrics.Hop) string {
	s := fmt.Sprintf("%s: %.0f calls, %.0f attempts", hopName(h), h.Calls, h.Attempts)
	if h.Calls > 0 {
		s += " (" + factor(h.RetryAmplification) + ")"
	}
	return s + ", " + breakerText(h)
}

// faultHopLead says which span a fault's hop figures cover.
func faultHopLead(f metrics.FaultImpact) string {
	if f.RevertedAt > f.InjectedAt {
		return "during it:"
	}
	return "from it on:"
}

// breakerText says whether and how long the hop's breaker refused calls.
func breakerText(h metrics.Hop) string {
	open := strconv.FormatFloat(h.BreakerOpenS, 'f', 2, 64)
	switch {
	case h.BreakerOpened == 0 && h.BreakerOpenS == 0:
		return "breaker stayed closed"
	case h.BreakerOpened == 0:
		return "breaker, open from before, refused calls for " + open + " s"
	}
	return fmt.Sprintf("breaker opened %.0f× and refused calls for %s s", h.BreakerOpened, open)
}

// openSpansText says when a breaker refused calls, as fine as the scrapes.
func openSpansText(spans []metrics.Span) string {
	if len(spans) == 0 {
		return ""
	}
	parts := make([]string, len(spans))
	for i, s := range spans {
		parts[i] = strconv.FormatFloat(s.FromS, 'f', 1, 64) + "–" + strconv.FormatFloat(s.ToS, 'f', 1, 64)
	}
	return "(within " + strings.Join(parts, ", ") + " s)"
}

// faultHopsWorthShowing are the hops a fault touched: retries, a breaker that opened, or
// calls the breaker spared the dependency.
func faultHopsWorthShowing(hops []metrics.Hop) []metrics.Hop {
	var out []metrics.Hop
	for _, h := range hops {
		if h.BreakerOpenS > 0 || (h.Calls > 0 && h.Attempts != h.Calls) {
			out = append(out, h)
		}
	}
	return out
}

// hopRow is one hop in the HTML report.
type hopRow struct {
	Hop, Calls, Attempts, Received, Amplification, Opened, OpenS, When, Slowest, Timeout, Held string
	Broken                                                                                     bool
}

func hopRows(hops []metrics.Hop) []hopRow {
	var out []hopRow
	for _, h := range hops {
		r := hopRow{Hop: hopName(h), Calls: strconv.FormatFloat(h.Calls, 'f', 0, 64),
			Attempts: strconv.FormatFloat(h.Attempts, 'f', 0, 64), Amplification: "—",
			Opened: strconv.FormatFloat(h.BreakerOpened, 'f', 0, 64), OpenS: strconv.FormatFloat(h.BreakerOpenS, 'f', 2, 64) + " s",
			When:    strings.TrimSuffix(strings.TrimPrefix(openSpansText(h.BreakerOpen), "(within "), ")"),
			Slowest: "—", Timeout: "—", Held: "—", Received: "—"}
		if h.Received != nil {
			r.Received = strconv.FormatFloat(*h.Received, 'f', 0, 64)
		}
		if h.Calls > 0 {
			r.Amplification = factor(h.RetryAmplification)
		}
		if h.TimeoutsHeld != nil {
			r.Slowest, r.Timeout, r.Held = num(h.AttemptMaxMs)+" ms", num(h.TimeoutMs)+" ms", "yes"
			if !*h.TimeoutsHeld {
				r.Held, r.Broken = "no", true
			}
		}
		out = append(out, r)
	}
	return out
}

// faultHopRow is one hop over one fault in the HTML report.
type faultHopRow struct {
	Fault, Hop, Calls, Attempts, Amplification, Opened, OpenS string
}

func faultHopRows(faults []metrics.FaultImpact) []faultHopRow {
	var out []faultHopRow
	for _, f := range faults {
		for _, r := range hopRows(faultHopsWorthShowing(f.Hops)) {
			out = append(out, faultHopRow{Fault: f.Name, Hop: r.Hop, Calls: r.Calls, Attempts: r.Attempts,
				Amplification: r.Amplification, Opened: r.Opened, OpenS: r.OpenS})
		}
	}
	return out
}

// hopNames lists the hops of runs, in the order they first appear.
func hopNames(runs []*metrics.RunSummary) []string {
	var out []string
	seen := map[string]bool{}
	for _, rs := range runs {
		for _, h := range rs.Hops {
			if n := hopName(h); !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}

// hopFigure returns a figure of the hop named name in rs.
func hopFigure(name string, f func(metrics.Hop) (float64, bool)) func(*metrics.RunSummary) (float64, bool) {
	return func(rs *metrics.RunSummary) (float64, bool) {
		for _, h := range rs.Hops {
			if hopName(h) == name {
				return f(h)
			}
		}
		return 0, false
	}
}
