package services

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Group is a set of services started in dependency order. Its methods are safe for
// concurrent use; the group is read-only after StartGroup returns.
type Group struct {
	procs  []*Process // start order
	byName map[string]*Process
}

// StartGroup starts specs one at a time so that each starts after the services it depends
// on are ready; deps maps a service name to the names it depends on. Among services whose
// dependencies are met, the order of specs is kept. Each service's Vars gain ${NAME} = URL()
// of every service started before it, unless Vars already has NAME. emit is passed to
// Start (see Start for its rules).
//
// An unknown name in deps, a duplicate service name or a cycle is an error before anything
// starts. If a service fails to start, StartGroup stops the ones already started, in
// reverse order, and returns the error.
func StartGroup(ctx context.Context, specs []Spec, deps map[string][]string, emit func(Event)) (*Group, error) {
	order, err := startOrder(specs, deps)
	if err != nil {
		return nil, err
	}
	g := &Group{byName: make(map[string]*Process, len(specs))}
	for _, i := range order {
		spec := specs[i]
		vars := make(map[string]string, len(spec.Vars)+len(g.procs))
		for _, p := range g.procs {
			vars[p.Name()] = p.URL()
		}
		maps.Copy(vars, spec.Vars)
		spec.Vars = vars
		p, err := Start(ctx, spec, emit)
		if err != nil {
			// ctx may be what failed; stopping must still happen.
			return nil, errors.Join(err, g.StopAll(context.WithoutCancel(ctx)))
		}
		g.procs = append(g.procs, p)
		g.byName[p.Name()] = p
	}
	return g, nil
}

// startOrder returns the indexes of specs in a start order that respects deps, keeping the
// order of specs where deps allow.
func startOrder(specs []Spec, deps map[string][]string) ([]int, error) {
	index := make(map[string]int, len(specs))
	for i, s := range specs {
		if s.Name == "" {
			return nil, fmt.Errorf("services[%d]: name must not be empty", i)
		}
		if _, dup := index[s.Name]; dup {
			return nil, fmt.Errorf("services[%d]: duplicate name %q", i, s.Name)
		}
		index[s.Name] = i
	}
	for _, name := range slices.Sorted(maps.Keys(deps)) {
		if _, ok := index[name]; !ok {
			return nil, fmt.Errorf("depends_on: unknown service %q", name)
		}
		for _, d := range deps[name] {
			if _, ok := index[d]; !ok {
				return nil, fmt.Errorf("%s: depends on unknown service %q", name, d)
			}
		}
	}

	started := make([]bool, len(specs))
	depsStarted := func(i int) bool {
		for _, d := range deps[specs[i].Name] {
			if !started[index[d]] {
				return false
			}
		}
		return true
	}
	order := make([]int, 0, len(specs))
	for len(order) < len(specs) {
		progressed := false
		for i := range specs {
			if started[i] || !depsStarted(i) {
				continue
			}
			started[i] = true
			order = append(order, i)
			progressed = true
			break // restart from the top so the order of specs is kept
		}
		if !progressed {
			var waiting []string
			for i, s := range specs {
				if !started[i] {
					waiting = append(waiting, s.Name)
				}
			}
			return nil, fmt.Errorf("dependency cycle among %s", strings.Join(waiting, ", "))
		}
	}
	return order, nil
}

// Get returns the process named name, or nil.
func (g *Group) Get(name string) *Process { return g.byName[name] }

// Processes returns the processes in start order. The slice is the caller's.
func (g *Group) Processes() []*Process { return slices.Clone(g.procs) }

// StopAll stops every process in reverse start order, continuing past failures, and returns
// their errors joined.
func (g *Group) StopAll(ctx context.Context) error {
	var errs []error
	for _, p := range slices.Backward(g.procs) {
		errs = append(errs, p.Stop(ctx))
	}
	return errors.Join(errs...)
}
