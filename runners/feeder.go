package runners

import (
	"math/rand/v2"
	"sync/atomic"

	"github.com/gauntletbench/gauntlet/scenarios"
)

// A Feeder hands out the rows of a data file to iterations. It is safe for
// concurrent use; one Feeder serves every worker of a run.
type Feeder struct {
	mode string
	rows [][]string
	vars []string // template names of the columns: row.COLUMN
	next atomic.Uint64
}

// NewFeeder returns a feeder of d's rows (read by scenarios' Validate).
func NewFeeder(d *scenarios.Data) *Feeder {
	f := &Feeder{mode: d.Mode, rows: d.Rows}
	for _, c := range d.Columns {
		f.vars = append(f.vars, scenarios.RowVar(c))
	}
	return f
}

// Next returns the row for the next iteration, drawn with rng in random
// mode, and false once a unique feeder has handed out every row.
func (f *Feeder) Next(rng *rand.Rand) ([]string, bool) {
	n := uint64(len(f.rows))
	switch f.mode {
	case scenarios.DataRandom:
		return f.rows[rng.Uint64N(n)], true
	case scenarios.DataUnique:
		k := f.next.Add(1) - 1
		if k >= n {
			return nil, false
		}
		return f.rows[k], true
	}
	return f.rows[(f.next.Add(1)-1)%n], true
}

// Remaining is the number of rows a unique feeder has left; -1 for the
// other modes.
func (f *Feeder) Remaining() int64 {
	if f.mode != scenarios.DataUnique {
		return -1
	}
	return max(int64(len(f.rows))-int64(f.next.Load()), 0)
}
