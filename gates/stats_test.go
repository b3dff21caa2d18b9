package gates

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMannWhitney(t *testing.T) {
	t.Parallel()
	seq := func(from, to float64) []float64 {
		var out []float64
		for v := from; v <= to; v++ {
			out = append(out, v)
		}
		return out
	}
	tests := []struct {
		name      string
		x, y      []float64
		u, p      float64
		tolerance float64
	}{
		// Exact: complete separation of 3 vs 3 has 2 of 20 orderings as extreme.
		{"exact 3v3", seq(1, 3), seq(4, 6), 0, 0.1, 1e-12},
		{"exact 5v5", seq(1, 5), seq(6, 10), 0, 2.0 / 252, 1e-12},
		{"exact reversed", seq(6, 10), seq(1, 5), 25, 2.0 / 252, 1e-12},
		{"exact overlap", []float64{1, 3, 5}, []float64{2, 4, 6}, 3, 0.7, 1e-12},
		// Exact with ties: 14 of the 70 ways to pick 4 of the mid-ranks sum
		// to at most 12.5 (checked by brute force below).
		{"exact ties", []float64{1, 2, 2, 3}, []float64{2, 3, 4, 5}, 2.5, 0.2, 1e-12},
		{"all tied", []float64{1, 1, 1}, []float64{1, 1}, 3, 1, 0},
	}
	for _, tt := range tests {
		u, p := mannWhitney(tt.x, tt.y, 1)
		if u != tt.u || math.Abs(p-tt.p) > tt.tolerance {
			t.Errorf("%s: mannWhitney = U %g, p %.5f; want U %g, p %.5f", tt.name, u, p, tt.u, tt.p)
		}
	}
	// Normal approximation with tie and continuity corrections, as R's
	// wilcox.test(c(1,2,2,3), c(2,3,4,5)) gives: W = 2.5, p = 0.1367.
	if u, p := mannWhitney([]float64{1, 2, 2, 3}, []float64{2, 3, 4, 5}, 1.0000001); u != 2.5 || math.Abs(p-0.1367) > 5e-4 {
		t.Errorf("normal approximation with ties = U %g, p %.4f; want U 2.5, p 0.1367", u, p)
	}
}

func TestExactPMatchesBruteForce(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	for range 30 {
		n1, n2 := 1+rng.IntN(6), 1+rng.IntN(6)
		x, y := make([]float64, n1), make([]float64, n2)
		for i := range x {
			x[i] = float64(rng.IntN(5)) // many ties
		}
		for i := range y {
			y[i] = float64(rng.IntN(5) + rng.IntN(2))
		}
		ranks, _ := rank(x, y)
		n := n1 + n2
		obs := 0.0
		for _, r := range ranks[:n1] {
			obs += r
		}
		var all, lo, hi float64
		for mask := range 1 << n {
			if bitsSet(mask) != n1 {
				continue
			}
			s := 0.0
			for i := range n {
				if mask&(1<<i) != 0 {
					s += ranks[i]
				}
			}
			all++
			if s <= obs+1e-9 {
				lo++
			}
			if s >= obs-1e-9 {
				hi++
			}
		}
		want := math.Min(1, 2*math.Min(lo, hi)/all)
		if got := exactP(ranks, n1); math.Abs(got-want) > 1e-12 {
			t.Errorf("exactP(%v vs %v) = %g; brute force %g", x, y, got, want)
		}
	}
}

func bitsSet(m int) int {
	n := 0
	for ; m != 0; m &= m - 1 {
		n++
	}
	return n
}

func TestMannWhitneyNormalMatchesExact(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		x, y := make([]float64, 20), make([]float64, 20)
		for i := range x {
			x[i] = rng.NormFloat64()
			y[i] = rng.NormFloat64() + 0.5
		}
		_, exact := mannWhitney(x, y, 1)
		_, approx := mannWhitney(x, y, 1.0000001) // forces the normal approximation
		if math.Abs(exact-approx) > 0.01 {
			t.Errorf("exact p %.4f, normal p %.4f; want them within 0.01", exact, approx)
		}
	}
}

func TestMannWhitneyInflationWidens(t *testing.T) {
	t.Parallel()
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26}
	y := make([]float64, len(x))
	for i := range x {
		y[i] = x[i] + 6.5
	}
	_, p1 := mannWhitney(x, y, 1)
	_, p4 := mannWhitney(x, y, 4)
	if !(p4 > p1) {
		t.Errorf("p with inflation 4 = %g, without = %g; want inflation to weaken the evidence", p4, p1)
	}
}

func TestMinP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n1, n2 int
		want   float64
	}{{1, 1, 1}, {3, 3, 0.1}, {5, 5, 2.0 / 252}, {4, 4, 2.0 / 70}, {0, 5, 1}}
	for _, tt := range tests {
		if got := minP(tt.n1, tt.n2); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("minP(%d, %d) = %g; want %g", tt.n1, tt.n2, got, tt.want)
		}
	}
}

func TestRankAutocorrelation(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	white := make([]float64, 400)
	ar := make([]float64, 400)
	prev := 0.0
	for i := range white {
		white[i] = rng.NormFloat64()
		prev = 0.8*prev + rng.NormFloat64()
		ar[i] = prev
	}
	if f := rankAutocorrelation([][]float64{white}); f > 1.3 {
		t.Errorf("inflation of white noise = %.2f; want about 1", f)
	}
	// AR(1) with 0.8: (1+0.8)/(1-0.8) = 9, within estimation error.
	if f := rankAutocorrelation([][]float64{ar}); f < 5 || f > 13 {
		t.Errorf("inflation of AR(0.8) = %.2f; want about 9", f)
	}
	// A level shift between runs is not autocorrelation.
	shifted := [][]float64{white[:200], make([]float64, 200)}
	for i, v := range white[200:] {
		shifted[1][i] = v + 10
	}
	if f := rankAutocorrelation(shifted); f > 1.3 {
		t.Errorf("inflation of two shifted white series = %.2f; want about 1", f)
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median(3,1,2) = %g; want 2", got)
	}
	if got := median([]float64{4, 1, 2, 3}); got != 2.5 {
		t.Errorf("median(4,1,2,3) = %g; want 2.5", got)
	}
	if got := median(nil); got != 0 {
		t.Errorf("median(nil) = %g; want 0", got)
	}
}
