package metrics

import (
	"fmt"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds. Values are recorded in microseconds with three
// significant digits from 1 µs to one hour; larger values are clamped to the
// maximum and counted in Clamped, so they still weigh in the tail.
const (
	histLowest  = 1
	histHighest = int64(time.Hour / time.Microsecond)
	histDigits  = 3
)

// A Histogram is a mergeable HDR histogram of durations. It is not safe for
// concurrent use: one goroutine (the recorder) owns each histogram.
type Histogram struct {
	h       *hdrhistogram.Histogram
	Clamped int64
}

// NewHistogram returns an empty histogram covering 1 µs to 1 h at three
// significant digits.
func NewHistogram() *Histogram {
	return &Histogram{h: hdrhistogram.New(histLowest, histHighest, histDigits)}
}

// Record adds one duration. Durations below 1 µs count as 1 µs.
func (h *Histogram) Record(d time.Duration) {
	v, clamped := micros(d)
	if clamped {
		h.Clamped++
	}
	// The value is within the trackable range, so RecordValue cannot fail.
	_ = h.h.RecordValue(v)
}

// micros is d in whole microseconds within the histograms' range, and
// whether it was clamped to the top of it.
func micros(d time.Duration) (v int64, clamped bool) {
	v = int64(d / time.Microsecond)
	switch {
	case v < histLowest:
		return histLowest, false
	case v > histHighest:
		return histHighest, true
	}
	return v, false
}

// Merge adds every value of o to h.
func (h *Histogram) Merge(o *Histogram) {
	h.h.Merge(o.h)
	h.Clamped += o.Clamped
}

// Reset empties the histogram, keeping its memory.
func (h *Histogram) Reset() {
	h.h.Reset()
	h.Clamped = 0
}

// Count is the number of recorded values.
func (h *Histogram) Count() int64 { return h.h.TotalCount() }

// Quantile returns the value at quantile q (0 < q <= 1) as a duration; zero
// when the histogram is empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.h.ValueAtQuantile(q*100)) * time.Microsecond
}

// Max returns the largest recorded value (at histogram precision).
func (h *Histogram) Max() time.Duration {
	if h.h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.h.Max()) * time.Microsecond
}

// Min returns the smallest recorded value (at histogram precision).
func (h *Histogram) Min() time.Duration {
	if h.h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.h.Min()) * time.Microsecond
}

// Mean returns the mean of the recorded values.
func (h *Histogram) Mean() time.Duration {
	if h.h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.h.Mean() * float64(time.Microsecond))
}

// Distribution returns, for each recorded bucket in ascending order, its
// upper value and the cumulative count up to and including it.
func (h *Histogram) Distribution() []Bucket {
	var out []Bucket
	var cum int64
	for _, b := range h.h.Distribution() {
		if b.Count == 0 {
			continue
		}
		cum += b.Count
		out = append(out, Bucket{UpperUs: b.To, Count: b.Count, Cumulative: cum})
	}
	return out
}

// Bucket is one non-empty bucket of a histogram's distribution.
type Bucket struct {
	UpperUs    int64
	Count      int64
	Cumulative int64
}

// Encode returns the histogram in HdrHistogram's V2 compressed, base64 form
// (histcodec.go), readable by every HdrHistogram implementation. An empty
// histogram encodes to "".
func (h *Histogram) Encode() (string, error) {
	if h.h.TotalCount() == 0 {
		return "", nil
	}
	s, err := encodeV2(h.h.Export().Counts)
	if err != nil {
		return "", fmt.Errorf("encode histogram: %w", err)
	}
	return s, nil
}

// MergeEncoded decodes an encoded histogram and adds it to h. An empty string
// adds nothing. A histogram of gauntlet's own range is read by mergeV2
// (histcodec.go), anything else by hdrhistogram-go.
func (h *Histogram) MergeEncoded(s string) error {
	if s == "" || mergeV2(h, s) {
		return nil
	}
	o, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return fmt.Errorf("decode histogram: %w", err)
	}
	h.h.Merge(o)
	return nil
}
