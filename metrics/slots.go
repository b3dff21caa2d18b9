package metrics

import (
	"math/bits"
	"time"
)

// SlotLength is the resolution of the per-interval slots: each record
// interval is split into IntervalLength/SlotLength slots, which is what time
// to recover is resolved to.
const SlotLength = 100 * time.Millisecond

const slotsPerInterval = int(IntervalLength / SlotLength)

// slotBuckets is the size of a slot's latency summary: four buckets per
// power of two of microseconds (each about 19 % wide), up to 2^32 µs.
const slotBuckets = 4 * 32

// Slots splits one interval line into slots of Ms milliseconds, counted on
// the interval's own time base. Requests[i] and Errors[i] count the requests
// of slot i; P99Us[i] is its p99 latency (from the intended send time) in
// microseconds, rounded up to a bucket of a small log-scale summary (at most
// 19 % above the exact figure), 0 for an empty slot. Records written before
// slots existed have none; readers fall back to whole intervals.
type Slots struct {
	Ms       int     `json:"ms"`
	Requests []int64 `json:"requests"`
	Errors   []int64 `json:"errors"`
	P99Us    []int64 `json:"p99_us"`
}

// slotAccum accumulates one interval line's slots; its zero value is empty.
type slotAccum struct {
	n, errs [slotsPerInterval]int64
	lat     [slotsPerInterval][slotBuckets]uint32
}

// add counts one request whose time on the interval's base lies off after
// the interval's start (clamped into the interval).
func (s *slotAccum) add(off, latency time.Duration, isErr bool) {
	i := min(max(int(off/SlotLength), 0), slotsPerInterval-1)
	s.n[i]++
	if isErr {
		s.errs[i]++
	}
	s.lat[i][slotBucket(latency)]++
}

// slots returns the interval's slots for the record.
func (s *slotAccum) slots() *Slots {
	out := &Slots{Ms: int(SlotLength / time.Millisecond), Requests: make([]int64, slotsPerInterval),
		Errors: make([]int64, slotsPerInterval), P99Us: make([]int64, slotsPerInterval)}
	for i := range slotsPerInterval {
		out.Requests[i], out.Errors[i] = s.n[i], s.errs[i]
		if s.n[i] == 0 {
			continue
		}
		rank := (s.n[i]*99 + 99) / 100 // ceil(0.99 n)
		var seen int64
		for b, c := range s.lat[i] {
			if seen += int64(c); seen >= rank {
				out.P99Us[i] = slotBucketTop(b)
				break
			}
		}
	}
	return out
}

// slotBucket maps a latency to its bucket: 4·floor(log2 µs) plus the two bits
// after the leading one.
func slotBucket(d time.Duration) int {
	v := uint64(max(d/time.Microsecond, 1))
	v = min(v, 1<<32-1)
	l := bits.Len64(v) - 1
	if l < 2 {
		return 4*l + int(v) - 1<<l
	}
	return 4*l + int(v>>(l-2)&3)
}

// slotBucketTop is the largest latency in µs that falls in bucket b.
func slotBucketTop(b int) int64 {
	l, frac := b/4, int64(b%4)
	if l < 2 {
		return 1<<l + frac
	}
	return (5+frac)<<(l-2) - 1
}
