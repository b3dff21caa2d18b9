//go:build kubeapi

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gauntletbench/gauntlet/kube/kubetest"
)

// kubeGauntlet runs the gauntlet-kube binary built by TestMain.
func kubeGauntlet(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "gauntlet-kube"), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// serverSideApply applies every object of a YAML stream the way `kubectl apply
// --server-side` does (field manager, strict field validation) and returns the
// applied objects.
func serverSideApply(t *testing.T, kc *kubetest.Cluster, stream string) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(stream), 4096)
	var applied []*unstructured.Unstructured
	for {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode the rendered stream: %v", err)
		}
		if len(u.Object) == 0 {
			continue
		}
		gvk := u.GroupVersionKind()
		m, err := kc.Client.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatalf("%s: %v", gvk, err)
		}
		body, err := u.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		out, err := kc.Dynamic.Resource(m.Resource).Namespace(u.GetNamespace()).Patch(context.Background(), u.GetName(), types.ApplyPatchType, body,
			metav1.PatchOptions{FieldManager: "kubectl", FieldValidation: "Strict"})
		if err != nil {
			t.Errorf("server-side apply of %s %s/%s: %v", gvk.Kind, u.GetNamespace(), u.GetName(), err)
			continue
		}
		applied = append(applied, out)
	}
	return applied
}

// TestKubeAPIRender pipes `gauntlet chaos render` and `gauntlet k8s render` into a
// server-side apply against a real API server with each CRD set, twice: the second
// apply changes nothing.
func TestKubeAPIRender(t *testing.T) {
	shop := filepath.Join("..", "..", "chaos", "chaosmesh", "testdata", "shop.yaml")
	for _, set := range kubetest.CRDSets(t) {
		t.Run(set.Name, func(t *testing.T) {
			kc := kubetest.Start(t, set)
			kc.Namespace("shop")
			kc.Namespace("load")
			for _, tt := range []struct {
				args  []string
				kinds []string
			}{
				{[]string{"chaos", "render", shop}, []string{"NetworkChaos", "NetworkChaos", "NetworkChaos", "NetworkChaos",
					"PodChaos", "PodChaos", "PodChaos", "PodChaos", "StressChaos", "StressChaos", "HTTPChaos", "HTTPChaos", "HTTPChaos", "HTTPChaos"}},
				{[]string{"k8s", "render", shop, "--generators", "3", "--namespace", "load"}, []string{"ServiceAccount", "Role", "RoleBinding", "ConfigMap", "Job"}},
			} {
				t.Run(tt.args[0], func(t *testing.T) {
					code, stream, stderr := kubeGauntlet(t, tt.args...)
					if code != 0 {
						t.Fatalf("gauntlet %v: exit %d\n%s", tt.args, code, stderr)
					}
					first := serverSideApply(t, kc, stream)
					var kinds []string
					for _, u := range first {
						kinds = append(kinds, u.GetKind())
					}
					if strings.Join(kinds, " ") != strings.Join(tt.kinds, " ") {
						t.Errorf("applied %v; want %v", kinds, tt.kinds)
					}
					second := serverSideApply(t, kc, stream)
					for i := range min(len(first), len(second)) {
						if a, b := first[i].GetResourceVersion(), second[i].GetResourceVersion(); a != b {
							t.Errorf("%s %s: resourceVersion %s after the second apply, %s after the first; want no change", second[i].GetKind(), second[i].GetName(), b, a)
						}
					}
				})
			}
			// What the Job's pods would find: the scenario in the ConfigMap, and rights
			// on the Chaos Mesh kinds in the faults' namespace.
			var cm corev1.ConfigMap
			if err := kc.Client.Get(context.Background(), client.ObjectKey{Namespace: "load", Name: "gauntlet-shop-k8s"}, &cm); err != nil {
				t.Fatal(err)
			}
			src, err := os.ReadFile(shop)
			if err != nil {
				t.Fatal(err)
			}
			if cm.Data["scenario.yaml"] != string(src) {
				t.Errorf("ConfigMap holds %d bytes of scenario; want the file's %d", len(cm.Data["scenario.yaml"]), len(src))
			}
		})
	}
}

// kubeScenario is a scenario whose service runs on Kubernetes (its pods are kwok's)
// and is reached on loopback at url.
const kubeScenario = `name: %s
services:
  inventory:
    url: %s
    kubernetes: {namespace: shop, selector: {app: %s}%s}
load:
  stages: [{for: %s, rate: 20}]
requests: [{url: "${inventory}/"}]
faults:
  - %s
`

func writeKubeScenario(t *testing.T, name, app, selector, length, fault string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(srv.Close)
	return writeFile(t, name+".yaml", fmt.Sprintf(kubeScenario, name, srv.URL, app, selector, length, fault))
}

// TestKubeAPIRun runs gauntlet against a real API server with kwok's fake pods
// and Chaos Mesh's controller manager, and the CRDs clusters install.
func TestKubeAPIRun(t *testing.T) {
	kc := kubetest.Start(t, kubetest.Published(t))
	kc.StartKwok()
	kc.StartChaosMesh()
	kc.Namespace("shop")
	ctx := context.Background()

	pods := func(app string) int {
		var list corev1.PodList
		if err := kc.Client.List(ctx, &list, client.InNamespace("shop"), client.MatchingLabels{"app": app}); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range list.Items {
			if p.DeletionTimestamp.IsZero() {
				n++
			}
		}
		return n
	}
	podChaos := func(scenario string) []v1alpha1.PodChaos {
		var list v1alpha1.PodChaosList
		if err := kc.Client.List(ctx, &list, client.InNamespace("shop"), client.MatchingLabels{"gauntlet.dev/scenario": scenario}); err != nil {
			t.Fatal(err)
		}
		return list.Items
	}

	t.Run("pod-kill, normal end", func(t *testing.T) {
		kc.Pods("shop", 4, map[string]string{"app": "inventory"})
		path := writeKubeScenario(t, "kill-end", "inventory", ", mode: fixed, value: 2", "4s",
			"{name: kill-two, at: 1s, kill: {service: inventory}}")
		code, _, stderr := kubeGauntlet(t, "run", path, "--kubeconfig", kc.Kubeconfig, "--out", t.TempDir(), "--progress=false")
		if code != exitOK {
			t.Fatalf("exit %d; want 0\n%s", code, stderr)
		}
		for _, want := range []string{"created podchaos shop/kill-end-kill-two-", "injected podchaos shop/kill-end-kill-two-", "deleted podchaos shop/kill-end-kill-two-"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
		kc.Eventually(30*time.Second, "2 of 4 pods killed", func() (bool, string) {
			n := pods("inventory")
			return n == 2, fmt.Sprintf("%d pods left", n)
		})
		if left := podChaos("kill-end"); len(left) != 0 {
			t.Errorf("%d PodChaos objects left after the run (%s); want none", len(left), left[0].Name)
		}
	})

	t.Run("pod-kill, SIGINT", func(t *testing.T) {
		kc.Pods("shop", 3, map[string]string{"app": "cart"})
		path := writeKubeScenario(t, "kill-int", "cart", ", mode: one", "60s",
			"{name: kill-one, at: 1s, kill: {service: inventory}}")
		cmd := exec.Command(filepath.Join(binDir, "gauntlet-kube"), "run", path, "--kubeconfig", kc.Kubeconfig, "--out", t.TempDir(), "--progress=false")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill() })
		kc.Eventually(60*time.Second, "a cart pod killed by a PodChaos", func() (bool, string) {
			n, objs := pods("cart"), podChaos("kill-int")
			return n == 2 && len(objs) == 1, fmt.Sprintf("%d pods, %d PodChaos objects", n, len(objs))
		})
		started := time.Now()
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
			t.Errorf("exit %d; want %d\n%s", code, exitInterrupted, stderr.String())
		}
		t.Logf("gauntlet exited %s after SIGINT", time.Since(started).Round(time.Millisecond))
		// gauntlet returns only once the object is gone: Chaos Mesh has dropped its
		// finalizer.
		if left := podChaos("kill-int"); len(left) != 0 {
			t.Errorf("PodChaos %s left after SIGINT (finalizers %v)\n%s", left[0].Name, left[0].Finalizers, stderr.String())
		}
		if !strings.Contains(stderr.String(), "deleted podchaos shop/kill-int-kill-one-") {
			t.Errorf("stderr lacks the deletion:\n%s", stderr.String())
		}
		if n := pods("cart"); n != 2 {
			t.Errorf("%d cart pods; want 2 (one killed)", n)
		}
	})

	t.Run("pod-failure, SIGKILL", func(t *testing.T) {
		// A SIGKILLed gauntlet deletes nothing: the object it created must end, and
		// Chaos Mesh recover the pods, by its own duration, the rest of the planned
		// load (19 s from its start at 1 s).
		kc.Pods("shop", 2, map[string]string{"app": "order"})
		path := writeKubeScenario(t, "fail-nine", "order", ", mode: one", "20s",
			"{name: fail-one, at: 1s, pod_failure: {service: inventory}}")
		cmd := exec.Command(filepath.Join(binDir, "gauntlet-kube"), "run", path, "--kubeconfig", kc.Kubeconfig, "--out", t.TempDir(), "--progress=false")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill() })
		var obj v1alpha1.PodChaos
		condition := func(c v1alpha1.ChaosConditionType) bool {
			for _, cond := range obj.Status.Conditions {
				if cond.Type == c {
					return cond.Status == corev1.ConditionTrue
				}
			}
			return false
		}
		kc.Eventually(60*time.Second, "a PodChaos pod-failure injected", func() (bool, string) {
			objs := podChaos("fail-nine")
			if len(objs) != 1 {
				return false, fmt.Sprintf("%d PodChaos objects", len(objs))
			}
			obj = objs[0]
			return condition(v1alpha1.ConditionAllInjected), fmt.Sprintf("conditions %+v", obj.Status.Conditions)
		})
		cmd.Process.Kill()
		cmd.Wait()
		if obj.Spec.Duration == nil || *obj.Spec.Duration != "19s" {
			t.Fatalf("duration %v; want 19s, the rest of the planned load", obj.Spec.Duration)
		}
		t.Cleanup(func() { kc.Client.Delete(context.Background(), &obj) })
		kc.Eventually(90*time.Second, "Chaos Mesh ends the PodChaos and recovers the pod at the end of its duration", func() (bool, string) {
			if err := kc.Client.Get(ctx, client.ObjectKeyFromObject(&obj), &obj); err != nil {
				return false, err.Error()
			}
			return obj.Status.Experiment.DesiredPhase == v1alpha1.StoppedPhase && condition(v1alpha1.ConditionAllRecovered),
				fmt.Sprintf("desiredPhase=%s, conditions %+v", obj.Status.Experiment.DesiredPhase, obj.Status.Conditions)
		})
		if ended := time.Since(obj.CreationTimestamp.Time); ended < 19*time.Second {
			t.Errorf("the PodChaos ended %s after its creation; want after its 19 s duration", ended.Round(time.Second))
		}
	})

	t.Run("invalid fault", func(t *testing.T) {
		fault := "{name: burn, at: 1s, for: 2s, cpu_stress: {service: inventory, workers: 10000}}"
		path := writeKubeScenario(t, "invalid", "inventory", "", "2s", fault)
		src, _ := os.ReadFile(path)
		lines := strings.Split(string(src), "\n")
		line := len(lines) - 1
		col := strings.Index(lines[line-1], "{service") + 1
		code, stdout, stderr := kubeGauntlet(t, "run", path, "--kubeconfig", kc.Kubeconfig, "--out", t.TempDir(), "--progress=false")
		if code != exitUsage || stdout != "" {
			t.Errorf("exit %d, stdout %q; want %d and nothing", code, stdout, exitUsage)
		}
		want := fmt.Sprintf("%s:%d:%d: faults[0].cpu_stress: the cluster rejects the StressChaos object: ", path, line, col)
		if !strings.Contains(stderr, want) || !strings.Contains(stderr, "spec.stressors.cpu.workers") || !strings.Contains(stderr, "less than or equal to 8192") {
			t.Errorf("stderr lacks %q with the server's message on spec.stressors.cpu.workers:\n%s", want, stderr)
		}
		var list v1alpha1.StressChaosList
		if err := kc.Client.List(ctx, &list, client.InNamespace("shop")); err != nil || len(list.Items) != 0 {
			t.Errorf("%d StressChaos objects (%v); want none: nothing runs", len(list.Items), err)
		}
	})
}

// TestKubeAPIRejectedEnum runs a scenario whose fault becomes a value of a Chaos
// Mesh enum the cluster's CRD does not list: the published CRDs with
// container-kill taken out of PodChaos's actions, as on a cluster whose Chaos
// Mesh predates it. gauntlet and Chaos Mesh's own validation accept the object;
// the server's schema refuses it, and the run fails before any load with the
// server's message at the fault's position.
func TestKubeAPIRejectedEnum(t *testing.T) {
	published := kubetest.Published(t)
	src, err := os.ReadFile(filepath.Join(published.Dir, "crd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var narrowed []string
	for _, line := range strings.Split(string(src), "\n") {
		if strings.TrimSpace(line) != "- container-kill" {
			narrowed = append(narrowed, line)
		}
	}
	if len(narrowed) == len(strings.Split(string(src), "\n")) {
		t.Fatal("the published CRDs list no container-kill action to take out")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "crd.yaml"), []byte(strings.Join(narrowed, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	kc := kubetest.Start(t, kubetest.CRDSet{Name: "published without container-kill", Dir: dir})
	kc.Namespace("shop")

	path := writeKubeScenario(t, "old-cluster", "inventory", "", "2s", "{name: kill-app, at: 1s, kill: {service: inventory, container: app}}")
	lines := strings.Split(strings.TrimRight(readFile(t, path), "\n"), "\n")
	line := len(lines)
	col := strings.Index(lines[line-1], "{service") + 1
	code, stdout, stderr := kubeGauntlet(t, "run", path, "--kubeconfig", kc.Kubeconfig, "--out", t.TempDir(), "--progress=false")
	if code != exitUsage || stdout != "" {
		t.Errorf("exit %d, stdout %q; want %d and nothing", code, stdout, exitUsage)
	}
	want := fmt.Sprintf("%s:%d:%d: faults[0].kill: the cluster rejects the PodChaos object: ", path, line, col)
	if !strings.Contains(stderr, want) || !strings.Contains(stderr, "spec.action") || !strings.Contains(stderr, `Unsupported value: "container-kill"`) {
		t.Errorf("stderr lacks %q with the server's message on spec.action:\n%s", want, stderr)
	}
	var list v1alpha1.PodChaosList
	if err := kc.Client.List(context.Background(), &list, client.InNamespace("shop")); err != nil || len(list.Items) != 0 {
		t.Errorf("%d PodChaos objects (%v); want none: nothing runs", len(list.Items), err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
