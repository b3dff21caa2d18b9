package reports

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"regexp"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The Okabe–Ito palette: distinguishable with every common colour-vision
// deficiency. Dash patterns tell lines apart again in greyscale print.
var (
	oiBlack      = color.NRGBA{0x00, 0x00, 0x00, 0xff}
	oiOrange     = color.NRGBA{0xe6, 0x9f, 0x00, 0xff}
	oiSkyBlue    = color.NRGBA{0x56, 0xb4, 0xe9, 0xff}
	oiGreen      = color.NRGBA{0x00, 0x9e, 0x73, 0xff}
	oiBlue       = color.NRGBA{0x00, 0x72, 0xb2, 0xff}
	oiVermillion = color.NRGBA{0xd5, 0x5e, 0x00, 0xff}
	oiPurple     = color.NRGBA{0xcc, 0x79, 0xa7, 0xff}
)

// seriesStyles is the order variants, owners and error classes take styles
// in. Okabe–Ito's yellow is left out: it vanishes on white.
var seriesStyles = []lineStyle{
	{oiBlue, nil, 1.4},
	{oiVermillion, []vg.Length{6, 3}, 1.4},
	{oiGreen, []vg.Length{2, 2}, 1.6},
	{oiPurple, []vg.Length{8, 3, 2, 3}, 1.4},
	{oiOrange, []vg.Length{4, 4}, 1.4},
	{oiSkyBlue, []vg.Length{1, 2}, 1.8},
	{oiBlack, []vg.Length{10, 4}, 1.2},
}

// Latency percentile lines: solid → dotted as the percentile rises.
var (
	styleP50 = lineStyle{oiBlue, nil, 1.4}
	styleP90 = lineStyle{oiGreen, []vg.Length{6, 3}, 1.3}
	styleP99 = lineStyle{oiVermillion, []vg.Length{2, 1.5}, 1.6}
	styleMax = lineStyle{oiBlack, []vg.Length{1, 2.5}, 1.0}
	// stylePlanned is the plan's own rate, behind the measured one.
	stylePlanned = lineStyle{color.NRGBA{0x88, 0x88, 0x88, 0xff}, []vg.Length{4, 3}, 1.0}
)

var (
	faultFill = color.NRGBA{0xe6, 0x9f, 0x00, 0x38} // orange, translucent
	faultEdge = color.NRGBA{0xb0, 0x78, 0x00, 0xff}
	// An instant fault is a solid dark line at its moment, its recovery a
	// light blue span; spikes are ringed and numbered in magenta. No data
	// line uses these colours.
	instantMark  = color.NRGBA{0x5a, 0x32, 0x00, 0xff}
	recoveryFill = color.NRGBA{0x56, 0xb4, 0xe9, 0x30}
	spikeMark    = color.NRGBA{0xc0, 0x00, 0x78, 0xff}
	warmupFill   = color.NRGBA{0x00, 0x00, 0x00, 0x12}
	gridColour   = color.NRGBA{0xdd, 0xdd, 0xdd, 0xff}
)

type lineStyle struct {
	colour color.NRGBA
	dashes []vg.Length
	width  vg.Length
}

func styleAt(i int) lineStyle { return seriesStyles[i%len(seriesStyles)] }

// line is one labelled line of a chart; NaN values break it into segments.
// marks draws a dot at every point too.
type line struct {
	label string
	pts   []XY
	style lineStyle
	marks bool
}

// band is a shaded span of the x axis: a fault in effect, or the warm-up;
// or an instant fault, drawn as a line at from with its recovery shaded up
// to recoverTo (none when recoverTo <= from).
type band struct {
	from, to  float64 // to = +Inf: until the end of the chart
	label     string
	warmup    bool
	instant   bool
	recoverTo float64
	row       int // label row from the top, so labels of close faults do not overlap
}

// mark rings one point of a chart and numbers it: a latency spike, listed
// under the chart by that number.
type mark struct {
	t, v  float64
	label string
}

// chart is one time-series or distribution plot, drawn by gonum/plot.
type chart struct {
	alt            string // the SVG's accessible name
	xLabel, yLabel string
	logY           bool
	percentileX    bool // x is log10(1/(1−q)): the HdrHistogram percentile plot
	timeX          bool // x is seconds from load start
	yFromZero      bool
	widthIn        float64 // 0: full width
	heightIn       float64
	lines          []line
	bands          []band
	marks          []mark
}

// Legend entries are drawn in HTML next to the chart, where they never
// cover data and stay crisp at any zoom.
type legendEntry struct {
	Label string
	// Colour is a CSS hex colour; Dash is an SVG stroke-dasharray ("" solid).
	Colour, Dash string
	Width        float64
	Band         string // "fault", "instant" or "warmup" for a shaded-span swatch
}

// markView is one numbered mark of a chart, listed under it.
type markView struct {
	N      int
	When   string
	P99    string
	Causes string
}

// chartView is what the template shows for one chart.
type chartView struct {
	Title  string
	SVG    template.HTML
	Legend []legendEntry
	Note   string
	Marks  []markView
}

const chartWidth = 9 * vg.Inch

func (c *chart) render(title, note string) (chartView, error) {
	svg, err := c.svg()
	if err != nil {
		return chartView{}, fmt.Errorf("chart %q: %w", title, err)
	}
	return chartView{Title: title, SVG: svg, Legend: c.legend(), Note: note}, nil
}

func (c *chart) legend() []legendEntry {
	var out []legendEntry
	seen := map[string]bool{}
	for _, l := range c.lines {
		if l.label == "" || seen[l.label] {
			continue
		}
		seen[l.label] = true
		out = append(out, legendEntry{Label: l.label, Colour: hex(l.style.colour), Dash: dashCSS(l.style.dashes), Width: float64(l.style.width)})
	}
	var warm, fault, instant bool
	for _, b := range c.bands {
		warm = warm || b.warmup
		fault = fault || !b.warmup && !b.instant
		instant = instant || b.instant
	}
	if warm {
		out = append(out, legendEntry{Label: "warm-up (not in the summary figures)", Band: "warmup"})
	}
	if fault {
		out = append(out, legendEntry{Label: "fault in effect", Band: "fault"})
	}
	if instant {
		out = append(out, legendEntry{Label: "instant fault (line) and the recovery after it", Band: "instant"})
	}
	if len(c.marks) > 0 {
		out = append(out, legendEntry{Label: "latency spike (numbered, listed below)", Band: "spike"})
	}
	return out
}

func (c *chart) svg() (template.HTML, error) {
	p := plot.New()
	p.BackgroundColor = color.White
	p.X.Label.Text, p.Y.Label.Text = c.xLabel, c.yLabel
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = font.Font{Typeface: sans.Typeface, Variant: sans.Variant, Size: 10}
		ax.Tick.Label.Font = font.Font{Typeface: sans.Typeface, Variant: sans.Variant, Size: 9}
		ax.Padding = 2
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = gridColour, gridColour
	grid.Vertical.Width, grid.Horizontal.Width = 0.5, 0.5
	p.Add(grid)

	// A log axis is drawn as a linear axis of log10 values with 1-2-5 labels:
	// gonum centres axis labels on the arithmetic mean of the range, which
	// pads a plot.LogScale chart with empty space.
	yOf := func(v float64) float64 {
		if c.logY {
			return math.Log10(math.Max(v, logFloor))
		}
		return v
	}
	ymin, ymax := math.Inf(1), math.Inf(-1)
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for _, l := range c.lines {
		for _, pt := range l.pts {
			if math.IsNaN(pt.V) {
				continue
			}
			v := yOf(pt.V)
			ymin, ymax = math.Min(ymin, v), math.Max(ymax, v)
			xmin, xmax = math.Min(xmin, pt.T), math.Max(xmax, pt.T)
		}
	}
	for _, b := range c.bands {
		xmin = math.Min(xmin, b.from)
		if !math.IsInf(b.to, 1) {
			xmax = math.Max(xmax, b.to)
		}
	}
	if math.IsInf(ymin, 1) { // nothing to draw: an empty, labelled frame
		xmin, xmax, ymin, ymax = 0, 1, 0, 1
	}
	if c.timeX && xmin > 0 {
		xmin = 0 // time axes start at load start
	}
	if xmax <= xmin {
		xmax = xmin + 1
	}
	p.X.Min, p.X.Max = xmin, xmax
	switch {
	case c.logY:
		if ymax-ymin < 1 {
			ymin, ymax = (ymin+ymax)/2-0.5, (ymin+ymax)/2+0.5
		}
		p.Y.Tick.Marker = logTicker{}
		p.Y.Min, p.Y.Max = ymin-0.1, ymax+0.1
	default:
		if c.yFromZero || ymin > 0 {
			ymin = 0
		}
		if ymax <= ymin {
			ymax = ymin + 1
		}
		p.Y.Min, p.Y.Max = ymin, ymax*1.08
	}
	if c.percentileX {
		p.X.Tick.Marker = percentileTicker{}
	} else {
		p.X.Tick.Marker = wholeTicker{}
	}
	if !c.logY {
		p.Y.Tick.Marker = wholeTicker{}
	}
	for _, b := range c.bands {
		p.Add(&bandPlotter{band: b})
	}
	for _, l := range c.lines {
		pts := l.pts
		if len(pts) > maxChartPoints {
			pts = LTTB(dropNaN(pts), maxChartPoints)
		}
		for _, seg := range segments(pts) {
			xys := make(plotter.XYs, len(seg))
			for i, pt := range seg {
				xys[i] = plotter.XY{X: pt.T, Y: yOf(pt.V)}
			}
			ln, err := plotter.NewLine(xys)
			if err != nil {
				return "", err
			}
			ln.LineStyle = draw.LineStyle{Color: l.style.colour, Width: l.style.width, Dashes: l.style.dashes}
			ln.StepStyle = plotter.NoStep
			if len(seg) == 1 || l.marks { // a lone point would vanish as a line
				sc, err := plotter.NewScatter(xys)
				if err != nil {
					return "", err
				}
				sc.GlyphStyle = draw.GlyphStyle{Color: l.style.colour, Radius: 1.5, Shape: draw.CircleGlyph{}}
				p.Add(sc)
				if len(seg) == 1 {
					continue
				}
			}
			p.Add(ln)
		}
	}
	if len(c.marks) > 0 {
		p.Add(&markPlotter{marks: c.marks, yOf: yOf})
	}
	h := c.heightIn
	if h == 0 {
		h = 2.6
	}
	w := chartWidth
	if c.widthIn > 0 {
		w = vg.Length(c.widthIn) * vg.Inch
	}
	cv := vgsvg.New(w, vg.Length(h)*vg.Inch)
	p.Draw(draw.New(cv))
	var buf bytes.Buffer
	if _, err := cv.WriteTo(&buf); err != nil {
		return "", err
	}
	return inlineSVG(buf.Bytes(), c.alt), nil
}

// sans is Liberation Sans, bundled with gonum/plot for text metrics; the
// page's CSS maps it to Arial or Helvetica (same metrics) when the reader
// lacks it. SVGs never embed or link fonts.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// logFloor keeps zero latencies (1 µs is the histogram floor) on a log axis.
const logFloor = 0.001

var (
	svgProlog = regexp.MustCompile(`(?s)^<\?xml[^>]*\?>\s*<!--.*?-->\s*`)
	svgSize   = regexp.MustCompile(`^<svg width="[^"]*" height="[^"]*"`)
)

// inlineSVG makes gonum's standalone SVG document fit inside HTML: no XML
// prolog, a fluid width, and an accessible name.
func inlineSVG(doc []byte, alt string) template.HTML {
	doc = svgProlog.ReplaceAll(doc, nil)
	doc = svgSize.ReplaceAll(doc, []byte(`<svg class="chart" role="img" aria-label="`+template.HTMLEscapeString(alt)+`"`))
	return template.HTML(doc) //nolint:gosec // generated by gonum/plot from numbers and escaped labels
}

// segments splits pts at NaN values.
func segments(pts []XY) [][]XY {
	var out [][]XY
	start := -1
	for i, p := range pts {
		switch {
		case math.IsNaN(p.V) && start >= 0:
			out = append(out, pts[start:i])
			start = -1
		case !math.IsNaN(p.V) && start < 0:
			start = i
		}
	}
	if start >= 0 {
		out = append(out, pts[start:])
	}
	return out
}

func dropNaN(pts []XY) []XY {
	out := make([]XY, 0, len(pts))
	for _, p := range pts {
		if !math.IsNaN(p.V) {
			out = append(out, p)
		}
	}
	return out
}

// bandPlotter shades a band across the full height of the data area and
// labels it at the top, in its row.
type bandPlotter struct{ band band }

func (b *bandPlotter) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, _ := plt.Transforms(&c)
	x0 := max(trX(b.band.from), c.Min.X)
	if b.band.instant {
		b.plotInstant(c, trX, x0)
	} else {
		x1 := c.Max.X
		if !math.IsInf(b.band.to, 1) {
			x1 = min(trX(b.band.to), c.Max.X)
		}
		if x1-x0 < 2 {
			x1 = x0 + 2
		}
		fill := faultFill
		if b.band.warmup {
			fill = warmupFill
		}
		c.FillPolygon(fill, []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}})
		if !b.band.warmup {
			edge := draw.LineStyle{Color: faultEdge, Width: 0.6, Dashes: []vg.Length{3, 2}}
			c.StrokeLine2(edge, x0, c.Min.Y, x0, c.Max.Y)
		}
	}
	if b.band.label == "" {
		return
	}
	sty := draw.TextStyle{
		Color:   color.NRGBA{0x44, 0x44, 0x44, 0xff},
		Font:    font.From(sans, 7.5),
		XAlign:  draw.XLeft,
		YAlign:  draw.YTop,
		Handler: plot.DefaultTextHandler,
	}
	c.FillText(sty, vg.Point{X: x0 + 3, Y: c.Max.Y - 2 - vg.Length(b.band.row)*labelRowHeight}, b.band.label)
}

// plotInstant draws an instant fault: its recovery span, then a solid line
// at its moment with a small triangle on top.
func (b *bandPlotter) plotInstant(c draw.Canvas, trX func(float64) vg.Length, x0 vg.Length) {
	if b.band.recoverTo > b.band.from {
		x1 := min(trX(b.band.recoverTo), c.Max.X)
		c.FillPolygon(recoveryFill, []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}})
	}
	c.StrokeLine2(draw.LineStyle{Color: instantMark, Width: 1.6}, x0, c.Min.Y, x0, c.Max.Y)
	c.FillPolygon(instantMark, []vg.Point{{X: x0 - 3.5, Y: c.Max.Y}, {X: x0 + 3.5, Y: c.Max.Y}, {X: x0, Y: c.Max.Y - 5}})
}

// labelRowHeight is the height of one row of band labels.
const labelRowHeight = 9

// markPlotter rings each mark's point and writes its number above it.
type markPlotter struct {
	marks []mark
	yOf   func(float64) float64
}

func (m *markPlotter) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	ring := draw.LineStyle{Color: spikeMark, Width: 1.4}
	sty := draw.TextStyle{Color: spikeMark, Font: font.From(sans, 8), XAlign: draw.XCenter, YAlign: draw.YBottom, Handler: plot.DefaultTextHandler}
	for _, mk := range m.marks {
		pt := vg.Point{X: trX(mk.t), Y: trY(m.yOf(mk.v))}
		if !c.Contains(pt) {
			continue
		}
		c.SetLineStyle(ring)
		var ringPath vg.Path
		ringPath.Move(vg.Point{X: pt.X + 4, Y: pt.Y})
		ringPath.Arc(pt, 4, 0, 2*math.Pi)
		ringPath.Close()
		c.Stroke(ringPath)
		at := vg.Point{X: pt.X, Y: pt.Y + 5}
		lsty := sty
		if at.Y > c.Max.Y-10 { // no room above: beside the ring
			at, lsty.XAlign, lsty.YAlign = vg.Point{X: pt.X + 6, Y: pt.Y}, draw.XLeft, draw.YCenter
		}
		c.FillText(lsty, at, mk.label)
	}
}

// wholeTicker marks a linear axis at 1-2-5 steps, labelled as whole numbers
// when the step is whole, else with just the decimals the step needs.
type wholeTicker struct{}

func (wholeTicker) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'f', -1, 64)}}
	}
	raw := (hi - lo) / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	decimals := max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', decimals, 64)})
		if half := v + step/2; half <= hi {
			ticks = append(ticks, plot.Tick{Value: half})
		}
	}
	return ticks
}

// logTicker marks a log10-valued axis: 1-2-5 steps of each decade
// labelled with their values, or only the decades when the range spans many.
type logTicker struct{}

func (logTicker) Ticks(lo, hi float64) []plot.Tick {
	d0, d1 := int(math.Floor(lo)), int(math.Ceil(hi))
	labelled := []float64{1, 2, 5}
	if d1-d0 > 4 {
		labelled = []float64{1}
	}
	var ticks []plot.Tick
	for d := d0; d <= d1; d++ {
		base := math.Pow(10, float64(d))
		for m := 1.0; m < 10; m++ {
			v := m * base
			lv := math.Log10(v)
			if lv < lo || lv > hi {
				continue
			}
			t := plot.Tick{Value: lv}
			for _, l := range labelled {
				if m == l {
					t.Label = strconv.FormatFloat(v, 'f', -1, 64)
				}
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// percentileTicker marks the "nines" of a percentile axis in log10(1/(1−q)).
type percentileTicker struct{}

func (percentileTicker) Ticks(lo, hi float64) []plot.Tick {
	labels := []string{"0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"}
	var ticks []plot.Tick
	for i, l := range labels {
		if v := float64(i); v >= lo-1e-9 && v <= hi+1e-9 {
			ticks = append(ticks, plot.Tick{Value: v, Label: l})
		}
	}
	return ticks
}

func hex(c color.NRGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

func dashCSS(d []vg.Length) string {
	var b []byte
	for i, v := range d {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendFloat(b, float64(v), 'f', -1, 64)
	}
	return string(b)
}
