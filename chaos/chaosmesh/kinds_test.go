package chaosmesh

import (
	"testing"

	"github.com/gauntletbench/gauntlet/chaos/faultkind"
	// Kinds added with faultkind.Register describe themselves in chaos/local.
	_ "github.com/gauntletbench/gauntlet/chaos/local"
)

// TestEveryKindHasAMapping: every kind with a Chaos Mesh counterpart has a mapping
// here, and every other kind names the kind to use on Kubernetes instead.
func TestEveryKindHasAMapping(t *testing.T) {
	t.Parallel()
	for _, k := range faultkind.All() {
		_, mapped := mappings[k.Name]
		switch {
		case k.ChaosMesh != "" && !mapped:
			t.Errorf("kind %q becomes a %s, but has no mapping", k.Name, k.ChaosMesh)
		case k.ChaosMesh == "" && mapped:
			t.Errorf("kind %q has a mapping, but its descriptor names no Chaos Mesh counterpart", k.Name)
		case k.ChaosMesh == "" && k.OnKubernetes == "":
			t.Errorf("kind %q has no Chaos Mesh counterpart and names no kind to use on Kubernetes instead", k.Name)
		}
	}
	for kind := range mappings {
		if _, ok := faultkind.Lookup(kind); !ok {
			t.Errorf("mapping for %q, which is no fault kind", kind)
		}
	}
}
