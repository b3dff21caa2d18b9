package runners

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/scenarios"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func TestReadTargets(t *testing.T) {
	t.Parallel()
	httpFmt := "GET http://127.0.0.1:1/a\nX-A: 1\n\nPOST http://127.0.0.1:1/b\nContent-Type: text/plain\n\nGET http://127.0.0.1:1/a\n"
	jsonFmt := `{"method":"GET","url":"http://127.0.0.1:1/a","header":{"X-A":["1"]}}
{"method":"POST","url":"http://127.0.0.1:1/b","body":"JHsieCJ9"}
{"method":"GET","url":"http://127.0.0.1:1/a"}
`
	for _, tt := range []struct{ format, src string }{{"http", httpFmt}, {"json", jsonFmt}} {
		reqs, err := ReadTargets(strings.NewReader(tt.src), tt.format)
		if err != nil {
			t.Fatalf("%s: %v", tt.format, err)
		}
		names := []string{"GET http://127.0.0.1:1/a", "POST http://127.0.0.1:1/b", "GET http://127.0.0.1:1/a #2"}
		if len(reqs) != 3 {
			t.Fatalf("%s: %d requests; want 3", tt.format, len(reqs))
		}
		for i, r := range reqs {
			if r.Name != names[i] {
				t.Errorf("%s: name %q; want %q", tt.format, r.Name, names[i])
			}
		}
		if h := reqs[0].Headers["X-A"]; h.Render(nil, nil) == nil || string(h.Render(nil, nil)) != "1" {
			t.Errorf("%s: header X-A = %q; want 1", tt.format, h.Render(nil, nil))
		}
		if tt.format == "json" && (reqs[1].Body == nil || string(reqs[1].Body.Render(nil, nil)) != `${"x"}`) {
			t.Errorf("json: body not taken literally: %v", reqs[1].Body)
		}
	}
}

func TestDumpIsReadByVegeta(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bad" {
			w.WriteHeader(500)
		}
		io.WriteString(w, "hello")
	}))
	defer srv.Close()
	for _, format := range []string{"gob", "json", "csv"} {
		var buf bytes.Buffer
		d, err := NewDump(&buf, format)
		if err != nil {
			t.Fatal(err)
		}
		o := newOpen(t, "", []metrics.Stage{{ForS: 0.5, Rate: 100}},
			Request{Name: "ok", Method: "GET", URL: mustTemplate(t, srv.URL+"/ok")},
			Request{Name: "bad", Method: "GET", URL: mustTemplate(t, srv.URL+"/bad")})
		d.Begin("v", o.Start, Names(o.Requests))
		got := collect(t, context.Background(), &Tee{Runner: o, Sink: d})
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		dec := map[string]func(io.Reader) vegeta.Decoder{"gob": vegeta.NewDecoder, "json": vegeta.NewJSONDecoder, "csv": vegeta.NewCSVDecoder}[format](&buf)
		var n, failed int
		for {
			var r vegeta.Result
			if err := dec.Decode(&r); err != nil {
				if err != io.EOF {
					t.Fatalf("%s: decode: %v", format, err)
				}
				break
			}
			n++
			if r.Error != "" {
				failed++
				if r.Code != 500 || r.Error != "http_5xx" {
					t.Errorf("%s: failed result %+v", format, r)
				}
			}
			if r.Timestamp.Before(o.Start) || r.Latency <= 0 || r.BytesIn != 5 {
				t.Errorf("%s: result %+v; want timestamp after t0, latency > 0, 5 bytes in", format, r)
			}
		}
		if n != len(got) || failed != n/2 {
			t.Errorf("%s: %d results (%d failed) in the dump; want %d (half failed)", format, n, failed, len(got))
		}
	}
}

func TestUniqueDataStopsTheRun(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Query().Get("u")]++
		mu.Unlock()
	}))
	defer srv.Close()
	d := &scenarios.Data{Mode: scenarios.DataUnique, Columns: []string{"user"}, Rows: [][]string{{"a"}, {"b"}, {"c"}, {"d"}, {"e"}}}
	o := newOpen(t, "", []metrics.Stage{{ForS: 3, Rate: 50}},
		Request{Name: "u", Method: "GET", URL: mustTemplate(t, srv.URL+"/?u=${row.user}"), Data: NewFeeder(d)})
	var notes []any
	o.SetNotes(func(l any) { notes = append(notes, l) })
	began := time.Now()
	got := collect(t, context.Background(), o)
	if len(got) != 5 || len(seen) != 5 {
		t.Errorf("%d results, users seen %v; want each of the 5 rows once", len(got), seen)
	}
	if el := time.Since(began); el > 2*time.Second {
		t.Errorf("Run took %v; want it to stop when the rows ran out", el)
	}
	if len(notes) != 1 || notes[0].(metrics.Note).Kind != metrics.NoteDataExhausted {
		t.Errorf("notes %v; want one data_exhausted", notes)
	}
}
