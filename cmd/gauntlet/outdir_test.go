package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Runs started in the same second (two attacks at once) get folders of their
// own.
func TestNewRunDirIsUnique(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	const n = 8
	dirs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			if dirs[i], err = newRunDir(root, "attack"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, d := range dirs {
		if seen[d] {
			t.Errorf("two runs got %s", d)
		}
		seen[d] = true
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() || !strings.HasPrefix(filepath.Base(d), "attack-") {
			t.Errorf("run folder %q: %v", d, err)
		}
	}
}

// --out of an existing run is refused (exit 2) and the run's record is kept.
func TestRunRefusesAnExistingRunsOut(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	record := filepath.Join(dir, "record.ndjson")
	if err := os.WriteFile(record, []byte("an earlier run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := gauntlet(t, "attack", "http://127.0.0.1:9/", "--rate", "1", "--duration", "1s", "--out", dir)
	if code != exitUsage || !strings.Contains(stderr, "holds a run already") {
		t.Errorf("exit %d, stderr %q; want %d and a hint", code, stderr, exitUsage)
	}
	if data, _ := os.ReadFile(record); string(data) != "an earlier run\n" {
		t.Errorf("record now %q; want it kept", data)
	}
}
