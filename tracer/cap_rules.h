// Capability inference: one documented table of rules (cap_rules.cpp), shared by all backends.
//
// A rule looks at a syscall at entry, before the kernel acts (so ownership and modes are still
// the old ones), and says which capability the call would exercise and why. The recorder then
// asks for the syscall's result: success makes it a need (Profile::capabilities), EPERM/EACCES a
// hint (Profile::capability_hints), any other error drops it.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cerrno>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proc.h"

namespace tailor::tracer {

// A syscall as the rules see it. `name` is the normalised name (i386 "chown32" -> "chown",
// "socketcall" already split into "bind", "socket", ...), with `args` matching that name.
struct DecodedCall {
  pid_t tid = 0;
  std::uint32_t arch = 0;
  std::string name;
  std::array<std::uint64_t, 6> args{};
  std::string path;   // first path argument, absolute (resolved against cwd/dirfd); "" if none
  std::string path2;  // second path argument (rename, link, ...), same rules
  // For bind/connect/sendto: the decoded socket address, if any.
  std::string sa_family;  // "inet", "inet6", "unix", "netlink", ...
  std::string sa_address;
  int sa_port = 0;
};

// What the rules may ask about the world. The recorder implements it over /proc with caching.
class CapEnv {
 public:
  virtual ~CapEnv() = default;
  virtual std::optional<Creds> creds(pid_t tid) = 0;  // the caller's, or another task's
  virtual std::optional<struct stat> stat_path(pid_t tid, const std::string& abs, bool follow) = 0;
  virtual std::optional<struct stat> stat_fd(pid_t tid, int fd) = 0;
  virtual bool read_mem(pid_t tid, std::uint64_t addr, void* buf, std::size_t len) = 0;
  virtual std::optional<std::string> read_string(pid_t tid, std::uint64_t addr) = 0;
  // The path open as `fd` (readlink of /proc/TID/fd/FD).
  virtual std::optional<std::string> fd_path(pid_t tid, int fd) = 0;
  // A process's resource limit before the call (prlimit), nullopt if it cannot be known.
  virtual std::optional<rlim_t> limit(pid_t pid, int resource, bool hard) {
    struct rlimit old;
    if (::prlimit(pid, static_cast<__rlimit_resource>(resource), nullptr, &old) != 0) return {};
    return hard ? old.rlim_max : old.rlim_cur;
  }
  // A process's nice value before the call (getpriority), nullopt if it cannot be known.
  virtual std::optional<int> nice(pid_t pid) {
    errno = 0;
    const int v = ::getpriority(PRIO_PROCESS, static_cast<id_t>(pid));
    if (errno != 0) return std::nullopt;
    return v;
  }
};

// CapEnv straight from /proc, without caching: for `tailor run`, which asks about the few calls
// it watches, and for tests that check the rules against the kernel's view of a live process.
class ProcCapEnv final : public CapEnv {
 public:
  std::optional<Creds> creds(pid_t tid) override { return read_creds(tid); }
  std::optional<struct stat> stat_path(pid_t tid, const std::string& abs, bool follow) override {
    return stat_in(tid, abs, follow);
  }
  std::optional<struct stat> stat_fd(pid_t tid, int fd) override {
    return tracer::stat_fd(tid, fd);
  }
  bool read_mem(pid_t tid, std::uint64_t addr, void* buf, std::size_t len) override {
    return tracer::read_mem(tid, addr, buf, len);
  }
  std::optional<std::string> read_string(pid_t tid, std::uint64_t addr) override {
    return read_cstring(tid, addr);
  }
  std::optional<std::string> fd_path(pid_t tid, int fd) override {
    return proc_link(tid, "fd/" + std::to_string(fd));
  }
};

struct CapFinding {
  int cap = 0;         // CAP_* number (from <linux/capability.h>)
  std::string detail;  // the argument that needs it, e.g. "port 80", "uid 1000 -> 0"
};

// Every rule that matches the call. Empty when no capability is involved.
std::vector<CapFinding> infer_capabilities(const DecodedCall& call, CapEnv& env);

// True if some rule looks at this (normalised) syscall name; the recorder only decodes paths
// and asks for results of such calls when it has to.
bool capability_rules_watch(std::string_view name);

}  // namespace tailor::tracer
