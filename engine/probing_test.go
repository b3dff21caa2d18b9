package engine

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
)

// needTool returns the path of a program the test drives, or skips (fails
// in CI, where make test installs it) without it.
func needTool(t *testing.T, name, pkg string, dirs ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range dirs {
		if p := filepath.Join(d, name); fileExists(p) {
			return p
		}
	}
	msg := name + " not found: install it (apt-get install -y " + pkg + ")"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// nginxConf is a minimal nginx on ${port}: a health check, and a page at
// every other path, /metrics included. PORT and DIR are filled in by the service's command.
const nginxConf = `pid DIR/nginx.pid;
error_log stderr;
worker_processes 1;
events { worker_connections 128; }
http {
  access_log off;
  client_body_temp_path DIR/body; proxy_temp_path DIR/proxy; fastcgi_temp_path DIR/fastcgi;
  uwsgi_temp_path DIR/uwsgi; scgi_temp_path DIR/scgi;
  server {
    listen 127.0.0.1:PORT;
    location = /healthz { return 200 "ok\n"; }
    location / { return 200 "hello\n"; }
  }
}
`

// TestNginxWithoutMetrics runs a real nginx as a service: it serves no
// /metrics, so it is asked once, and the run prints no probe error but
// carries one note; process figures are still sampled.
func TestNginxWithoutMetrics(t *testing.T) {
	t.Parallel()
	nginx := needTool(t, "nginx", "nginx-light", "/usr/sbin")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf.in"), []byte(strings.ReplaceAll(nginxConf, "DIR", dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `name: nginx
services:
  web:
    command: [sh, -c, "sed s/PORT/${port}/ ` + dir + `/nginx.conf.in > ` + dir + `/nginx-${port}.conf && exec ` + nginx +
		` -p ` + dir + ` -c ` + dir + `/nginx-${port}.conf -g 'daemon off;'"]
load: {stages: [{for: 2s, rate: 50}]}
requests: [{url: "${web}/"}]
thresholds: [error_rate < 1%]
`
	var log bytes.Buffer
	s, rec := runScenario(t, src, "", Options{Log: &log})
	if strings.Contains(log.String(), "probe") {
		t.Errorf("run log has a probe error:\n%s", log.String())
	}
	rs := s.Runs[0]
	if rs.Requests == 0 || rs.Requests != rs.StatusCodes["200"]+rs.Errors {
		t.Fatalf("nginx run: %d requests, status codes %v; want nginx's 200s", rs.Requests, rs.StatusCodes)
	}
	if len(rs.Notes) != 1 || !strings.Contains(rs.Notes[0], "service web serves no Prometheus metrics at /metrics (it answered: a 200 that is not Prometheus text)") {
		t.Errorf("notes = %q; want one saying web's /metrics is not Prometheus text", rs.Notes)
	}
	if sv := rs.Services["web"]; sv.RSSPeakBytes <= 0 {
		t.Errorf("web RSS peak = %v; want the process tree sampled", sv.RSSPeakBytes)
	}
	// Asked once: no readings from a scrape, and only the one note.
	notes := 0
	for _, n := range rec.Runs[0].Notes {
		if n.Kind == metrics.NoteNoMetrics {
			notes++
		}
	}
	if notes != 1 {
		t.Errorf("%d no-metrics notes in the record; want 1", notes)
	}
}

// TestProbeLogLimitsRepeats: a probe that keeps failing is reported once,
// then at most once per probeLogEvery with the count of failures since, and
// what was left unreported is counted at the end.
func TestProbeLogLimitsRepeats(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type failure struct {
		owner string
		at    time.Duration
	}
	tests := []struct {
		name     string
		failures []failure
		want     []string
	}{
		{"one failure", []failure{{"api", 0}}, []string{"go: probe api: fail@0s"}},
		{"every second for 25 s", func() []failure {
			var fs []failure
			for i := range 25 {
				fs = append(fs, failure{"api", time.Duration(i) * time.Second})
			}
			return fs
		}(), []string{
			"go: probe api: fail@0s",
			"go: probe api: fail@10s (failures not shown since the last line: 9)",
			"go: probe api: fail@20s (failures not shown since the last line: 9)",
			"go: probe api: failures not shown: 4, the last: fail@24s",
		}},
		{"owners apart", []failure{{"api", 0}, {"db", time.Second}, {"api", 2 * time.Second}, {"db", 12 * time.Second}}, []string{
			"go: probe api: fail@0s",
			"go: probe db: fail@1s",
			"go: probe db: fail@12s",
			"go: probe api: failures not shown: 1, the last: fail@2s",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			l := newProbeLog(&out, "go")
			for _, f := range tt.failures {
				l.failed(f.owner, fmt.Errorf("fail@%s", f.at), t0.Add(f.at))
			}
			l.flush()
			got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if !slices.Equal(got, tt.want) {
				t.Errorf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
