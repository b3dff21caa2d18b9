package metrics

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Create never writes over a file, nor through a symbolic link planted where
// the record goes.
func TestCreateRefusesExistingAndLinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.ndjson")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling.ndjson")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{victim, link, dangling} {
		if w, err := Create(path); !errors.Is(err, ErrRecordExists) {
			if w != nil {
				w.Close()
			}
			t.Errorf("Create(%s) = %v; want ErrRecordExists", filepath.Base(path), err)
		}
	}
	if data, _ := os.ReadFile(victim); string(data) != "keep" {
		t.Errorf("victim = %q; want it untouched", data)
	}
	if _, err := os.Stat(filepath.Join(dir, "nowhere")); !errors.Is(err, os.ErrNotExist) {
		t.Error("Create followed the dangling link")
	}
	w, err := Create(filepath.Join(dir, "new.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
}
