//go:build race

package gates

// raceEnabled is set under -race, which slows the statistical trials some
// twentyfold.
const raceEnabled = true
