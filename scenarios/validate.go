package scenarios

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/gauntletbench/gauntlet/chaos/faultkind"
)

// Validate reports every problem of s at once as Problems, in file order,
// with positions when s was decoded from a file. It returns nil when s is
// valid. Validate reads the environment to check ${env NAME} placeholders.
func (s *Spec) Validate() error {
	v := &validator{s: s}
	v.variants()
	v.services()
	v.load()
	v.requests()
	v.faults()
	v.thresholds()
	v.spikes()
	if len(v.probs) == 0 {
		return nil
	}
	SortProblems(v.probs)
	return v.probs
}

type validator struct {
	s     *Spec
	probs Problems
}

// add records "path: msg" at the position of path, or of its nearest
// ancestor with one. Paths that failed to decode are skipped: the decoder
// has already said what is wrong with them.
// MaxRate and MaxConcurrency bound one generator's load: beyond them a plan
// cannot be what one machine sends, and a runner would spend its time
// accounting for requests it never sends.
const (
	MaxRate        = 10_000_000
	MaxConcurrency = 100_000
)

func (v *validator) add(path, msg string) {
	for p := path; p != ""; p = parentPath(p) {
		if v.s.bad[p] {
			return
		}
	}
	if path != "" {
		msg = path + ": " + msg
	}
	pr := Problem{File: v.s.File, Path: path, Msg: msg}
	for p := path; ; p = parentPath(p) {
		if pos, ok := v.s.pos[p]; ok {
			pr.Line, pr.Col = pos.line, pos.col
			break
		}
		if p == "" {
			break
		}
	}
	v.probs = append(v.probs, pr)
}

// template checks that the placeholders of t name something in allowed and
// that every ${env NAME} is set.
func (v *validator) template(path string, t Template, allowed []string) {
	t.names(func(name string, env bool) {
		if env {
			if _, ok := os.LookupEnv(name); !ok {
				v.add(path, "environment variable "+name+" is not set (used by ${env "+name+"})")
			}
			return
		}
		if !slices.Contains(allowed, name) && !(strings.HasPrefix(name, "row.") && slices.Contains(allowed, anyRow)) {
			allowed := slices.DeleteFunc(slices.Clone(allowed), func(n string) bool { return n == anyRow })
			msg := "unknown name " + strconv.Quote(name) + " in ${" + name + "}"
			if h := hint(name, allowed); h != "" {
				msg += h
			} else if len(allowed) > 0 {
				msg += " (known: " + strings.Join(allowed, ", ") + ")"
			}
			v.add(path, msg)
		}
	})
}

// templateString compiles src and checks it like template.
func (v *validator) templateString(path, src string, allowed []string) (Template, bool) {
	t, err := CompileTemplate(src)
	if err != nil {
		v.add(path, err.Error())
		return Template{}, false
	}
	v.template(path, t, allowed)
	return t, true
}

func (v *validator) serviceNames() []string {
	names := make([]string, len(v.s.Services))
	for i, svc := range v.s.Services {
		names[i] = svc.Name
	}
	return names
}

func (v *validator) variants() {
	for i, name := range v.s.Variants {
		path := indexPath("variants", i)
		switch {
		case !validVariant(name):
			v.add(path, "invalid variant "+strconv.Quote(name)+" (use lower-case letters, digits and -)")
		case slices.Index(v.s.Variants, name) < i:
			v.add(path, "duplicate variant "+strconv.Quote(name))
		}
	}
}

func validVariant(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z') && !('0' <= r && r <= '9') && r != '-' {
			return false
		}
	}
	return true
}

var ramps = []string{"step", "linear"}

func (v *validator) load() {
	l := v.s.Load
	if !slices.Contains(loadModels, l.Model) {
		msg := "unknown model " + strconv.Quote(l.Model)
		if h := hint(l.Model, loadModels); h != "" {
			msg += h
		} else {
			msg += " (use open, closed or search)"
		}
		v.add("load.model", msg)
	}
	v.loadModel()
	for i, st := range l.Stages {
		path := indexPath("load.stages", i)
		if st.For <= 0 {
			v.add(path+".for", "must be > 0, got "+st.For.String())
		}
		switch r := float64(st.Rate); {
		case r < 0:
			v.add(path+".rate", "must be >= 0, got "+strconv.FormatFloat(r, 'g', -1, 64))
		case math.IsNaN(r) || math.IsInf(r, 0):
			v.add(path+".rate", "must be a finite number, got "+strconv.FormatFloat(r, 'g', -1, 64))
		case r > MaxRate:
			v.add(path+".rate", fmt.Sprintf("at most %d requests per second per generator, got %s (split the load: gauntlet run --segment I/N)", int(MaxRate), strconv.FormatFloat(r, 'g', -1, 64)))
		}
		if st.Concurrency > MaxConcurrency {
			v.add(path+".concurrency", fmt.Sprintf("at most %d workers per generator, got %d (split the load: gauntlet run --segment I/N)", MaxConcurrency, st.Concurrency))
		}
		if !slices.Contains(ramps, st.Ramp) {
			v.add(path+".ramp", "unknown ramp "+strconv.Quote(st.Ramp)+or(hint(st.Ramp, ramps), " (use step or linear)"))
		}
	}
	if l.Timeout <= 0 {
		v.add("load.timeout", "must be > 0, got "+l.Timeout.String())
	}
	if l.MaxInFlight <= 0 {
		v.add("load.max_in_flight", "must be > 0, got "+strconv.Itoa(l.MaxInFlight))
	}
	if l.Connections < 0 {
		v.add("load.connections", "must be >= 0, got "+strconv.Itoa(l.Connections))
	}
	if l.Tag != nil {
		if !validToken(l.Tag.Header) {
			v.add("load.tag.header", "invalid header name "+strconv.Quote(l.Tag.Header))
		}
		v.templateString("load.tag.value", l.Tag.Value, append(v.serviceNames(), "run_id"))
	}
}

// or returns s, or alt when s is empty.
func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// validToken reports whether s is an HTTP token (a method or header name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func (v *validator) faults() {
	services := v.serviceNames()
	for i, f := range v.s.Faults {
		path := indexPath("faults", i)
		if f.Kind == "" {
			if !v.s.bad[path+".kind"] {
				v.add(path, "no fault kind (add one of "+strings.Join(faultkind.Names(), ", ")+")")
			}
			continue
		}
		if !isKind(f.Kind) {
			v.add(path, "unknown fault kind "+strconv.Quote(f.Kind)+hint(f.Kind, faultkind.Names()))
			continue
		}
		if f.At < 0 {
			v.add(path+".at", "must be >= 0, got "+f.At.String())
		}
		if f.For < 0 {
			v.add(path+".for", "must be >= 0, got "+f.For.String())
		}
		if f.Every < 0 {
			v.add(path+".every", "must be >= 0, got "+f.Every.String())
		}
		if f.Jitter < 0 {
			v.add(path+".jitter", "must be >= 0, got "+f.Jitter.String())
		}
		switch {
		case f.Times < 0:
			v.add(path+".times", "must be >= 0, got "+strconv.Itoa(f.Times))
		case f.Times > 0 && f.Every == 0:
			v.add(path+".times", "needs every: the period between repeats")
		case f.Every > 0 && f.Every < f.For+f.Jitter:
			v.add(path+".every", "must be at least for + jitter ("+(f.For+f.Jitter).String()+"), or the repeats would overlap")
		}
		kpath := joinPath(path, f.Kind)
		switch {
		case f.Service == "" && kindOf(f).Where != faultkind.Host:
			v.add(kpath, "missing service (one of: "+strings.Join(services, ", ")+")")
		case f.Service != "" && !slices.Contains(services, f.Service):
			v.add(kpath+".service", "unknown service "+strconv.Quote(f.Service)+or(hint(f.Service, services), " (services: "+strings.Join(services, ", ")+")"))
		default:
			v.faultPlace(kpath, f)
		}
		if j := slices.IndexFunc(v.s.Faults[:i], func(g Fault) bool { return g.Name == f.Name }); j >= 0 {
			v.add(path+".name", "duplicate fault name "+strconv.Quote(f.Name)+" (also faults["+strconv.Itoa(j)+"])")
		}
	}
}

// faultPlace checks that a fault kind works where its service runs: on
// Kubernetes through Chaos Mesh, or locally through gauntlet's own proxy,
// signals and stress processes.
func (v *validator) faultPlace(kpath string, f Fault) {
	svc, _ := v.s.Service(f.Service)
	onKube := svc != nil && svc.Kubernetes != nil
	k := kindOf(f)
	switch {
	case onKube && k.ChaosMesh == "":
		v.add(kpath, f.Kind+" works only on services gauntlet runs itself, and "+strconv.Quote(f.Service)+" runs on Kubernetes: use "+k.OnKubernetes+" instead")
	case onKube:
		// Chaos Mesh checks the parameters when the objects are built.
	case !k.Local():
		v.add(kpath+".service", f.Kind+" needs Chaos Mesh, and "+strconv.Quote(f.Service)+" is not a kubernetes service: locally use "+k.Locally+" instead")
	case k.Where == faultkind.Host && svc != nil:
		v.add(kpath+".service", "locally "+f.Kind+" loads the whole host and takes no service; service: is for a service with kubernetes: set")
	}
}

func (v *validator) spikes() {
	r := v.s.Spikes
	if r == nil {
		return
	}
	if r.Factor != 0 && r.Factor < 1 {
		v.add("spikes.factor", "must be >= 1 (a spike stands above the typical p99), got "+strconv.FormatFloat(r.Factor, 'g', -1, 64))
	}
	if r.MinRise < 0 {
		v.add("spikes.min_rise", "must be >= 0, got "+r.MinRise.String())
	}
	if r.GCPause < 0 {
		v.add("spikes.gc_pause", "must be >= 0, got "+r.GCPause.String())
	}
}
