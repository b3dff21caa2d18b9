package scenarios

import (
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestTemplateBindRender(t *testing.T) {
	t.Setenv("GAUNTLET_TEST_TOKEN", `se"cret`)
	vars := map[string]string{"api": "http://127.0.0.1:8080", "run_id": "r1"}
	tests := []struct {
		src, json string
		r         Renderer
		want      string
		static    bool
	}{
		{src: "${api}/ping", want: "http://127.0.0.1:8080/ping", static: true},
		{src: "run-${run_id}", want: "run-r1", static: true},
		{src: "tok ${env GAUNTLET_TEST_TOKEN}", want: `tok se"cret`, static: true},
		{src: "$${api} and $$", want: "${api} and $$", static: true},
		{src: "n=${seq}", r: Renderer{Seq: 42}, want: "n=42"},
		{src: "/orders/${id}", r: Renderer{Vars: map[string]string{"id": "7"}}, want: "/orders/7"},
		{src: "/orders/${missing}", want: "/orders/"},
		{json: `{"t":"${env GAUNTLET_TEST_TOKEN}","v":"${v}"}`, r: Renderer{Vars: map[string]string{"v": "a\\b\n"}}, want: `{"t":"se\"cret","v":"a\\b\n"}`},
	}
	for _, tt := range tests {
		var tm Template
		if tt.json != "" {
			tm = *jsonTmpl(tt.json)
		} else {
			tm = tmpl(tt.src)
		}
		bound := tm.Bind(vars)
		r := tt.r
		if got := string(bound.Render(nil, &r)); got != tt.want {
			t.Errorf("Bind(%q).Render() = %q; want %q", tm.Source(), got, tt.want)
		}
		if text, ok := bound.Static(); ok != tt.static || (ok && text != tt.want) {
			t.Errorf("Bind(%q).Static() = %q, %v; want %q, %v", tm.Source(), text, ok, tt.want, tt.static)
		}
		if bound.Source() != tm.Source() {
			t.Errorf("Bind(%q).Source() = %q; want unchanged", tm.Source(), bound.Source())
		}
	}
}

func TestTemplateRandom(t *testing.T) {
	t.Parallel()
	r := &Renderer{Rand: rand.New(rand.NewPCG(1, 2))}
	ri := tmpl("${rand_int -2 3}")
	seen := map[int]bool{}
	for range 1000 {
		n, err := strconv.Atoi(string(ri.Render(nil, r)))
		if err != nil || n < -2 || n > 3 {
			t.Fatalf("Render(${rand_int -2 3}) = %d, %v; want -2..3", n, err)
		}
		seen[n] = true
	}
	if len(seen) != 6 {
		t.Errorf("Render(${rand_int -2 3}) over 1000 runs saw %v; want all of -2..3", seen)
	}
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	u := tmpl("${uuid}")
	for range 100 {
		if got := string(u.Render(nil, r)); !uuidRE.MatchString(got) {
			t.Fatalf("Render(${uuid}) = %q; want a v4 UUID", got)
		}
	}
	if a, b := string(u.Render(nil, r)), string(u.Render(nil, r)); a == b {
		t.Errorf("Render(${uuid}) twice = %q, %q; want different", a, b)
	}
	if got := tmpl("${rand_int 5 5}").Render(nil, nil); string(got) != "5" {
		t.Errorf("Render(${rand_int 5 5}, nil) = %q; want 5", got)
	}
}

func TestCompileTemplateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ src, want string }{
		{"${", "unterminated placeholder"},
		{"${}", "empty placeholder"},
		{"${rand_int 1}", "needs two integers"},
		{"${rand_int 9 1}", "lower bound is above upper bound"},
		{"${uuid 1}", "takes no arguments"},
		{"${env}", "needs one variable name"},
		{"${rnd_int 1 2}", `unknown function "rnd_int" in "${rnd_int 1 2}" (did you mean "rand_int"?)`},
		{"${a.b}", "invalid name"},
	}
	for _, tt := range tests {
		if _, err := CompileTemplate(tt.src); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CompileTemplate(%q) = %v; want error containing %q", tt.src, err, tt.want)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	tm := MustCompileTemplate("${api}/orders/${id}?n=${seq}&r=${rand_int 1 1000}&u=${uuid}").
		Bind(map[string]string{"api": "http://127.0.0.1:8080"})
	r := &Renderer{Rand: rand.New(rand.NewPCG(1, 2)), Vars: map[string]string{"id": "abc"}}
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		r.Seq++
		dst = tm.Render(dst[:0], r)
	}
}

func TestRenderAllocs(t *testing.T) { // not parallel: AllocsPerRun forbids it
	tm := MustCompileTemplate(`{"id":"${id}","n":${seq},"r":${rand_int 1 9},"u":"${uuid}"}`)
	tm.json = true
	r := &Renderer{Rand: rand.New(rand.NewPCG(1, 2)), Vars: map[string]string{"id": `a"b`}}
	dst := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { dst = tm.Render(dst[:0], r) }); n != 0 {
		t.Errorf("Render allocs = %v; want 0", n)
	}
}
