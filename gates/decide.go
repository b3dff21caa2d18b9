package gates

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gauntletbench/gauntlet/metrics"
)

// Decision is the CI gate's verdict on current records: their own
// thresholds and, given baseline records, their regressions against them.
// Its JSON form is `gauntlet gate --output json`; field names are stable.
type Decision struct {
	// Pass is false when a threshold failed, a current run did not
	// complete, or a metric regressed.
	Pass bool `json:"pass"`
	// Reasons says why the gate failed, one line each; empty on a pass.
	Reasons []string      `json:"reasons"`
	Runs    []RunDecision `json:"runs"`
	// Comparison is nil when no baseline was given.
	Comparison *Comparison `json:"comparison,omitempty"`
}

// RunDecision is one current run's threshold results.
type RunDecision struct {
	Record     string                    `json:"record"`
	Variant    string                    `json:"variant"`
	Status     string                    `json:"status"`
	Thresholds []metrics.ThresholdResult `json:"thresholds"`
}

// ErrOtherScenario is wrapped by Decide when a baseline record ran another
// scenario than the current records: there is nothing like for like to
// compare, and an empty comparison must not pass.
var ErrOtherScenario = errors.New("the baseline ran another scenario")

// Decide judges the current records: every run's thresholds (from its own
// record header) and, when base is not empty, RegressAll(base, cur, opt).
// Every record must have run the same scenario (ErrOtherScenario).
func Decide(base, cur []*metrics.Record, opt Options) (*Decision, error) {
	if len(cur) == 0 {
		return nil, errors.New("decide: no current record")
	}
	for _, rec := range slices.Concat(base, cur) {
		if first := cur[0]; rec.Header.Scenario != first.Header.Scenario {
			return nil, fmt.Errorf("%s ran scenario %q, %s ran %q: %w", rec.Path, rec.Header.Scenario, first.Path, first.Header.Scenario, ErrOtherScenario)
		}
	}
	d := &Decision{Reasons: []string{}, Runs: []RunDecision{}}
	for _, rec := range cur {
		s, err := metrics.Summarize(rec)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rec.Path, err)
		}
		Check(s, rec.Header.Thresholds)
		for _, rs := range s.Runs {
			d.Runs = append(d.Runs, RunDecision{Record: rec.Path, Variant: rs.Variant, Status: rs.Status, Thresholds: rs.Thresholds})
			if rs.Status != metrics.StatusCompleted && rs.Status != metrics.StatusSkipped {
				d.Reasons = append(d.Reasons, fmt.Sprintf("run %s of %s did not complete (%s)", rs.Variant, rec.Path, rs.Status))
			}
			for _, t := range rs.Thresholds {
				if !t.Pass {
					d.Reasons = append(d.Reasons, fmt.Sprintf("threshold %q failed on variant %s: %s", t.Expr, rs.Variant, thresholdOutcome(t)))
				}
			}
		}
	}
	if len(base) > 0 {
		cmp, err := RegressAll(base, cur, opt)
		if err != nil {
			return nil, err
		}
		d.Comparison = cmp
		for _, r := range cmp.Rows {
			if r.Verdict == Regressed || (opt.FailUnconfirmed && r.Verdict == Unconfirmed) {
				d.Reasons = append(d.Reasons, fmt.Sprintf("%s of variant %s regressed: %s → %s (%s)",
					rowName(r), r.Variant, FormatValue(r.Base, r.Unit), FormatValue(r.Current, r.Unit), changeText(r)))
			}
		}
	}
	d.Pass = len(d.Reasons) == 0
	return d, nil
}

func thresholdOutcome(t metrics.ThresholdResult) string {
	if t.Error != "" {
		return t.Error
	}
	return "measured " + FormatValue(t.Value, t.Unit)
}

// WriteDecisionText writes the thresholds, the comparison (if any) and the
// verdict as plain text.
func WriteDecisionText(w io.Writer, d *Decision) error {
	var b strings.Builder
	for _, r := range d.Runs {
		if len(r.Thresholds) == 0 {
			continue
		}
		fmt.Fprintf(&b, "thresholds of variant %s (%s):\n", r.Variant, r.Record)
		for _, t := range r.Thresholds {
			fmt.Fprintf(&b, "  %s  %s  %s\n", passText(t.Pass), t.Expr, thresholdOutcome(t))
		}
	}
	if d.Comparison != nil {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString("regression against the baseline:\n")
		if err := WriteText(&b, d.Comparison); err != nil {
			return err
		}
	} else {
		b.WriteString("no baseline given: thresholds only\n")
	}
	b.WriteString("\n" + verdictLine(d) + "\n")
	for _, r := range d.Reasons {
		fmt.Fprintf(&b, "  - %s\n", r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteDecisionMarkdown writes the decision as Markdown for a pull request
// comment: the verdict first, then the reasons, thresholds and comparison.
func WriteDecisionMarkdown(w io.Writer, d *Decision) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### gauntlet gate: %s\n\n", verdictLine(d))
	for _, r := range d.Reasons {
		fmt.Fprintf(&b, "- %s\n", mdEscape(r))
	}
	if len(d.Reasons) > 0 {
		b.WriteString("\n")
	}
	wrote := false
	for _, r := range d.Runs {
		for _, t := range r.Thresholds {
			if !wrote {
				b.WriteString("| variant | threshold | result | measured |\n|---|---|---|---|\n")
				wrote = true
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", mdEscape(r.Variant), strings.ReplaceAll(t.Expr, "`", "'"), passText(t.Pass), mdEscape(thresholdOutcome(t)))
		}
	}
	if wrote {
		b.WriteString("\n")
	}
	if d.Comparison != nil {
		b.WriteString("#### Against the baseline\n\n")
		if err := WriteMarkdown(&b, d.Comparison); err != nil {
			return err
		}
		b.WriteString("\n")
	} else {
		b.WriteString("_No baseline given: thresholds only._\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func passText(pass bool) string {
	if pass {
		return "pass"
	}
	return "FAIL"
}

func verdictLine(d *Decision) string {
	if d.Pass {
		return "PASS"
	}
	return fmt.Sprintf("FAIL (%d reason(s))", len(d.Reasons))
}
