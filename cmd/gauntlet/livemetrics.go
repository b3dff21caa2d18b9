package main

import (
	"fmt"
	"io"
	"time"

	"github.com/gauntletbench/gauntlet/live"
)

// metricsLinger is how long a run waits, after its last figures, for a
// scraper to read them from --metrics-addr: Prometheus's default interval.
const metricsLinger = 15 * time.Second

// startMetrics serves the run's live figures at --metrics-addr, when given,
// and sets the record tap that feeds them. stop waits for one more scrape
// (at most metricsLinger) and stops serving.
func (o *runOptions) startMetrics(log io.Writer) (stop func(), err error) {
	if o.metricsAddr == "" {
		return func() {}, nil
	}
	x := live.New()
	srv, err := live.Listen(o.metricsAddr, x)
	if err != nil {
		return nil, usageErr(fmt.Errorf("--metrics-addr: %w", err))
	}
	o.tap, o.inFlight = x.Observe, x.SetInFlight
	fmt.Fprintf(log, "live metrics: http://%s/metrics\n", srv.Addr())
	return func() { _ = srv.Close(metricsLinger) }, nil
}
