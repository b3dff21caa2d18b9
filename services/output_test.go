package services

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestTailBuffer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		size   int
		writes []string
		want   string
	}{
		{name: "empty", size: 8, want: ""},
		{name: "fits", size: 8, writes: []string{"abc", "de"}, want: "abcde"},
		{name: "exactly full", size: 4, writes: []string{"ab", "cd"}, want: "abcd"},
		{name: "wraps", size: 4, writes: []string{"abc", "def"}, want: "cdef"},
		{name: "one big write", size: 4, writes: []string{"0123456789"}, want: "6789"},
		{name: "many small", size: 5, writes: strings.Split("abcdefghijklm", ""), want: "ijklm"},
		{name: "cut line dropped", size: 16, writes: []string{"abcdefgh\nxy\nthe last line\n"}, want: "the last line\n"},
		{name: "long cut line kept", size: 16, writes: []string{"aaaaaaa\nbbbbbbbbbbb"}, want: "aaaa\nbbbbbbbbbbb"},
	}
	for _, tt := range tests {
		b := newTailBuffer(tt.size)
		for _, w := range tt.writes {
			if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
				t.Errorf("%s: Write(%q) = %d, %v; want %d, nil", tt.name, w, n, err, len(w))
			}
		}
		if got := b.String(); got != tt.want {
			t.Errorf("%s: String() = %q; want %q", tt.name, got, tt.want)
		}
	}
}

func TestTailBufferRepairsUTF8(t *testing.T) {
	t.Parallel()
	b := newTailBuffer(4)
	b.Write([]byte("xé" + "abc")) // "é" is 2 bytes; the tail cuts it in half
	if got := b.String(); got != "\uFFFDabc" {
		t.Errorf("String() = %q; want %q", got, "\uFFFDabc")
	}
}

func TestPumpCopiesUntilEOF(t *testing.T) {
	t.Parallel()
	logPath := t.TempDir() + "/out.log"
	logFile, err := openLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	input := bytes.Repeat([]byte("0123456789abcdef"), 10_000) // more than the tail, more than one read
	tail := newTailBuffer(tailSize)
	done := make(chan struct{})
	pump(bytes.NewReader(input), tail, logFile, done)
	<-done
	if got := tail.String(); len(got) > tailSize || !strings.HasSuffix(string(input), got) || len(got) < tailSize/2 {
		t.Errorf("tail has %d bytes; want the last ~%d bytes of the input", len(got), tailSize)
	}
	logged, err := os.ReadFile(logPath)
	if err != nil || !bytes.Equal(logged, input) {
		t.Errorf("log file has %d bytes, %v; want all %d bytes", len(logged), err, len(input))
	}
}
