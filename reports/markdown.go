package reports

import (
	"io"
	"strconv"
	"strings"

	"github.com/gauntletbench/gauntlet/metrics"
)

// maxMarkdownWarnings caps the warnings listed, so the comment stays short.
const maxMarkdownWarnings = 8

// Markdown writes a summary of s sized for a pull-request comment: the
// verdict, one table row per run, every threshold with its measured value,
// and the warnings. It stays well under 60 lines for a few runs.
func Markdown(w io.Writer, s *metrics.Summary) error {
	ew := &errWriter{w: w}
	icon := map[string]string{metrics.VerdictPass: "✅", metrics.VerdictFail: "❌", metrics.VerdictInterrupted: "⚠️"}[s.Verdict]
	ew.printf("### %s gauntlet · %s · %s\n\n", icon, mdEscape(s.Scenario), strings.ToUpper(s.Verdict))
	ew.printf("%s\n\n", headline(s))
	if s.CPUSets != nil {
		ew.printf("CPU sets: %s.\n\n", s.CPUSets)
	}

	loads := 0
	for _, r := range s.Runs {
		if r.Search != nil {
			mdSearch(ew, &r)
		} else {
			loads++
		}
	}
	if loads > 0 {
		mdLoads(ew, s)
	}

	if t := thresholds(s); t != nil {
		ew.printf("\n| threshold |")
		for _, v := range t.Variants {
			ew.printf(" %s |", mdEscape(v))
		}
		ew.printf("\n|---|%s\n", strings.Repeat("---|", len(t.Variants)))
		for _, row := range t.Rows {
			ew.printf("| `%s` |", row.Expr)
			for _, c := range row.Cells {
				switch {
				case !c.Present:
					ew.printf(" — |")
				case c.Pass:
					ew.printf(" ✅ %s |", mdEscape(c.Measured))
				default:
					ew.printf(" ❌ %s |", mdEscape(c.Measured))
				}
			}
			ew.printf("\n")
		}
	}

	markdownSpikes(ew, s)

	if ws := allWarnings(s); len(ws) > 0 {
		ew.printf("\n**Warnings**\n\n")
		for i, wmsg := range ws {
			if i == maxMarkdownWarnings {
				ew.printf("- … and %d more (see the HTML report)\n", len(ws)-i)
				break
			}
			ew.printf("- ⚠️ %s\n", mdEscape(wmsg))
		}
	}
	ew.printf("\n<sub>run %s · gauntlet %s", mdEscape(s.RunID), mdEscape(s.GauntletVersion))
	if s.Record != "" {
		ew.printf(" · record `%s`", s.Record)
	}
	ew.printf("</sub>\n")
	return ew.err
}

// markdownSpikes lists the latency spikes of every run with what coincided
// (consecutive seconds with the same causes as one), up to
// maxMarkdownWarnings lines in all.
func markdownSpikes(ew *errWriter, s *metrics.Summary) {
	n, shown := 0, 0
	for _, r := range s.Runs {
		n += len(spikeGroups(r.Spikes))
	}
	if n == 0 {
		return
	}
	ew.printf("\n**Latency spikes** (seconds whose p99 stood far above the run's typical p99)\n\n")
	for _, r := range s.Runs {
		for _, g := range spikeGroups(r.Spikes) {
			if shown == maxMarkdownWarnings {
				ew.printf("- … and %d more (see the HTML report)\n", n-shown)
				return
			}
			ew.printf("- %s %s: p99 %s (typical %s) — %s\n", mdEscape(r.Variant), g.when(), ms(g.PeakMs), ms(r.TypicalP99Ms),
				mdEscape(strings.Join(g.Causes, "; ")))
			shown++
		}
	}
}

// mdLoads is one table row per run that is not a capacity search.
func mdLoads(ew *errWriter, s *metrics.Summary) {
	ew.printf("| run | status | req/s | p50 | p90 | p99 | p99.9 | max | errors |\n")
	ew.printf("|---|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range s.Runs {
		if r.Search != nil {
			continue
		}
		rps := strconv.FormatFloat(r.RPS, 'f', 1, 64)
		switch {
		case r.PlannedRPS > 0 && unplannedStages(&r):
			rps += " (open stages " + strconv.FormatFloat(r.PlanAchievedRPS, 'f', 1, 64) + " / " + strconv.FormatFloat(r.PlannedRPS, 'f', 0, 64) + ")"
		case r.PlannedRPS > 0:
			rps += " / " + strconv.FormatFloat(r.PlannedRPS, 'f', 0, 64)
		}
		ew.printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", mdEscape(r.Variant), r.Status, rps,
			ms(r.Latency.P50), ms(r.Latency.P90), ms(r.Latency.P99), ms(r.Latency.P999), ms(r.Latency.Max), pct(r.ErrorRate))
	}
	ew.printf("\nLatency from the intended send time; req/s achieved / planned.\n")
}

// mdSearch leads a capacity search with the rate found, then its probes.
func mdSearch(ew *errWriter, r *metrics.RunSummary) {
	sr := r.Search
	ew.printf("**%s: %s**\n\n", mdEscape(r.Variant), mdEscape(sr.Headline()))
	ew.printf("| probe | offered req/s | achieved req/s | p50 | p99 | errors | pass |\n")
	ew.printf("|--:|--:|--:|--:|--:|--:|---|\n")
	for i, p := range sr.Probes {
		mark := "✅"
		if !p.Pass {
			mark = "❌"
		}
		if p.Note != "" {
			mark += " " + mdEscape(p.Note)
		}
		ew.printf("| %d | %.0f | %.1f | %s | %s | %s | %s |\n", i+1, p.OfferedRPS, p.AchievedRPS, ms(p.P50Ms), ms(p.P99Ms), pct(p.ErrorRate), mark)
	}
	ew.printf("\n")
}

func ms(v float64) string { return num(v) + " ms" }

// mdEscape keeps table cells intact: pipes and newlines would break a row.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}
