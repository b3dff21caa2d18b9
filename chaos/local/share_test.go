package local

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/chaos/chaostest"
)

// TestHTTPFaultShares checks that http_error and http_delay hit the share of
// requests their rate asks for. Of n = 300 requests a share r is hit
// Binomial(n, r) times: the bounds are r ± 4 standard deviations (but at
// least 0.03), so a fair fault fails them in fewer than 1 in 10,000 runs,
// while a fault that ignores its rate hits every request. A delayed request
// takes at least the 1 s delay; the others come straight from a local
// server, but a busy machine (or -race) may hold a few of them up as long,
// so for http_delay the upper bound has 0.1 more room.
func TestHTTPFaultShares(t *testing.T) {
	t.Parallel()
	const n, delay = 300, time.Second
	for _, kind := range []string{"http_error", "http_delay"} {
		for _, rate := range []float64{0.1, 0.5} {
			t.Run(fmt.Sprintf("%s rate %v", kind, rate), func(t *testing.T) {
				t.Parallel()
				p := newProxy(t, upstream(t), HTTP)
				params := fmt.Sprintf("{service: api, status: 503, rate: %v}", rate)
				if kind == "http_delay" {
					params = fmt.Sprintf("{service: api, delay: %v, rate: %v}", delay, rate)
				}
				f := chaostest.MustNew(t, kind, env(nil, []*Proxy{p}), params)
				if err := f.Inject(t.Context()); err != nil {
					t.Fatal(err)
				}
				defer f.Revert(t.Context())
				c := client(t, 10*time.Second)
				var hits, done atomic.Int64
				var wg sync.WaitGroup
				for range 60 {
					wg.Go(func() {
						for done.Add(1) <= n {
							start := time.Now()
							code, _, err := get(c, p.URL()+"/ping")
							took := time.Since(start)
							switch {
							case err != nil:
								t.Error(err)
								return
							case kind == "http_error" && code == 503, kind == "http_delay" && code == 200 && took >= delay:
								hits.Add(1)
							case code != 200:
								t.Errorf("status %d; want 200 or the fault's 503", code)
								return
							}
						}
					})
				}
				wg.Wait()
				share := float64(hits.Load()) / n
				margin := max(0.03, 4*math.Sqrt(rate*(1-rate)/n))
				lo, hi := rate-margin, rate+margin
				if kind == "http_delay" {
					hi += 0.1
				}
				if share < lo || share > hi {
					t.Errorf("%s hit %d of %d requests (%.3f); want %.3f to %.3f", kind, hits.Load(), n, share, lo, hi)
				}
			})
		}
	}
}
