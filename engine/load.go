package engine

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/runners"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// request binds one request or flow step to vars. A flow itself has no URL;
// its steps are bound one by one.
func (p *plan) request(name, method string, u scenarios.Template, headers map[string]scenarios.Template,
	body, json *scenarios.Template, expect *scenarios.Expect, extract map[string]string,
	vars map[string]string, tag *runners.Header) (runners.Request, error) {
	rr := runners.Request{Name: name, Method: method}
	if u.IsZero() {
		return rr, nil
	}
	rr.URL = u.Bind(vars)
	if s, static := rr.URL.Static(); static {
		if err := scenarios.CheckTarget(s, p.spec.AllowRemote); err != nil {
			return rr, fmt.Errorf("request %s: %w", name, err)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(headers)) {
		rr.Header = append(rr.Header, runners.Header{Key: k, Value: headers[k].Bind(vars)})
	}
	if tag != nil {
		rr.Header = append(rr.Header, *tag)
	}
	switch {
	case json != nil:
		b := json.Bind(vars)
		rr.Body, rr.ContentType = &b, "application/json"
	case body != nil:
		b := body.Bind(vars)
		rr.Body = &b
	}
	if err := checks(&rr, name, expect, extract); err != nil {
		return rr, err
	}
	return rr, nil
}

// checks sets the expectations and extractions of rr from the scenario's.
func checks(rr *runners.Request, name string, expect *scenarios.Expect, extract map[string]string) error {
	if expect != nil {
		rr.Expect = expect.Status
		if len(expect.Headers) > 0 || expect.BodyContains != "" || len(expect.JSON) > 0 {
			c := &runners.Check{BodyContains: expect.BodyContains}
			for _, k := range slices.Sorted(maps.Keys(expect.Headers)) {
				c.Headers = append(c.Headers, runners.HeaderValue{Key: k, Value: expect.Headers[k]})
			}
			for _, k := range slices.Sorted(maps.Keys(expect.JSON)) {
				jp, err := scenarios.ParseJSONPath(k)
				if err != nil {
					return fmt.Errorf("request %s: %w", name, err)
				}
				c.JSON = append(c.JSON, runners.JSONValue{Path: jp, Value: expect.JSON[k]})
			}
			rr.Check = c
		}
	}
	for _, v := range slices.Sorted(maps.Keys(extract)) {
		ex, err := scenarios.ParseExtract(extract[v])
		if err != nil {
			return fmt.Errorf("request %s: extract %s: %w", name, v, err)
		}
		rr.Extract = append(rr.Extract, runners.Extract{Var: v, From: ex})
	}
	return nil
}

// searchPlan is the record's form of a scenario's search block.
func searchPlan(s *scenarios.Search) *metrics.SearchPlan {
	return &metrics.SearchPlan{
		StartRPS: float64(s.Start), MaxRPS: float64(s.Max), ProbeS: s.Probe.Std().Seconds(), WarmupS: s.Warmup.Std().Seconds(),
		Growth: s.Growth, Precision: float64(s.Precision), MaxProbes: s.MaxProbes, Retries: s.Retries,
		SLOP99Ms:     float64(s.SLO.P99.Std()) / float64(time.Millisecond),
		SLOErrorRate: float64(s.SLO.ErrorRate), MaxLagMs: float64(s.MaxLag.Std()) / float64(time.Millisecond),
		MaxGeneratorCPU: s.MaxGeneratorCPU,
	}
}

// searchPlanned bounds a search's length: every probe run, with the pause
// and the grace after each.
func searchPlanned(s *metrics.SearchPlan) time.Duration {
	return time.Duration(float64(s.MaxProbes) * (s.ProbeS + 0.5) * float64(time.Second))
}

// instrument prepares a variant's runner for the run: runner notes (probes,
// data exhaustion) become record lines of the variant, and a results sink,
// when set, gets a copy of every Result.
func (e *engine) instrument(r runners.Runner, variant string, t0 time.Time) runners.Runner {
	if e.opt.Results != nil {
		e.opt.Results.Begin(variant, t0, e.plan.names)
		r = &runners.Tee{Runner: r, Sink: e.opt.Results}
	}
	if n, ok := r.(runners.Noter); ok {
		n.SetNotes(func(line any) {
			switch l := line.(type) {
			case metrics.Note:
				l.Variant = variant
				line = l
			case metrics.Probe:
				l.Variant = variant
				line = l
			}
			if l, ok := line.(metrics.Line); ok {
				// A record write error surfaces at the trailer.
				_ = e.w.Write(l)
			}
		})
	}
	return r
}
