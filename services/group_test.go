package services

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStartGroupOrderVarsAndStopAll(t *testing.T) {
	t.Parallel()
	db := helperSpec("db", "serve")
	api := helperSpec("api", "serve")
	api.Env["HELPER_DB"] = "${db}"
	web := helperSpec("web", "serve")
	web.Env["HELPER_DB"] = "${db}"
	web.Env["HELPER_API"] = "${api}"
	web.Vars = map[string]string{"db": "http://override"} // explicit Vars win
	specs := []Spec{web, api, db}
	deps := map[string][]string{"web": {"api", "db"}, "api": {"db"}}

	var rec recorder
	g, err := StartGroup(context.Background(), specs, deps, rec.emit)
	if err != nil {
		t.Fatalf("StartGroup() error = %v", err)
	}
	var names []string
	for _, p := range g.Processes() {
		names = append(names, p.Name())
	}
	if diff := cmp.Diff([]string{"db", "api", "web"}, names); diff != "" {
		t.Errorf("start order (-want +got):\n%s", diff)
	}
	if g.Get("nope") != nil {
		t.Error(`Get("nope") != nil`)
	}

	var seen echo
	_, body := get(t, g.Get("web").URL()+"/echo")
	if err := json.Unmarshal([]byte(body), &seen); err != nil {
		t.Fatalf("/echo body %q: %v", body, err)
	}
	if got, want := seen.Env["HELPER_API"], g.Get("api").URL(); got != want {
		t.Errorf("web's ${api} = %q; want %q", got, want)
	}
	if got, want := seen.Env["HELPER_DB"], "http://override"; got != want {
		t.Errorf("web's ${db} = %q; want %q", got, want)
	}
	_, body = get(t, g.Get("api").URL()+"/echo")
	if err := json.Unmarshal([]byte(body), &seen); err != nil {
		t.Fatalf("/echo body %q: %v", body, err)
	}
	if got, want := seen.Env["HELPER_DB"], g.Get("db").URL(); got != want {
		t.Errorf("api's ${db} = %q; want %q", got, want)
	}

	if err := g.StopAll(context.Background()); err != nil {
		t.Fatalf("StopAll() error = %v", err)
	}
	var readyOrder, stopOrder []string
	for _, e := range rec.all("") {
		switch e.Kind {
		case EventReady:
			readyOrder = append(readyOrder, e.Service)
		case EventStopped:
			stopOrder = append(stopOrder, e.Service)
		}
	}
	if diff := cmp.Diff([]string{"db", "api", "web"}, readyOrder); diff != "" {
		t.Errorf("ready order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"web", "api", "db"}, stopOrder); diff != "" {
		t.Errorf("stop order (-want +got):\n%s", diff)
	}
}

func TestStartGroupFailureStopsStarted(t *testing.T) {
	t.Parallel()
	specs := []Spec{helperSpec("db", "serve"), helperSpec("api", "exit")}
	var rec recorder
	g, err := StartGroup(context.Background(), specs, map[string][]string{"api": {"db"}}, rec.emit)
	if err == nil {
		g.StopAll(context.Background())
		t.Fatal("StartGroup() succeeded; want the error of api")
	}
	if !errors.Is(err, errExited) || !strings.Contains(err.Error(), "boom: bad config") {
		t.Errorf("StartGroup() error = %v; want api's exit with its output tail", err)
	}
	if diff := cmp.Diff([]string{EventStarted, EventReady, EventStopped}, rec.kinds("db")); diff != "" {
		t.Errorf("db event kinds (-want +got):\n%s", diff)
	}
	assertGone(t, rec.all("db")[0].PID)
}

func TestStartOrder(t *testing.T) {
	t.Parallel()
	named := func(names ...string) []Spec {
		var specs []Spec
		for _, n := range names {
			specs = append(specs, Spec{Name: n})
		}
		return specs
	}
	tests := []struct {
		name    string
		specs   []Spec
		deps    map[string][]string
		want    []int
		wantErr string
	}{
		{name: "no deps keeps order", specs: named("a", "b", "c"), want: []int{0, 1, 2}},
		{name: "chain", specs: named("c", "b", "a"), deps: map[string][]string{"c": {"b"}, "b": {"a"}}, want: []int{2, 1, 0}},
		{name: "diamond", specs: named("top", "left", "right", "base"),
			deps: map[string][]string{"top": {"left", "right"}, "left": {"base"}, "right": {"base"}},
			want: []int{3, 1, 2, 0}},
		{name: "unknown dependency", specs: named("a"), deps: map[string][]string{"a": {"ghost"}},
			wantErr: `a: depends on unknown service "ghost"`},
		{name: "unknown dependent", specs: named("a"), deps: map[string][]string{"ghost": {"a"}},
			wantErr: `depends_on: unknown service "ghost"`},
		{name: "duplicate", specs: named("a", "a"), wantErr: `services[1]: duplicate name "a"`},
		{name: "empty name", specs: named(""), wantErr: "services[0]: name must not be empty"},
		{name: "cycle", specs: named("a", "b", "c"), deps: map[string][]string{"a": {"b"}, "b": {"a"}},
			wantErr: "dependency cycle among a, b"},
	}
	for _, tt := range tests {
		got, err := startOrder(tt.specs, tt.deps)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%s: startOrder() error = %v; want %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: startOrder() error = %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: startOrder() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestStartGroupUnknownDependencyStartsNothing(t *testing.T) {
	t.Parallel()
	var rec recorder
	_, err := StartGroup(context.Background(), []Spec{helperSpec("a", "serve")}, map[string][]string{"a": {"ghost"}}, rec.emit)
	if err == nil || !strings.Contains(err.Error(), `unknown service "ghost"`) {
		t.Errorf("StartGroup() error = %v; want unknown service ghost", err)
	}
	if events := rec.all(""); len(events) != 0 {
		t.Errorf("events = %v; want none", events)
	}
}
