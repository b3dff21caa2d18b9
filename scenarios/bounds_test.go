package scenarios

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hostile builds scenario files that cost a naive decoder unbounded time or
// memory.
func hostile(t testing.TB) map[string]struct {
	src  string
	line int
	want string
} {
	t.Helper()
	head := "name: h\nservices:\n  api: {url: \"http://127.0.0.1:9\"}\nload:\n  stages:\n    - {for: 1s, rate: 1}\nrequests:\n  - name: r\n    url: \"http://127.0.0.1:9/\"\n"
	var laughs strings.Builder
	laughs.WriteString(head + "    json:\n      l0: &l0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for i := 1; i < 10; i++ {
		laughs.WriteString(fmt.Sprintf("      l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), 10), ",")))
	}
	return map[string]struct {
		src  string
		line int
		want string
	}{
		"self-referencing alias": {head + "    json: &x {k: [1, *x]}\n", 10, "alias *x is used inside its own anchor &x"},
		"alias in its own merge": {head + "    json: &m {<<: *m, a: 1}\n", 10, "alias *m is used inside its own anchor &m"},
		"billion laughs":         {laughs.String(), 15, "expands the scenario past 100000 values"},
		"deep flow nesting":      {head + "    json: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n", 10, "nested more than 64 deep"},
		"deep behind a quote":    {head + "    json: [\"it's\", " + strings.Repeat("{a: ", 2000) + "1" + strings.Repeat("}", 2000) + "]\n", 10, "nested more than 64 deep"},
		"50 MB":                  {head + "    json: \"" + strings.Repeat("x", 50<<20) + "\"\n", 1, "larger than 1048576 bytes"},
	}
}

// Hostile files are refused with one positioned problem, quickly.
func TestParseHostile(t *testing.T) {
	t.Parallel()
	for name, tt := range hostile(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "s.yaml")
			if err := os.WriteFile(path, []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := Load(path)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("Load still running after 20s")
			}
			var probs Problems
			if !errors.As(err, &probs) || len(probs) != 1 {
				t.Fatalf("Load = %v; want one problem", err)
			}
			if p := probs[0]; p.Line != tt.line || p.Col == 0 || !strings.Contains(p.Msg, tt.want) {
				t.Errorf("Load = %s; want line %d and %q", p, tt.line, tt.want)
			}
		})
	}
}

// Aliases within bounds, brackets in quoted strings and comments, and nesting
// up to the bound are fine.
func TestParseWithinBounds(t *testing.T) {
	t.Parallel()
	head := "name: h\nservices:\n  api: {url: \"http://127.0.0.1:9\"}\nload:\n  stages:\n    - {for: 1s, rate: 1}\nrequests:\n"
	for name, body := range map[string]string{
		"reused anchor":        "  - name: a\n    url: \"http://127.0.0.1:9/\"\n    json: &b {k: [1, 2]}\n  - name: b\n    url: \"http://127.0.0.1:9/\"\n    json: {x: *b, y: *b}\n",
		"brackets in strings":  "  - name: a  # [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n    url: \"http://127.0.0.1:9/" + strings.Repeat("[", 70) + "\"\n    json: ['" + strings.Repeat("{", 70) + "', \"\\\"" + strings.Repeat("[", 70) + "\"]\n",
		"nesting at the bound": "  - name: a\n    url: \"http://127.0.0.1:9/\"\n    json: " + strings.Repeat("[", MaxNesting-1) + strings.Repeat("]", MaxNesting-1) + "\n",
	} {
		if _, err := Parse("s.yaml", []byte(head+body)); err != nil {
			t.Errorf("%s: Parse = %v; want no error", name, err)
		}
	}
}

// A plan one generator cannot send is refused: the rate and the workers of a
// stage have bounds.
func TestLoadBounds(t *testing.T) {
	t.Parallel()
	head := "name: h\nservices:\n  api: {url: \"http://127.0.0.1:9\"}\nload:\n"
	for _, tt := range []struct {
		stages, want string
	}{
		{"  stages:\n    - {for: 3s, rate: 1e12}\n", "load.stages[0].rate: at most 10000000 requests per second"},
		{"  model: closed\n  stages:\n    - {for: 3s, concurrency: 100000000}\n", "load.stages[0].concurrency: at most 100000 workers"},
	} {
		_, err := Parse("s.yaml", []byte(head+tt.stages+"requests:\n  - {name: r, url: \"http://127.0.0.1:9/\"}\n"))
		var probs Problems
		if !errors.As(err, &probs) || len(probs) != 1 || !strings.Contains(probs[0].Msg, tt.want) || probs[0].Line == 0 {
			t.Errorf("Parse(%q) = %v; want one positioned problem %q", tt.stages, err, tt.want)
		}
	}
	if _, err := Parse("s.yaml", []byte(head+"  stages:\n    - {for: 3s, rate: 10000000}\nrequests:\n  - {name: r, url: \"http://127.0.0.1:9/\"}\n")); err != nil {
		t.Errorf("rate at the bound: %v", err)
	}
}
