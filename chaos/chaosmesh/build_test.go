package chaosmesh

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"github.com/google/go-cmp/cmp"

	"github.com/gauntletbench/gauntlet/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// shopObjects builds the objects of testdata/shop.yaml, which uses every mappable kind.
func shopObjects(t *testing.T) []Object {
	t.Helper()
	spec, err := scenarios.Load(filepath.Join("testdata", "shop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Objects(spec)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// TestRenderGolden renders a scenario with every mappable kind, compares it with the
// golden YAML, and decodes the YAML back into the API types through Chaos Mesh's
// validation.
func TestRenderGolden(t *testing.T) {
	t.Parallel()
	objs := shopObjects(t)
	var buf bytes.Buffer
	if err := Render(&buf, objs); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "shop.golden.yaml")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("rendered YAML differs from %s (-want +got; go test -update to accept):\n%s", golden, diff)
	}
	if strings.Contains(buf.String(), "status:") || strings.Contains(buf.String(), "creationTimestamp") {
		t.Errorf("rendered YAML carries status or creationTimestamp:\n%s", buf.String())
	}

	back, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatalf("Decode(rendered) = %v", err)
	}
	type row struct{ Kind, Name, Action string }
	var got []row
	for _, o := range back {
		if o.GetObjectKind().GroupVersionKind().GroupVersion() != v1alpha1.SchemeGroupVersion {
			t.Errorf("%s: apiVersion %v; want %v", o.GetName(), o.GetObjectKind().GroupVersionKind().GroupVersion(), v1alpha1.SchemeGroupVersion)
		}
		var action string
		switch o := o.(type) {
		case *v1alpha1.NetworkChaos:
			action = string(o.Spec.Action)
		case *v1alpha1.PodChaos:
			action = string(o.Spec.Action)
		case *v1alpha1.StressChaos:
			action = "cpu"
			if o.Spec.Stressors.MemoryStressor != nil {
				action = "memory"
			}
		case *v1alpha1.HTTPChaos:
			switch {
			case o.Spec.Abort != nil:
				action = "abort"
			case o.Spec.Delay != nil:
				action = "delay " + *o.Spec.Delay
			case o.Spec.Replace != nil:
				action = "code"
			}
		}
		got = append(got, row{kindOf(o), o.GetName(), action})
	}
	wantRows := []row{
		{"NetworkChaos", "shop-k8s-slow-inventory", "delay"},
		{"NetworkChaos", "shop-k8s-lossy-payment", "loss"},
		{"NetworkChaos", "shop-k8s-thin-pipe", "bandwidth"},
		{"NetworkChaos", "shop-k8s-cut-off", "partition"},
		{"PodChaos", "shop-k8s-kill-inventory", "pod-kill"},
		{"PodChaos", "shop-k8s-kill-sidecar", "container-kill"},
		{"PodChaos", "shop-k8s-drain-payment", "pod-kill"},
		{"PodChaos", "shop-k8s-payment-down", "pod-failure"},
		{"StressChaos", "shop-k8s-busy-gateway", "cpu"},
		{"StressChaos", "shop-k8s-hungry-gateway", "memory"},
		{"HTTPChaos", "shop-k8s-inventory-errors", "code"},
		{"HTTPChaos", "shop-k8s-inventory-aborts", "abort"},
		{"HTTPChaos", "shop-k8s-slow-gateway", "delay 250ms"},
		{"HTTPChaos", "shop-k8s-reset-gateway", "abort"},
	}
	if diff := cmp.Diff(wantRows, got); diff != "" {
		t.Errorf("decoded objects mismatch (-want +got):\n%s", diff)
	}
}

// TestBuildFields checks the fields that carry the scenario's numbers.
func TestBuildFields(t *testing.T) {
	t.Parallel()
	objs := shopObjects(t)
	byName := map[string]Object{}
	for _, o := range objs {
		byName[strings.TrimPrefix(o.GetName(), "shop-k8s-")] = o
	}
	delay := byName["slow-inventory"].(*v1alpha1.NetworkChaos)
	if d := delay.Spec.Delay; d.Latency != "100ms" || d.Jitter != "20ms" || d.Correlation != "25" || *delay.Spec.Duration != "30s" ||
		delay.Spec.Mode != v1alpha1.FixedPercentMode || delay.Spec.Value != "50" || delay.Spec.Direction != v1alpha1.To ||
		!cmp.Equal(delay.Spec.Selector.LabelSelectors, map[string]string{"app": "inventory"}) || delay.Spec.Selector.Namespaces[0] != "shop" {
		t.Errorf("latency: spec %+v", delay.Spec)
	}
	if bw := byName["thin-pipe"].(*v1alpha1.NetworkChaos).Spec.Bandwidth; bw.Rate != "1048576bps" || bw.Limit == 0 || bw.Buffer == 0 {
		t.Errorf("bandwidth: %+v; want rate 1048576bps (bytes/s) and a limit and buffer", bw)
	}
	if kill := byName["kill-inventory"].(*v1alpha1.PodChaos); kill.Spec.Duration != nil || kill.Spec.GracePeriod != 0 || !kill.IsOneShot() ||
		kill.Annotations[AnnotationEvery] != "30s" || kill.Annotations[AnnotationTimes] != "2" || kill.Annotations[AnnotationAt] != "40s" {
		t.Errorf("kill: %+v %v", kill.Spec, kill.Annotations)
	}
	if term := byName["drain-payment"].(*v1alpha1.PodChaos); term.Spec.GracePeriod != 15 || term.Spec.Mode != v1alpha1.OneMode {
		t.Errorf("terminate: grace %d mode %s; want 15 one", term.Spec.GracePeriod, term.Spec.Mode)
	}
	if cpu := byName["busy-gateway"].(*v1alpha1.StressChaos).Spec.Stressors.CPUStressor; cpu.Workers != 2 || *cpu.Load != 80 {
		t.Errorf("cpu_stress: %+v", cpu)
	}
	if mem := byName["hungry-gateway"].(*v1alpha1.StressChaos).Spec.Stressors.MemoryStressor; mem.Size != "268435456B" || mem.Workers != 1 {
		t.Errorf("memory_stress: %+v", mem)
	}
	if he := byName["inventory-errors"].(*v1alpha1.HTTPChaos).Spec; *he.Replace.Code != 503 || he.Target != v1alpha1.PodHttpResponse ||
		he.Port != 8080 || *he.Path != "/stock" {
		t.Errorf("http_error: %+v", he)
	}
	if m := byName["kill-inventory"].GetLabels(); m[LabelManagedBy] != "gauntlet" || m[LabelFault] != "kill-inventory" || m[LabelScenario] != "shop-k8s" {
		t.Errorf("labels %v", m)
	}
}

// TestBuildRejects covers what Chaos Mesh cannot express: each gets a clear error, with
// the position in the scenario for decoding problems.
func TestBuildRejects(t *testing.T) {
	t.Parallel()
	const head = "allow_remote: true\nservices:\n  api: {url: \"http://api:80\", kubernetes: {selector: {app: api}}}\n" +
		"load: {stages: [{for: 1s, rate: 1}]}\nrequests: [{url: \"${api}/\"}]\nfaults:\n"
	tests := []struct {
		name, fault, want string
	}{
		{"http fault without a port", "  - {at: 1s, for: 1s, http_delay: {service: api, delay: 1s}}\n", "set kubernetes.port on service \"api\""},
		{"request ratio", "  - {at: 1s, for: 1s, http_error: {service: api, rate: 0.5}}\n", "HTTPChaos acts on every matching request"},
		{"upstream latency", "  - {at: 1s, for: 1s, latency: {service: api, delay: 1ms, direction: upstream}}\n", "NetworkChaos delays what the pods send"},
		{"pod_failure without for", "  - {at: 1s, pod_failure: {service: api}}\n", "pod_failure needs for:"},
		{"restart_after", "  - {at: 1s, kill: {service: api, restart_after: 1s}}\n", "the pod's controller restarts"},
		{"unknown field", "  - {at: 1s, for: 1s, loss: {service: api, percnt: 5}}\n", `t.yaml:7:44: faults[0].loss: unknown field "percnt"`},
		{"loss over 100", "  - {at: 1s, for: 1s, loss: {service: api, percent: 150}}\n", "percent must be 0–100"},
		{"bad status", "  - {at: 1s, for: 1s, http_error: {service: api, status: 42}}\n", "not an HTTP status code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := head + tt.fault
			if tt.name == "request ratio" || tt.name == "bad status" {
				src = strings.Replace(src, "{selector: {app: api}}", "{selector: {app: api}, port: 8080}", 1)
			}
			spec, err := scenarios.Parse("t.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Objects(spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Objects() = %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestNetemDuration checks latency and jitter against NetworkChaos's schema pattern:
// one number and one unit, the same length as the scenario's.
func TestNetemDuration(t *testing.T) {
	t.Parallel()
	schema := regexp.MustCompile(`^[0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h)$`)
	for _, d := range []time.Duration{0, time.Nanosecond, 1500 * time.Microsecond, 100 * time.Millisecond, 90 * time.Second,
		2 * time.Minute, 61 * time.Minute, 3 * time.Hour, time.Minute + 500*time.Millisecond} {
		s := netemDuration(d)
		back, err := time.ParseDuration(s)
		if !schema.MatchString(s) || err != nil || back != d {
			t.Errorf("netemDuration(%s) = %q (parses back as %s, %v); want one number and unit for the same length", d, s, back, err)
		}
	}
}
