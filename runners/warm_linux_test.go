package runners

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// warm gives up at the load's start even while a dial waits: a service
// that accepts nothing (its accept queue full, so the kernel drops new
// connections' SYNs) must not hold the load back until the dial times out.
func TestWarmStopsAtTheStart(t *testing.T) {
	t.Parallel()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	// A backlog of 0 queues one connection; nothing is ever accepted.
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/", sa.(*unix.SockaddrInet4).Port)
	c := NewClient(ClientOptions{Timeout: 10 * time.Second})
	begin := time.Now()
	start := begin.Add(200 * time.Millisecond)
	c.warm([]Request{{Name: "a", Method: "GET", URL: mustTemplate(t, url)}}, 8, start)()
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("warm returned %v after it began, the load due to start at 200 ms; want it to stop at the start, not at the 10 s dial timeout", took)
	}
}
