//go:build !race

package reports

// raceEnabled reports a -race build (see skipUnderRace).
const raceEnabled = false
