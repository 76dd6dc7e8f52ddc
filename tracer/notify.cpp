// The seccomp user-notification supervisor (see notify.h).
//
// Getting the listener fd out of the child is the delicate part: once the filter is loaded,
// every syscall the child makes — including the sendmsg that would pass the fd to tailor — waits
// for an answer from a listener nobody holds yet. So the child is started with CLONE_FILES: it
// shares tailor's fd table until its execve (which unshares it), and the listener fd seccomp()
// returns in the child is already in tailor's table. The child says which fd it is through a
// shared page — plain memory stores, no syscall — and then execs; that execve is the first
// notification tailor answers. No ptrace access to the child is needed (pidfd_getfd would need
// it), so this works where ptrace is forbidden.
#include "notify.h"
#include "watchdog.h"

#include <dirent.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <unordered_set>

#include "launch.h"
#include "proc.h"

// Linux 6.6 (absent from Debian 12's headers): wake the supervisor synchronously, on the CPU the
// notifying task just left. Unpinned on this machine a round trip fell from ~50 us to ~6 us.
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

namespace tailor::tracer {

namespace {

// What the child reports on the shared page. Stores only: the child cannot make a syscall
// tailor would have to answer before it has the listener.
struct Handshake {
  enum : int { kStarting = 0, kListening, kSetupFailed, kFilterFailed, kExecFailed };
  std::atomic<int> state{kStarting};
  std::atomic<int> watched{0};  // tailor has told the watchdog the child's pid
  int listener = -1;
  int err = 0;
  char msg[256] = {};
};

class SharedPage {
 public:
  SharedPage() {
    void* p = ::mmap(nullptr, sizeof(Handshake), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                     -1, 0);
    if (p == MAP_FAILED)
      throw Error(std::string("mmap: ") + std::strerror(errno), kExitTraceFailed);
    hs_ = new (p) Handshake;
  }
  ~SharedPage() { ::munmap(hs_, sizeof(Handshake)); }
  SharedPage(const SharedPage&) = delete;
  SharedPage& operator=(const SharedPage&) = delete;
  Handshake* operator->() const { return hs_; }
  Handshake* get() const { return hs_; }

 private:
  Handshake* hs_;
};

volatile sig_atomic_t g_sigchld = 0;
void on_sigchld(int) {
  g_sigchld = 1;
}

[[noreturn]] void child_main(const NotifyLaunch& spec, char* const* argv, Handshake* hs,
                             pid_t parent, const sigset_t& orig_mask,
                             const struct sigaction& orig_chld, bool watchdog) {
  SignalForwarding::reset_in_child();
  ::sigaction(SIGCHLD, &orig_chld, nullptr);
  // If tailor dies before the workload is on its way, do not linger. (After that a dead
  // listener fails every asked-about syscall with ENOSYS, so nothing can hang waiting for it.)
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(kExitTraceFailed);

  auto fail = [&](int state, int err, const std::string& msg, int code) {
    hs->err = err;
    std::strncpy(hs->msg, msg.c_str(), sizeof hs->msg - 1);
    hs->state.store(state, std::memory_order_release);
    ::_exit(code);
  };
  if (spec.child_setup) {
    std::string why = spec.child_setup();
    if (!why.empty()) fail(Handshake::kSetupFailed, 0, why, kExitTraceFailed);
  }
  if (spec.no_new_privs && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    fail(Handshake::kSetupFailed, errno, "cannot set no-new-privileges", kExitTraceFailed);
  if (watchdog) {
    // Once the watchdog knows this pid it ends the workload if tailor dies, and the parent-death
    // signal has to go: it would kill this process first and orphan its children to init, out
    // of the watchdog's reach (a workload under `tailor run` never shows tailor its children).
    while (!hs->watched.load(std::memory_order_acquire)) {
      const struct timespec ts = {0, 20'000};
      ::nanosleep(&ts, nullptr);
    }
    ::prctl(PR_SET_PDEATHSIG, 0);
    if (::getppid() != parent) ::_exit(kExitTraceFailed);
  }
  ::sigprocmask(SIG_SETMASK, &orig_mask, nullptr);

  struct sock_fprog prog {
    static_cast<unsigned short>(spec.bpf.size()), const_cast<struct sock_filter*>(spec.bpf.data())
  };
  // A task waiting for tailor's answer sleeps interruptibly: a signal arriving meanwhile makes
  // the syscall return ERESTARTSYS, i.e. EINTR to a handler without SA_RESTART — for calls
  // (stat, open of a file) that natively cannot be interrupted. WAIT_KILLABLE_RECV (Linux 5.19)
  // lets only fatal signals in once tailor has received the notification, which leaves the few
  // microseconds before that; older kernels refuse the flag and get the plain wait.
  const unsigned base = SECCOMP_FILTER_FLAG_NEW_LISTENER | spec.filter_flags;
  long fd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                      base | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
  if (fd < 0 && errno == EINVAL) fd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, base, &prog);
  if (fd < 0) fail(Handshake::kFilterFailed, errno, "", kExitTraceFailed);
  hs->listener = static_cast<int>(fd);
  hs->state.store(Handshake::kListening, std::memory_order_release);

  ::execv(spec.path.c_str(), argv);
  const int err = errno;
  fail(Handshake::kExecFailed, err, "", err == ENOENT ? kExitNotFound : kExitCannotExec);
  ::_exit(127);
}

// tailor's own children (from /proc/self/task/TID/children): the first process and the
// orphans re-parented to tailor as subreaper. Empty where the kernel lacks that file.
std::vector<pid_t> own_children() {
  std::vector<pid_t> out;
  char path[64], buf[4096];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/children", static_cast<int>(::gettid()));
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  std::string text;
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  const char* p = text.c_str();
  char* end;
  for (long v; (v = std::strtol(p, &end, 10)), end != p; p = end)
    out.push_back(static_cast<pid_t>(v));
  return out;
}

}  // namespace

bool seccomp_listener_above() {
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    struct sock_fprog prog {
      1, allow
    };
    ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);  // this child only
    const long fd =
        ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    ::_exit(fd < 0 && errno == EBUSY ? 1 : 0);
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) && WEXITSTATUS(st) == 1;
}

std::vector<struct sock_filter> notify_everything_filter() {
  return {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF)};
}

int run_notified(const NotifyLaunch& spec, NotifyHandler& handler) {
  if (spec.argv.empty() || spec.path.empty()) throw Error("no command given");
  if (spec.bpf.empty() || spec.bpf.size() > BPF_MAXINSNS)
    throw Error("seccomp filter too large for the kernel (" + std::to_string(spec.bpf.size()) +
                    " instructions)",
                kExitTraceFailed);

  struct seccomp_notif_sizes sizes {};
  if (::syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0)
    throw NotifyUnavailable("this kernel has no seccomp user notification (Linux 5.0+)",
                            kExitTraceFailed);
  // The kernel may know a larger struct than these headers; it writes its own size.
  std::vector<unsigned char> req_buf(
      std::max<std::size_t>(sizes.seccomp_notif, sizeof(struct seccomp_notif)));
  std::vector<unsigned char> resp_buf(
      std::max<std::size_t>(sizes.seccomp_notif_resp, sizeof(struct seccomp_notif_resp)));
  auto* req = reinterpret_cast<struct seccomp_notif*>(req_buf.data());
  auto* resp = reinterpret_cast<struct seccomp_notif_resp*>(resp_buf.data());

  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  SharedPage hs;
  Watchdog watchdog;
  SignalForwarding forwarding;
  // Forwarded signals stay pending until the workload's pid is known (as in the ptrace
  // backend); SIGCHLD stays blocked except inside ppoll, so a process ending can never slip
  // between the check and the wait.
  sigset_t blocked, orig_mask, wait_mask;
  sigemptyset(&blocked);
  for (int sig : kForwardedSignals) sigaddset(&blocked, sig);
  sigaddset(&blocked, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &blocked, &orig_mask);
  struct MaskGuard {
    const sigset_t& mask;
    ~MaskGuard() { ::sigprocmask(SIG_SETMASK, &mask, nullptr); }
  } restore_mask{orig_mask};
  struct sigaction chld {
  }, orig_chld{};
  chld.sa_handler = on_sigchld;
  sigemptyset(&chld.sa_mask);
  ::sigaction(SIGCHLD, &chld, &orig_chld);
  struct ChldGuard {
    const struct sigaction& old;
    ~ChldGuard() { ::sigaction(SIGCHLD, &old, nullptr); }
  } restore_chld{orig_chld};
  g_sigchld = 0;

  const pid_t self = ::getpid();
  const long cpid = ::syscall(SYS_clone, CLONE_FILES | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  if (cpid < 0) throw Error(std::string("clone: ") + std::strerror(errno), kExitTraceFailed);
  if (cpid == 0)
    child_main(spec, argv.data(), hs.get(), self, orig_mask, orig_chld, watchdog.active());
  const pid_t child = static_cast<pid_t>(cpid);
  ChildGuard guard(child);
  watchdog.watch(child);
  hs->watched.store(1, std::memory_order_release);

  // Wait for the child to report on the shared page. It does so within microseconds unless
  // child_setup is slow; polling keeps the child free of syscalls after its filter is loaded.
  int state;
  for (;;) {
    state = hs->state.load(std::memory_order_acquire);
    if (state != Handshake::kStarting) break;
    int st;
    if (::waitpid(child, &st, WNOHANG) == child) {
      guard.release();
      throw Error("the workload's first process died while starting", kExitTraceFailed);
    }
    struct timespec ts {
      0, 20'000
    };
    ::nanosleep(&ts, nullptr);
  }
  if (state == Handshake::kSetupFailed) {
    throw Error(std::string(hs->msg) + (hs->err ? std::string(": ") + std::strerror(hs->err) : ""),
                kExitTraceFailed);
  }
  if (state == Handshake::kFilterFailed) {
    const int err = hs->err;
    if (err == EBUSY)
      throw NotifyUnavailable(
          "a seccomp listener is already installed above tailor (one per process tree)",
          kExitTraceFailed);
    if (err == EINVAL || err == ENOSYS)
      throw NotifyUnavailable("this kernel refuses a seccomp listener", kExitTraceFailed);
    throw Error(std::string("cannot install the seccomp filter: ") + std::strerror(err),
                kExitTraceFailed);
  }
  Fd listener(hs->listener);
  std::unordered_set<pid_t> watched = {child};
  handler.on_started(child);
  ::ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
  CpuLatencyRequest low_latency(spec.low_latency);
  SignalForwarding::forward_to(child);
  wait_mask = orig_mask;
  for (int sig : kForwardedSignals) sigdelset(&wait_mask, sig);
  sigdelset(&wait_mask, SIGCHLD);
  {
    sigset_t still = blocked;
    for (int sig : kForwardedSignals) sigdelset(&still, sig);
    sigset_t now = orig_mask;
    sigorset(&now, &now, &still);
    ::sigprocmask(SIG_SETMASK, &now, nullptr);  // pending forwarded signals go to the workload
  }

  int main_status = 0;
  bool main_done = false, listening = true;
  auto last_tick = std::chrono::steady_clock::now();
  for (;;) {
    if (g_sigchld) {
      g_sigchld = 0;
      int st;
      struct rusage ru {};
      pid_t pid;
      bool none_left = false;
      while ((pid = ::wait4(-1, &st, WNOHANG | __WALL, &ru)) != 0) {
        if (pid < 0) {
          if (errno == EINTR) continue;
          none_left = errno == ECHILD;
          break;
        }
        if (pid == child) {
          main_status = st;
          main_done = true;
          guard.release();
          SignalForwarding::forward_to(0);
        }
        handler.on_reaped(pid, st);
      }
      if (none_left) break;
    }
    struct pollfd pfd {
      listener.get(), POLLIN, 0
    };
    struct timespec timeout {
      0, 100'000'000
    };
    const int n = ::ppoll(listening ? &pfd : nullptr, listening ? 1 : 0, &timeout, &wait_mask);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_tick > std::chrono::milliseconds(50)) {
      last_tick = now;
      // Orphans re-parented to tailor must be known to the watchdog even if they never make a
      // call the filter asks about.
      for (pid_t pid : own_children())
        if (watched.insert(pid).second) watchdog.watch(pid);
      handler.on_tick();
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(std::string("ppoll: ") + std::strerror(errno), kExitTraceFailed);
    }
    if (n == 0) {
      // No SIGCHLD can be lost (it is only unblocked inside ppoll), but a child that ended
      // before the handler was installed would be: look once in a while.
      g_sigchld = 1;
      continue;
    }
    if (!(pfd.revents & POLLIN)) {
      // POLLHUP: no task holds the filter any more; only waiting is left.
      if (pfd.revents & (POLLHUP | POLLERR)) listening = false;
      continue;
    }
    std::memset(req_buf.data(), 0, req_buf.size());
    if (::ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_RECV, req) != 0) {
      if (errno == EINTR || errno == ENOENT) continue;  // ENOENT: the task died meanwhile
      throw Error(std::string("seccomp notification: ") + std::strerror(errno), kExitTraceFailed);
    }
    if (watched.insert(static_cast<pid_t>(req->pid)).second)
      watchdog.watch(static_cast<pid_t>(req->pid));
    Notification note;
    note.id = req->id;
    note.pid = static_cast<pid_t>(req->pid);
    note.arch = req->data.arch;
    note.nr = req->data.nr;
    note.ip = req->data.instruction_pointer;
    for (int i = 0; i < 6; ++i) note.args[i] = req->data.args[i];
    const NotifyReply reply = handler.on_notification(note);
    std::memset(resp_buf.data(), 0, resp_buf.size());
    resp->id = req->id;
    switch (reply.kind) {
      case NotifyReply::kContinue:
        resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        break;
      case NotifyReply::kError:
        resp->error = -static_cast<std::int32_t>(reply.value);
        break;
      case NotifyReply::kValue:
        resp->val = reply.value;
        break;
    }
    while (::ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_SEND, resp) != 0 && errno == EINTR) {
    }
    handler.after_reply(note, reply);
  }

  if (hs->state.load(std::memory_order_acquire) == Handshake::kExecFailed) {
    const int err = hs->err;
    throw Error(spec.path + ": " + std::strerror(err),
                err == ENOENT ? kExitNotFound : kExitCannotExec);
  }
  if (!main_done) throw Error("lost track of the workload", kExitTraceFailed);
  return main_status;
}

}  // namespace tailor::tracer
