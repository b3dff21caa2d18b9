//go:build !race

package contract

// raceEnabled reports that the tests, and so the Go baseline they build, use -race.
const raceEnabled = false
