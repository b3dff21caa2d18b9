//go:build !race

// The browser tests drive headless Chromium through chromedp. Rendering a
// whole report is one goroutine's work, which -race only slows, so they are
// left out of -race builds, and with them the compile of chromedp and the
// DevTools protocol's generated packages: make test runs them without -race.

package reports

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// findChromium returns the browser to test with: $CHROMIUM, else
// /usr/bin/chromium, else chromium on PATH; "" when there is none.
func findChromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// pageLog collects what the page did, from the browser's event loop.
type pageLog struct {
	mu       sync.Mutex
	problems []string // console errors, exceptions, error log entries
	requests []string // every URL the page asked for
}

func (l *pageLog) listen(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert || ev.Type == runtime.ConsoleAPICalledTypeWarning {
			var args []string
			for _, a := range ev.Args {
				args = append(args, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			l.problems = append(l.problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		}
	case *runtime.EventExceptionThrown:
		l.problems = append(l.problems, "uncaught exception: "+ev.ExceptionDetails.Text)
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
			l.problems = append(l.problems, fmt.Sprintf("browser log %s (%s): %s %s", ev.Entry.Level, ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
		}
	case *network.EventRequestWillBeSent:
		l.requests = append(l.requests, ev.Request.URL)
	}
}

// browserPage is what a headless Chromium saw of one page.
type browserPage struct {
	url      string
	problems []string
	requests []string
	charts   int          // inline SVG charts drawn at a readable size
	verdict  string       // the verdict banner's text
	marks    []string     // the items of the spike lists under the charts
	svgRects [][4]float64 // x, y, width, height of each chart's SVG on the page
	png      []byte       // full-page screenshot
}

// needChromium returns the browser binary, or skips (fails in CI) without one.
func needChromium(t *testing.T) string {
	t.Helper()
	bin := findChromium()
	if bin == "" {
		msg := "no Chromium found ($CHROMIUM, /usr/bin/chromium, chromium on PATH): install chromium (apt-get install -y chromium)"
		if os.Getenv("CI") != "" || os.Getenv("GAUNTLET_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return bin
}

// openInBrowser loads the HTML file at path in a fresh headless Chromium
// with the network cut off (offline emulation, and a proxy on a closed
// port for anything that slips past it) and reports what happened.
func openInBrowser(t *testing.T, bin, path string) browserPage {
	t.Helper()
	bp := browserPage{url: "file://" + path}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in CI containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.ProxyServer("127.0.0.1:9"),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		chromedp.WindowSize(1200, 900),
	)
	defer acancel()
	var pl pageLog
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithListener(pl.listen))
	defer bcancel()
	if err := chromedp.Do(bctx); err != nil { // start the browser and attach the tab
		t.Fatalf("start %s: %v", bin, err)
	}
	offline := []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}
	for _, step := range []func() error{
		func() error { _, err := chromedp.Call(bctx, network.Enable, network.EnableParams{}); return err },
		func() error { _, err := chromedp.Call(bctx, log.Enable, struct{}{}); return err },
		func() error {
			_, err := chromedp.Call(bctx, network.EmulateNetworkConditionsByRule,
				network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: offline})
			return err
		},
	} {
		if err := step(); err != nil {
			t.Fatalf("set up the tab: %v", err)
		}
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(bp.url)); err != nil {
		t.Fatalf("open %s: %v", bp.url, err)
	}
	var err error
	if bp.charts, err = chromedp.Run(bctx, chromedp.Evaluate[int](
		`Array.from(document.querySelectorAll("svg.chart")).filter(s => s.getBoundingClientRect().width > 300 && s.getBoundingClientRect().height > 80).length`)); err != nil {
		t.Fatalf("count charts: %v", err)
	}
	if bp.verdict, err = chromedp.Run(bctx, chromedp.Evaluate[string](`(document.querySelector("#verdict .word") || {textContent: ""}).textContent`)); err != nil {
		t.Fatalf("read verdict: %v", err)
	}
	if bp.marks, err = chromedp.Run(bctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("ol.marks li")).filter(li => li.getBoundingClientRect().height > 0).map(li => li.value + " " + li.textContent)`)); err != nil {
		t.Fatalf("read spike lists: %v", err)
	}
	if bp.svgRects, err = chromedp.Run(bctx, chromedp.Evaluate[[][4]float64](
		`Array.from(document.querySelectorAll("svg.chart")).map(s => { const r = s.getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY, r.width, r.height]; })`)); err != nil {
		t.Fatalf("locate charts: %v", err)
	}
	if bp.png, err = chromedp.Run(bctx, chromedp.FullScreenshot(100)); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	// Events arrive on the tab's loop; let late ones land before reading.
	time.Sleep(300 * time.Millisecond)
	pl.mu.Lock()
	defer pl.mu.Unlock()
	bp.problems = append([]string(nil), pl.problems...)
	bp.requests = append([]string(nil), pl.requests...)
	return bp
}

// TestHTMLInBrowser opens the full report from disk in headless Chromium,
// with the network cut off, and checks that it loads without console
// errors, asks for nothing but itself, and draws its charts. It saves a
// full-page screenshot to testdata/out/report.png for people to look at.
func TestHTMLInBrowser(t *testing.T) {
	bin := needChromium(t)
	out := renderHTML(t, fullFixture)
	page := filepath.Join(t.TempDir(), "report.html")
	must(t, os.WriteFile(page, out, 0o644))
	bp := openInBrowser(t, bin, page)

	shot := filepath.Join("testdata", "out", "report.png")
	if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
		shot = filepath.Join(t.TempDir(), "report.png")
	}
	must(t, os.WriteFile(shot, bp.png, 0o644))
	abs, _ := filepath.Abs(shot)
	t.Logf("screenshot: %s (%d bytes)", abs, len(bp.png))

	for _, p := range bp.problems {
		t.Errorf("page problem: %s", p)
	}
	for _, u := range bp.requests {
		if u != bp.url {
			t.Errorf("page requested %s; want no request but the report itself", u)
		}
	}
	if len(bp.requests) == 0 {
		t.Errorf("saw no request at all; the network listener is not working")
	}
	if want := strings.Count(string(out), `<svg class="chart"`); bp.charts != want || want < 10 {
		t.Errorf("%d charts drawn at a readable size; want %d (and at least 10)", bp.charts, want)
	}
	if !strings.Contains(bp.verdict, "FAIL") {
		t.Errorf("verdict banner reads %q; want FAIL", bp.verdict)
	}
	checkMarksDrawn(t, bp)
}

// checkMarksDrawn checks, on the screenshot inside the charts' SVGs, that
// the instant fault's line, its recovery span and the spike rings were
// painted (no data line uses their colours), and that the spike list names
// the fault.
func checkMarksDrawn(t *testing.T, bp browserPage) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(bp.png))
	if err != nil {
		t.Fatalf("decode screenshot: %v", err)
	}
	// The recovery span is translucent sky blue over white.
	over := func(c color.NRGBA) color.NRGBA {
		a := float64(c.A) / 255
		mix := func(v uint8) uint8 { return uint8(math.Round(float64(v)*a + 255*(1-a))) }
		return color.NRGBA{mix(c.R), mix(c.G), mix(c.B), 0xff}
	}
	for _, want := range []struct {
		name   string
		colour color.NRGBA
		min    int
	}{
		{"instant fault line", instantMark, 100},
		{"recovery span", over(recoveryFill), 500},
		{"spike ring", spikeMark, 20},
	} {
		n := 0
		for _, r := range bp.svgRects {
			n += countColour(img, image.Rect(int(r[0]), int(r[1]), int(r[0]+r[2]), int(r[1]+r[3])), want.colour, 6)
		}
		if n < want.min {
			t.Errorf("%s (%s): %d pixels in the screenshot; want at least %d", want.name, hex(want.colour), n, want.min)
		}
	}
	if len(bp.marks) == 0 {
		t.Fatalf("no spike list under the latency charts")
	}
	joined := strings.Join(bp.marks, "\n")
	for _, want := range []string{"1 ", "p99", "fault slow-inventory (latency on inventory) in effect"} {
		if !strings.Contains(joined, want) {
			t.Errorf("spike lists read:\n%s\nwant %q in them", joined, want)
		}
	}
}

// countColour counts the pixels of img inside rect within tol of c on every
// channel.
func countColour(img image.Image, rect image.Rectangle, c color.NRGBA, tol int) int {
	n := 0
	b := img.Bounds().Intersect(rect)
	near := func(a uint32, v uint8) bool { d := int(a>>8) - int(v); return d >= -tol && d <= tol }
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r, c.R) && near(g, c.G) && near(bl, c.B) {
				n++
			}
		}
	}
	return n
}

// TestBrowserHarnessCatches proves the checks above can fail: a page that
// logs an error, throws, and fetches from the network is caught on all three.
func TestBrowserHarnessCatches(t *testing.T) {
	bin := needChromium(t)
	page := filepath.Join(t.TempDir(), "bad.html")
	must(t, os.WriteFile(page, []byte(`<!DOCTYPE html><html><head><title>bad</title></head><body>
<img src="http://example.com/pixel.png" alt="">
<script>console.error("boom"); throw new Error("thrown");</script></body></html>`), 0o644))
	bp := openInBrowser(t, bin, page)
	joined := strings.Join(bp.problems, "\n")
	for _, want := range []string{"console.error: boom", "uncaught exception"} {
		if !strings.Contains(joined, want) {
			t.Errorf("harness missed %q; saw:\n%s", want, joined)
		}
	}
	external := false
	for _, u := range bp.requests {
		external = external || strings.HasPrefix(u, "http://example.com/")
	}
	if !external {
		t.Errorf("harness missed the request to example.com; saw %v", bp.requests)
	}
}
