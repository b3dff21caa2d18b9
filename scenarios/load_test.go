package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const svc = "services: {api: {baseline: micro}}\n"

func TestLoadModels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"closed", svc + "load: {model: closed, stages: [{for: 5s, concurrency: 20, ramp: linear}], think_time: {min: 5ms, max: 15ms}, iterations: 100}\nrequests: [{url: \"${api}/\"}]\n", nil},
		{"closed fixed think", svc + "load: {model: closed, stages: [{for: 5s, concurrency: 20}], think_time: 10ms}\nrequests: [{url: \"${api}/\"}]\n", nil},
		{"closed with a rate", svc + "load:\n  model: closed\n  stages: [{for: 5s, rate: 20}]\nrequests: [{url: \"${api}/\"}]\n", []string{
			"4:11: load.stages: no stage has concurrency > 0 (add e.g. concurrency: 20)",
			"4:28: load.stages[0].rate: rate applies to the open model; the closed model's stages set concurrency",
		}},
		{"open with think time", svc + "load:\n  stages: [{for: 5s, rate: 20, concurrency: 3}]\n  think_time: {min: 5ms, max: 1ms}\nrequests: [{url: \"${api}/\"}]\n", []string{
			"3:45: load.stages[0].concurrency: a stage sets either rate (arrivals) or concurrency (workers), not both",
			"4:31: load.think_time.max: must be >= min (5ms), got 1ms",
		}},
		{"search", svc + "load: {model: search, search: {slo: {p99: 50ms}}}\nrequests: [{url: \"${api}/\"}]\n", nil},
		{"bad search", svc + "load:\n  model: search\n  stages: [{for: 1s, rate: 1}]\n  search: {start: 0, probe: 1s, warmup: 2s, growth: 1, precision: 150%, slo: {error_rate: 2%}}\nrequests: [{url: \"${api}/\"}]\n", []string{
			"4:11: load.stages: the search model has no stages: its probes are planned by load.search",
			"5:19: load.search.start: must be > 0, got 0",
			"5:29: load.search.probe: must be longer than warmup (2s), got 1s",
			"5:53: load.search.growth: must be > 1, got 1",
			"5:67: load.search.precision: must be between 0% and 100%, got 150%",
			"5:78: load.search.slo.p99: must be > 0 (e.g. p99: 50ms)",
		}},
		{"search without block", svc + "load: {model: search}\nrequests: [{url: \"${api}/\"}]\n", []string{
			"2:7: load.search: missing (the search model needs e.g. search: {slo: {p99: 50ms}})",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, problemLines(t, tt.src)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSearchDefaults(t *testing.T) {
	t.Parallel()
	s, err := Parse("t.yaml", []byte(svc+"load: {model: search, search: {slo: {p99: 50ms}, growth: 1.5}}\nrequests: [{url: \"${api}/\"}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultSearch()
	want.Growth, want.SLO.P99 = 1.5, Duration(50*time.Millisecond)
	if diff := cmp.Diff(want, s.Load.Search); diff != "" {
		t.Errorf("search (-want +got):\n%s", diff)
	}
}

func TestFlowsAndData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, body := range map[string]string{"users.csv": "user,pass\nalice,a1\nbob,b2\n", "empty.csv": "", "header.csv": "user\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "s.yaml")
	parse := func(src string) []string {
		t.Helper()
		if err := os.WriteFile(file, []byte(svc+"load: {stages: [{for: 1s, rate: 1}]}\n"+src), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(file)
		var out []string
		if ps, ok := err.(Problems); ok {
			for _, p := range ps {
				out = append(out, p.String()[len(file)+1:])
			}
		} else if err != nil {
			t.Fatal(err)
		}
		return out
	}
	ok := `requests:
  - name: login
    data: {file: users.csv, mode: unique}
    flow:
      - {name: create, method: POST, url: "${api}/orders", json: {user: "${row.user}"}, extract: {id: "$.items[0].id", loc: "header:Location", n: "regex:order-(\\d+)"}}
      - {url: "${api}/orders/${id}?n=${n}", expect: {status: 200, headers: {Content-Type: application/json}, body_contains: ok, json: {"$.status": created}}}
`
	if got := parse(ok); got != nil {
		t.Errorf("valid flow with data: %q", got)
	}
	bad := `requests:
  - name: a
    data: {file: missing.csv}
    url: "${api}/"
  - name: b
    data: {file: empty.csv, mode: uniq}
    url: "${api}/"
  - name: c
    data: {file: header.csv}
    url: "${api}/"
  - name: d
    data: {file: users.csv}
    url: "${api}/${row.password}"
    expect: {json: {"items[0]": x}}
  - name: e
    flow:
      - {url: "${api}/", extract: {x: "header:", y: "regex:(", z: "$.a[b]"}}
      - {url: "${api}/${row.user}"}
`
	want := []string{
		`5:18: requests[0].data.file: data file "` + filepath.Join(dir, "missing.csv") + `" does not exist`,
		`8:18: requests[1].data.file: data file "` + filepath.Join(dir, "empty.csv") + `" is empty (want a header line naming the columns, then rows)`,
		`8:35: requests[1].data.mode: unknown mode "uniq" (did you mean "unique"?)`,
		`11:18: requests[2].data.file: data file "` + filepath.Join(dir, "header.csv") + `" has no rows after its header line`,
		`15:10: requests[3].url: unknown name "row.password" in ${row.password} (known: api, run_id, row.user, row.pass)`,
		`16:33: requests[3].expect.json.items[0]: invalid json path "items[0]": it must start with $ (use e.g. "$.items[0].id")`,
	}
	got := parse(bad)
	if diff := cmp.Diff(want, got[:min(len(got), len(want))]); diff != "" {
		t.Errorf("problems (-want +got):\n%s\nall: %q", diff, got)
	}
	if len(got) != len(want)+4 {
		t.Errorf("%d problems; want %d: %q", len(got), len(want)+4, got)
	}
}

func TestJSONPath(t *testing.T) {
	t.Parallel()
	doc := map[string]any{"id": 7.0, "items": []any{map[string]any{"id": "x1"}, map[string]any{"id": "x2"}}, "a b": true}
	tests := []struct {
		path, want string
		ok         bool
	}{
		{"$.id", "7", true}, {"$.items[0].id", "x1", true}, {"$.items[-1].id", "x2", true}, {"$['a b']", "true", true},
		{`$["items"][1]`, `{"id":"x2"}`, true}, {"$.items[2].id", "", false}, {"$.nope", "", false}, {"$.id.x", "", false},
	}
	for _, tt := range tests {
		p, err := ParseJSONPath(tt.path)
		if err != nil {
			t.Fatalf("ParseJSONPath(%q) = %v", tt.path, err)
		}
		v, ok := p.Eval(doc)
		if ok != tt.ok || (ok && ValueText(v) != tt.want) {
			t.Errorf("Eval(%q) = %v, %v; want %q, %v", tt.path, v, ok, tt.want, tt.ok)
		}
	}
	for _, bad := range []string{"id", "$..a", "$.a[", "$[x]", "$."} {
		if _, err := ParseJSONPath(bad); err == nil {
			t.Errorf("ParseJSONPath(%q) = nil error; want one", bad)
		}
	}
}

// TestRaggedDataFile checks that a data file whose rows do not match its
// header is one problem naming the line and the counts, and that the
// request's ${row.*} names are still checked against the header: a correct
// name raises nothing, a misspelt one its did-you-mean. A file that cannot
// be read at all leaves the row names unchecked rather than "unknown".
func TestRaggedDataFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, body := range map[string]string{"ragged.csv": "user,pass\nalice,a1\nbob\ncarol,c3\n", "wide.csv": "user\nalice\nbob,b2\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "s.yaml")
	tests := []struct {
		data, url string
		want      []string
	}{
		{"ragged.csv", "${row.user}", []string{
			`5:18: requests[0].data.file: data file "` + filepath.Join(dir, "ragged.csv") + `": line 3 has 1 field; the header names 2 (user, pass)`}},
		{"wide.csv", "${row.user}", []string{
			`5:18: requests[0].data.file: data file "` + filepath.Join(dir, "wide.csv") + `": line 3 has 2 fields; the header names 1 (user)`}},
		{"ragged.csv", "${row.usr}", []string{
			`5:18: requests[0].data.file: data file "` + filepath.Join(dir, "ragged.csv") + `": line 3 has 1 field; the header names 2 (user, pass)`,
			`6:10: requests[0].url: unknown name "row.usr" in ${row.usr} (did you mean "row.user"?)`}},
		{"missing.csv", "${row.user}", []string{
			`5:18: requests[0].data.file: data file "` + filepath.Join(dir, "missing.csv") + `" does not exist`}},
		{"missing.csv", "${rowx}", []string{
			`5:18: requests[0].data.file: data file "` + filepath.Join(dir, "missing.csv") + `" does not exist`,
			`6:10: requests[0].url: unknown name "rowx" in ${rowx} (known: api, run_id)`}},
	}
	for _, tt := range tests {
		src := svc + "load: {stages: [{for: 1s, rate: 1}]}\nrequests:\n  - name: r\n    data: {file: " + tt.data + "}\n    url: \"${api}/" + tt.url + "\"\n"
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(file)
		var got []string
		var ps Problems
		if !errors.As(err, &ps) {
			t.Fatalf("%s, %s: Load = %v; want Problems", tt.data, tt.url, err)
		}
		for _, p := range ps {
			got = append(got, p.String()[len(file)+1:])
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s, %s: problems (-want +got):\n%s", tt.data, tt.url, diff)
		}
	}
}
