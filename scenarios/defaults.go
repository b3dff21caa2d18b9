package scenarios

import (
	"strconv"
	"strings"
	"time"
)

// Defaults applied while decoding, for fields absent from the file.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultMaxInFlight  = 1000
	DefaultStartTimeout = 30 * time.Second
	DefaultStopTimeout  = 10 * time.Second
	DefaultTagHeader    = "X-Gauntlet-Tag"
	DefaultReady        = "http://${addr}/healthz"
)

func (l *LoadProfile) preset() {
	keepAlive := true
	l.Model = "open"
	l.Timeout = Duration(DefaultTimeout)
	l.MaxInFlight = DefaultMaxInFlight
	l.KeepAlive = &keepAlive
}

func (t *Tag) preset() { t.Header = DefaultTagHeader }

func (s *Stage) preset() { s.Ramp = "step" }

func (s *Service) preset() {
	s.StartTimeout = Duration(DefaultStartTimeout)
	s.StopTimeout = Duration(DefaultStopTimeout)
}

func (k *Kubernetes) preset() {
	k.Namespace = "default"
	k.Mode = "all"
}

func (s *Service) finish() {
	if s.Ready == "" && (s.Baseline != "" || len(s.Command) > 0) {
		s.Ready = DefaultReady
	}
}

func (r *Request) preset() { r.Weight = 1 }

// finish derives the method and the name; the index-based flow name is
// filled in by Spec.finish, which knows the index.
func (r *Request) finish() {
	if len(r.Flow) > 0 {
		return // each step has its own method
	}
	if r.GRPC != nil {
		if r.Name == "" {
			r.Name = grpcName(r.GRPC.Method)
		}
		return
	}
	r.Method = defaultMethod(r.Method, r.Body, r.JSON)
	if r.Name == "" {
		r.Name = r.Method + " " + urlPath(r.URL.Source())
	}
}

func (s *Step) finish() {
	if s.GRPC == nil {
		s.Method = defaultMethod(s.Method, s.Body, s.JSON)
	}
}

// grpcName is the default name of a gRPC call: its method's own name,
// "GetOrder" for "shop.v1.Orders/GetOrder".
func grpcName(method string) string {
	return method[strings.LastIndexByte(method, '/')+1:]
}

func (s *Spec) finish() {
	for i := range s.Requests {
		if s.Requests[i].Name == "" {
			s.Requests[i].Name = "flow-" + strconv.Itoa(i)
		}
		nameSteps(s.Requests[i].Flow)
	}
	for i := range s.Faults {
		if s.Faults[i].Name == "" && s.Faults[i].Kind != "" {
			s.Faults[i].Name = s.Faults[i].Kind + "-" + strconv.Itoa(i)
		}
	}
}

func defaultMethod(method string, body, json *Template) string {
	switch {
	case method != "":
		return strings.ToUpper(method)
	case body != nil || json != nil:
		return "POST"
	default:
		return "GET"
	}
}

// urlPath returns the part of a URL template source after its host:
// "${api}/ping?x=1" -> "/ping?x=1", "http://127.0.0.1:8080/a" -> "/a".
func urlPath(src string) string {
	rest := src
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	} else if strings.HasPrefix(rest, "${") {
		if end := strings.IndexByte(rest, '}'); end >= 0 {
			return orSlash(rest[end+1:])
		}
	}
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		return orSlash(rest[i:])
	}
	return "/"
}

func orSlash(p string) string {
	if p == "" || p[0] != '/' {
		return "/" + p
	}
	return p
}

// nameSteps names the unnamed steps of a flow "METHOD path", adding " #N"
// (the step's 1-based position) when that name is taken.
func nameSteps(steps []Step) {
	taken := map[string]bool{}
	for _, st := range steps {
		taken[st.Name] = st.Name != ""
	}
	for i := range steps {
		if steps[i].Name != "" {
			continue
		}
		name := steps[i].Method + " " + urlPath(steps[i].URL.Source())
		if g := steps[i].GRPC; g != nil {
			name = grpcName(g.Method)
		}
		if taken[name] {
			name += " #" + strconv.Itoa(i+1)
		}
		taken[name] = true
		steps[i].Name = name
	}
}
