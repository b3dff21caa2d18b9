package metrics

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"time"
)

// RecordFormat is the version of the run record's line format.
const RecordFormat = 1

// Line types of the run record. Every line is one JSON object whose "type"
// field is one of these (and LineProbe, LineNote, LineShutdown).
const (
	LineHeader   = "header"
	LineRun      = "run"
	LineLoad     = "load"
	LineInterval = "interval"
	LineService  = "service"
	LineReadings = "readings"
	LineFault    = "fault"
	LineRunEnd   = "run_end"
	LineTrailer  = "trailer"
)

// Run statuses, in RunEnd.Status and Trailer.Status.
const (
	StatusCompleted   = "completed"
	StatusInterrupted = "interrupted"
	StatusFailed      = "failed"
	StatusTruncated   = "truncated"
	// StatusSkipped marks a variant that could not run here (e.g. no JDK
	// for the JVM variant); it does not fail the verdict.
	StatusSkipped = "skipped"
	// StatusAborted marks a run an abort_on_fail threshold stopped early.
	StatusAborted = "aborted"
)

// Header is the first line of a record: what was run, where, and the plan.
type Header struct {
	Type            string      `json:"type"`
	Format          int         `json:"format"`
	Scenario        string      `json:"scenario"`
	Description     string      `json:"description,omitempty"`
	File            string      `json:"file,omitempty"`
	RunID           string      `json:"run_id"`
	GauntletVersion string      `json:"gauntlet_version"`
	GoVersion       string      `json:"go_version"`
	Host            Host        `json:"host"`
	StartedAt       time.Time   `json:"started_at"`
	Model           string      `json:"model"`
	Variants        []string    `json:"variants,omitempty"`
	Requests        []string    `json:"requests"`
	Stages          []Stage     `json:"stages"`
	Thresholds      []Threshold `json:"thresholds,omitempty"`
	IntervalMs      int         `json:"interval_ms"`
	Seed            int64       `json:"seed"`
	TimeoutMs       float64     `json:"timeout_ms"`
	MaxInFlight     int         `json:"max_in_flight"`
	// Runtimes names the runtime of each reference implementation used, e.g.
	// {"jvm": "openjdk 17.0.15", "go": "go1.26.8"}.
	Runtimes map[string]string `json:"runtimes,omitempty"`
	// Recovery judges time to recover after faults; nil means DefaultRecovery.
	Recovery *Recovery `json:"recovery,omitempty"`
	// Spikes says which seconds count as latency spikes; nil means
	// DefaultSpikeRule.
	Spikes *SpikeRule `json:"spikes,omitempty"`
	// Flows names the requests that are multi-step flows: their intervals
	// count whole flows, whose steps have intervals of their own
	// ("flow/step"), so run totals leave them out.
	Flows []string `json:"flows,omitempty"`
	// Search is the search model's plan; nil for other models.
	Search *SearchPlan `json:"search,omitempty"`
	// Segment is set when the record holds one generator's share of a
	// distributed run (gauntlet run --segment): its figures and thresholds
	// cover that share only.
	Segment *Segment `json:"segment,omitempty"`
	// Merged lists the records a merged record was made from (gauntlet
	// merge); empty for a record a run wrote.
	Merged []MergedInput `json:"merged,omitempty"`
	// CPUSets says where the generator and the services it started ran;
	// nil in records of runs that started no services, and in older ones.
	CPUSets *CPUSets `json:"cpu_sets,omitempty"`
}

// CPUSets says whether the generator and the services it started ran on
// disjoint CPUs. Generator and Services are CPU lists in the kernel's format
// ("0", "1-3") when they did; otherwise Shared says why not (e.g. "turned
// off", "1 CPU").
type CPUSets struct {
	Generator string `json:"generator,omitempty"`
	Services  string `json:"services,omitempty"`
	Shared    string `json:"shared,omitempty"`
}

// pinned reports whether the generator and the services ran apart.
func (c *CPUSets) pinned() bool { return c != nil && c.Generator != "" && c.Services != "" }

// String says in words where the generator and the services ran.
func (c *CPUSets) String() string {
	switch {
	case c == nil:
		return ""
	case c.pinned():
		return "generator on CPU " + c.Generator + ", services on CPU " + c.Services
	}
	return "generator and services share the CPUs (" + c.Shared + ")"
}

// Host describes the machine the generator ran on.
type Host struct {
	Hostname   string `json:"hostname"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	CPUs       int    `json:"cpus"`
	CPUModel   string `json:"cpu_model,omitempty"`
	MemoryByte uint64 `json:"memory_bytes,omitempty"`
}

// Stage is one planned load stage, with its offset from load start.
type Stage struct {
	StartS float64 `json:"start_s"`
	ForS   float64 `json:"for_s"`
	Rate   float64 `json:"rate"`
	// Concurrency is the closed model's number of workers at the end of
	// the stage (Rate is 0 then).
	Concurrency int    `json:"concurrency,omitempty"`
	Ramp        string `json:"ramp,omitempty"`
	Warmup      bool   `json:"warmup,omitempty"`
	// Name labels the stage; Kind is "open", "closed" or "idle".
	Name string `json:"name,omitempty"`
	Kind string `json:"kind,omitempty"`
	// IdleConnections and Target describe an idle-connections stage.
	IdleConnections int    `json:"idle_connections,omitempty"`
	Target          string `json:"target,omitempty"`
}

// Measured reports whether stage i of a plan counts in the run's measured
// figures: warm-up stages and idle-connection stages (which send nothing to
// measure) do not. An index past the plan counts.
func Measured(stages []Stage, i int) bool {
	return i >= len(stages) || !stages[i].Warmup && stages[i].Kind != "idle"
}

// Threshold is a pass/fail condition on a run's summary, as the scenario
// stated it (see scenarios.Threshold for the metrics and scopes). Value is in
// the metric's canonical unit: milliseconds for latencies, schedule_lag,
// time_to_recover, startup_ms and cpu_per_1k; bytes for rss_idle and
// rss_peak; a 0–1 ratio for error_rate, status_rate and tag_coverage;
// requests per second for rps; a count otherwise.
type Threshold struct {
	Expr    string  `json:"expr"`
	Metric  string  `json:"metric"`
	Op      string  `json:"op"`
	Value   float64 `json:"value"`
	Request string  `json:"request,omitempty"`
	// Service scopes a service metric to one service; empty means every
	// service gauntlet started.
	Service string `json:"service,omitempty"`
	// Variant, when set, judges only the run of that variant.
	Variant string `json:"variant,omitempty"`
	// Window is "", "faults", "steady" or "fault:NAME".
	Window string `json:"window,omitempty"`
	// AbortOnFail asks the engine to stop the run once the threshold fails,
	// evaluated no earlier than DelayAbortEvalMs after load start.
	AbortOnFail      bool    `json:"abort_on_fail,omitempty"`
	DelayAbortEvalMs float64 `json:"delay_abort_eval_ms,omitempty"`
}

// RunStart opens the lines of one run (one variant) in the record, before
// its services start.
type RunStart struct {
	Type    string    `json:"type"`
	Variant string    `json:"variant"`
	Start   time.Time `json:"start"`
}

// LoadStart marks the moment load began (t0); interval offsets count from
// it.
type LoadStart struct {
	Type     string    `json:"type"`
	Variant  string    `json:"variant"`
	Start    time.Time `json:"start"`
	PlannedS float64   `json:"planned_s"`
	// Client names the HTTP client that sent the requests.
	Client string `json:"client,omitempty"`
}

// Interval aggregates the requests of one request name and stage that were
// meant to be sent within one interval of the run (by intended send time;
// in the closed model, actual send time), however late they completed.
// Histograms are HDR V2 compressed (base64) in microseconds.
type Interval struct {
	Type     string           `json:"type"`
	Variant  string           `json:"variant"`
	T        int              `json:"t"`
	Request  string           `json:"request"`
	Stage    int              `json:"stage"`
	Requests int64            `json:"requests"`
	Errors   int64            `json:"errors"`
	Dropped  int64            `json:"dropped,omitempty"`
	Canceled int64            `json:"canceled,omitempty"`
	Codes    map[string]int64 `json:"codes,omitempty"`
	Classes  map[string]int64 `json:"classes,omitempty"`
	BytesIn  int64            `json:"bytes_in"`
	BytesOut int64            `json:"bytes_out"`
	Latency  string           `json:"latency,omitempty"`
	Service  string           `json:"service_time,omitempty"`
	Lag      string           `json:"lag,omitempty"`
	// Slots splits the interval at SlotLength resolution; nil in records
	// written before slots existed.
	Slots *Slots `json:"slots,omitempty"`
	// Clamped counts the latencies above one hour, which Latency holds
	// as one hour.
	Clamped int64 `json:"clamped,omitempty"`
	// SentUntilS is when (s since t0) the last of the interval's requests
	// was sent, when that was after the interval's end: a generator far
	// behind its plan sent them late.
	SentUntilS float64 `json:"sent_until_s,omitempty"`
}

// ServiceEvent is something that happened to a service under test.
type ServiceEvent struct {
	Type       string    `json:"type"`
	Variant    string    `json:"variant"`
	Time       time.Time `json:"time"`
	Service    string    `json:"service"`
	Kind       string    `json:"kind"`
	PID        int       `json:"pid,omitempty"`
	StartupMs  float64   `json:"startup_ms,omitempty"`
	ExitCode   int       `json:"exit_code,omitempty"`
	Signal     string    `json:"signal,omitempty"`
	Unexpected bool      `json:"unexpected,omitempty"`
	Message    string    `json:"message,omitempty"`
	// Fault names the fault that ended the process ("exited") or whose
	// victim this start replaces ("ready").
	Fault      string   `json:"fault,omitempty"`
	OutputTail string   `json:"output_tail,omitempty"`
	Command    []string `json:"command,omitempty"`
}

// Readings is one sample of one resource owner (a service's process tree,
// "host", or "generator") taken by the probes. T is seconds since load start
// (negative before load begins, e.g. idle memory). Values use Prometheus-style
// names with units: rss_bytes, cpu_seconds_total, threads, open_fds,
// goroutines, host_cpu_utilization_ratio, host_memory_used_bytes.
type Readings struct {
	Type    string             `json:"type"`
	Variant string             `json:"variant"`
	Time    time.Time          `json:"time"`
	T       float64            `json:"t"`
	Owner   string             `json:"owner"`
	Values  map[string]float64 `json:"values"`
}

// FaultEvent is a fault being injected, reverted, or failing to be either.
// T is seconds since load start.
type FaultEvent struct {
	Type    string    `json:"type"`
	Variant string    `json:"variant"`
	Time    time.Time `json:"time"`
	T       float64   `json:"t"`
	Name    string    `json:"name"`
	Kind    string    `json:"kind"`
	Target  string    `json:"target,omitempty"`
	Event   string    `json:"event"` // injected | reverted | inject_failed | revert_failed
	Error   string    `json:"error,omitempty"`
}

// RunEnd closes one run.
type RunEnd struct {
	Type      string    `json:"type"`
	Variant   string    `json:"variant"`
	End       time.Time `json:"end"`
	DurationS float64   `json:"duration_s"`
	Status    string    `json:"status"`
	Error     string    `json:"error,omitempty"`
}

// Trailer is the last line of a complete record.
type Trailer struct {
	Type   string    `json:"type"`
	End    time.Time `json:"end"`
	Status string    `json:"status"`
}

// A Line is one line of the run record: a Header, RunStart, LoadStart,
// Interval, ServiceEvent, Readings, FaultEvent, Probe, Note, Shutdown,
// RunEnd or Trailer. Each knows its own type: Writer.Write fills in the
// "type" field, so whoever writes a line leaves Type empty.
type Line interface {
	// typed returns the line with Type set to its line type.
	typed() Line
}

var (
	_ Line = Header{}
	_ Line = RunStart{}
	_ Line = LoadStart{}
	_ Line = Interval{}
	_ Line = ServiceEvent{}
	_ Line = Readings{}
	_ Line = FaultEvent{}
	_ Line = Probe{}
	_ Line = Note{}
	_ Line = Shutdown{}
	_ Line = RunEnd{}
	_ Line = Trailer{}
)

func (l Header) typed() Line       { l.Type = LineHeader; return l }
func (l RunStart) typed() Line     { l.Type = LineRun; return l }
func (l LoadStart) typed() Line    { l.Type = LineLoad; return l }
func (l Interval) typed() Line     { l.Type = LineInterval; return l }
func (l ServiceEvent) typed() Line { l.Type = LineService; return l }
func (l Readings) typed() Line     { l.Type = LineReadings; return l }
func (l FaultEvent) typed() Line   { l.Type = LineFault; return l }
func (l Probe) typed() Line        { l.Type = LineProbe; return l }
func (l Note) typed() Line         { l.Type = LineNote; return l }
func (l Shutdown) typed() Line     { l.Type = LineShutdown; return l }
func (l RunEnd) typed() Line       { l.Type = LineRunEnd; return l }
func (l Trailer) typed() Line      { l.Type = LineTrailer; return l }

// A Writer appends lines to a record file and flushes each batch to disk, so
// a crash leaves a readable prefix. It is safe for concurrent use.
type Writer struct {
	mu   sync.Mutex
	f    *os.File
	w    *bufio.Writer
	path string
	err  error
	tap  func(lines []any)
}

// SetTap makes every later Write hand its lines, once written, to tap (e.g.
// live metrics). tap is called in the order lines are written, one call at a
// time, and must return quickly; it must not keep or change the lines.
func (w *Writer) SetTap(tap func(lines []any)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tap = tap
}

// ErrRecordExists is wrapped by Create when a file (or a link) is already at
// the path: a record is never written over another run's, nor through a link.
var ErrRecordExists = errors.New("a file is already there")

// Create creates the record file at path, which must not exist yet
// (ErrRecordExists); a symbolic link there is not followed.
func Create(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|syscall.O_NOFOLLOW, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("create record %s: %w", path, ErrRecordExists)
	}
	if err != nil {
		return nil, fmt.Errorf("create record: %w", err)
	}
	return &Writer{f: f, w: bufio.NewWriterSize(f, 64<<10), path: path}, nil
}

// Path returns the record's file path.
func (w *Writer) Path() string { return w.path }

// Write appends the given lines, each with its type, and flushes them to
// the file. The first error sticks: later writes return it too.
func (w *Writer) Write(lines ...Line) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	enc := json.NewEncoder(w.w)
	enc.SetEscapeHTML(false)
	for _, l := range lines {
		if err := enc.Encode(l.typed()); err != nil {
			w.err = fmt.Errorf("write record: %w", err)
			return w.err
		}
	}
	if err := w.w.Flush(); err != nil {
		w.err = fmt.Errorf("write record: %w", err)
	}
	if w.tap != nil {
		tapped := make([]any, len(lines))
		for i, l := range lines {
			tapped[i] = l
		}
		w.tap(tapped)
	}
	return w.err
}

// Close flushes and closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	ferr := w.w.Flush()
	cerr := w.f.Close()
	if w.err == nil {
		w.err = ferr
	}
	if w.err == nil && cerr != nil {
		w.err = cerr
	}
	return w.err
}

// Record is a decoded run record.
type Record struct {
	Header Header
	Runs   []*Run
	// Trailer is nil when the record was cut off before its end.
	Trailer *Trailer
	// Truncated is set when the record ends without a trailer or with a
	// partial last line: the run crashed or was killed.
	Truncated bool
	// Path is where the record was read from, if it came from a file.
	Path string
	// CorruptLines counts the lines Read skipped as malformed; Corrupt
	// describes the first of them.
	CorruptLines int
	Corrupt      []string
}

// Run holds the lines of one run (one variant) of a record.
type Run struct {
	Start RunStart
	// Load is nil when the run ended before load began.
	Load      *LoadStart
	Intervals []Interval
	Services  []ServiceEvent
	Readings  []Readings
	Faults    []FaultEvent
	// Probes are the search model's probes, in order.
	Probes []Probe
	// Notes are what the runner said about the run (e.g. data ran out).
	Notes []Note
	// Shutdowns are the load's view of each terminate fault.
	Shutdowns []Shutdown
	End       *RunEnd
}

// ReadFile decodes the record at path.
func ReadFile(path string) (*Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open record: %w", err)
	}
	defer f.Close()
	rec, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	rec.Path = path
	return rec, nil
}

// maxLineBytes bounds one line of a record; real lines are a few KB.
const maxLineBytes = 16 << 20

// maxCorruptNoted bounds the line numbers Record.Corrupt keeps.
const maxCorruptNoted = 10

// Read decodes a record. A last line cut off mid-write is ignored and marks
// the record Truncated. A malformed line elsewhere (a disk error, an edited
// file) or one longer than 16 MiB is skipped and counted in CorruptLines,
// so that one bad line does not cost the whole report; a record whose first
// line is not a header is an error.
func Read(r io.Reader) (*Record, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	rec := &Record{}
	var run *Run
	seenHeader := false
	var buf []byte
	for lineNo := 1; ; lineNo++ {
		line, tooLong, rerr := readLine(br, buf[:0])
		buf = line
		complete := rerr == nil
		if rerr != nil && rerr != io.EOF {
			return nil, fmt.Errorf("read record: %w", rerr)
		}
		line = bytes.TrimSpace(line)
		var err error
		switch {
		case tooLong:
			err = fmt.Errorf("longer than %d bytes", maxLineBytes)
		case len(line) > 0:
			err = rec.decodeLine(line, &run, &seenHeader)
		}
		switch {
		case err == nil:
		case !complete:
			rec.Truncated = true
		case !seenHeader:
			return nil, fmt.Errorf("line %d: %w", lineNo, err)
		default:
			rec.CorruptLines++
			if len(rec.Corrupt) < maxCorruptNoted {
				rec.Corrupt = append(rec.Corrupt, fmt.Sprintf("line %d: %v", lineNo, err))
			}
		}
		if !complete {
			break
		}
	}
	if !seenHeader {
		return nil, fmt.Errorf("not a gauntlet record: no header line")
	}
	if rec.Trailer == nil {
		rec.Truncated = true
	}
	return rec, nil
}

// readLine reads one line into buf, keeping at most maxLineBytes of it;
// tooLong says it was longer.
func readLine(br *bufio.Reader, buf []byte) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) <= maxLineBytes {
			buf = append(buf, chunk...)
		} else {
			tooLong = true
		}
		if err != bufio.ErrBufferFull {
			return buf, tooLong, err
		}
	}
}

func (rec *Record) decodeLine(line []byte, run **Run, seenHeader *bool) error {
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(line, &probe); err != nil {
		return err
	}
	if !*seenHeader && probe.Type != LineHeader {
		return fmt.Errorf("first line is %q, want a header", probe.Type)
	}
	switch probe.Type {
	case LineHeader:
		*seenHeader = true
		return json.Unmarshal(line, &rec.Header)
	case LineRun:
		r := &Run{}
		if err := json.Unmarshal(line, &r.Start); err != nil {
			return err
		}
		rec.Runs = append(rec.Runs, r)
		*run = r
	case LineLoad, LineInterval, LineService, LineReadings, LineFault, LineRunEnd, LineProbe, LineNote, LineShutdown:
		if *run == nil {
			return fmt.Errorf("%s line before any run line", probe.Type)
		}
		return (*run).decode(probe.Type, line)
	case LineTrailer:
		rec.Trailer = &Trailer{}
		return json.Unmarshal(line, rec.Trailer)
	}
	// Unknown line types come from newer versions; skip them.
	return nil
}

func (r *Run) decode(typ string, line []byte) error {
	switch typ {
	case LineLoad:
		r.Load = &LoadStart{}
		return json.Unmarshal(line, r.Load)
	case LineInterval:
		var iv Interval
		if err := json.Unmarshal(line, &iv); err != nil {
			return err
		}
		r.Intervals = append(r.Intervals, iv)
	case LineService:
		var ev ServiceEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			return err
		}
		r.Services = append(r.Services, ev)
	case LineReadings:
		var rd Readings
		if err := json.Unmarshal(line, &rd); err != nil {
			return err
		}
		r.Readings = append(r.Readings, rd)
	case LineFault:
		var fe FaultEvent
		if err := json.Unmarshal(line, &fe); err != nil {
			return err
		}
		r.Faults = append(r.Faults, fe)
	case LineRunEnd:
		r.End = &RunEnd{}
		return json.Unmarshal(line, r.End)
	case LineProbe, LineNote:
		return r.decodeRunner(typ, line)
	case LineShutdown:
		return r.decodeShutdown(line)
	}
	return nil
}
