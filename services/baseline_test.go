package services

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Not parallel: these tests set GAUNTLET_BASELINE_DIR.

func TestResolveBaseline(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"baseline-go", "baseline-jvm.jar", "baseline-python.pyz"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(BaselineDirEnv, dir)
	tests := []struct {
		impl, role string
		want       []string
		wantErr    string
	}{
		{"go", "micro", []string{filepath.Join(dir, "baseline-go"), "--role", "micro", "--addr", "${addr}"}, ""},
		{"jvm", "gateway", []string{"java", "-Dsun.net.httpserver.nodelay=true", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
			"-Xmx256m", "-jar", filepath.Join(dir, "baseline-jvm.jar"), "--role", "gateway", "--addr", "${addr}"}, ""},
		{"rust", "micro", nil, `unknown baseline implementation "rust" (known: go, jvm, python)`},
		{"go", "", nil, "baseline role must not be empty"},
	}
	if python, err := PythonInterpreter(); err == nil {
		tests = append(tests, struct {
			impl, role string
			want       []string
			wantErr    string
		}{"python", "order", []string{python, filepath.Join(dir, "baseline-python.pyz"), "--role", "order", "--addr", "${addr}"}, ""})
	} else {
		t.Logf("no python case: %v", err)
	}
	for _, tt := range tests {
		got, err := ResolveBaseline(tt.impl, tt.role)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ResolveBaseline(%q, %q) error = %v; want %q", tt.impl, tt.role, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ResolveBaseline(%q, %q) error = %v", tt.impl, tt.role, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ResolveBaseline(%q, %q) (-want +got):\n%s", tt.impl, tt.role, diff)
		}
	}
}

func TestResolveBaselineMissing(t *testing.T) {
	empty := t.TempDir()
	t.Setenv(BaselineDirEnv, empty)
	for _, impl := range []string{"go", "jvm", "python"} {
		_, err := ResolveBaseline(impl, "micro")
		if !errors.Is(err, ErrBaselineNotFound) {
			t.Errorf("ResolveBaseline(%q) error = %v; want ErrBaselineNotFound", impl, err)
			continue
		}
		for _, want := range []string{"make build", empty} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("ResolveBaseline(%q) error = %q; want it to mention %q", impl, err, want)
			}
		}
	}
}

func TestResolveBaselineFallsBackToBin(t *testing.T) {
	wd := t.TempDir()
	if err := os.Mkdir(filepath.Join(wd, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(wd, "bin", "baseline-go"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(BaselineDirEnv, t.TempDir()) // searched first, but empty
	t.Chdir(wd)
	got, err := ResolveBaseline("go", "micro")
	if err != nil {
		t.Fatalf("ResolveBaseline() error = %v", err)
	}
	if want := filepath.Join(wd, "bin", "baseline-go"); got[0] != want {
		t.Errorf("ResolveBaseline()[0] = %q; want %q", got[0], want)
	}
}
