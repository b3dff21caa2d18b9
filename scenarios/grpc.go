package scenarios

import (
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// GRPC is a unary gRPC call: a request (or flow step) with a grpc block
// instead of a url. Its YAML form:
//
//	grpc:
//	  target: "${api}"                     # a service, or host:port
//	  method: shop.v1.Orders/GetOrder      # package.Service/Method
//	  message: {id: "${seq}"}              # the request message as YAML/JSON
//	  metadata: {x-tag: a}
//	  deadline: 2s                         # default load.timeout
//	  proto: [shop.proto]                  # default: server reflection
type GRPC struct {
	// Target is where the call goes: a service's address ("${api}", whose
	// http:// is dropped), "host:port" (plaintext HTTP/2), "http://host:port"
	// or "https://host:port" (TLS). It may use service names, ${run_id} and
	// ${env NAME}, nothing that changes per call.
	Target Template `yaml:"target"`
	// Method is the full method name, "package.Service/Method" (a leading
	// "/" is accepted).
	Method string `yaml:"method"`
	// Message is the request message written as YAML or JSON, in the
	// protobuf JSON mapping (field names as in the .proto file or in
	// lowerCamelCase; 64-bit integers may be strings, so "${seq}" works);
	// nil sends the empty message.
	Message *Template `yaml:"message,json"`
	// Metadata are the call's request headers; keys are lower-cased.
	Metadata map[string]Template `yaml:"metadata"`
	// Deadline bounds each call; 0 means the load's timeout.
	Deadline Duration `yaml:"deadline"`
	// Proto lists .proto files, or descriptor sets (.pb, .protoset, .desc,
	// .bin: a serialized google.protobuf.FileDescriptorSet, as written by
	// `protoc --include_imports -o`), that describe Method; relative paths
	// resolve against the folder of the scenario file. Empty: the message
	// types are asked of the server by gRPC server reflection when the run
	// starts.
	Proto []string `yaml:"proto,oneormany"`
	// ImportPaths are folders where the imports of .proto files are looked
	// up, besides the folder of each file; relative paths as for Proto.
	ImportPaths []string `yaml:"import_paths"`

	// Files holds the descriptors read from Proto; set by Validate, nil
	// when Proto is empty.
	Files *protoregistry.Files `yaml:"-"`
}

// FullMethod returns Method as gRPC puts it on the wire: "/package.Service/Method".
func (g *GRPC) FullMethod() string { return "/" + strings.TrimPrefix(g.Method, "/") }

// StatusCodes are the statuses an expect block accepts: HTTP status codes
// (100–599) for an HTTP request, gRPC status names (OK, NOT_FOUND, …) or
// codes (0–16) for a gRPC call. A gRPC status is kept as GRPCStatusBase
// plus its code, the way results carry it. YAML: one value or a list.
type StatusCodes []int

// GRPCStatusBase offsets gRPC status codes in StatusCodes (and in the
// results' status codes), so they never collide with HTTP statuses.
const GRPCStatusBase = 1000

// GRPCStatusNames are the gRPC status codes' canonical names, indexed by code.
var GRPCStatusNames = []string{"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
	"UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"}

// grpcStatusErrorClasses are the error classes of the gRPC statuses other
// than OK: "grpc_" and the status name in lower case.
func grpcStatusErrorClasses() []string {
	var out []string
	for _, n := range GRPCStatusNames[1:] {
		out = append(out, "grpc_"+strings.ToLower(n))
	}
	return out
}

func (s *StatusCodes) decodeNode(d *decoder, n ast.Node, path string) {
	items := []ast.Node{n}
	if seq, ok := n.(*ast.SequenceNode); ok {
		items = seq.Values
	}
	for i, item := range items {
		ipath := path
		if _, ok := n.(*ast.SequenceNode); ok {
			ipath = indexPath(path, i)
		}
		item = d.resolve(item)
		d.pos[ipath] = nodePos(item)
		switch item := item.(type) {
		case *ast.IntegerNode:
			var code int
			d.decodeValue(item, reflectOf(&code), ipath, "")
			*s = append(*s, code)
		case *ast.StringNode:
			name := strings.ToUpper(strings.TrimPrefix(strings.ToLower(item.Value), "grpc_"))
			if name == "CANCELED" {
				name = "CANCELLED"
			}
			code := slices.Index(GRPCStatusNames, name)
			if code < 0 {
				d.fail(item, ipath, "unknown gRPC status "+strconv.Quote(item.Value)+
					or(hint(name, GRPCStatusNames), " (statuses: "+strings.Join(GRPCStatusNames, ", ")+")"))
				continue
			}
			*s = append(*s, GRPCStatusBase+code)
		default:
			d.fail(item, ipath, "expected a status code or a gRPC status name, got "+describe(item))
		}
	}
}

// grpcCall checks the gRPC call of a request or flow step at path (the
// request's path; the call is at path.grpc).
func (v *validator) grpcCall(path string, g *GRPC, expect *Expect, allowed []string) {
	gpath := path + ".grpc"
	v.grpcTarget(gpath+".target", g.Target)
	switch m := strings.TrimPrefix(g.Method, "/"); {
	case m == "":
		v.add(gpath+".method", `missing method (e.g. method: "shop.v1.Orders/GetOrder")`)
	case strings.Count(m, "/") != 1 || strings.HasPrefix(m, "/") || strings.HasSuffix(m, "/") || strings.ContainsAny(m, " \t"):
		v.add(gpath+".method", "method "+strconv.Quote(g.Method)+` must be "package.Service/Method"`)
	}
	if g.Message != nil {
		v.template(gpath+".message", *g.Message, allowed)
	}
	for _, k := range slices.Sorted(maps.Keys(g.Metadata)) {
		mpath := joinPath(gpath+".metadata", k)
		if !validToken(k) || strings.HasPrefix(strings.ToLower(k), "grpc-") || k == ":authority" {
			v.add(mpath, "invalid metadata key "+strconv.Quote(k)+" (a header name, not starting with grpc-)")
		}
		v.template(mpath, g.Metadata[k], allowed)
	}
	if g.Deadline < 0 {
		v.add(gpath+".deadline", "must be > 0, got "+g.Deadline.String())
	}
	if expect != nil {
		v.expect(path+".expect", expect)
		for i, code := range expect.Status {
			if code < GRPCStatusBase {
				v.add(statusPath(path+".expect.status", i, len(expect.Status)), "invalid gRPC status "+strconv.Itoa(code)+
					" (use a name like OK, NOT_FOUND or UNAVAILABLE)")
			}
		}
	}
	if len(g.Proto) > 0 {
		files, err := readProtos(v.s.File, g.Proto, g.ImportPaths)
		if err != nil {
			v.add(gpath+".proto", err.Error())
			return
		}
		g.Files = files
		v.probs = append(v.probs, v.s.CheckGRPC(path, g, files)...)
	}
}

// statusPath is the path of the i-th of n statuses of an expect block:
// a single status was written as a scalar.
func statusPath(path string, i, n int) string {
	if n == 1 {
		return path
	}
	return indexPath(path, i)
}

// grpcTarget checks a call's target: a service or a literal host:port on
// loopback, with nothing that changes per call.
func (v *validator) grpcTarget(path string, t Template) {
	if t.IsZero() {
		v.add(path, `missing target (e.g. target: "${api}" or "127.0.0.1:9000")`)
		return
	}
	v.template(path, t, append(v.serviceNames(), "run_id"))
	src, ok := t.Static()
	if !ok || strings.Contains(src, "${") {
		return // a service address, checked at run start like a URL's
	}
	if strings.Contains(src, "://") {
		if err := CheckTarget(src, v.s.AllowRemote); err != nil {
			v.add(path, err.Error())
		}
		return
	}
	host, _, err := net.SplitHostPort(src)
	switch {
	case err != nil:
		v.add(path, "target "+strconv.Quote(src)+" must be a service like ${api}, host:port or http://host:port")
	case !v.s.AllowRemote && !IsLoopback(host):
		v.add(path, "host "+strconv.Quote(host)+" is not loopback (set allow_remote: true to allow it)")
	}
}

// GRPCTarget returns the address a bound target dials ("host:port") and
// whether the connection uses TLS.
func GRPCTarget(target string) (addr string, tls bool) {
	switch {
	case strings.HasPrefix(target, "https://"):
		addr, tls = strings.TrimPrefix(target, "https://"), true
	case strings.HasPrefix(target, "http://"):
		addr = strings.TrimPrefix(target, "http://")
	default:
		addr = target
	}
	return strings.TrimSuffix(addr, "/"), tls
}

// GRPCSite is a gRPC call of a scenario and the field path of the request
// or flow step that makes it.
type GRPCSite struct {
	Path string
	Call *GRPC
	// Request is the index of the request in Spec.Requests.
	Request int
}

// GRPCCalls lists the gRPC calls of s in file order.
func (s *Spec) GRPCCalls() []GRPCSite {
	var out []GRPCSite
	for i := range s.Requests {
		r := &s.Requests[i]
		if r.GRPC != nil {
			out = append(out, GRPCSite{indexPath("requests", i), r.GRPC, i})
		}
		for j := range r.Flow {
			if st := &r.Flow[j]; st.GRPC != nil {
				out = append(out, GRPCSite{indexPath(indexPath("requests", i)+".flow", j), st.GRPC, i})
			}
		}
	}
	return out
}
