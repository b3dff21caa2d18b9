package runners

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// maxReflectFiles bounds the files one reflection lookup may fetch: a
// server cannot make the generator load descriptors without end.
const maxReflectFiles = 1000

// ReflectFiles asks the server behind cc, by gRPC server reflection
// (grpc.reflection.v1), for the files that define services and everything
// they import, and returns them linked. Imports the server does not serve
// are taken from the well-known types linked into gauntlet.
func ReflectFiles(ctx context.Context, cc *grpc.ClientConn, services []string) (*protoregistry.Files, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := rpb.NewServerReflectionClient(cc).ServerReflectionInfo(ctx)
	if err != nil {
		return nil, reflectErr(err)
	}
	defer stream.CloseSend()
	files := map[string]*descriptorpb.FileDescriptorProto{}
	ask := func(req *rpb.ServerReflectionRequest) error {
		if err := stream.Send(req); err != nil {
			return reflectErr(err)
		}
		resp, err := stream.Recv()
		if err != nil {
			return reflectErr(err)
		}
		if e := resp.GetErrorResponse(); e != nil {
			return status.Error(codes.Code(e.GetErrorCode()), e.GetErrorMessage())
		}
		for _, raw := range resp.GetFileDescriptorResponse().GetFileDescriptorProto() {
			fd := new(descriptorpb.FileDescriptorProto)
			if err := proto.Unmarshal(raw, fd); err != nil {
				return fmt.Errorf("server reflection sent a bad file descriptor: %w", err)
			}
			if len(files) >= maxReflectFiles {
				return fmt.Errorf("server reflection sent more than %d files", maxReflectFiles)
			}
			files[fd.GetName()] = fd
		}
		return nil
	}
	for _, svc := range services {
		req := &rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: svc}}
		if err := ask(req); err != nil {
			if status.Code(err) == codes.NotFound {
				return nil, fmt.Errorf("the server does not know service %q (server reflection: %v)", svc, status.Convert(err).Message())
			}
			return nil, err
		}
	}
	// Fetch the imports the answers did not include, until none is missing.
	for missing := imports(files); len(missing) > 0; missing = imports(files) {
		for _, name := range missing {
			if fd, err := protoregistry.GlobalFiles.FindFileByPath(name); err == nil {
				files[name] = protodesc.ToFileDescriptorProto(fd)
				continue
			}
			req := &rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileByFilename{FileByFilename: name}}
			if err := ask(req); err != nil {
				return nil, fmt.Errorf("import %s: %w", name, err)
			}
			if files[name] == nil {
				return nil, fmt.Errorf("server reflection did not send import %s", name)
			}
		}
	}
	set := &descriptorpb.FileDescriptorSet{}
	for _, fd := range files {
		set.File = append(set.File, fd)
	}
	reg, err := protodesc.NewFiles(set)
	if err != nil {
		return nil, fmt.Errorf("server reflection: %w", err)
	}
	return reg, nil
}

// imports lists the imports of files that are not among them.
func imports(files map[string]*descriptorpb.FileDescriptorProto) []string {
	var out []string
	seen := map[string]bool{}
	for _, fd := range files {
		for _, dep := range fd.GetDependency() {
			if files[dep] == nil && !seen[dep] {
				seen[dep] = true
				out = append(out, dep)
			}
		}
	}
	return out
}

// reflectErr explains a failed reflection call; Unimplemented means the
// server does not offer reflection.
func reflectErr(err error) error {
	if status.Code(err) == codes.Unimplemented {
		return errors.New("the server does not offer gRPC server reflection; give the call's .proto files with proto: [FILE.proto]")
	}
	return fmt.Errorf("server reflection: %w", err)
}
