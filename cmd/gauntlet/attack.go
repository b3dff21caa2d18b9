package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gauntletbench/gauntlet/runners"
	"github.com/gauntletbench/gauntlet/scenarios"
)

type attackOptions struct {
	run      runOptions
	rate     float64
	duration time.Duration
	// connections > 0 runs a closed loop of that many workers instead of
	// an arrival rate; requests caps its iterations.
	connections int
	requests    int64
	method      string
	headers     []string
	body        string
	timeout     time.Duration
	maxInFlight int
	allowRemote bool
	name        string
	// vegeta interop
	targets       string
	targetsFormat string
	dumpResults   string
	dumpFormat    string
	// gRPC: grpc is the full method name that makes the attack a unary
	// gRPC call to the URL's host:port.
	grpc      string
	protos    []string
	grpcConns int
}

func newAttackCmd() *cobra.Command {
	o := &attackOptions{}
	cmd := &cobra.Command{
		Use:   "attack [URL]",
		Short: "Send load at one URL or at vegeta targets, like vegeta, wrk or hey",
		Long: `Attack sends requests to URL at a constant arrival rate for a duration and
prints the same summary as run. Latency is measured from each request's
intended send time. The URL may use templates such as ${seq}, ${uuid} and
${rand_int 1 100}. Only loopback targets are allowed unless --allow-remote.

With -c/--connections N it runs a closed loop instead, as wrk and hey do: N
workers each send a request as soon as their last one answered, for
--duration or until -n/--requests requests in all. Its latency is from the
actual send, so it hides stalls, and the summary says so.

Without a URL or --targets, vegeta targets are read from stdin.`,
		Example: `  gauntlet attack http://127.0.0.1:8080/ping --rate 500 --duration 5s
  gauntlet attack http://127.0.0.1:8080/ping -c 50 -d 10s          # closed loop, like wrk -c 50 -d 10s
  gauntlet attack http://127.0.0.1:8080/ping -c 10 -n 1000         # like hey -c 10 -n 1000
  echo "GET http://127.0.0.1:8080/ping" | gauntlet attack --rate 100 # vegeta targets on stdin
  gauntlet attack --targets targets.txt --rate 500 --duration 5s --dump-results results.bin && vegeta report results.bin
  gauntlet attack http://127.0.0.1:8080/orders -m POST -H 'Content-Type: application/json' \
      --body '{"sku":"${rand_int 1 1000}"}' --rate 200 --duration 30s --output json
  gauntlet attack 127.0.0.1:8079 --grpc fgrpc.PingServer/Ping --body '{"seq":"${seq}"}' --rate 500   # gRPC, types by reflection
  gauntlet attack 127.0.0.1:9000 --grpc shop.v1.Orders/GetOrder --proto shop.proto -H 'x-tenant: a' \
      --body '{"id":"${rand_int 1 100}"}' --grpc-conns 4 -c 50 -d 10s`,
		Args: usageArgs(cobra.RangeArgs(0, 1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && o.targets != "" {
				return usageErr(fmt.Errorf("give either a URL or --targets FILE, not both"))
			}
			if err := o.model(cmd); err != nil {
				return err
			}
			var spec *scenarios.Spec
			var err error
			switch {
			case len(args) == 1:
				spec, err = o.spec(args[0])
			case o.targets != "" && o.targets != "-":
				spec, err = o.targetsFile()
			default:
				spec, err = o.targetsStdin(cmd.InOrStdin())
			}
			if err != nil {
				return err
			}
			closeDump, err := o.openDump()
			if err != nil {
				return err
			}
			runErr := runSpec(cmd, spec, &o.run)
			if err := closeDump(); err != nil && runErr == nil {
				runErr = err
			}
			return runErr
		},
	}
	f := cmd.Flags()
	f.Float64VarP(&o.rate, "rate", "r", 50, "requests per second (open model)")
	f.DurationVarP(&o.duration, "duration", "d", 10*time.Second, "how long to send requests")
	f.IntVarP(&o.connections, "connections", "c", 0, "run a closed loop of `N` workers instead of an arrival rate")
	f.Int64VarP(&o.requests, "requests", "n", 0, "with -c: stop after `N` requests in all (--duration still bounds the run)")
	f.StringVarP(&o.method, "method", "m", "GET", "HTTP method")
	f.StringArrayVarP(&o.headers, "header", "H", nil, `request header "Key: Value" (repeatable)`)
	f.StringVar(&o.body, "body", "", "request body (a template)")
	f.DurationVar(&o.timeout, "timeout", 10*time.Second, "per-request timeout")
	f.IntVar(&o.maxInFlight, "max-in-flight", 1000, "cap on concurrent requests")
	f.BoolVar(&o.allowRemote, "allow-remote", false, "allow a target outside the loopback range")
	f.StringVar(&o.name, "name", "attack", "request name in the summary")
	f.StringVar(&o.targets, "targets", "", "vegeta targets file to attack round-robin instead of URL (\"-\" or none: stdin)")
	f.StringVar(&o.targetsFormat, "targets-format", "http", "format of --targets: http or json (vegeta's formats)")
	f.StringVar(&o.dumpResults, "dump-results", "", "also write every result to FILE as vegeta results (for vegeta report/plot)")
	f.StringVar(&o.dumpFormat, "dump-format", "", "format of --dump-results: gob, json or csv (default: by extension, else gob)")
	f.StringVar(&o.grpc, "grpc", "", "send unary gRPC calls of `package.Service/Method` to the URL (host:port); --body is the message as JSON, -H adds metadata")
	f.StringArrayVar(&o.protos, "proto", nil, "with --grpc: a .proto file or descriptor set with the method's types (repeatable; default: server reflection)")
	f.IntVar(&o.grpcConns, "grpc-conns", 1, "with --grpc: HTTP/2 connections to open (calls are spread over them)")
	group(cmd, groupLoad, "rate", "duration", "connections", "requests", "method", "header", "body", "timeout",
		"max-in-flight", "allow-remote", "name", "targets", "targets-format", "grpc", "proto", "grpc-conns")
	group(cmd, groupOutput, "dump-results", "dump-format")
	o.run.registerLoad(cmd)
	return cmd
}

// model checks the load model the flags ask for: an arrival rate, or a
// closed loop with -c (and -n).
func (o *attackOptions) model(cmd *cobra.Command) error {
	changed := cmd.Flags().Changed
	switch {
	case o.connections < 0:
		return usageErr(fmt.Errorf("--connections must be >= 1, got %d", o.connections))
	case o.requests < 0:
		return usageErr(fmt.Errorf("--requests must be >= 1, got %d", o.requests))
	case o.connections > 0 && changed("rate"):
		return usageErr(fmt.Errorf("give --rate (arrival rate) or --connections (closed loop), not both"))
	case o.connections == 0 && !(o.rate > 0 && o.rate <= math.MaxFloat64):
		return usageErr(fmt.Errorf("--rate must be a number of requests per second > 0, got %v", o.rate))
	case o.requests > 0 && o.connections == 0:
		return usageErr(fmt.Errorf("--requests applies to a closed loop: add -c N"))
	case o.requests > 0 && !changed("duration"):
		// hey's -n: the request count ends the run; the duration only bounds it.
		o.duration = maxRequestsDuration
	}
	return nil
}

// maxRequestsDuration bounds an attack that -n ends, when no --duration is
// given.
const maxRequestsDuration = time.Hour

// spec turns the flags into a one-request, one-stage scenario, validated
// like any scenario file.
func (o *attackOptions) spec(url string) (*scenarios.Spec, error) {
	if o.grpc != "" {
		return o.grpcSpec(url)
	}
	u, err := scenarios.CompileTemplate(url)
	if err != nil {
		return nil, usageErr(fmt.Errorf("URL: %w", err))
	}
	req := scenarios.Request{Name: o.name, Weight: 1, Method: strings.ToUpper(o.method), URL: u,
		Headers: map[string]scenarios.Template{}}
	for _, h := range o.headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, usageErr(fmt.Errorf("--header %q: want \"Key: Value\"", h))
		}
		t, err := scenarios.CompileTemplate(strings.TrimSpace(v))
		if err != nil {
			return nil, usageErr(fmt.Errorf("--header %q: %w", h, err))
		}
		req.Headers[strings.TrimSpace(k)] = t
	}
	if o.body != "" {
		t, err := scenarios.CompileTemplate(o.body)
		if err != nil {
			return nil, usageErr(fmt.Errorf("--body: %w", err))
		}
		req.Body = &t
	}
	spec := o.loadSpec([]scenarios.Request{req})
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	return spec, nil
}

// targetsFile is spec for --targets FILE: one request per vegeta target,
// round-robin.
func (o *attackOptions) targetsFile() (*scenarios.Spec, error) {
	f, err := os.Open(o.targets)
	if err != nil {
		return nil, usageErr(fmt.Errorf("--targets: %w", err))
	}
	defer f.Close()
	return o.targetsSpec(f, "--targets "+o.targets)
}

// targetsStdin is spec for vegeta targets on stdin, as vegeta reads them;
// a terminal on stdin means the user forgot the URL.
func (o *attackOptions) targetsStdin(in io.Reader) (*scenarios.Spec, error) {
	if f, ok := in.(*os.File); ok && isTerminal(f) {
		return nil, usageErr(fmt.Errorf("give a URL, --targets FILE, or vegeta targets on stdin (echo \"GET http://127.0.0.1:8080/\" | gauntlet attack)"))
	}
	return o.targetsSpec(in, "targets on stdin")
}

// targetsSpec is the scenario of the vegeta targets in r: one request per
// target, round-robin.
func (o *attackOptions) targetsSpec(r io.Reader, what string) (*scenarios.Spec, error) {
	reqs, err := runners.ReadTargets(r, o.targetsFormat)
	if err != nil {
		return nil, usageErr(fmt.Errorf("%s: %w", what, err))
	}
	spec := o.loadSpec(reqs)
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	return spec, nil
}

// openDump opens --dump-results and returns the function that closes it.
func (o *attackOptions) openDump() (func() error, error) {
	if o.dumpResults == "" {
		return func() error { return nil }, nil
	}
	format := o.dumpFormat
	if format == "" {
		format = runners.DumpFormat(o.dumpResults)
	}
	f, err := createOutput(o.dumpResults)
	if err != nil {
		return nil, fmt.Errorf("--dump-results: %w", err)
	}
	d, err := runners.NewDump(f, format)
	if err != nil {
		f.Close()
		return nil, usageErr(fmt.Errorf("--dump-format: %w", err))
	}
	o.run.results = d
	return func() error {
		derr := d.Close()
		if err := f.Close(); err != nil && derr == nil {
			derr = err
		}
		return derr
	}, nil
}

// loadSpec is the one-stage scenario of reqs: open model at --rate, or a
// closed loop of --connections workers (capped at --requests).
func (o *attackOptions) loadSpec(reqs []scenarios.Request) *scenarios.Spec {
	load := scenarios.LoadProfile{
		Model:       "open",
		Stages:      []scenarios.Stage{{For: scenarios.Duration(o.duration), Rate: scenarios.Rate(o.rate), Ramp: "step"}},
		Timeout:     scenarios.Duration(o.timeout),
		MaxInFlight: o.maxInFlight,
	}
	if o.connections > 0 {
		load.Model, load.Iterations = "closed", o.requests
		load.Stages = []scenarios.Stage{{For: scenarios.Duration(o.duration), Concurrency: o.connections, Ramp: "step"}}
	}
	return &scenarios.Spec{
		Name: "attack", File: "attack",
		Load:        load,
		Requests:    reqs,
		AllowRemote: o.allowRemote,
	}
}
