// static: a statically linked program; no dynamic loader, so no libc.so.6 and no ld.so.cache.
//
// tailor-run: $TMP
// tailor-expect: exit 0
// tailor-expect: syscall x86_64 execve
// tailor-expect: syscall x86_64 arch_prctl
// tailor-expect: syscall x86_64 brk
// tailor-expect: syscall x86_64 uname
// tailor-expect: syscall x86_64 getppid
// tailor-expect: syscall x86_64 openat
// tailor-expect: syscall x86_64 write
// tailor-expect: syscall x86_64 close
// tailor-expect: syscall x86_64 exit_group
// tailor-expect: file $TMP/static.txt write create
// tailor-expect: exec $SELF
// tailor-expect: nofile /lib/x86_64-linux-gnu/libc.so.6
// tailor-expect: nofile /etc/ld.so.cache
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  struct utsname u;
  if (uname(&u) != 0) return 3;
  char path[4096], line[512];
  snprintf(path, sizeof path, "%s/static.txt", argv[1]);
  int n = snprintf(line, sizeof line, "%s %d\n", u.sysname, (int)getppid());
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, line, (size_t)n) != n) return 4;
  close(fd);
  return 0;
}
