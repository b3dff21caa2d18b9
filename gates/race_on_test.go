//go:build race

package gates

// raceEnabled is set under -race, which slows the statistical trials some 30
// times (HDR histogram decoding).
const raceEnabled = true
