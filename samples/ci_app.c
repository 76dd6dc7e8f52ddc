// ci_app: the "application under test" of samples/ci/ (the CI drift check, test/test_ci.cpp).
//
// A small deterministic single-threaded program: it writes a file into the directory it is
// given, reads it back and prints a checksum. Built twice from this source (samples/ci.cmake):
// `ci_app`, and `ci_app_drift` with -DTAILOR_CI_DRIFT, which also calls uname(2) — the "new
// syscall" a code change brings in. uname is a call the base program, the dynamic loader and
// every container runtime baseline (emitters/runtime_baseline.cpp) never make, so a recording
// of ci_app_drift needs exactly one syscall more than the committed profile of ci_app allows.
//
// The expectations below are the base build's (test_samples.cpp records `ci_app`); the
// `nosyscall ... uname` line is what makes the drift build's extra call a real difference.
//
// tailor-run: $TMP
// tailor-expect: exit 0
// tailor-expect: syscall x86_64 openat
// tailor-expect: syscall x86_64 write
// tailor-expect: syscall x86_64 read
// tailor-expect: nosyscall x86_64 uname
// tailor-expect: file $TMP/ci.txt write create read
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#ifdef TAILOR_CI_DRIFT
#include <sys/utsname.h>
#endif

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/ci.txt", argv[1]);

  const char data[] = "tailor ci sample\n";
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, data, sizeof data - 1) != (ssize_t)(sizeof data - 1)) {
    perror(path);
    return 1;
  }
  close(fd);

  char buf[64];
  fd = open(path, O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf);
  if (n < 0) {
    perror(path);
    return 1;
  }
  close(fd);
  unsigned sum = 0;
  for (ssize_t i = 0; i < n; ++i) sum = sum * 31 + (unsigned char)buf[i];

#ifdef TAILOR_CI_DRIFT
  // The change under review: the program now asks which kernel it runs on.
  struct utsname u;
  if (uname(&u) != 0) {
    perror("uname");
    return 1;
  }
  printf("kernel %s\n", u.sysname);
#endif
  printf("checksum %08x\n", sum);
  return 0;
}
