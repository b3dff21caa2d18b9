package runners

// An InFlighter is a Runner that can say how many of its requests are in
// flight (sent, not yet answered) while it runs. InFlight reads counters the
// runner keeps anyway, so it adds nothing per request; it is safe to call
// from any goroutine, and returns 0 before the run and after it.
type InFlighter interface {
	InFlight() int64
}

var (
	_ InFlighter = (*Open)(nil)
	_ InFlighter = (*Closed)(nil)
	_ InFlighter = (*Search)(nil)
	_ InFlighter = (*Phased)(nil)
)

// InFlight implements InFlighter: the workers busy with a request.
func (o *Open) InFlight() int64 {
	if p := o.running.Load(); p != nil {
		return p.busy.Load()
	}
	return 0
}

// InFlight implements InFlighter: the workers inside an iteration (a
// request, or a step of a flow: a worker has one request out at a time).
func (c *Closed) InFlight() int64 {
	if r := c.running.Load(); r != nil {
		return r.busy.Load()
	}
	return 0
}

// InFlight implements InFlighter: those of the probe running (the probes
// run one after another).
func (s *Search) InFlight() int64 {
	if o := s.probing.Load(); o != nil {
		return o.InFlight()
	}
	return 0
}

// InFlight implements InFlighter: the sum over the segments that can tell.
func (p *Phased) InFlight() int64 {
	var n int64
	for _, s := range p.Segments {
		if f, ok := s.Runner.(InFlighter); ok {
			n += f.InFlight()
		}
	}
	return n
}
