package engine

import (
	"fmt"

	"github.com/gauntletbench/gauntlet/affinity"
	"github.com/gauntletbench/gauntlet/metrics"
)

// cpuPlan is where a run's generator and services run.
type cpuPlan struct {
	rec                *metrics.CPUSets // for the record header; nil without services
	generator, service affinity.Set     // empty when not pinned
	release            func()
}

// pinCPUs binds this process (the generator) to its share of the CPUs and
// returns the services' share, when pin is set, the run starts services and
// there are at least two CPUs (affinity.Split). Otherwise, or if pinning
// fails, both share the CPUs and the record says why. Call release when the
// run ends.
func pinCPUs(pin, startsServices bool) cpuPlan {
	cp := cpuPlan{release: func() {}}
	if !startsServices {
		return cp
	}
	shared := func(why string) cpuPlan {
		cp.rec = &metrics.CPUSets{Shared: why}
		return cp
	}
	if !pin {
		return shared("pinning turned off")
	}
	all, err := affinity.Allowed()
	if err != nil {
		return shared(err.Error())
	}
	gen, svc, ok := affinity.Split(all)
	if !ok {
		return shared(fmt.Sprintf("only %d CPU", len(all)))
	}
	release, err := affinity.Pin(gen)
	if err != nil {
		return shared(err.Error())
	}
	cp.rec = &metrics.CPUSets{Generator: gen.String(), Services: svc.String()}
	cp.generator, cp.service, cp.release = gen, svc, release
	return cp
}

// sets names the CPU sets whose busy shares the probes read; nil when not
// pinned.
func (cp cpuPlan) sets() map[string][]int {
	if len(cp.service) == 0 {
		return nil
	}
	return map[string][]int{metrics.OwnerGenerator: cp.generator, "services": cp.service}
}
