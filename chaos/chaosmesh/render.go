package chaosmesh

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/yaml"

	"github.com/gauntletbench/gauntlet/chaos"
	"github.com/gauntletbench/gauntlet/scenarios"
)

// Objects builds the Chaos Mesh object of every fault of spec on a Kubernetes service,
// in file order, with the fault's schedule in annotations (kubectl applies an object at
// once; `gauntlet run --kubeconfig` applies each when it is due). Faults on local
// services are skipped. Every problem is reported, as scenarios.Problems with their
// positions.
func Objects(spec *scenarios.Spec) ([]Object, error) {
	var objs []Object
	var probs scenarios.Problems
	for _, f := range spec.Faults {
		cf, ok := chaos.ClusterFaultOf(spec, f, "")
		if !ok {
			continue
		}
		obj, err := Build(cf)
		var ps scenarios.Problems
		switch {
		case errors.As(err, &ps):
			probs = append(probs, ps...)
			continue
		case err != nil:
			probs = append(probs, f.Problem(err.Error()))
			continue
		}
		ann := map[string]string{AnnotationAt: f.At.String()}
		if f.Every > 0 {
			ann[AnnotationEvery] = f.Every.String()
			ann[AnnotationTimes] = strconv.Itoa(f.Times)
		}
		obj.SetAnnotations(ann)
		objs = append(objs, obj)
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return objs, nil
}

// Render writes objs as a YAML stream for `kubectl apply -f -`: apiVersion and kind
// set, no status and no empty creationTimestamp.
func Render(w io.Writer, objs []Object) error {
	for i, obj := range objs {
		b, err := Marshal(obj)
		if err != nil {
			return err
		}
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

// Marshal returns obj as YAML with its apiVersion and kind, without the status and the
// null creationTimestamp an unsaved object carries.
func Marshal(obj Object) ([]byte, error) {
	obj = obj.DeepCopyObject().(Object)
	obj.GetObjectKind().SetGroupVersionKind(v1alpha1.SchemeGroupVersion.WithKind(kindOf(obj)))
	j, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(j, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	if meta, ok := m["metadata"].(map[string]any); ok && meta["creationTimestamp"] == nil {
		delete(meta, "creationTimestamp")
	}
	return yaml.Marshal(m)
}

// Decode reads a YAML stream of Chaos Mesh objects (what Render writes) back into the
// API types, and checks each with Chaos Mesh's defaulting and validation.
func Decode(data []byte) ([]Object, error) {
	dec := serializer.NewCodecFactory(Scheme()).UniversalDeserializer()
	var objs []Object
	for i, doc := range bytes.Split(data, []byte("\n---\n")) {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		raw, _, err := dec.Decode(doc, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("object %d: %w", i+1, err)
		}
		obj, ok := raw.(Object)
		if !ok {
			return nil, fmt.Errorf("object %d: %T is not a Chaos Mesh experiment", i+1, raw)
		}
		if err := check(obj); err != nil {
			return nil, fmt.Errorf("object %d (%s): %w", i+1, ref(obj), err)
		}
		objs = append(objs, obj)
	}
	return objs, nil
}
