package metrics

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// A corrupted line in the middle of a record is skipped and counted, and the
// summary says so; the runs' figures come from the other lines.
func TestReadSkipsCorruptLines(t *testing.T) {
	t.Parallel()
	path := writeRecord(t, []Stage{{ForS: 3, Rate: 10}}, syntheticResults(3, 10, 0), true)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	// Damage the second interval line (lines: header, run, load, intervals…).
	lines[4] = `{"type":"interval","variant":"v","t":` + "\x00garbage\n"
	rec, err := Read(strings.NewReader(strings.Join(lines, "")))
	if err != nil {
		t.Fatalf("Read with one corrupt line = %v; want it skipped", err)
	}
	if rec.CorruptLines != 1 || len(rec.Corrupt) != 1 || !strings.HasPrefix(rec.Corrupt[0], "line 5:") {
		t.Errorf("CorruptLines %d %q; want 1 at line 5", rec.CorruptLines, rec.Corrupt)
	}
	if got, want := len(rec.Runs[0].Intervals), len(whole.Runs[0].Intervals)-1; got != want {
		t.Errorf("%d intervals; want %d (all but the corrupt one)", got, want)
	}
	s, err := Summarize(rec)
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(s.Runs[0].Warnings, "\n"); !strings.Contains(w, "1 malformed line(s) of the record skipped (line 5:") {
		t.Errorf("warnings %q; want the skipped line reported", w)
	}
	if _, err := Read(strings.NewReader("garbage\n" + string(data))); err == nil {
		t.Error("Read of a file whose first line is garbage = nil error; want one")
	}
}

// FuzzRead feeds arbitrary bytes to the record reader and, when they read
// as a record, to Summarize: neither may panic, hang or exhaust memory. The
// seeds are a real record, its truncations and a crafted far-future
// interval; testdata/fuzz/FuzzRead holds inputs the fuzzer found
// interesting.
func FuzzRead(f *testing.F) {
	path := writeRecord(f, []Stage{{ForS: 2, Rate: 5, Warmup: true}, {StartS: 2, ForS: 2, Rate: 5}}, syntheticResults(4, 5, 2), true)
	data, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:len(data)/2])
	lines := strings.SplitAfter(string(data), "\n")
	f.Add([]byte(strings.Join(lines[:3], "") + `{"type":"interval","variant":"v","t":100000000,"request":"a","stage":0,"requests":1,"errors":0,"bytes_in":0,"bytes_out":0}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		_, _ = Summarize(rec)
	})
}
