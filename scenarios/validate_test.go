package scenarios

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// problemLines parses src and returns its problems as "line:col: msg".
func problemLines(t *testing.T, src string) []string {
	t.Helper()
	_, err := Parse("t.yaml", []byte(src))
	if err == nil {
		return nil
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Parse = %v; want Problems", err)
	}
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = strings.TrimPrefix(p.String(), "t.yaml:")
	}
	return lines
}

const okHead = "services: {api: {baseline: micro}}\nload: {stages: [{for: 1s, rate: 1}]}\n"

func TestValidateRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"valid", okHead + "requests: [{url: \"${api}/\"}]\n", nil},
		{"unknown top-level field", okHead + "requests: [{url: \"${api}/\"}]\nthreshold: []\n",
			[]string{`4:1: unknown field "threshold" at the top level (did you mean "thresholds"?)`}},
		{"unknown fields at every depth, all reported", "services: {api: {baselin: micro}}\nload: {stage: []}\nrequests: [{url: \"${api}/\", expect: {stats: 200}}]\n",
			[]string{
				`1:18: unknown field "baselin" in services.api (did you mean "baseline"?)`,
				`2:8: unknown field "stage" in load (did you mean "stages"?)`,
				`3:38: unknown field "stats" in requests[0].expect (did you mean "status"?)`,
			}},
		{"wrong types", "variants: go\nservices: {api: {baseline: micro}}\nload: {stages: [{for: 1s, rate: 1}], max_in_flight: lots, keep_alive: yes please}\nrequests: [{url: \"${api}/\", weight: [1]}]\n",
			[]string{
				`1:11: variants: expected a list, got a string "go"`,
				`3:53: load.max_in_flight: expected an integer, got a string "lots"`,
				`3:71: load.keep_alive: expected true or false, got a string "yes please"`,
				`4:37: requests[0].weight: expected an integer, got a list`,
			}},
		{"bare integer duration", "services: {api: {baseline: micro}}\nload: {stages: [{for: 5, rate: 1}]}\nrequests: [{url: \"${api}/\"}]\n",
			[]string{`2:23: load.stages[0].for: duration 5 has no unit (add a unit, e.g. 5s)`}},
		{"stage for <= 0 and unknown ramp", "services: {api: {baseline: micro}}\nload: {stages: [{for: 0s, rate: 1, ramp: linar}]}\nrequests: [{url: \"${api}/\"}]\n",
			[]string{
				`2:23: load.stages[0].for: must be > 0, got 0s`,
				`2:42: load.stages[0].ramp: unknown ramp "linar" (did you mean "linear"?)`,
			}},
		{"bad rate", "services: {api: {baseline: micro}}\nload: {stages: [{for: 1s, rate: fast}]}\nrequests: [{url: \"${api}/\"}]\n",
			[]string{`2:33: load.stages[0].rate: invalid rate "fast" (use e.g. 2000, "2000/s", "120/m")`}},
		{"no stages, no requests", "services: {api: {baseline: micro}}\nload: {timeout: 1s}\n",
			[]string{
				`1:1: requests: no requests (add e.g. - url: "${api}/")`,
				`2:7: load.stages: no stages (add e.g. - {for: 30s, rate: 100})`,
			}},
		{"unknown model", "services: {api: {baseline: micro}}\nload: {model: opne, stages: [{for: 1s, rate: 1}]}\nrequests: [{url: \"${api}/\"}]\n",
			[]string{`2:15: load.model: unknown model "opne" (did you mean "open"?)`}},
		{"duplicate names and weight", okHead + "requests:\n  - {name: a, url: \"${api}/\", weight: 0}\n  - {name: a, url: \"${api}/x\"}\n",
			[]string{
				`4:39: requests[0].weight: must be >= 1, got 0`,
				`5:12: requests[1].name: duplicate request name "a" (also requests[0])`,
			}},
		{"template syntax and unknown name", okHead + "requests:\n  - {url: \"${gatewy}/\"}\n  - {url: \"${api}/${rand_int 5}\"}\n  - {url: \"${api}/${uuid\"}\n",
			[]string{
				`4:11: requests[0].url: unknown name "gatewy" in ${gatewy} (known: api, run_id)`,
				`5:11: requests[1].url: placeholder "${rand_int 5}" needs two integers, e.g. ${rand_int 1 100}`,
				`6:11: requests[2].url: unterminated placeholder "${uuid" (close it with "}", or write "$${" for a literal "${")`,
			}},
		{"did you mean a service", "services: {gateway: {baseline: micro}}\nload: {stages: [{for: 1s, rate: 1}]}\nrequests: [{url: \"${gatewy}/\"}]\n",
			[]string{
				`3:18: requests[0].url: unknown name "gatewy" in ${gatewy} (did you mean "gateway"?)`,
			}},
		{"env must be set", okHead + "requests: [{url: \"${api}/\", headers: {Authorization: \"${env GAUNTLET_TEST_UNSET_VAR}\"}}]\n",
			[]string{
				`3:54: requests[0].headers.Authorization: environment variable GAUNTLET_TEST_UNSET_VAR is not set (used by ${env GAUNTLET_TEST_UNSET_VAR})`,
			}},
		{"depends_on unknown and cycles", "services:\n  a: {baseline: micro, depends_on: [b]}\n  b: {baseline: micro, depends_on: [a, c]}\n  c: {baseline: micro, depends_on: [d]}\nload: {stages: [{for: 1s, rate: 1}]}\nrequests: [{url: \"${a}/\"}]\n",
			[]string{
				`2:36: services.a.depends_on: dependency cycle a -> b -> a`,
				`4:37: services.c.depends_on[0]: unknown service "d" (services: a, b, c)`,
			}},
		{"service with none or several of baseline/command/url", "services:\n  a: {dir: /tmp}\n  b: {baseline: micro, url: \"http://127.0.0.1:1\"}\nload: {stages: [{for: 1s, rate: 1}]}\nrequests: [{url: \"${a}/\"}]\n",
			[]string{`2:6: services.a: set one of baseline, command or url`, `3:6: services.b: set only one of baseline, command or url (found baseline and url)`}},
		{"remote hosts need allow_remote", "services:\n  a: {url: \"http://example.com:80\"}\n  b: {command: [x], ready: \"http://10.0.0.1/${port}\"}\nload: {stages: [{for: 1s, rate: 1}]}\nrequests: [{url: \"https://example.com/x\"}, {url: \"http://[::1]:8/\"}, {url: \"http://localhost:9/y\"}]\n",
			[]string{
				`2:12: services.a.url: host "example.com" is not loopback (set allow_remote: true to allow it)`,
				`3:28: services.b.ready: host "10.0.0.1" is not loopback (set allow_remote: true to allow it)`,
				`5:18: requests[0].url: host "example.com" is not loopback (set allow_remote: true to allow it)`,
			}},
		{"allow_remote", "allow_remote: true\nservices: {a: {url: \"http://example.com\"}}\nload: {stages: [{for: 1s, rate: 1}]}\nrequests: [{url: \"http://example.com/x\"}]\n", nil},
		{"threshold syntax, metric, unit, scope", okHead + "requests: [{name: r, url: \"${api}/\"}]\nthresholds:\n  - p999 < 5ms\n  - eror_rate < 1%\n  - p99 < 250\n  - error_rate < 5\n  - p99 250ms\n  - {expr: \"p99 < 1s\", request: s, window: fault}\n",
			[]string{
				`5:5: thresholds[0]: unknown metric "p999" in threshold "p999 < 5ms" (did you mean "p99.9"?)`,
				`6:5: thresholds[1]: unknown metric "eror_rate" in threshold "eror_rate < 1%" (did you mean "error_rate"?)`,
				`7:5: thresholds[2]: threshold "p99 < 250": add a unit to 250, e.g. 250ms`,
				`8:5: thresholds[3]: threshold "error_rate < 5": error_rate is a ratio from 0 to 1; write 5% or 0.05`,
				`9:5: thresholds[4]: invalid threshold "p99 250ms" (use e.g. "p99 < 250ms")`,
				`10:33: thresholds[5].request: unknown request "s" (requests: r)`,
				`10:44: thresholds[5].window: unknown window "fault" (did you mean "faults"?)`,
			}},
		{"faults", "services: {inventory: {baseline: micro}}\nload: {stages: [{for: 1s, rate: 1}]}\nrequests: [{url: \"${inventory}/\"}]\nfaults:\n" +
			"  - {at: 1s}\n" +
			"  - {at: 1s, kill: {service: inventory}, pause: {service: inventory}}\n" +
			"  - {at: 1s, latncy: {service: inventory}}\n" +
			"  - {at: 1s, latency: {service: inventroy}}\n" +
			"  - {at: -1s, kill: {}}\n" +
			"  - {at: 1s, cpu_stress: {workers: 1}}\n",
			[]string{
				`5:5: faults[0]: no fault kind (add one of latency, bandwidth, reset, blackhole, http_error, http_delay, slow_close, kill, pause, terminate, restart, cpu_stress, memory_stress, cpu_limit, memory_limit, loss, pod_failure)`,
				`6:42: faults[1]: several fault kinds (kill, pause); use one per fault`,
				`7:14: unknown fault kind "latncy" in faults[2] (did you mean "latency"?)`,
				`8:33: faults[3].latency.service: unknown service "inventroy" (did you mean "inventory"?)`,
				`9:10: faults[4].at: must be >= 0, got -1s`,
				`9:21: faults[4].kill: missing service (one of: inventory)`,
			}},
		{"spikes", okHead + "requests: [{url: \"${api}/\"}]\nspikes: {factor: 0.5, min_rise: -1ms, gc_pause: 2ms}\n",
			[]string{
				`4:18: spikes.factor: must be >= 1 (a spike stands above the typical p99), got 0.5`,
				`4:33: spikes.min_rise: must be >= 0, got -1ms`,
			}},
		{"variants", okHead + "requests: [{url: \"${api}/\"}]\nvariants: [go, go, JVM, {x: 1}]\n",
			[]string{
				`4:16: variants[1]: duplicate variant "go"`,
				`4:20: variants[2]: invalid variant "JVM" (use lower-case letters, digits and -)`,
				`4:25: variants[3]: expected a string, got a mapping`,
			}},
		{"flow variables", okHead + "requests:\n  - flow:\n    - {url: \"${api}/a\", extract: {id: \"$.id\"}}\n    - {url: \"${api}/b/${id}/${idd}\", json: {a: 1}, body: x}\n",
			[]string{
				`6:7: requests[0].flow[1]: set body or json, not both`,
				`6:13: requests[0].flow[1].url: unknown name "idd" in ${idd} (did you mean "id"?)`,
			}},
		{"flow uses a variable before it is extracted", okHead + "requests:\n  - flow:\n    - {url: \"${api}/b/${id}\"}\n    - {url: \"${api}/a\", extract: {id: \"$.id\"}}\n",
			[]string{`5:13: requests[0].flow[0].url: unknown name "id" in ${id} (known: api, run_id)`}},
		{"service templates", "services:\n  api: {command: [\"x\", \"${port}\", \"${db}\", \"${prot}\"]}\n  db: {baseline: db, env: {A: \"${addr}\"}}\nload: {stages: [{for: 1s, rate: 1}]}\nrequests: [{url: \"${api}/\"}]\n",
			[]string{`2:44: services.api.command[3]: unknown name "prot" in ${prot} (did you mean "port"?)`}},
		{"kubernetes services and where faults work", "allow_remote: true\nservices:\n" +
			"  api: {url: \"http://api.shop.svc:8080\", kubernetes: {namespace: shop, selector: {app: api}, mode: fixed, value: 2}}\n" +
			"  db: {baseline: db, kubernetes: {namespace: Shop, selector: {}, mode: fixd}}\n" +
			"  web: {url: \"http://web:80\", kubernetes: {selector: {app: web}, mode: all, value: 3, port: 70000}}\n" +
			"  local: {baseline: micro}\n" +
			"load: {stages: [{for: 1s, rate: 1}]}\nrequests: [{url: \"${api}/\"}]\nfaults:\n" +
			"  - {at: 1s, for: 1s, latency: {service: api, delay: 10ms}}\n" +
			"  - {at: 1s, for: 1s, pause: {service: api}}\n" +
			"  - {at: 1s, for: 1s, loss: {service: local, percent: 10}}\n" +
			"  - {at: 1s, for: 1s, cpu_stress: {service: local}}\n" +
			"  - {at: 1s, for: 1s, cpu_stress: {service: api, workers: 1}}\n" +
			"  - {at: 1s, for: 1s, pod_failure: {service: api}}\n",
			[]string{
				`4:34: services.db.kubernetes: a kubernetes service runs in the cluster and gauntlet does not start it: use url: instead of baseline or command`,
				`4:34: services.db.kubernetes: missing selector: the labels of the service's pods, e.g. selector: {app: db}`,
				`4:46: services.db.kubernetes.namespace: invalid namespace "Shop" (lower-case letters, digits and -, at most 63)`,
				`4:72: services.db.kubernetes.mode: unknown mode "fixd" (did you mean "fixed"?)`,
				`5:84: services.web.kubernetes.value: mode all takes no value (value is for fixed, fixed-percent and random-max-percent)`,
				`5:93: services.web.kubernetes.port: must be a port number, 1–65535, got 70000`,
				`11:30: faults[1].pause: pause works only on services gauntlet runs itself, and "api" runs on Kubernetes: use pod_failure instead`,
				`12:39: faults[2].loss.service: loss needs Chaos Mesh, and "local" is not a kubernetes service: locally use reset or blackhole instead`,
				`13:45: faults[3].cpu_stress.service: locally cpu_stress loads the whole host and takes no service; service: is for a service with kubernetes: set`,
			}},
		{"request variants", "variants: [go, go-grpc]\n" + okHead +
			"requests: [{url: \"${api}/a\", variants: [go]}, {url: \"${api}/b\", variants: [go-grcp, go, go]}]\n",
			[]string{
				`4:11: requests: no request is for variant "go-grpc" (each one's variants leave it out)`,
				`4:76: requests[1].variants[0]: unknown variant "go-grcp" (did you mean "go-grpc"?)`,
				`4:89: requests[1].variants[2]: duplicate variant "go"`,
			}},
		{"request variants without variants", okHead + "requests: [{url: \"${api}/a\", variants: [go]}]\n",
			[]string{`3:41: requests[0].variants[0]: the scenario has no variants (add e.g. variants: [go, go-grpc])`}},
		{"syntax error", "load: {stages: [}\n", []string{
			`1:17: yaml: could not find '{' character corresponding to '}'`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := problemLines(t, tt.src)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) problems mismatch (-want +got):\n%s", tt.src, diff)
			}
		})
	}
}

func TestValidateBuiltInCode(t *testing.T) {
	t.Parallel()
	s := &Spec{
		Services: []Service{{Name: "api", Baseline: "micro", StartTimeout: sec(1)}},
		Load:     LoadProfile{Model: "open", Stages: []Stage{{For: sec(1), Rate: -1, Ramp: "step"}}, Timeout: sec(1), MaxInFlight: 1},
		Requests: []Request{{Name: "a", Weight: 1, Method: "GET", URL: tmpl("${api}/")}},
	}
	var ps Problems
	if err := s.Validate(); !errors.As(err, &ps) || len(ps) != 1 || ps[0].String() != "load.stages[0].rate: must be >= 0, got -1" {
		t.Errorf("Validate() = %v; want one problem about the rate", err)
	}
}

// TestLoopbackHostNames checks the loopback rule on host names: a name that
// resolves to loopback addresses only is a loopback target without
// allow_remote; one that resolves elsewhere, even in part, or not at all,
// is not.
func TestLoopbackHostNames(t *testing.T) {
	t.Parallel()
	hosts := map[string][]string{
		"api.internal": {"127.0.0.5"},
		"both.lo":      {"127.0.0.1", "::1"},
		"split":        {"127.0.0.1", "10.0.0.7"},
		"db.example":   {"192.0.2.10"},
	}
	lookup := func(_ context.Context, host string) ([]string, error) {
		if a, ok := hosts[host]; ok {
			return a, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	tests := []struct {
		url         string
		allowRemote bool
		ok          bool
	}{
		{"http://api.internal:8080/", false, true},
		{"http://both.lo/", false, true},
		{"http://split/", false, false},
		{"http://db.example/", false, false},
		{"http://nowhere.invalid/", false, false},
		{"http://db.example/", true, true},
		{"http://127.0.0.1:1/", false, true},
		{"http://10.0.0.7/", false, false},
	}
	for _, tt := range tests {
		err := checkTarget(tt.url, tt.allowRemote, lookup)
		if (err == nil) != tt.ok {
			t.Errorf("checkTarget(%q, allow_remote %v) = %v; want ok %v", tt.url, tt.allowRemote, err, tt.ok)
		}
	}
	// This machine's own name through the system resolver: a loopback
	// target exactly when every address it resolves to is loopback.
	name, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := net.LookupHost(name)
	want := err == nil && len(addrs) > 0
	for _, a := range addrs {
		if ip := net.ParseIP(a); ip == nil || !ip.IsLoopback() {
			want = false
		}
	}
	if err := CheckTarget("http://"+name+":9/", false); (err == nil) != want {
		t.Errorf("CheckTarget(http://%s:9/) = %v; want ok %v (it resolves to %v)", name, err, want, addrs)
	}
}
