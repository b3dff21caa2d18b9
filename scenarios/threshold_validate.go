package scenarios

import (
	"slices"
	"strconv"
	"strings"
)

var thresholdWindows = []string{"faults", "steady", "fault:"}

// thresholds checks each threshold's metric against its scopes and every
// scope name against the scenario: requests, services, variants, faults.
func (v *validator) thresholds() {
	var requests, faults, services, started []string
	for _, r := range v.s.Requests {
		requests = append(requests, r.Name)
	}
	for _, f := range v.s.Faults {
		faults = append(faults, f.Name)
	}
	for _, s := range v.s.Services {
		services = append(services, s.Name)
		if s.URL == "" {
			started = append(started, s.Name)
		}
	}
	for i, t := range v.s.Thresholds {
		path := indexPath("thresholds", i)
		metric := t.Metric
		if metric == "" {
			parsed, err := ParseThreshold(t.Expr)
			if err != nil {
				v.add(path, err.Error())
				continue
			}
			metric = parsed.Metric
		}
		spec, err := lookupMetric(metric)
		if err != nil {
			v.add(path, err.Error())
			continue
		}
		v.thresholdRequest(path, t, metric, spec, requests)
		v.thresholdService(path, t, metric, spec, services, started)
		v.thresholdWindow(path, t, metric, spec, faults)
		if slices.Contains(ShutdownMetrics, metric) && !slices.ContainsFunc(v.s.Faults, func(f Fault) bool { return f.Kind == "terminate" }) {
			v.add(path, metric+" is measured when a terminate fault stops a service; the scenario has none")
		}
		if t.Variant != "" {
			switch {
			case len(v.s.Variants) == 0:
				v.add(path+".variant", "the scenario has no variants (add e.g. variants: [go, jvm])")
			case !slices.Contains(v.s.Variants, t.Variant):
				v.add(path+".variant", "unknown variant "+strconv.Quote(t.Variant)+
					or(hint(t.Variant, v.s.Variants), " (variants: "+strings.Join(v.s.Variants, ", ")+")"))
			}
		}
		if t.DelayAbortEval < 0 {
			v.add(path+".delay_abort_eval", "must be >= 0, got "+t.DelayAbortEval.String())
		} else if t.DelayAbortEval > 0 && !t.AbortOnFail {
			v.add(path+".delay_abort_eval", "has no effect without abort_on_fail: true")
		}
		if t.AbortOnFail && metric == "tag_coverage" {
			v.add(path+".abort_on_fail", "tag_coverage is only known when the run has ended, so it cannot abort it")
		}
	}
}

func (v *validator) thresholdRequest(path string, t Threshold, metric string, spec metricSpec, requests []string) {
	if t.Request == "" {
		return
	}
	switch {
	case spec.scopes&scopeRequest == 0 && spec.scopes&scopeService != 0:
		v.add(path+".request", metric+" is measured per service, not per request (use service: NAME)")
	case spec.scopes&scopeRequest == 0:
		v.add(path+".request", metric+" is measured for the whole run, not per request")
	case !slices.Contains(requests, t.Request):
		v.add(path+".request", "unknown request "+strconv.Quote(t.Request)+
			or(hint(t.Request, requests), " (requests: "+strings.Join(requests, ", ")+")"))
	}
}

func (v *validator) thresholdService(path string, t Threshold, metric string, spec metricSpec, services, started []string) {
	isService := spec.scopes&scopeService != 0
	switch {
	case t.Service != "" && !isService:
		v.add(path+".service", metric+" is not a service metric (service: applies to "+strings.Join(slices.Concat(ServiceMetrics, HopMetrics), ", ")+")")
	case t.Service != "" && !slices.Contains(services, t.Service):
		v.add(path+".service", "unknown service "+strconv.Quote(t.Service)+
			or(hint(t.Service, services), " (services: "+strings.Join(services, ", ")+")"))
	case t.Service != "" && metric != "tag_coverage" && !slices.Contains(HopMetrics, metric) && !slices.Contains(started, t.Service):
		v.add(path+".service", "service "+strconv.Quote(t.Service)+" is a url target that gauntlet does not start, so it has no "+metric)
	case t.Service == "" && isService && metric != "tag_coverage" && len(started) == 0:
		v.add(path, metric+" needs a service that gauntlet starts; the scenario has none")
	case t.Service == "" && isService && len(services) == 0:
		v.add(path, metric+" needs a service; the scenario has none")
	}
}

func (v *validator) thresholdWindow(path string, t Threshold, metric string, spec metricSpec, faults []string) {
	if t.Window == "" {
		if metric == "time_to_recover" && len(faults) == 0 {
			v.add(path, "time_to_recover needs a fault to recover from; the scenario has none")
		}
		return
	}
	wpath := path + ".window"
	name, isFault := strings.CutPrefix(t.Window, "fault:")
	switch {
	case t.Window != "faults" && t.Window != "steady" && !isFault:
		v.add(wpath, "unknown window "+strconv.Quote(t.Window)+or(hint(t.Window, thresholdWindows), " (use faults, steady or fault:NAME)"))
	case spec.scopes&scopeWindow == 0:
		v.add(wpath, metric+" cannot be judged on a window (windows apply to latency, rps, requests, errors, error_rate, time_to_recover, "+
			"shutdown_failed, shutdown_ms, retry_amplification and breaker_open)")
	case (metric == "time_to_recover" || slices.Contains(ShutdownMetrics, metric) || slices.Contains(HopMetrics, metric)) && t.Window == "steady":
		v.add(wpath, metric+" is measured after a fault, not in the steady state (use faults or fault:NAME)")
	case len(faults) == 0:
		v.add(wpath, "the scenario has no faults, so it has no "+t.Window+" window")
	case isFault && !slices.Contains(faults, name):
		v.add(wpath, "unknown fault "+strconv.Quote(name)+or(hint(name, faults), " (faults: "+strings.Join(faults, ", ")+")"))
	}
}
