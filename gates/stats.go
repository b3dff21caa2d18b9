package gates

import (
	"math"
	"slices"
)

// mannWhitney is a two-sided Mann–Whitney U test of x against y.
//
// inflate scales the variance of U to account for serial correlation in
// the samples (1 for independent samples; see rankAutocorrelation). With
// independent samples and groups of at most exactMax the p-value is exact:
// the permutation distribution of the rank sum, ties included. Otherwise it
// comes from the normal approximation with tie and continuity corrections.
// p is 1 when every value is tied.
func mannWhitney(x, y []float64, inflate float64) (u, p float64) {
	n1, n2 := len(x), len(y)
	if n1 == 0 || n2 == 0 {
		return 0, 1
	}
	ranks, ties := rank(x, y)
	var r1 float64
	for _, r := range ranks[:n1] {
		r1 += r
	}
	u = r1 - float64(n1*(n1+1))/2
	if inflate <= 1 && n1 <= exactMax && n2 <= exactMax {
		return u, exactP(ranks, n1)
	}
	n := float64(n1 + n2)
	mean := float64(n1*n2) / 2
	variance := float64(n1*n2) / 12 * ((n + 1) - ties/(n*(n-1)))
	variance *= max(inflate, 1)
	if variance <= 0 {
		return u, 1
	}
	d := math.Abs(u-mean) - 0.5
	if d <= 0 {
		return u, 1
	}
	return u, math.Min(1, math.Erfc(d/math.Sqrt(2*variance)))
}

// exactMax is the largest group the exact distribution of U is computed for.
const exactMax = 25

// rank returns the mid-ranks (1-based) of x followed by y in the pooled
// sample, and the tie term Σ(t³−t) over groups of t tied values.
func rank(x, y []float64) ([]float64, float64) {
	n := len(x) + len(y)
	idx := make([]int, n)
	val := func(i int) float64 {
		if i < len(x) {
			return x[i]
		}
		return y[i-len(x)]
	}
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		va, vb := val(a), val(b)
		switch {
		case va < vb:
			return -1
		case va > vb:
			return 1
		}
		return 0
	})
	ranks := make([]float64, n)
	var ties float64
	for i := 0; i < n; {
		j := i + 1
		for j < n && val(idx[j]) == val(idx[i]) {
			j++
		}
		mid := float64(i+j+1) / 2
		for k := i; k < j; k++ {
			ranks[idx[k]] = mid
		}
		if t := float64(j - i); t > 1 {
			ties += t*t*t - t
		}
		i = j
	}
	return ranks, ties
}

// exactP is the exact two-sided p-value of the rank sum of the first n1
// of ranks (mid-ranks of the pooled sample): twice the smaller tail of its
// distribution over every way of choosing n1 of the ranks. Mid-ranks are
// halves at worst, so doubled they count exactly in integers.
func exactP(ranks []float64, n1 int) float64 {
	total := 0
	r2 := make([]int, len(ranks))
	obs := 0
	for i, r := range ranks {
		r2[i] = int(math.Round(2 * r))
		total += r2[i]
		if i < n1 {
			obs += r2[i]
		}
	}
	// ways[k][s]: the number of ways to pick k ranks summing (doubled) to s.
	ways := make([][]float64, n1+1)
	for k := range ways {
		ways[k] = make([]float64, total+1)
	}
	ways[0][0] = 1
	for i, r := range r2 {
		for k := min(i+1, n1); k >= 1; k-- {
			prev, cur := ways[k-1], ways[k]
			for s := total - r; s >= 0; s-- {
				if prev[s] != 0 {
					cur[s+r] += prev[s]
				}
			}
		}
	}
	var all, lo, hi float64
	for s, c := range ways[n1] {
		all += c
		if s <= obs {
			lo += c
		}
		if s >= obs {
			hi += c
		}
	}
	return math.Min(1, 2*math.Min(lo, hi)/all)
}

// minP is the smallest two-sided p-value a rank test can reach with groups
// of n1 and n2: when it is not below alpha, no difference can be shown
// significant and only the effect size can judge.
func minP(n1, n2 int) float64 {
	if n1 == 0 || n2 == 0 {
		return 1
	}
	// 2 / C(n1+n2, n1), in logs to avoid overflow.
	lg := func(k int) float64 { v, _ := math.Lgamma(float64(k) + 1); return v }
	return math.Min(1, 2*math.Exp(lg(n1)+lg(n2)-lg(n1+n2)))
}

// rankAutocorrelation estimates the lag-1 autocorrelation of the series
// (each a run's per-interval values in time order) on their pooled ranks,
// each centred on its own mean so a shift between runs does not count as
// correlation. It returns the variance inflation (1+ρ)/(1−ρ) of an AR(1)
// process, with ρ clamped to [0, 0.9]: serially correlated samples carry
// less information than their count suggests, so a test that ignored it
// would see significance in slow drifts.
func rankAutocorrelation(series [][]float64) float64 {
	var all []float64
	for _, s := range series {
		all = append(all, s...)
	}
	ranks, _ := rank(all, nil)
	var num, den float64
	off := 0
	for _, s := range series {
		r := ranks[off : off+len(s)]
		off += len(s)
		// A handful of points says nothing about their correlation.
		if len(r) < minSeries {
			continue
		}
		var m float64
		for _, v := range r {
			m += v
		}
		m /= float64(len(r))
		for i, v := range r {
			den += (v - m) * (v - m)
			if i > 0 {
				num += (v - m) * (r[i-1] - m)
			}
		}
	}
	if den == 0 {
		return 1
	}
	rho := min(max(num/den, 0), 0.9)
	return (1 + rho) / (1 - rho)
}

// minSeries is the shortest series rankAutocorrelation estimates from. A
// lag-1 autocorrelation read from fewer points has a standard error above
// 0.2 (about 1/√n): more noise than signal. On 10-second runs of this
// machine it read ρ ≈ 0.5 on series with no drift to speak of and tripled
// the variance, so a handler 22 % slower went unnoticed (p = 0.026 on 10
// against 10 seconds, every one of them slower). Shorter runs are guarded
// by the minimum effect instead: a change must be significantly beyond it.
const minSeries = 20

// median of xs (which it sorts); 0 when empty.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}
