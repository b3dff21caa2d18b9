package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// orderServer implements POST /orders → 201 {"id": N} and GET /orders/{id}
// → 200 {"id": N, "status": "created"} (404 for unknown ids).
func orderServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var next atomic.Int64
	var mu sync.Mutex
	orders := map[string]bool{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		id := fmt.Sprint(next.Add(1))
		mu.Lock()
		orders[id] = true
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", "/orders/"+id)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id": %s, "items": [{"sku": "order-%s"}]}`, id, id)
	})
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ok := orders[r.PathValue("id")]
		mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id": %s, "status": "created"}`, r.PathValue("id"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &next
}

// runScenario parses src (with ${URL} replaced by url), runs it and returns
// the record's summary.
func runScenario(t *testing.T, src, url string, opt Options) (*metrics.Summary, *metrics.Record) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "scenario.yaml")
	src = strings.ReplaceAll(src, "${URL}", url)
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := scenarios.Load(file)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return runSpec(t, spec, opt)
}

func runSpec(t *testing.T, spec *scenarios.Spec, opt Options) (*metrics.Summary, *metrics.Record) {
	t.Helper()
	if opt.OutDir == "" {
		opt.OutDir = t.TempDir()
	}
	path, err := Run(context.Background(), spec, opt)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	rec, err := metrics.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := metrics.Summarize(rec)
	if err != nil {
		t.Fatal(err)
	}
	return s, rec
}

func byName(rs metrics.RunSummary, name string) *metrics.RequestSummary {
	for i := range rs.ByRequest {
		if rs.ByRequest[i].Name == name {
			return &rs.ByRequest[i]
		}
	}
	return nil
}

func dump(t *testing.T, v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
