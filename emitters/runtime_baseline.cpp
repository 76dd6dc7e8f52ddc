// The syscalls container runtimes make under the container's seccomp filter, after installing it
// and before exec'ing the app. A generated profile must allow them or the container never starts;
// how many there are depends on no-new-privileges: with it, runc and crun install the filter right
// before execve; without it, before dropping capabilities and switching user (seccomp needs
// CAP_SYS_ADMIN then), so capset, prctl, setresuid... all run under the filter.
//
// MEASURED, not guessed: scripts/measure-runtime-baseline.sh, run on 2026-11-22 on Debian 12
// (Linux 6.18 x86_64) with Debian's runc 1.1.5+ds1 (go1.19.8, libseccomp 2.5.4), crun 1.8.1 and
// podman 4.3.1, as `bash scripts/measure-runtime-baseline.sh -n 8` (idle, and again with two
// CPU hogs running to shake out Go-runtime calls in runc init) and `-n 5 --leave-one-out`; the
// lists are the union of every run. How: the container (static busybox rootfs, `/bin/true`) gets
// a filter with defaultAction SCMP_ACT_LOG; the kernel logs every call made under it
// (`audit: type=1326 ... pid= comm= ... syscall=`); the lines of the container's init pid with a
// comm other than the app's ("true") are the runtime's, its execve included. Each list unions
// user root and 65534:65534 (the runtimes switch user under the filter without nnp) and, for
// docker, 0/0.2/1 s between `runc create` and `runc start`. Cross-checked (--verify): `true`
// runs under defaultAction SCMP_ACT_ERRNO allowing exactly app needs + list + exit, exit_group,
// rt_sigreturn, restart_syscall, and fails without the list. Leave-one-out found a few calls a
// runtime survives being denied (runc: getpid, epoll_ctl, and without nnp faccessat2, fchown,
// fcntl; crun: close); they stay, since denying them changes what the container gets (a failed
// close leaks the runtime's fds into it).
//
//   docker  runc driven like Docker's containerd shim: `runc create`, then `runc start`
//   runc    `runc run`
//   crun    `crun run` (in a private mount namespace without the cgroup v2 mount: the test
//           machines have hybrid cgroups, which crun refuses)
//   podman  `podman run`, with Debian's default runtime crun and with runc, unioned: a profile
//           cannot know which runtime a podman installation uses (crun's create + start wait
//           adds pselect6 and read)
//
// Re-measure after a runtime upgrade: `bash scripts/measure-runtime-baseline.sh -n 8 --verify`
// as root (needs jq, busybox-static, seccomp's scmp_sys_resolver; it briefly sets
// kernel.printk_ratelimit to 0, since the kernel prints these lines rate-limited, and restores
// it), and paste each line's names here. `--runtime all` (the default) is the union of the lists.
// test/test_runtime_baseline.cpp ([runtimes]) re-measures and fails, naming the syscall, when a
// runtime makes one these lists lack.
#include <array>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tailor/emitters.h"

namespace tailor {

namespace {

// runc: `runc create` + `runc start` (docker) and `runc run` measured the same sets.
const std::vector<std::string> kDockerNnp = {"close",        "epoll_ctl",  "execve", "fstatfs",
                                             "futex",        "getdents64", "getpid", "openat",
                                             "rt_sigreturn", "write"};
const std::vector<std::string> kDockerNoNnp = {
    "capget", "capset",    "chdir",      "close",   "epoll_ctl", "execve", "faccessat2",
    "fchown", "fcntl",     "fstat",      "fstatfs", "futex",     "getcwd", "getdents64",
    "getpid", "getppid",   "newfstatat", "openat",  "prctl",     "read",   "rt_sigreturn",
    "setgid", "setgroups", "setuid",     "write"};
// podman + crun and podman + runc, unioned.
const std::vector<std::string> kPodmanNnp = {"close",        "epoll_ctl",  "execve", "fstatfs",
                                             "futex",        "getdents64", "getpid", "openat",
                                             "rt_sigreturn", "write"};
const std::vector<std::string> kPodmanNoNnp = {
    "capget",     "capset",     "chdir",     "close",        "epoll_ctl",      "execve",
    "faccessat2", "fchown",     "fcntl",     "fstat",        "fstatfs",        "futex",
    "getcwd",     "getdents64", "getpid",    "getppid",      "newfstatat",     "openat",
    "prctl",      "pselect6",   "read",      "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
    "setgid",     "setgroups",  "setresgid", "setresuid",    "setuid",         "write"};
// write: seen once under load in the [runtimes] test on 2026-12-02 (a full ASan suite running
// beside it), never on an idle machine; crun reports trouble on its stderr from inside the
// container's init, and a denied write would lose the one line that says what went wrong.
const std::vector<std::string> kCrunNnp = {"close", "execve", "write"};
const std::vector<std::string> kCrunNoNnp = {"capset",    "close",        "execve",
                                             "prctl",     "rt_sigaction", "rt_sigprocmask",
                                             "setresgid", "setresuid",    "write"};
const std::vector<std::string> kEmpty;

// Every runtime's list, unioned: the default, for a filter that starts the container whichever
// engine runs it. Without nnp it also takes every nnp list, so "without" always contains "with"
// even if a re-measurement one day finds a call only the nnp path makes.
std::vector<std::string> all_runtimes(bool nnp) {
  std::set<std::string> names;
  for (const auto* list : {&kDockerNnp, &kPodmanNnp, &kCrunNnp})
    names.insert(list->begin(), list->end());
  if (!nnp)
    for (const auto* list : {&kDockerNoNnp, &kPodmanNoNnp, &kCrunNoNnp})
      names.insert(list->begin(), list->end());
  return {names.begin(), names.end()};
}

}  // namespace

std::optional<Runtime> runtime_from_name(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, Runtime>, 6> kNames = {{
      {"docker", Runtime::kDocker},
      {"podman", Runtime::kPodman},
      {"runc", Runtime::kRunc},
      {"crun", Runtime::kCrun},
      {"none", Runtime::kNone},
      {"all", Runtime::kAll},
  }};
  for (const auto& [n, r] : kNames)
    if (n == name) return r;
  return std::nullopt;
}

std::string_view runtime_name(Runtime r) {
  switch (r) {
    case Runtime::kDocker:
      return "docker";
    case Runtime::kPodman:
      return "podman";
    case Runtime::kRunc:
      return "runc";
    case Runtime::kCrun:
      return "crun";
    case Runtime::kNone:
      return "none";
    case Runtime::kAll:
      return "all";
  }
  return "none";
}

const std::vector<std::string>& runtime_baseline(Runtime r, bool no_new_privileges) {
  switch (r) {
    case Runtime::kDocker:
    case Runtime::kRunc:
      return no_new_privileges ? kDockerNnp : kDockerNoNnp;
    case Runtime::kPodman:
      return no_new_privileges ? kPodmanNnp : kPodmanNoNnp;
    case Runtime::kCrun:
      return no_new_privileges ? kCrunNnp : kCrunNoNnp;
    case Runtime::kAll: {
      static const std::vector<std::string> with = all_runtimes(true);
      static const std::vector<std::string> without = all_runtimes(false);
      return no_new_privileges ? with : without;
    }
    case Runtime::kNone:
      break;
  }
  return kEmpty;
}

}  // namespace tailor
