package probes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// scripted is a Sampler that follows a script of errors: call i fails with
// errs[i] if that is non-nil; calls past the script succeed.
type scripted struct {
	owner string
	errs  []error
	calls int
}

func (s *scripted) Sample(ctx context.Context, now time.Time) (metrics.Readings, error) {
	rd := metrics.Readings{Owner: s.owner, Time: now}
	i := s.calls
	s.calls++
	if i < len(s.errs) && s.errs[i] != nil {
		return rd, s.errs[i]
	}
	rd.Values = map[string]float64{"calls": float64(s.calls)}
	return rd, nil
}

func TestPoll(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	gone := fmt.Errorf("process 1: %w", ErrGone)
	tests := []struct {
		name      string
		samplers  []*scripted
		emits     int             // cancel after this many emits
		wantErrs  map[string]int  // onErr calls per owner
		wantCalls map[string]int  // exact Sample calls, for dropped samplers
		minEmits  map[string]int  // emits per owner, at least
		noEmits   map[string]bool // owners that never emit
	}{
		{
			name:     "one healthy sampler",
			samplers: []*scripted{{owner: "a"}},
			emits:    5,
			wantErrs: map[string]int{},
			minEmits: map[string]int{"a": 5},
		},
		{
			name:      "gone sampler dropped, others kept",
			samplers:  []*scripted{{owner: "a"}, {owner: "dead", errs: []error{nil, gone}}},
			emits:     8,
			wantErrs:  map[string]int{"dead": 1},
			wantCalls: map[string]int{"dead": 2},
			minEmits:  map[string]int{"a": 6, "dead": 1},
		},
		{
			name:     "failures reported once per streak and retried",
			samplers: []*scripted{{owner: "flaky", errs: []error{boom, boom, boom, nil, boom, nil}}},
			emits:    4,
			wantErrs: map[string]int{"flaky": 2},
			minEmits: map[string]int{"flaky": 4},
		},
		{
			name:     "gone after failures still reported",
			samplers: []*scripted{{owner: "a"}, {owner: "dead", errs: []error{boom, gone}}},
			emits:    4,
			wantErrs: map[string]int{"dead": 2},
			noEmits:  map[string]bool{"dead": true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			t0 := time.Now().Add(time.Second) // T starts negative
			var got []metrics.Readings
			errs := map[string]int{}
			ss := make([]Sampler, len(tt.samplers))
			for i, s := range tt.samplers {
				ss[i] = s
			}
			Poll(ctx, time.Millisecond, t0, "go", func(rd metrics.Readings) {
				got = append(got, rd)
				if len(got) == tt.emits {
					cancel()
				}
			}, func(owner string, err error) {
				errs[owner]++
			}, ss...)

			if len(got) != tt.emits {
				t.Fatalf("Poll() emitted %d readings; want %d (it stops on ctx)", len(got), tt.emits)
			}
			if len(got) > 0 && got[0].T >= 0 {
				t.Errorf("first T = %v; want negative (before t0)", got[0].T)
			}
			lastT := map[string]float64{}
			emits := map[string]int{}
			for i, rd := range got {
				if rd.Type != metrics.LineReadings || rd.Variant != "go" {
					t.Errorf("reading %d type, variant = %q, %q; want %q, go", i, rd.Type, rd.Variant, metrics.LineReadings)
				}
				if prev, ok := lastT[rd.Owner]; ok && rd.T <= prev {
					t.Errorf("reading %d of %s: T = %v after %v; want increasing", i, rd.Owner, rd.T, prev)
				}
				if want := rd.Time.Sub(t0).Seconds(); rd.T != want {
					t.Errorf("reading %d: T = %v; want Time - t0 = %v", i, rd.T, want)
				}
				lastT[rd.Owner] = rd.T
				emits[rd.Owner]++
			}
			for owner, n := range tt.wantErrs {
				if errs[owner] != n {
					t.Errorf("onErr(%s) called %d times; want %d", owner, errs[owner], n)
				}
			}
			for _, s := range tt.samplers {
				if n, ok := tt.wantCalls[s.owner]; ok && s.calls != n {
					t.Errorf("%s sampled %d times; want %d (dropped after ErrGone)", s.owner, s.calls, n)
				}
				if n := tt.minEmits[s.owner]; emits[s.owner] < n {
					t.Errorf("%s emitted %d readings; want >= %d", s.owner, emits[s.owner], n)
				}
				if tt.noEmits[s.owner] && emits[s.owner] > 0 {
					t.Errorf("%s emitted %d readings; want none", s.owner, emits[s.owner])
				}
			}
		})
	}
}

func TestPollReturnsWhenAllGone(t *testing.T) {
	t.Parallel()
	s := &scripted{owner: "dead", errs: []error{ErrGone}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// A nil onErr is allowed.
		Poll(context.Background(), time.Millisecond, time.Now(), "go", func(metrics.Readings) {}, nil, s)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Poll() did not return with every sampler gone")
	}
}

func TestPollFirstSampleAtOnce(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	var first time.Duration
	Poll(ctx, time.Hour, start, "go", func(metrics.Readings) {
		first = time.Since(start)
		cancel()
	}, nil, &scripted{owner: "a"})
	if first <= 0 || first > 10*time.Second {
		t.Errorf("first sample after %v with a 1 h interval; want at once", first)
	}
}

func TestPollRealSamplers(t *testing.T) {
	t.Parallel()
	h := startHelper(t)
	srv := metricsServer(t, exposition)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	owners := map[string]int{}
	var gotErr error
	n := 0
	Poll(ctx, 20*time.Millisecond, time.Now(), "go", func(rd metrics.Readings) {
		owners[rd.Owner]++
		if n++; n == 12 {
			h.stop() // the tree goes; the others carry on
		}
		if owners[OwnerHost] >= 10 {
			cancel()
		}
	}, func(owner string, err error) {
		if owner == "svc" {
			gotErr = err
		}
	}, ProcessTree("svc", h.pid()), Host(), Self(), Scrape("gateway", srv.URL, map[string]string{"go_goroutines": "goroutines"}))
	if !errors.Is(gotErr, ErrGone) {
		t.Errorf("onErr(svc) = %v; want ErrGone", gotErr)
	}
	for _, owner := range []string{"svc", OwnerHost, OwnerGenerator, "gateway"} {
		if owners[owner] == 0 {
			t.Errorf("no readings of %s: %v", owner, owners)
		}
	}
	if owners["svc"] >= owners[OwnerHost] {
		t.Errorf("readings per owner = %v; want fewer of svc, which was dropped", owners)
	}
}

func TestSamplersHonourContext(t *testing.T) {
	t.Parallel()
	srv := metricsServer(t, exposition)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		s    Sampler
	}{
		{"ProcessTree", ProcessTree("svc", os.Getpid())},
		{"Host", Host()},
		{"Self", Self()},
		{"Scrape", Scrape("svc", srv.URL, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := tt.s.Sample(ctx, time.Now()); !errors.Is(err, context.Canceled) {
				t.Errorf("%s.Sample() with a canceled context: error = %v; want context.Canceled", tt.name, err)
			}
		})
	}
}
