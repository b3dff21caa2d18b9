package services

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gauntletbench/gauntlet/chaos"
)

func TestExpand(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"port": "8081", "addr": "127.0.0.1:8081", "order-svc": "http://127.0.0.1:9"}
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "", want: ""},
		{in: "plain", want: "plain"},
		{in: "--addr=${addr}", want: "--addr=127.0.0.1:8081"},
		{in: "${port}${port}", want: "80818081"},
		{in: "${order-svc}/orders", want: "http://127.0.0.1:9/orders"},
		{in: "$HOME and $", want: "$HOME and $"},
		{in: "${nope}", wantErr: "unknown placeholder ${nope} (known: addr, order-svc, port)"},
		{in: "x${port", wantErr: `unterminated placeholder in "x${port"`},
	}
	for _, tt := range tests {
		got, err := expand(tt.in, vars)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("expand(%q) error = %v; want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	base := Spec{Name: "svc", Command: []string{"srv", "--listen", "${addr}"}, Ready: defaultReady}
	tests := []struct {
		name    string
		edit    func(*Spec)
		want    launch // env holds only the entries added after os.Environ()
		wantErr string
	}{
		{name: "defaults", edit: func(*Spec) {},
			want: launch{command: []string{"srv", "--listen", "127.0.0.1:4000"}, ready: "http://127.0.0.1:4000/healthz"}},
		{name: "env sorted and expanded", edit: func(s *Spec) {
			s.Env = map[string]string{"B": "${up}", "A": "${port}"}
			s.Vars = map[string]string{"up": "http://u"}
		}, want: launch{command: []string{"srv", "--listen", "127.0.0.1:4000"}, env: []string{"A=4000", "B=http://u"},
			ready: "http://127.0.0.1:4000/healthz"}},
		{name: "no name", edit: func(s *Spec) { s.Name = "" }, wantErr: "name must not be empty"},
		{name: "no command", edit: func(s *Spec) { s.Command = nil }, wantErr: "command must not be empty"},
		{name: "reserved var", edit: func(s *Spec) { s.Vars = map[string]string{"port": "1"} }, wantErr: "vars: port is reserved"},
		{name: "bad env", edit: func(s *Spec) { s.Env = map[string]string{"X": "${y}"} }, wantErr: "env.X: unknown placeholder ${y}"},
		{name: "bad ready", edit: func(s *Spec) { s.Ready = "127.0.0.1:${port}/healthz" }, wantErr: "ready: \"127.0.0.1:4000/healthz\" is not an http(s) URL"},
	}
	for _, tt := range tests {
		spec := base
		spec.Command = append([]string(nil), base.Command...)
		tt.edit(&spec)
		got, err := resolve(spec, 4000)
		if tt.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("%s: resolve() error = %v; want prefix %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: resolve() error = %v", tt.name, err)
			continue
		}
		if n := len(got.env); n == 0 || got.env[n-1] != chaos.Marker() {
			t.Errorf("%s: env does not end with gauntlet's marker: %q", tt.name, got.env)
		} else {
			got.env = got.env[:n-1]
		}
		got.env = got.env[len(got.env)-len(tt.want.env):]
		if len(tt.want.env) == 0 {
			got.env = nil
		}
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(launch{})); diff != "" {
			t.Errorf("%s: resolve() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestWithDefaults(t *testing.T) {
	t.Parallel()
	got := withDefaults(Spec{Name: "x"})
	want := Spec{Name: "x", Ready: "http://${addr}/healthz", StartTimeout: 30 * time.Second, StopTimeout: 10 * time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("withDefaults() (-want +got):\n%s", diff)
	}
}
