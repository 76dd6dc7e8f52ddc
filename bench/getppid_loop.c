// Workload (a) of record_overhead: N cheap syscalls in a tight loop, so the run time is almost
// entirely the per-syscall cost of whatever traces it.
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  long sum = 0;
  // syscall() rather than getppid(): no libc wrapper may ever cache the answer.
  for (long i = 0; i < n; i++) sum += syscall(SYS_getppid);
  return sum == 0 && n > 0;  // keeps the loop from being optimised away; ppid is never 0 here
}
