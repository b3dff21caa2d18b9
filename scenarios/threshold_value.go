package scenarios

import (
	"errors"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Units a threshold value may carry, by kind. Memory units are powers of
// 1024 (KB = KiB), as ps and top report resident memory.
var (
	durationUnits = []string{"ns", "us", "µs", "ms", "s", "m", "h"}
	bytesUnits    = map[string]float64{"B": 1, "bytes": 1, "KB": 1 << 10, "KiB": 1 << 10, "MB": 1 << 20, "MiB": 1 << 20, "GB": 1 << 30, "GiB": 1 << 30}
	rateUnits     = []string{"/s", "req/s", "rps"}
)

func knownUnits() []string {
	out := slices.Concat(durationUnits, rateUnits, []string{"%"})
	for u := range bytesUnits {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// unitsOf lists the units a kind of metric takes, for hints.
func unitsOf(kind unitKind) []string {
	switch kind {
	case durationUnit, msUnit:
		return durationUnits
	case ratioUnit:
		return []string{"%"}
	case rateUnit:
		return rateUnits
	case bytesUnit:
		return []string{"B", "KB", "MB", "GB", "KiB", "MiB", "GiB", "bytes"}
	}
	return nil
}

// unitKindName says what a metric takes, for "takes X, not Y" messages.
var unitKindName = map[unitKind]string{
	durationUnit: "a duration (us, ms, s)",
	msUnit:       "milliseconds (a bare number, or a duration like 1.5s)",
	ratioUnit:    "a percentage or a ratio (1% or 0.01)",
	countUnit:    "a whole number",
	rateUnit:     "requests per second (e.g. 1000 or 1000/s)",
	bytesUnit:    "a memory size (B, KB, MB, GB)",
	factorUnit:   "a number without a unit (e.g. 1.5)",
}

var numberPrefix = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?`)

// splitValue splits "250ms" into 250 and "ms". ok is false when val does
// not start with a number.
func splitValue(val string) (num float64, unit string, ok bool) {
	loc := numberPrefix.FindStringIndex(val)
	if loc == nil {
		return 0, "", false
	}
	num, err := strconv.ParseFloat(val[:loc[1]], 64)
	if err != nil || math.IsInf(num, 0) {
		return 0, "", false
	}
	return num, strings.TrimSpace(val[loc[1]:]), true
}

// thresholdValue converts val to metric's canonical unit.
func thresholdValue(metric string, kind unitKind, val string) (float64, error) {
	if kind == durationUnit || kind == msUnit {
		// Composite durations like 1m30s.
		if d, err := time.ParseDuration(strings.ReplaceAll(val, " ", "")); err == nil && d >= 0 {
			return float64(d) / float64(time.Millisecond), nil
		}
	}
	num, unit, ok := splitValue(val)
	if !ok {
		return 0, invalidValue(metric, kind, val)
	}
	if unit != "" && !slices.Contains(knownUnits(), unit) {
		return 0, errors.New("unknown unit " + strconv.Quote(unit) + " in " + strconv.Quote(val) +
			or(hint(unit, unitsOf(kind)), or(hint(unit, knownUnits()), "; "+metric+" takes "+unitKindName[kind])))
	}
	if num < 0 {
		return 0, errors.New("must be >= 0, got " + val)
	}
	misfit := func() error {
		return errors.New(metric + " takes " + unitKindName[kind] + ", not " + strconv.Quote(unit))
	}
	switch kind {
	case durationUnit, msUnit:
		if unit == "" {
			if kind == msUnit {
				return num, nil
			}
			return 0, errors.New("add a unit to " + val + ", e.g. " + val + "ms")
		}
		if !slices.Contains(durationUnits, unit) {
			return 0, misfit()
		}
		d, err := time.ParseDuration(strings.ReplaceAll(val, " ", ""))
		if err != nil {
			return 0, invalidValue(metric, kind, val)
		}
		return float64(d) / float64(time.Millisecond), nil
	case ratioUnit:
		switch unit {
		case "%":
			if num > 100 {
				return 0, errors.New("invalid percentage " + strconv.Quote(val) + " (use 0% to 100%)")
			}
			return num / 100, nil
		case "":
			if num > 1 {
				return 0, errors.New(metric + " is a ratio from 0 to 1; write " + val + "% or " + strconv.FormatFloat(num/100, 'g', -1, 64))
			}
			return num, nil
		}
		return 0, misfit()
	case countUnit:
		if unit != "" {
			return 0, misfit()
		}
		if num != math.Trunc(num) || num > 1<<53 {
			return 0, errors.New("invalid count " + strconv.Quote(val) + " (use a whole number)")
		}
		return num, nil
	case rateUnit:
		if unit != "" && !slices.Contains(rateUnits, unit) {
			return 0, misfit()
		}
		return num, nil
	case factorUnit:
		if unit != "" {
			return 0, misfit()
		}
		return num, nil
	default: // bytesUnit
		if unit == "" {
			return 0, errors.New("add a unit to " + val + ", e.g. " + val + "MB")
		}
		f, ok := bytesUnits[unit]
		if !ok {
			return 0, misfit()
		}
		return num * f, nil
	}
}

func invalidValue(metric string, kind unitKind, val string) error {
	switch kind {
	case durationUnit:
		return errors.New("invalid duration " + strconv.Quote(val) + " (use e.g. 250ms, 1s)")
	case ratioUnit:
		return errors.New("invalid " + metric + " " + strconv.Quote(val) + " (use e.g. 1% or 0.01)")
	case countUnit:
		return errors.New("invalid count " + strconv.Quote(val) + " (use a whole number)")
	}
	return errors.New("invalid value " + strconv.Quote(val) + "; " + metric + " takes " + unitKindName[kind])
}
