// tempnames: files whose names differ on every run, in each shape programs make them.
//
// A profile that spells such a name literally is too tight for the next run, and two recordings
// of this very program would differ in `tailor diff`. Every name below is made the way the
// library or runtime named in the comment makes it, under /tmp (random names are only globbed
// below the temp directories), and removed again:
//  - glibc mkstemp (XXXXXX) and mkdtemp, with a file inside the directory;
//  - Go's os.CreateTemp / os.MkdirTemp: prefix + random uint32 in decimal, O_EXCL 0600 / 0700;
//    and a Go-shaped name created without O_EXCL, which only its digits give away;
//  - Python's tempfile: "tmp" + 8 of [a-z0-9_], O_EXCL 0600 (mkstemp), and one with a suffix
//    created plainly;
//  - a JVM-like per-process file, /tmp/tailor_hsperf_<user>/<pid> (hsperfdata), made by this
//    process and by a child, each reading the other's; and a name with the pid in it;
//  - timestamps: a date and time, and Unix milliseconds.
// `--peers DIR` also lists DIR and reads every file there named by a number, as a JVM reads the
// hsperfdata files of the other JVMs running (test/test_apparmor.cpp passes a directory holding
// a file named after a process alive outside the recording). `--hsperf NAME` names the per-user
// directory NAME_<user> (default tailor_hsperf), so that tests running at the same time do not
// share it: its mkdir would fail in one of them and succeed in the other.
// The aa-rule lines are the AppArmor file rules written from the recording. As root without a
// capability, `--user 65534:65534` is what the flags say, so the user name is a glob too.
//
// tailor-needs: root
// tailor-expect: exit 0
// tailor-expect: aa-rule /tmp/tailor-mk-* rw
// tailor-expect: aa-rule /tmp/tailor-dt-*/ rw
// tailor-expect: aa-rule /tmp/tailor-dt-*/data w
// tailor-expect: aa-rule /tmp/tailor-go-* rw
// tailor-expect: aa-rule /tmp/tailor-gd-*/ w
// tailor-expect: aa-rule /tmp/tailor-gn-* w
// tailor-expect: aa-rule /tmp/tmp* rw
// tailor-expect: aa-rule /tmp/tmp*.json w
// tailor-expect: aa-rule /tmp/tailor_hsperf_*/ rw
// tailor-expect: file /tmp/tailor_hsperf_root mkdir read readdir rmdir
// tailor-expect: aa-rule /tmp/tailor_hsperf_*/@{pid} rw
// tailor-expect: aa-rule /tmp/tailor-sock.@{pid} w
// tailor-expect: aa-rule /tmp/tailor-ts-*.log w
// tailor-expect: aa-rule /tmp/tailor-ms.* w
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char* what) {
  perror(what);
  exit(1);
}

static uint32_t random32(void) {
  uint32_t v;
  if (getrandom(&v, sizeof v, 0) != sizeof v) die("getrandom");
  return v;
}

// Creates `path` with `flags` and `mode`, writes a byte, closes it.
static void make(const char* path, int flags, mode_t mode) {
  int fd = open(path, flags | O_CLOEXEC, mode);
  if (fd < 0 || write(fd, "x", 1) != 1) die(path);
  close(fd);
}

static void read_one(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  char c;
  if (read(fd, &c, 1) < 0) die(path);
  close(fd);
}

static void remove_file(const char* path) {
  if (unlink(path) != 0) die(path);
}

// A directory listed as Go lists one (opendir uses O_DIRECTORY; Go does not).
static void list(const char* dir) {
  int fd = open(dir, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(dir);
  DIR* d = fdopendir(fd);
  if (!d) die("fdopendir");
  while (readdir(d)) {
  }
  closedir(d);
}

static void glibc_temp(void) {
  char file[] = "/tmp/tailor-mk-XXXXXX";
  int fd = mkstemp(file);
  if (fd < 0 || write(fd, "x", 1) != 1) die("mkstemp");
  close(fd);
  remove_file(file);

  char dir[] = "/tmp/tailor-dt-XXXXXX";
  if (!mkdtemp(dir)) die("mkdtemp");
  char data[64];
  snprintf(data, sizeof data, "%s/data", dir);
  make(data, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  list(dir);
  remove_file(data);
  if (rmdir(dir) != 0) die("rmdir");
}

static void go_temp(void) {
  char path[64];
  // os.CreateTemp("", "tailor-go-*"): OpenFile(name, O_RDWR|O_CREATE|O_EXCL, 0600)
  snprintf(path, sizeof path, "/tmp/tailor-go-%u", random32());
  make(path, O_RDWR | O_CREAT | O_EXCL, 0600);
  remove_file(path);
  // os.MkdirTemp("", "tailor-gd-*"): Mkdir(name, 0700)
  snprintf(path, sizeof path, "/tmp/tailor-gd-%u", random32());
  if (mkdir(path, 0700) != 0) die(path);
  if (rmdir(path) != 0) die(path);
  // The same shape made by hand: 10 digits, nothing but the name to go by.
  snprintf(path, sizeof path, "/tmp/tailor-gn-%u", 1000000000u + random32() % 3000000000u);
  make(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  remove_file(path);
}

static void python_temp(void) {
  static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
  char name[9];
  char path[64];
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 8; ++i) name[i] = chars[random32() % (sizeof chars - 1)];
    name[8] = 0;
    if (round == 0) {  // tempfile.mkstemp()
      snprintf(path, sizeof path, "/tmp/tmp%s", name);
      make(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
    } else {  // the same name shape with a suffix, created plainly
      snprintf(path, sizeof path, "/tmp/tmp%s.json", name);
      make(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    remove_file(path);
  }
}

// The JVM's hsperfdata: /tmp/hsperfdata_<user>/<pid>, one per running JVM, read by its peers.
static void per_process_files(const char* base) {
  struct passwd* pw = getpwuid(geteuid());
  if (!pw) die("getpwuid");
  char dir[256], mine[300], theirs[300];
  snprintf(dir, sizeof dir, "/tmp/%s_%s", base, pw->pw_name);
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) die(dir);
  snprintf(mine, sizeof mine, "%s/%d", dir, (int)getpid());
  make(mine, O_RDWR | O_CREAT | O_NOFOLLOW, 0600);

  int ready[2], done[2];
  if (pipe(ready) != 0 || pipe(done) != 0) die("pipe");
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    char own[300];
    snprintf(own, sizeof own, "%s/%d", dir, (int)getpid());
    make(own, O_RDWR | O_CREAT | O_NOFOLLOW, 0600);
    read_one(mine);
    if (write(ready[1], "r", 1) != 1) _exit(1);
    char c;
    if (read(done[0], &c, 1) != 1) _exit(1);
    if (unlink(own) != 0) _exit(1);
    _exit(0);
  }
  char c;
  if (read(ready[0], &c, 1) != 1) die("child");
  list(dir);
  snprintf(theirs, sizeof theirs, "%s/%d", dir, (int)child);
  read_one(theirs);
  if (write(done[1], "d", 1) != 1) die("pipe");
  int status;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    die("child failed");
  remove_file(mine);
  rmdir(dir);  // unless another instance is using it

  char sock[64];  // a name with the pid in it (ssh-agent's agent.<pid>, .NET's pipes)
  snprintf(sock, sizeof sock, "/tmp/tailor-sock.%d", (int)getpid());
  make(sock, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  remove_file(sock);
}

static void timestamps(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char path[96];
  strftime(path, sizeof path, "/tmp/tailor-ts-%Y%m%d-%H%M%S.log", &tm);
  make(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  remove_file(path);
  snprintf(path, sizeof path, "/tmp/tailor-ms.%lld",
           (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
  make(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  remove_file(path);
}

// Every file in `dir` named by a number: the peers' per-process files.
static void read_peers(const char* dir) {
  list(dir);
  DIR* d = opendir(dir);
  if (!d) die(dir);
  const struct dirent* e;
  while ((e = readdir(d))) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9' || strspn(e->d_name, "0123456789") != strlen(e->d_name))
      continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    read_one(path);
  }
  closedir(d);
}

int main(int argc, char** argv) {
  const char* hsperf = "tailor_hsperf";
  const char* peers = NULL;
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 == argc) {
      fprintf(stderr, "tempnames: %s needs a value\n", argv[i]);
      return 2;
    } else if (strcmp(argv[i], "--hsperf") == 0) {
      hsperf = argv[i + 1];
    } else if (strcmp(argv[i], "--peers") == 0) {
      peers = argv[i + 1];
    } else {
      fprintf(stderr, "usage: tempnames [--hsperf NAME] [--peers DIR]\n");
      return 2;
    }
  }
  glibc_temp();
  go_temp();
  python_temp();
  per_process_files(hsperf);
  timestamps();
  if (peers) read_peers(peers);
  return 0;
}
