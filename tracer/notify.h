// The seccomp user-notification supervisor shared by `tailor record --backend notify` and
// `tailor run`.
//
// The workload's first process loads a filter whose "ask" answer is SECCOMP_RET_USER_NOTIF and
// execs. Each syscall the filter asks about waits in the kernel until tailor answers through the
// listener fd: continue as if allowed (SECCOMP_USER_NOTIF_FLAG_CONTINUE), fail with an errno, or
// return a value. Syscalls the filter allows never leave the kernel, which is what makes both
// enforcement and re-recording against a known profile cost almost nothing.
//
// Unlike ptrace, a notification carries only the syscall's entry (number, arch, arguments,
// instruction pointer): there is no exit stop and no fork/exec/exit event. Handlers learn about
// tasks from the syscalls they make, and about processes that end from wait4 (tailor is the
// subreaper of the whole tree).
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tailor/error.h"

namespace tailor::tracer {

struct Notification {
  std::uint64_t id = 0;
  pid_t pid = 0;           // the calling thread's tid, in tailor's pid namespace
  std::uint32_t arch = 0;  // AUDIT_ARCH_* as the filter saw it
  std::int32_t nr = 0;     // as the kernel passed it (x32 bit included)
  std::uint64_t ip = 0;
  std::array<std::uint64_t, 6> args{};
};

struct NotifyReply {
  enum Kind { kContinue, kError, kValue };
  Kind kind = kContinue;
  std::int64_t value = 0;  // kError: the errno (positive); kValue: the return value
  static NotifyReply go_on() { return {}; }
  static NotifyReply fail(int err) { return {kError, err}; }
};

class NotifyHandler {
 public:
  virtual ~NotifyHandler() = default;
  // The workload's first process exists (before its first syscall, its execve).
  virtual void on_started(pid_t /*first*/) {}
  // Called for every notification, in the order they are received. The task stays blocked in
  // its syscall until this returns.
  virtual NotifyReply on_notification(const Notification& n) = 0;
  // Called after the answer was sent (the syscall now runs, or has failed).
  virtual void after_reply(const Notification&, const NotifyReply&) {}
  // A process tailor waited for: the first one, or a descendant re-parented to tailor.
  virtual void on_reaped(pid_t /*pid*/, int /*wait_status*/) {}
  // Called at least every 100 ms from the supervisor loop.
  virtual void on_tick() {}
};

struct NotifyLaunch {
  std::vector<std::string> argv;
  std::string path;                     // argv[0] resolved (resolve_command)
  std::vector<struct sock_filter> bpf;  // the filter; non-allow answers SECCOMP_RET_USER_NOTIF
  // Runs in the child before no-new-privileges and the filter (e.g. dropping capabilities).
  // Returns "" or a one-line reason why the workload cannot be started. It shares tailor's fd
  // table at that point: it must not open or close file descriptors.
  std::function<std::string()> child_setup;
  bool no_new_privs =
      false;                // set PR_SET_NO_NEW_PRIVS before loading (needed without CAP_SYS_ADMIN)
  bool low_latency = true;  // hold a PM QoS request while supervising (see launch.h)
  // seccomp(2) flags to load the filter with besides NEW_LISTENER: a profile's
  // SECCOMP_FILTER_FLAG_LOG / SPEC_ALLOW, passed on as a runtime would (`tailor run`).
  unsigned filter_flags = 0;
};

// Thrown before anything of the workload ran when this kernel or this process cannot have a
// seccomp listener (kernel < 5.0, or an ancestor filter already has a listener: EBUSY).
class NotifyUnavailable : public Error {
 public:
  using Error::Error;
};

// Starts the command under the filter and answers notifications until every process of the
// workload has ended. Returns the first process's wait status. Throws NotifyUnavailable, or
// tailor::Error when the command cannot be started (127/126) or child_setup failed (125).
int run_notified(const NotifyLaunch& spec, NotifyHandler& handler);

// True if a seccomp filter with a listener is already installed on this process (the kernel
// allows one per process tree: tailor runs under a container's seccomp agent, or under another
// tailor). Then a notify backend cannot start, and a SECCOMP_RET_TRACE filter is unreliable: a
// notification answered "continue" by that agent overrides the trace action. Probed in a
// throwaway child.
bool seccomp_listener_above();

// A filter that asks about every syscall: the recorder's default.
std::vector<struct sock_filter> notify_everything_filter();

}  // namespace tailor::tracer
