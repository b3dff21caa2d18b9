package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

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
  gauntlet attack http://127.0.0.1:8080/orders -m POST -H 'Content-Type: application/json' \
      --body '{"sku":"${rand_int 1 1000}"}' --rate 200 --duration 30s --output json`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := o.spec(args[0])
			if err != nil {
				return err
			}
			return runSpec(cmd, spec, &o.run)
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
	o.run.register(cmd)
	return cmd
}

// spec turns the flags into a one-request, one-stage scenario, validated
// like any scenario file.
func (o *attackOptions) spec(url string) (*scenarios.Spec, error) {
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
	spec := &scenarios.Spec{
		Name: "attack", File: "attack",
		Load: scenarios.LoadProfile{
			Model:       "open",
			Stages:      []scenarios.Stage{{For: scenarios.Duration(o.duration), Rate: scenarios.Rate(o.rate), Ramp: "step"}},
			Timeout:     scenarios.Duration(o.timeout),
			MaxInFlight: o.maxInFlight,
		},
		Requests:    []scenarios.Request{req},
		AllowRemote: o.allowRemote,
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	return spec, nil
}
