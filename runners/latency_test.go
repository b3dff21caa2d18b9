package runners

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// TestOpenLatencyIsLagPlusServiceTimeThroughAStall stalls the server for
// half a second while the in-flight cap holds most requests due in it back.
// Each such request, sent then or queued until the stall ends, is answered
// at the stall's end at the earliest, so its latency is at least the stall's
// end less its intended time: what a user arriving then would wait. Measured
// from the actual send instead, the queued requests would look instant.
func TestOpenLatencyIsLagPlusServiceTimeThroughAStall(t *testing.T) {
	t.Parallel()
	for _, client := range []string{"fasthttp", "net/http"} {
		t.Run(client, func(t *testing.T) {
			t.Parallel()
			stallTest(t, client == "net/http")
		})
	}
}

func stallTest(t *testing.T, netHTTP bool) {
	const stallFrom, stallTo = 500 * time.Millisecond, time.Second
	start := time.Now().Add(20 * time.Millisecond)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if el := time.Since(start); el >= stallFrom && el < stallTo {
			time.Sleep(stallTo - el)
		}
	}))
	defer srv.Close()
	stages := []metrics.Stage{{ForS: 2, Rate: 200}}
	o := newOpen(t, srv.URL, stages)
	o.Start, o.MaxInFlight = start, 20
	// Every request must be sent: on a busy machine under -race the queue behind the stall
	// can drain past the default 1 s of grace, and a dropped request is not what this tests.
	o.Grace = 10 * time.Second
	if netHTTP {
		o.Client = &Client{HTTP: o.Client.HTTP}
	}
	got := collect(t, context.Background(), o)

	// Every result carries its planned send time, however late it left:
	// request k of a constant 200/s is due at k × 5 ms.
	intended := make([]time.Duration, 0, len(got))
	for _, r := range got {
		intended = append(intended, r.Intended)
	}
	slices.Sort(intended)
	if len(intended) != 400 {
		t.Fatalf("results %d; want 400", len(intended))
	}
	for k, at := range intended {
		if want := time.Duration(k) * 5 * time.Millisecond; at < want-time.Microsecond || at > want+time.Microsecond {
			t.Fatalf("intended send of request %d = %v; want %v (the schedule, not the actual send)", k, at, want)
		}
	}

	slack := map[bool]time.Duration{false: 100 * time.Millisecond, true: 400 * time.Millisecond}[raceEnabled]
	var inStall, queued int
	var excess []time.Duration
	for _, r := range got {
		if r.Class != metrics.OK {
			t.Fatalf("class %v; want every request ok", r.Class)
		}
		if lat, want := r.Latency(), r.Lag()+r.ServiceTime(); lat != want {
			t.Errorf("latency %v; want lag %v + service time %v", lat, r.Lag(), r.ServiceTime())
		}
		if r.Intended < stallFrom || r.Intended >= stallTo {
			continue
		}
		inStall++
		if r.Sent >= stallTo {
			queued++
		}
		floor := stallTo - r.Intended
		if r.Latency() < floor {
			t.Errorf("request due at %v, sent at %v: latency %v; want at least %v (until the stall's end)", r.Intended, r.Sent, r.Latency(), floor)
		}
		excess = append(excess, r.Latency()-floor)
	}
	if inStall != 100 || queued < 50 {
		t.Fatalf("%d requests due in the stall, %d of them held back past it; want 100 and most", inStall, queued)
	}
	slices.Sort(excess)
	if med := excess[len(excess)/2]; med > slack {
		t.Errorf("median latency beyond the stall's end %v; want under %v", med, slack)
	}
}

// TestOpenKeepsTheSchedule checks how late the open model sends against a
// fast server. Without -race (make test runs this test in both) a tenth of
// the requests must leave within half a millisecond of their due time, as
// they do even on a busy machine (about 20 µs here with a load average of
// 40 on 2 cores), and half within 5 ms; under -race, which slows every send,
// the bounds only catch a generator that falls far behind.
func TestOpenKeepsTheSchedule(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	o := newOpen(t, srv.URL, []metrics.Stage{{ForS: 1, Rate: 500}})
	got := collect(t, context.Background(), o)
	if len(got) != 500 {
		t.Fatalf("results %d; want 500", len(got))
	}
	lags := make([]time.Duration, 0, len(got))
	for _, r := range got {
		lags = append(lags, r.Lag())
	}
	slices.Sort(lags)
	at := func(q float64) time.Duration { return lags[int(q*float64(len(lags)-1))] }
	t.Logf("schedule lag p10 %v p50 %v p90 %v max %v", at(0.1), at(0.5), at(0.9), at(1))
	bounds := []struct {
		q           float64
		race, plain time.Duration
	}{{0.1, 50 * time.Millisecond, 500 * time.Microsecond}, {0.5, 250 * time.Millisecond, 5 * time.Millisecond}}
	for _, b := range bounds {
		limit := map[bool]time.Duration{false: b.plain, true: b.race}[raceEnabled]
		if got := at(b.q); got < 0 || got > limit {
			t.Errorf("schedule lag p%.0f = %v; want within [0, %v]", 100*b.q, got, limit)
		}
	}
}
