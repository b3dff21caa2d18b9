package reports

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

// formatCases are the fixtures the text formats are golden-tested on.
var formatCases = []struct {
	name string
	f    fixture
}{
	{"full", fullFixture},
	{"clean", fixture{seed: 3, variants: []string{"default"}, seconds: 8, rate: 100}},
	{"interrupted", fixture{seed: 5, variants: []string{"go", "jvm"}, seconds: 10, rate: 100, interrupt: "jvm", ths: defaultThresholds}},
}

func TestMarkdownGolden(t *testing.T) {
	t.Parallel()
	for _, tt := range formatCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := tt.f.write(t, t.TempDir())
			var buf bytes.Buffer
			if err := Markdown(&buf, summary(t, rec)); err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(buf.String(), "\n"); n > 60 {
				t.Errorf("Markdown is %d lines; want at most 60 for a PR comment", n)
			}
			golden(t, "markdown_"+tt.name+".golden.md", buf.Bytes())
		})
	}
}

// junitDoc mirrors the JUnit elements the test reads back.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    fixture
		// wantFailures maps "suite / case" to a substring of the failure message.
		wantFailures map[string]string
		wantPassing  []string
	}{
		{
			name: "full", f: fullFixture,
			wantFailures: map[string]string{
				"order-chain/go / error_rate < 1%":   "error_rate < 1%: measured 2.22%",
				"order-chain/jvm / error_rate < 1%":  "error_rate < 1%: measured 2.47%",
				"order-chain/jvm / p99 < 5ms [ping]": "p99 < 5ms: measured 5.02 ms",
			},
			wantPassing: []string{"order-chain/go / p99 < 250ms", "order-chain/go / p99 < 5ms [ping]", "order-chain/jvm / p99 < 250ms"},
		},
		{
			name: "clean", f: formatCases[1].f,
			wantPassing: []string{"order-chain/default / run completed"},
		},
		{
			name: "interrupted", f: formatCases[2].f,
			wantFailures: map[string]string{
				"order-chain/jvm / run completed": "run interrupted",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := tt.f.write(t, t.TempDir())
			var buf bytes.Buffer
			if err := JUnit(&buf, summary(t, rec)); err != nil {
				t.Fatal(err)
			}
			golden(t, "junit_"+tt.name+".golden.xml", buf.Bytes())
			var doc junitDoc
			if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatalf("JUnit output does not parse as XML: %v", err)
			}
			failures, passing, total := map[string]string{}, map[string]bool{}, 0
			for _, s := range doc.Suites {
				for _, c := range s.Cases {
					total++
					if want := "gauntlet.order-chain." + strings.TrimPrefix(s.Name, "order-chain/"); c.Classname != want {
						t.Errorf("case %q classname = %q; want %q", c.Name, c.Classname, want)
					}
					key := s.Name + " / " + c.Name
					if c.Failure != nil {
						failures[key] = c.Failure.Message
					} else {
						passing[key] = true
					}
				}
			}
			if doc.Tests != total || doc.Failures != len(failures) {
				t.Errorf("testsuites tests=%d failures=%d; want %d and %d", doc.Tests, doc.Failures, total, len(failures))
			}
			for key, msg := range tt.wantFailures {
				if got, ok := failures[key]; !ok || !strings.Contains(got, msg) {
					t.Errorf("failure of %q = %q; want it to contain %q", key, got, msg)
				}
			}
			for _, key := range tt.wantPassing {
				if !passing[key] {
					t.Errorf("%q did not pass", key)
				}
			}
		})
	}
}

func sides(t *testing.T) (Side, Side) {
	t.Helper()
	rec := fullFixture.write(t, t.TempDir())
	s := summary(t, rec)
	return Side{Label: "go", Record: rec, Run: rec.Runs[0], Summary: &s.Runs[0]},
		Side{Label: "jvm", Record: rec, Run: rec.Runs[1], Summary: &s.Runs[1]}
}

func TestCompareTextGolden(t *testing.T) {
	t.Parallel()
	skipUnderRace(t)
	a, b := sides(t)
	var buf bytes.Buffer
	if err := CompareText(&buf, a, b); err != nil {
		t.Fatal(err)
	}
	golden(t, "compare.golden.txt", buf.Bytes())
}

func TestCompareHTML(t *testing.T) {
	t.Parallel()
	skipUnderRace(t)
	a, b := sides(t)
	var one, two bytes.Buffer
	if err := CompareHTML(&one, a, b); err != nil {
		t.Fatal(err)
	}
	if err := CompareHTML(&two, a, b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(one.Bytes(), two.Bytes()) {
		t.Error("CompareHTML rendered twice differs")
	}
	out := one.String()
	for _, want := range []string{"go vs jvm", `class="best"`, "create-order p99", "gateway startup", "Latency over time",
		`aria-label="p50 and p99 latency over time, all runs"`, `id="distribution"`, "jvm: service inventory exited unexpectedly"} {
		if !strings.Contains(out, want) {
			t.Errorf("compare page lacks %q", want)
		}
	}
	if err := CompareHTML(&one, Side{Label: "x"}, b); err == nil {
		t.Error("CompareHTML without a record = nil error; want one")
	}
}
