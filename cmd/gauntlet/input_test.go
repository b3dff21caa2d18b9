package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad input exits 2 with a message, and nothing is created.
func TestBadInputExitsTwo(t *testing.T) {
	t.Parallel()
	scenario := func(ready string) string {
		return writeFile(t, "s.yaml", `name: s
services:
  api: {command: [sleep, "60"], ready: "`+ready+`"}
load:
  stages:
    - {for: 1s, rate: 1}
requests:
  - {name: ping, url: "${api}/ping"}
`)
	}
	for _, tt := range []struct {
		name string
		args func(out string) []string
		want string
	}{
		{"unknown command", func(string) []string { return []string{"frobnicate"} }, `unknown command "frobnicate"`},
		{"attack --rate NaN", func(out string) []string {
			return []string{"attack", "http://127.0.0.1:9/", "--rate", "NaN", "--duration", "1s", "--out", out}
		}, "--rate must be"},
		{"attack --rate 0", func(out string) []string {
			return []string{"attack", "http://127.0.0.1:9/", "--rate", "0", "--duration", "1s", "--out", out}
		}, "--rate must be"},
		{"ready not a URL", func(string) []string { return []string{"validate", scenario("not a url")} }, `services.api.ready: want an http(s) URL`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "run")
			code, _, stderr := gauntlet(t, tt.args(out)...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tt.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was created", out)
			}
		})
	}
}
