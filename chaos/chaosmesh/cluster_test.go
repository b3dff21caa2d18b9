package chaosmesh

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/gauntletbench/gauntlet/chaos"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// fakeChaosMesh plays Chaos Mesh's controllers against a fake API server: it adds the
// records finalizer to new objects, selects and injects them after a delay, and on
// deletion recovers them and drops the finalizer (unless stuck).
type fakeChaosMesh struct {
	c       client.Client
	delay   time.Duration
	stuck   bool   // never drop the finalizer
	fail    string // fail every apply with this message
	noPods  bool   // select nothing
	mu      sync.Mutex
	created []string
	deleted []string
}

func newFakeChaosMesh(t *testing.T) (*fakeChaosMesh, client.Client) {
	t.Helper()
	c := fake.NewClientBuilder().WithScheme(Scheme()).Build()
	return &fakeChaosMesh{c: c, delay: 50 * time.Millisecond}, c
}

func (m *fakeChaosMesh) run(ctx context.Context) {
	seen := map[string]time.Time{}
	for ctx.Err() == nil {
		for _, list := range []client.ObjectList{&v1alpha1.NetworkChaosList{}, &v1alpha1.PodChaosList{}, &v1alpha1.StressChaosList{}, &v1alpha1.HTTPChaosList{}} {
			if err := m.c.List(ctx, list); err != nil {
				continue
			}
			for _, item := range items(list) {
				key := kindOf(item) + "/" + item.GetNamespace() + "/" + item.GetName()
				if _, ok := seen[key]; !ok {
					seen[key] = time.Now()
					m.mu.Lock()
					m.created = append(m.created, key)
					m.mu.Unlock()
				}
				m.reconcile(ctx, item, key, seen[key])
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (m *fakeChaosMesh) reconcile(ctx context.Context, obj Object, key string, since time.Time) {
	switch {
	case !obj.GetDeletionTimestamp().IsZero():
		if m.stuck {
			return
		}
		obj.SetFinalizers(nil)
		if err := m.c.Update(ctx, obj); err == nil {
			m.mu.Lock()
			m.deleted = append(m.deleted, key)
			m.mu.Unlock()
		}
	case !slices.Contains(obj.GetFinalizers(), "chaos-mesh/records"):
		obj.SetFinalizers([]string{"chaos-mesh/records"})
		_ = m.c.Update(ctx, obj)
	case time.Since(since) > m.delay && len(obj.GetStatus().Conditions) < 2 && !m.noPods:
		st := obj.GetStatus()
		now := metav1.Now()
		phase, ev := v1alpha1.Injected, v1alpha1.TypeSucceeded
		if m.fail != "" {
			phase, ev = v1alpha1.NotInjected, v1alpha1.TypeFailed
		}
		st.Experiment.DesiredPhase = v1alpha1.RunningPhase
		st.Experiment.Records = []*v1alpha1.Record{{Id: obj.GetNamespace() + "/pod-1", SelectorKey: ".", Phase: phase,
			Events: []v1alpha1.RecordEvent{{Type: ev, Operation: v1alpha1.Apply, Message: m.fail, Timestamp: &now}}}}
		injected := corev1.ConditionTrue
		if m.fail != "" {
			injected = corev1.ConditionFalse
		}
		st.Conditions = []v1alpha1.ChaosCondition{
			{Type: v1alpha1.ConditionSelected, Status: corev1.ConditionTrue},
			{Type: v1alpha1.ConditionAllInjected, Status: injected},
			{Type: v1alpha1.ConditionAllRecovered, Status: corev1.ConditionFalse},
		}
		_ = m.c.Update(ctx, obj)
	case len(obj.GetStatus().Conditions) == 0:
		// Before injection Chaos Mesh reports AllRecovered: a waiter must not take it
		// for a finished experiment.
		st := obj.GetStatus()
		st.Conditions = []v1alpha1.ChaosCondition{{Type: v1alpha1.ConditionAllRecovered, Status: corev1.ConditionTrue}}
		_ = m.c.Update(ctx, obj)
	}
}

func items(list client.ObjectList) []Object {
	var out []Object
	switch l := list.(type) {
	case *v1alpha1.NetworkChaosList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	case *v1alpha1.PodChaosList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	case *v1alpha1.StressChaosList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	case *v1alpha1.HTTPChaosList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	}
	return out
}

func (m *fakeChaosMesh) counts() (int, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.created), len(m.deleted)
}

func remaining(t *testing.T, c client.Client) int {
	t.Helper()
	n := 0
	for _, list := range []client.ObjectList{&v1alpha1.NetworkChaosList{}, &v1alpha1.PodChaosList{}, &v1alpha1.StressChaosList{}, &v1alpha1.HTTPChaosList{}} {
		if err := c.List(context.Background(), list); err != nil {
			t.Fatal(err)
		}
		n += len(items(list))
	}
	return n
}

func clusterFault(kind string, params map[string]any) chaos.ClusterFault {
	return chaos.ClusterFault{Scenario: "shop", Run: "20261122-101500-ab12cd", Name: kind + "-0", Kind: kind, For: 10 * time.Second,
		Pods:   chaos.Pods{Service: "api", Namespace: "shop", Selector: map[string]string{"app": "api"}, Mode: "all", Port: 8080},
		Decode: decodeMap(params)}
}

// decodeMap decodes params the way a scenario fault without a file behind it does.
func decodeMap(params map[string]any) func(any) error {
	return func(v any) error {
		return scenarios.Fault{Params: params}.DecodeParams(v)
	}
}

func TestClusterInjectWaitsAndRevertDeletes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind   string
		params map[string]any
	}{
		{"latency", map[string]any{"service": "api", "delay": "100ms"}},
		{"kill", map[string]any{"service": "api"}},
		{"cpu_stress", map[string]any{"service": "api", "workers": 1}},
		{"http_error", map[string]any{"service": "api", "status": 500}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			t.Parallel()
			mesh, c := newFakeChaosMesh(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go mesh.run(ctx)
			var log bytes.Buffer
			cl := NewCluster(c, Options{Poll: 10 * time.Millisecond, InjectTimeout: 10 * time.Second, DeleteTimeout: 10 * time.Second, Log: &syncWriter{w: &log}})
			f, err := cl.Fault(clusterFault(tt.kind, tt.params))
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if err := f.Inject(ctx); err != nil {
				t.Fatalf("Inject = %v", err)
			}
			if time.Since(start) < mesh.delay {
				t.Errorf("Inject returned after %s, before the fake controller injected (%s): it took AllRecovered for done", time.Since(start), mesh.delay)
			}
			if err := f.(chaos.Verifier).Verify(ctx); err != nil {
				t.Errorf("Verify after Inject = %v", err)
			}
			if n := remaining(t, c); n != 1 {
				t.Errorf("%d objects after Inject; want 1", n)
			}
			if err := f.Revert(ctx); err != nil {
				t.Fatalf("Revert = %v", err)
			}
			if n := remaining(t, c); n != 0 {
				t.Errorf("%d objects after Revert; want 0", n)
			}
			if err := f.Revert(ctx); err != nil {
				t.Errorf("second Revert = %v; want nil (idempotent)", err)
			}
			// A second occurrence is a new object.
			if err := f.Inject(ctx); err != nil {
				t.Fatalf("second Inject = %v", err)
			}
			if err := f.Revert(ctx); err != nil {
				t.Fatalf("second Revert = %v", err)
			}
			if created, deleted := mesh.counts(); created != 2 || deleted != 2 {
				t.Errorf("fake Chaos Mesh saw %d created and %d deleted; want 2 and 2\n%s", created, deleted, log.String())
			}
			if !strings.Contains(log.String(), "-ab12cd-2") {
				t.Errorf("log %q; want occurrence names with the run suffix", log.String())
			}
		})
	}
}

func TestClusterFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		setup     func(*fakeChaosMesh)
		force     bool
		injectErr string
		revertErr string
		left      int
	}{
		{"apply fails", func(m *fakeChaosMesh) { m.fail = "no such container" }, false, "Chaos Mesh failed to inject: shop/pod-1: no such container", "", 0},
		{"nothing selected", func(m *fakeChaosMesh) { m.noPods = true }, false, "not injected 300ms after it was created (AllRecovered=True, desiredPhase=none, records=0)", "", 0},
		{"stuck finalizer", func(m *fakeChaosMesh) { m.stuck = true }, false, "", "is stuck deleting: finalizers [chaos-mesh/records]", 1},
		{"stuck finalizer, forced", func(m *fakeChaosMesh) { m.stuck = true }, true, "", "finalizer removed by --force-cleanup", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mesh, c := newFakeChaosMesh(t)
			tt.setup(mesh)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go mesh.run(ctx)
			cl := NewCluster(c, Options{Poll: 10 * time.Millisecond, InjectTimeout: 300 * time.Millisecond, DeleteTimeout: 300 * time.Millisecond, ForceCleanup: tt.force})
			f, err := cl.Fault(clusterFault("latency", map[string]any{"service": "api", "delay": "1ms"}))
			if err != nil {
				t.Fatal(err)
			}
			err = f.Inject(ctx)
			if (tt.injectErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.injectErr)) {
				t.Errorf("Inject = %v; want %q", err, tt.injectErr)
			}
			err = f.Revert(ctx)
			if (tt.revertErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.revertErr)) {
				t.Errorf("Revert = %v; want %q", err, tt.revertErr)
			}
			if n := remaining(t, c); n != tt.left {
				t.Errorf("%d objects left; want %d", n, tt.left)
			}
		})
	}
}

func TestClusterWithoutConnection(t *testing.T) {
	t.Parallel()
	f, err := NewCluster(nil, Options{}).Fault(clusterFault("latency", map[string]any{"service": "api", "delay": "1ms"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Inject(context.Background()); err == nil || !strings.Contains(err.Error(), "--kubeconfig") {
		t.Errorf("Inject without a client = %v; want an error naming --kubeconfig", err)
	}
	if err := f.Revert(context.Background()); err != nil {
		t.Errorf("Revert without a client = %v; want nil", err)
	}
}

func TestCheckRunsChaosMeshValidation(t *testing.T) {
	t.Parallel()
	hc := &v1alpha1.HTTPChaos{Spec: v1alpha1.HTTPChaosSpec{Target: v1alpha1.PodHttpRequest, Port: 0,
		PodSelector: v1alpha1.PodSelector{Mode: v1alpha1.AllMode}}}
	if err := check(hc); err == nil || !strings.Contains(err.Error(), "port 0 is not supported") {
		t.Errorf("check(HTTPChaos with port 0) = %v; want Chaos Mesh's port error", err)
	}
	if err := check(&v1alpha1.PodChaos{Spec: v1alpha1.PodChaosSpec{Action: v1alpha1.ContainerKillAction,
		ContainerSelector: v1alpha1.ContainerSelector{PodSelector: v1alpha1.PodSelector{Mode: v1alpha1.AllMode}}}}); err == nil {
		t.Error("check(container-kill without a container) = nil; want an error")
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
