package metrics

import (
	"strings"
	"testing"
)

func TestParseSegment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Segment
		err  bool
	}{
		{"1/2", Segment{Index: 1, Count: 2}, false},
		{"2/2", Segment{Index: 2, Count: 2}, false},
		{" 3 / 7 ", Segment{Index: 3, Count: 7}, false},
		{"1/1", Segment{Index: 1, Count: 1}, false},
		{"0/2", Segment{}, true},
		{"3/2", Segment{}, true},
		{"a/b", Segment{}, true},
		{"1/0", Segment{}, true},
		{"-1/2", Segment{}, true},
		{"2", Segment{}, true},
		{"", Segment{}, true},
		{"1/2/3", Segment{}, true},
	}
	for _, tt := range tests {
		got, err := ParseSegment(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseSegment(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.err)
		}
		if err != nil && !strings.Contains(err.Error(), "e.g. 1/3") {
			t.Errorf("ParseSegment(%q) error %q; want a hint with an example", tt.in, err)
		}
	}
}

// TestSegmentShareAddsUp checks that the shares of segments 1..n of a count
// add up to exactly the count and differ by at most one.
func TestSegmentShareAddsUp(t *testing.T) {
	t.Parallel()
	for _, c := range []int64{0, 1, 2, 3, 5, 10, 32, 999, 1000} {
		for _, n := range []int{1, 2, 3, 4, 7, 16} {
			var sum, lo, hi int64 = 0, c, 0
			for i := 1; i <= n; i++ {
				s := Segment{Index: i, Count: n}.Share(c)
				sum += s
				lo, hi = min(lo, s), max(hi, s)
			}
			if sum != c || hi-lo > 1 {
				t.Errorf("shares of %d over %d segments sum to %d, range %d..%d; want %d, spread <= 1", c, n, sum, lo, hi, c)
			}
		}
		if got := (Segment{}).Share(c); got != c {
			t.Errorf("Segment{}.Share(%d) = %d; want the whole", c, got)
		}
	}
	tests := []struct {
		seg  Segment
		c    int64
		want int64
	}{
		{Segment{Index: 1, Count: 3}, 10, 3},
		{Segment{Index: 2, Count: 3}, 10, 3},
		{Segment{Index: 3, Count: 3}, 10, 4},
		{Segment{Index: 1, Count: 4}, 2, 0},
		{Segment{Index: 2, Count: 4}, 2, 1},
	}
	for _, tt := range tests {
		if got := tt.seg.Share(tt.c); got != tt.want {
			t.Errorf("Segment %s .Share(%d) = %d; want %d", tt.seg, tt.c, got, tt.want)
		}
	}
}
