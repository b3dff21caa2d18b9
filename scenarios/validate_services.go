package scenarios

import (
	"context"
	"errors"
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// reservedNames cannot name a service: templates use them for other things.
var reservedNames = append([]string{"port", "addr", "run_id"}, templateFuncs...)

// MetricsOff as a service's metrics path turns scraping off.
const MetricsOff = "off"

func (v *validator) services() {
	names := v.serviceNames()
	for _, svc := range v.s.Services {
		path := joinPath("services", svc.Name)
		switch {
		case !validName(svc.Name):
			v.add(path, "invalid service name "+strconv.Quote(svc.Name)+" (use letters, digits, _ and -, starting with a letter)")
		case slices.Contains(reservedNames, svc.Name):
			v.add(path, "service name "+strconv.Quote(svc.Name)+" is reserved for templates")
		}
		var set []string
		if svc.Baseline != "" {
			set = append(set, "baseline")
		}
		if len(svc.Command) > 0 {
			set = append(set, "command")
		}
		if svc.URL != "" {
			set = append(set, "url")
		}
		switch {
		case v.s.bad[path+".baseline"] || v.s.bad[path+".command"] || v.s.bad[path+".url"]:
			// Already reported while decoding, e.g. a misspelt "baselin".
		case len(set) == 0:
			v.add(path, "set one of baseline, command or url")
		case len(set) > 1:
			v.add(path, "set only one of baseline, command or url (found "+strings.Join(set, " and ")+")")
		}
		own := append(slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == svc.Name }), "port", "addr", "run_id")
		for i, arg := range svc.Command {
			v.templateString(indexPath(path+".command", i), arg, own)
		}
		for _, k := range slices.Sorted(maps.Keys(svc.Env)) {
			v.templateString(joinPath(path+".env", k), svc.Env[k], own)
		}
		if svc.URL != "" {
			if err := CheckTarget(svc.URL, v.s.AllowRemote); err != nil {
				v.add(path+".url", err.Error())
			}
		}
		if svc.Kubernetes != nil {
			v.kubernetes(path, svc)
		}
		if r := svc.Ready; r != "" && !strings.HasPrefix(r, "http://") && !strings.HasPrefix(r, "https://") &&
			!strings.HasPrefix(r, "grpc://") && !strings.HasPrefix(r, "${") {
			v.add(path+".ready", "want an http(s) URL such as http://${addr}/healthz, or grpc://${addr} for grpc.health.v1, got "+strconv.Quote(r))
		} else if r != "" {
			if t, ok := v.templateString(path+".ready", svc.Ready, own); ok && !strings.HasPrefix(r, "grpc://") {
				v.literalHost(path+".ready", t)
			}
		}
		if m := svc.Metrics; m != "" && m != MetricsOff && (!strings.HasPrefix(m, "/") || strings.ContainsAny(m, " ?#")) {
			v.add(path+".metrics", "want a path such as /metrics, or \"off\", got "+strconv.Quote(m))
		}
		if svc.StartTimeout <= 0 {
			v.add(path+".start_timeout", "must be > 0, got "+svc.StartTimeout.String())
		}
		if svc.StopTimeout < 0 {
			v.add(path+".stop_timeout", "must be >= 0, got "+svc.StopTimeout.String())
		}
		for i, dep := range svc.DependsOn {
			dpath := indexPath(path+".depends_on", i)
			switch {
			case dep == svc.Name:
				v.add(dpath, "service "+strconv.Quote(svc.Name)+" depends on itself")
			case !slices.Contains(names, dep):
				v.add(dpath, "unknown service "+strconv.Quote(dep)+or(hint(dep, names), " (services: "+strings.Join(names, ", ")+")"))
			}
		}
	}
	v.cycles()
}

// kubernetesModes are Chaos Mesh's selector modes.
var kubernetesModes = []string{"all", "one", "fixed", "fixed-percent", "random-max-percent"}

// kubernetes checks a service that runs on Kubernetes: gauntlet reaches it at
// its url and never starts it.
func (v *validator) kubernetes(path string, svc Service) {
	k := svc.Kubernetes
	kpath := path + ".kubernetes"
	switch {
	case svc.Baseline != "" || len(svc.Command) > 0:
		v.add(kpath, "a kubernetes service runs in the cluster and gauntlet does not start it: use url: instead of baseline or command")
	case svc.URL == "" && !v.s.bad[path+".url"]:
		v.add(kpath, "a kubernetes service needs url: the address load reaches it at (e.g. http://"+svc.Name+"."+k.Namespace+".svc:8080)")
	}
	if !dnsLabel(k.Namespace) {
		v.add(kpath+".namespace", "invalid namespace "+strconv.Quote(k.Namespace)+" (lower-case letters, digits and -, at most 63)")
	}
	if len(k.Selector) == 0 && !v.s.bad[kpath+".selector"] {
		v.add(kpath, "missing selector: the labels of the service's pods, e.g. selector: {app: "+svc.Name+"}")
	}
	for _, key := range slices.Sorted(maps.Keys(k.Selector)) {
		if key == "" || k.Selector[key] == "" {
			v.add(joinPath(kpath+".selector", key), "label keys and values must not be empty")
		}
	}
	switch {
	case !slices.Contains(kubernetesModes, k.Mode):
		v.add(kpath+".mode", "unknown mode "+strconv.Quote(k.Mode)+or(hint(k.Mode, kubernetesModes), " (modes: "+strings.Join(kubernetesModes, ", ")+")"))
	case k.Mode == "fixed" && k.Value < 1:
		v.add(kpath+".value", "mode fixed needs value: the number of pods, >= 1")
	case strings.HasSuffix(k.Mode, "percent") && (k.Value < 1 || k.Value > 100):
		v.add(kpath+".value", "mode "+k.Mode+" needs value: a percentage of the pods, 1–100")
	case (k.Mode == "all" || k.Mode == "one") && k.Value != 0:
		v.add(kpath+".value", "mode "+k.Mode+" takes no value (value is for fixed, fixed-percent and random-max-percent)")
	}
	if k.Port < 0 || k.Port > 65535 {
		v.add(kpath+".port", "must be a port number, 1–65535, got "+strconv.Itoa(k.Port))
	}
}

// dnsLabel reports whether s is a Kubernetes namespace name (RFC 1123 label).
func dnsLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// cycles reports each dependency cycle once, at the first service in file
// order that is part of it.
func (v *validator) cycles() {
	deps := map[string][]string{}
	for _, svc := range v.s.Services {
		deps[svc.Name] = svc.DependsOn
	}
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(name string)
	visit = func(name string) {
		state[name] = active
		stack = append(stack, name)
		for _, dep := range deps[name] {
			if _, known := deps[dep]; !known || dep == name {
				continue // reported elsewhere
			}
			switch state[dep] {
			case unseen:
				visit(dep)
			case active:
				i := slices.Index(stack, dep)
				cycle := append(slices.Clone(stack[i:]), dep)
				v.add(joinPath("services", dep)+".depends_on", "dependency cycle "+strings.Join(cycle, " -> "))
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = done
	}
	for _, svc := range v.s.Services {
		if state[svc.Name] == unseen {
			visit(svc.Name)
		}
	}
}

// literalHost checks the host of a URL template when it is written out
// literally; a host that comes from a placeholder is a service address or
// is checked at run start with CheckTarget.
func (v *validator) literalHost(path string, t Template) {
	src, ok := literalAuthorityURL(t)
	if !ok {
		return
	}
	if err := CheckTarget(src, v.s.AllowRemote); err != nil {
		v.add(path, err.Error())
	}
}

// literalAuthorityURL returns the literal prefix of t when it holds a whole
// scheme://host[:port], and false when the URL starts with a placeholder or
// its host contains one.
func literalAuthorityURL(t Template) (string, bool) {
	var prefix string
	n := 0
	for _, p := range t.parts {
		if p.kind != partLit {
			break
		}
		prefix += p.text
		n++
	}
	i := strings.Index(prefix, "://")
	if i < 0 {
		return "", false
	}
	if end := strings.IndexAny(prefix[i+3:], "/?#"); end >= 0 {
		return prefix[:i+3+end], true
	}
	// No path: the host is literal only if nothing dynamic follows it.
	return prefix, n == len(t.parts)
}

// CheckTarget returns an error unless rawURL is an http or https URL whose
// host is on loopback (127.0.0.0/8, ::1, localhost, or a name that resolves
// to such addresses only), or allowRemote is set. The engine calls it again
// on bound URLs at run start; the dialers check every address they connect
// to, so a name that later resolves elsewhere is still refused.
func CheckTarget(rawURL string, allowRemote bool) error {
	return checkTarget(rawURL, allowRemote, net.DefaultResolver.LookupHost)
}

// lookupTimeout bounds the resolution of one host name by CheckTarget.
const lookupTimeout = 2 * time.Second

func checkTarget(rawURL string, allowRemote bool, lookup func(ctx context.Context, host string) ([]string, error)) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return errors.New("invalid url " + strconv.Quote(rawURL))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("url " + strconv.Quote(rawURL) + " must start with http:// or https://")
	}
	if u.Hostname() == "" {
		return errors.New("url " + strconv.Quote(rawURL) + " has no host")
	}
	if !allowRemote && !IsLoopback(u.Hostname()) && !resolvesToLoopback(u.Hostname(), lookup) {
		return errors.New("host " + strconv.Quote(u.Hostname()) + " is not loopback (set allow_remote: true to allow it)")
	}
	return nil
}

// resolvesToLoopback reports whether the name host resolves, within
// lookupTimeout, to loopback addresses and nothing else.
func resolvesToLoopback(host string, lookup func(ctx context.Context, host string) ([]string, error)) bool {
	if net.ParseIP(strings.Trim(host, "[]")) != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	addrs, err := lookup(ctx, host)
	if err != nil || len(addrs) == 0 {
		return false
	}
	for _, a := range addrs {
		if ip := net.ParseIP(a); ip == nil || !ip.IsLoopback() {
			return false
		}
	}
	return true
}

// IsLoopback reports whether host (a name or an IP, without port) is
// localhost or in 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
