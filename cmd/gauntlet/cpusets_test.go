package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gauntletbench/gauntlet/affinity"
	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/services"
)

// cpusScenario starts the micro baseline under a shell that writes the
// Cpus_allowed_list of every thread of the running baseline to a file.
const cpusScenario = `name: cpus
services:
  api:
    command: [sh, -c, '"$1" --role micro --addr "$2" & p=$!; sleep 0.5; grep -h Cpus_allowed_list /proc/$p/task/*/status > "$3"; wait $p', sh, BIN, "${addr}", OUT]
load: {stages: [{for: 1500ms, rate: 50}]}
requests: [{url: "${api}/ping"}]
`

// TestRunPinsGeneratorAndServices runs a scenario with --cpu-sets auto and
// off and reads, from /proc, the CPUs the service's threads were allowed.
func TestRunPinsGeneratorAndServices(t *testing.T) {
	t.Parallel()
	all, err := affinity.Allowed()
	gen, svc, ok := affinity.Split(all)
	if err != nil || !ok {
		t.Skipf("CPUs %s (%v): nothing to pin apart", all, err)
	}
	bin, err := services.ResolveBaseline("go", "micro")
	if err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := gauntlet(t, "run", "quickstart", "--cpu-sets", "maybe"); code != exitUsage || !strings.Contains(stderr, "want auto or off") {
		t.Errorf("--cpu-sets maybe: exit %d, %q; want %d and the accepted values", code, stderr, exitUsage)
	}
	for _, tc := range []struct {
		flag     string
		services string // the service threads' CPUs
		sets     metrics.CPUSets
		printed  string
	}{
		{"auto", svc.String(), metrics.CPUSets{Generator: gen.String(), Services: svc.String()},
			"cpu sets: generator on CPU " + gen.String() + ", services on CPU " + svc.String()},
		{"off", all.String(), metrics.CPUSets{Shared: "pinning turned off"},
			"cpu sets: generator and services share the CPUs (pinning turned off)"},
	} {
		dir := t.TempDir()
		threads := filepath.Join(dir, "threads")
		src := strings.NewReplacer("BIN", bin[0], "OUT", threads).Replace(cpusScenario)
		path := writeFile(t, "cpus.yaml", src)
		code, stdout, stderr := gauntlet(t, "run", path, "--out", dir, "--cpu-sets", tc.flag)
		if code != 0 {
			t.Fatalf("--cpu-sets %s: exit %d\n%s\n%s", tc.flag, code, stdout, stderr)
		}
		if !strings.Contains(stdout, tc.printed) {
			t.Errorf("--cpu-sets %s: summary lacks %q:\n%s", tc.flag, tc.printed, stdout)
		}
		b, err := os.ReadFile(threads)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) < 2 {
			t.Errorf("--cpu-sets %s: %d service threads read; want a Go process's several", tc.flag, len(lines))
		}
		for _, l := range lines {
			if got := strings.TrimSpace(strings.TrimPrefix(l, "Cpus_allowed_list:")); got != tc.services {
				t.Errorf("--cpu-sets %s: a service thread's Cpus_allowed_list %q; want %q", tc.flag, got, tc.services)
			}
		}
		rec, err := metrics.ReadFile(filepath.Join(dir, "record.ndjson"))
		if err != nil {
			t.Fatal(err)
		}
		if h := rec.Header.CPUSets; h == nil || *h != tc.sets {
			t.Errorf("--cpu-sets %s: record cpu_sets = %+v; want %+v", tc.flag, h, tc.sets)
		}
		// The report re-renders them from the record.
		if code, out, _ := gauntlet(t, "report", dir); code != 0 || !strings.Contains(out, tc.printed) {
			t.Errorf("--cpu-sets %s: gauntlet report exit %d, lacks %q:\n%s", tc.flag, code, tc.printed, out)
		}
	}
}
