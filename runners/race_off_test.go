//go:build !race

package runners

// raceEnabled reports a -race build: timing figures mean little there.
const raceEnabled = false
