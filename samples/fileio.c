// fileio: file operations whose paths a recorder can only get right by resolving them.
//
// Paths are given three ways on purpose: relative to a directory fd (openat/mkdirat/renameat
// with `dir`), relative to the working directory after chdir(), and absolute. A recorder that
// resolves a dirfd-relative name against the cwd (or not at all) records the wrong paths, and the
// `nofile` lines below catch exactly that mistake.
//
// tailor-run: $TMP
// tailor-expect: exit 0
// tailor-expect: syscall x86_64 openat
// tailor-expect: syscall x86_64 write
// tailor-expect: syscall x86_64 read
// tailor-expect: syscall x86_64 mkdirat
// tailor-expect: syscall x86_64 renameat
// tailor-expect: syscall x86_64 chdir
// tailor-expect: syscall x86_64 newfstatat
// tailor-expect: syscall x86_64 unlink
// tailor-expect: syscall x86_64 rmdir
// tailor-expect: file $TMP/a.txt write create rename
// tailor-expect: file $TMP/sub mkdir chdir rmdir
// tailor-expect: file $TMP/sub/b.txt read stat unlink
// tailor-expect: file $TMP/sub/c.txt write create unlink
// tailor-expect: file $TMP/d.txt write create
// tailor-expect: file $TMP/e.txt read
// tailor-expect: nofile $TMP/sub/d.txt
// tailor-expect: nofile a.txt
// tailor-expect: nofile b.txt
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char* what) {
  perror(what);
  exit(1);
}

static void write_file(int dirfd, const char* name, const char* text) {
  int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) die(name);
  if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) die("write");
  close(fd);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: fileio DIR\n");
    return 2;
  }
  const char* dir = argv[1];
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) die(dir);

  // dirfd-relative while the cwd is elsewhere (the test's cwd): must resolve to DIR/a.txt.
  write_file(dfd, "a.txt", "hello from fileio\n");
  if (mkdirat(dfd, "sub", 0755) != 0) die("mkdirat");
  // renameat(2) (not rename(2)) so both names are dirfd-relative.
  if (renameat(dfd, "a.txt", dfd, "sub/b.txt") != 0) die("renameat");

  // cwd-relative: after chdir the recorder has to know the new cwd.
  char sub[4096];
  snprintf(sub, sizeof sub, "%s/sub", dir);
  if (chdir(sub) != 0) die("chdir");
  int fd = open("b.txt", O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("b.txt");
  char buf[64];
  if (read(fd, buf, sizeof buf) <= 0) die("read");
  close(fd);
  struct stat st;
  if (stat("b.txt", &st) != 0 || st.st_size == 0) die("stat");
  write_file(AT_FDCWD, "c.txt", "c\n");
  if (unlink("c.txt") != 0) die("unlink c.txt");

  // dirfd-relative again, now with cwd = DIR/sub: DIR/d.txt, not DIR/sub/d.txt.
  write_file(dfd, "d.txt", "d\n");
  // An absolute path with a dirfd: the dirfd is ignored.
  char e[4096];
  snprintf(e, sizeof e, "%s/e.txt", dir);
  write_file(AT_FDCWD, e, "e\n");
  fd = openat(dfd, e, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(e);
  close(fd);

  if (chdir(dir) != 0) die("chdir back");
  if (unlink("sub/b.txt") != 0) die("unlink b.txt");
  if (rmdir("sub") != 0) die("rmdir");
  close(dfd);
  return 0;
}
