package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitRunsAsWritten: the starter scenario for a URL runs unedited and
// sends exactly its plan to that URL; the one without a URL validates.
func TestInitRunsAsWritten(t *testing.T) {
	t.Parallel()
	srv, hits := countingServer(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "scenario.yaml")
	if code, _, errOut := gauntlet(t, "init", srv.URL+"/hit", "-o", file); code != 0 {
		t.Fatalf("init: exit %d: %s", code, errOut)
	}
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(src), "# yaml-language-server: $schema=./gauntlet.schema.json\n") {
		t.Errorf("starter does not begin with the schema line:\n%s", src)
	}
	var schema map[string]any
	if data, err := os.ReadFile(filepath.Join(dir, "gauntlet.schema.json")); err != nil || json.Unmarshal(data, &schema) != nil || schema["$schema"] == nil {
		t.Errorf("gauntlet.schema.json beside it: %v; want the JSON Schema", err)
	}
	if code, _, _ := gauntlet(t, "init", srv.URL, "-o", file); code != exitUsage {
		t.Errorf("init over an existing file: exit %d; want %d", code, exitUsage)
	}
	code, out, errOut := gauntlet(t, "run", file, "--output", "json", "--out", filepath.Join(dir, "out"))
	// Its thresholds judge the run (exit 3 when a starved machine misses the
	// p99 one); anything else means it did not run as written.
	if code != 0 && code != exitThresholds {
		t.Fatalf("run of the starter: exit %d: %s", code, errOut)
	}
	// 3 s at 20/s of warm-up, then 10 s at 50/s measured.
	if r := summaryOf(t, out).Runs[0]; r.Requests != 500 || hits.Load() != 560 {
		t.Errorf("starter run: %d measured requests, server saw %d; want 500 measured of 560", r.Requests, hits.Load())
	}
	local := filepath.Join(dir, "local.yaml")
	if code, _, errOut := gauntlet(t, "init", "-o", local); code != 0 {
		t.Fatalf("init without URL: exit %d: %s", code, errOut)
	}
	if code, _, errOut := gauntlet(t, "validate", local); code != 0 {
		t.Errorf("validate of the starter without URL: exit %d: %s", code, errOut)
	}
	if code, _, _ := gauntlet(t, "init", "ftp://x", "-o", filepath.Join(dir, "x.yaml")); code != exitUsage {
		t.Errorf("init ftp://x: exit %d; want %d", code, exitUsage)
	}
}
