package probes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/gauntletbench/gauntlet/metrics"
	"github.com/gauntletbench/gauntlet/runners"
	"github.com/gauntletbench/gauntlet/scenarios"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// ScrapeTimeout bounds one scrape: connect, request and body.
const ScrapeTimeout = 500 * time.Millisecond

// maxScrapeBytes bounds the body a scrape reads.
const maxScrapeBytes = 16 << 20

// errParse marks an answer that is not the Prometheus text format.
var errParse = errors.New("parse")

// ErrNotLoopback is returned by a Scrape sampler whose URL is not an http
// URL on a loopback address; gauntlet sends nothing off the machine.
var ErrNotLoopback = errors.New("not a loopback http url")

// Scrape returns a Sampler that reads the Prometheus text exposition at url
// (e.g. http://127.0.0.1:PORT/metrics) and emits, for each entry of pick,
// the sum over all label sets of the metric family named by the key as the
// reading named by the value:
//
//	{"go_goroutines": "goroutines", "gauntlet_http_requests_total": "requests_received_total"}
//
// A key may name one label to split by, `name{label=*}`: its samples are summed
// per value of that label, each sum emitted under the reading name with its "*"
// replaced by the value ({"gauntlet_downstream_attempts_total{dependency=*}":
// "downstream_attempts_total/*"} gives downstream_attempts_total/payment, ...).
// Counter, gauge and untyped families are summed; for a histogram or summary
// family NAME, the keys NAME_count and NAME_sum pick its observation count
// and sum. Families that are absent, or whose samples are all NaN or
// infinite, are not emitted. Each scrape has ScrapeTimeout, reuses one
// keep-alive connection, ignores proxy settings and dials loopback addresses
// only; another url makes every Sample fail with ErrNotLoopback.
func Scrape(owner, url string, pick map[string]string) Sampler {
	s := &scrape{owner: owner, url: url, pick: make(map[string]string, len(pick))}
	for k, v := range pick {
		s.pick[k] = v
	}
	s.urlErr = checkLoopbackURL(url)
	dialer := &net.Dialer{Timeout: ScrapeTimeout, Control: loopbackOnly}
	s.client = &http.Client{
		Timeout: ScrapeTimeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         dialer.DialContext,
			MaxIdleConnsPerHost: 1,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true,
		},
		CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			return checkLoopbackURL(req.URL.String())
		},
	}
	return s
}

type scrape struct {
	owner  string
	url    string
	pick   map[string]string
	urlErr error
	client *http.Client
}

var _ Sampler = (*scrape)(nil)

func (s *scrape) Sample(ctx context.Context, now time.Time) (metrics.Readings, error) {
	rd := metrics.Readings{Owner: s.owner, Time: now}
	if s.urlErr != nil {
		return rd, s.urlErr
	}
	families, err := s.fetch(ctx)
	if err != nil {
		return rd, fmt.Errorf("scrape %s: %w", s.url, err)
	}
	rd.Values = pickValues(families, s.pick)
	return rd, nil
}

func (s *scrape) fetch(ctx context.Context) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Drain a little so the connection can be reused.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(io.LimitReader(resp.Body, maxScrapeBytes))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errParse, err)
	}
	return families, nil
}

// pickValues sums the picked families across their label sets. Samples that
// are NaN or infinite are skipped: they cannot be written to the record.
func pickValues(families map[string]*dto.MetricFamily, pick map[string]string) map[string]float64 {
	values := make(map[string]float64, len(pick))
	for key, reading := range pick {
		family, skip, by := parsePick(key)
		if by != "" {
			splitValues(families[family], skip, by, reading, values)
			continue
		}
		var sum float64
		n := 0
		add := func(v float64) {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				sum += v
				n++
			}
		}
		if mf, ok := families[family]; ok {
			for _, m := range mf.GetMetric() {
				if skip(m) {
					continue
				}
				add(sampleValue(mf, m))
			}
		} else if base, part, ok := histogramPart(family); ok {
			if mf, ok := families[base]; ok {
				for _, m := range mf.GetMetric() {
					switch {
					case mf.GetType() == dto.MetricType_HISTOGRAM && part == "count":
						add(float64(m.GetHistogram().GetSampleCount()))
					case mf.GetType() == dto.MetricType_HISTOGRAM && part == "sum":
						add(m.GetHistogram().GetSampleSum())
					case mf.GetType() == dto.MetricType_SUMMARY && part == "count":
						add(float64(m.GetSummary().GetSampleCount()))
					case mf.GetType() == dto.MetricType_SUMMARY && part == "sum":
						add(m.GetSummary().GetSampleSum())
					}
				}
			}
		}
		if n > 0 {
			values[reading] = sum
		}
	}
	return values
}

// sampleValue is the value of a counter, gauge or untyped sample; NaN for other types.
func sampleValue(mf *dto.MetricFamily, m *dto.Metric) float64 {
	switch mf.GetType() {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue()
	case dto.MetricType_UNTYPED:
		return m.GetUntyped().GetValue()
	}
	return math.NaN()
}

// maxSplit bounds the readings one split pick emits, so a label with unbounded values
// (an id) cannot grow the record without bound.
const maxSplit = 32

// splitValues sums mf's samples that skip keeps per value of label by into values, under
// reading with its "*" replaced by the value; at most maxSplit values (the first in label
// order), none for samples without the label or with NaN or infinite values.
func splitValues(mf *dto.MetricFamily, skip func(*dto.Metric) bool, by, reading string, values map[string]float64) {
	if mf == nil {
		return
	}
	sums := map[string]float64{}
	for _, m := range mf.GetMetric() {
		v := sampleValue(mf, m)
		if skip(m) || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		for _, lp := range m.GetLabel() {
			if lp.GetName() == by {
				sums[lp.GetValue()] += v
				break
			}
		}
	}
	keys := slices.Sorted(maps.Keys(sums))
	for _, k := range keys[:min(len(keys), maxSplit)] {
		values[strings.Replace(reading, "*", k, 1)] = sums[k]
	}
}

func histogramPart(name string) (base, part string, ok bool) {
	for _, suffix := range []string{"_count", "_sum"} {
		if b, found := strings.CutSuffix(name, suffix); found {
			return b, suffix[1:], true
		}
	}
	return "", "", false
}

// parsePick splits a pick key into its family, a filter of the samples to
// leave out and a label to split by: `name{label!=value,…}` sums the samples
// whose labels differ from every value given (e.g. requests_total{route!=/healthz}),
// `name{label=*}` sums them per value of label.
func parsePick(key string) (family string, skip func(*dto.Metric) bool, by string) {
	name, rest, ok := strings.Cut(key, "{")
	if !ok || !strings.HasSuffix(rest, "}") {
		return key, func(*dto.Metric) bool { return false }, ""
	}
	type not struct{ label, value string }
	var nots []not
	for _, cond := range strings.Split(strings.TrimSuffix(rest, "}"), ",") {
		if l, v, ok := strings.Cut(cond, "!="); ok {
			nots = append(nots, not{strings.TrimSpace(l), strings.Trim(strings.TrimSpace(v), `"`)})
		} else if l, v, ok := strings.Cut(cond, "="); ok && strings.TrimSpace(v) == "*" {
			by = strings.TrimSpace(l)
		}
	}
	return name, func(m *dto.Metric) bool {
		for _, lp := range m.GetLabel() {
			for _, n := range nots {
				if lp.GetName() == n.label && lp.GetValue() == n.value {
					return true
				}
			}
		}
		return false
	}, by
}

// checkLoopbackURL accepts http(s) URLs whose host is a loopback IP or
// "localhost".
func checkLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !scenarios.IsLoopback(u.Hostname()) {
		return fmt.Errorf("%q: %w", raw, ErrNotLoopback)
	}
	return nil
}

// loopbackOnly refuses, at dial time, any address that is not loopback:
// "localhost" could resolve elsewhere.
func loopbackOnly(network, address string, c syscall.RawConn) error {
	if err := runners.LoopbackOnly(network, address, c); err != nil {
		return fmt.Errorf("dial %s: %w", address, ErrNotLoopback)
	}
	return nil
}
