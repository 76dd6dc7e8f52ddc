// An aarch64 Go program for test/test_aarch64.cpp, cross-built with GOARCH=arm64 (Go builds for
// any architecture without extra packages). Read by the analyzer, never run.
//
// Go makes its syscalls itself: the runtime's own `svc` sites (write, mmap, futex, clone,
// exit_group, ...) and the syscall package's functions, which take the number as their first
// argument (x0 in Go's register ABI). getppid (173) is made only through syscall.Syscall with
// a constant: the analyzer must resolve it at the call.
package main

import "syscall"

func main() {
	syscall.Syscall(syscall.SYS_GETPPID, 0, 0, 0)
}
