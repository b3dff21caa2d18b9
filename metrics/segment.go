package metrics

import (
	"fmt"
	"strconv"
	"strings"
)

// Segment is one generator's share of a distributed run: the Index-th of
// Count (1-based) shares of the scenario's load, as `gauntlet run --segment
// Index/Count` runs it. Count generators running segments 1..Count together
// produce exactly the scenario's load. The zero Segment is the whole load.
type Segment struct {
	Index int `json:"index"`
	Count int `json:"count"`
	// FaultsSkipped is set on a segment other than the first of a scenario
	// with faults: segment 1 injects them, this generator ran load only.
	FaultsSkipped bool `json:"faults_skipped,omitempty"`
}

// ParseSegment reads "i/n" with 1 <= i <= n.
func ParseSegment(s string) (Segment, error) {
	is, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	i, ierr := strconv.Atoi(strings.TrimSpace(is))
	n, nerr := strconv.Atoi(strings.TrimSpace(ns))
	if !ok || ierr != nil || nerr != nil || n < 1 || i < 1 || i > n {
		return Segment{}, fmt.Errorf("%q: want INDEX/COUNT with 1 <= INDEX <= COUNT, e.g. 1/3 for the first of three generators", s)
	}
	return Segment{Index: i, Count: n}, nil
}

// Whole reports whether s is the whole load (no segment, or 1/1).
func (s Segment) Whole() bool { return s.Count <= 1 }

// String is "i/n", or "" for the zero Segment.
func (s Segment) String() string {
	if s.Count == 0 {
		return ""
	}
	return strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Count)
}

// Share returns the segment's part of a count c (workers, iterations, idle
// connections): floor(c·i/n) − floor(c·(i−1)/n), so the parts of segments
// 1..n add up to exactly c. The whole load's share is c.
func (s Segment) Share(c int64) int64 {
	if s.Whole() {
		return c
	}
	i, n := int64(s.Index), int64(s.Count)
	return c*i/n - c*(i-1)/n
}

// fraction is the segment's share of an arrival rate, 1/n; 1 for the whole
// load and for nil.
func (s *Segment) fraction() float64 {
	if s == nil || s.Whole() {
		return 1
	}
	return 1 / float64(s.Count)
}
