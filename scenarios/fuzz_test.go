package scenarios

import (
	"embed"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

//go:embed library/*.yaml
var fuzzLibrary embed.FS

// FuzzParse feeds arbitrary bytes to the scenario decoder: it must return a
// spec or problems, never panic, hang or exhaust memory. The seeds are the
// embedded scenarios, the examples and the hostile files of the bounds tests;
// testdata/fuzz/FuzzParse holds inputs the fuzzer found interesting.
func FuzzParse(f *testing.F) {
	entries, _ := fuzzLibrary.ReadDir("library")
	for _, e := range entries {
		data, err := fuzzLibrary.ReadFile("library/" + e.Name())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	examples, _ := filepath.Glob("../examples/*.yaml")
	for _, p := range examples {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for name, h := range hostile(f) {
		if name != "50 MB" {
			f.Add([]byte(h.src))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := Parse("fuzz.yaml", data)
		var probs Problems
		switch {
		case err == nil && spec == nil:
			t.Fatal("Parse = nil, nil")
		case err != nil && !errors.As(err, &probs):
			t.Fatalf("Parse error %T %v; want Problems", err, err)
		case err != nil && len(probs) == 0:
			t.Fatal("Parse returned no problems and no spec")
		}
	})
}
