package main

import (
	"fmt"
	"strings"
	"testing"
)

const leakScenario = `name: leaks
services:
  api: {baseline: micro}
load:
  stages:
    - {for: 3s, rate: 200}
requests:
  - {url: "${api}%s"}
thresholds:
  - leaks == 0
`

// TestLeakCheck runs the Go micro baseline's /ping, which leaks nothing, and its /leak,
// which leaves a goroutine behind per request: only the second is reported, with its
// goroutine counts, and fails leaks == 0 (exit 3).
func TestLeakCheck(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"/ping", "/leak"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			leaky := path == "/leak"
			want := exitOK
			if leaky {
				want = exitThresholds
			}
			code, out, stderr := gauntlet(t, "run", writeFile(t, "leaks.yaml", fmt.Sprintf(leakScenario, path)),
				"--output", "json", "--out", t.TempDir())
			if code != want {
				t.Fatalf("exit %d; want %d\n%s\n%s", code, want, stderr, out)
			}
			sum := decodeSummary(t, out)
			r := sum.Runs[0]
			sv := r.Services["api"]
			if !sv.LeakChecked {
				t.Fatalf("service api was not checked for leaks: %+v", sv)
			}
			if !leaky {
				if len(sv.Leaks) != 0 {
					t.Errorf("/ping reported leaking: %+v", sv.Leaks)
				}
				return
			}
			if len(sv.Leaks) != 1 || sv.Leaks[0].Resource != "goroutines" {
				t.Fatalf("/leak leaks = %+v; want goroutines only", sv.Leaks)
			}
			// Every answered /leak left exactly one goroutine behind. The idle count may
			// include a few goroutines that end later (a probe's keep-alive connection), so
			// the growth may fall short of the answered count by the check's own floor.
			l, answered := sv.Leaks[0], float64(r.StatusCodes["200"])
			if grew := l.End - l.Idle; answered < 500 || grew < answered-10 || grew > answered+100 {
				t.Errorf("goroutines %v idle → %v after the load; want %v more (one per answered /leak)", l.Idle, l.End, answered)
			}
			_, text, _ := gauntlet(t, "report", sum.Record, "-o", t.TempDir()+"/report.html")
			if !strings.Contains(text, "LEAK goroutines:") || !strings.Contains(text, "✗ leaks == 0") {
				t.Errorf("summary lacks the leak or the failed threshold:\n%s", text)
			}
		})
	}
}
