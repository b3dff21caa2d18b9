package engine

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/chaos"
	"github.com/gauntletbench/gauntlet/metrics"
)

// scriptedFault runs hooks on Inject and Revert and notes when each was called.
type scriptedFault struct {
	inject, revert func(ctx context.Context)
}

func (f *scriptedFault) Inject(ctx context.Context) error {
	if f.inject != nil {
		f.inject(ctx)
	}
	return nil
}

func (f *scriptedFault) Revert(ctx context.Context) error {
	if f.revert != nil {
		f.revert(ctx)
	}
	return nil
}

// syncLog is a log writer safe for the timeline's goroutines.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newTestFaultRun(t *testing.T, windows []chaos.Window, faults map[string]chaos.Fault) (*faultRun, *syncLog) {
	t.Helper()
	w, err := metrics.Create(filepath.Join(t.TempDir(), RecordName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	log := &syncLog{}
	return &faultRun{w: w, log: log, variant: "v", t0: time.Now(), windows: windows, faults: faults,
		target: map[string]string{}, done: make(chan struct{})}, log
}

// A fault that is slow to inject (a restart waiting for its service) must not
// hold back another fault due meanwhile: the second one is injected and
// reverted on its own schedule.
func TestFaultTimelineSlowFaultDoesNotDelayOthers(t *testing.T) {
	t.Parallel()
	pauseReverted := make(chan struct{})
	var pauseStart, pauseEnd time.Time
	faults := map[string]chaos.Fault{
		"restart": &scriptedFault{inject: func(ctx context.Context) {
			select { // a service slow to come up, ready only once the pause is over
			case <-pauseReverted:
			case <-time.After(10 * time.Second):
			}
		}},
		"pause": &scriptedFault{
			inject: func(context.Context) { pauseStart = time.Now() },
			revert: func(context.Context) { pauseEnd = time.Now(); close(pauseReverted) },
		},
	}
	windows := []chaos.Window{
		{Name: "restart", Kind: "restart", Occurrence: 1, Start: 0, End: 0},
		{Name: "pause", Kind: "pause", Occurrence: 1, Start: 50 * time.Millisecond, End: 550 * time.Millisecond},
	}
	fr, _ := newTestFaultRun(t, windows, faults)
	ctx, stop := context.WithCancel(context.Background())
	begin := time.Now()
	go fr.run(ctx, func(error) {})
	select {
	case <-pauseReverted:
	case <-time.After(8 * time.Second):
		t.Fatal("the pause was not reverted while the restart was still injecting: the timeline waits for the slow fault")
	}
	if err := fr.revertAll(context.Background(), stop); err != nil {
		t.Fatal(err)
	}
	if held := pauseEnd.Sub(pauseStart); held < 400*time.Millisecond {
		t.Errorf("pause held %s; want about its planned 500ms", held)
	}
	if took := time.Since(begin); took > 8*time.Second {
		t.Errorf("timeline took %s", took)
	}
}

// When a fault's own previous step ran past its next one, the late step
// says so.
func TestFaultTimelineWarnsWhenLate(t *testing.T) {
	t.Parallel()
	slow := &scriptedFault{revert: func(context.Context) { time.Sleep(700 * time.Millisecond) }}
	windows := []chaos.Window{
		{Name: "latency", Kind: "latency", Occurrence: 1, Start: 0, End: 100 * time.Millisecond},
		{Name: "latency", Kind: "latency", Occurrence: 2, Start: 200 * time.Millisecond, End: 300 * time.Millisecond},
	}
	fr, log := newTestFaultRun(t, windows, map[string]chaos.Fault{"latency": slow})
	ctx, stop := context.WithCancel(context.Background())
	go fr.run(ctx, func(error) {})
	time.Sleep(100 * time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(log.String(), "late") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := fr.revertAll(context.Background(), stop); err != nil {
		t.Fatal(err)
	}
	if got := log.String(); !strings.Contains(got, "latency") || !strings.Contains(got, "late") {
		t.Errorf("log = %q; want a warning that fault latency ran late", got)
	}
}
