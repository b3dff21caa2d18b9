package scenarios

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// specOpts compares templates by source and ignores decoding bookkeeping.
var specOpts = cmp.Options{
	cmp.Comparer(func(a, b Template) bool { return a.Source() == b.Source() && a.json == b.json }),
	cmpopts.IgnoreUnexported(Spec{}, Fault{}),
	cmpopts.EquateEmpty(),
}

func tmpl(src string) Template { return MustCompileTemplate(src) }

func tmplPtr(src string) *Template {
	t := tmpl(src)
	return &t
}

func jsonTmpl(src string) *Template {
	t := tmpl(src)
	t.json = true
	return &t
}

func sec(n float64) Duration { return Duration(n * float64(time.Second)) }

func TestLoadValid(t *testing.T) {
	t.Parallel()
	keepAlive := false
	base := func(name, baseline string, deps ...string) Service {
		return Service{Name: name, Baseline: baseline, DependsOn: deps, Ready: DefaultReady, StartTimeout: sec(30), StopTimeout: sec(10)}
	}
	payment := base("payment", "payment")
	payment.StartTimeout = sec(60)
	want := &Spec{
		Name:        "order-chain",
		Description: "Full-link test of the order chain, Go vs JVM, with a slow and a dead hop.",
		Variants:    []string{"go", "jvm"},
		Services: []Service{
			base("gateway", "gateway", "order"),
			base("order", "order", "inventory", "payment"),
			base("inventory", "inventory"),
			payment,
			{
				Name:         "my-api",
				Command:      []string{"./bin/api", "--port", "${port}", "--payment", "${payment}"},
				Ready:        "http://${addr}/ready",
				Env:          map[string]string{"GOMAXPROCS": "2"},
				Dir:          "/tmp",
				StartTimeout: sec(30), StopTimeout: sec(10),
			},
			{Name: "remote", URL: "http://127.0.0.1:8080", StartTimeout: sec(30), StopTimeout: sec(10)},
		},
		Load: LoadProfile{
			Model: "open",
			Stages: []Stage{
				{For: sec(5), Rate: 200, Ramp: "step", Warmup: true},
				{For: sec(15), Rate: 2000, Ramp: "linear"},
				{For: sec(90), Rate: 2, Ramp: "step"},
			},
			Timeout:     sec(2),
			MaxInFlight: 500,
			KeepAlive:   &keepAlive,
			Connections: 64,
			Seed:        42,
			Tag:         &Tag{Header: DefaultTagHeader, Value: "run-${run_id}"},
		},
		Requests: []Request{
			{
				Name: "create-order", Weight: 4, Method: "POST",
				URL:     tmpl("${gateway}/orders"),
				Headers: map[string]Template{"X-Trace": tmpl("${uuid}")},
				JSON:    jsonTmpl(`{"sku":"${rand_int 1 1000}","qty":1,"tags":["a","b"]}`),
				Expect:  &Expect{Status: []int{201}},
			},
			{Name: "GET /health", Weight: 1, Method: "GET", URL: tmpl("${gateway}/health"), Expect: &Expect{Status: []int{200, 204}}},
			{Name: "get-order", Weight: 1, Flow: []Step{
				{Name: "POST /orders", Method: "POST", URL: tmpl("${gateway}/orders"), JSON: jsonTmpl(`{"sku":"7"}`), Extract: map[string]string{"id": "$.id"}},
				{Name: "GET /orders/${id}", Method: "GET", URL: tmpl("${gateway}/orders/${id}"), Expect: &Expect{Status: []int{200}}},
			}},
		},
		Faults: []Fault{
			{Name: "latency-0", Kind: "latency", At: sec(25), For: sec(10), Service: "inventory", Line: 40, Col: 5,
				Params: map[string]any{"service": "inventory", "delay": "100ms", "jitter": "20ms"}},
			{Name: "boom", Kind: "kill", At: sec(40), Service: "payment", Line: 41, Col: 5,
				Params: map[string]any{"service": "payment", "restart_after": "2s"}},
			{Name: "cpu_stress-2", Kind: "cpu_stress", At: sec(50), For: sec(5), Line: 42, Col: 5,
				Params: map[string]any{"workers": uint64(2)}},
		},
		Thresholds: []Threshold{
			{Expr: "p99 < 250ms", Metric: "p99", Op: "<", Value: 250, Line: 44, Col: 5},
			{Expr: "error_rate < 1%", Metric: "error_rate", Op: "<", Value: 0.01, Line: 45, Col: 5},
			{Expr: "error_rate <= 5%", Metric: "error_rate", Op: "<=", Value: 0.05, Window: "faults", Line: 46, Col: 5},
			{Expr: "p99.9 < 1s", Metric: "p99.9", Op: "<", Value: 1000, Request: "create-order", Window: "fault:boom", Line: 47, Col: 5},
			{Expr: "time_to_recover < 5s", Metric: "time_to_recover", Op: "<", Value: 5000, Line: 48, Col: 5},
			{Expr: "rps >= 1900", Metric: "rps", Op: ">=", Value: 1900, Line: 49, Col: 5},
			{Expr: "requests > 1000", Metric: "requests", Op: ">", Value: 1000, Line: 50, Col: 5},
		},
		File: "testdata/order-chain.yaml",
	}
	got, err := Load("testdata/order-chain.yaml")
	if err != nil {
		t.Fatalf("Load(order-chain.yaml) = %v", err)
	}
	if diff := cmp.Diff(want, got, specOpts); diff != "" {
		t.Errorf("Load(order-chain.yaml) mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadThreeProblems(t *testing.T) {
	t.Parallel()
	const file = "testdata/three-problems.yaml"
	_, err := Load(file)
	var got Problems
	if !errors.As(err, &got) {
		t.Fatalf("Load(%s) = %v; want Problems", file, err)
	}
	want := Problems{
		{File: file, Line: 6, Col: 13, Path: "load.stages[0].for", Msg: `load.stages[0].for: invalid duration "5 seconds" (use e.g. 30s, 1m)`},
		{File: file, Line: 8, Col: 7, Path: "load.stages[1].rat", Msg: `unknown field "rat" in load.stages[1] (did you mean "rate"?)`},
		{File: file, Line: 9, Col: 24, Path: "load.stages[2].rate", Msg: `load.stages[2].rate: must be >= 0, got -5`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load(%s) problems mismatch (-want +got):\n%s", file, diff)
	}
	wantText := file + `:6:13: load.stages[0].for: invalid duration "5 seconds" (use e.g. 30s, 1m)`
	if line := strings.Split(err.Error(), "\n")[0]; line != wantText {
		t.Errorf("Load(%s).Error() first line = %q; want %q", file, line, wantText)
	}
}

func TestParseSyntaxError(t *testing.T) {
	t.Parallel()
	_, err := Parse("bad.yaml", []byte("name: x\nload: [1\nrequests: 2\n"))
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 1 {
		t.Fatalf("Parse(bad yaml) = %v; want one problem", err)
	}
	if ps[0].Line == 0 || !strings.HasPrefix(ps[0].Msg, "yaml: ") {
		t.Errorf("Parse(bad yaml) = %+v; want a positioned yaml problem", ps[0])
	}
}

func TestParseEmpty(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "# only a comment\n"} {
		_, err := Parse("empty.yaml", []byte(in))
		if err == nil || !strings.Contains(err.Error(), "empty scenario") {
			t.Errorf("Parse(%q) = %v; want empty scenario", in, err)
		}
	}
}

func TestParseAnchorsAndMerge(t *testing.T) {
	t.Parallel()
	src := `
services: {api: {baseline: micro}}
load:
  stages:
    - &s {for: 5s, rate: 10}
    - *s
    - {<<: *s, rate: 20}
requests: [{url: "${api}/"}]
`
	s, err := Parse("a.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	want := []Stage{{For: sec(5), Rate: 10, Ramp: "step"}, {For: sec(5), Rate: 10, Ramp: "step"}, {For: sec(5), Rate: 20, Ramp: "step"}}
	if diff := cmp.Diff(want, s.Load.Stages); diff != "" {
		t.Errorf("Parse stages mismatch (-want +got):\n%s", diff)
	}
	if s.Name != "a" {
		t.Errorf("Parse(a.yaml).Name = %q; want %q", s.Name, "a")
	}
}

func TestFaultDecodeParams(t *testing.T) {
	t.Parallel()
	s, err := Load("testdata/order-chain.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type latency struct {
		Service string   `yaml:"service"`
		Delay   Duration `yaml:"delay"`
		Jitter  Duration `yaml:"jitter"`
	}
	var got latency
	if err := s.Faults[0].DecodeParams(&got); err != nil {
		t.Fatalf("DecodeParams(latency) = %v", err)
	}
	if want := (latency{"inventory", sec(0.1), sec(0.02)}); got != want {
		t.Errorf("DecodeParams(latency) = %+v; want %+v", got, want)
	}
	var strict struct {
		Service string `yaml:"service"`
	}
	err = s.Faults[1].DecodeParams(&strict)
	var ps Problems
	if !errors.As(err, &ps) || ps[0].Line != 41 || !strings.Contains(ps[0].Msg, "restart_after") {
		t.Errorf("DecodeParams(kill into struct without restart_after) = %v; want a positioned unknown field", err)
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	for _, ref := range []string{"quickstart", "library:quickstart", "testdata/order-chain.yaml"} {
		if _, err := Open(ref); err != nil {
			t.Errorf("Open(%q) = %v; want nil", ref, err)
		}
	}
	_, err := Open("quikstart")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `did you mean "quickstart"`) {
		t.Errorf("Open(quikstart) = %v; want ErrNotFound with a hint", err)
	}
	if _, err := os.Stat("quickstart"); err == nil {
		t.Fatal("a file named quickstart shadows the library")
	}
}
