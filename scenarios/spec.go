// Package scenarios defines the scenario file: its schema, strict decoding
// with file:line:col errors, validation that reports every problem at once,
// request templates, threshold expressions and the library of scenarios
// embedded in the binary.
//
// A Spec is plain data. Parse, Load and Open return it decoded, defaulted and
// validated; nothing in it changes afterwards, so it is safe to share
// between goroutines.
package scenarios

// Spec is one decoded and validated scenario file.
type Spec struct {
	Name        string `yaml:"name"` // default: the file's base name without extension
	Description string `yaml:"description"`
	// Variants lists the variants the whole scenario runs once for, e.g.
	// [go, jvm]. Empty means a single run. Entries are unique and match [a-z0-9-]+.
	Variants []string `yaml:"variants"`
	// Services are the programs under test, in file order.
	Services   []Service   `yaml:"services,keyed"`
	Load       LoadProfile `yaml:"load"`
	Requests   []Request   `yaml:"requests"`
	Faults     []Fault     `yaml:"faults"`
	Thresholds []Threshold `yaml:"thresholds"`
	// Spikes tunes which seconds of a run count as latency spikes; nil
	// keeps the defaults.
	Spikes *SpikeRule `yaml:"spikes"`
	// AllowRemote permits targets that are not on loopback.
	AllowRemote bool `yaml:"allow_remote"`
	// File is the path the scenario was read from, or "library:NAME".
	File string `yaml:"-"`

	pos map[string]position // field path -> position of its value
	bad map[string]bool     // field paths already reported while decoding
}

// SpikeRule says which seconds count as latency spikes: a second is one when
// its p99 is at least Factor (default 3) times the run's typical p99 (the
// median of its seconds' p99) and at least MinRise (default 5ms) above it.
// A service's garbage collector pausing it for at least GCPause (default
// 1ms, and three times its usual pause time) around a spike is named as a
// cause.
type SpikeRule struct {
	Factor  float64  `yaml:"factor"`
	MinRise Duration `yaml:"min_rise"`
	GCPause Duration `yaml:"gc_pause"`
}

// Service returns the service called name.
func (s *Spec) Service(name string) (*Service, bool) {
	for i := range s.Services {
		if s.Services[i].Name == name {
			return &s.Services[i], true
		}
	}
	return nil, false
}

// OnKubernetes reports whether fault f acts on a service that runs on
// Kubernetes, so that Chaos Mesh injects it.
func (s *Spec) OnKubernetes(f Fault) bool {
	svc, ok := s.Service(f.Service)
	return ok && svc.Kubernetes != nil
}

// Service is a program under test or an already running target. Exactly one
// of Baseline, Command and URL is set; a service with Kubernetes set runs in a
// cluster, is reached at URL and has its faults injected by Chaos Mesh.
type Service struct {
	// Name is the key of the service in the services map; templates refer to
	// the service's base address as ${Name}.
	Name string `yaml:"-"`
	// Baseline is the role of a reference implementation shipped with
	// gauntlet, e.g. "micro" or "gateway"; the variant picks the language.
	Baseline string `yaml:"baseline"`
	// Command is the argv to start; it may contain ${port}, ${addr} and
	// ${OTHER_SERVICE} templates, bound by the caller before exec.
	Command []string `yaml:"command"`
	// Ready is a URL polled until it answers 200, or grpc://HOST:PORT[/SERVICE]
	// polled with grpc.health.v1 until SERVING; it may contain ${addr} and
	// ${port}. Default "http://${addr}/healthz" for baseline and command
	// services, none for URL services.
	Ready string `yaml:"ready"`
	// URL is the base address of a target that is already running.
	URL string `yaml:"url"`
	// Metrics is the path of the service's Prometheus metrics, e.g.
	// "/metrics" or "/actuator/prometheus", scraped every second; "off"
	// scrapes nothing. Unset: reference services are scraped at /metrics,
	// and a command service is asked once at /metrics and scraped only if
	// it answers in Prometheus format.
	Metrics string `yaml:"metrics"`
	// Env holds extra environment variables; values may be templates like Command.
	Env map[string]string `yaml:"env"`
	// Dir is the working directory of Command.
	Dir string `yaml:"dir"`
	// DependsOn names services that must be ready before this one starts.
	DependsOn []string `yaml:"depends_on"`
	// StartTimeout bounds the wait for Ready; default 30s.
	StartTimeout Duration `yaml:"start_timeout"`
	// StopTimeout is the grace between SIGTERM and SIGKILL; default 10s.
	StopTimeout Duration `yaml:"stop_timeout"`
	// Kubernetes, when set, says which pods the service is in a cluster:
	// faults on it become Chaos Mesh objects (see faultkind.Kind.ChaosMesh).
	Kubernetes *Kubernetes `yaml:"kubernetes"`
}

// Kubernetes selects the pods of a service that runs on Kubernetes, the way
// a Chaos Mesh selector does.
type Kubernetes struct {
	// Namespace of the pods; default "default".
	Namespace string `yaml:"namespace"`
	// Selector is the pods' label selector, e.g. {app: inventory}; required.
	Selector map[string]string `yaml:"selector"`
	// Mode picks among the selected pods: "all" (the default), "one",
	// "fixed" (Value pods), "fixed-percent" (Value % of them) or
	// "random-max-percent" (up to Value %).
	Mode string `yaml:"mode"`
	// Value is the count or percentage of the fixed and percent modes.
	Value int `yaml:"value"`
	// Port is the container port HTTP faults intercept (http_error,
	// http_delay, reset); required by those.
	Port int `yaml:"port"`
}

// LoadProfile describes how traffic is generated. (It is not named Load
// because the function Load reads a scenario file.)
type LoadProfile struct {
	// Model is "open" (arrival rate, the default), "closed" (concurrency)
	// or "search" (capacity search: open-model probes at growing rates).
	Model string `yaml:"model"`
	// Stages are the open and closed models' plan; the search model has none.
	Stages []Stage `yaml:"stages"`
	// Timeout bounds each request; default 10s.
	Timeout Duration `yaml:"timeout"`
	// MaxInFlight caps concurrent requests; default 1000, always > 0.
	MaxInFlight int `yaml:"max_in_flight"`
	// KeepAlive reuses connections; nil is never returned by Parse (default true).
	KeepAlive *bool `yaml:"keep_alive"`
	// Connections is the maximum of idle connections per host; 0 means MaxInFlight.
	Connections int `yaml:"connections"`
	// Tag, when set, adds a traffic tag header to every request.
	Tag *Tag `yaml:"tag"`
	// Seed seeds every random choice (request mix, rand_int, uuid); 0 means
	// derive one from the clock and record it.
	Seed int64 `yaml:"seed"`
	// ThinkTime is the closed model's pause after each iteration of a worker.
	ThinkTime *ThinkTime `yaml:"think_time"`
	// Iterations caps the closed model's iterations over all workers; 0
	// means no cap.
	Iterations int64 `yaml:"iterations"`
	// Search configures the search model.
	Search *Search `yaml:"search"`
	// HTTP2 speaks HTTP/2: over TLS negotiated with ALPN, or with H2C over
	// cleartext (prior knowledge). HTTP/1.1 is the default.
	HTTP2 bool `yaml:"http2"`
	// H2C speaks HTTP/2 over cleartext TCP; it implies HTTP2.
	H2C bool `yaml:"h2c"`
	// InsecureSkipVerify accepts any TLS certificate of the target.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// Tag is the traffic tag header added to every request.
type Tag struct {
	// Header defaults to "X-Gauntlet-Tag".
	Header string `yaml:"header"`
	// Value is a Template source; it may use ${run_id}.
	Value string `yaml:"value"`
}

// Stage is one phase of the load profile.
type Stage struct {
	// Name labels the stage in summaries and reports (e.g. "saturation").
	Name string `yaml:"name"`
	// For is the length of the stage, > 0.
	For Duration `yaml:"for"`
	// Rate is the arrival rate at the end of the stage, >= 0 (open model).
	Rate Rate `yaml:"rate"`
	// Concurrency is the number of workers at the end of the stage, >= 0
	// (closed model).
	Concurrency int `yaml:"concurrency"`
	// Ramp is "step" (the default: jump to Rate or Concurrency when the
	// stage starts) or "linear" (from the previous stage's value, 0 for the
	// first, to this one).
	Ramp string `yaml:"ramp"`
	// Warmup stages are excluded from the summary.
	Warmup bool `yaml:"warmup"`
	// IdleConnections makes the stage open that many keep-alive connections
	// to a service, send one request on each and hold them open for the
	// stage, to measure the service's memory per idle connection.
	IdleConnections *IdleConnections `yaml:"idle_connections"`
}

// IdleConnections is the idle-connection stage's target.
type IdleConnections struct {
	// Count is how many connections to open, > 0.
	Count int `yaml:"count"`
	// Service is the service to connect to.
	Service string `yaml:"service"`
	// Path is requested once on each connection; default /healthz.
	Path string `yaml:"path"`
}

// Kind is what a stage does: "open" (an arrival rate), "closed" (a number
// of workers) or "idle" (idle connections). In an open plan a stage that
// sets concurrency is a closed stage, so one run can measure saturation
// throughput and latency at a fixed rate in turn.
func (s Stage) Kind() string {
	switch {
	case s.IdleConnections != nil:
		return "idle"
	case s.Concurrency > 0:
		return "closed"
	}
	return "open"
}

// Request is one kind of request in the mix, or a multi-step Flow.
type Request struct {
	// Name is unique; default "METHOD path" derived from the URL source, or
	// "flow-N" for a flow.
	Name string `yaml:"name"`
	// Weight is the relative share of the mix; default 1, always >= 1.
	Weight int `yaml:"weight"`
	// Variants, when set, lists the only variants whose runs send this
	// request, e.g. [go-grpc] for a gRPC call that only the gRPC variant's
	// services answer; empty means every run.
	Variants []string `yaml:"variants"`
	// Method defaults to GET, or POST when Body or JSON is set; "" for a flow.
	Method  string              `yaml:"method"`
	URL     Template            `yaml:"url"`
	Headers map[string]Template `yaml:"headers"`
	// Body is the raw request body.
	Body *Template `yaml:"body"`
	// JSON is any YAML value serialised to JSON text at decode time and
	// compiled as a template whose dynamic values are JSON-escaped when
	// rendered. It implies Content-Type: application/json.
	JSON   *Template `yaml:"json,json"`
	Expect *Expect   `yaml:"expect"`
	// GRPC, when set, makes the request a unary gRPC call instead of an
	// HTTP request (Method, URL, Headers, Body and JSON stay empty).
	GRPC *GRPC `yaml:"grpc"`
	// Flow, when set, replaces URL/Body/JSON: steps run in order and may
	// extract variables that later steps use as ${var}.
	Flow []Step `yaml:"flow"`
	// Data feeds one row of a CSV file to each iteration of this request
	// (or flow): its templates name the row's columns as ${row.COLUMN}.
	Data *Data `yaml:"data"`
}

// Expect lists what a response must look like to count as a success.
type Expect struct {
	// Status lists the accepted status codes (YAML: 201 or [200, 201]; for
	// a gRPC call a status name: OK or [OK, NOT_FOUND]). Empty means any
	// 2xx or 3xx, or gRPC's OK.
	Status StatusCodes `yaml:"status"`
	// Headers maps a response header name to the value it must have (for
	// a gRPC call, a response metadata key).
	Headers map[string]string `yaml:"headers"`
	// BodyContains is a substring the response body must contain.
	BodyContains string `yaml:"body_contains"`
	// JSON maps a JSON path into the response body to the value it must
	// have, written as text: {"$.status": created, "$.qty": 1}. A gRPC
	// response is read in the protobuf JSON mapping with the .proto field
	// names, unset fields included: {"$.order.state": SHIPPED}.
	JSON map[string]string `yaml:"json"`
}

// Step is one request of a Flow.
type Step struct {
	Name    string              `yaml:"name"`
	Method  string              `yaml:"method"` // default GET, or POST with a body
	URL     Template            `yaml:"url"`
	Headers map[string]Template `yaml:"headers"`
	Body    *Template           `yaml:"body"`
	JSON    *Template           `yaml:"json,json"`
	// GRPC, when set, makes the step a unary gRPC call.
	GRPC *GRPC `yaml:"grpc"`
	// Extract maps a variable name to where its value comes from in the
	// response: a JSON path into the body ("$.items[0].id"), a header
	// ("header:Location") or the first group of a regular expression over
	// the body ("regex:order-(\d+)"). See ParseExtract.
	Extract map[string]string `yaml:"extract"`
	Expect  *Expect           `yaml:"expect"`
}

// Fault is one fault to inject during the run. Its YAML form holds at, for,
// an optional name and exactly one kind key whose value are the parameters:
//
//   - {at: 25s, for: 10s, latency: {service: inventory, delay: 100ms, jitter: 20ms}}
type Fault struct {
	// Name defaults to "<kind>-<index>" and is unique.
	Name string
	// Kind is one of faultkind.Names.
	Kind string
	// At is the offset from the start of the load, >= 0.
	At Duration
	// For is how long the fault lasts, >= 0; 0 means until the run ends or,
	// for one-shot kinds like kill, not applicable.
	For Duration
	// Every repeats the fault with this period from At; 0 means once.
	Every Duration
	// Times bounds the repeats when Every is set; 0 means until the run ends.
	Times int
	// Jitter delays each occurrence by a random offset in [0, Jitter) drawn
	// from the run's seed.
	Jitter Duration
	// Service is the params' "service" value; required for every kind but
	// cpu_stress and memory_stress, and it names a service of the Spec.
	Service string
	// Params are the kind's parameters as decoded (service included).
	// Use DecodeParams to decode them strictly into a typed struct.
	Params map[string]any
	// Line and Col locate the fault in its file (0 when unknown).
	Line, Col int

	file   string // for DecodeParams errors
	path   string // field path, e.g. faults[2]
	params paramsNode
}
