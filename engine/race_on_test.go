//go:build race

package engine

// raceEnabled reports a -race build: timing figures mean nothing there.
const raceEnabled = true
