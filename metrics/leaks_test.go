package metrics

import (
	"testing"
)

func TestLeaks(t *testing.T) {
	t.Parallel()
	rd := func(t float64, values map[string]float64) Readings {
		return Readings{T: t, Owner: "api", Values: values}
	}
	settle := Note{Kind: NoteSettle, T: 10, Text: "12"}
	tests := []struct {
		name        string
		readings    []Readings
		notes       []Note
		wantChecked bool
		want        []string // leaking resources
	}{
		{"no settle period", []Readings{rd(-0.2, map[string]float64{"goroutines": 8}), rd(15, map[string]float64{"goroutines": 900})},
			nil, false, nil},
		{"back to idle", []Readings{
			rd(-0.2, map[string]float64{"goroutines": 8, "threads": 7, "open_fds": 9, "rss_bytes": 8e6}),
			rd(5, map[string]float64{"goroutines": 400, "threads": 12, "open_fds": 300, "rss_bytes": 40e6}),
			rd(10.5, map[string]float64{"goroutines": 210, "threads": 12, "open_fds": 150, "rss_bytes": 41e6}),
			rd(22, map[string]float64{"goroutines": 12, "threads": 8, "open_fds": 11, "rss_bytes": 41e6}),
		}, []Note{settle}, true, nil},
		{"goroutines stuck high", []Readings{
			rd(-0.2, map[string]float64{"goroutines": 8}),
			rd(10.5, map[string]float64{"goroutines": 608}),
			rd(22, map[string]float64{"goroutines": 608}),
		}, []Note{settle}, true, []string{"goroutines"}},
		{"high but falling: connections closing", []Readings{
			rd(-0.2, map[string]float64{"open_fds": 10}),
			rd(10.5, map[string]float64{"open_fds": 300}),
			rd(22, map[string]float64{"open_fds": 200}),
		}, []Note{settle}, true, nil},
		{"goroutines drop as the load's connections close, then stay high", []Readings{
			rd(-0.2, map[string]float64{"goroutines": 8}),
			rd(10.5, map[string]float64{"goroutines": 660}),
			rd(12, map[string]float64{"goroutines": 607}),
			rd(15.5, map[string]float64{"goroutines": 606}),
			rd(22, map[string]float64{"goroutines": 606}),
		}, []Note{settle}, true, []string{"goroutines"}},
		{"still falling late in the settle period", []Readings{
			rd(-0.2, map[string]float64{"open_fds": 10}),
			rd(10.5, map[string]float64{"open_fds": 300}),
			rd(15.5, map[string]float64{"open_fds": 280}),
			rd(22, map[string]float64{"open_fds": 150}),
		}, []Note{settle}, true, nil},
		{"rss above idle but flat: the allocator keeps it", []Readings{
			rd(-0.2, map[string]float64{"rss_bytes": 8e6}),
			rd(10.5, map[string]float64{"rss_bytes": 90e6}),
			rd(22, map[string]float64{"rss_bytes": 90.5e6}),
		}, []Note{settle}, true, nil},
		{"rss still rising", []Readings{
			rd(-0.2, map[string]float64{"rss_bytes": 8e6}),
			rd(10.5, map[string]float64{"rss_bytes": 60e6}),
			rd(22, map[string]float64{"rss_bytes": 90e6}),
		}, []Note{settle}, true, []string{"rss_bytes"}},
		{"within tolerance", []Readings{
			rd(-0.2, map[string]float64{"goroutines": 100, "threads": 20}),
			rd(10.5, map[string]float64{"goroutines": 118, "threads": 24}),
			rd(22, map[string]float64{"goroutines": 119, "threads": 24}),
		}, []Note{settle}, true, nil},
		{"threads a Go runtime started under load and keeps", []Readings{
			rd(-0.2, map[string]float64{"threads": 6}),
			rd(10.5, map[string]float64{"threads": 9}),
			rd(22, map[string]float64{"threads": 9}),
		}, []Note{settle}, true, nil},
		{"a thread per request, never ended", []Readings{
			rd(-0.2, map[string]float64{"threads": 6}),
			rd(10.5, map[string]float64{"threads": 15}),
			rd(22, map[string]float64{"threads": 15}),
		}, []Note{settle}, true, []string{"threads"}},
		{"no idle reading", []Readings{
			rd(10.5, map[string]float64{"goroutines": 608}),
			rd(22, map[string]float64{"goroutines": 608}),
		}, []Note{settle}, false, nil},
	}
	for _, tt := range tests {
		run := &Run{Readings: tt.readings, Notes: tt.notes}
		got, checked := leaks(run, "api")
		var names []string
		for _, l := range got {
			names = append(names, l.Resource)
		}
		if checked != tt.wantChecked || len(names) != len(tt.want) || (len(names) > 0 && names[0] != tt.want[0]) {
			t.Errorf("%s: leaks = %+v, checked %v; want %v, checked %v", tt.name, got, checked, tt.want, tt.wantChecked)
		}
	}
	stuck, _ := leaks(&Run{Readings: tests[2].readings, Notes: []Note{settle}}, "api")
	if l := stuck[0]; l.Idle != 8 || l.Start != 608 || l.End != 608 || l.Limit != 18 {
		t.Errorf("stuck goroutines = %+v; want idle 8, 608 → 608, limit 18 (8 + 10)", l)
	}
}
