//go:build race

package main

// raceEnabled reports a -race build: timing figures mean little there, and
// the tests that judge them run in make test's step without -race.
const raceEnabled = true
