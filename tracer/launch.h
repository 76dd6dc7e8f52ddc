// What every way of running the workload shares: fd and child owners, signal forwarding, the
// PM QoS latency request, and looking the command up in PATH.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <iterator>
#include <string>
#include <utility>

namespace tailor::tracer {

// Move-only owner of a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Owns the workload's first process until it has been waited for: if setup fails half-way the
// child is killed and reaped rather than left behind.
class ChildGuard {
 public:
  explicit ChildGuard(pid_t pid) : pid_(pid) {}
  ~ChildGuard();
  void release() { pid_ = -1; }
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;

 private:
  pid_t pid_;
};

// Signals that tailor receives are meant for the workload. A terminal's Ctrl-C (and ^\, ^Z)
// already reaches the workload, which shares tailor's process group, so a signal the kernel sent
// on behalf of the tty (si_code SI_KERNEL) is not forwarded a second time; one sent with kill(2)
// (SI_USER/SI_QUEUE) is passed on to the workload's main process as it is.
inline constexpr int kForwardedSignals[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM,
                                            SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH};

// Installs the forwarding handlers (and ignores SIGPIPE, so a closed stderr cannot kill tailor)
// for its lifetime. Handlers have no SA_RESTART: a blocking wait returns EINTR, which the
// loops expect. Set the target with forward_to() once the workload's pid is known.
class SignalForwarding {
 public:
  SignalForwarding();
  ~SignalForwarding();
  SignalForwarding(const SignalForwarding&) = delete;
  SignalForwarding& operator=(const SignalForwarding&) = delete;
  static void forward_to(pid_t pid);
  // Restores default dispositions in a child about to exec the workload.
  static void reset_in_child();

 private:
  struct sigaction old_[std::size(kForwardedSignals)];
  struct sigaction old_pipe_;
};

// A signal sent to tailor before the workload's pid is known must not be lost: the forwarded
// signals stay blocked (pending) from construction until release() or destruction. A child forked
// meanwhile inherits the block, so a signal aimed at it before it restored its dispositions waits
// too, and then acts on the workload exactly as if it had been sent to it directly.
class ForwardedSignalsBlocked {
 public:
  ForwardedSignalsBlocked() {
    sigset_t forwarded;
    sigemptyset(&forwarded);
    for (int sig : kForwardedSignals) sigaddset(&forwarded, sig);
    ::sigprocmask(SIG_BLOCK, &forwarded, &original_);
  }
  ~ForwardedSignalsBlocked() { release(); }
  ForwardedSignalsBlocked(const ForwardedSignalsBlocked&) = delete;
  ForwardedSignalsBlocked& operator=(const ForwardedSignalsBlocked&) = delete;
  // The mask tailor had before: what the workload's first process restores before its exec.
  const sigset_t& original() const { return original_; }
  // Pending forwarded signals are delivered (to the handlers, which pass them on) now.
  void release() { ::sigprocmask(SIG_SETMASK, &original_, nullptr); }

 private:
  sigset_t original_;
};

// Keeps idle CPUs out of deep C-states while it lives (see the comment in launch.cpp). Root only;
// silently does nothing otherwise.
class CpuLatencyRequest {
 public:
  explicit CpuLatencyRequest(bool enable);

 private:
  Fd fd_;
};

// Looks `name` up like execvp does. Throws tailor::Error (exit 127/126) if it cannot be run.
std::string resolve_command(const std::string& name);

}  // namespace tailor::tracer
