package scenarios

import "strings"

// suggest returns the candidate closest to word, or "" when none is close
// enough to be a plausible typo. A candidate equal to word after dropping
// case and punctuation wins outright ("p999" -> "p99.9"), then the only
// candidate that word starts ("lin" -> "linear"); otherwise the smallest
// edit distance wins and ties go to the longer candidate.
func suggest(word string, candidates []string) string {
	if word == "" {
		return ""
	}
	norm := normalizeName(word)
	for _, c := range candidates {
		if c != word && normalizeName(c) == norm {
			return c
		}
	}
	if len(word) >= 2 {
		var prefixed []string
		for _, c := range candidates {
			if strings.HasPrefix(strings.ToLower(c), strings.ToLower(word)) {
				prefixed = append(prefixed, c)
			}
		}
		if len(prefixed) == 1 {
			return prefixed[0]
		}
	}
	limit := min(len([]rune(word))/2, 3)
	if limit == 0 {
		return ""
	}
	best, bestDist := "", limit+1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(word), strings.ToLower(c))
		if d < bestDist || (d == bestDist && best != "" && len(c) > len(best)) {
			best, bestDist = c, d
		}
	}
	if bestDist > limit {
		return ""
	}
	return best
}

// hint formats a did-you-mean suffix for word, or "" when nothing is close.
func hint(word string, candidates []string) string {
	if s := suggest(word, candidates); s != "" {
		return ` (did you mean "` + s + `"?)`
	}
	return ""
}

func normalizeName(s string) string {
	s = strings.ToLower(s)
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '_' || r == '-' {
			return -1
		}
		return r
	}, s)
}

// editDistance is the Damerau-Levenshtein (optimal string alignment)
// distance, so a swap of two adjacent letters counts as one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
