package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/services"
)

// freePort returns a loopback port nothing listens on right now, below the
// kernel's ephemeral range (see services.FreePort), for a process that binds
// it a moment later.
func freePort(t *testing.T) int {
	t.Helper()
	port, err := services.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// prometheus starts a real Prometheus server scraping target every second
// and returns its base URL once it is ready.
func startPrometheus(t *testing.T, target string) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		bin = "/usr/bin/prometheus"
	}
	if _, err := os.Stat(bin); err != nil {
		msg := "prometheus not found: install it (apt-get install -y prometheus)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	conf := fmt.Sprintf("global: {scrape_interval: 1s, scrape_timeout: 900ms}\nscrape_configs:\n  - job_name: gauntlet\n    static_configs: [{targets: [%q]}]\n", target)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=error")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	base := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(base + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
	}
	t.Fatal("prometheus not ready within 30 s")
	return ""
}

// promQuery returns the single value of an instant PromQL query, or NaN.
func promQuery(t *testing.T, base, q string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	if r.Status != "success" || len(r.Data.Result) != 1 {
		return math.NaN()
	}
	s, _ := r.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

// TestLiveMetricsInPrometheus: a real Prometheus scrapes --metrics-addr
// during a 10 s run; its query API then gives the run's request count.
func TestLiveMetricsInPrometheus(t *testing.T) {
	t.Parallel()
	srv, hits := countingServer(t)
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	prom := startPrometheus(t, metricsAddr)
	code, out, errOut := gauntlet(t, "attack", srv.URL+"/hit", "--rate", "100", "--duration", "10s",
		"--metrics-addr", metricsAddr, "--output", "json", "--out", t.TempDir())
	if code != 0 {
		t.Fatalf("attack: exit %d: %s", code, errOut)
	}
	want := float64(summaryOf(t, out).Runs[0].Requests)
	if want != float64(hits.Load()) || want < 900 {
		t.Fatalf("summary %g requests, server saw %d; want ~1000, equal", want, hits.Load())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := math.NaN()
	for ctx.Err() == nil {
		got = promQuery(t, prom, `sum(gauntlet_requests_total{request="attack"})`)
		if math.Abs(got-want) <= 0.02*want {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if math.Abs(got-want) > 0.02*want {
		t.Errorf("prometheus: gauntlet_requests_total = %g; want %g ± 2%%", got, want)
	}
	// The latency histogram counts the same requests, and the run was watched
	// while it ran, not only at its end.
	if n := promQuery(t, prom, `sum(gauntlet_request_duration_seconds_count)`); math.Abs(n-want) > 0.02*want {
		t.Errorf("prometheus: latency histogram count = %g; want %g ± 2%%", n, want)
	}
	if n := promQuery(t, prom, `count_over_time(gauntlet_requests_total{request="attack"}[1m])`); !(n >= 5) {
		t.Errorf("prometheus holds %g samples of the request count; want one a second during the run", n)
	}
	if n := promQuery(t, prom, `count_over_time(gauntlet_requests_in_flight[1m])`); !(n >= 5) {
		t.Errorf("prometheus holds %g samples of requests in flight; want one a second during the run", n)
	}
	checkDashboard(t, prom)
}

// checkDashboard runs every query of the Grafana dashboard in examples/ on
// the Prometheus that watched a run: each must be valid PromQL, and those
// of the load (requests, latency, lag, generator memory and CPU) must have
// data.
func checkDashboard(t *testing.T, prom string) {
	t.Helper()
	data, err := os.ReadFile("../../examples/grafana/gauntlet-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	mustHaveData := map[string]bool{"Requests per second": true, "Latency p50 / p99 (from the intended send time)": true,
		"Schedule lag p99 (generator health)": true, "Service memory (RSS)": true, "Service CPU (cores)": true,
		"Requests in flight": true}
	// Queried at the run's end, so rates look back far enough to span it.
	expand := strings.NewReplacer("$variant", ".*", "$__rate_interval", "30s")
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			q := expand.Replace(tg.Expr)
			resp, err := http.Get(prom + "/api/v1/query?query=" + url.QueryEscape(q))
			if err != nil {
				t.Fatal(err)
			}
			var r struct {
				Status string `json:"status"`
				Error  string `json:"error"`
				Data   struct {
					Result []json.RawMessage `json:"result"`
				} `json:"data"`
			}
			err = json.NewDecoder(resp.Body).Decode(&r)
			resp.Body.Close()
			switch {
			case err != nil || r.Status != "success":
				t.Errorf("dashboard panel %q: query %s: %v %s", p.Title, q, err, r.Error)
			case mustHaveData[p.Title] && len(r.Data.Result) == 0:
				t.Errorf("dashboard panel %q: query %s has no data after a run", p.Title, q)
			}
		}
	}
}
