package faultkind

import (
	"slices"
	"testing"
)

// TestDescriptorsAreComplete: every kind says where it acts and what to use where it
// has no implementation, and names are unique.
func TestDescriptorsAreComplete(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, k := range All() {
		if k.Name == "" || seen[k.Name] {
			t.Errorf("kind %q: empty or duplicate name", k.Name)
		}
		seen[k.Name] = true
		if k.Where < TCPProxy || k.Where > Cluster {
			t.Errorf("%s: Where = %d; want one of the Where constants", k.Name, k.Where)
		}
		if k.ChaosMesh == "" && k.OnKubernetes == "" {
			t.Errorf("%s: no Chaos Mesh counterpart and no kind to use on Kubernetes instead", k.Name)
		}
		if k.ChaosMesh != "" && k.OnKubernetes != "" {
			t.Errorf("%s: has a Chaos Mesh counterpart and an alternative to it", k.Name)
		}
		if (k.Where == Cluster) != (k.Locally != "") {
			t.Errorf("%s: Locally = %q; want it set exactly for kinds that act only through Chaos Mesh", k.Name, k.Locally)
		}
		if k.Where == Cluster && k.ChaosMesh == "" {
			t.Errorf("%s: acts only through Chaos Mesh but names no Chaos Mesh object", k.Name)
		}
		if k.Example == "" || k.Example[0] != '{' || k.Example[len(k.Example)-1] != '}' {
			t.Errorf("%s: Example = %q; want a YAML flow mapping", k.Name, k.Example)
		}
		if got, ok := Lookup(k.Name); !ok || got != k {
			t.Errorf("Lookup(%q) = %v, %v; want %v, true", k.Name, got, ok, k)
		}
	}
	if _, ok := Lookup("nope"); ok {
		t.Error(`Lookup("nope") found a kind`)
	}
	if !slices.Equal(Names()[:3], []string{"latency", "bandwidth", "reset"}) {
		t.Errorf("Names() = %v; want the scenario order, latency first", Names())
	}
}

// TestRegister: a complete descriptor joins the list after the built-in kinds; an
// incomplete or duplicate one panics. Not parallel: it writes the list the other tests
// read, before they run.
func TestRegister(t *testing.T) {
	ok := Kind{Name: "test_spike", Where: TCPProxy, OnKubernetes: "latency", Example: "{delay: 1s}"}
	for _, tt := range []struct {
		name string
		k    Kind
	}{
		{"empty name", Kind{Where: TCPProxy, OnKubernetes: "latency", Example: "{}"}},
		{"taken", Kind{Name: "latency", Where: TCPProxy, OnKubernetes: "latency", Example: "{}"}},
		{"where unset", Kind{Name: "x", OnKubernetes: "latency", Example: "{}"}},
		{"no alternative on Kubernetes", Kind{Name: "x", Where: TCPProxy, Example: "{}"}},
		{"no alternative locally", Kind{Name: "x", Where: Cluster, ChaosMesh: "NetworkChaos loss", Example: "{}"}},
		{"no example", Kind{Name: "x", Where: TCPProxy, OnKubernetes: "latency"}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%s) did not panic", tt.name)
				}
			}()
			Register(tt.k)
		}()
	}
	if _, done := Lookup(ok.Name); !done { // registered by an earlier run of the test (-count)
		Register(ok)
	}
	if got, found := Lookup(ok.Name); !found || got != ok {
		t.Errorf("Lookup(%q) = %v, %v after Register; want %v, true", ok.Name, got, found, ok)
	}
	if names := Names(); names[len(names)-1] != ok.Name {
		t.Errorf("Names() = %v; want %q last", names, ok.Name)
	}
}
