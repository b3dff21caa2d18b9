package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gauntletbench/gauntlet/metrics"
)

// helpSection returns the flags listed under heading in a --help text.
func helpSection(help, heading string) string {
	_, rest, ok := strings.Cut(help, "\n"+heading+" flags:\n")
	if !ok {
		return ""
	}
	if end := strings.Index(rest, "\n\n"); end >= 0 {
		rest = rest[:end]
	}
	return rest
}

func TestHelpGroups(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    []string
		in      map[string][]string // heading → flags listed there
		missing []string            // flags --help must not show
	}{
		{
			args: []string{"attack", "--help"},
			in: map[string][]string{
				"Load":   {"--rate", "--connections", "--requests", "--duration", "--targets"},
				"Output": {"--output", "--md", "--junit", "--dump-results"},
			},
			missing: []string{"--kubeconfig", "--in-cluster", "--inject-timeout", "--force-cleanup", "--delete-timeout",
				"--baseline", "--alpha", "--max-latency-increase", "--max-cpu-increase", "--fail-unconfirmed", "--count", "CI gate flags", "Kubernetes flags"},
		},
		{
			args: []string{"run", "--help"},
			in: map[string][]string{
				"Load":       {"--segment", "--start-at"},
				"Output":     {"--output", "--out", "--html"},
				"CI gate":    {"--ci", "--count", "--baseline", "--alpha", "--max-latency-increase", "--max-throughput-decrease"},
				"Kubernetes": {"--kubeconfig", "--in-cluster", "--inject-timeout", "--delete-timeout", "--force-cleanup"},
			},
		},
		{
			args: []string{"search", "--help"},
			in:   map[string][]string{"Search": {"--p99", "--error-rate", "--precision"}},
		},
	}
	for _, tt := range tests {
		code, out, errOut := gauntlet(t, tt.args...)
		if code != 0 {
			t.Fatalf("gauntlet %v: exit %d: %s", tt.args, code, errOut)
		}
		for heading, flags := range tt.in {
			sec := helpSection(out, heading)
			for _, f := range flags {
				if !strings.Contains(sec, f+" ") {
					t.Errorf("gauntlet %v: %s not under %q flags:\n%s", tt.args, f, heading, out)
				}
			}
		}
		for _, f := range tt.missing {
			if strings.Contains(out, f) {
				t.Errorf("gauntlet %v shows %s", tt.args, f)
			}
		}
	}
}

// countingServer counts the requests it answers at /hit.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hit" {
			n.Add(1)
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func summaryOf(t *testing.T, out string) *metrics.Summary {
	t.Helper()
	var s metrics.Summary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("summary: %v\n%s", err, out)
	}
	return &s
}

func TestAttackClosedLoop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want int64 // exact request count; 0: any
	}{
		{"requests", []string{"-c", "4", "-n", "300"}, 300},
		{"duration", []string{"--connections", "3", "-d", "1s"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, hits := countingServer(t)
			args := append([]string{"attack", srv.URL + "/hit", "--output", "json", "--out", t.TempDir()}, tt.args...)
			code, out, errOut := gauntlet(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			r := summaryOf(t, out).Runs[0]
			if tt.want > 0 && (r.Requests != tt.want || hits.Load() != tt.want) {
				t.Errorf("-n %d: summary %d requests, server saw %d; want %d", tt.want, r.Requests, hits.Load(), tt.want)
			}
			if r.Requests == 0 || r.Requests != hits.Load() || r.PlannedRPS != 0 {
				t.Errorf("summary %d requests (planned %g/s), server saw %d; want them equal and no planned rate", r.Requests, r.PlannedRPS, hits.Load())
			}
			if len(r.Warnings) == 0 || r.Warnings[0] != metrics.ClosedModelWarning {
				t.Errorf("warnings = %q; want the closed-model warning first", r.Warnings)
			}
		})
	}
}

func TestAttackFlagConflicts(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"attack", "http://127.0.0.1:1/", "-c", "2", "--rate", "10"},
		{"attack", "http://127.0.0.1:1/", "-n", "10"},
		{"attack", "http://127.0.0.1:1/", "-c", "-1"},
		{"attack", "http://127.0.0.1:1/", "--targets", "t.txt"},
	} {
		if code, _, errOut := gauntlet(t, args...); code != exitUsage {
			t.Errorf("gauntlet %v: exit %d (%s); want %d", args, code, errOut, exitUsage)
		}
	}
}

// TestAttackTargetsOnStdin: vegeta targets piped in, as `echo "GET URL" |
// gauntlet attack` sends them.
func TestAttackTargetsOnStdin(t *testing.T) {
	t.Parallel()
	srv, hits := countingServer(t)
	var stdout, stderr bytes.Buffer
	root := newRootCmd(&stdout, &stderr)
	root.SetIn(strings.NewReader("GET " + srv.URL + "/hit\n"))
	root.SetArgs([]string{"attack", "--rate", "40", "--duration", "1s", "--output", "json", "--out", t.TempDir()})
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("attack: %v\n%s", err, stderr.String())
	}
	// The open model sends exactly rate × duration requests.
	if r := summaryOf(t, stdout.String()).Runs[0]; r.Requests != 40 || hits.Load() != 40 {
		t.Errorf("summary %d requests, server saw %d at /hit; want 40", r.Requests, hits.Load())
	}
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	out := filepath.Join(root, "out")
	for _, d := range []string{"quick-1", "quick-2/run-1", "order-1", "empty"} {
		if err := os.MkdirAll(filepath.Join(out, d), 0o755); err != nil {
			t.Fatal(err)
		}
		if d != "empty" {
			if err := os.WriteFile(filepath.Join(out, d, "record.ndjson"), []byte("{}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := runFolders(out, filepath.Join(out, "quick"))
	want := []string{filepath.Join(out, "quick-1"), filepath.Join(out, "quick-2", "run-1")}
	if strings.Join(got, ",") != strings.Join(want, ",") && strings.Join(got, ",") != strings.Join([]string{want[1], want[0]}, ",") {
		t.Errorf("runFolders(quick) = %q; want %q", got, want)
	}
	if got := runFolders(out, filepath.Join(out, "e")); len(got) != 0 {
		t.Errorf("runFolders(e) = %q; want none (no record)", got)
	}
	_, stdout, _ := gauntlet(t, "__complete", "run", "qu")
	if !strings.Contains(stdout, "quickstart\t") {
		t.Errorf("completion of run qu = %q; want the embedded quickstart", stdout)
	}
}
