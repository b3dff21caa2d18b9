package kube

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/gauntletbench/gauntlet/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const shop = `name: shop load
allow_remote: true
services:
  api:
    url: http://api.shop.svc:8080
    kubernetes: {namespace: shop, selector: {app: api}}
load: {stages: [{for: 1m, rate: 400}]}
requests: [{url: "${api}/ping"}]
faults:
  - {at: 10s, for: 10s, latency: {service: api, delay: 50ms}}
`

func render(t *testing.T, src string, o JobOptions) []byte {
	t.Helper()
	spec, err := scenarios.Parse("shop.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Render(&buf, spec, []byte(src), o); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func options() JobOptions {
	return JobOptions{Generators: 3, Namespace: "load", Image: "example.com/gauntlet:1", Claim: "gauntlet-records", CPU: "1", Memory: "512Mi", InCluster: true}
}

// TestRenderJob compares the rendered stream with the golden file and decodes it back
// with client-go's scheme.
func TestRenderJob(t *testing.T) {
	t.Parallel()
	out := render(t, shop, options())
	golden := filepath.Join("testdata", "shop.golden.yaml")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(out)); diff != "" {
		t.Errorf("rendered YAML differs from %s (-want +got; go test -update to accept):\n%s", golden, diff)
	}

	dec := scheme.Codecs.UniversalDeserializer()
	var kinds []string
	var job *batchv1.Job
	var cm *corev1.ConfigMap
	for _, doc := range strings.Split(string(out), "\n---\n") {
		obj, gvk, err := dec.Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("decode %q: %v", doc, err)
		}
		kinds = append(kinds, gvk.Kind+" "+obj.(interface{ GetNamespace() string }).GetNamespace())
		switch o := obj.(type) {
		case *batchv1.Job:
			job = o
		case *corev1.ConfigMap:
			cm = o
		case *rbacv1.Role:
			if o.Rules[0].APIGroups[0] != "chaos-mesh.org" {
				t.Errorf("role rules %+v", o.Rules)
			}
		}
	}
	if diff := cmp.Diff([]string{"ServiceAccount load", "Role shop", "RoleBinding shop", "ConfigMap load", "Job load"}, kinds); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	if cm.Data[ScenarioFile] != shop {
		t.Errorf("ConfigMap holds %q; want the scenario file as it is", cm.Data[ScenarioFile])
	}
	if job.Name != "gauntlet-shop-load" || *job.Spec.Completions != 3 || *job.Spec.Parallelism != 3 ||
		*job.Spec.CompletionMode != batchv1.IndexedCompletion || *job.Spec.BackoffLimit != 0 ||
		job.Spec.Template.Spec.ServiceAccountName != "gauntlet-shop-load" {
		t.Errorf("job spec %+v", job.Spec)
	}
}

// TestJobScript runs the pod's command with a stand-in gauntlet: pod index i runs
// segment i+1 of N into its own folder, and a failed threshold (exit 3) does not fail
// the pod while a runtime error does.
func TestJobScript(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	spec, err := scenarios.Parse("shop.yaml", []byte(shop))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Objects(spec, []byte(shop), options())
	if err != nil {
		t.Fatal(err)
	}
	script := objs[len(objs)-1].(*batchv1.Job).Spec.Template.Spec.Containers[0].Command[2]
	tests := []struct {
		index, exit, wantExit string
	}{
		{"0", "0", "0"},
		{"2", "3", "0"},
		{"1", "1", "1"},
	}
	for _, tt := range tests {
		bin := t.TempDir()
		args := filepath.Join(bin, "args")
		stub := "#!/bin/sh\necho \"$@\" > " + args + "\nexit " + tt.exit + "\n"
		if err := os.WriteFile(filepath.Join(bin, "gauntlet"), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(sh, "-c", script)
		cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "JOB_COMPLETION_INDEX=" + tt.index}
		err := cmd.Run()
		code := "0"
		if ee, ok := err.(*exec.ExitError); ok {
			code = strings.TrimSpace(strings.TrimPrefix(ee.Error(), "exit status "))
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tt.wantExit {
			t.Errorf("index %s, gauntlet exit %s: pod exit %s; want %s", tt.index, tt.exit, code, tt.wantExit)
		}
		got, _ := os.ReadFile(args)
		seg := map[string]string{"0": "1", "1": "2", "2": "3"}[tt.index]
		want := "run /etc/gauntlet/scenario.yaml --segment " + seg + "/3 --out /records/gauntlet-shop-load/segment-" + seg + " --progress=false --in-cluster\n"
		if string(got) != want {
			t.Errorf("index %s: gauntlet called with %q; want %q", tt.index, got, want)
		}
	}
}

func TestRenderRejects(t *testing.T) {
	t.Parallel()
	spec, err := scenarios.Parse("shop.yaml", []byte(shop))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*JobOptions)
		want   string
	}{
		{"no generators", func(o *JobOptions) { o.Generators = 0 }, "generators must be at least 1"},
		{"bad namespace", func(o *JobOptions) { o.Namespace = "Load_1" }, `namespace "Load_1"`},
		{"bad cpu", func(o *JobOptions) { o.CPU = "lots" }, `cpu "lots"`},
	}
	for _, tt := range tests {
		o := options()
		tt.change(&o)
		if _, err := Objects(spec, []byte(shop), o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Objects() = %v; want %q", tt.name, err, tt.want)
		}
	}
}
