// The ptrace backend.
//
// How a syscall reaches us: the workload's first process installs a one-instruction seccomp
// filter that returns SECCOMP_RET_TRACE for every syscall, then execs. From then on every
// syscall of every descendant makes one PTRACE_EVENT_SECCOMP stop, where we read the call with
// PTRACE_GET_SYSCALL_INFO (which also tells the architecture: an i386 or x32 call in an x86_64
// process is told apart there). When the sink wants the result we resume with PTRACE_SYSCALL
// instead of PTRACE_CONT and get exactly one extra stop, at syscall exit. This is what strace
// --seccomp-bpf does, and it halves the stops of plain PTRACE_SYSCALL tracing.
//
// Without CAP_SYS_ADMIN a process may only install a filter after setting no-new-privileges,
// which would silently change what setuid programs in the workload do. So unprivileged runs use
// plain PTRACE_SYSCALL stops (use_seccomp=false) and the workload runs as it would untraced.
//
// The workload must never be left stopped or orphaned: PTRACE_O_EXITKILL kills every tracee if
// tailor dies; group-stops are honoured with PTRACE_LISTEN (so `kill -STOP` works and `kill
// -CONT` resumes); every signal we see in a signal-delivery-stop is re-injected unchanged.
#include "ptrace_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "launch.h"
#include "tailor/error.h"
#include "tailor/syscalls.h"

namespace tailor::tracer {

namespace {

struct Task {
  bool awaiting_exit = false;  // the sink asked for this syscall's result
  bool in_syscall = false;     // (syscall mode) between entry and exit stop
};

// What the child reports through its close-on-exec pipe when it cannot get to the workload.
struct ChildFailure {
  int stage;  // 1 = seccomp filter, 2 = execve
  int err;
};

[[noreturn]] void child_main(const std::vector<std::string>& argv, const std::string& path,
                             bool seccomp_filter, const std::vector<struct sock_filter>& custom,
                             int sync_rd, int err_wr, const sigset_t& orig_mask) {
  // Wait until the tracer has seized us: a SECCOMP_RET_TRACE with no tracer attached would
  // fail every syscall with ENOSYS.
  char c;
  while (::read(sync_rd, &c, 1) < 0 && errno == EINTR) {
  }
  ::close(sync_rd);

  // Give the workload the signal state tailor itself was started with.
  SignalForwarding::reset_in_child();
  ::sigprocmask(SIG_SETMASK, &orig_mask, nullptr);

  auto fail = [&](int stage, int err) {
    ChildFailure f{stage, err};
    [[maybe_unused]] auto n = ::write(err_wr, &f, sizeof f);
    ::_exit(stage == 2 && err == ENOENT ? kExitNotFound
            : stage == 2                ? kExitCannotExec
                                        : kExitTraceFailed);
  };

  if (seccomp_filter) {
    struct sock_filter insns[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE)};
    struct sock_fprog prog {
      static_cast<unsigned short>(std::size(insns)), insns
    };
    if (!custom.empty())
      prog = {static_cast<unsigned short>(custom.size()),
              const_cast<struct sock_filter*>(custom.data())};
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) fail(1, errno);
  }

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execv(path.c_str(), args.data());
  fail(2, errno);
  ::_exit(127);
}

long ptrace_resume(int request, pid_t pid, int sig) {
  return ::ptrace(static_cast<__ptrace_request>(request), pid, nullptr,
                  reinterpret_cast<void*>(static_cast<long>(sig)));
}

}  // namespace

int PtraceBackend::run(const LaunchSpec& spec, EventSink& sink) {
  if (spec.argv.empty()) throw Error("no command given (usage: tailor record -- CMD [ARGS...])");
  const std::string path = spec.path.empty() ? resolve_command(spec.argv[0]) : spec.path;
  const bool filter = use_seccomp_ && spec.seccomp_filter;

  int sync_pipe[2], err_pipe[2];
  if (::pipe2(sync_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw Error(std::string("pipe: ") + std::strerror(errno), kExitTraceFailed);
  Fd sync_rd(sync_pipe[0]), sync_wr(sync_pipe[1]), err_rd(err_pipe[0]), err_wr(err_pipe[1]);

  SignalForwarding forwarding;
  ForwardedSignalsBlocked blocked;

  pid_t child = ::fork();
  if (child < 0) throw Error(std::string("fork: ") + std::strerror(errno), kExitTraceFailed);
  if (child == 0) {
    sync_wr.release();  // not closed explicitly: the child never returns; exec closes CLOEXEC
    ::close(sync_pipe[1]);
    ::close(err_pipe[0]);
    child_main(spec.argv, path, filter, spec.filter, sync_pipe[0], err_pipe[1], blocked.original());
  }
  ChildGuard guard(child);

  CpuLatencyRequest low_latency(spec.low_latency);
  sync_rd.reset();
  err_wr.reset();

  long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
              PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL | PTRACE_O_TRACEEXIT;
  if (filter) opts |= PTRACE_O_TRACESECCOMP;
  if (::ptrace(PTRACE_SEIZE, child, nullptr, reinterpret_cast<void*>(opts)) != 0)
    throw Error(std::string("cannot trace the command (ptrace: ") + std::strerror(errno) +
                    "); is ptrace forbidden here (yama ptrace_scope, seccomp, a debugger)?",
                kExitTraceFailed);
  // In syscall mode the child must be resumed with PTRACE_SYSCALL to make syscall stops, and a
  // seized task is running: stop it once so the loop below resumes it the right way.
  if (!filter) ::ptrace(PTRACE_INTERRUPT, child, nullptr, nullptr);
  SignalForwarding::forward_to(child);
  blocked.release();  // pending signals go to the workload now
  sync_wr.reset();    // lets the child go on

  const int resume_req = filter ? PTRACE_CONT : PTRACE_SYSCALL;
  std::unordered_map<pid_t, Task> tasks;
  tasks[child] = Task{};
  sink.on_task_start(child, 0);

  int main_status = 0;
  bool main_done = false;
  auto last_tick = std::chrono::steady_clock::now();

  auto resume = [&](pid_t pid, Task& t, int sig) {
    int req = t.awaiting_exit ? PTRACE_SYSCALL : resume_req;
    ptrace_resume(req, pid, sig);  // ESRCH: the task died meanwhile; its exit is reported next
  };

  auto handle_syscall_stop = [&](pid_t pid, Task& t) {
    struct __ptrace_syscall_info info {};
    long n = ::ptrace(PTRACE_GET_SYSCALL_INFO, pid, reinterpret_cast<void*>(sizeof info), &info);
    if (n <= 0) return;
    if (info.op == PTRACE_SYSCALL_INFO_ENTRY || info.op == PTRACE_SYSCALL_INFO_SECCOMP) {
      SyscallEntry e;
      e.tid = pid;
      const auto& src =
          info.op == PTRACE_SYSCALL_INFO_SECCOMP ? info.seccomp.args : info.entry.args;
      e.nr = info.op == PTRACE_SYSCALL_INFO_SECCOMP ? info.seccomp.nr : info.entry.nr;
      for (int i = 0; i < 6; ++i) e.args[i] = src[i];
      e.arch = effective_arch(info.arch, e.nr);
      t.in_syscall = true;
      t.awaiting_exit = sink.on_syscall_entry(e) == Want::kExit;
    } else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
      if (t.awaiting_exit) sink.on_syscall_exit(pid, info.exit.rval);
      t.awaiting_exit = false;
      t.in_syscall = false;
    }
  };

  for (;;) {
    int status = 0;
    struct rusage ru {};
    pid_t pid = ::wait4(-1, &status, __WALL, &ru);
    if (pid < 0) {
      if (errno == EINTR) continue;
      if (errno == ECHILD) break;
      throw Error(std::string("wait4: ") + std::strerror(errno), kExitTraceFailed);
    }

    auto now = std::chrono::steady_clock::now();
    if (now - last_tick > std::chrono::milliseconds(50)) {
      last_tick = now;
      sink.on_tick();
    }

    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      if (tasks.erase(pid)) sink.on_task_exit(pid, &ru);
      if (pid == child) {
        main_status = status;
        main_done = true;
        guard.release();
        SignalForwarding::forward_to(0);
      }
      continue;
    }
    if (!WIFSTOPPED(status)) continue;

    auto it = tasks.find(pid);
    if (it == tasks.end()) {
      // A new child can report its first stop before its parent's fork event.
      it = tasks.emplace(pid, Task{}).first;
      sink.on_task_start(pid, 0);
    }
    Task& t = it->second;
    const int sig = WSTOPSIG(status);
    const unsigned event = static_cast<unsigned>(status) >> 16;

    if (sig == (SIGTRAP | 0x80)) {
      handle_syscall_stop(pid, t);
      resume(pid, t, 0);
      continue;
    }
    switch (event) {
      case PTRACE_EVENT_SECCOMP:
        handle_syscall_stop(pid, t);
        resume(pid, t, 0);
        continue;
      case PTRACE_EVENT_FORK:
      case PTRACE_EVENT_VFORK:
      case PTRACE_EVENT_CLONE: {
        unsigned long msg = 0;
        ::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &msg);
        pid_t kid = static_cast<pid_t>(msg);
        if (kid > 0 && !tasks.count(kid)) {
          tasks.emplace(kid, Task{});
          sink.on_task_start(kid, pid);
        }
        resume(pid, t, 0);
        continue;
      }
      case PTRACE_EVENT_EXEC: {
        unsigned long msg = 0;
        ::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &msg);
        pid_t former = static_cast<pid_t>(msg);
        if (former != pid) {
          // A non-leader thread exec'd: it now has the leader's pid and its old tid is gone
          // without an exit report.
          auto f = tasks.find(former);
          if (f != tasks.end()) {
            t = f->second;
            tasks.erase(f);
          }
        }
        sink.on_exec(pid, former);
        resume(pid, tasks[pid], 0);
        continue;
      }
      case PTRACE_EVENT_EXIT:
        sink.on_task_exiting(pid);
        resume(pid, t, 0);
        continue;
      case PTRACE_EVENT_STOP:
        if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
          // Group-stop: stay stopped until SIGCONT, as the task would untraced.
          ::ptrace(PTRACE_LISTEN, pid, nullptr, nullptr);
        } else {
          resume(pid, t, 0);  // initial stop of a new task, or the end of a group-stop
        }
        continue;
      default:
        break;
    }
    if (sig == SIGTRAP && event != 0) {  // another ptrace event we did not ask for
      resume(pid, t, 0);
      continue;
    }
    // Signal-delivery-stop: hand the signal to the task unchanged.
    resume(pid, t, sig);
  }

  // The child reports on its close-on-exec pipe only if it could not start the workload.
  ChildFailure f{};
  ssize_t got;
  while ((got = ::read(err_rd.get(), &f, sizeof f)) < 0 && errno == EINTR) {
  }
  if (got == static_cast<ssize_t>(sizeof f)) {
    if (f.stage == 1)
      throw Error(std::string("cannot install the seccomp tracing filter: ") +
                      std::strerror(f.err) + " (try --mode syscall)",
                  kExitTraceFailed);
    throw Error(path + ": " + std::strerror(f.err),
                f.err == ENOENT ? kExitNotFound : kExitCannotExec);
  }
  if (!main_done) throw Error("lost track of the workload", kExitTraceFailed);
  return main_status;
}

}  // namespace tailor::tracer
