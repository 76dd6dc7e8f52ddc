// dirshapes: directories and files opened in ways whose flags do not say what the path is.
//
// AppArmor tells a directory rule by its trailing '/': `/srv/www/ r` lets a program list the
// directory, `/srv/www r` matches nothing there. So a recording must know what each path is:
//  - Go opens a directory with O_RDONLY|O_CLOEXEC (no O_DIRECTORY) and lists it with
//    getdents64 (os.ReadDir, filepath.Walk): done here on $TMP, which the test made;
//  - a program opens the working directory it was started in as openat(AT_FDCWD, ".",
//    O_RDONLY) ($CWD, the test's; no chdir in the recording says it is a directory);
//  - a program tries its config path as a directory first (openat(O_DIRECTORY) -> ENOTDIR) and
//    then opens it as the file it is: /etc/passwd, and $TMP/app.conf, which it writes itself.
//    The failed probe says nothing about the path being a directory.
// The aa-* lines check the AppArmor file rules written from the recording.
//
// tailor-run: $TMP
// tailor-expect: exit 0
// tailor-expect: syscall x86_64 getdents64
// tailor-expect: file $TMP read readdir
// tailor-expect: type $TMP dir
// tailor-expect: aa-path $TMP/ r
// tailor-expect: no-aa-path $TMP
// tailor-expect: file $CWD read readdir
// tailor-expect: type $CWD dir
// tailor-expect: aa-path $CWD/ r
// tailor-expect: no-aa-path $CWD
// tailor-expect: file /etc/passwd read
// tailor-expect: type /etc/passwd file
// tailor-expect: aa-path /etc/passwd r
// tailor-expect: no-aa-path /etc/passwd/
// tailor-expect: file $TMP/app.conf create write read
// tailor-expect: type $TMP/app.conf file
// tailor-expect: aa-path $TMP/app.conf rw
// tailor-expect: no-aa-path $TMP/app.conf/
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void die(const char* what) {
  perror(what);
  exit(1);
}

// Lists a directory fd the way Go does: getdents64 until it returns 0.
static int count_entries(int fd) {
  char buf[4096];
  int n = 0;
  for (;;) {
    long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (got < 0) die("getdents64");
    if (got == 0) return n;
    for (long off = 0; off < got;) {
      unsigned short reclen = *(unsigned short*)(buf + off + 16);  // d_reclen
      off += reclen;
      ++n;
    }
  }
}

// Tries `path` as a directory (must fail with ENOTDIR), then reads it as the file it is.
static void probe_then_read(const char* path) {
  int fd = openat(AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0 || errno != ENOTDIR) {
    fprintf(stderr, "%s: O_DIRECTORY probe did not fail with ENOTDIR\n", path);
    exit(1);
  }
  fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  char c;
  if (read(fd, &c, 1) < 0) die("read");
  close(fd);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: dirshapes DIR\n");
    return 2;
  }
  const char* dir = argv[1];
  char conf[4096];
  snprintf(conf, sizeof conf, "%s/app.conf", dir);

  int fd = open(conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, "x=1\n", 4) != 4) die(conf);
  close(fd);

  // Go's way: no O_DIRECTORY.
  fd = open(dir, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(dir);
  if (count_entries(fd) < 3) die("listing DIR");  // ".", "..", app.conf
  close(fd);

  // The working directory, by "."
  fd = openat(AT_FDCWD, ".", O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(".");
  count_entries(fd);
  close(fd);

  probe_then_read("/etc/passwd");
  probe_then_read(conf);
  return 0;
}
