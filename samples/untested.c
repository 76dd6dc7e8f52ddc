// untested: paths a test run does not take, for tailor analyze.
//
// Run without options it only writes a file. The other paths exist in the binary and are what
// static analysis must find although the recording never sees them:
//   --sync      rarely_used_sync(): fsync and syncfs, in a function of its own;
//   --raw       through an internal wrapper around libc's syscall(): my_syscall(nr) is called
//               with constant numbers (getrandom, membarrier), so the number is only known at
//               the wrapper's callers;
//   --table     through a table of function pointers in data, called indirectly (the call
//               graph has no direct edge to lock_it/unlock_it; their addresses sit in data);
//   --plugin    dlopen("libz.so.1"), a library the binary does not link: analysis reports the
//               name, it cannot see what the library does.
// It always reads the clock, which the vDSO answers without a syscall: the recording shows no
// clock_gettime, but analysis counts the fallback syscall the vDSO function may make.
//
// tailor-run: $TMP
// tailor-expect: exit 0
// tailor-expect: syscall x86_64 openat
// tailor-expect: syscall x86_64 write
// tailor-expect: nosyscall x86_64 fsync
// tailor-expect: nosyscall x86_64 syncfs
// tailor-expect: nosyscall x86_64 getrandom
// tailor-expect: nosyscall x86_64 membarrier
// tailor-expect: nosyscall x86_64 flock
// tailor-expect: file $TMP/untested.txt write create
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) static long my_syscall(long nr, long a, long b) {
  return syscall(nr, a, b, 0);
}

__attribute__((noinline)) static void rarely_used_sync(int fd) {
  fsync(fd);
  syncfs(fd);
}

static int lock_it(int fd) {
  return flock(fd, LOCK_EX);
}
static int unlock_it(int fd) {
  return flock(fd, LOCK_UN);
}
static int (*const table[])(int) = {lock_it, unlock_it};

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  char path[4096];
  snprintf(path, sizeof path, "%s/untested.txt", argv[1]);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return 3;
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 6;
  if (write(fd, "ok\n", 3) != 3) return 4;
  for (int i = 2; i < argc; ++i) {
    if (!strcmp(argv[i], "--sync")) rarely_used_sync(fd);
    if (!strcmp(argv[i], "--raw")) {
      char buf[8];
      my_syscall(SYS_getrandom, (long)buf, sizeof buf);
      my_syscall(SYS_membarrier, 0, 0);
    }
    if (!strcmp(argv[i], "--table"))
      for (unsigned k = 0; k < sizeof table / sizeof table[0]; ++k) table[k](fd);
    if (!strcmp(argv[i], "--plugin")) {
      void* h = dlopen("libz.so.1", RTLD_NOW);
      if (h) dlclose(h);
    }
  }
  return close(fd) == 0 ? 0 : 5;
}
