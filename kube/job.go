// Package kube renders the Kubernetes objects of a distributed run: a ConfigMap with
// the scenario and an Indexed Job whose pods each run one segment of its load
// (`gauntlet run --segment i/N`) and write their records to a volume, from which they
// are merged with `gauntlet merge`. With faults on Kubernetes services, it adds the
// service account and the roles that let segment 1 create Chaos Mesh objects.
//
// Only this package and chaos/chaosmesh import Kubernetes code.
package kube

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/gauntletbench/gauntlet/chaos/chaosmesh"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// Paths inside a generator pod.
const (
	ScenarioDir  = "/etc/gauntlet"
	ScenarioFile = "scenario.yaml"
	RecordsDir   = "/records"
)

// JobOptions shape the rendered objects.
type JobOptions struct {
	// Generators is the number of pods, each running one segment.
	Generators int
	Namespace  string
	Image      string
	// Claim is the PersistentVolumeClaim the records go to.
	Claim string
	// ServiceAccount runs the pods; empty means the namespace's default, or, with
	// InCluster, a rendered "gauntlet-<scenario>" account.
	ServiceAccount string
	// CPU and Memory are each pod's request and limit (Kubernetes quantities).
	CPU, Memory string
	// StartAt, when set, is passed to every pod as --start-at, so they start their
	// load together however the scheduler spreads their start.
	StartAt string
	// InCluster makes segment 1 inject the scenario's faults on Kubernetes services
	// through the pod's service account.
	InCluster bool
}

// Render writes the objects of a distributed run of spec as a YAML stream for kubectl
// apply; src is the scenario file's text, put in the ConfigMap as it is.
func Render(w io.Writer, spec *scenarios.Spec, src []byte, o JobOptions) error {
	objs, err := Objects(spec, src, o)
	if err != nil {
		return err
	}
	for i, obj := range objs {
		b, err := yaml.Marshal(obj)
		if err != nil {
			return err
		}
		b = stripNulls(b)
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// Objects returns the objects Render prints, in apply order.
func Objects(spec *scenarios.Spec, src []byte, o JobOptions) ([]runtime.Object, error) {
	if o.Generators < 1 {
		return nil, fmt.Errorf("generators must be at least 1, got %d", o.Generators)
	}
	if errs := validation.IsDNS1123Label(o.Namespace); len(errs) > 0 {
		return nil, fmt.Errorf("namespace %q: %s", o.Namespace, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Subdomain(o.Claim); len(errs) > 0 {
		return nil, fmt.Errorf("claim %q: %s", o.Claim, strings.Join(errs, "; "))
	}
	cpu, err := resource.ParseQuantity(o.CPU)
	if err != nil {
		return nil, fmt.Errorf("cpu %q: %w", o.CPU, err)
	}
	mem, err := resource.ParseQuantity(o.Memory)
	if err != nil {
		return nil, fmt.Errorf("memory %q: %w", o.Memory, err)
	}
	if o.Image == "" {
		return nil, fmt.Errorf("no image")
	}
	name := Name(spec.Name)
	labels := map[string]string{"app.kubernetes.io/name": "gauntlet", "app.kubernetes.io/instance": name}
	meta := func(n string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: n, Namespace: o.Namespace, Labels: labels}
	}
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: meta(name),
		Data:       map[string]string{ScenarioFile: string(src)},
	}
	var objs []runtime.Object
	sa := o.ServiceAccount
	if o.InCluster && sa == "" {
		sa = name
		objs = append(objs, rbac(spec, name, o.Namespace, labels)...)
	}
	n := int32(o.Generators)
	indexed := batchv1.IndexedCompletion
	extra := ""
	if o.StartAt != "" {
		extra += " --start-at " + o.StartAt
	}
	if o.InCluster {
		extra += " --in-cluster"
	}
	// Exit 3 (a threshold failed on this share of the load) is not a pod failure: the
	// verdict belongs to the merged record.
	script := fmt.Sprintf(`SEGMENT=$((JOB_COMPLETION_INDEX + 1)); `+
		`gauntlet run %s/%s --segment "$SEGMENT/%d" --out "%s/%s/segment-$SEGMENT" --progress=false%s; `+
		`rc=$?; if [ "$rc" -eq 3 ]; then rc=0; fi; exit "$rc"`,
		ScenarioDir, ScenarioFile, o.Generators, RecordsDir, name, extra)
	res := corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem}
	job := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: meta(name),
		Spec: batchv1.JobSpec{
			CompletionMode: &indexed,
			Completions:    &n,
			Parallelism:    &n,
			// A retried generator would send its share twice.
			BackoffLimit: new(int32(0)),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy:      corev1.RestartPolicyNever,
					ServiceAccountName: sa,
					Containers: []corev1.Container{{
						Name:      "gauntlet",
						Image:     o.Image,
						Command:   []string{"/bin/sh", "-c", script},
						Env:       []corev1.EnvVar{{Name: "GAUNTLET_GENERATORS", Value: strconv.Itoa(o.Generators)}},
						Resources: corev1.ResourceRequirements{Requests: res, Limits: res},
						VolumeMounts: []corev1.VolumeMount{
							{Name: "scenario", MountPath: ScenarioDir, ReadOnly: true},
							{Name: "records", MountPath: RecordsDir},
						},
					}},
					Volumes: []corev1.Volume{
						{Name: "scenario", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: name}}}},
						{Name: "records", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{
							ClaimName: o.Claim}}},
					},
				},
			},
		},
	}
	return append(append(objs, cm), job), nil
}

// rbac returns a service account and, in every namespace the scenario's faults act in,
// a Role on the Chaos Mesh kinds gauntlet creates and a RoleBinding to the account.
func rbac(spec *scenarios.Spec, name, ns string, labels map[string]string) []runtime.Object {
	objs := []runtime.Object{&corev1.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
	}}
	var namespaces []string
	for _, f := range spec.Faults {
		if svc, ok := spec.Service(f.Service); ok && svc.Kubernetes != nil && !slices.Contains(namespaces, svc.Kubernetes.Namespace) {
			namespaces = append(namespaces, svc.Kubernetes.Namespace)
		}
	}
	for _, target := range namespaces {
		meta := metav1.ObjectMeta{Name: name, Namespace: target, Labels: labels}
		objs = append(objs,
			&rbacv1.Role{
				TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
				ObjectMeta: meta,
				Rules: []rbacv1.PolicyRule{{
					APIGroups: []string{"chaos-mesh.org"},
					Resources: []string{"networkchaos", "podchaos", "stresschaos", "httpchaos"},
					Verbs:     []string{"create", "get", "list", "watch", "delete", "patch"},
				}},
			},
			&rbacv1.RoleBinding{
				TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
				ObjectMeta: meta,
				Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: ns}},
				RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: name},
			})
	}
	return objs
}

// Name is the name of a scenario's objects: "gauntlet-<scenario>" as a DNS label.
func Name(scenario string) string {
	n := "gauntlet-" + chaosmesh.DNSName(scenario)
	if len(n) > 52 {
		n = n[:52]
	}
	return strings.TrimRight(n, "-")
}

// stripNulls drops the "creationTimestamp: null" and empty "status: {}" lines an
// unsaved object marshals to.
func stripNulls(b []byte) []byte {
	var out []string
	for _, line := range strings.SplitAfter(string(b), "\n") {
		t := strings.TrimSpace(line)
		if t == "creationTimestamp: null" || t == "status: {}" {
			continue
		}
		out = append(out, line)
	}
	return []byte(strings.Join(out, ""))
}
