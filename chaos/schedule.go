package chaos

import (
	"cmp"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gauntletbench/gauntlet/chaos/faultkind"
)

// Instant reports whether kind is a one-shot fault (kill, restart, terminate). The engine
// injects it at the window's Start and reverts it when the run ends (its Revert makes
// sure the service runs again), not at End.
func Instant(kind string) bool {
	k, _ := faultkind.Lookup(kind)
	return k.Instant
}

// Planned is one fault entry of a scenario as the schedule sees it. Durations are offsets
// from the start of the load.
type Planned struct {
	// Name identifies the fault; it must be unique.
	Name string
	// Kind is the fault kind; it decides whether the fault is instant.
	Kind string
	// At is the first start, >= 0.
	At time.Duration
	// For is how long each occurrence lasts; 0 means until the run ends (a single
	// occurrence) and is ignored for instant kinds.
	For time.Duration
	// Every repeats the fault with this period from At; 0 means once.
	Every time.Duration
	// Times bounds the occurrences when Every is set; 0 means until the run ends.
	Times int
	// Jitter delays each occurrence by a uniform random offset in [0, Jitter) drawn from
	// the seed, the fault's name and the occurrence number.
	Jitter time.Duration
}

// Window is one occurrence of a fault on the timeline, as offsets from the start of the
// load.
type Window struct {
	// Name is the Planned's Name.
	Name string
	// Kind is the Planned's Kind.
	Kind string
	// Occurrence counts the fault's windows from 1.
	Occurrence int
	// Start is when to inject.
	Start time.Duration
	// End is when to revert; End == Start for instant kinds.
	End time.Duration
}

// MaxOccurrences bounds the windows of one fault on a timeline.
const MaxOccurrences = 100000

// Timeline turns planned faults into windows sorted by Start (ties keep the order of
// plan, then occurrence). length is the length of the load; windows starting at or after
// it are dropped and ends are clipped to it. Randomness comes only from seed, the fault's
// name and the occurrence number, so adding a fault never moves another one.
//
// It returns every problem found, joined, each prefixed with the fault's name: negative
// durations, Times without Every, an open-ended fault (For 0) that repeats,
// occurrences of one fault that would overlap (For + Jitter > Every), a first start
// at or after the end of the load (it would never be injected), and more than
// MaxOccurrences occurrences of one fault (the timeline is built up front).
func Timeline(plan []Planned, length time.Duration, seed uint64) ([]Window, error) {
	var errs []error
	var out []Window
	if length <= 0 {
		return nil, fmt.Errorf("timeline: run length must be > 0, got %s", length)
	}
	for _, p := range plan {
		if err := checkPlanned(p); err != nil {
			errs = append(errs, err)
			continue
		}
		if p.At >= length {
			errs = append(errs, fmt.Errorf("fault %q: at (%s) is not before the end of the load (%s): it would never be injected", p.Name, p.At, length))
			continue
		}
		rng := rand.New(rand.NewPCG(seed, nameHash(p.Name)))
		instant := Instant(p.Kind)
		for n := 1; p.Times == 0 || n <= p.Times; n++ {
			start := p.At + time.Duration(n-1)*p.Every
			if p.Jitter > 0 {
				start += time.Duration(rng.Int64N(int64(p.Jitter)))
			}
			if start >= length {
				break
			}
			end := start
			if !instant {
				end = length
				if p.For > 0 {
					end = min(start+p.For, length)
				}
			}
			if n > MaxOccurrences {
				errs = append(errs, fmt.Errorf("fault %q: more than %d occurrences in %s: make every longer or set times", p.Name, MaxOccurrences, length))
				break
			}
			out = append(out, Window{Name: p.Name, Kind: p.Kind, Occurrence: n, Start: start, End: end})
			if p.Every == 0 {
				break
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Window) int { return cmp.Compare(a.Start, b.Start) })
	return out, errors.Join(errs...)
}

func checkPlanned(p Planned) error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("fault %q: "+format, append([]any{p.Name}, args...)...))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"at", p.At}, {"for", p.For}, {"every", p.Every}, {"jitter", p.Jitter}} {
		if d.v < 0 {
			bad("%s must be >= 0, got %s", d.name, d.v)
		}
	}
	if p.Times < 0 {
		bad("times must be >= 0, got %d", p.Times)
	}
	if p.Times > 0 && p.Every == 0 {
		bad("times needs every")
	}
	if p.Every > 0 && !Instant(p.Kind) {
		if p.For == 0 {
			bad("a repeating fault needs for (it would never end before the next one)")
		} else if p.For+p.Jitter > p.Every {
			bad("for (%s) + jitter (%s) must not exceed every (%s): occurrences would overlap", p.For, p.Jitter, p.Every)
		}
	}
	if p.Every > 0 && Instant(p.Kind) && p.Jitter > p.Every {
		bad("jitter (%s) must not exceed every (%s): occurrences could swap", p.Jitter, p.Every)
	}
	return errors.Join(errs...)
}

func nameHash(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}
