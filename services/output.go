package services

import (
	"bytes"
	"io"
	"os"
	"strings"
	"sync"
)

// tailSize is how much of a process's output is kept: the last 4 KiB.
const tailSize = 4 << 10

// tailBuffer keeps the last len(buf) bytes written to it. Memory is fixed however much the
// process writes. Safe for concurrent use.
type tailBuffer struct {
	mu      sync.Mutex
	buf     []byte
	next    int  // where the next byte goes
	wrapped bool // buf has been filled at least once
}

func newTailBuffer(size int) *tailBuffer {
	return &tailBuffer{buf: make([]byte, size)}
}

// Write stores p, dropping the oldest bytes; it never fails.
func (b *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(p) >= len(b.buf) {
		copy(b.buf, p[len(p)-len(b.buf):])
		b.next, b.wrapped = 0, true
		return n, nil
	}
	c := copy(b.buf[b.next:], p)
	if c < len(p) {
		copy(b.buf, p[c:])
		b.wrapped = true
	}
	b.next = (b.next + len(p)) % len(b.buf)
	if b.next == 0 && len(p) > 0 {
		b.wrapped = true
	}
	return n, nil
}

// String returns the kept bytes, oldest first. When older output was dropped, a cut first
// line is dropped too if that costs little, and broken UTF-8 is repaired.
func (b *tailBuffer) String() string {
	b.mu.Lock()
	var out []byte
	if b.wrapped {
		out = append(append(out, b.buf[b.next:]...), b.buf[:b.next]...)
	} else {
		out = append(out, b.buf[:b.next]...)
	}
	b.mu.Unlock()
	if b.wrapped {
		if i := bytes.IndexByte(out, '\n'); i >= 0 && i < len(out)/4 {
			out = out[i+1:]
		}
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

// pump copies the process's output from r into tail and, if log is not nil, into log,
// until r fails or reaches EOF. It closes log and then done; r is the caller's to close.
func pump(r io.Reader, tail *tailBuffer, log *os.File, done chan<- struct{}) {
	defer close(done)
	defer func() {
		if log != nil {
			log.Close()
		}
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			_, _ = tail.Write(buf[:n])
			if log != nil {
				if _, werr := log.Write(buf[:n]); werr != nil {
					log.Close()
					log = nil
				}
			}
		}
		if err != nil {
			return
		}
	}
}
