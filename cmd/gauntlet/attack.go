package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gauntletbench/gauntlet/runners"
	"github.com/gauntletbench/gauntlet/scenarios"
)

type attackOptions struct {
	run         runOptions
	rate        float64
	duration    time.Duration
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
}

func newAttackCmd() *cobra.Command {
	o := &attackOptions{}
	cmd := &cobra.Command{
		Use:   "attack URL",
		Short: "Send open-model load at one URL, like vegeta or hey",
		Long: `Attack sends requests to URL at a constant arrival rate for a duration and
prints the same summary as run. Latency is measured from each request's
intended send time. The URL may use templates such as ${seq}, ${uuid} and
${rand_int 1 100}. Only loopback targets are allowed unless --allow-remote.`,
		Example: `  gauntlet attack http://127.0.0.1:8080/ping --rate 500 --duration 5s
  gauntlet attack --targets targets.txt --rate 500 --duration 5s --dump-results results.bin && vegeta report results.bin
  gauntlet attack http://127.0.0.1:8080/orders -m POST -H 'Content-Type: application/json' \
      --body '{"sku":"${rand_int 1 1000}"}' --rate 200 --duration 30s --output json`,
		Args: usageArgs(cobra.RangeArgs(0, 1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) == 1) == (o.targets != "") {
				return usageErr(fmt.Errorf("give either a URL or --targets FILE"))
			}
			url := ""
			if len(args) == 1 {
				url = args[0]
			}
			spec, err := o.spec(url)
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
	f.Float64VarP(&o.rate, "rate", "r", 50, "requests per second")
	f.DurationVarP(&o.duration, "duration", "d", 10*time.Second, "how long to send requests")
	f.StringVarP(&o.method, "method", "m", "GET", "HTTP method")
	f.StringArrayVarP(&o.headers, "header", "H", nil, `request header "Key: Value" (repeatable)`)
	f.StringVar(&o.body, "body", "", "request body (a template)")
	f.DurationVar(&o.timeout, "timeout", 10*time.Second, "per-request timeout")
	f.IntVar(&o.maxInFlight, "max-in-flight", 1000, "cap on concurrent requests")
	f.BoolVar(&o.allowRemote, "allow-remote", false, "allow a target outside the loopback range")
	f.StringVar(&o.name, "name", "attack", "request name in the summary")
	f.StringVar(&o.targets, "targets", "", "vegeta targets file to attack round-robin instead of URL")
	f.StringVar(&o.targetsFormat, "targets-format", "http", "format of --targets: http or json (vegeta's formats)")
	f.StringVar(&o.dumpResults, "dump-results", "", "also write every result to FILE as vegeta results (for vegeta report/plot)")
	f.StringVar(&o.dumpFormat, "dump-format", "", "format of --dump-results: gob, json or csv (default: by extension, else gob)")
	o.run.register(cmd)
	return cmd
}

// spec turns the flags into a one-request, one-stage scenario, validated
// like any scenario file.
func (o *attackOptions) spec(url string) (*scenarios.Spec, error) {
	if o.targets != "" {
		return o.targetsSpec()
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

// targetsSpec is spec for --targets: one request per vegeta target,
// round-robin.
func (o *attackOptions) targetsSpec() (*scenarios.Spec, error) {
	f, err := os.Open(o.targets)
	if err != nil {
		return nil, usageErr(fmt.Errorf("--targets: %w", err))
	}
	defer f.Close()
	reqs, err := runners.ReadTargets(f, o.targetsFormat)
	if err != nil {
		return nil, usageErr(fmt.Errorf("--targets %s: %w", o.targets, err))
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

// loadSpec is the one-stage open-model scenario of reqs.
func (o *attackOptions) loadSpec(reqs []scenarios.Request) *scenarios.Spec {
	return &scenarios.Spec{
		Name: "attack", File: "attack",
		Load: scenarios.LoadProfile{
			Model:       "open",
			Stages:      []scenarios.Stage{{For: scenarios.Duration(o.duration), Rate: scenarios.Rate(o.rate), Ramp: "step"}},
			Timeout:     scenarios.Duration(o.timeout),
			MaxInFlight: o.maxInFlight,
		},
		Requests:    reqs,
		AllowRemote: o.allowRemote,
	}
}
