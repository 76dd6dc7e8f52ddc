#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

#include "tailor/error.h"

namespace tailor::tracer {

void Fd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

ChildGuard::~ChildGuard() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st;
    while (::waitpid(pid_, &st, __WALL) < 0 && errno == EINTR) {
    }
  }
}

namespace {
std::atomic<pid_t> g_forward_to{0};

void forward_signal(int sig, siginfo_t* info, void*) {
  if (info && info->si_code == SI_KERNEL) return;
  pid_t target = g_forward_to.load();
  if (target > 0) ::kill(target, sig);
}
}  // namespace

SignalForwarding::SignalForwarding() {
  struct sigaction sa {};
  sa.sa_sigaction = forward_signal;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  for (std::size_t i = 0; i < std::size(kForwardedSignals); ++i)
    ::sigaction(kForwardedSignals[i], &sa, &old_[i]);
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, &old_pipe_);
}

SignalForwarding::~SignalForwarding() {
  g_forward_to = 0;
  for (std::size_t i = 0; i < std::size(kForwardedSignals); ++i)
    ::sigaction(kForwardedSignals[i], &old_[i], nullptr);
  ::sigaction(SIGPIPE, &old_pipe_, nullptr);
}

void SignalForwarding::forward_to(pid_t pid) {
  g_forward_to = pid;
}

void SignalForwarding::reset_in_child() {
  for (int sig : kForwardedSignals) ::signal(sig, SIG_DFL);
  ::signal(SIGPIPE, SIG_DFL);
}

// Every stop hands the CPU from workload to tailor and back. When the other CPU is idle in a
// deep C-state (a halted vCPU in a VM), waking it costs far more than the stop itself: measured
// here, 100,000 getppid under ptrace took 5.7 s unpinned against 0.8 s with tracer and tracee on
// one CPU. A PM QoS request for 0 us wake-up latency keeps idle CPUs shallow for as long as the
// fd stays open (the kernel drops it when tailor exits, however it exits). It needs root;
// without it tailor simply runs slower.
CpuLatencyRequest::CpuLatencyRequest(bool enable) {
  if (!enable) return;
  fd_.reset(::open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC));
  const std::int32_t zero_us = 0;
  if (fd_.get() >= 0 && ::write(fd_.get(), &zero_us, sizeof zero_us) != sizeof zero_us) fd_.reset();
}

std::string resolve_command(const std::string& name) {
  if (name.empty()) throw Error("empty command", kExitNotFound);
  auto check = [](const std::string& p) -> int {
    struct stat st;
    if (::stat(p.c_str(), &st) != 0) return ENOENT;
    if (S_ISDIR(st.st_mode)) return EACCES;
    if (::access(p.c_str(), X_OK) != 0) return EACCES;
    return 0;
  };
  if (name.find('/') != std::string::npos) {
    int e = check(name);
    if (e == ENOENT) throw Error(name + ": no such file or directory", kExitNotFound);
    if (e) throw Error(name + ": permission denied", kExitCannotExec);
    return name;
  }
  const char* env = ::getenv("PATH");
  std::string path = env ? env : "/usr/local/bin:/usr/bin:/bin";
  bool denied = false;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t j = path.find(':', i);
    if (j == std::string::npos) j = path.size();
    std::string dir = path.substr(i, j - i);
    if (dir.empty()) dir = ".";
    std::string cand = dir + "/" + name;
    int e = check(cand);
    if (e == 0) return cand;
    if (e == EACCES) denied = true;
    i = j + 1;
  }
  if (denied) throw Error(name + ": permission denied", kExitCannotExec);
  throw Error(name + ": command not found", kExitNotFound);
}

}  // namespace tailor::tracer
