package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// maxProtoBytes bounds a descriptor set read from disk.
const maxProtoBytes = 64 << 20

// descriptorSetExts are the extensions of files read as a serialized
// FileDescriptorSet rather than compiled as .proto source.
var descriptorSetExts = []string{".pb", ".protoset", ".desc", ".bin"}

// readProtos reads the .proto files and descriptor sets of a call; relative
// paths resolve against the folder of the scenario file.
func readProtos(scenarioFile string, files, importPaths []string) (*protoregistry.Files, error) {
	resolve := func(p string) string {
		if filepath.IsAbs(p) || scenarioFile == "" || strings.HasPrefix(scenarioFile, "library:") {
			return p
		}
		return filepath.Join(filepath.Dir(scenarioFile), p)
	}
	var imports []string
	for _, ip := range importPaths {
		imports = append(imports, resolve(ip))
	}
	reg := new(protoregistry.Files)
	for _, f := range files {
		path := resolve(f)
		var fds []protoreflect.FileDescriptor
		var err error
		if slices.Contains(descriptorSetExts, filepath.Ext(path)) {
			fds, err = readDescriptorSet(path)
		} else {
			fds, err = compileProto(path, imports)
		}
		if err != nil {
			return nil, err
		}
		for _, fd := range fds {
			if err := register(reg, fd); err != nil {
				return nil, errors.New(path + ": " + err.Error())
			}
		}
	}
	return reg, nil
}

// compileProto parses and links one .proto file; its imports are looked up
// in its own folder, then in imports, then among the well-known types.
func compileProto(path string, imports []string) ([]protoreflect.FileDescriptor, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, errors.New("proto file " + strconv.Quote(path) + " does not exist")
	}
	c := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
		ImportPaths: append([]string{filepath.Dir(path)}, imports...),
	})}
	linked, err := c.Compile(context.Background(), filepath.Base(path))
	if err != nil {
		return nil, errors.New("proto: " + err.Error())
	}
	out := make([]protoreflect.FileDescriptor, len(linked))
	for i, f := range linked {
		out[i] = f
	}
	return out, nil
}

// readDescriptorSet reads a serialized FileDescriptorSet whose files include
// their imports.
func readDescriptorSet(path string) ([]protoreflect.FileDescriptor, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, errors.New("descriptor set " + strconv.Quote(path) + " does not exist")
	}
	if fi.Size() > maxProtoBytes {
		return nil, errors.New("descriptor set " + strconv.Quote(path) + " is larger than 64 MiB")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.New("descriptor set " + strconv.Quote(path) + ": " + err.Error())
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(data, &set); err != nil {
		return nil, errors.New(strconv.Quote(path) + " is not a FileDescriptorSet: " + err.Error())
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		return nil, errors.New("descriptor set " + strconv.Quote(path) + " (written with --include_imports?): " + err.Error())
	}
	var out []protoreflect.FileDescriptor
	files.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		out = append(out, fd)
		return true
	})
	return out, nil
}

// register adds fd and its imports to reg, once each.
func register(reg *protoregistry.Files, fd protoreflect.FileDescriptor) error {
	if _, err := reg.FindFileByPath(fd.Path()); err == nil {
		return nil
	}
	imports := fd.Imports()
	for i := range imports.Len() {
		if err := register(reg, imports.Get(i).FileDescriptor); err != nil {
			return err
		}
	}
	return reg.RegisterFile(fd)
}

// ResolveMethod finds the unary method of a full method name
// ("package.Service/Method") in files.
func ResolveMethod(files *protoregistry.Files, method string) (protoreflect.MethodDescriptor, error) {
	svcName, name, _ := strings.Cut(strings.TrimPrefix(method, "/"), "/")
	d, err := files.FindDescriptorByName(protoreflect.FullName(svcName))
	svc, ok := d.(protoreflect.ServiceDescriptor)
	if err != nil || !ok {
		var names []string
		files.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
			for i := range fd.Services().Len() {
				names = append(names, string(fd.Services().Get(i).FullName()))
			}
			return true
		})
		return nil, errors.New("unknown service " + strconv.Quote(svcName) +
			or(hint(svcName, names), " (services: "+orNone(names)+")"))
	}
	m := svc.Methods().ByName(protoreflect.Name(name))
	if m == nil {
		var names []string
		for i := range svc.Methods().Len() {
			names = append(names, string(svc.Methods().Get(i).Name()))
		}
		return nil, errors.New("unknown method " + strconv.Quote(name) + " in service " + string(svc.FullName()) +
			or(hint(name, names), " (methods: "+orNone(names)+")"))
	}
	if m.IsStreamingClient() || m.IsStreamingServer() {
		return nil, errors.New("method " + strconv.Quote(name) + " streams; gauntlet sends unary calls only")
	}
	return m, nil
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// CheckGRPC checks the gRPC call g of the request or flow step at path
// against files: the method exists and is unary, every field of the message
// exists in the method's input type, and a message without placeholders
// converts. Problems are positioned in s's file; nil when all is well. The
// engine calls it with descriptors from server reflection for calls without
// proto files.
func (s *Spec) CheckGRPC(path string, g *GRPC, files *protoregistry.Files) Problems {
	v := &validator{s: s}
	gpath := path + ".grpc"
	m, err := ResolveMethod(files, g.Method)
	if err != nil {
		v.add(gpath+".method", err.Error())
		return v.probs
	}
	if g.Message == nil {
		return nil
	}
	var doc any
	dec := json.NewDecoder(strings.NewReader(g.Message.Source()))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		v.add(gpath+".message", "not a JSON message: "+err.Error())
		return v.probs
	}
	before := len(v.probs)
	v.messageFields(gpath+".message", m.Input(), doc)
	if len(v.probs) > before {
		return v.probs
	}
	if src, ok := g.Message.Static(); ok {
		if err := protojson.Unmarshal([]byte(src), dynamicpb.NewMessage(m.Input())); err != nil {
			v.add(gpath+".message", "does not fit "+string(m.Input().FullName())+": "+protoErr(err))
		}
	}
	return v.probs
}

// messageFields checks that every key of doc names a field of md, by its
// .proto name or its JSON name, recursing into message fields.
func (v *validator) messageFields(path string, md protoreflect.MessageDescriptor, doc any) {
	obj, ok := doc.(map[string]any)
	if !ok || wellKnownJSON(md) {
		return // the value's type is for protojson to check
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range obj {
			if !yield(k) {
				return
			}
		}
	}) {
		fd := md.Fields().ByName(protoreflect.Name(k))
		if fd == nil {
			fd = md.Fields().ByJSONName(k)
		}
		fpath := joinPath(path, k)
		if fd == nil {
			var names []string
			for i := range md.Fields().Len() {
				names = append(names, string(md.Fields().Get(i).Name()))
			}
			v.add(fpath, "unknown field "+strconv.Quote(k)+" in message "+string(md.FullName())+
				or(hint(k, names), " (fields: "+orNone(names)+")"))
			continue
		}
		if fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind {
			continue
		}
		switch {
		case fd.IsMap():
			if vals, ok := obj[k].(map[string]any); ok && fd.MapValue().Message() != nil {
				for mk, mv := range vals {
					v.messageFields(joinPath(fpath, mk), fd.MapValue().Message(), mv)
				}
			}
		case fd.IsList():
			if items, ok := obj[k].([]any); ok {
				for i, item := range items {
					v.messageFields(indexPath(fpath, i), fd.Message(), item)
				}
			}
		default:
			v.messageFields(fpath, fd.Message(), obj[k])
		}
	}
}

// wellKnownJSON reports whether md has a special JSON form (Timestamp,
// Duration, Struct, Any, wrappers…) rather than an object of its fields.
func wellKnownJSON(md protoreflect.MessageDescriptor) bool {
	return md.ParentFile() != nil && strings.HasPrefix(string(md.ParentFile().Package()), "google.protobuf")
}

// protoErr is err's message without the "proto:" prefix the protobuf
// module puts on it (followed by a space or a no-break space).
func protoErr(err error) string {
	msg := strings.TrimPrefix(err.Error(), "proto:")
	return strings.TrimLeft(msg, " \u00a0")
}
