package main

import (
	"fmt"
	"strings"

	"github.com/gauntletbench/gauntlet/scenarios"
)

// grpcSpec is spec for --grpc: one unary gRPC call to target (host:port or
// a URL), its message from --body, its metadata from -H.
func (o *attackOptions) grpcSpec(target string) (*scenarios.Spec, error) {
	if o.grpcConns < 1 {
		return nil, usageErr(fmt.Errorf("--grpc-conns must be >= 1, got %d", o.grpcConns))
	}
	t, err := scenarios.CompileTemplate(target)
	if err != nil {
		return nil, usageErr(fmt.Errorf("target: %w", err))
	}
	g := &scenarios.GRPC{Target: t, Method: o.grpc, Metadata: map[string]scenarios.Template{}, Proto: o.protos}
	for _, h := range o.headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, usageErr(fmt.Errorf("--header %q: want \"key: value\"", h))
		}
		mt, err := scenarios.CompileTemplate(strings.TrimSpace(v))
		if err != nil {
			return nil, usageErr(fmt.Errorf("--header %q: %w", h, err))
		}
		g.Metadata[strings.ToLower(strings.TrimSpace(k))] = mt
	}
	if o.body != "" {
		m, err := scenarios.CompileTemplate(o.body)
		if err != nil {
			return nil, usageErr(fmt.Errorf("--body: %w", err))
		}
		g.Message = &m
	}
	name := o.name
	if name == "attack" {
		name = o.grpc[strings.LastIndexByte(o.grpc, '/')+1:]
	}
	spec := o.loadSpec([]scenarios.Request{{Name: name, Weight: 1, GRPC: g}})
	spec.Load.Connections = o.grpcConns
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	return spec, nil
}
