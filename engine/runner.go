package engine

import (
	"slices"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/runners"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// loadKit is what every runner of one variant's load shares: the request
// mix bound to the variant's services, one client, and the load block's
// limits.
type loadKit struct {
	reqs        []runners.Request
	client      *runners.Client
	urls        map[string]string
	maxInFlight int
	grace       time.Duration
}

// runner builds the runner of the scenario's load model for one variant,
// its templates bound to that variant's service addresses and its clock
// starting at t0. New load models plug in here.
func (p *plan) runner(variant string, urls map[string]string, t0 time.Time) (runners.Runner, error) {
	k, err := p.loadKit(variant, urls)
	if err != nil {
		return nil, err
	}
	switch {
	case p.model() == "search":
		return &runners.Search{Requests: k.reqs, Plan: *p.search, Start: t0, Client: k.client,
			MaxInFlight: k.maxInFlight, Grace: k.grace, Seed: p.seed}, nil
	case p.model() == "closed":
		stages, iterations := p.closedShare(p.stages)
		return p.closed(k, stages, iterations, t0), nil
	case mixedKinds(p.stages):
		return p.phased(k, t0), nil
	}
	return p.open(k, p.stages, t0), nil
}

// loadKit binds the request mix to urls and builds the client the
// variant's runners share.
func (p *plan) loadKit(variant string, urls map[string]string) (*loadKit, error) {
	reqs, err := p.requests(variant, p.vars(urls))
	if err != nil {
		return nil, err
	}
	load := p.spec.Load
	k := &loadKit{reqs: reqs, urls: urls, maxInFlight: load.MaxInFlight, grace: max(time.Second, time.Duration(load.Timeout))}
	if k.maxInFlight <= 0 {
		k.maxInFlight = scenarios.DefaultMaxInFlight
	}
	idle := load.Connections
	if idle <= 0 {
		idle = k.maxInFlight
	}
	k.client = runners.NewClient(runners.ClientOptions{
		Timeout: time.Duration(load.Timeout), MaxIdlePerHost: idle, MaxConns: load.Connections,
		DisableKeepAlive: load.KeepAlive != nil && !*load.KeepAlive, AllowRemote: p.spec.AllowRemote,
		HTTP2: load.HTTP2 || load.H2C, H2C: load.H2C, InsecureSkipVerify: load.InsecureSkipVerify,
	})
	if err := p.connectGRPC(reqs, k.client); err != nil {
		return nil, err
	}
	return k, nil
}

// open builds the open-model runner of stages (this segment's share of
// their rate), starting at start.
func (p *plan) open(k *loadKit, stages []metrics.Stage, start time.Time) *runners.Open {
	return &runners.Open{Requests: k.reqs, Pacer: runners.NewStagePacer(stages).Segment(p.segment), Client: k.client,
		Start: start, MaxInFlight: k.maxInFlight, Seed: p.runnerSeed(), Grace: k.grace}
}

// closed builds the closed-model runner of stages, starting at start;
// iterations caps the iterations of all workers together (0: no cap).
func (p *plan) closed(k *loadKit, stages []metrics.Stage, iterations uint64, start time.Time) *runners.Closed {
	c := &runners.Closed{Requests: k.reqs, Stages: stages, Start: start, Client: k.client, Seed: p.runnerSeed(),
		Iterations: iterations}
	if tt := p.spec.Load.ThinkTime; tt != nil {
		c.ThinkMin, c.ThinkMax = time.Duration(tt.Min), time.Duration(tt.Max)
	}
	return c
}

// idle builds the runner of idle-connections stage i (st, this segment's
// share of it), starting at start.
func (p *plan) idle(k *loadKit, i int, st metrics.Stage, start time.Time) *runners.Idle {
	path := p.spec.Load.Stages[i].IdleConnections.Path
	if path == "" {
		path = "/healthz"
	}
	return &runners.Idle{URL: k.urls[st.Target] + path, Count: st.IdleConnections, Start: start,
		Hold: time.Duration(st.ForS * float64(time.Second)), Request: uint16(slices.Index(p.names, idleName(st.Target))),
		Timeout: time.Duration(p.spec.Load.Timeout), AllowRemote: p.spec.AllowRemote}
}

// mixedKinds reports whether an open plan has closed or idle stages.
func mixedKinds(stages []metrics.Stage) bool {
	for _, st := range stages {
		if st.Kind != "" && st.Kind != "open" {
			return true
		}
	}
	return false
}

// idleName is the request name of an idle-connections stage's requests.
func idleName(target string) string { return "idle-connections:" + target }

// phased builds the runner of an open plan with closed or idle stages: one
// segment per run of consecutive stages of the same kind.
func (p *plan) phased(k *loadKit, t0 time.Time) runners.Runner {
	var ph runners.Phased
	for first := 0; first < len(p.stages); {
		last := first
		for last+1 < len(p.stages) && p.stages[last+1].Kind == p.stages[first].Kind && p.stages[first].Kind != "idle" {
			last++
		}
		sub := p.share(p.stages[first : last+1])
		off := time.Duration(p.stages[first].StartS * float64(time.Second))
		var r runners.Runner
		switch p.stages[first].Kind {
		case "closed":
			r = p.closed(k, sub, 0, t0.Add(off))
		case "idle":
			r = p.idle(k, first, sub[0], t0.Add(off))
		default:
			r = p.open(k, sub, t0.Add(off))
		}
		ph.Segments = append(ph.Segments, runners.Segment{Offset: off, FirstStage: first, Runner: r})
		first = last + 1
	}
	return &ph
}
