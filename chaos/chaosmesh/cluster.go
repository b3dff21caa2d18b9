package chaosmesh

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gauntletbench/gauntlet/chaos"
)

// AnnotationCleanFinalizer, set to "forced", asks Chaos Mesh's finalizer controller to
// drop its finalizer without recovering (controllers/common/finalizers in Chaos Mesh).
const AnnotationCleanFinalizer = "chaos-mesh.chaos-mesh.org/cleanFinalizer"

// Options tune how a Cluster waits for Chaos Mesh.
type Options struct {
	// InjectTimeout bounds the wait from creating an object until Chaos Mesh reports it
	// injected; default 60s.
	InjectTimeout time.Duration
	// DeleteTimeout bounds the wait for a deleted object to be gone, i.e. for Chaos Mesh
	// to recover the pods and drop its finalizer; default 60s.
	DeleteTimeout time.Duration
	// ForceCleanup removes the finalizer of an object still present after DeleteTimeout
	// (asking Chaos Mesh first with the cleanFinalizer annotation), so the run can end.
	// The fault may then stay in effect on the pods; the error says so.
	ForceCleanup bool
	// Poll is the interval between reads of an object's status; default 500ms.
	Poll time.Duration
	// Log receives one line per object created, injected and deleted; nil discards them.
	Log io.Writer
}

// Cluster creates Chaos Mesh objects through a controller-runtime client. It implements
// chaos.Cluster. With a nil client it only builds and validates (for `gauntlet validate`
// and plan checks); Inject then fails.
type Cluster struct {
	c   client.Client
	opt Options
}

var _ chaos.Cluster = (*Cluster)(nil)

// NewCluster returns a Cluster over c (nil: build and validate only).
func NewCluster(c client.Client, opt Options) *Cluster {
	if opt.InjectTimeout <= 0 {
		opt.InjectTimeout = 60 * time.Second
	}
	if opt.DeleteTimeout <= 0 {
		opt.DeleteTimeout = 60 * time.Second
	}
	if opt.Poll <= 0 {
		opt.Poll = 500 * time.Millisecond
	}
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	return &Cluster{c: c, opt: opt}
}

// Connect returns a client for the cluster of the kubeconfig file at path, or with the
// pod's service account when path is empty, with Chaos Mesh's kinds registered.
func Connect(path string) (client.Client, error) {
	var cfg *rest.Config
	var err error
	if path == "" {
		if cfg, err = rest.InClusterConfig(); err != nil {
			return nil, fmt.Errorf("in-cluster configuration: %w", err)
		}
	} else if cfg, err = clientcmd.BuildConfigFromFlags("", path); err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	c, err := client.New(cfg, client.Options{Scheme: Scheme()})
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return c, nil
}

// Fault builds and validates the object of f and, with a connection, has the API
// server admit it without storing it; Inject creates a copy of it per occurrence.
func (cl *Cluster) Fault(f chaos.ClusterFault) (chaos.Fault, error) {
	obj, err := Build(f)
	if err != nil {
		return nil, err
	}
	ft := &fault{cl: cl, proto: obj, run: shortRun(f.Run)}
	if cl.c != nil {
		if err := cl.admit(obj, ft.run); err != nil {
			return nil, err
		}
	}
	return ft, nil
}

// admit creates obj with dry run and strict field validation: what the cluster's
// Chaos Mesh schema or admission webhooks reject, or a missing namespace or right,
// fails the run before it starts, with the server's own message.
func (cl *Cluster) admit(obj Object, run string) error {
	o := obj.DeepCopyObject().(Object)
	o.SetName(occurrenceName(obj.GetName(), run, 1))
	ctx, cancel := context.WithTimeout(context.Background(), cl.opt.InjectTimeout)
	defer cancel()
	err := cl.c.Create(ctx, o, client.DryRunAll, client.FieldValidation("Strict"))
	switch {
	case err == nil, apierrors.IsAlreadyExists(err):
		return nil
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return fmt.Errorf("the cluster rejects the %s object: %w", kindOf(obj), err)
	}
	return fmt.Errorf("dry-run create of %s: %w", ref(o), err)
}

// fault is one scenario fault on Kubernetes; each Inject creates a new object named
// <scenario>-<fault>-<run>-<occurrence>, each Revert deletes it.
type fault struct {
	cl    *Cluster
	proto Object
	run   string

	mu  sync.Mutex
	n   int
	cur Object
}

var _ chaos.Verifier = (*fault)(nil)

func (f *fault) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur != nil {
		return ref(f.cur)
	}
	return ref(f.proto)
}

// Inject creates the object and waits until Chaos Mesh has selected pods and injected
// every one of them with the desired phase Run; for one-shot kinds (pod-kill,
// container-kill) until every record is injected. AllRecovered is not a signal: it is
// true before the first injection.
func (f *fault) Inject(ctx context.Context) error {
	if f.cl.c == nil {
		return fmt.Errorf("%s: no Kubernetes connection (run with --kubeconfig)", ref(f.proto))
	}
	f.mu.Lock()
	f.n++
	obj := f.proto.DeepCopyObject().(Object)
	obj.SetName(occurrenceName(f.proto.GetName(), f.run, f.n))
	f.cur = obj
	f.mu.Unlock()
	created := time.Now()
	if err := f.cl.c.Create(ctx, obj); err != nil {
		f.mu.Lock()
		f.cur = nil
		f.mu.Unlock()
		return fmt.Errorf("create %s: %w", ref(obj), err)
	}
	fmt.Fprintf(f.cl.opt.Log, "created %s\n", ref(obj))
	wctx, cancel := context.WithTimeout(ctx, f.cl.opt.InjectTimeout)
	defer cancel()
	var last string
	for {
		cur := obj.DeepCopyObject().(Object)
		err := f.cl.c.Get(wctx, client.ObjectKeyFromObject(obj), cur)
		switch {
		case err == nil:
			ok, state, ferr := injected(cur)
			if ferr != nil {
				return fmt.Errorf("%s: Chaos Mesh failed to inject: %w", ref(obj), ferr)
			}
			if ok {
				fmt.Fprintf(f.cl.opt.Log, "injected %s after %s\n", ref(obj), time.Since(created).Round(time.Millisecond))
				return nil
			}
			last = state
		case apierrors.IsNotFound(err):
			return fmt.Errorf("%s disappeared before it was injected", ref(obj))
		case wctx.Err() == nil:
			last = err.Error()
		}
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%s not injected %s after it was created (%s); is Chaos Mesh installed and do the selector's pods exist?",
				ref(obj), f.cl.opt.InjectTimeout, last)
		case <-time.After(f.cl.opt.Poll):
		}
	}
}

// Verify reports whether the current object is injected.
func (f *fault) Verify(ctx context.Context) error {
	f.mu.Lock()
	obj := f.cur
	f.mu.Unlock()
	if obj == nil || f.cl.c == nil {
		return errors.New("not injected")
	}
	cur := obj.DeepCopyObject().(Object)
	if err := f.cl.c.Get(ctx, client.ObjectKeyFromObject(obj), cur); err != nil {
		return err
	}
	if ok, state, err := injected(cur); !ok || err != nil {
		return fmt.Errorf("%s: %s %v", ref(obj), state, err)
	}
	return nil
}

// Revert deletes the current object and waits until it is gone: Chaos Mesh recovers
// the pods and then drops its finalizer. A finalizer still there after DeleteTimeout is
// an error that names the object; with ForceCleanup it is removed first.
func (f *fault) Revert(ctx context.Context) error {
	f.mu.Lock()
	obj := f.cur
	f.mu.Unlock()
	if obj == nil || f.cl.c == nil {
		return nil
	}
	if err := f.cl.c.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete %s: %w", ref(obj), err)
	}
	gone, finalizers, err := f.waitGone(ctx, obj, f.cl.opt.DeleteTimeout)
	if err != nil {
		return err
	}
	if !gone && f.cl.opt.ForceCleanup {
		fmt.Fprintf(f.cl.opt.Log, "%s still has finalizers %v after %s: forcing cleanup\n", ref(obj), finalizers, f.cl.opt.DeleteTimeout)
		if err := f.forceCleanup(ctx, obj); err != nil {
			return err
		}
		if gone, finalizers, err = f.waitGone(ctx, obj, 10*time.Second); err != nil {
			return err
		}
		if gone {
			f.clear(obj)
			return fmt.Errorf("%s: finalizer removed by --force-cleanup; Chaos Mesh may not have recovered its pods, check them", ref(obj))
		}
	}
	if !gone {
		return fmt.Errorf("%s is stuck deleting: finalizers %v still there %s after deletion, so Chaos Mesh has not recovered its pods and the fault may still be in effect; "+
			"check the chaos-controller-manager, then rerun with --force-cleanup or run: kubectl annotate %s -n %s %s=forced",
			ref(obj), finalizers, f.cl.opt.DeleteTimeout, kindName(obj), obj.GetNamespace(), AnnotationCleanFinalizer)
	}
	f.clear(obj)
	fmt.Fprintf(f.cl.opt.Log, "deleted %s\n", ref(obj))
	return nil
}

func (f *fault) clear(obj Object) {
	f.mu.Lock()
	if f.cur == obj {
		f.cur = nil
	}
	f.mu.Unlock()
}

// waitGone polls until obj no longer exists or d has passed; it returns the
// finalizers seen last.
func (f *fault) waitGone(ctx context.Context, obj Object, d time.Duration) (bool, []string, error) {
	deadline := time.Now().Add(d)
	var finalizers []string
	for {
		cur := obj.DeepCopyObject().(Object)
		err := f.cl.c.Get(ctx, client.ObjectKeyFromObject(obj), cur)
		switch {
		case apierrors.IsNotFound(err):
			return true, nil, nil
		case err == nil:
			finalizers = cur.GetFinalizers()
		case ctx.Err() != nil:
			return false, finalizers, fmt.Errorf("wait for %s to be deleted: %w", ref(obj), ctx.Err())
		}
		if time.Now().After(deadline) {
			return false, finalizers, nil
		}
		select {
		case <-ctx.Done():
			return false, finalizers, fmt.Errorf("wait for %s to be deleted: %w", ref(obj), ctx.Err())
		case <-time.After(f.cl.opt.Poll):
		}
	}
}

// forceCleanup asks Chaos Mesh to drop its finalizer (the cleanFinalizer annotation)
// and removes the finalizers itself, for a controller that does not answer.
func (f *fault) forceCleanup(ctx context.Context, obj Object) error {
	cur := obj.DeepCopyObject().(Object)
	if err := f.cl.c.Get(ctx, client.ObjectKeyFromObject(obj), cur); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("force cleanup of %s: %w", ref(obj), err)
	}
	patch := client.MergeFrom(cur.DeepCopyObject().(Object))
	ann := cur.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[AnnotationCleanFinalizer] = "forced"
	cur.SetAnnotations(ann)
	cur.SetFinalizers(nil)
	if err := f.cl.c.Patch(ctx, cur, patch); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("force cleanup of %s: %w", ref(obj), err)
	}
	return nil
}

// injected reads Chaos Mesh's status: Selected and AllInjected with the desired phase
// Run (one-shot kinds: every record injected). It returns a short description of the
// state for timeouts, and the message of a failed apply.
func injected(obj Object) (bool, string, error) {
	st := obj.GetStatus()
	cond := map[v1alpha1.ChaosConditionType]bool{}
	var parts []string
	for _, c := range st.Conditions {
		cond[c.Type] = c.Status == "True"
		parts = append(parts, string(c.Type)+"="+string(c.Status))
	}
	parts = append(parts, "desiredPhase="+cmp.Or(string(st.Experiment.DesiredPhase), "none"))
	records := st.Experiment.Records
	all := len(records) > 0
	for _, r := range records {
		if n := len(r.Events); n > 0 && r.Events[n-1].Type == v1alpha1.TypeFailed && r.Events[n-1].Operation == v1alpha1.Apply {
			return false, "", fmt.Errorf("%s: %s", r.Id, r.Events[n-1].Message)
		}
		if !strings.HasPrefix(string(r.Phase), string(v1alpha1.Injected)) {
			all = false
		}
	}
	parts = append(parts, "records="+strconv.Itoa(len(records)))
	state := strings.Join(parts, ", ")
	if obj.IsOneShot() {
		return cond[v1alpha1.ConditionSelected] && all, state, nil
	}
	ok := cond[v1alpha1.ConditionSelected] && cond[v1alpha1.ConditionAllInjected] &&
		st.Experiment.DesiredPhase == v1alpha1.RunningPhase
	return ok, state, nil
}

// ref names obj for messages: "networkchaos shop/name".
func ref(obj Object) string {
	return strings.ToLower(kindOf(obj)) + " " + obj.GetNamespace() + "/" + obj.GetName()
}

// kindName is obj's kind in lower case, as kubectl takes it: "networkchaos/NAME".
func kindName(obj Object) string {
	return strings.ToLower(kindOf(obj)) + "/" + obj.GetName()
}

func kindOf(obj Object) string {
	switch obj.(type) {
	case *v1alpha1.NetworkChaos:
		return v1alpha1.KindNetworkChaos
	case *v1alpha1.PodChaos:
		return v1alpha1.KindPodChaos
	case *v1alpha1.StressChaos:
		return v1alpha1.KindStressChaos
	case *v1alpha1.HTTPChaos:
		return v1alpha1.KindHTTPChaos
	}
	return obj.GetObjectKind().GroupVersionKind().Kind
}

// shortRun is the run id's last 6 characters, enough to tell runs apart.
func shortRun(run string) string {
	run = DNSName(run)
	if len(run) > 6 {
		run = run[len(run)-6:]
	}
	return strings.Trim(run, "-")
}

func occurrenceName(base, run string, n int) string {
	parts := []string{base}
	if run != "" {
		parts = append(parts, run)
	}
	parts = append(parts, strconv.Itoa(n))
	return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), "-")
}
