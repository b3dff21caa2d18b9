package gates

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteText writes cmp as an aligned table, one line per metric, benchstat
// style: base and current central values, the change, the p-value and the
// verdict, then the warnings.
func WriteText(w io.Writer, cmp *Comparison) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "variant\tmetric\tbase\tcurrent\tchange\tp\tverdict\n")
	for _, r := range cmp.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Variant, rowName(r), FormatValue(r.Base, r.Unit),
			FormatValue(r.Current, r.Unit), changeText(r), pText(r), verdictText(r))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s\n", footer(cmp))
	for _, warn := range cmp.Warnings {
		if err == nil {
			_, err = fmt.Fprintf(w, "warning: %s\n", warn)
		}
	}
	return err
}

// WriteMarkdown writes cmp as a GitHub-flavoured Markdown table, for a pull
// request comment or a job summary.
func WriteMarkdown(w io.Writer, cmp *Comparison) error {
	var b strings.Builder
	b.WriteString("| variant | metric | base | current | change | p | verdict |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|---|\n")
	for _, r := range cmp.Rows {
		v := verdictText(r)
		if r.Verdict != Unchanged {
			v = "**" + v + "**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", mdEscape(r.Variant), mdEscape(rowName(r)),
			FormatValue(r.Base, r.Unit), FormatValue(r.Current, r.Unit), changeText(r), pText(r), v)
	}
	fmt.Fprintf(&b, "\n%s\n", footer(cmp))
	if len(cmp.Warnings) > 0 {
		b.WriteString("\n")
		for _, warn := range cmp.Warnings {
			fmt.Fprintf(&b, "> **Warning:** %s\n>\n", mdEscape(warn))
		}
	}
	_, err := io.WriteString(w, strings.TrimSuffix(b.String(), ">\n"))
	return err
}

func footer(cmp *Comparison) string {
	return fmt.Sprintf("%d baseline vs %d current record(s); Mann–Whitney U, alpha %g; per-interval metrics are medians of per-second values.",
		cmp.BaseRecords, cmp.CurrentRecords, cmp.Alpha)
}

func rowName(r Row) string {
	switch {
	case r.Request != "":
		return r.Metric + " " + r.Request
	case r.Service != "":
		return r.Metric + " " + r.Service
	}
	return r.Metric
}

func verdictText(r Row) string {
	if r.Note != "" {
		return r.Verdict + " (" + r.Note + ")"
	}
	return r.Verdict
}

func changeText(r Row) string {
	if r.Relative {
		if r.Base == 0 {
			return "n/a"
		}
		return signed(r.Change*100, 1) + "%"
	}
	return signed(r.Change*100, 2) + " pts"
}

func pText(r Row) string {
	if r.PValue == nil {
		return "n/a"
	}
	if *r.PValue < 0.001 {
		return "<0.001"
	}
	return strconv.FormatFloat(*r.PValue, 'f', 3, 64)
}

func signed(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if v >= 0 && !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	if strings.Trim(s, "+-0.") == "" {
		s = "±" + strings.TrimLeft(s, "+-")
	}
	return s
}

// FormatValue formats a value of a canonical unit for people: "2.14 ms",
// "45.2 MiB", "0.31%", "1000 req/s".
func FormatValue(v float64, unit string) string {
	switch unit {
	case unitMs:
		return sig(v) + " ms"
	case "ms/1k":
		return sig(v) + " ms/1k req"
	case unitBytes:
		for _, u := range []struct {
			f    float64
			name string
		}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
			if math.Abs(v) >= u.f {
				return sig(v/u.f) + " " + u.name
			}
		}
		return sig(v) + " B"
	case unitRatio:
		return sig(v*100) + "%"
	case unitRPS:
		return sig(v) + " req/s"
	}
	return sig(v)
}

// sig formats v with three significant digits, without exponent.
func sig(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	digits := 3 - int(math.Floor(math.Log10(math.Abs(v)))) - 1
	return strconv.FormatFloat(v, 'f', max(digits, 0), 64)
}

var mdReplacer = strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;")

func mdEscape(s string) string { return mdReplacer.Replace(s) }
