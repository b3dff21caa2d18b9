// Package affinity keeps the load generator and the services it starts on
// disjoint CPUs, so that the generator's work never takes CPU time from what
// it measures: Split divides the CPUs this process may use, Pin binds every
// thread of this process to one part, and Start starts a service's process
// (and so everything it forks) on the other.
//
// Pinning is Linux only; elsewhere Allowed returns ErrUnsupported.
package affinity

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ErrUnsupported is returned where this system cannot pin threads to CPUs.
var ErrUnsupported = errors.New("CPU affinity is not supported on this system")

// Set is a set of CPU numbers, ascending and without repeats.
type Set []int

// String is the set in the kernel's list format, as in /proc/PID/status
// Cpus_allowed_list: "0", "1-3", "0,2-3".
func (s Set) String() string {
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] == s[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(s[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(s[j]))
		}
		i = j + 1
	}
	return b.String()
}

// Parse reads a CPU list in the kernel's format ("0-2,5").
func Parse(list string) (Set, error) {
	var s Set
	for part := range strings.SplitSeq(strings.TrimSpace(list), ",") {
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a {
			return nil, fmt.Errorf("CPU list %q: bad entry %q", list, part)
		}
		for c := a; c <= b; c++ {
			s = append(s, c)
		}
	}
	slices.Sort(s)
	return slices.Compact(s), nil
}

// Split divides the CPUs a run may use between the generator and the
// services it starts: the generator gets the first quarter of them (at
// least one), the services the rest — with 2 CPUs, one each; with 8, two for
// the generator and six for the services. ok is false with fewer than 2
// CPUs, where there is nothing to split.
func Split(allowed Set) (generator, services Set, ok bool) {
	if len(allowed) < 2 {
		return nil, nil, false
	}
	n := max(1, len(allowed)/4)
	return slices.Clone(allowed[:n]), slices.Clone(allowed[n:]), true
}
