// caps: one subcommand per capability rule (tracer/cap_rules.cpp), each doing the privileged
// operation for real so that test/test_cap_rules.cpp can check what a recording infers.
// Every subcommand exits 0 if the operation succeeded and 1 if it failed (errno on stderr), so
// the same call run as root gives a capability *need* and run as nobody a *hint*.
//
// Everything is kept harmless for the machine it runs on: namespaces, chroot and mounts happen
// in a forked child that then exits; the clock is set to the value just read; helper children
// are killed and reaped before the command returns.
//
// tailor-run: bind 1019
// tailor-needs: root
// tailor-expect: syscall x86_64 bind
// tailor-expect: socket inet dgram
// tailor-expect: endpoint bind inet 127.0.0.1 1019
// tailor-expect: cap CAP_NET_BIND_SERVICE
// tailor-expect: exit 0
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static const char* sub;

static int fail(const char* what) {
  fprintf(stderr, "caps %s: %s: %s\n", sub, what, strerror(errno));
  return 1;
}

static int check(int rc, const char* what) {
  return rc < 0 ? fail(what) : 0;
}

// Runs fn(arg) in a forked child and returns its exit code, so that state it changes (a chroot,
// new namespaces, mounts) dies with it.
static int in_child(int (*fn)(const char*), const char* arg) {
  pid_t pid = fork();
  if (pid < 0) return fail("fork");
  if (pid == 0) _exit(fn(arg));
  int st;
  if (waitpid(pid, &st, 0) < 0) return fail("waitpid");
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

// A child that switches to `uid` (if >= 0), tells the parent, and waits to be killed.
static pid_t spawn_sleeper(int uid) {
  int p[2];
  if (pipe(p) < 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    if (uid >= 0 && (setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)) _exit(1);
    if (write(p[1], "x", 1) != 1) _exit(1);
    for (;;) pause();
  }
  close(p[1]);
  char c;
  ssize_t n = read(p[0], &c, 1);
  close(p[0]);
  if (n != 1) {
    if (pid > 0) waitpid(pid, NULL, 0);
    errno = ECHILD;
    return -1;
  }
  return pid;
}

static void reap(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

static int do_bind(const char* port_s, int v6) {
  int port = atoi(port_s);
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return fail("socket");
  int one = 1;
  // Other tests may bind the same port at the same time; REUSEADDR lets UDP binds coexist.
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc;
  if (v6) {
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    a.sin6_addr = in6addr_loopback;
    rc = bind(fd, (struct sockaddr*)&a, sizeof a);
  } else {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = bind(fd, (struct sockaddr*)&a, sizeof a);
  }
  if (rc < 0) return fail("bind");
  close(fd);
  return 0;
}

static int open_sock(int family, int type, int proto) {
  int fd = socket(family, type, proto);
  if (fd < 0) return fail("socket");
  close(fd);
  return 0;
}

static int child_chroot(const char* dir) {
  if (chroot(dir) < 0) return fail("chroot");
  return check(chdir("/"), "chdir");
}

static int child_unshare_uts(const char* name) {
  if (unshare(CLONE_NEWUTS) < 0) return fail("unshare");
  return check(sethostname(name, strlen(name)), "sethostname");
}

static int child_userns(const char* unused) {
  (void)unused;
  return check(unshare(CLONE_NEWUSER), "unshare");
}

static int child_mount(const char* dir) {
  if (unshare(CLONE_NEWNS) < 0) return fail("unshare");
  // Keep the tmpfs from propagating back to the host's mount namespace.
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) return fail("mount private");
  if (mount("tailor-caps", dir, "tmpfs", 0, "size=64k") < 0) return fail("mount tmpfs");
  return check(umount2(dir, 0), "umount2");
}

// clone3 with CLONE_NEWUTS: the flags live in memory, which the rule has to read.
static int do_clone3(void) {
  struct {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
  } args = {.flags = CLONE_NEWUTS, .exit_signal = SIGCHLD};
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) return fail("clone3");
  if (pid == 0) _exit(0);
  int st;
  waitpid((pid_t)pid, &st, 0);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

static int do_exec(const char* file) {
  pid_t pid = fork();
  if (pid < 0) return fail("fork");
  if (pid == 0) {
    char* argv[] = {(char*)file, NULL};
    execv(file, argv);
    _exit(fail("execve"));
  }
  int st;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static int do_ptrace(pid_t pid) {
  if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0) return fail("ptrace attach");
  int st;
  waitpid(pid, &st, __WALL);
  return check((int)ptrace(PTRACE_DETACH, pid, NULL, NULL), "ptrace detach");
}

static int do_vmread(pid_t pid) {
  // Read one byte of the target's first mapping: a valid address, so only permission can fail.
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
  FILE* f = fopen(path, "r");
  if (!f) return fail("open maps");
  unsigned long addr = 0;
  int ok = fscanf(f, "%lx", &addr) == 1;
  fclose(f);
  if (!ok) return fail("parse maps");
  char byte;
  struct iovec local = {&byte, 1}, remote = {(void*)addr, 1};
  return process_vm_readv(pid, &local, 1, &remote, 1, 0) == 1 ? 0 : fail("process_vm_readv");
}

static int do_rlimit(int raise) {
  struct rlimit lim, lower;
  if (getrlimit(RLIMIT_NOFILE, &lim) < 0) return fail("getrlimit");
  lower = lim;
  lower.rlim_max = lim.rlim_cur < lim.rlim_max ? lim.rlim_cur : lim.rlim_max - 1;
  if (lower.rlim_cur > lower.rlim_max) lower.rlim_cur = lower.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &lower) < 0) return fail("setrlimit lower");
  if (!raise) return 0;
  return check(setrlimit(RLIMIT_NOFILE, &lim), "setrlimit raise");  // back up: needs the cap
}

static int usage(void) {
  fprintf(stderr,
          "usage: caps SUB [ARGS]\n"
          "  bind PORT | bind6 PORT | rawsock | packet | udpsock | audit | netlink-route\n"
          "  chown FILE UID GID | fchown FILE UID GID\n"
          "  setuid UID | setresuid R E S | setgid GID | setgroups GID...\n"
          "  kill PID SIG | killchild UID\n"
          "  chroot DIR | mknod PATH c|b|p [MAJOR MINOR]\n"
          "  unshare | userns | clone3 | mount DIR\n"
          "  read FILE | write FILE | create PATH | exec FILE\n"
          "  chmod FILE OCTAL | utime FILE | touch FILE\n"
          "  setfcap FILE | xattr FILE\n"
          "  ptrace PID | vmread PID\n"
          "  settime | adjtime-query | nice N | sched | rlimit | rlimit-lower\n");
  return 2;
}

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  sub = argv[1];
  const char* a = argc > 2 ? argv[2] : NULL;
  int n = argc - 2;  // arguments after the subcommand
#define IS(name, nargs) (strcmp(sub, name) == 0 && n >= (nargs))

  if (IS("bind", 1)) return do_bind(a, 0);
  if (IS("bind6", 1)) return do_bind(a, 1);
  if (IS("rawsock", 0)) return open_sock(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (IS("packet", 0)) return open_sock(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (IS("udpsock", 0)) return open_sock(AF_INET, SOCK_DGRAM, 0);
  if (IS("audit", 0)) return open_sock(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT);
  if (IS("netlink-route", 0)) return open_sock(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);

  if (IS("chown", 3)) return check(chown(a, atoi(argv[3]), atoi(argv[4])), "chown");
  if (IS("fchown", 3)) {
    int fd = open(a, O_RDONLY);
    if (fd < 0) return fail("open");
    return check(fchown(fd, atoi(argv[3]), atoi(argv[4])), "fchown");
  }

  if (IS("setuid", 1)) return check(setuid(atoi(a)), "setuid");
  if (IS("setresuid", 3))
    return check(setresuid(atoi(a), atoi(argv[3]), atoi(argv[4])), "setresuid");
  if (IS("setgid", 1)) return check(setgid(atoi(a)), "setgid");
  if (IS("setgroups", 1)) {
    gid_t g[32];
    int k = n < 32 ? n : 32;
    for (int i = 0; i < k; ++i) g[i] = atoi(argv[2 + i]);
    return check(setgroups(k, g), "setgroups");
  }

  if (IS("kill", 2)) return check(kill(atoi(a), atoi(argv[3])), "kill");
  if (IS("killchild", 1)) {
    pid_t pid = spawn_sleeper(atoi(a));
    if (pid < 0) return fail("spawn");
    int rc = check(kill(pid, 0), "kill 0") || check(kill(pid, SIGTERM), "kill TERM");
    reap(pid);
    return rc;
  }

  if (IS("chroot", 1)) return in_child(child_chroot, a);
  if (IS("mknod", 2)) {
    mode_t type = argv[3][0] == 'c' ? S_IFCHR : argv[3][0] == 'b' ? S_IFBLK : S_IFIFO;
    dev_t dev = n >= 4 ? makedev(atoi(argv[4]), atoi(argv[5])) : 0;
    if (mknod(a, type | 0600, dev) < 0) return fail("mknod");
    return check(unlink(a), "unlink");
  }

  if (IS("unshare", 0)) return in_child(child_unshare_uts, "tailor-caps");
  if (IS("userns", 0)) return in_child(child_userns, NULL);
  if (IS("clone3", 0)) return do_clone3();
  if (IS("mount", 1)) return in_child(child_mount, a);

  if (IS("read", 1)) return check(open(a, O_RDONLY), "open");
  if (IS("write", 1)) return check(open(a, O_WRONLY), "open");
  if (IS("create", 1)) return check(open(a, O_WRONLY | O_CREAT | O_EXCL, 0644), "open");
  if (IS("exec", 1)) return do_exec(a);

  if (IS("chmod", 2)) return check(chmod(a, (mode_t)strtol(argv[3], NULL, 8)), "chmod");
  if (IS("utime", 1)) {
    struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
    return check(utimensat(AT_FDCWD, a, ts, 0), "utimensat");
  }
  if (IS("touch", 1)) return check(utimensat(AT_FDCWD, a, NULL, 0), "utimensat");

  if (IS("setfcap", 1)) {
    // struct vfs_cap_data, revision 2: CAP_NET_BIND_SERVICE permitted + effective.
    uint32_t data[5] = {0x02000000 | 1, 1u << 10, 0, 0, 0};
    return check(setxattr(a, "security.capability", data, sizeof data, 0), "setxattr");
  }
  if (IS("xattr", 1)) return check(setxattr(a, "user.tailor", "1", 1, 0), "setxattr");

  if (IS("ptrace", 1)) return do_ptrace(atoi(a));
  if (IS("vmread", 1)) return do_vmread(atoi(a));

  if (IS("settime", 0)) {
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) < 0) return fail("clock_gettime");
    return check(clock_settime(CLOCK_REALTIME, &now), "clock_settime");
  }
  if (IS("adjtime-query", 0)) {
    struct timex tx = {.modes = 0};
    return check(adjtimex(&tx), "adjtimex");
  }
  if (IS("nice", 1)) return check(setpriority(PRIO_PROCESS, 0, atoi(a)), "setpriority");
  if (IS("sched", 0)) {
    struct sched_param p = {.sched_priority = 1};
    if (sched_setscheduler(0, SCHED_FIFO, &p) < 0) return fail("sched_setscheduler");
    p.sched_priority = 0;
    return check(sched_setscheduler(0, SCHED_OTHER, &p), "sched_setscheduler back");
  }
  if (IS("rlimit", 0)) return do_rlimit(1);
  if (IS("rlimit-lower", 0)) return do_rlimit(0);
  return usage();
}
