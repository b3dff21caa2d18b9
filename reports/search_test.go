package reports

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/gauntletbench/gauntlet/metrics"
)

// searchFixture is a capacity search that converged on 388 req/s for a
// target whose knee is near 400: the probes as they ran, out of rate order.
var searchFixture = metrics.SearchResult{
	MaxRate: 388, SLOP99Ms: 50, SLOErrorRate: 0.01, Stopped: metrics.SearchConverged,
	Probes: []metrics.SearchProbe{
		{OfferedRPS: 100, AchievedRPS: 99.8, P50Ms: 1.2, P99Ms: 3.4, Pass: true},
		{OfferedRPS: 200, AchievedRPS: 199.6, P50Ms: 1.3, P99Ms: 4.1, Pass: true},
		{OfferedRPS: 400, AchievedRPS: 391.0, P50Ms: 80, P99Ms: 234, ErrorRate: 0.03, Pass: false, Note: "p99 234.0 ms > 50 ms"},
		{OfferedRPS: 300, AchievedRPS: 299.1, P50Ms: 2.0, P99Ms: 9.5, Pass: true},
		{OfferedRPS: 388, AchievedRPS: 386.9, P50Ms: 4.0, P99Ms: 41.0, Pass: true},
	},
}

func TestSearchHeadline(t *testing.T) {
	t.Parallel()
	none := searchFixture
	none.MaxRate, none.Stopped = 0, metrics.SearchGeneratorLimited
	tests := []struct {
		sr   metrics.SearchResult
		want string
	}{
		{searchFixture, "highest rate within p99 ≤ 50 ms and errors ≤ 1%: 388 req/s, converged after 5 probes"},
		{none, "no probed rate held p99 ≤ 50 ms and errors ≤ 1% (stopped after 5 probes because the generator, not the target, was the limit: a lower bound)"},
	}
	for _, tt := range tests {
		if got := tt.sr.Headline(); got != tt.want {
			t.Errorf("Headline() = %q; want %q", got, tt.want)
		}
	}
}

// searchSummary is a real fixture's summary with its run turned into a
// capacity search.
func searchSummary(t *testing.T) (*metrics.Record, *metrics.Summary) {
	t.Helper()
	rec := fixture{seed: 3, variants: []string{"default"}, seconds: 8, rate: 100}.write(t, t.TempDir())
	s := summary(t, rec)
	sr := searchFixture
	s.Runs[0].Search = &sr
	return rec, s
}

func TestSearchText(t *testing.T) {
	t.Parallel()
	_, s := searchSummary(t)
	var buf bytes.Buffer
	if err := Text(&buf, s); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	head := strings.Index(out, "highest rate within p99 ≤ 50 ms and errors ≤ 1%: 388 req/s")
	table := strings.Index(out, "offered/s")
	if head < 0 || table < head {
		t.Fatalf("text summary does not lead with the rate found, then the probe table:\n%s", out)
	}
	// One line per probe, in the order run, with its own figures.
	for i, want := range []string{"100  ", "200  ", "400  ", "300  ", "388  "} {
		line := strings.SplitAfter(out[table:], "\n")[1+i]
		if !strings.Contains(line, want) {
			t.Errorf("probe line %d = %q; want offered rate %q", i+1, line, strings.TrimSpace(want))
		}
	}
	if strings.Contains(out, "schedule lag") || strings.Contains(out, "   request ") {
		t.Errorf("text summary of a search shows figures pooled over its probes:\n%s", out)
	}
}

func TestSearchMarkdownAndJUnit(t *testing.T) {
	t.Parallel()
	_, s := searchSummary(t)
	var md bytes.Buffer
	if err := Markdown(&md, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"**default: highest rate within p99 ≤ 50 ms and errors ≤ 1%: 388 req/s, converged after 5 probes**",
		"| 3 | 400 | 391.0 | 80.0 ms | 234 ms | 3.00% | ❌ p99 234.0 ms &gt; 50 ms |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md.String())
		}
	}
	if strings.Contains(md.String(), "| run | status | req/s |") {
		t.Errorf("Markdown shows the search's pooled figures as one load:\n%s", md.String())
	}
	var x bytes.Buffer
	if err := JUnit(&x, s); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Cases []struct {
				Name string `xml:"name,attr"`
				Out  string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(x.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range doc.Suites[0].Cases {
		if c.Name == "capacity search" && strings.HasPrefix(c.Out, searchFixture.Headline()) && strings.Count(c.Out, "\n") == 2+len(searchFixture.Probes) {
			found = true
		}
	}
	if !found {
		t.Errorf("JUnit has no \"capacity search\" case carrying the headline and %d probe lines:\n%s", len(searchFixture.Probes), x.String())
	}
}

func TestSearchHTML(t *testing.T) {
	t.Parallel()
	rec, s := searchSummary(t)
	var buf bytes.Buffer
	if err := HTML(&buf, rec, s); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{`id="capacity"`, "highest rate within p99 ≤ 50 ms and errors ≤ 1%: 388 req/s",
		`aria-label="capacity search: p99 against offered rate"`, `aria-label="capacity search: error rate against offered rate"`,
		"SLO p99 50.0 ms", "rate found 388 req/s", "<td>391.0</td>"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
	for _, pooled := range []string{`id="compare"`, `id="distribution"`, "<th>service p99</th>"} {
		if strings.Contains(out, pooled) {
			t.Errorf("HTML report of a search shows pooled figures (%s)", pooled)
		}
	}
}

// TestSearchCurve checks the curve's geometry: probes in rate order, the
// SLO line across the whole rate range, the rate found as a vertical line
// spanning the p99 axis.
func TestSearchCurve(t *testing.T) {
	t.Parallel()
	lat, errs := searchCharts(&searchFixture)
	byLabel := func(c chart, prefix string) []XY {
		for _, l := range c.lines {
			if strings.HasPrefix(l.label, prefix) {
				return l.pts
			}
		}
		t.Fatalf("chart %q has no line %q", c.alt, prefix)
		return nil
	}
	p99 := byLabel(lat, "p99 per probe")
	for i, want := range []float64{100, 200, 300, 388, 400} {
		if p99[i].T != want {
			t.Errorf("p99 point %d at %g req/s; want %g (rate order)", i, p99[i].T, want)
		}
	}
	if slo := byLabel(lat, "SLO"); slo[0].V != 50 || slo[1].V != 50 || slo[1].T != 400 {
		t.Errorf("SLO line = %v; want p99 50 ms up to 400 req/s", slo)
	}
	if f := byLabel(lat, "rate found"); f[0].T != 388 || f[1].T != 388 || f[0].V != 3.4 || f[1].V != 234 {
		t.Errorf("rate-found line = %v; want x = 388 from p99 3.4 to 234 ms", f)
	}
	if e := byLabel(errs, "error rate"); e[4].V != 3 {
		t.Errorf("error rate at 400 req/s = %g%%; want 3%%", e[4].V)
	}
}
