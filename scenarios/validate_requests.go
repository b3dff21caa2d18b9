package scenarios

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

func (v *validator) requests() {
	if len(v.s.Requests) == 0 {
		v.add("requests", `no requests (add e.g. - url: "${api}/")`)
	}
	allowed := append(v.serviceNames(), "run_id")
	for i, r := range v.s.Requests {
		path := indexPath("requests", i)
		dup := slices.IndexFunc(v.s.Requests[:i], func(o Request) bool { return o.Name == r.Name })
		if v.s.bad[path+".url"] || (dup >= 0 && v.s.bad[indexPath("requests", dup)+".url"]) {
			dup = -1 // a name derived from a url that did not decode
		}
		if j := dup; j >= 0 {
			v.add(path+".name", "duplicate request name "+strconv.Quote(r.Name)+" (also requests["+strconv.Itoa(j)+"])")
		}
		if r.Weight < 1 {
			v.add(path+".weight", "must be >= 1, got "+strconv.Itoa(r.Weight))
		}
		v.requestVariants(path+".variants", r.Variants)
		rallowed := allowed
		if r.Data != nil {
			rallowed = append(slices.Clone(allowed), v.data(path+".data", r.Data)...)
		}
		if len(r.Flow) > 0 {
			if !r.URL.IsZero() || r.Body != nil || r.JSON != nil || len(r.Headers) > 0 || r.Expect != nil {
				v.add(path, "set either flow or url/headers/body/json/expect, not both")
			}
			v.flow(path+".flow", r.Flow, rallowed)
			continue
		}
		if r.GRPC != nil {
			if r.Method != "" || !r.URL.IsZero() || r.Body != nil || r.JSON != nil || len(r.Headers) > 0 {
				v.add(path, "set either grpc or method/url/headers/body/json, not both")
			}
			v.grpcCall(path, r.GRPC, r.Expect, rallowed)
			continue
		}
		v.call(path, r.Method, r.URL, r.Headers, r.Body, r.JSON, r.Expect, rallowed)
	}
	for _, variant := range v.s.Variants {
		if len(v.s.Requests) > 0 && !slices.ContainsFunc(v.s.Requests, func(r Request) bool {
			return len(r.Variants) == 0 || slices.Contains(r.Variants, variant)
		}) {
			v.add("requests", "no request is for variant "+strconv.Quote(variant)+" (each one's variants leave it out)")
		}
	}
}

// requestVariants checks a request's variants: each a variant of the scenario, once.
func (v *validator) requestVariants(path string, names []string) {
	for i, name := range names {
		switch {
		case len(v.s.Variants) == 0:
			v.add(indexPath(path, i), "the scenario has no variants (add e.g. variants: [go, go-grpc])")
			return
		case !slices.Contains(v.s.Variants, name):
			v.add(indexPath(path, i), "unknown variant "+strconv.Quote(name)+
				or(hint(name, v.s.Variants), " (variants: "+strings.Join(v.s.Variants, ", ")+")"))
		case slices.Index(names, name) < i:
			v.add(indexPath(path, i), "duplicate variant "+strconv.Quote(name))
		}
	}
}

// expect checks the parts of an expect block beyond the status codes.
func (v *validator) expect(path string, e *Expect) {
	for _, k := range slices.Sorted(maps.Keys(e.Headers)) {
		if !validToken(k) {
			v.add(joinPath(path+".headers", k), "invalid header name "+strconv.Quote(k))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(e.JSON)) {
		if _, err := ParseJSONPath(k); err != nil {
			v.add(joinPath(path+".json", k), err.Error())
		}
	}
}

// call checks the parts a request and a flow step share.
func (v *validator) call(path, method string, u Template, headers map[string]Template, body, json *Template, expect *Expect, allowed []string) {
	if !validToken(method) {
		v.add(path+".method", "invalid method "+strconv.Quote(method))
	}
	if u.IsZero() {
		v.add(path+".url", "missing url (e.g. url: \"${api}/ping\")")
	} else {
		v.template(path+".url", u, allowed)
		v.requestURL(path+".url", u)
	}
	for _, k := range slices.Sorted(maps.Keys(headers)) {
		h := headers[k]
		hpath := joinPath(path+".headers", k)
		if !validToken(k) {
			v.add(hpath, "invalid header name "+strconv.Quote(k))
		}
		v.template(hpath, h, allowed)
	}
	if body != nil && json != nil {
		v.add(path, "set body or json, not both")
	}
	if body != nil {
		v.template(path+".body", *body, allowed)
	}
	if json != nil {
		v.template(path+".json", *json, allowed)
	}
	if expect != nil {
		v.expect(path+".expect", expect)
		for i, code := range expect.Status {
			if code < 100 || code > 599 {
				v.add(indexPath(path+".expect.status", i), "invalid status code "+strconv.Itoa(code)+" (use 100 to 599)")
			}
		}
	}
}

// requestURL checks that a URL starts with a placeholder (a service
// address) or a scheme, and that a literal host is on loopback.
func (v *validator) requestURL(path string, u Template) {
	src := u.Source()
	if strings.HasPrefix(src, "${") {
		return
	}
	if !strings.HasPrefix(src, "http://") && !strings.HasPrefix(src, "https://") {
		v.add(path, "url "+strconv.Quote(src)+" must start with a service like ${api} or with http://")
		return
	}
	v.literalHost(path, u)
}

// flow checks the steps of a flow; a ${var} must be extracted by an earlier step.
func (v *validator) flow(path string, steps []Step, allowed []string) {
	allowed = slices.Clone(allowed)
	for i, st := range steps {
		spath := indexPath(path, i)
		if st.GRPC != nil {
			if st.Method != "" || !st.URL.IsZero() || st.Body != nil || st.JSON != nil || len(st.Headers) > 0 {
				v.add(spath, "set either grpc or method/url/headers/body/json, not both")
			}
			v.grpcCall(spath, st.GRPC, st.Expect, allowed)
		} else {
			v.call(spath, st.Method, st.URL, st.Headers, st.Body, st.JSON, st.Expect, allowed)
		}
		if j := slices.IndexFunc(steps[:i], func(o Step) bool { return o.Name == st.Name }); j >= 0 {
			v.add(spath+".name", "duplicate step name "+strconv.Quote(st.Name)+" (also "+indexPath(path, j)+")")
		}
		for _, name := range slices.Sorted(maps.Keys(st.Extract)) {
			expr := st.Extract[name]
			epath := joinPath(spath+".extract", name)
			if !validName(name) || slices.Contains(reservedNames, name) {
				v.add(epath, "invalid variable name "+strconv.Quote(name))
			}
			if _, err := ParseExtract(expr); err != nil {
				v.add(epath, err.Error())
			}
		}
		for name := range st.Extract {
			if !slices.Contains(allowed, name) {
				allowed = append(allowed, name)
			}
		}
	}
}
