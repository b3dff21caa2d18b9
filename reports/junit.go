package reports

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"

	"github.com/gauntletbench/gauntlet/metrics"
)

// JUnit writes s as JUnit XML for CI test views: one <testsuite> per run
// (variant) and one <testcase> per threshold, named by its expression and
// request scope, with classname "gauntlet.<scenario>.<variant>". A failing
// threshold carries a <failure> whose message states the measured value. A
// run that did not complete adds a failing "run completed" case; a run
// without thresholds gets one passing "run completed" case. A capacity
// search adds a passing "capacity search" case whose output is the rate
// found and the probe table.
func JUnit(w io.Writer, s *metrics.Summary) error {
	root := junitSuites{Name: "gauntlet " + s.Scenario}
	for _, r := range s.Runs {
		suite := junitSuite{
			Name: s.Scenario + "/" + r.Variant, Timestamp: s.StartedAt.UTC().Format("2006-01-02T15:04:05"),
			Time: secs(r.DurationS), Hostname: s.Host.Hostname,
		}
		class := "gauntlet." + s.Scenario + "." + r.Variant
		for _, t := range r.Thresholds {
			tc := junitCase{Name: thresholdName(t), Classname: class, Time: "0"}
			if !t.Pass {
				measured := "measured " + FormatValue(t.Value, t.Unit)
				if t.Error != "" {
					measured = t.Error
				}
				tc.Failure = &junitFailure{Type: "threshold", Message: t.Expr + ": " + measured,
					Text: thresholdName(t) + " failed for " + r.Variant + ": " + measured}
			}
			suite.add(tc)
		}
		if sr := r.Search; sr != nil {
			// The rate found is the search's result, not a verdict: the
			// case passes, and its output carries the curve.
			suite.add(junitCase{Name: "capacity search", Classname: class, Time: secs(r.DurationS),
				SystemOut: metrics.FormatSearch(sr)})
		}
		if r.Status != metrics.StatusCompleted || len(r.Thresholds) == 0 && r.Search == nil {
			tc := junitCase{Name: "run completed", Classname: class, Time: secs(r.DurationS)}
			if r.Status != metrics.StatusCompleted {
				tc.Failure = &junitFailure{Type: "run", Message: "run " + r.Status + ": figures cover only the part that ran",
					Text: strings.Join(r.Warnings, "\n")}
			}
			suite.add(tc)
		}
		if len(r.Warnings) > 0 {
			suite.SystemOut = "warnings:\n" + strings.Join(r.Warnings, "\n") + "\n"
		}
		root.Tests += suite.Tests
		root.Failures += suite.Failures
		root.Suites = append(root.Suites, suite)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Hostname  string      `xml:"hostname,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
	SystemOut string      `xml:"system-out,omitempty"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func (s *junitSuite) add(c junitCase) {
	s.Cases = append(s.Cases, c)
	s.Tests++
	if c.Failure != nil {
		s.Failures++
	}
}

func secs(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
