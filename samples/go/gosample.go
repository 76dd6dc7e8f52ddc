// gosample: a Go program (Go's own syscall layer, no libc) for tailor analyze.
//
// A Go binary is static and makes its syscalls through the runtime's assembly stubs and the
// syscall package's raw-syscall functions, with the number passed in a register (Go's register
// ABI) or on the stack (assembly ABI0). test/test_go.cpp records this program and requires that
// the analyzer finds, in the binary alone, every syscall the recording saw.
//
// Run as `gosample DIR`, it:
//   - writes, reads back, stats and removes DIR/go.txt (os file I/O);
//   - listens on 127.0.0.1:0, dials itself, and echoes one line (net: epoll, accept4, ...);
//   - runs /bin/true (os/exec: clone with CLONE_VFORK through rawVforkSyscall, pipes, wait4);
//   - calls syscall.Getpid, and syscall.Syscall(SYS_GETPPID) and
//     syscall.Syscall6(SYS_PRLIMIT64) with constant numbers from main.rawCalls, so the number
//     is only visible at that call site;
//   - sleeps and meets a goroutine on a channel (futex, nanosleep/timers, new threads).
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
	"unsafe"
)

// rawCalls makes syscalls whose numbers are constants at the call sites of syscall.Syscall
// and syscall.Syscall6 in this function.
//
//go:noinline
func rawCalls() (uintptr, error) {
	ppid, _, errno := syscall.Syscall(syscall.SYS_GETPPID, 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	var lim syscall.Rlimit
	_, _, errno = syscall.Syscall6(syscall.SYS_PRLIMIT64, 0, syscall.RLIMIT_NOFILE, 0,
		uintptr(unsafe.Pointer(&lim)), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return ppid, nil
}

func fileIO(dir string) error {
	path := filepath.Join(dir, "go.txt")
	if err := os.WriteFile(path, []byte("hello from go\n"), 0o644); err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if string(data) != "hello from go\n" {
		return fmt.Errorf("read back %q", data)
	}
	if _, err := os.Stat(path); err != nil {
		return err
	}
	return os.Remove(path)
}

func echo() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		line, err := bufio.NewReader(c).ReadString('\n')
		if err == nil {
			_, err = c.Write([]byte(line))
		}
		done <- err
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	reply, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if reply != "ping\n" {
		return fmt.Errorf("echo returned %q", reply)
	}
	return <-done
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gosample DIR")
		os.Exit(2)
	}
	steps := []struct {
		name string
		run  func() error
	}{
		{"file", func() error { return fileIO(os.Args[1]) }},
		{"net", echo},
		{"exec", func() error { return exec.Command("/bin/true").Run() }},
		{"raw", func() error {
			ppid, err := rawCalls()
			if err == nil && int(ppid) != os.Getppid() {
				err = fmt.Errorf("getppid: %d != %d", ppid, os.Getppid())
			}
			if err == nil && syscall.Getpid() != os.Getpid() {
				err = fmt.Errorf("getpid mismatch")
			}
			return err
		}},
		{"sleep", func() error {
			tick := make(chan struct{})
			go func() {
				time.Sleep(20 * time.Millisecond)
				close(tick)
			}()
			<-tick
			return nil
		}},
	}
	for _, s := range steps {
		if err := s.run(); err != nil {
			fmt.Fprintf(os.Stderr, "gosample: %s: %v\n", s.name, err)
			os.Exit(1)
		}
	}
	fmt.Println("gosample ok")
}
