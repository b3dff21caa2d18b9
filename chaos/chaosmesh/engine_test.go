package chaosmesh

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/gauntletbench/gauntlet/engine"
	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/scenarios"
)

const kubeScenario = `name: kube
services:
  api:
    url: %s
    kubernetes: {namespace: shop, selector: {app: api}, port: 8080}
load: {stages: [{for: %s, rate: 50}]}
requests: [{url: "${api}/"}]
faults:
  - {name: slow, at: 200ms, for: %s, latency: {service: api, delay: 50ms}}
  - {name: kill, at: 300ms, kill: {service: api}}
  - {name: busy, at: 300ms, for: %s, cpu_stress: {service: api, workers: 1}}
  - {name: errors, at: 400ms, for: %s, http_error: {service: api, status: 503}}
`

// TestRunAppliesChaosMeshObjects runs the engine with the fake cluster: every fault is
// created, waited for and deleted, on a run that ends and on a run that is cancelled
// while its faults are in effect.
func TestRunAppliesChaosMeshObjects(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	tests := []struct {
		name     string
		load     string
		faultFor string
		cancelAt time.Duration
	}{
		{"run ends", "2s", "500ms", 0},
		{"run cancelled", "10s", "8s", 1500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := fmt.Sprintf(kubeScenario, srv.URL, tt.load, tt.faultFor, tt.faultFor, tt.faultFor)
			spec, err := scenarios.Parse("kube.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			mesh, c := newFakeChaosMesh(t)
			mctx, stopMesh := context.WithCancel(context.Background())
			defer stopMesh()
			go mesh.run(mctx)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancelAt > 0 {
				time.AfterFunc(tt.cancelAt, cancel)
			}
			cl := NewCluster(c, Options{Poll: 20 * time.Millisecond, InjectTimeout: 5 * time.Second, DeleteTimeout: 5 * time.Second})
			path, err := engine.Run(ctx, spec, engine.Options{OutDir: t.TempDir(), Cluster: cl})
			if tt.cancelAt > 0 {
				if !errors.Is(err, engine.ErrInterrupted) {
					t.Errorf("Run = %v; want interrupted", err)
				}
			} else if err != nil {
				t.Fatalf("Run = %v", err)
			}
			if n := remaining(t, c); n != 0 {
				t.Errorf("%d Chaos Mesh objects left after the run; want 0", n)
			}
			created, deleted := mesh.counts()
			if created != 4 || deleted != 4 {
				t.Errorf("fake Chaos Mesh saw %d objects created and %d deleted; want 4 and 4", created, deleted)
			}
			rec, err := metrics.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			events := map[string][]string{}
			for _, fe := range rec.Runs[0].Faults {
				events[fe.Name] = append(events[fe.Name], fe.Event)
				if fe.Error != "" {
					t.Errorf("fault %s %s: %s", fe.Name, fe.Event, fe.Error)
				}
			}
			for _, name := range []string{"slow", "kill", "busy", "errors"} {
				if got := fmt.Sprint(events[name]); got != "[injected reverted]" {
					t.Errorf("fault %s events %s; want [injected reverted]", name, got)
				}
			}
		})
	}
}

// TestRunWithoutClusterRefusesKubernetesFaults checks that a scenario with faults on a
// Kubernetes service does not start without a cluster, and says how to give one.
func TestRunWithoutClusterRefusesKubernetesFaults(t *testing.T) {
	t.Parallel()
	spec, err := scenarios.Parse("kube.yaml", []byte(fmt.Sprintf(kubeScenario, "http://127.0.0.1:1", "1s", "1s", "1s", "1s")))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, err = engine.Run(context.Background(), spec, engine.Options{OutDir: dir})
	if !errors.Is(err, engine.ErrNoCluster) {
		t.Errorf("Run without a cluster = %v; want ErrNoCluster", err)
	}
	if _, serr := metrics.ReadFile(filepath.Join(dir, engine.RecordName)); serr == nil {
		t.Error("a record was written: the run should not have started")
	}
}
