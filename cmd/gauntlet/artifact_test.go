package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Reports written to a FIFO go through it (the node stays a FIFO), and a
// symbolic link planted where a report goes is refused, its target kept.
func TestArtifactsSpecialFilesAndLinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(w io.Writer) error { _, err := io.WriteString(w, "report"); return err }
	dump := func(path string) error {
		f, err := createOutput(path)
		if err != nil {
			return err
		}
		defer f.Close()
		return write(f)
	}
	for name, open := range map[string]func(string) error{
		"writeArtifact": func(p string) error { return writeArtifact(p, write) },
		"createOutput":  dump,
	} {
		fifo := filepath.Join(dir, name+".fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		got := make(chan string, 1)
		go func() {
			f, err := os.Open(fifo)
			if err != nil {
				got <- err.Error()
				return
			}
			defer f.Close()
			data, _ := io.ReadAll(f)
			got <- string(data)
		}()
		if err := open(fifo); err != nil {
			t.Errorf("%s(FIFO) = %v", name, err)
		}
		select {
		case s := <-got:
			if s != "report" {
				t.Errorf("%s: FIFO reader got %q; want the report", name, s)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s: nothing came through the FIFO", name)
		}
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("%s: the FIFO was replaced: %v %v", name, fi.Mode(), err)
		}

		victim := filepath.Join(dir, name+".victim")
		if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, name+".html")
		if err := os.Symlink(victim, link); err != nil {
			t.Fatal(err)
		}
		if err := open(link); err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("%s(symlink) = %v; want it refused", name, err)
		}
		if data, _ := os.ReadFile(victim); string(data) != "keep" {
			t.Errorf("%s: link target now %q; want it kept", name, data)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s: the link was replaced", name)
		}

		plain := filepath.Join(dir, name+".txt")
		if err := open(plain); err != nil {
			t.Fatal(err)
		}
		if data, _ := os.ReadFile(plain); string(data) != "report" {
			t.Errorf("%s: regular file holds %q", name, data)
		}
	}
}
