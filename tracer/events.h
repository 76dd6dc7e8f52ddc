// The seam between a tracing backend and what is built from its events.
//
// A backend (ptrace today, seccomp user notification later) only knows how to stop a task at a
// syscall and resume it. Everything else — decoding arguments, reading tracee memory, inferring
// capabilities, building the Profile — lives behind EventSink and is shared by all backends.
#pragma once

#include <linux/filter.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proc.h"

namespace tailor::tracer {

struct SyscallEntry {
  pid_t tid = 0;
  std::uint32_t arch = 0;  // libseccomp arch token, x32 already told apart from x86_64
  std::uint64_t nr = 0;    // as the kernel passed it (x32 bit included)
  std::array<std::uint64_t, 6> args{};
  bool counted = false;  // the backend counts every call itself (EventSink::on_counted)
};

// What a backend that cannot stop the workload (eBPF) captured with an event, in place of the
// live reads of tracee memory and /proc that ptrace and notify make while the task waits: by
// the time such an event is read the task may have moved on or be gone. While set (see
// EventSink::set_captured), the sink answers every read of the event's task from here, and
// reads live only what was not captured.
struct Captured {
  pid_t tid = 0, tgid = 0;     // the task the event is about
  std::optional<Creds> creds;  // at syscall entry; after the exec for on_exec
  std::optional<int> nice;     // the task's nice value at syscall entry
  // The target of a signal the call sent: (pid, tgid) and its credentials when it got it.
  std::optional<std::pair<std::pair<pid_t, pid_t>, Creds>> target;
  std::vector<struct rlimit> rlimits;  // its resource limits at entry (RLIMIT_* index), if taken
  // User memory as the kernel had just read it: (address, bytes); strings keep their NUL.
  std::vector<std::pair<std::uint64_t, std::string>> mem;
  // Paths of descriptors (AT_FDCWD: the cwd) and what they were at entry.
  std::vector<std::pair<int, std::string>> fd_paths;
  std::vector<std::pair<int, struct stat>> fd_stats;
  // For an open: what the returned descriptor is, and whether the open created it.
  std::optional<struct stat> opened;
  bool created = false;
  // For on_exec: the new image.
  std::optional<std::string> exe;
  std::optional<struct stat> exe_stat;
};

enum class Want { kNothing, kExit };

class EventSink {
 public:
  virtual ~EventSink() = default;
  // A syscall is about to run. Return kExit to be told its result.
  virtual Want on_syscall_entry(const SyscallEntry& e) = 0;
  // The result of the syscall last reported for `tid` (>= 0, or -errno).
  virtual void on_syscall_exit(pid_t tid, std::int64_t result) = 0;
  // A new task (process or thread) is being traced. parent is 0 for the first one.
  virtual void on_task_start(pid_t tid, pid_t parent) = 0;
  // (Backends without fork events.) A process of `parent` is forking: the child counts as
  // alive from now, though it shows up only with its first syscall (on_task_start).
  virtual void on_process_forking(pid_t /*parent*/) {}
  // `tid` completed an execve; former_tid differs when a non-leader thread exec'd.
  virtual void on_exec(pid_t tid, pid_t former_tid) = 0;
  // The task is about to exit; its /proc entry is still complete (memory peaks, fds).
  virtual void on_task_exiting(pid_t /*tid*/) {}
  // The task is gone. `ru` is its rusage where the backend has one (may be null).
  virtual void on_task_exit(pid_t tid, const struct rusage* ru) = 0;
  // Called periodically from the event loop (for progress output).
  virtual void on_tick() {}

  // (Backends that read nothing live.) What the next calls are about; null when done.
  virtual void set_captured(const Captured* /*c*/) {}
  // (Backends that count in the kernel.) `n` calls of (arch, nr) made by image `exe` ("": the
  // first process before its exec); the entries such a backend reports are marked `counted`.
  virtual void on_counted(const std::string& /*exe*/, std::uint32_t /*arch*/, std::uint64_t /*nr*/,
                          std::uint64_t /*n*/) {}
  // (Recording a container.) The image the first process runs, known only when the kernel saw
  // it start: what that process did before its exec is counted under this name.
  virtual void name_first_exe(const std::string& /*path*/) {}
  // (Recording a container.) A descriptor of the container's root directory (the sink owns it):
  // paths of captured events are looked at through it, as the container sees them.
  virtual void set_view_root(int fd) {
    if (fd >= 0) ::close(fd);
  }
  // The highest fd number seen in use, and a process's peak resident set at its exit.
  virtual void on_fd_in_use(std::int64_t /*fd*/) {}
  virtual void on_memory_peak(std::uint64_t /*kb*/) {}
};

struct LaunchSpec {
  std::vector<std::string> argv;
  std::string path;            // argv[0] resolved (resolve_command); empty: the backend looks it up
  bool seccomp_filter = true;  // install the SECCOMP_RET_TRACE filter before exec
  bool low_latency = true;     // hold a PM QoS CPU latency request while tracing (see backend)
  // The filter to install instead of "ask about every syscall" (record --since): syscalls it
  // allows never reach the backend. Its "ask" answer must be the backend's (SECCOMP_RET_TRACE
  // for ptrace, SECCOMP_RET_USER_NOTIF for notify). Empty: ask about everything.
  std::vector<struct sock_filter> filter;
  bool stdout_null = false;  // the command's stdout goes to /dev/null (a helper, not the app)
};

class Backend {
 public:
  virtual ~Backend() = default;
  // Starts the command, traces it and all its descendants until every one has exited, and
  // returns the main process's wait status. Throws tailor::Error if it cannot start.
  virtual int run(const LaunchSpec& spec, EventSink& sink) = 0;
};

}  // namespace tailor::tracer
