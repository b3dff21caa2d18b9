package reports

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gauntletbench/gauntlet/metrics"
)

var (
	//go:embed assets/report.html.tmpl
	reportTemplate string
	//go:embed assets/compare.html.tmpl
	compareTemplate string
	//go:embed assets/chart.html.tmpl
	chartTemplate string
	//go:embed assets/report.css
	reportCSS string
)

var (
	htmlTmpl    = page("report", reportTemplate)
	compareTmpl = page("compare", compareTemplate)
)

// page parses a page template with the shared chart template and CSS.
func page(name, text string) *template.Template {
	t := template.New(name).Funcs(template.FuncMap{"css": func() template.CSS { return template.CSS(reportCSS) }})
	return template.Must(template.Must(t.Parse(chartTemplate)).Parse(text))
}

// HTML writes one self-contained HTML report of rec: no network, fonts or
// scripts from elsewhere, readable with JavaScript off, charts as inline SVG.
// s is metrics.Summarize(rec) with gates.Check applied. HTML is pure: the
// same inputs give the same bytes.
func HTML(w io.Writer, rec *metrics.Record, s *metrics.Summary) error {
	v, err := buildView(rec, s)
	if err != nil {
		return err
	}
	ew := &errWriter{w: w}
	if err := htmlTmpl.Execute(ew, v); err != nil {
		return fmt.Errorf("render html report: %w", err)
	}
	return ew.err
}

type htmlView struct {
	Title       string
	Scenario    string
	Description string
	Verdict     string // pass | fail | interrupted
	Headline    string
	Thresholds  *thresholdTable
	Warnings    []string
	Compare     []*compareTable
	// Lead is the headline comparison (startup, memory, throughput, p99 at
	// a fixed rate, CPU) when there are two runs or more.
	Lead *compareTable
	// Runtimes names the reference implementations' runtimes and flags.
	Runtimes map[string]string
	Overlay  *chartView
	Dist     *chartView
	Runs     []runView
	Footer   footer
}

type thresholdTable struct {
	Variants []string
	Rows     []thresholdRow
}

type thresholdRow struct {
	Expr  string
	Cells []thresholdCell
}

type thresholdCell struct {
	Present, Pass bool
	Measured      string
}

type compareTable struct {
	Title    string
	Variants []string
	// DeltaHead heads the B-vs-A column when exactly two runs are compared.
	DeltaHead string
	Marked    bool // the better value of each row is marked
	Cols      int
	Groups    []compareGroup
}

type compareGroup struct {
	Name string
	Rows []compareRow
}

type compareRow struct {
	Label string
	Cells []compareCell
	Delta string // B vs A, two runs only
	Pct   string
}

type compareCell struct {
	Text string
	Best bool
	Note string
}

type runView struct {
	Variant, Anchor, Status string
	Completed               bool
	Facts                   []string
	NoLoad                  bool
	Latency, Throughput     chartView
	Errors                  *chartView
	Resources               []chartView
	Classes                 []classRow
	Requests                []requestRow
	Faults                  []faultRow
	Hops                    []hopRow
	FaultHops               []faultHopRow
	// Search is a capacity search's result; its run has no pooled figures.
	Search *searchView
}

type classRow struct {
	Class, Count, OfErrors, OfRequests, Peak, Seen string
}

type requestRow struct {
	Name, Requests, RPS, ErrorRate           string
	P50, P90, P99, P999, Max, SvcP50, SvcP99 string
	Failing                                  bool
}

type faultRow struct {
	Name, Kind, Target, Injected, Reverted, Duration, Failed, DuringP99, Recover, Error string
}

type footer struct {
	Scenario, Description, RunID, Version, GoVersion, Host, Seed, Record, Model, File string
	OpenModel                                                                         bool
	// CPUSets says where the generator and the services ran, "" if unknown.
	CPUSets string
}

func buildView(rec *metrics.Record, s *metrics.Summary) (*htmlView, error) {
	h := &rec.Header
	v := &htmlView{
		Title:       "gauntlet · " + s.Scenario,
		Scenario:    s.Scenario,
		Description: s.Description,
		Verdict:     s.Verdict,
		Headline:    headline(s),
		Thresholds:  thresholds(s),
		Warnings:    allWarnings(s),
		Footer:      footerOf(rec, s),
		Runtimes:    s.Runtimes,
	}
	runs := make([]*metrics.RunSummary, len(s.Runs))
	for i := range s.Runs {
		runs[i] = &s.Runs[i]
	}
	search := slices.ContainsFunc(s.Runs, func(r metrics.RunSummary) bool { return r.Search != nil })
	if len(runs) > 1 && !search {
		rows, notes := headlineRows(runs)
		v.Lead = tableOf(rows, notes, variants(s))
		v.Lead.Title = "Headline"
	}
	if len(runs) > 0 && !search {
		all := compareOf(runs, variants(s), false)
		load, svc := splitCompare(all)
		for _, t := range []*compareTable{load, svc} {
			if len(t.Groups) > 0 {
				v.Compare = append(v.Compare, t)
			}
		}
	}
	var series []Series
	var dists []Distribution
	for i, run := range rec.Runs {
		ser, dist, err := RunSeries(h, run)
		if err != nil {
			return nil, err
		}
		series, dists = append(series, ser), append(dists, dist)
		var rs *metrics.RunSummary
		if i < len(s.Runs) && s.Runs[i].Variant == run.Start.Variant {
			rs = &s.Runs[i]
		}
		rv, err := runViewOf(h, run, rs, ser)
		if err != nil {
			return nil, err
		}
		v.Runs = append(v.Runs, rv)
	}
	if len(series) >= 2 {
		c := overlayChart(series)
		cv, err := c.render("p50 and p99 over time, all runs", "Each run's time axis starts at its own load start.")
		if err != nil {
			return nil, err
		}
		v.Overlay = &cv
	}
	if hasDist(dists) && !search {
		c := distributionChart(dists)
		cv, err := c.render("", "Whole measured window (warm-up excluded), from the intended send time. "+
			"Each step right is ten times rarer: 90%, 99%, 99.9%… The line ends at the maximum.")
		if err != nil {
			return nil, err
		}
		v.Dist = &cv
	}
	return v, nil
}

// HasResources reports whether any run has probe charts.
func (v *htmlView) HasResources() bool {
	for _, r := range v.Runs {
		if len(r.Resources) > 0 {
			return true
		}
	}
	return false
}

// HasSearch reports whether any run is a capacity search.
func (v *htmlView) HasSearch() bool {
	return slices.ContainsFunc(v.Runs, func(r runView) bool { return r.Search != nil })
}

// HasHops reports whether any run has per-dependency call figures.
func (v *htmlView) HasHops() bool {
	return slices.ContainsFunc(v.Runs, func(r runView) bool { return len(r.Hops) > 0 })
}

// HasFaults reports whether any run recorded a fault.
func (v *htmlView) HasFaults() bool {
	for _, r := range v.Runs {
		if len(r.Faults) > 0 {
			return true
		}
	}
	return false
}

func hasDist(ds []Distribution) bool {
	for _, d := range ds {
		if len(d.Points) > 0 {
			return true
		}
	}
	return false
}

func variants(s *metrics.Summary) []string {
	out := make([]string, len(s.Runs))
	for i, r := range s.Runs {
		out[i] = r.Variant
	}
	return out
}

// headline says in one sentence what the verdict rests on.
func headline(s *metrics.Summary) string {
	total, failed := 0, 0
	var notDone []string
	for _, r := range s.Runs {
		for _, t := range r.Thresholds {
			total++
			if !t.Pass {
				failed++
			}
		}
		if r.Status != metrics.StatusCompleted {
			notDone = append(notDone, r.Variant+" "+r.Status)
		}
	}
	runs := plural(len(s.Runs), "run", "runs")
	switch {
	case s.Verdict == metrics.VerdictInterrupted && len(notDone) > 0:
		return "Not every run completed (" + strings.Join(notDone, ", ") + "): figures cover only what ran."
	case s.Verdict == metrics.VerdictInterrupted:
		return "The record ends early: figures cover only what was recorded."
	case failed > 0:
		return fmt.Sprintf("%d of %d threshold checks failed across %s.", failed, total, runs)
	case total == 0:
		return "No thresholds were set; " + runs + " completed."
	}
	return fmt.Sprintf("All %d threshold checks held across %s.", total, runs)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// thresholds lays threshold results out as one row per threshold and one
// column per run.
func thresholds(s *metrics.Summary) *thresholdTable {
	t := &thresholdTable{Variants: variants(s)}
	index := map[string]int{}
	for ri, r := range s.Runs {
		for _, th := range r.Thresholds {
			key := thresholdName(th)
			i, ok := index[key]
			if !ok {
				i = len(t.Rows)
				index[key] = i
				t.Rows = append(t.Rows, thresholdRow{Expr: key, Cells: make([]thresholdCell, len(s.Runs))})
			}
			m := FormatValue(th.Value, th.Unit)
			if th.Error != "" {
				m = th.Error
			}
			t.Rows[i].Cells[ri] = thresholdCell{Present: true, Pass: th.Pass, Measured: m}
		}
	}
	if len(t.Rows) == 0 {
		return nil
	}
	return t
}

// thresholdName is the threshold's expression plus its request scope.
func thresholdName(th metrics.ThresholdResult) string {
	if th.Request != "" {
		return th.Expr + " [" + th.Request + "]"
	}
	return th.Expr
}

func allWarnings(s *metrics.Summary) []string {
	var out []string
	if s.Truncated {
		out = append(out, "the record has no trailer: the run crashed or was killed, and this report shows only what was written")
	}
	for _, r := range s.Runs {
		for _, w := range r.Warnings {
			if len(s.Runs) > 1 {
				w = r.Variant + ": " + w
			}
			out = append(out, w)
		}
	}
	if s.Model == "closed" {
		out = append(out, "closed model: throughput at fixed concurrency — a stalled server also stalls the load, so latency hides stalls")
	}
	return out
}

func compareOf(runs []*metrics.RunSummary, names []string, perRequest bool) *compareTable {
	return tableOf(comparisonRows(runs, perRequest), nil, names)
}

// tableOf lays comparison rows out as a table; notes[i][j], when given, is
// a remark on row i's value of run j (e.g. the machine was saturated).
func tableOf(rows []cmpRow, notes [][]string, names []string) *compareTable {
	t := &compareTable{Variants: names, Marked: len(names) >= 2, Cols: len(names) + 1}
	if len(names) == 2 {
		t.DeltaHead = names[1] + " vs " + names[0]
		t.Cols++
	}
	for k, r := range rows {
		best := -1
		if t.Marked {
			best = r.best()
		}
		row := compareRow{Label: r.Label}
		for i, v := range r.Values {
			c := compareCell{Text: r.Unit.format(v), Best: i == best}
			if notes != nil && notes[k][i] != "" {
				c.Note = notes[k][i]
				if strings.HasPrefix(c.Note, notComparable) {
					c.Text = "not comparable"
				}
			}
			row.Cells = append(row.Cells, c)
		}
		if len(r.Values) == 2 {
			row.Delta, row.Pct = r.Unit.delta(r.Values[0], r.Values[1]), deltaPct(r.Values[0], r.Values[1])
		}
		if n := len(t.Groups); n == 0 || t.Groups[n-1].Name != r.Group {
			t.Groups = append(t.Groups, compareGroup{Name: r.Group})
		}
		g := &t.Groups[len(t.Groups)-1]
		g.Rows = append(g.Rows, row)
	}
	return t
}

// splitCompare puts what the load measured on one side and what the
// services cost on the other.
func splitCompare(t *compareTable) (load, services *compareTable) {
	load, services = &compareTable{}, &compareTable{}
	*load, *services = *t, *t
	load.Title, services.Title = "Load", "Services"
	load.Groups, services.Groups = nil, nil
	for _, g := range t.Groups {
		switch g.Name {
		case "startup", "memory", "cpu":
			services.Groups = append(services.Groups, g)
		default:
			load.Groups = append(load.Groups, g)
		}
	}
	return load, services
}

func runViewOf(h *metrics.Header, run *metrics.Run, rs *metrics.RunSummary, ser Series) (runView, error) {
	variant := run.Start.Variant
	rv := runView{Variant: variant, Anchor: "run-" + anchor(variant), Status: metrics.StatusTruncated}
	faults := Faults(run)
	if rs != nil {
		rv.Status = rs.Status
		rv.Facts = []string{
			seconds(rs.DurationS) + " measured",
			strconv.FormatInt(rs.Requests, 10) + " requests",
			strconv.FormatFloat(rs.RPS, 'f', 1, 64) + " req/s",
		}
		rv.Facts[2] += plannedText(rs)
		rv.Facts = append(rv.Facts, pct(rs.ErrorRate)+" errors", "schedule lag p99 "+num(rs.ScheduleLag.P99)+" ms")
		if rs.Dropped > 0 {
			rv.Facts = append(rv.Facts, strconv.FormatInt(rs.Dropped, 10)+" dropped")
		}
		rv.Requests = requestRows(rs)
		rv.Classes = classRows(rs, ser)
		rv.Hops, rv.FaultHops = hopRows(rs.Hops), faultHopRows(rs.Faults)
		if rs.Search != nil {
			sv, err := searchViewOf(rs.Search)
			if err != nil {
				return rv, err
			}
			rv.Search, rv.Requests = sv, nil
			rv.Facts = []string{seconds(rs.DurationS) + " measured", plural(len(rs.Search.Probes), "probe", "probes"),
				pct(rs.ErrorRate) + " errors over all probes"}
		}
	}
	rv.Completed = rv.Status == metrics.StatusCompleted
	rv.Faults = faultRows(faults, rs)
	if len(ser.Points) == 0 {
		rv.NoLoad = true
		return rv, nil
	}
	var err error
	var spikes []spikeGroup
	if rs != nil {
		spikes = spikeGroups(rs.Spikes)
	}
	lc := latencyChart(ser, withRecovery(faults, rs), spikes)
	if rv.Latency, err = lc.render("", "Per second, all requests, from the intended send time."); err != nil {
		return rv, err
	}
	rv.Latency.Marks = spikeMarks(spikes)
	tc := throughputChart(ser, h.Stages, h.Model == "open", faults)
	if rv.Throughput, err = tc.render("Throughput", "Responses completed per second."); err != nil {
		return rv, err
	}
	if ec, ok := errorsChart(ser, faults); ok {
		cv, err := ec.render("Errors per second by class", "")
		if err != nil {
			return rv, err
		}
		rv.Errors = &cv
	}
	rv.Resources = resourceCharts(ser, Resources(run), faults)
	return rv, nil
}

func requestRows(rs *metrics.RunSummary) []requestRow {
	var out []requestRow
	for _, q := range rs.ByRequest {
		out = append(out, requestRow{
			Name: q.Name, Requests: strconv.FormatInt(q.Requests, 10), RPS: strconv.FormatFloat(q.RPS, 'f', 1, 64),
			ErrorRate: pct(q.ErrorRate), Failing: q.Errors > 0,
			P50: num(q.Latency.P50), P90: num(q.Latency.P90), P99: num(q.Latency.P99), P999: num(q.Latency.P999),
			Max: num(q.Latency.Max), SvcP50: num(q.ServiceTime.P50), SvcP99: num(q.ServiceTime.P99),
		})
	}
	return out
}

// classRows counts errors by class over the measured window (as the
// summary does), with the peak second and the span they were seen in from
// the whole series.
func classRows(rs *metrics.RunSummary, ser Series) []classRow {
	var out []classRow
	names := sortedKeys(rs.ErrorsByClass)
	sortStableBy(names, func(a, b string) bool { return rs.ErrorsByClass[a] > rs.ErrorsByClass[b] })
	for _, cl := range names {
		n := rs.ErrorsByClass[cl]
		if n == 0 {
			continue
		}
		var peak int64
		first, last := math.NaN(), math.NaN()
		for _, p := range ser.Points {
			c := p.Classes[cl]
			if c == 0 {
				continue
			}
			peak = max(peak, c)
			if math.IsNaN(first) {
				first = p.T
			}
			last = p.T + ser.IntervalS
		}
		seen := "—"
		if !math.IsNaN(first) {
			seen = strconv.FormatFloat(first, 'f', 0, 64) + "–" + strconv.FormatFloat(last, 'f', 0, 64) + " s"
		}
		out = append(out, classRow{
			Class: cl, Count: strconv.FormatInt(n, 10), OfErrors: pct(ratioOf(n, rs.Errors)), OfRequests: pct(ratioOf(n, rs.Requests)),
			Peak: strconv.FormatFloat(float64(peak)/ser.IntervalS, 'f', 0, 64) + "/s", Seen: seen,
		})
	}
	return out
}

func ratioOf(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func faultRows(fw []FaultWindow, rs *metrics.RunSummary) []faultRow {
	var out []faultRow
	for _, f := range fw {
		r := faultRow{Name: f.Name, Kind: f.Kind, Target: f.Target, Injected: seconds(f.InjectedS), Reverted: "—",
			Duration: "—", Failed: "—", DuringP99: "—", Recover: "—", Error: f.Error}
		if !f.Injected {
			r.Injected = "failed at " + seconds(f.InjectedS)
		}
		if f.Reverted {
			r.Reverted, r.Duration = seconds(f.RevertedS), seconds(f.RevertedS-f.InjectedS)
		} else if f.Injected {
			r.Reverted = "not reverted"
		}
		if rs != nil {
			for _, im := range rs.Faults {
				if im.Name != f.Name || math.Abs(im.InjectedAt-f.InjectedS) > 0.5 {
					continue
				}
				r.Failed = strconv.FormatInt(im.Failed, 10)
				if im.During.Requests > 0 {
					r.DuringP99 = num(im.During.Latency.P99) + " ms"
				}
				switch {
				case im.TimeToRecoverMs != nil:
					r.Recover = num(*im.TimeToRecoverMs) + " ms"
				case f.Injected:
					r.Recover = "did not recover"
				}
				if r.Error == "" {
					r.Error = im.Error
				}
			}
		}
		out = append(out, r)
	}
	return out
}

func footerOf(rec *metrics.Record, s *metrics.Summary) footer {
	h := rec.Header
	host := h.Host.Hostname
	if h.Host.CPUModel != "" {
		host += " · " + h.Host.CPUModel
	}
	host += " · " + plural(h.Host.CPUs, "core", "cores")
	if h.Host.MemoryByte > 0 {
		host += " · " + gib(h.Host.MemoryByte)
	}
	if h.Host.OS != "" {
		host += " · " + h.Host.OS + "/" + h.Host.Arch
	}
	return footer{
		Scenario: s.Scenario, Description: s.Description, RunID: s.RunID, Version: s.GauntletVersion,
		GoVersion: h.GoVersion, Host: host, Seed: strconv.FormatInt(h.Seed, 10), Record: rec.Path,
		Model: h.Model, File: h.File, OpenModel: h.Model != "closed", CPUSets: h.CPUSets.String(),
	}
}

// anchor makes a variant name safe as an HTML id.
func anchor(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}
