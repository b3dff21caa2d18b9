package metrics

import "time"

// counts is a histogram of one record interval: the bucket counts of a
// Histogram (the same layout, histcodec.go) in a slice of its own. The
// recorder keeps three per request, stage and interval and encodes each once
// the interval is written; hdrhistogram-go hands its counts out only as a
// copy of all of them (190 KB), which at a second's three encodings was most
// of what a steady load allocated. counts encodes in place and merges into a
// Histogram bucket by bucket, as hdrhistogram-go's own Merge does.
type counts struct {
	c []int64
	// lo and hi bound the buckets that hold values; lo > hi when none do.
	lo, hi int
	// Clamped counts the values above one hour, recorded as one hour.
	Clamped int64
}

func newCounts() *counts {
	return &counts{c: make([]int64, histCountsLen), lo: histCountsLen, hi: -1}
}

// Record adds one duration, as Histogram.Record does.
func (h *counts) Record(d time.Duration) {
	v, clamped := micros(d)
	if clamped {
		h.Clamped++
	}
	i := bucketIndex(v)
	h.c[i]++
	h.lo, h.hi = min(h.lo, i), max(h.hi, i)
}

// Encode returns the histogram in V2 compressed, base64 form, as
// Histogram.Encode would for the same values; empty, it encodes to "".
func (h *counts) Encode() (string, error) {
	if h.hi < 0 {
		return "", nil
	}
	return encodeV2(h.c[:h.hi+1])
}

// mergeInto adds every value of h to t.
func (h *counts) mergeInto(t *Histogram) {
	for i := h.lo; i <= h.hi; i++ {
		if n := h.c[i]; n > 0 {
			// The value is in range (i < histCountsLen), so this cannot fail.
			_ = t.h.RecordValues(bucketValue(i), n)
		}
	}
	t.Clamped += h.Clamped
}

// Reset empties the histogram, keeping its memory.
func (h *counts) Reset() {
	if h.hi >= 0 {
		clear(h.c[h.lo : h.hi+1])
	}
	h.lo, h.hi, h.Clamped = histCountsLen, -1, 0
}
