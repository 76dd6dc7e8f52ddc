// The watchdog that ends the workload when tailor dies, for the backends that have no
// PTRACE_O_EXITKILL (seccomp notify, eBPF).
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_set>
#include <utility>
#include <vector>

#include "launch.h"
#include "proc.h"

namespace tailor::tracer {

// ptrace has PTRACE_O_EXITKILL; a seccomp listener or a BPF program has nothing like it. When
// tailor dies its listener closes (every syscall the filter asks about fails with ENOSYS) or its
// BPF programs detach, and the workload would live on, unrecorded. So a small
// watchdog process, outside the workload and outside tailor's process group, is told the pid
// (and start time, against reuse) of every task tailor sees; when its pipe ends without the
// "all done" record — tailor died — it SIGKILLs every one still alive, with every process
// descended from them (a workload whose calls the filter allows in the kernel, as under
// `tailor run`, never shows tailor its children).
class Watchdog {
 public:
  Watchdog() {
    int p[2];
    // A socket pair rather than a pipe: tailor writes with MSG_NOSIGNAL, so a watchdog that died
    // first (killed by someone) cannot take tailor down with SIGPIPE after the workload ended;
    // SEQPACKET keeps each record whole.
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) != 0) return;
    Fd rd(p[0]), wr(p[1]);
    // A grandchild, re-parented to init and not to tailor (whose waits end when it has no
    // children left): clear tailor's subreaper bit while it is made.
    int subreaper = 0;
    ::prctl(PR_GET_CHILD_SUBREAPER, &subreaper);
    ::prctl(PR_SET_CHILD_SUBREAPER, 0);
    const pid_t mid = ::fork();
    if (mid == 0) {
      if (::fork() == 0) run(rd.get());
      ::_exit(0);
    }
    int st;
    // Re-parenting happens when `mid` exits: restore the bit only after that.
    while (mid > 0 && ::waitpid(mid, &st, 0) < 0 && errno == EINTR) {
    }
    ::prctl(PR_SET_CHILD_SUBREAPER, subreaper);
    if (mid < 0) return;
    wr_ = std::move(wr);
  }
  ~Watchdog() {
    const Record done{-1, 0};
    if (wr_.get() >= 0) [[maybe_unused]]
      auto n = ::send(wr_.get(), &done, sizeof done, MSG_NOSIGNAL);
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  bool active() const { return wr_.get() >= 0; }

  void watch(pid_t pid) {
    if (wr_.get() < 0) return;
    const Record r{pid, start_time(pid)};
    if (r.start != 0) [[maybe_unused]]
      auto n = ::send(wr_.get(), &r, sizeof r, MSG_NOSIGNAL);
  }

 private:
  struct Record {
    std::int32_t pid;
    std::uint64_t start;  // /proc/PID/stat field 22, in clock ticks since boot
  };

  // Reads /proc/PID/WHAT into buf as a C string (without allocating: the watchdog uses it
  // too). False if the process is gone.
  static bool read_proc(long pid, const char* what, char* buf, std::size_t size) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%ld/%s", pid, what);
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const ssize_t n = ::read(fd, buf, size - 1);
    ::close(fd);
    if (n <= 0) return false;
    buf[n] = 0;
    return true;
  }

  static std::uint64_t start_time(pid_t pid) {
    char buf[1024];
    if (!read_proc(pid, "stat", buf, sizeof buf)) return 0;
    const char* p = std::strrchr(buf, ')');
    if (!p) return 0;
    // Field 3 (state) follows ") "; field 22 is 19 fields later.
    for (int field = 2; field < 22 && p; ++field) p = std::strchr(p + 1, ' ');
    return p ? std::strtoull(p + 1, nullptr, 10) : 0;
  }

  [[noreturn]] static void run(int rd) {
    ::setsid();  // no terminal signals: ^C is for the workload
    for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_IGN);
    ::close_range(0, static_cast<unsigned>(rd) - 1, 0);
    ::close_range(static_cast<unsigned>(rd) + 1, ~0U, 0);
    ::prctl(PR_SET_NAME, "tailor-watchdog");
    std::vector<Record> tasks;
    Record r;
    for (;;) {
      const ssize_t n = ::read(rd, &r, sizeof r);
      if (n < 0 && errno == EINTR) continue;
      if (n == sizeof r && r.pid == -1) ::_exit(0);  // tailor finished normally
      if (n == sizeof r) {
        tasks.push_back(r);
        continue;
      }
      break;  // EOF: tailor is gone
    }
    // Each round stops what it finds: a process with a signal pending cannot fork (the kernel
    // restarts the fork), so the tree stops growing; then all of it dies at once.
    std::unordered_set<pid_t> doomed;
    for (const auto& t : tasks) {
      if (start_time(t.pid) != t.start) continue;
      for (pid_t p : {t.pid, read_tgid(t.pid)})
        if (p > 0 && doomed.insert(p).second) ::kill(p, SIGSTOP);
    }
    for (int round = 0; round < 1000; ++round) {
      bool grew = false;
      for (const auto& [pid, ppid] : process_parents())
        if (doomed.count(ppid) && doomed.insert(pid).second) {
          ::kill(pid, SIGSTOP);
          grew = true;
        }
      if (!grew) break;
    }
    for (pid_t p : doomed) ::kill(p, SIGKILL);
    ::_exit(0);
  }

  // (pid, parent pid) of every process on the system, from /proc/PID/stat.
  static std::vector<std::pair<pid_t, pid_t>> process_parents() {
    std::vector<std::pair<pid_t, pid_t>> out;
    DIR* dir = ::opendir("/proc");
    if (!dir) return out;
    while (const struct dirent* e = ::readdir(dir)) {
      char* end;
      const long pid = std::strtol(e->d_name, &end, 10);
      if (*end || pid <= 0) continue;
      char buf[512];
      if (!read_proc(pid, "stat", buf, sizeof buf)) continue;
      const char* p = std::strrchr(buf, ')');  // then " S PPID"
      if (p && p[1] && p[2] && p[3])
        out.emplace_back(static_cast<pid_t>(pid),
                         static_cast<pid_t>(std::strtol(p + 4, nullptr, 10)));
    }
    ::closedir(dir);
    return out;
  }

  Fd wr_;
};

}  // namespace tailor::tracer
