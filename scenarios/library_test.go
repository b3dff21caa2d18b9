package scenarios

import (
	"slices"
	"testing"
)

func TestLibrary(t *testing.T) {
	t.Parallel()
	entries := Library()
	names := map[string]bool{}
	for i, e := range entries {
		names[e.Name] = true
		if i > 0 && entries[i-1].Name >= e.Name {
			t.Errorf("Library() not sorted by name: %q before %q", entries[i-1].Name, e.Name)
		}
	}
	if !names["quickstart"] || !names["go-jvm-python"] {
		t.Fatalf("Library() = %v; want quickstart and go-jvm-python", entries)
	}
	// The default scenario's former name still opens it.
	if s, err := Open("go-vs-jvm"); err != nil || s.Name != "go-jvm-python" || s.File != "library:go-jvm-python" {
		t.Errorf("Open(go-vs-jvm) = %v, %v; want the go-jvm-python scenario", s, err)
	} else if want := []string{"go", "jvm", "python"}; !slices.Equal(s.Variants, want) {
		t.Errorf("Open(go-vs-jvm).Variants = %v; want %v", s.Variants, want)
	}
	for _, e := range entries {
		if e.Description == "" {
			t.Errorf("Library() entry %q has no description", e.Name)
		}
		data, ok := LibraryFile(e.Name)
		if !ok {
			t.Errorf("LibraryFile(%q) = false; want true", e.Name)
			continue
		}
		s, err := Parse("library:"+e.Name, data)
		if err != nil {
			t.Errorf("Parse(library:%s) = %v", e.Name, err)
			continue
		}
		if s.File != "library:"+e.Name {
			t.Errorf("Parse(library:%s).File = %q", e.Name, s.File)
		}
	}
	if _, ok := LibraryFile("../decode.go"); ok {
		t.Errorf("LibraryFile(../decode.go) = true; want false")
	}
}

func TestQuickstart(t *testing.T) {
	t.Parallel()
	s, err := Open("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Services) != 1 || s.Services[0].Baseline != "micro" {
		t.Errorf("quickstart services = %+v; want api: {baseline: micro}", s.Services)
	}
	var total Duration
	for _, st := range s.Load.Stages {
		total += st.For
	}
	if total != sec(15) || s.Load.Timeout != sec(2) {
		t.Errorf("quickstart stages last %v with timeout %v; want 15s and 2s", total, s.Load.Timeout)
	}
	if len(s.Requests) != 3 || s.Requests[0].Weight != 3 || len(s.Thresholds) != 3 || s.Thresholds[2].Request != "ping" {
		t.Errorf("quickstart requests/thresholds = %+v / %+v", s.Requests, s.Thresholds)
	}
}
