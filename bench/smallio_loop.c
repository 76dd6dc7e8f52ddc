// Workload (b) of record_overhead: open/read/close of one small file, N times: the syscall mix of
// a program that reads many small files, with paths the tracer has to decode and record.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s ITERATIONS FILE\n", argv[0]);
    return 2;
  }
  long n = atol(argv[1]);
  char buf[4096];
  for (long i = 0; i < n; i++) {
    int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      perror(argv[2]);
      return 1;
    }
    if (read(fd, buf, sizeof buf) < 0) {
      perror("read");
      return 1;
    }
    close(fd);
  }
  return 0;
}
