package metrics

import (
	"math"
	"strings"
	"testing"
	"time"
)

// TestSummarizePlannedRateOverPlannedStages runs a plan that mixes a closed
// stage into an open one: the planned rate and the rate set against it come
// from the open stages only, while RPS covers every measured stage.
func TestSummarizePlannedRateOverPlannedStages(t *testing.T) {
	t.Parallel()
	stages := []Stage{
		{StartS: 0, ForS: 2, Rate: 100, Warmup: true, Kind: "open"},
		{StartS: 2, ForS: 4, Concurrency: 8, Kind: "closed"},
		{StartS: 6, ForS: 4, Rate: 50, Kind: "open"},
	}
	var results []Result
	// Request 0 is a flow, request 1 its one step: the plan schedules
	// flows, and run totals count steps.
	add := func(stage, fromS, secs, perSec int, requests ...uint16) {
		for s := fromS; s < fromS+secs; s++ {
			for i := range perSec {
				at := time.Duration(s)*time.Second + time.Duration(i)*time.Second/time.Duration(perSec)
				for _, r := range requests {
					results = append(results, Result{Intended: at, Sent: at, End: at + time.Millisecond, Code: 200, Stage: uint16(stage), Request: r})
				}
			}
		}
	}
	add(0, 0, 2, 100, 0, 1)
	add(1, 2, 4, 400, 1)   // the closed stage goes as fast as it can
	add(2, 6, 4, 49, 0, 1) // one planned flow a second short
	rec, err := ReadFile(writeRecord(t, stages, results, true))
	if err != nil {
		t.Fatal(err)
	}
	rec.Header.Requests, rec.Header.Flows = []string{"a", "a/step"}, []string{"a"}
	for i := range rec.Runs[0].Intervals {
		if iv := &rec.Runs[0].Intervals[i]; iv.Request == "b" {
			iv.Request = "a/step"
		}
	}
	s, err := Summarize(rec)
	if err != nil {
		t.Fatal(err)
	}
	rs := s.Runs[0]
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"planned_rps", rs.PlannedRPS, 50},
		{"plan_achieved_rps", rs.PlanAchievedRPS, 49},
		{"rps", rs.RPS, (4*400 + 4*49) / 8.0},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v; want %v", c.name, c.got, c.want)
		}
	}
	// 49 of 50 is within the 5 % the warning allows.
	for _, w := range rs.Warnings {
		if strings.Contains(w, "planned") {
			t.Errorf("warning %q; want none about the plan", w)
		}
	}
}

func TestSaturation(t *testing.T) {
	t.Parallel()
	apart := &CPUSets{Generator: "0", Services: "1"}
	shared := &CPUSets{Shared: "turned off"}
	for _, tc := range []struct {
		name   string
		l      cpuLoad
		by     string
		phrase string
	}{
		{"apart, nothing saturated", cpuLoad{sets: apart, genCPUs: 1, genMean: 0.2, genBusy: 0.5, svcBusy: 0.6}, "", ""},
		{"apart, services saturated, generator light", cpuLoad{sets: apart, genCPUs: 1, genMean: 0.1, genPeak: 0.95, genBusy: 0.3, svcBusy: 0.97, hostPeak: 1},
			SaturatedByServices, "the services' CPU 1, 97% busy: the services' limit, the figure stands"},
		{"apart, the generator used its CPU", cpuLoad{sets: apart, genCPUs: 1, genMean: 0.93, genBusy: 0.99, svcBusy: 0.99},
			SaturatedByGenerator, "the generator's CPU 0, 93% used by gauntlet itself"},
		{"apart, two generator CPUs half used", cpuLoad{sets: &CPUSets{Generator: "0-1", Services: "2-7"}, genCPUs: 2, genMean: 0.95, genBusy: 0.5, svcBusy: 0.5},
			"", ""},
		{"apart, both sets busy: the services' limit", cpuLoad{sets: apart, genCPUs: 1, genMean: 0.3, genBusy: 0.95, svcBusy: 0.95},
			SaturatedByServices, "figure stands"},
		{"apart, others on the generator's CPU", cpuLoad{sets: apart, genCPUs: 1, genMean: 0.3, genBusy: 0.96, svcBusy: 0.7},
			SaturatedByGenerator, "96% busy (gauntlet 30%, the rest other processes)"},
		{"shared, generator peak", cpuLoad{sets: shared, genPeak: 0.92, hostPeak: 1}, SaturatedByGenerator, "generator at 92% of a core"},
		{"shared, host peak", cpuLoad{sets: shared, genPeak: 0.3, hostPeak: 0.95, svcBusy: 0}, SaturatedByHost, "host CPU at 95%"},
		{"old record, no sets", cpuLoad{genPeak: 0.3, hostPeak: 0.5}, "", ""},
	} {
		by, text := saturation(tc.l)
		if by != tc.by || !strings.Contains(text, tc.phrase) || (tc.phrase == "") != (text == "") {
			t.Errorf("%s: saturation() = %q, %q; want %q with %q", tc.name, by, text, tc.by, tc.phrase)
		}
	}
}

// TestStagesAttributeSaturationFromReadings takes a pinned run's readings —
// the services' CPU full in the closed stage, the generator's CPU full of
// gauntlet in the open one — and checks each stage names whose CPUs.
func TestStagesAttributeSaturationFromReadings(t *testing.T) {
	t.Parallel()
	h := &Header{Stages: []Stage{{StartS: 0, ForS: 4, Concurrency: 8, Kind: "closed"}, {StartS: 4, ForS: 4, Rate: 100, Kind: "open"}},
		CPUSets: &CPUSets{Generator: "0", Services: "1"}}
	run := &Run{}
	for i := 1; i <= 32; i++ {
		at := float64(i) * 0.25
		gen, svc, genBusy := 0.1, 0.99, 0.2
		if at > 4 {
			gen, svc, genBusy = 0.97, 0.4, 1
		}
		run.Readings = append(run.Readings,
			Readings{T: at, Owner: OwnerGenerator, Values: map[string]float64{"cpu_utilization_ratio": gen}},
			Readings{T: at, Owner: OwnerHost, Values: map[string]float64{"host_cpu_utilization_ratio": (svc + genBusy) / 2}},
			Readings{T: at, Owner: OwnerHost, Values: map[string]float64{"generator_cpus_busy_ratio": genBusy, "services_cpus_busy_ratio": svc}})
	}
	ss, err := summarizeStages(h, run)
	if err != nil {
		t.Fatal(err)
	}
	if got := ss[0]; got.SaturatedBy != SaturatedByServices || math.Abs(got.ServicesCPUsBusy-0.99) > 1e-9 || math.Abs(got.GeneratorCPUsBusy-0.2) > 1e-9 {
		t.Errorf("closed stage: saturated by %q, services' CPUs %v, generator's %v; want services, 0.99, 0.2 (%s)",
			got.SaturatedBy, got.ServicesCPUsBusy, got.GeneratorCPUsBusy, got.Saturated)
	}
	if got := ss[1]; got.SaturatedBy != SaturatedByGenerator {
		t.Errorf("open stage: saturated by %q (%s); want generator", got.SaturatedBy, got.Saturated)
	}
}

// TestStageRateIsOverTheTimeItRan: a stage's rate is its requests over the
// seconds it ran, not over its plan when the run stopped inside it, and over
// the seconds its requests took to leave when the generator fell behind.
func TestStageRateIsOverTheTimeItRan(t *testing.T) {
	t.Parallel()
	stages := []Stage{{StartS: 0, ForS: 4, Rate: 100}, {StartS: 4, ForS: 4, Rate: 200}, {StartS: 8, ForS: 4, Rate: 300}}
	// intervals returns n one-second intervals of stage, from second first,
	// with rate requests each; the last one's requests left until sentUntil.
	intervals := func(stage, first, n int, rate int64, sentUntil float64) []Interval {
		var out []Interval
		for i := range n {
			iv := Interval{T: first + i, Request: "r", Stage: stage, Requests: rate}
			if i == n-1 {
				iv.SentUntilS = sentUntil
			}
			out = append(out, iv)
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		intervals [][]Interval
		endS      float64 // 0: no end line (a crashed run's record)
		want      []float64
	}{
		{"ran in full", [][]Interval{intervals(0, 0, 4, 100, 0), intervals(1, 4, 4, 200, 0), intervals(2, 8, 4, 300, 0)}, 12, []float64{100, 200, 300}},
		{"stopped 2 s into the second stage", [][]Interval{intervals(0, 0, 4, 100, 0), intervals(1, 4, 2, 200, 0)}, 6, []float64{100, 200, 0}},
		{"crashed 2 s into the second stage", [][]Interval{intervals(0, 0, 4, 100, 0), intervals(1, 4, 2, 200, 0)}, 0, []float64{100, 200, 0}},
		{"the generator sent the first stage's last requests 1 s late", [][]Interval{intervals(0, 0, 4, 100, 5), intervals(1, 4, 4, 200, 0), intervals(2, 8, 4, 300, 0)}, 12, []float64{80, 200, 300}},
	} {
		h := &Header{Stages: stages}
		run := &Run{}
		for _, ivs := range tc.intervals {
			run.Intervals = append(run.Intervals, ivs...)
		}
		if tc.endS > 0 {
			run.End = &RunEnd{DurationS: tc.endS}
		}
		ss, err := summarizeStages(h, run)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range tc.want {
			if math.Abs(ss[i].RPS-want) > 1e-9 {
				t.Errorf("%s: stage %d rps = %v; want %v", tc.name, i, ss[i].RPS, want)
			}
		}
	}
}
