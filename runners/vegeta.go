package runners

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// ReadTargets parses a vegeta targets file — format "http" (vegeta's text
// format: "METHOD URL", header lines, "@body-file") or "json" (one JSON
// object per line) — and returns one scenario request per target, weight 1
// each, so the open model's mix goes round-robin over them in file order.
// Bodies and URLs are taken literally: a "${" in them is not a template.
func ReadTargets(r io.Reader, format string) ([]scenarios.Request, error) {
	var tr vegeta.Targeter
	switch format {
	case "http", "":
		tr = vegeta.NewHTTPTargeter(r, nil, nil)
	case "json":
		tr = vegeta.NewJSONTargeter(r, nil, nil)
	default:
		return nil, fmt.Errorf("unknown targets format %q (use http or json)", format)
	}
	tgts, err := vegeta.ReadAllTargets(tr)
	if err != nil {
		return nil, fmt.Errorf("read targets: %w", err)
	}
	if len(tgts) == 0 {
		return nil, errors.New("read targets: no targets")
	}
	seen := map[string]int{}
	reqs := make([]scenarios.Request, 0, len(tgts))
	for i, t := range tgts {
		name := t.Method + " " + t.URL
		if seen[name]++; seen[name] > 1 {
			name += " #" + strconv.Itoa(seen[name])
		}
		req := scenarios.Request{Name: name, Weight: 1, Method: t.Method,
			URL: scenarios.MustCompileTemplate(literal(t.URL)), Headers: map[string]scenarios.Template{}}
		keys := make([]string, 0, len(t.Header))
		for k := range t.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			req.Headers[k] = scenarios.MustCompileTemplate(literal(strings.Join(t.Header[k], ", ")))
		}
		if len(t.Body) > 0 {
			b := scenarios.MustCompileTemplate(literal(string(t.Body)))
			req.Body = &b
		}
		if req.Method == "" {
			return nil, fmt.Errorf("target %d: no method", i+1)
		}
		reqs = append(reqs, req)
	}
	return reqs, nil
}

// literal escapes s so that it compiles to a template rendering s.
func literal(s string) string { return strings.ReplaceAll(s, "${", "$${") }

// A ResultSink receives a copy of every Result of a run, off the hot path:
// Put is called from one goroutine that sits between the runner and the
// recorder.
type ResultSink interface {
	// Begin is called once per run (variant) before its first Put, with the
	// run's t0 and request names (Result.Request indexes them).
	Begin(variant string, t0 time.Time, names []string)
	// Put receives one result.
	Put(r metrics.Result)
}

// Tee runs Runner and copies every Result it puts to Sink before passing it
// on, on the goroutine that put it; Sink.Put must be safe for concurrent use.
type Tee struct {
	Runner
	Sink ResultSink
}

// SetNotes passes fn on to the wrapped runner when it is a Noter.
func (t *Tee) SetNotes(fn func(line any)) {
	if n, ok := t.Runner.(Noter); ok {
		n.SetNotes(fn)
	}
}

// Run implements Runner.
func (t *Tee) Run(ctx context.Context, out *metrics.Sink) error {
	return t.Runner.Run(ctx, out.Derive(0, func(r *metrics.Result) { t.Sink.Put(*r) }))
}

// Dump writes results as vegeta results (gob, JSON or CSV), so `vegeta
// report`, `vegeta plot` and `vegeta encode` read them. Timestamp is the
// intended send time (wall clock), Latency is measured from it, as gauntlet
// measures it; Error is the error class for failed requests; Attack is
// "VARIANT/REQUEST". Encoding happens on a goroutine of its own fed by a
// buffered channel: Put never drops a result, it waits when the buffer is
// full. Dropped and cancelled requests are not written (they were never
// answered). Close flushes and must be called once the run is over.
type Dump struct {
	enc   vegeta.Encoder
	bw    *bufio.Writer
	ch    chan dumpItem
	done  chan struct{}
	err   error
	mu    sync.Mutex
	t0    time.Time
	names []string
	attk  []string
	seq   uint64
}

type dumpItem struct {
	r      metrics.Result
	t0     time.Time
	attack string
}

// DumpFormat returns the vegeta encoding for path by its extension: .json
// → json, .csv → csv, anything else → gob (vegeta's default).
func DumpFormat(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json", ".ndjson":
		return "json"
	case ".csv":
		return "csv"
	}
	return "gob"
}

// NewDump returns a Dump writing format ("gob", "json" or "csv") to w.
func NewDump(w io.Writer, format string) (*Dump, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	d := &Dump{bw: bw, ch: make(chan dumpItem, 1<<16), done: make(chan struct{})}
	switch format {
	case "gob":
		d.enc = vegeta.NewEncoder(bw)
	case "json":
		d.enc = vegeta.NewJSONEncoder(bw)
	case "csv":
		d.enc = vegeta.NewCSVEncoder(bw)
	default:
		return nil, fmt.Errorf("unknown results format %q (use gob, json or csv)", format)
	}
	go d.loop()
	return d, nil
}

// Begin implements ResultSink.
func (d *Dump) Begin(variant string, t0 time.Time, names []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.t0, d.names = t0, names
	d.attk = make([]string, len(names))
	for i, n := range names {
		d.attk[i] = n
		if variant != "" {
			d.attk[i] = variant + "/" + n
		}
	}
}

// Put implements ResultSink.
func (d *Dump) Put(r metrics.Result) {
	if r.Class == metrics.Dropped || r.Class == metrics.Canceled {
		return
	}
	d.mu.Lock()
	it := dumpItem{r: r, t0: d.t0}
	if int(r.Request) < len(d.attk) {
		it.attack = d.attk[r.Request]
	}
	d.mu.Unlock()
	d.ch <- it
}

func (d *Dump) loop() {
	defer close(d.done)
	for it := range d.ch {
		if d.err != nil {
			continue
		}
		r := it.r
		vr := vegeta.Result{
			Attack: it.attack, Seq: d.seq, Code: r.Code, Timestamp: it.t0.Add(r.Intended), Latency: r.Latency(),
			BytesIn: uint64(max(r.BytesIn, 0)), BytesOut: uint64(max(r.BytesOut, 0)),
		}
		d.seq++
		if r.Class != metrics.OK {
			vr.Error = r.Class.String()
		}
		d.err = d.enc.Encode(&vr)
	}
}

// Close waits for every result put so far to be written and flushes.
func (d *Dump) Close() error {
	close(d.ch)
	<-d.done
	if err := d.bw.Flush(); err != nil && d.err == nil {
		d.err = err
	}
	if d.err != nil {
		return fmt.Errorf("write results: %w", d.err)
	}
	return nil
}
