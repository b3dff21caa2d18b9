package metrics

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrCannotMerge is returned by Merge when records cannot be merged: they
// come from different scenarios or plans, or from the search model, whose
// generators each adapt their own load.
var ErrCannotMerge = errors.New("records cannot be merged")

// MergedInput is one record a merged record was made from.
type MergedInput struct {
	Path    string   `json:"path,omitempty"`
	RunID   string   `json:"run_id"`
	Host    string   `json:"host,omitempty"`
	Segment *Segment `json:"segment,omitempty"`
	// Tag is the suffix this input's service events and readings carry in
	// the merged record ("#2": owners "generator#2", "host#2", "api#2");
	// empty for the first input, whose names are kept.
	Tag       string `json:"tag,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
}

// Merge combines the records of one distributed run — the segments that n
// generators ran of one scenario — into one record, exactly:
//
//   - Runs are matched by variant. Interval offsets are re-based on the
//     earliest load start of the variant: an interval whose wall time is its
//     run's load start + T s lands at T' = floor(wall − earliest start) in
//     whole seconds, and intervals with the same T', request and stage are
//     merged — counts and status/class maps summed, HDR histograms merged
//     exactly.
//   - The first input (in segment order) keeps its service events and
//     readings under their own names; every other input's carry its tag
//     ("generator#2", "api#2"), so no generator's resource figures are
//     counted as another's. Fault events come from one input only (the first
//     that has any: segment 1 injects the faults), so a fault is not counted
//     n times. Times of readings, faults and notes are re-based too.
//   - Each run ends with the worst status of its inputs and the latest end;
//     the header is the first input's with the segment cleared and the
//     inputs listed in Merged.
//
// Records of different scenarios, requests or stage plans are refused with
// ErrCannotMerge. Merge also returns warnings: segments that are not a
// complete distinct set 1..n, truncated inputs, faults left out. The input
// records must not be used afterwards: the merged one shares their data.
func Merge(recs []*Record) (*Record, []string, error) {
	if len(recs) == 0 {
		return nil, nil, fmt.Errorf("%w: no records", ErrCannotMerge)
	}
	in := slices.Clone(recs)
	slices.SortStableFunc(in, func(a, b *Record) int { return cmp.Compare(segmentIndex(a), segmentIndex(b)) })
	if err := sameScenario(in); err != nil {
		return nil, nil, err
	}
	if err := distinctRuns(in); err != nil {
		return nil, nil, err
	}
	warns := segmentWarnings(in)
	tags := inputTags(in)
	out := &Record{Header: mergedHeader(in, tags), Trailer: mergedTrailer(in)}
	for _, variant := range variantsOf(in) {
		run, w := mergeRun(variant, in, tags)
		out.Runs = append(out.Runs, run)
		warns = append(warns, w...)
	}
	return out, warns, nil
}

// segmentIndex orders inputs: whole runs first, then by segment.
func segmentIndex(rec *Record) int {
	if rec.Header.Segment == nil {
		return 0
	}
	return rec.Header.Segment.Index
}

// recordName names a record in messages.
func recordName(rec *Record) string {
	if rec.Path != "" {
		return rec.Path
	}
	return "run " + rec.Header.RunID
}

// distinctRuns refuses the same run given twice (the same record, or a
// copy): its requests would be counted twice.
func distinctRuns(in []*Record) error {
	type runKey struct {
		id      string
		started time.Time
		segment int
	}
	seen := map[runKey]string{}
	for _, rec := range in {
		k := runKey{rec.Header.RunID, rec.Header.StartedAt, segmentIndex(rec)}
		if first, dup := seen[k]; dup {
			return fmt.Errorf("%w: %s and %s are the same run (run id %q): merging it twice would count its requests twice",
				ErrCannotMerge, first, recordName(rec), k.id)
		}
		seen[k] = recordName(rec)
	}
	return nil
}

func sameScenario(in []*Record) error {
	first := in[0]
	h0 := &first.Header
	for _, rec := range in {
		h := &rec.Header
		var diff string
		switch {
		case h.Model == "search":
			return fmt.Errorf("%w: %s is a capacity search (model search): each generator's search adapts its own load, so their records do not add up",
				ErrCannotMerge, recordName(rec))
		case h.Scenario != h0.Scenario:
			diff = fmt.Sprintf("scenario %q, not %q", h.Scenario, h0.Scenario)
		case h.Model != h0.Model:
			diff = fmt.Sprintf("load model %q, not %q", h.Model, h0.Model)
		case !slices.Equal(h.Requests, h0.Requests):
			diff = fmt.Sprintf("requests %v, not %v", h.Requests, h0.Requests)
		case !slices.Equal(h.Stages, h0.Stages):
			diff = "a different stage plan"
		}
		if diff != "" {
			return fmt.Errorf("%w: %s has %s (%s): merge only the records of one scenario", ErrCannotMerge, recordName(rec), diff, recordName(first))
		}
	}
	return nil
}

// segmentWarnings says what is unusual about the inputs: truncated records,
// and segments that are not one complete distinct set 1..n.
func segmentWarnings(in []*Record) []string {
	var warns []string
	for _, rec := range in {
		if rec.Truncated {
			warns = append(warns, fmt.Sprintf("%s is truncated (its run crashed, was killed or is still going): merged as it is", recordName(rec)))
		}
	}
	var whole []string
	count := 0
	seen := map[int]int{}
	for _, rec := range in {
		s := rec.Header.Segment
		if s == nil || s.Whole() {
			whole = append(whole, recordName(rec))
			continue
		}
		if count != 0 && s.Count != count {
			warns = append(warns, fmt.Sprintf("%s is segment %s, but an earlier record splits the load into %d: the shares do not add up to one scenario's load",
				recordName(rec), s, count))
		}
		count = max(count, s.Count)
		seen[s.Index]++
	}
	switch {
	case len(whole) == len(in) && len(in) > 1:
		warns = append(warns, fmt.Sprintf("none of the %d records is a segment (run --segment i/n): the merged load is the sum of %d whole runs", len(in), len(in)))
	case len(whole) > 0 && count > 0:
		warns = append(warns, fmt.Sprintf("%s ran the whole load, not a segment: the merged load is more than the scenario's", strings.Join(whole, ", ")))
	}
	var missing, twice []string
	for i := 1; i <= count; i++ {
		switch {
		case seen[i] == 0:
			missing = append(missing, Segment{Index: i, Count: count}.String())
		case seen[i] > 1:
			twice = append(twice, Segment{Index: i, Count: count}.String())
		}
	}
	if len(missing) > 0 {
		warns = append(warns, fmt.Sprintf("segments %s are missing: the merged record holds only part of the load", strings.Join(missing, ", ")))
	}
	if len(twice) > 0 {
		warns = append(warns, fmt.Sprintf("segments %s appear more than once: their share is counted twice", strings.Join(twice, ", ")))
	}
	return warns
}

// inputTags gives every input but the first a distinct suffix for the names
// of its services and reading owners: "#INDEX" of its segment, or "#N" of
// its position.
func inputTags(in []*Record) []string {
	tags := make([]string, len(in))
	used := map[string]bool{}
	for i, rec := range in[1:] {
		tag := "#" + strconv.Itoa(i+2)
		if s := rec.Header.Segment; s != nil && !used["#"+strconv.Itoa(s.Index)] {
			tag = "#" + strconv.Itoa(s.Index)
		}
		for n := i + 2; used[tag]; n++ {
			tag = "#" + strconv.Itoa(n)
		}
		used[tag] = true
		tags[i+1] = tag
	}
	return tags
}

func mergedHeader(in []*Record, tags []string) Header {
	h := in[0].Header
	h.Segment = nil
	h.Merged = nil
	for i, rec := range in {
		if rec.Header.StartedAt.Before(h.StartedAt) {
			h.StartedAt = rec.Header.StartedAt
		}
		// Segments other than the first leave out the thresholds that
		// judge faults; the merged record judges them all.
		if s := rec.Header.Segment; (s == nil || !s.FaultsSkipped) && len(rec.Header.Thresholds) > len(h.Thresholds) {
			h.Thresholds = rec.Header.Thresholds
		}
		h.Merged = append(h.Merged, MergedInput{Path: rec.Path, RunID: rec.Header.RunID, Host: rec.Header.Host.Hostname,
			Segment: rec.Header.Segment, Tag: tags[i], Truncated: rec.Truncated})
	}
	return h
}

func mergedTrailer(in []*Record) *Trailer {
	t := &Trailer{Type: LineTrailer}
	for _, rec := range in {
		status := StatusTruncated
		if rec.Trailer != nil {
			status = rec.Trailer.Status
			if rec.Trailer.End.After(t.End) {
				t.End = rec.Trailer.End
			}
		}
		t.Status = worseStatus(t.Status, status)
	}
	return t
}

// statusRank orders run statuses from best to worst.
var statusRank = map[string]int{"": -1, StatusCompleted: 0, StatusSkipped: 1, StatusAborted: 2,
	StatusInterrupted: 3, StatusTruncated: 4, StatusFailed: 5}

func worseStatus(a, b string) string {
	ra, oka := statusRank[a]
	rb, okb := statusRank[b]
	if !oka {
		ra = statusRank[StatusFailed]
	}
	if !okb {
		rb = statusRank[StatusFailed]
	}
	if rb > ra {
		return b
	}
	return a
}

func variantsOf(in []*Record) []string {
	var out []string
	for _, rec := range in {
		for _, run := range rec.Runs {
			if !slices.Contains(out, run.Start.Variant) {
				out = append(out, run.Start.Variant)
			}
		}
	}
	return out
}

// part is one input's run of a variant, with its load start's offset from
// the merged run's.
type part struct {
	rec  *Record
	run  *Run
	tag  string
	off  time.Duration
	offS float64
}

// mergeRun merges the runs of one variant.
func mergeRun(variant string, in []*Record, tags []string) (*Run, []string) {
	var parts []part
	var base time.Time
	for i, rec := range in {
		for _, run := range rec.Runs {
			if run.Start.Variant != variant {
				continue
			}
			parts = append(parts, part{rec: rec, run: run, tag: tags[i]})
			if run.Load != nil && (base.IsZero() || run.Load.Start.Before(base)) {
				base = run.Load.Start
			}
		}
	}
	var warns []string
	out := &Run{Start: RunStart{Type: LineRun, Variant: variant}}
	if !base.IsZero() {
		out.Load = &LoadStart{Type: LineLoad, Variant: variant, Start: base}
	}
	for i := range parts {
		p := &parts[i]
		if p.run.Load != nil {
			p.off = p.run.Load.Start.Sub(base)
			p.offS = p.off.Seconds()
			out.Load.PlannedS = max(out.Load.PlannedS, p.run.Load.PlannedS)
		}
		if out.Start.Start.IsZero() || p.run.Start.Start.Before(out.Start.Start) {
			out.Start.Start = p.run.Start.Start
		}
	}
	out.Intervals = mergeIntervals(parts, in[0].Header.Requests)
	faultsFrom := -1
	for i, p := range parts {
		for _, ev := range p.run.Services {
			ev.Service += p.tag
			out.Services = append(out.Services, ev)
		}
		for _, rd := range p.run.Readings {
			rd.Owner += p.tag
			rd.T += p.offS
			out.Readings = append(out.Readings, rd)
		}
		for _, n := range p.run.Notes {
			n.T += p.offS
			out.Notes = append(out.Notes, n)
		}
		if len(p.run.Faults) == 0 {
			continue
		}
		if faultsFrom >= 0 {
			warns = append(warns, fmt.Sprintf("%s: the fault events of %s are left out: those of %s are kept, so that no fault counts twice",
				variant, recordName(p.rec), recordName(parts[faultsFrom].rec)))
			continue
		}
		faultsFrom = i
		for _, fe := range p.run.Faults {
			fe.T += p.offS
			out.Faults = append(out.Faults, fe)
		}
	}
	slices.SortStableFunc(out.Services, func(a, b ServiceEvent) int { return a.Time.Compare(b.Time) })
	slices.SortStableFunc(out.Readings, func(a, b Readings) int { return cmp.Compare(a.T, b.T) })
	slices.SortStableFunc(out.Notes, func(a, b Note) int { return cmp.Compare(a.T, b.T) })
	end, w := mergeEnd(variant, parts)
	out.End = end
	return out, append(warns, w...)
}

// mergeEnd closes a merged run: the worst status and the latest end of its
// parts. A part that was skipped while others ran only costs a warning.
func mergeEnd(variant string, parts []part) (*RunEnd, []string) {
	end := &RunEnd{Type: LineRunEnd, Variant: variant}
	var errs, skipped, warns []string
	ran := 0
	for _, p := range parts {
		if p.run.End == nil || p.run.End.Status != StatusSkipped {
			ran++
		}
	}
	for _, p := range parts {
		re := p.run.End
		status, dur := StatusTruncated, 0.0
		if re != nil {
			status, dur = re.Status, re.DurationS
			if re.End.After(end.End) {
				end.End = re.End
			}
			if re.Error != "" && !slices.Contains(errs, re.Error) {
				errs = append(errs, re.Error)
			}
		} else if n := len(p.run.Intervals); n > 0 {
			dur = float64(p.run.Intervals[n-1].T+1) * IntervalLength.Seconds()
		}
		if status == StatusSkipped && ran > 0 {
			skipped = append(skipped, recordName(p.rec))
			continue
		}
		end.Status = worseStatus(end.Status, status)
		if p.run.Load != nil {
			end.DurationS = max(end.DurationS, p.offS+dur)
		}
	}
	end.Error = strings.Join(errs, "; ")
	if len(skipped) > 0 {
		warns = append(warns, fmt.Sprintf("%s: skipped in %s: the merged figures miss that share of the load", variant, strings.Join(skipped, ", ")))
	}
	return end, warns
}

// ivKey identifies one merged interval.
type ivKey struct {
	t     int
	req   string
	stage int
}

// mergeIntervals re-bases every part's intervals on the merged load start
// and merges those that fall on the same second, request and stage. An
// interval with a single contributor is kept as it is; the others are merged
// one key at a time through three reused histograms, so memory stays flat.
func mergeIntervals(parts []part, names []string) []Interval {
	groups := map[ivKey][]*Interval{}
	var keys []ivKey
	for _, p := range parts {
		if p.run.Load == nil {
			continue
		}
		for i := range p.run.Intervals {
			iv := &p.run.Intervals[i]
			wall := p.off + time.Duration(iv.T)*IntervalLength
			k := ivKey{t: int(wall / IntervalLength), req: iv.Request, stage: iv.Stage}
			if _, ok := groups[k]; !ok {
				keys = append(keys, k)
			}
			groups[k] = append(groups[k], iv)
		}
	}
	order := map[string]int{}
	for i, n := range names {
		order[n] = i
	}
	rank := func(name string) int {
		if i, ok := order[name]; ok {
			return i
		}
		return math.MaxInt
	}
	slices.SortFunc(keys, func(a, b ivKey) int {
		return cmp.Or(cmp.Compare(a.t, b.t), cmp.Compare(rank(a.req), rank(b.req)), strings.Compare(a.req, b.req), cmp.Compare(a.stage, b.stage))
	})
	out := make([]Interval, 0, len(keys))
	var hs *ivHistograms
	for _, k := range keys {
		g := groups[k]
		if len(g) == 1 {
			iv := *g[0]
			iv.T = k.t
			// Generators start apart by fractions of a second, so slots
			// would not line up: merged records recover at 1 s resolution.
			iv.Slots = nil
			out = append(out, iv)
			continue
		}
		if hs == nil {
			hs = newIvHistograms()
		}
		out = append(out, hs.merge(k, g))
	}
	return out
}

// ivHistograms are the histograms one interval merge reuses.
type ivHistograms struct{ lat, svc, lag *Histogram }

func newIvHistograms() *ivHistograms {
	return &ivHistograms{lat: NewHistogram(), svc: NewHistogram(), lag: NewHistogram()}
}

func (hs *ivHistograms) merge(k ivKey, g []*Interval) Interval {
	iv := Interval{Type: LineInterval, Variant: g[0].Variant, T: k.t, Request: k.req, Stage: k.stage}
	hs.lat.Reset()
	hs.svc.Reset()
	hs.lag.Reset()
	var bad error
	for _, src := range g {
		iv.Requests += src.Requests
		iv.Errors += src.Errors
		iv.Dropped += src.Dropped
		iv.Canceled += src.Canceled
		iv.BytesIn += src.BytesIn
		iv.BytesOut += src.BytesOut
		iv.Clamped += src.Clamped
		iv.Codes = addCounts(iv.Codes, src.Codes)
		iv.Classes = addCounts(iv.Classes, src.Classes)
		bad = cmp.Or(bad, hs.lat.MergeEncoded(src.Latency), hs.svc.MergeEncoded(src.Service), hs.lag.MergeEncoded(src.Lag))
	}
	if bad != nil {
		// A histogram that does not decode would fail the summary of its
		// own record too; keep the first input's so the error surfaces there.
		iv.Latency, iv.Service, iv.Lag = g[0].Latency, g[0].Service, g[0].Lag
		return iv
	}
	// Encoding a decoded histogram cannot fail.
	iv.Latency, _ = hs.lat.Encode()
	iv.Service, _ = hs.svc.Encode()
	iv.Lag, _ = hs.lag.Encode()
	return iv
}

func addCounts(dst, src map[string]int64) map[string]int64 {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]int64, len(src))
	}
	for k, v := range src {
		dst[k] += v
	}
	return dst
}

// WriteRecord writes rec to a new record file at path: the header, each run's
// lines, and the trailer.
func WriteRecord(path string, rec *Record) error {
	w, err := Create(path)
	if err != nil {
		return err
	}
	werr := writeLines(w, rec)
	if err := w.Close(); err != nil && werr == nil {
		werr = err
	}
	return werr
}

func writeLines(w *Writer, rec *Record) error {
	h := rec.Header
	h.Type = LineHeader
	if err := w.Write(h); err != nil {
		return err
	}
	for _, run := range rec.Runs {
		lines := []Line{run.Start}
		for _, ev := range run.Services {
			lines = append(lines, ev)
		}
		if run.Load != nil {
			lines = append(lines, *run.Load)
		}
		for _, rd := range run.Readings {
			lines = append(lines, rd)
		}
		for _, fe := range run.Faults {
			lines = append(lines, fe)
		}
		for _, n := range run.Notes {
			lines = append(lines, n)
		}
		for _, p := range run.Probes {
			lines = append(lines, p)
		}
		if err := w.Write(lines...); err != nil {
			return err
		}
		for batch := range slices.Chunk(run.Intervals, 512) {
			lines = lines[:0]
			for _, iv := range batch {
				lines = append(lines, iv)
			}
			if err := w.Write(lines...); err != nil {
				return err
			}
		}
		if run.End != nil {
			if err := w.Write(*run.End); err != nil {
				return err
			}
		}
	}
	if rec.Trailer != nil {
		return w.Write(*rec.Trailer)
	}
	return nil
}
