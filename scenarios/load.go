package scenarios

import (
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Defaults of the search model, applied while decoding.
const (
	DefaultSearchStart     = 100
	DefaultSearchMax       = 100000
	DefaultSearchProbe     = 5 * time.Second
	DefaultSearchWarmup    = time.Second
	DefaultSearchGrowth    = 2
	DefaultSearchPrecision = 0.05
	DefaultSearchErrorRate = 0.01
	DefaultSearchMaxProbes = 20
	DefaultSearchRetries   = 1
	// DefaultSearchMaxLag is the schedule lag p99 above which a probe counts
	// as limited by the generator rather than by the target.
	DefaultSearchMaxLag = 10 * time.Millisecond
	// DefaultSearchMaxCPU is the generator CPU, in cores, at or above which
	// a probe counts as limited by the generator.
	DefaultSearchMaxCPU = 0.95
)

// ThinkTime is a closed-model worker's pause after each iteration: a fixed
// duration (YAML "10ms") or uniform in [Min, Max] (YAML {min: 5ms, max: 15ms}).
type ThinkTime struct {
	Min Duration `yaml:"min"`
	Max Duration `yaml:"max"`
}

func (t *ThinkTime) decodeNode(d *decoder, n ast.Node, path string) {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		type plain ThinkTime
		d.decodeStruct(n, reflect.ValueOf((*plain)(t)).Elem(), path)
		return
	}
	var x Duration
	d.decodeValue(n, reflect.ValueOf(&x).Elem(), path, "")
	t.Min, t.Max = x, x
}

// Search is the capacity search of the search model: open-model probes at
// growing rates until one violates the SLO, then bisection between the last
// good and the first bad rate.
type Search struct {
	// Start is the first probe's rate, > 0; default 100.
	Start Rate `yaml:"start"`
	// Max is the highest rate probed, >= Start; default 100000.
	Max Rate `yaml:"max"`
	// Probe is the length of each probe, > Warmup; default 5s.
	Probe Duration `yaml:"probe"`
	// Warmup is the first part of each probe left out of its figures; default 1s.
	Warmup Duration `yaml:"warmup"`
	// Growth multiplies the rate after each good probe while no bad one was
	// seen, > 1; default 2.
	Growth float64 `yaml:"growth"`
	// Precision ends the bisection once (bad-good)/bad is at most this
	// ratio; default 5%.
	Precision Ratio `yaml:"precision"`
	// MaxProbes bounds the number of probes, retries included; default 20.
	MaxProbes int `yaml:"max_probes"`
	// Retries is how often a probe whose tail missed the SLO (its median
	// met it) is repeated before its rate counts as bad: a stall on a
	// shared machine should not decide the search; default 1.
	Retries int `yaml:"retries"`
	SLO     SLO `yaml:"slo"`
	// MaxLag is the schedule lag p99 above which a probe is limited by the
	// generator (the search stops and says so); default 10ms.
	MaxLag Duration `yaml:"max_lag"`
	// MaxGeneratorCPU is the generator process's CPU use, in cores, at or
	// above which a probe is limited by the generator; default 0.95.
	MaxGeneratorCPU float64 `yaml:"max_generator_cpu"`
}

// SLO is what a probe must meet to pass.
type SLO struct {
	// P99 is the highest acceptable p99 latency (from intended send time), > 0.
	P99 Duration `yaml:"p99"`
	// ErrorRate is the highest acceptable ratio of failed requests; default 1%.
	ErrorRate Ratio `yaml:"error_rate"`
}

func (s *Search) preset() {
	s.Start, s.Max = DefaultSearchStart, DefaultSearchMax
	s.Probe, s.Warmup = Duration(DefaultSearchProbe), Duration(DefaultSearchWarmup)
	s.Growth, s.Precision, s.MaxProbes = DefaultSearchGrowth, DefaultSearchPrecision, DefaultSearchMaxProbes
	s.Retries = DefaultSearchRetries
	s.MaxLag, s.MaxGeneratorCPU = Duration(DefaultSearchMaxLag), DefaultSearchMaxCPU
	s.SLO.ErrorRate = DefaultSearchErrorRate
}

func (s *SLO) preset() { s.ErrorRate = DefaultSearchErrorRate }

// DefaultSearch returns a Search with every default set and no SLO p99.
func DefaultSearch() *Search {
	s := &Search{}
	s.preset()
	return s
}

// Ratio is a ratio 0..1 written in YAML as "5%" or 0.05.
type Ratio float64

// ParseRatio parses "5%", "0.5%" or "0.05" into a ratio.
func ParseRatio(s string) (Ratio, error) {
	s = strings.TrimSpace(s)
	num, pct := strings.CutSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || v != v {
		return 0, &ratioError{s}
	}
	if pct {
		v /= 100
	}
	return Ratio(v), nil
}

type ratioError struct{ s string }

func (e *ratioError) Error() string {
	return "invalid ratio " + strconv.Quote(e.s) + ` (use e.g. "5%" or 0.05)`
}

// UnmarshalYAML decodes a ratio; the error it returns carries the node's position.
func (r *Ratio) UnmarshalYAML(n ast.Node) error {
	n = unwrap(n)
	if !isScalar(n) {
		return nodeErr(n, "expected a ratio like \"5%\" or 0.05, got "+describe(n))
	}
	v, err := ParseRatio(scalarText(n))
	if err != nil {
		return nodeErr(n, err.Error())
	}
	*r = v
	return nil
}

var loadModels = []string{"open", "closed", "search"}

// loadModel checks what depends on the load model: stages, think time,
// iterations and the search block.
func (v *validator) loadModel() {
	l := v.s.Load
	switch l.Model {
	case "open", "closed":
		if len(l.Stages) == 0 {
			example := "- {for: 30s, rate: 100}"
			if l.Model == "closed" {
				example = "- {for: 30s, concurrency: 20}"
			}
			v.add("load.stages", "no stages (add e.g. "+example+")")
		}
		if l.Search != nil {
			v.add("load.search", "search applies to model: search (the model is "+l.Model+")")
		}
	case "search":
		if len(l.Stages) > 0 {
			v.add("load.stages", "the search model has no stages: its probes are planned by load.search")
		}
		if l.Search == nil {
			v.add("load.search", "missing (the search model needs e.g. search: {slo: {p99: 50ms}})")
		} else {
			v.search(l.Search)
		}
	}
	for i, st := range l.Stages {
		path := indexPath("load.stages", i)
		switch {
		case l.Model == "closed" && st.Rate != 0:
			v.add(path+".rate", "rate applies to the open model; the closed model's stages set concurrency")
		case l.Model == "open" && st.Concurrency != 0 && st.Rate != 0:
			v.add(path+".concurrency", "a stage sets either rate (arrivals) or concurrency (workers), not both")
		case st.IdleConnections != nil && (st.Rate != 0 || st.Concurrency != 0):
			v.add(path+".idle_connections", "an idle-connections stage sends no other load: remove rate and concurrency")
		case st.Concurrency < 0:
			v.add(path+".concurrency", "must be >= 0, got "+strconv.Itoa(st.Concurrency))
		}
	}
	for i, st := range l.Stages {
		ic := st.IdleConnections
		if ic == nil {
			continue
		}
		path := indexPath("load.stages", i) + ".idle_connections"
		if ic.Count <= 0 {
			v.add(path+".count", "must be > 0, got "+strconv.Itoa(ic.Count))
		}
		if !v.isService(ic.Service) {
			v.add(path+".service", "unknown service "+strconv.Quote(ic.Service))
		}
	}
	if l.Model == "closed" && len(l.Stages) > 0 && !anyConcurrency(l.Stages) {
		v.add("load.stages", "no stage has concurrency > 0 (add e.g. concurrency: 20)")
	}
	if l.ThinkTime != nil {
		if l.Model != "closed" && !anyConcurrency(l.Stages) {
			v.add("load.think_time", "think_time applies to the closed model")
		}
		if l.ThinkTime.Min < 0 {
			v.add("load.think_time.min", "must be >= 0, got "+l.ThinkTime.Min.String())
		}
		if l.ThinkTime.Max < l.ThinkTime.Min {
			v.add("load.think_time.max", "must be >= min ("+l.ThinkTime.Min.String()+"), got "+l.ThinkTime.Max.String())
		}
	}
	if l.Iterations < 0 {
		v.add("load.iterations", "must be >= 0, got "+strconv.FormatInt(l.Iterations, 10))
	} else if l.Iterations > 0 && l.Model != "closed" {
		v.add("load.iterations", "iterations applies to the closed model")
	}
}

func anyConcurrency(stages []Stage) bool {
	for _, st := range stages {
		if st.Concurrency > 0 {
			return true
		}
	}
	return false
}

func (v *validator) search(s *Search) {
	const p = "load.search"
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	if s.Start <= 0 {
		v.add(p+".start", "must be > 0, got "+num(float64(s.Start)))
	}
	if s.Max < s.Start {
		v.add(p+".max", "must be >= start ("+num(float64(s.Start))+"), got "+num(float64(s.Max)))
	}
	if s.Warmup < 0 {
		v.add(p+".warmup", "must be >= 0, got "+s.Warmup.String())
	}
	if s.Probe <= s.Warmup {
		v.add(p+".probe", "must be longer than warmup ("+s.Warmup.String()+"), got "+s.Probe.String())
	}
	if s.Growth <= 1 {
		v.add(p+".growth", "must be > 1, got "+num(s.Growth))
	}
	if s.Precision <= 0 || s.Precision >= 1 {
		v.add(p+".precision", "must be between 0% and 100%, got "+num(float64(s.Precision)*100)+"%")
	}
	if s.MaxProbes < 1 {
		v.add(p+".max_probes", "must be >= 1, got "+strconv.Itoa(s.MaxProbes))
	}
	if s.Retries < 0 {
		v.add(p+".retries", "must be >= 0, got "+strconv.Itoa(s.Retries))
	}
	if s.SLO.P99 <= 0 {
		v.add(p+".slo.p99", "must be > 0 (e.g. p99: 50ms)")
	}
	if s.SLO.ErrorRate < 0 || s.SLO.ErrorRate > 1 {
		v.add(p+".slo.error_rate", "must be between 0% and 100%, got "+num(float64(s.SLO.ErrorRate)*100)+"%")
	}
	if s.MaxLag <= 0 {
		v.add(p+".max_lag", "must be > 0, got "+s.MaxLag.String())
	}
	if s.MaxGeneratorCPU <= 0 {
		v.add(p+".max_generator_cpu", "must be > 0 (cores), got "+num(s.MaxGeneratorCPU))
	}
}

// isService reports whether name is a service of the scenario.
func (v *validator) isService(name string) bool {
	for _, s := range v.s.Services {
		if s.Name == name {
			return true
		}
	}
	return false
}
