package scenarios

import (
	"errors"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// Template is a compiled string with ${...} placeholders:
//
//	${NAME}           a service's base address (http://127.0.0.1:PORT), ${run_id},
//	                  ${port} and ${addr} (service command/ready/env only), or in
//	                  flows a variable extracted by an earlier step
//	${rand_int A B}   a uniform integer in [A, B]
//	${uuid}           a random version 4 UUID
//	${seq}            the request's sequence number
//	${env NAME}       the environment variable NAME at run start
//	${row.COLUMN}     the column COLUMN of the request's data row
//
// "$${" writes a literal "${". A Template is immutable and safe for
// concurrent use; the zero Template renders nothing.
type Template struct {
	src   string
	parts []part
	json  bool // dynamic values are written JSON-string-escaped
}

type partKind uint8

const (
	partLit partKind = iota
	partName
	partRandInt
	partUUID
	partSeq
	partEnv
)

type part struct {
	kind partKind
	text string // literal text, or the name of a name/env placeholder
	a, b int64  // rand_int bounds
}

// templateFuncs are the placeholders that take the form of a function.
var templateFuncs = []string{"rand_int", "uuid", "seq", "env"}

// CompileTemplate compiles src. The error names the offending placeholder.
func CompileTemplate(src string) (Template, error) {
	t := Template{src: src}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{kind: partLit, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(src); {
		switch {
		case strings.HasPrefix(src[i:], "$${"):
			lit.WriteString("${")
			i += 3
		case strings.HasPrefix(src[i:], "${"):
			end := strings.IndexByte(src[i:], '}')
			if end < 0 {
				return Template{}, errors.New("unterminated placeholder " + strconv.Quote(src[i:]) + ` (close it with "}", or write "$${" for a literal "${")`)
			}
			p, err := compilePart(src[i+2 : i+end])
			if err != nil {
				return Template{}, err
			}
			flush()
			t.parts = append(t.parts, p)
			i += end + 1
		default:
			lit.WriteByte(src[i])
			i++
		}
	}
	flush()
	return t, nil
}

// MustCompileTemplate is like CompileTemplate but panics on error; for tests
// and literals known to be valid.
func MustCompileTemplate(src string) Template {
	t, err := CompileTemplate(src)
	if err != nil {
		panic(err)
	}
	return t
}

func compilePart(body string) (part, error) {
	ph := strconv.Quote("${" + body + "}")
	f := strings.Fields(body)
	if len(f) == 0 {
		return part{}, errors.New("empty placeholder " + ph)
	}
	switch f[0] {
	case "rand_int":
		if len(f) != 3 {
			return part{}, errors.New("placeholder " + ph + " needs two integers, e.g. ${rand_int 1 100}")
		}
		a, errA := strconv.ParseInt(f[1], 10, 64)
		b, errB := strconv.ParseInt(f[2], 10, 64)
		if errA != nil || errB != nil {
			return part{}, errors.New("placeholder " + ph + " needs two integers, e.g. ${rand_int 1 100}")
		}
		if a > b {
			return part{}, errors.New("placeholder " + ph + ": lower bound is above upper bound")
		}
		return part{kind: partRandInt, a: a, b: b}, nil
	case "uuid", "seq":
		if len(f) != 1 {
			return part{}, errors.New("placeholder " + ph + " takes no arguments")
		}
		if f[0] == "uuid" {
			return part{kind: partUUID}, nil
		}
		return part{kind: partSeq}, nil
	case "env":
		if len(f) != 2 || !validName(f[1]) {
			return part{}, errors.New("placeholder " + ph + " needs one variable name, e.g. ${env TOKEN}")
		}
		return part{kind: partEnv, text: f[1]}, nil
	}
	if len(f) > 1 {
		return part{}, errors.New("unknown function " + strconv.Quote(f[0]) + " in " + ph + hint(f[0], templateFuncs))
	}
	if col, isRow := strings.CutPrefix(f[0], "row."); isRow && validName(col) {
		return part{kind: partName, text: f[0]}, nil
	}
	if !validName(f[0]) {
		return part{}, errors.New("invalid name in placeholder " + ph + " (use letters, digits, _ and -)")
	}
	return part{kind: partName, text: f[0]}, nil
}

// validName reports whether s can be a template name: a letter or _, then
// letters, digits, _ or -.
func validName(s string) bool {
	for i, r := range s {
		ok := r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') ||
			(i > 0 && (r == '-' || ('0' <= r && r <= '9')))
		if !ok {
			return false
		}
	}
	return s != ""
}

// Source returns the template as written (for JSON templates, the JSON text).
func (t Template) Source() string { return t.src }

// IsZero reports whether t is empty.
func (t Template) IsZero() bool { return t.src == "" && len(t.parts) == 0 }

// MarshalText returns the source, so a Spec marshals readably.
func (t Template) MarshalText() ([]byte, error) { return []byte(t.src), nil }

// names calls fn for every ${NAME} and ${env NAME} placeholder left in t.
func (t Template) names(fn func(name string, env bool)) {
	for _, p := range t.parts {
		switch p.kind {
		case partName:
			fn(p.text, false)
		case partEnv:
			fn(p.text, true)
		}
	}
}

// Bind returns a copy of t with ${NAME} placeholders found in vars and every
// ${env NAME} (read from the environment now) replaced by literals. Names
// not in vars stay; Render writes flow variables for them, or "".
func (t Template) Bind(vars map[string]string) Template {
	out := Template{src: t.src, json: t.json, parts: make([]part, 0, len(t.parts))}
	for _, p := range t.parts {
		switch p.kind {
		case partName:
			if v, ok := vars[p.text]; ok {
				out.appendLit(v, t.json)
				continue
			}
		case partEnv:
			out.appendLit(os.Getenv(p.text), t.json)
			continue
		case partLit:
			out.appendLit(p.text, false)
			continue
		}
		out.parts = append(out.parts, p)
	}
	return out
}

func (t *Template) appendLit(s string, escape bool) {
	if escape {
		s = string(appendJSONEscaped(nil, s))
	}
	if s == "" {
		return
	}
	if n := len(t.parts); n > 0 && t.parts[n-1].kind == partLit {
		t.parts[n-1].text += s
		return
	}
	t.parts = append(t.parts, part{kind: partLit, text: s})
}

// Static reports whether t has only literal text left (after Bind) and
// returns that text.
func (t Template) Static() (string, bool) {
	switch {
	case len(t.parts) == 0:
		return "", true
	case len(t.parts) == 1 && t.parts[0].kind == partLit:
		return t.parts[0].text, true
	}
	for _, p := range t.parts {
		if p.kind != partLit {
			return "", false
		}
	}
	var b strings.Builder
	for _, p := range t.parts {
		b.WriteString(p.text)
	}
	return b.String(), true
}

// Renderer supplies the dynamic parts of a Render. It is owned by one
// goroutine; a nil Renderer or nil Rand falls back to the global source.
type Renderer struct {
	// Seq is the request's sequence number, written by ${seq}.
	Seq uint64
	// Rand drives ${rand_int} and ${uuid}; one per worker, seeded from Load.Seed.
	Rand *rand.Rand
	// Vars holds flow variables; may be nil.
	Vars map[string]string
}

// Render appends the rendered template to dst and returns it. It does not
// allocate beyond growing dst.
func (t Template) Render(dst []byte, r *Renderer) []byte {
	for i := range t.parts {
		p := &t.parts[i]
		switch p.kind {
		case partLit:
			dst = append(dst, p.text...)
		case partName:
			if r != nil {
				dst = t.appendValue(dst, r.Vars[p.text])
			}
		case partEnv:
			dst = t.appendValue(dst, os.Getenv(p.text))
		case partSeq:
			var seq uint64
			if r != nil {
				seq = r.Seq
			}
			dst = strconv.AppendUint(dst, seq, 10)
		case partRandInt:
			n := uint64(p.b-p.a) + 1
			var v uint64
			switch {
			case n == 0: // the full int64 range
				v = r.uint64()
			default:
				v = r.uint64N(n)
			}
			dst = strconv.AppendInt(dst, p.a+int64(v), 10)
		case partUUID:
			dst = appendUUID(dst, r.uint64(), r.uint64())
		}
	}
	return dst
}

func (t Template) appendValue(dst []byte, v string) []byte {
	if t.json {
		return appendJSONEscaped(dst, v)
	}
	return append(dst, v...)
}

func (r *Renderer) uint64() uint64 {
	if r == nil || r.Rand == nil {
		return rand.Uint64()
	}
	return r.Rand.Uint64()
}

func (r *Renderer) uint64N(n uint64) uint64 {
	if r == nil || r.Rand == nil {
		return rand.Uint64N(n)
	}
	return r.Rand.Uint64N(n)
}

const hexDigits = "0123456789abcdef"

// appendUUID writes a version 4, variant 1 UUID built from hi and lo.
func appendUUID(dst []byte, hi, lo uint64) []byte {
	hi = hi&^(0xf<<12) | 0x4<<12 // version nibble: byte 6 high
	lo = lo&^(0x3<<62) | 0x2<<62 // variant bits: byte 8 high
	var b [16]byte
	for i := range 8 {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return dst
}

// appendJSONEscaped writes s escaped for use inside a JSON string.
func appendJSONEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

var _ yaml.NodeUnmarshaler = (*Template)(nil)

// UnmarshalYAML compiles a scalar node; the error it returns carries the
// node's position.
func (t *Template) UnmarshalYAML(n ast.Node) error {
	n = unwrap(n)
	if !isScalar(n) {
		return nodeErr(n, "expected a string, got "+describe(n))
	}
	c, err := CompileTemplate(scalarText(n))
	if err != nil {
		return nodeErr(n, err.Error())
	}
	*t = c
	return nil
}
