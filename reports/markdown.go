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

	ew.printf("| run | status | req/s | p50 | p90 | p99 | p99.9 | max | errors |\n")
	ew.printf("|---|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range s.Runs {
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

func ms(v float64) string { return num(v) + " ms" }

// mdEscape keeps table cells intact: pipes and newlines would break a row.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}
