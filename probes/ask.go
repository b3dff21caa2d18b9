package probes

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// ErrNoMetrics is matched by the NoMetricsError a sampler of
// ScrapeIfServed returns when its first scrape found no Prometheus metrics.
var ErrNoMetrics = errors.New("no prometheus metrics")

// ScrapeIfServed is Scrape for a service that may not serve Prometheus
// metrics at url: its first Sample asks, and unless the answer is a 200 in
// the text exposition format with at least one metric family it fails with
// ErrNoMetrics and ErrGone, so Poll drops it and nothing more is sent. Once
// metrics were found, it behaves as Scrape, errors included.
func ScrapeIfServed(owner, url string, pick map[string]string) Sampler {
	return &asking{s: Scrape(owner, url, pick).(*scrape)}
}

// NoMetricsError is the refusal of ScrapeIfServed: what URL answered
// instead of Prometheus metrics. It matches ErrNoMetrics and ErrGone.
type NoMetricsError struct {
	URL, Answer string
}

func (e *NoMetricsError) Error() string {
	return fmt.Sprintf("%s: %v: %s", e.URL, ErrNoMetrics, e.Answer)
}

// Is makes errors.Is match ErrNoMetrics and ErrGone.
func (e *NoMetricsError) Is(target error) bool { return target == ErrNoMetrics || target == ErrGone }

type asking struct {
	s *scrape
	// asked is set after the first scrape; served when it found metrics.
	asked, served bool
	refusal       error
}

var _ Sampler = (*asking)(nil)

func (a *asking) Sample(ctx context.Context, now time.Time) (metrics.Readings, error) {
	if a.served {
		return a.s.Sample(ctx, now)
	}
	rd := metrics.Readings{Owner: a.s.owner, Time: now}
	if a.asked {
		return rd, a.refusal
	}
	if a.s.urlErr != nil {
		return rd, a.s.urlErr
	}
	families, err := a.s.fetch(ctx)
	if ctx.Err() != nil {
		return rd, ctx.Err() // not an answer: ask again next time
	}
	a.asked = true
	switch {
	case errors.Is(err, errParse):
		a.refusal = &NoMetricsError{URL: a.s.url, Answer: "a 200 that is not Prometheus text"}
	case err != nil:
		a.refusal = &NoMetricsError{URL: a.s.url, Answer: err.Error()}
	case len(families) == 0:
		a.refusal = &NoMetricsError{URL: a.s.url, Answer: "no metric family"}
	default:
		a.served = true
		rd.Values = pickValues(families, a.s.pick)
		return rd, nil
	}
	return rd, a.refusal
}
