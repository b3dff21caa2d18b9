package gates

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// A baseline of another scenario is an error, never an empty comparison that
// passes.
func TestDecideRefusesAnotherScenario(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	s := defaultSynth()
	base, cur := s.record(t, rng), s.record(t, rng)
	base.Header.Scenario, cur.Header.Scenario = "checkout", "search"
	if d, err := Decide(one(base), one(cur), DefaultOptions()); !errors.Is(err, ErrOtherScenario) {
		t.Errorf("Decide = %+v, %v; want ErrOtherScenario", d, err)
	}
	cur.Header.Scenario = "checkout"
	if _, err := Decide(one(base), one(cur), DefaultOptions()); err != nil {
		t.Errorf("Decide on one scenario = %v", err)
	}
}

func one[T any](v T) []T { return []T{v} }
