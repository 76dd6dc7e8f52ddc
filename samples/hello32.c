// hello32: a 32-bit (i386, -m32) program, recorded by a 64-bit tracer.
//
// Its syscalls use the i386 numbers and must be named from the "x86" table: read is 3 there
// but close on x86_64, write is 4 (stat on x86_64), exit_group is 252 (ioprio_get on x86_64).
// The `nosyscall` lines catch a recorder that decodes every call with the x86_64 table.
//
// tailor-needs: m32
// tailor-run: $TMP
// tailor-expect: exit 0
// tailor-expect: syscall x86 openat
// tailor-expect: syscall x86 read
// tailor-expect: syscall x86 write
// tailor-expect: syscall x86 close
// tailor-expect: syscall x86 mmap2
// tailor-expect: syscall x86 set_thread_area
// tailor-expect: syscall x86 exit_group
// tailor-expect: file $TMP/in.txt write create read
// tailor-expect: file /lib32/libc.so.6 read
// tailor-expect: nosyscall x86_64 ioprio_get
// tailor-expect: nosyscall x86_64 lgetxattr
// tailor-expect: nosyscall x86_64 mq_timedreceive
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  char path[4096];
  snprintf(path, sizeof path, "%s/in.txt", argv[1]);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, "hello32\n", 8) != 8) return 3;
  close(fd);
  fd = open(path, O_RDONLY);
  char buf[16] = {0};
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf);
  if (n != 8) return 4;
  close(fd);
  return write(1, buf, (size_t)n) == n ? 0 : 5;
}
