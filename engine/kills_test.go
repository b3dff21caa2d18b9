package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gauntletbench/gauntlet/metrics"
)

func TestKillLogNamesExits(t *testing.T) {
	t.Parallel()
	var k killLog
	k.expect(100, "api", "crash")
	if !k.down("api") || k.down("db") {
		t.Errorf("down(api), down(db) = %v, %v; want true, false", k.down("api"), k.down("db"))
	}
	steps := []struct {
		in, want metrics.ServiceEvent
	}{
		// Another process of the same service exits on its own: still a crash.
		{metrics.ServiceEvent{Service: "api", Kind: "exited", PID: 99, Unexpected: true, Message: "exited unexpectedly with exit code 2", ExitCode: 2},
			metrics.ServiceEvent{Service: "api", Kind: "exited", PID: 99, Unexpected: true, Message: "exited unexpectedly with exit code 2", ExitCode: 2}},
		// The victim's exit is the fault's doing.
		{metrics.ServiceEvent{Service: "api", Kind: "exited", PID: 100, Unexpected: true, Message: "exited unexpectedly with signal killed", Signal: "killed", ExitCode: -1},
			metrics.ServiceEvent{Service: "api", Kind: "exited", PID: 100, Fault: "crash", Message: "killed by fault crash (signal killed)", Signal: "killed", ExitCode: -1}},
		// Its next start is the restart after the fault, once.
		{metrics.ServiceEvent{Service: "api", Kind: "ready", PID: 101},
			metrics.ServiceEvent{Service: "api", Kind: "ready", PID: 101, Fault: "crash", Message: "restarted after fault crash"}},
		// Once ready again it is up, and a later start is a plain one.
		{metrics.ServiceEvent{Service: "api", Kind: "ready", PID: 102},
			metrics.ServiceEvent{Service: "api", Kind: "ready", PID: 102}},
		// The victim's pid is forgotten once its exit was named.
		{metrics.ServiceEvent{Service: "api", Kind: "exited", PID: 100, Unexpected: true},
			metrics.ServiceEvent{Service: "api", Kind: "exited", PID: 100, Unexpected: true}},
	}
	for i, st := range steps {
		got := st.in
		k.name(&got)
		if diff := cmp.Diff(st.want, got); diff != "" {
			t.Errorf("step %d: name() mismatch (-want +got):\n%s", i, diff)
		}
	}
	var nilLog *killLog
	nilLog.expect(1, "api", "x") // must not panic: a fault run without a log
}
