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
	_ InFlighter = (*Phased)(nil)
)

// InFlight implements InFlighter: the workers busy with a request.
func (o *Open) InFlight() int64 {
	if p := o.running.Load(); p != nil {
		return p.busy.Load()
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
