package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestCountsIsAHistogram records the same durations into counts and into a
// Histogram: both must encode to the same string, and merge into the same
// histogram. One counts is reused across the cases, Reset in between, as the
// recorder reuses them.
func TestCountsIsAHistogram(t *testing.T) {
	us := func(vs ...int64) []time.Duration {
		ds := make([]time.Duration, len(vs))
		for i, v := range vs {
			ds[i] = time.Duration(v) * time.Microsecond
		}
		return ds
	}
	var every []time.Duration
	for i := 1; i < histCountsLen && bucketValue(i) <= histHighest; i++ {
		every = append(every, time.Duration(bucketValue(i))*time.Microsecond)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var lognormal []time.Duration
	for range 20000 {
		lognormal = append(lognormal, time.Duration(2e6*math.Exp(0.9*rng.NormFloat64())))
	}
	cases := []struct {
		name string
		ds   []time.Duration
	}{
		{"empty", nil},
		{"below a microsecond", []time.Duration{0, 500, 999}},
		{"bucket edges", us(1, 2, 1023, 1024, 1025, 2047, 2048, 2049, 2050, 4095, 4096, 4097, 8191, 8192, 1<<20, 1<<20+1, histHighest-1, histHighest)},
		{"over an hour", []time.Duration{time.Hour, time.Hour + time.Microsecond, 3 * time.Hour}},
		{"one value many times", us(700, 700, 700, 700, 700)},
		{"every bucket", every},
		{"lognormal", lognormal},
		{"empty again", nil},
		{"lowest and highest", us(1, histHighest)},
	}
	reused := newCounts()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			reused.Reset()
			fresh, want := newCounts(), NewHistogram()
			for _, d := range tt.ds {
				reused.Record(d)
				fresh.Record(d)
				want.Record(d)
			}
			wantEnc, err := want.Encode()
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name string
				h    *counts
			}{{"fresh", fresh}, {"reused", reused}} {
				enc, err := c.h.Encode()
				if err != nil {
					t.Fatal(err)
				}
				if enc != wantEnc {
					t.Errorf("%s: encodes to %.40q…; want %.40q… (the Histogram's)", c.name, enc, wantEnc)
				}
				if c.h.Clamped != want.Clamped {
					t.Errorf("%s: %d clamped; want %d", c.name, c.h.Clamped, want.Clamped)
				}
				// Merged into a histogram that already holds values, as the
				// run's cumulative histograms do.
				got, ref := NewHistogram(), NewHistogram()
				for _, h := range []*Histogram{got, ref} {
					h.Record(3 * time.Millisecond)
				}
				c.h.mergeInto(got)
				ref.Merge(want)
				if got.Count() != ref.Count() || got.Clamped != ref.Clamped {
					t.Errorf("%s: merged count %d, clamped %d; want %d, %d", c.name, got.Count(), got.Clamped, ref.Count(), ref.Clamped)
				}
				for _, q := range []float64{0, 0.5, 0.9, 0.99, 0.999, 1} {
					if g, w := got.Quantile(q), ref.Quantile(q); g != w {
						t.Errorf("%s: merged q%g = %v; want %v", c.name, q, g, w)
					}
				}
				gotEnc, _ := got.Encode()
				refEnc, _ := ref.Encode()
				if gotEnc != refEnc {
					t.Errorf("%s: merged histogram encodes differently from hdrhistogram-go's merge", c.name)
				}
			}
		})
	}
}
