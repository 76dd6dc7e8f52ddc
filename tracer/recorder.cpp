// The Recorder: from syscall events to a Profile.
//
// Hot path first. Most syscalls (read, write, futex, getppid, ...) carry nothing we decode, so
// for them the whole cost is one hash lookup of (arch, nr) -> SyscallInfo and one counter bump
// keyed by (executable, arch, nr). Names, evidence maps and the Profile are only built at the
// end. Calls that name files, create fds, touch sockets or can need a capability get decoded:
// their pointer arguments are read from tracee memory at entry (before the kernel may change
// them), and their result is asked for so that a probe that failed is told apart from a real
// access and a capability that was used from one that was refused.
#include "recorder.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/net.h>
#include <linux/netlink.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <seccomp.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "launch.h"
#include "tailor/capabilities.h"
#include "tailor/paths.h"
#include "tailor/syscalls.h"

namespace tailor::tracer {

namespace {

// ---- what each syscall means to the recorder ----------------------------------------------------

enum class Kind : std::uint8_t {
  kPlain,     // nothing to decode
  kPath,      // path arguments per PathSpec
  kOpen,      // open/openat/creat/openat2: access from flags, result is an fd
  kExec,      // execve/execveat
  kFdResult,  // returns a new fd (dup, eventfd, epoll_create, ...)
  kFdPair,    // writes two fds to args[0] (pipe) or args[3] (socketpair)
  kSocket,
  kAddr,  // bind/connect/sendto: sockaddr in args[1], len in args[2] (sendto: 4, 5)
  kSendmsg,
  kListen,
  kClose,
  kIoctl,
  kPrctl,
  kPersonality,
  kClone,
  kClone3,
  kUnshare,
  kSetns,
  kMmap,
  kMprotect,
  kSetId,       // set*uid/set*gid: ids in args
  kChdir,       // fchdir (chdir/chroot are kPath and also drop the cwd cache)
  kSocketcall,  // i386 multiplexer
};

struct PathSpec {
  const char* name;
  int dfd, path;  // argument indexes; dfd -1 = relative to cwd; path -1 = none
  const char* access;
  int dfd2 = -1, path2 = -1;
  const char* access2 = nullptr;
  int flags_arg = -1;  // AT_SYMLINK_NOFOLLOW / AT_EMPTY_PATH / AT_REMOVEDIR live here
};

// Every syscall whose arguments name a path, with the access it means. Open and exec calls
// are handled apart (their access depends on flags and on the result).
constexpr PathSpec kPathSpecs[] = {
    {"stat", -1, 0, "stat"},
    {"lstat", -1, 0, "stat"},
    {"stat64", -1, 0, "stat"},
    {"lstat64", -1, 0, "stat"},
    {"oldstat", -1, 0, "stat"},
    {"oldlstat", -1, 0, "stat"},
    {"newfstatat", 0, 1, "stat", -1, -1, nullptr, 3},
    {"fstatat64", 0, 1, "stat", -1, -1, nullptr, 3},
    {"statx", 0, 1, "stat", -1, -1, nullptr, 2},
    {"access", -1, 0, "stat"},
    {"faccessat", 0, 1, "stat"},
    {"faccessat2", 0, 1, "stat", -1, -1, nullptr, 3},
    {"readlink", -1, 0, "stat"},
    {"readlinkat", 0, 1, "stat"},
    {"statfs", -1, 0, "stat"},
    {"statfs64", -1, 0, "stat"},
    {"name_to_handle_at", 0, 1, "stat", -1, -1, nullptr, 4},
    {"unlink", -1, 0, "unlink"},
    {"unlinkat", 0, 1, "unlink", -1, -1, nullptr, 2},
    {"rmdir", -1, 0, "rmdir"},
    {"mkdir", -1, 0, "mkdir"},
    {"mkdirat", 0, 1, "mkdir"},
    {"rename", -1, 0, "rename", -1, 1, "create"},
    {"renameat", 0, 1, "rename", 2, 3, "create"},
    {"renameat2", 0, 1, "rename", 2, 3, "create"},
    {"link", -1, 0, "link", -1, 1, "create"},
    {"linkat", 0, 1, "link", 2, 3, "create", 4},
    {"symlink", -1, -1, nullptr, -1, 1, "create"},
    {"symlinkat", -1, -1, nullptr, 1, 2, "create"},
    {"chmod", -1, 0, "chmod"},
    {"fchmodat", 0, 1, "chmod"},
    {"fchmodat2", 0, 1, "chmod", -1, -1, nullptr, 3},
    {"chown", -1, 0, "chown"},
    {"lchown", -1, 0, "chown"},
    {"fchownat", 0, 1, "chown", -1, -1, nullptr, 4},
    {"truncate", -1, 0, "truncate"},
    {"truncate64", -1, 0, "truncate"},
    {"chdir", -1, 0, "chdir"},
    {"chroot", -1, 0, "chroot"},
    {"mknod", -1, 0, "mknod"},
    {"mknodat", 0, 1, "mknod"},
    {"utime", -1, 0, "utime"},
    {"utimes", -1, 0, "utime"},
    {"futimesat", 0, 1, "utime"},
    {"utimensat", 0, 1, "utime", -1, -1, nullptr, 3},
    {"setxattr", -1, 0, "xattr"},
    {"lsetxattr", -1, 0, "xattr"},
    {"getxattr", -1, 0, "xattr"},
    {"lgetxattr", -1, 0, "xattr"},
    {"listxattr", -1, 0, "xattr"},
    {"llistxattr", -1, 0, "xattr"},
    {"removexattr", -1, 0, "xattr"},
    {"lremovexattr", -1, 0, "xattr"},
    {"mount", -1, 1, "mount"},
    {"umount", -1, 0, "mount"},
    {"umount2", -1, 0, "mount"},
    {"pivot_root", -1, 0, "mount", -1, 1, "mount"},
    {"swapon", -1, 0, "write"},
    {"swapoff", -1, 0, "write"},
    {"acct", -1, 0, "write"},
    {"inotify_add_watch", -1, 1, "stat"},
    {"fanotify_mark", 3, 4, "stat"},
};

// i386 spells many calls differently; the decoder and the capability rules see one name.
std::string normalise(std::uint32_t arch, const std::string& name) {
  if (arch != SCMP_ARCH_X86) return name;
  static const std::pair<const char*, const char*> kRenames[] = {
      {"chown32", "chown"},       {"lchown32", "lchown"},       {"fchown32", "fchown"},
      {"setuid32", "setuid"},     {"setgid32", "setgid"},       {"setreuid32", "setreuid"},
      {"setregid32", "setregid"}, {"setresuid32", "setresuid"}, {"setresgid32", "setresgid"},
      {"setfsuid32", "setfsuid"}, {"setfsgid32", "setfsgid"},   {"setgroups32", "setgroups"},
      {"mmap2", "mmap"},          {"fcntl64", "fcntl"},         {"ftruncate64", "ftruncate"},
      {"prlimit64", "prlimit64"}, {"ugetrlimit", "getrlimit"},
  };
  for (const auto& [from, to] : kRenames)
    if (name == from) return to;
  return name;
}

struct KindEntry {
  const char* name;
  Kind kind;
};
constexpr KindEntry kKinds[] = {
    {"open", Kind::kOpen},
    {"openat", Kind::kOpen},
    {"openat2", Kind::kOpen},
    {"creat", Kind::kOpen},
    {"execve", Kind::kExec},
    {"execveat", Kind::kExec},
    {"dup", Kind::kFdResult},
    {"dup2", Kind::kFdResult},
    {"dup3", Kind::kFdResult},
    {"accept", Kind::kFdResult},
    {"accept4", Kind::kFdResult},
    {"eventfd", Kind::kFdResult},
    {"eventfd2", Kind::kFdResult},
    {"epoll_create", Kind::kFdResult},
    {"epoll_create1", Kind::kFdResult},
    {"timerfd_create", Kind::kFdResult},
    {"signalfd", Kind::kFdResult},
    {"signalfd4", Kind::kFdResult},
    {"inotify_init", Kind::kFdResult},
    {"inotify_init1", Kind::kFdResult},
    {"fanotify_init", Kind::kFdResult},
    {"memfd_create", Kind::kFdResult},
    {"memfd_secret", Kind::kFdResult},
    {"pidfd_open", Kind::kFdResult},
    {"pidfd_getfd", Kind::kFdResult},
    {"userfaultfd", Kind::kFdResult},
    {"perf_event_open", Kind::kFdResult},
    {"bpf", Kind::kFdResult},
    {"io_uring_setup", Kind::kFdResult},
    {"pipe", Kind::kFdPair},
    {"pipe2", Kind::kFdPair},
    {"socketpair", Kind::kFdPair},
    {"socket", Kind::kSocket},
    {"bind", Kind::kAddr},
    {"connect", Kind::kAddr},
    {"sendto", Kind::kAddr},
    {"sendmsg", Kind::kSendmsg},
    {"listen", Kind::kListen},
    {"close", Kind::kClose},
    {"ioctl", Kind::kIoctl},
    {"prctl", Kind::kPrctl},
    {"personality", Kind::kPersonality},
    {"clone", Kind::kClone},
    {"clone3", Kind::kClone3},
    {"unshare", Kind::kUnshare},
    {"setns", Kind::kSetns},
    {"mmap", Kind::kMmap},
    {"mprotect", Kind::kMprotect},
    {"pkey_mprotect", Kind::kMprotect},
    {"setuid", Kind::kSetId},
    {"setreuid", Kind::kSetId},
    {"setresuid", Kind::kSetId},
    {"setfsuid", Kind::kSetId},
    {"setgid", Kind::kSetId},
    {"setregid", Kind::kSetId},
    {"setresgid", Kind::kSetId},
    {"setfsgid", Kind::kSetId},
    {"fchdir", Kind::kChdir},
    {"socketcall", Kind::kSocketcall},
};

std::string family_name(int family) {
  switch (family) {
    case AF_UNSPEC:
      return "unspec";
    case AF_UNIX:
      return "unix";
    case AF_INET:
      return "inet";
    case AF_INET6:
      return "inet6";
    case AF_NETLINK:
      return "netlink";
    case AF_PACKET:
      return "packet";
    case AF_KEY:
      return "key";
    case AF_ALG:
      return "alg";
    case AF_VSOCK:
      return "vsock";
    case AF_BLUETOOTH:
      return "bluetooth";
    case AF_CAN:
      return "can";
    case AF_TIPC:
      return "tipc";
    case AF_XDP:
      return "xdp";
    case AF_APPLETALK:
      return "appletalk";
    case AF_AX25:
      return "ax25";
    default:
      return "AF_" + std::to_string(family);
  }
}

std::string type_name(int type) {
  switch (type & 0xf) {
    case SOCK_STREAM:
      return "stream";
    case SOCK_DGRAM:
      return "dgram";
    case SOCK_RAW:
      return "raw";
    case SOCK_RDM:
      return "rdm";
    case SOCK_SEQPACKET:
      return "seqpacket";
    case SOCK_DCCP:
      return "dccp";
    case SOCK_PACKET:
      return "packet";
    default:
      return "SOCK_" + std::to_string(type & 0xf);
  }
}

constexpr std::pair<std::uint64_t, const char*> kNamespaceFlags[] = {
    {CLONE_NEWNS, "CLONE_NEWNS"},
    {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
    {CLONE_NEWUTS, "CLONE_NEWUTS"},
    {CLONE_NEWIPC, "CLONE_NEWIPC"},
    {CLONE_NEWUSER, "CLONE_NEWUSER"},
    {CLONE_NEWPID, "CLONE_NEWPID"},
    {CLONE_NEWNET, "CLONE_NEWNET"},
    {0x00000080 /* CLONE_NEWTIME, newer than glibc's header */, "CLONE_NEWTIME"},
};

#define TAILOR_PR(x) \
  { x, #x }
constexpr std::pair<int, const char*> kPrctlNames[] = {
    TAILOR_PR(PR_SET_PDEATHSIG),
    TAILOR_PR(PR_GET_PDEATHSIG),
    TAILOR_PR(PR_GET_DUMPABLE),
    TAILOR_PR(PR_SET_DUMPABLE),
    TAILOR_PR(PR_GET_KEEPCAPS),
    TAILOR_PR(PR_SET_KEEPCAPS),
    TAILOR_PR(PR_SET_NAME),
    TAILOR_PR(PR_GET_NAME),
    TAILOR_PR(PR_GET_SECCOMP),
    TAILOR_PR(PR_SET_SECCOMP),
    TAILOR_PR(PR_CAPBSET_READ),
    TAILOR_PR(PR_CAPBSET_DROP),
    TAILOR_PR(PR_GET_TSC),
    TAILOR_PR(PR_SET_TSC),
    TAILOR_PR(PR_GET_SECUREBITS),
    TAILOR_PR(PR_SET_SECUREBITS),
    TAILOR_PR(PR_SET_TIMERSLACK),
    TAILOR_PR(PR_GET_TIMERSLACK),
    TAILOR_PR(PR_MCE_KILL),
    TAILOR_PR(PR_MCE_KILL_GET),
    TAILOR_PR(PR_SET_MM),
    TAILOR_PR(PR_SET_PTRACER),
    TAILOR_PR(PR_SET_CHILD_SUBREAPER),
    TAILOR_PR(PR_GET_CHILD_SUBREAPER),
    TAILOR_PR(PR_SET_NO_NEW_PRIVS),
    TAILOR_PR(PR_GET_NO_NEW_PRIVS),
    TAILOR_PR(PR_GET_TID_ADDRESS),
    TAILOR_PR(PR_SET_THP_DISABLE),
    TAILOR_PR(PR_GET_THP_DISABLE),
    TAILOR_PR(PR_CAP_AMBIENT),
    TAILOR_PR(PR_SET_FP_MODE),
    TAILOR_PR(PR_GET_FP_MODE),
    TAILOR_PR(PR_GET_SPECULATION_CTRL),
    TAILOR_PR(PR_SET_SPECULATION_CTRL),
    TAILOR_PR(PR_SET_VMA),
    TAILOR_PR(PR_GET_TIMING),
    TAILOR_PR(PR_SET_TIMING),
    TAILOR_PR(PR_SET_ENDIAN),
    TAILOR_PR(PR_GET_ENDIAN),
    TAILOR_PR(PR_SET_FPEMU),
    TAILOR_PR(PR_GET_FPEMU),
    TAILOR_PR(PR_SET_FPEXC),
    TAILOR_PR(PR_GET_FPEXC),
    TAILOR_PR(PR_TASK_PERF_EVENTS_DISABLE),
    TAILOR_PR(PR_TASK_PERF_EVENTS_ENABLE),
};
#undef TAILOR_PR

std::string prctl_name(std::uint64_t option) {
  for (const auto& [v, n] : kPrctlNames)
    if (static_cast<std::uint64_t>(v) == option) return n;
  return "PR_" + std::to_string(option);
}

bool is_restart_code(std::int64_t r) {
  // -ERESTARTSYS .. -ERESTART_RESTARTBLOCK: the kernel restarts the call; not a real result.
  return r <= -512 && r >= -516;
}

// Calls whose argument N is an fd the process holds. The highest fd number seen in use gives
// resources.peak_fds without an exit stop on every call that creates one.
constexpr std::pair<const char*, std::int8_t> kFdArgs[] = {
    {"read", 0},       {"write", 0},      {"close", 0},           {"fstat", 0},
    {"fstat64", 0},    {"lseek", 0},      {"_llseek", 0},         {"pread64", 0},
    {"pwrite64", 0},   {"readv", 0},      {"writev", 0},          {"preadv", 0},
    {"pwritev", 0},    {"preadv2", 0},    {"pwritev2", 0},        {"ioctl", 0},
    {"fcntl", 0},      {"fsync", 0},      {"fdatasync", 0},       {"ftruncate", 0},
    {"getdents", 0},   {"getdents64", 0}, {"fchdir", 0},          {"fchmod", 0},
    {"fchown", 0},     {"flock", 0},      {"sendto", 0},          {"recvfrom", 0},
    {"sendmsg", 0},    {"recvmsg", 0},    {"sendmmsg", 0},        {"recvmmsg", 0},
    {"shutdown", 0},   {"bind", 0},       {"connect", 0},         {"listen", 0},
    {"accept", 0},     {"accept4", 0},    {"getsockname", 0},     {"getpeername", 0},
    {"setsockopt", 0}, {"getsockopt", 0}, {"epoll_wait", 0},      {"epoll_pwait", 0},
    {"fstatfs", 0},    {"fadvise64", 0},  {"fallocate", 0},       {"fgetxattr", 0},
    {"fsetxattr", 0},  {"flistxattr", 0}, {"timerfd_settime", 0}, {"dup2", 1},
    {"dup3", 1},       {"epoll_ctl", 2},  {"sendfile", 0},
};

struct Info {
  const std::string* name = nullptr;
  std::int8_t fd_arg = -1;
  std::string norm;
  Kind kind = Kind::kPlain;
  const PathSpec* path = nullptr;
  bool watch = false;  // a capability rule looks at it
  bool seen = false;   // counted in Impl::distinct
  std::uint32_t arch = 0;
  std::uint8_t arch_index = 0;
};

struct SockInfo {
  std::string family;
  std::optional<Endpoint> bound;
};

struct Proc {
  std::uint32_t exe_id = 0;
  // Set once the process (or an ancestor) chroots or changes namespaces: its paths may mean
  // other files than everyone else's, so the shared stat cache is not used for it.
  bool own_view = false;
  int live_tasks = 0;
  std::optional<Creds> creds;  // cache, dropped whenever credentials can change
  // Without exit stops: a credential-changing call was let through and may not have run yet,
  // so credentials are read afresh (not cached) until the process's next syscall.
  bool creds_unsettled = false;
  std::unordered_map<int, SockInfo> socks;
};

struct FileNote {
  std::string path;
  std::string access;
  // What the path is ("dir", "file", ...; FileUse::types), if the call tells. `type_if_ok`: only
  // once the call succeeded, for calls that make the thing (mkdir, O_CREAT, bind, symlink).
  const char* type = nullptr;
  bool type_if_ok = false;
};

const char* type_name_of(const struct stat& st) {
  switch (st.st_mode & S_IFMT) {
    case S_IFDIR:
      return "dir";
    case S_IFREG:
      return "file";
    case S_IFLNK:
      return "symlink";
    case S_IFSOCK:
      return "socket";
    case S_IFIFO:
      return "fifo";
    case S_IFCHR:
      return "chr";
    case S_IFBLK:
      return "blk";
    default:
      return nullptr;
  }
}

// The processes alive now that a file could be named after: every pid in /proc but kernel
// threads (no executable; they write no files) and init, whose pid 1 would otherwise match
// every "1" in a path.
std::unordered_set<pid_t> live_user_pids() {
  std::unordered_set<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (const struct dirent* de = ::readdir(d)) {
    char* end = nullptr;
    const long pid = std::strtol(de->d_name, &end, 10);
    if (pid <= 1 || *end != '\0') continue;
    char link[64], target[8];
    std::snprintf(link, sizeof link, "/proc/%ld/exe", pid);
    // EACCES (another user's process, tailor not root) still means a user process.
    if (::readlink(link, target, sizeof target) >= 0 || errno == EACCES)
      out.insert(static_cast<pid_t>(pid));
  }
  ::closedir(d);
  return out;
}

struct Pending {
  const Info* info = nullptr;
  std::string call_name;  // the name the rules saw (i386 socketcall is split into its call)
  std::array<std::uint64_t, 6> args{};
  std::uint32_t exe_id = 0;
  std::vector<FileNote> files;  // recorded at exit with the result
  std::vector<CapFinding> caps;
  bool fd_result = false;
  std::string sock_family;  // socket(): remember the family for the new fd
};

struct Task {
  pid_t tgid = 0;
  std::optional<std::string> cwd;  // cache
  Pending pending;
};

}  // namespace

struct Recorder::Impl {
  // A container's root (set_view_root): captured events' paths are the container's, and
  // looked at nowhere once it is gone (never on the host, where the same paths are others).
  Fd view_root;
  bool in_container = false;
  // An O_PATH descriptor of `abs` resolved in the container's root (its absolute symlinks stay
  // inside it); invalid if it is not there or the container is gone.
  Fd open_in_view(const std::string& abs, bool follow) const {
    if (view_root.get() < 0) return Fd();
    struct open_how how {};
    how.flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    const std::string rel = abs.empty() || abs == "/" ? "." : abs.substr(abs[0] == '/');
    return Fd(
        static_cast<int>(::syscall(SYS_openat2, view_root.get(), rel.c_str(), &how, sizeof how)));
  }
  Profile profile;
  std::vector<std::string> exes;  // exe_id -> path
  std::unordered_map<std::string, std::uint32_t> exe_ids;
  std::unordered_map<std::uint64_t, Info> infos;            // (arch << 32 | nr) -> info
  std::vector<std::uint32_t> arches;                        // arch_index -> token
  std::unordered_map<std::uint64_t, std::uint64_t> counts;  // (exe, arch_index, nr) -> n
  std::uint64_t distinct = 0;  // Infos with `seen` set: distinct (arch, nr) pairs
  std::unordered_map<pid_t, Task> tasks;
  std::unordered_map<pid_t, Proc> procs;
  std::uint64_t processes_seen = 0, syscalls_seen = 0;
  pid_t first_tid = 0;
  std::uint64_t live_threads = 0, live_procs = 0;
  std::uint64_t unborn = 0;  // forks announced by on_process_forking, not yet seen as tasks
  // False under seccomp user notification, which has no exit stop: outcomes are then
  // predicted at entry (settle_unobserved) instead of read at exit.
  bool results_observable = true;
  CapEnv* env = nullptr;  // the Recorder itself, for the CapEnv queries made from here
  // Set while a backend that reads nothing live (eBPF) reports an event: its captured memory,
  // descriptors and credentials answer the reads below instead of the task, which may be gone.
  const Captured* cap = nullptr;
  // Paths whose state before the call the captured event tells (an open's target: what it
  // opened, or nothing if the open created it); stat_path answers them before looking live.
  std::vector<std::pair<std::string, std::optional<struct stat>>> known;
  // stat() results for the capability rules, which look at the target of every open: the same
  // libraries and headers are opened again and again by every process of a build, and a stat
  // through /proc/PID/root costs more than the rest of the decoding. Cleared whenever the
  // workload may have changed what a path resolves to or its owner and mode.
  std::unordered_map<std::string, std::optional<struct stat>> stat_cache;
  // Every task id the workload had, and the user processes alive when recording started: a
  // number in a path that is one of them names a process (FileUse::pids, set in finish()).
  std::unordered_set<pid_t> workload_pids;
  std::unordered_set<pid_t> live_at_start;
  std::function<void(const RecordProgress&)> progress;
  std::chrono::milliseconds progress_interval{200};
  std::chrono::steady_clock::time_point last_progress{};

  std::uint32_t intern_exe(const std::string& path) {
    auto [it, inserted] = exe_ids.emplace(path, static_cast<std::uint32_t>(exes.size()));
    if (inserted) exes.push_back(path);
    return it->second;
  }
  const std::string& exe_of(pid_t tid) {
    static const std::string unknown = "?";
    auto t = tasks.find(tid);
    if (t == tasks.end()) return unknown;
    auto p = procs.find(t->second.tgid);
    return p == procs.end() ? unknown : exes[p->second.exe_id];
  }

  Info& info_for(std::uint32_t arch, std::uint64_t nr) {
    const std::uint64_t key = (static_cast<std::uint64_t>(arch) << 32) ^ nr;
    auto it = infos.find(key);
    if (it != infos.end()) return it->second;
    Info info;
    info.arch = arch;
    info.name = &syscall_name(arch, nr);
    info.norm = normalise(arch, *info.name);
    for (const auto& k : kKinds)
      if (info.norm == k.name) info.kind = k.kind;
    for (const auto& s : kPathSpecs)
      if (info.norm == s.name) {
        info.kind = Kind::kPath;
        info.path = &s;
      }
    info.watch = capability_rules_watch(info.norm);
    for (const auto& [n, a] : kFdArgs)
      if (info.norm == n) info.fd_arg = a;
    auto a = std::find(arches.begin(), arches.end(), arch);
    if (a == arches.end()) a = arches.insert(arches.end(), arch);
    info.arch_index = static_cast<std::uint8_t>(a - arches.begin());
    return infos.emplace(key, std::move(info)).first->second;
  }

  Proc* proc_of(pid_t tid) {
    auto t = tasks.find(tid);
    if (t == tasks.end()) return nullptr;
    auto p = procs.find(t->second.tgid);
    return p == procs.end() ? nullptr : &p->second;
  }

  // readlink of /proc/TID/WHAT ("cwd", "exe", "fd/N"), from the captured event where there is one.
  std::optional<std::string> link(pid_t tid, const std::string& what) {
    if (cap) {
      if (what == "exe" && cap->exe) return cap->exe;
      int fd = 0;
      bool is_fd = false;
      if (what == "cwd") {
        fd = AT_FDCWD, is_fd = true;
      } else if (what.rfind("fd/", 0) == 0) {
        fd = std::atoi(what.c_str() + 3), is_fd = true;
      }
      if (is_fd)
        for (const auto& [f, path] : cap->fd_paths)
          if (f == fd) return path;
    }
    return proc_link(tid, what);
  }

  const std::string& cwd_of(pid_t tid) {
    auto& t = tasks[tid];
    if (cap)
      for (const auto& [f, path] : cap->fd_paths)
        if (f == AT_FDCWD) t.cwd = path;  // exact for this event: the cache follows it
    if (!t.cwd) t.cwd = proc_link(tid, "cwd").value_or("/");
    return *t.cwd;
  }
  void forget_cwds() {
    for (auto& [tid, t] : tasks) t.cwd.reset();
  }
  void forget_creds(pid_t tid) {
    if (auto* p = proc_of(tid)) p->creds.reset();
  }

  // Resolves path argument `path_arg` relative to dirfd argument `dfd_arg` (or the cwd).
  std::optional<std::string> resolve(pid_t tid, const std::array<std::uint64_t, 6>& args,
                                     int dfd_arg, int path_arg, std::uint64_t flags) {
    std::optional<std::string> rel;
    if (path_arg >= 0) rel = env->read_string(tid, args[path_arg]);
    const int dirfd = dfd_arg >= 0 ? static_cast<int>(args[dfd_arg]) : AT_FDCWD;
    if (!rel || rel->empty()) {
      // NULL path (utimensat) or "" with AT_EMPTY_PATH: the call is on the dirfd itself.
      if (dfd_arg >= 0 && dirfd >= 0 && (!rel || (flags & AT_EMPTY_PATH)))
        return link(tid, "fd/" + std::to_string(dirfd));
      return std::nullopt;
    }
    if ((*rel)[0] == '/') return join_path("", *rel);
    std::string base;
    if (dirfd == AT_FDCWD) {
      base = cwd_of(tid);
    } else {
      base = link(tid, "fd/" + std::to_string(dirfd)).value_or("");
      if (base.empty() || base[0] != '/') return (base.empty() ? "?" : base) + "/" + *rel;
    }
    return join_path(base, *rel);
  }

  void note_fd(std::int64_t fd) {
    if (fd >= 0)
      profile.resources.peak_fds =
          std::max(profile.resources.peak_fds, static_cast<std::uint64_t>(fd) + 1);
  }

  std::optional<Endpoint> read_sockaddr(pid_t tid, const std::string& op, std::uint64_t addr,
                                        std::uint64_t len) {
    if (addr == 0 || len < sizeof(sa_family_t)) return std::nullopt;
    struct sockaddr_storage ss {};
    len = std::min<std::uint64_t>(len, sizeof ss);
    if (!env->read_mem(tid, addr, &ss, len)) return std::nullopt;
    Endpoint ep;
    ep.op = op;
    ep.family = family_name(ss.ss_family);
    char buf[INET6_ADDRSTRLEN] = {};
    switch (ss.ss_family) {
      case AF_INET: {
        auto* in = reinterpret_cast<sockaddr_in*>(&ss);
        inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
        ep.address = buf;
        ep.port = ntohs(in->sin_port);
        break;
      }
      case AF_INET6: {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
        inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
        ep.address = buf;
        ep.port = ntohs(in6->sin6_port);
        break;
      }
      case AF_UNIX: {
        auto* un = reinterpret_cast<sockaddr_un*>(&ss);
        std::size_t n =
            len > offsetof(sockaddr_un, sun_path) ? len - offsetof(sockaddr_un, sun_path) : 0;
        n = std::min(n, sizeof un->sun_path);
        if (n > 0 && un->sun_path[0] == '\0') {
          ep.address = "@" + std::string(un->sun_path + 1, n - 1);
          while (!ep.address.empty() && ep.address.back() == '\0') ep.address.pop_back();
        } else {
          ep.address = std::string(un->sun_path, strnlen(un->sun_path, n));
          if (!ep.address.empty() && ep.address[0] != '/')
            ep.address = join_path(cwd_of(tid), ep.address);
        }
        break;
      }
      case AF_NETLINK: {
        auto* nl = reinterpret_cast<sockaddr_nl*>(&ss);
        ep.address = std::to_string(nl->nl_pid) + ":" + std::to_string(nl->nl_groups);
        break;
      }
      default:
        break;
    }
    return ep;
  }

  void add_endpoint(const Endpoint& ep, std::uint32_t exe_id) {
    profile.endpoints[ep].add(exes[exe_id]);
  }

  void forget_changed(const Pending& pend) {
    auto& I = *this;
    if (I.stat_cache.empty()) return;
    // A changed file drops its own entry; a rename, a mount or a change through an fd can
    // change what many paths mean, and drops them all.
    static const std::unordered_set<std::string> kChangesOne = {
        "unlink", "create", "link", "mkdir", "chmod", "chown", "mknod", "xattr", "bind"};
    static const std::unordered_set<std::string> kChangesMany = {"rename", "rmdir", "mount",
                                                                 "chroot"};
    bool all = pend.info->watch && pend.files.empty();  // fchmod, fchown, ...
    for (const auto& f : pend.files) {
      if (kChangesMany.count(f.access)) {
        all = true;
      } else if (kChangesOne.count(f.access)) {
        I.stat_cache.erase("F" + f.path);
        I.stat_cache.erase("L" + f.path);
      }
    }
    if (all) I.stat_cache.clear();
  }

  // Without an exit stop, what the kernel will answer is worked out at entry from the same facts
  // the kernel will look at: whether the path exists (and its parent, for calls that create),
  // and whether the caller holds the capability a rule found the call needs. A missing capability
  // means the call fails (EACCES for the DAC overrides, EPERM otherwise), so the capability is a
  // hint and the file an error; a held one means it is used. Outcomes that depend on more than
  // that (quotas, read-only mounts, races with other processes) are not foreseen.
  void settle_unobserved(pid_t tid, Pending& pend,
                         const std::optional<std::string>& predicted_open) {
    auto& I = *this;
    const std::string& exe = I.exes[pend.exe_id];
    std::optional<Creds> c = pend.caps.empty() ? std::nullopt : env->creds(tid);
    std::string refused;  // errno name if a needed capability is missing
    for (const auto& f : pend.caps) {
      const bool held = c && c->has_cap(f.cap);
      if (!held && refused.empty())
        refused = (f.cap == CAP_DAC_OVERRIDE || f.cap == CAP_DAC_READ_SEARCH) ? "EACCES" : "EPERM";
      auto& into = held ? I.profile.capabilities : I.profile.capability_hints;
      CapUse& use = into[cap_name(f.cap)];
      use.reasons.insert({pend.call_name, f.detail});
      use.ev.add(exe);
    }
    auto outcome = [&](const FileNote& f) -> std::string {
      if (!refused.empty()) return refused;
      if (predicted_open) return *predicted_open;
      // "mktemp" goes with the mkdir it marks (an open's is predicted above).
      static const std::unordered_set<std::string> kMakes = {"mkdir", "mknod", "bind", "create",
                                                             "mktemp"};
      const bool lookup_leaf = f.access == "unlink" || f.access == "rmdir" ||
                               f.access == "rename" || f.access == "link" || kMakes.count(f.access);
      auto st = env->stat_path(tid, f.path, !lookup_leaf);
      if (kMakes.count(f.access)) {
        // rename() replaces an existing target; the others refuse to.
        if (st)
          return f.access == "create" && pend.call_name.rfind("rename", 0) == 0 ? "" : "EEXIST";
        auto slash = f.path.rfind('/');
        auto dir = env->stat_path(tid, slash == 0 ? "/" : f.path.substr(0, slash), true);
        return dir && S_ISDIR(dir->st_mode) ? "" : "ENOENT";
      }
      return st ? "" : "ENOENT";
    };
    for (const auto& f : pend.files) I.commit(f, outcome(f), exe);
    if (refused.empty()) forget_changed(pend);
    const std::string& n = pend.call_name.empty() ? pend.info->norm : pend.call_name;
    if (pend.info->kind == Kind::kSetId || n == "setgroups" || n == "capset" || n == "prctl") {
      if (Proc* p = proc_of(tid)) {
        p->creds.reset();
        p->creds_unsettled = true;
      }
    }
  }

  // One file note's outcome into the profile: `err` is the errno name when the call failed.
  void commit(const FileNote& f, const std::string& err, const std::string& exe) {
    FileUse& use = profile.files[f.path];
    use.access.insert(f.access);
    if (err.empty())
      use.succeeded = true;
    else
      use.errors.insert(err);
    if (f.type && (err.empty() || !f.type_if_ok)) use.types.insert(f.type);
    use.ev.add(exe);
  }

  // Numbers in recorded paths that were pids while the workload ran. A per-process file is
  // named after the process that made it (the workload's own, known from its tasks) or, when a
  // program reads its peers' files (the JVM lists /tmp/hsperfdata_<user>/<pid> of every running
  // JVM), after another process alive during the recording: alive when it started or when it
  // ended (a peer born and gone in between is missed). Only at the places pid_name_spans()
  // allows, so a version number elsewhere that happens to equal a pid stays literal.
  void mark_pid_names() {
    std::unordered_set<pid_t> live_now;
    bool read_live = false;
    for (auto& [path, use] : profile.files) {
      for (const auto& span : pid_name_spans(path)) {
        const auto pid = static_cast<pid_t>(std::stol(path.substr(span.pos, span.len)));
        if (!workload_pids.count(pid) && !live_at_start.count(pid)) {
          if (!read_live) {
            live_now = live_user_pids();
            read_live = true;
          }
          if (!live_now.count(pid)) continue;
        }
        use.pids.insert(static_cast<std::uint32_t>(pid));
      }
    }
  }

  void add_flags(std::map<std::string, Evidence>& into, std::uint64_t flags, std::uint32_t exe_id) {
    for (const auto& [bit, name] : kNamespaceFlags)
      if (flags & bit) into[name].add(exes[exe_id]);
  }
};

bool Recorder::needs_arguments(std::uint32_t arch, const std::string& name) {
  const std::string norm = normalise(arch, name);
  if (capability_rules_watch(norm)) return true;
  // Backends need these to follow the process tree.
  if (norm == "execve" || norm == "execveat" || norm == "exit" || norm == "exit_group") return true;
  // Path calls name files, except pure lookups (stat, access, readlink, statfs, ...): no
  // generated policy mediates those (AppArmor gives "stat" no permission), and a compiler makes
  // thousands of them probing include and library paths.
  for (const auto& sp : kPathSpecs)
    if (norm == sp.name) return !(sp.access && std::strcmp(sp.access, "stat") == 0 && sp.path2 < 0);
  Kind kind = Kind::kPlain;
  for (const auto& k : kKinds)
    if (norm == k.name) kind = k.kind;
  switch (kind) {
    case Kind::kPlain:     // nothing decoded
    case Kind::kFdResult:  // only the fd count
    case Kind::kClose:     // socket bookkeeping, redone by the calls that need it
    case Kind::kIoctl:     // process facts, not files or sockets
    case Kind::kPrctl:
    case Kind::kMprotect:
      return false;
    default:
      return true;
  }
}

Recorder::ArgPlan Recorder::arg_plan(std::uint32_t arch, const std::string& name) {
  ArgPlan plan;
  plan.norm = normalise(arch, name);
  Kind kind = Kind::kPlain;
  for (const auto& k : kKinds)
    if (plan.norm == k.name) kind = k.kind;
  for (const auto& sp : kPathSpecs)
    if (plan.norm == sp.name) {
      kind = Kind::kPath;
      if (sp.path >= 0) plan.paths.emplace_back(sp.path, sp.dfd);
      if (sp.path2 >= 0) plan.paths.emplace_back(sp.path2, sp.dfd2);
    }
  if (kind == Kind::kOpen || kind == Kind::kExec) {
    const bool at = plan.norm == "openat" || plan.norm == "openat2" || plan.norm == "execveat";
    plan.paths.emplace_back(at ? 1 : 0, at ? 0 : -1);
  }
  for (const auto& [n, a] : kFdArgs)
    if (plan.norm == n) plan.fd_arg = a;
  plan.decoded = capability_rules_watch(plan.norm) ||
                 (kind != Kind::kPlain && kind != Kind::kFdResult && kind != Kind::kClose);
  return plan;
}

Recorder::Recorder(std::string first_exe) : impl_(std::make_unique<Impl>()) {
  impl_->intern_exe(first_exe);
  impl_->live_at_start = live_user_pids();
  impl_->env = this;
}
Recorder::~Recorder() = default;

void Recorder::set_results_observable(bool observable) {
  impl_->results_observable = observable;
}

void Recorder::set_progress(std::function<void(const RecordProgress&)> cb, unsigned interval_ms) {
  impl_->progress = std::move(cb);
  impl_->progress_interval = std::chrono::milliseconds(interval_ms);
}

void Recorder::on_task_start(pid_t tid, pid_t parent) {
  auto& I = *impl_;
  if (I.tasks.count(tid)) return;
  pid_t tgid = I.cap ? I.cap->tgid : read_tgid(tid);
  if (tgid == 0) tgid = tid;
  Task& t = I.tasks[tid];
  t.tgid = tgid;
  I.workload_pids.insert(tid);
  I.workload_pids.insert(tgid);
  if (I.first_tid == 0) I.first_tid = tid;
  ++I.live_threads;
  auto [pit, fresh] = I.procs.try_emplace(tgid);
  Proc& p = pit->second;
  if (fresh) {
    if (I.unborn > 0) {
      --I.unborn;  // this is (most likely) the child announced at its parent's fork
      --I.live_procs;
    }
    ++I.live_procs;
    ++I.processes_seen;
    // A forked child runs its parent's image until it execs; the very first task runs
    // tailor's until its exec, and is attributed to the command it is about to run.
    if (parent != 0) {
      if (auto* pp = I.proc_of(parent)) {
        p.exe_id = pp->exe_id;
        p.own_view = pp->own_view;
      }
    } else if (I.processes_seen > 1) {
      if (auto exe = I.link(tid, "exe")) p.exe_id = I.intern_exe(*exe);
    }
  }
  ++p.live_tasks;
  auto& r = I.profile.resources;
  r.peak_threads = std::max(r.peak_threads, I.live_threads);
  r.peak_processes = std::max(r.peak_processes, I.live_procs);
}

void Recorder::on_process_forking(pid_t) {
  auto& I = *impl_;
  ++I.unborn;
  ++I.live_procs;
  I.profile.resources.peak_processes = std::max(I.profile.resources.peak_processes, I.live_procs);
}

void Recorder::on_task_exiting(pid_t tid) {
  // VmHWM is the peak of the process's current image only: unlike the rusage of a reaped
  // process, it does not include the memory of the tailor copy the first process was before it
  // exec'd the command. One read per process, when its leader exits.
  auto& I = *impl_;
  auto t = I.tasks.find(tid);
  if (t == I.tasks.end() || t->second.tgid != tid) return;
  if (auto kb = read_status_kb(tid, "VmHWM"))
    I.profile.resources.peak_rss_kb = std::max(I.profile.resources.peak_rss_kb, *kb);
}

void Recorder::on_task_exit(pid_t tid, const struct rusage* ru) {
  auto& I = *impl_;
  // rusage covers a process's whole life, exec'd images included: right for the workload's own
  // forks, wrong for the first process, which started as a copy of tailor.
  if (ru && tid != I.first_tid) {
    I.profile.resources.peak_rss_kb =
        std::max(I.profile.resources.peak_rss_kb, static_cast<std::uint64_t>(ru->ru_maxrss));
  }
  auto t = I.tasks.find(tid);
  if (t == I.tasks.end()) return;
  pid_t tgid = t->second.tgid;
  I.tasks.erase(t);
  --I.live_threads;
  auto p = I.procs.find(tgid);
  if (p != I.procs.end() && --p->second.live_tasks <= 0) {
    I.procs.erase(p);
    --I.live_procs;
  }
}

void Recorder::on_exec(pid_t tid, pid_t former_tid) {
  auto& I = *impl_;
  if (former_tid != tid) {
    // The exec'ing thread took over the leader's pid; its old tid is gone without a report.
    auto f = I.tasks.find(former_tid);
    if (f != I.tasks.end()) {
      Pending carried = std::move(f->second.pending);
      on_task_exit(former_tid, nullptr);
      I.tasks[tid].pending = std::move(carried);
    }
  }
  Proc* p = I.proc_of(tid);
  if (!p) return;
  p->creds.reset();
  p->socks.clear();
  auto exe = I.link(tid, "exe");
  if (!exe) return;
  p->exe_id = I.intern_exe(*exe);
  Executable& e = I.profile.process.executables[*exe];
  e.ev.add(*exe);
  if (auto st = I.cap && I.cap->exe_stat ? I.cap->exe_stat : stat_in(tid, *exe)) {
    e.setuid = e.setuid || (st->st_mode & S_ISUID);
    e.setgid = e.setgid || ((st->st_mode & S_ISGID) && (st->st_mode & S_IXGRP));
  }
  // A captured event's task may be gone: its file is then looked at from tailor's view.
  std::string root_path = (I.cap ? "" : "/proc/" + std::to_string(tid) + "/root") + *exe;
  Fd in_view;
  if (I.cap && I.in_container) {
    // (Through an O_PATH descriptor of the file in the container's root: /proc/self/fd/N.)
    in_view = I.open_in_view(*exe, true);
    root_path = "/proc/self/fd/" + std::to_string(in_view.get());
  }
  if ((!I.in_container || in_view.get() >= 0) &&
      ::getxattr(root_path.c_str(), "security.capability", nullptr, 0) > 0)
    e.file_caps = true;
  if (auto c = I.cap && I.cap->creds ? I.cap->creds : read_creds(tid)) {
    p->creds = c;
    I.profile.process.uids[c->euid].add(*exe);
    I.profile.process.gids[c->egid].add(*exe);
  }
}

Want Recorder::on_syscall_entry(const SyscallEntry& e) {
  auto& I = *impl_;
  Info& info = I.info_for(e.arch, e.nr);
  auto tit = I.tasks.find(e.tid);
  if (tit == I.tasks.end()) {
    on_task_start(e.tid, 0);
    tit = I.tasks.find(e.tid);
  }
  Task& task = tit->second;
  auto pit = I.procs.find(task.tgid);
  if (pit != I.procs.end() && pit->second.creds_unsettled) {
    pit->second.creds.reset();
    pit->second.creds_unsettled = false;
  }
  const std::uint32_t exe_id = pit == I.procs.end() ? 0 : pit->second.exe_id;

  if (!e.counted) {
    ++I.syscalls_seen;
    const std::uint64_t nr32 = e.nr & 0xffffffffu;
    ++I.counts[(static_cast<std::uint64_t>(exe_id) << 40) |
               (static_cast<std::uint64_t>(info.arch_index) << 32) | nr32];
    if (!info.seen) {
      info.seen = true;
      ++I.distinct;
    }
  }

  if (info.fd_arg >= 0) {
    const auto fd = static_cast<std::int32_t>(e.args[info.fd_arg]);
    if (fd >= 0 && fd < (1 << 24)) I.note_fd(fd);
  }
  if (info.kind == Kind::kPlain && !info.watch) return Want::kNothing;

  // Decode. `call` is what the capability rules see.
  Pending& pend = task.pending;
  pend = Pending{};
  pend.info = &info;
  pend.args = e.args;
  pend.exe_id = exe_id;
  const std::string& exe = I.exes[exe_id];
  DecodedCall call;
  call.tid = e.tid;
  call.arch = e.arch;
  call.name = info.norm;
  call.args = e.args;
  Kind kind = info.kind;
  auto& args = call.args;
  const bool is32 = e.arch == SCMP_ARCH_X86;
  if (is32)
    for (auto& a : args) a &= 0xffffffffu;

  const bool kind_was_socketcall = kind == Kind::kSocketcall;
  if (kind_was_socketcall) {
    // i386 socketcall(call, unsigned long args[]): split into the call it stands for.
    static const std::pair<int, const char*> kCalls[] = {
        {SYS_SOCKET, "socket"}, {SYS_BIND, "bind"},       {SYS_CONNECT, "connect"},
        {SYS_LISTEN, "listen"}, {SYS_ACCEPT, "accept"},   {SYS_SOCKETPAIR, "socketpair"},
        {SYS_SENDTO, "sendto"}, {SYS_SENDMSG, "sendmsg"}, {SYS_ACCEPT4, "accept4"},
        {SYS_SEND, "send"},     {SYS_RECV, "recv"},       {SYS_RECVFROM, "recvfrom"},
    };
    std::uint32_t sub[6] = {};
    const char* sub_name = nullptr;
    for (const auto& [n, name] : kCalls)
      if (static_cast<std::uint64_t>(n) == args[0]) sub_name = name;
    if (!sub_name || !read_mem(e.tid, args[1], sub, sizeof sub)) return Want::kNothing;
    for (int i = 0; i < 6; ++i) args[i] = sub[i];
    call.name = sub_name;
    kind = Kind::kPlain;
    for (const auto& k : kKinds)
      if (call.name == k.name) kind = k.kind;
    if (call.name == "sendmsg") kind = Kind::kPlain;  // 32-bit msghdr: not decoded
    pend.args = args;
  }

  Want want = Want::kNothing;
  // For opens: the result predicted from the file system at entry (nullopt: not an open).
  std::optional<std::string> predicted;
  auto predict_open = [&](pid_t tid, const std::string& path, std::uint64_t flags,
                          const std::optional<struct stat>& st) -> std::optional<std::string> {
    // "" = will succeed, else the errno name the kernel would return. Only whether the file
    // exists is predicted: permission denials are what the capability rules look at, and
    // when they have a finding the open gets a real exit stop below.
    if (st) {
      if ((flags & O_CREAT) && (flags & O_EXCL)) return "EEXIST";
      if ((flags & O_DIRECTORY) && !S_ISDIR(st->st_mode)) return "ENOTDIR";
      return "";
    }
    if (flags & O_CREAT) {
      auto slash = path.rfind('/');
      std::string dir = slash == 0 ? "/" : path.substr(0, slash);
      auto dst = stat_path(tid, dir, true);
      if (dst && S_ISDIR(dst->st_mode)) return "";
    }
    return "ENOENT";
  };
  auto add_path = [&](int dfd, int parg, const char* access, std::uint64_t flags,
                      std::string* out) {
    if (!access) return;
    if (auto p = I.resolve(e.tid, args, dfd, parg, flags)) {
      if (out) *out = *p;
      if (std::strcmp(access, "stat") == 0) {
        // Lookups (stat, access, readlink, ...) are the bulk of path syscalls — a compiler
        // probes thousands of include and library paths — and no policy mediates them, so
        // they are recorded without the extra stop a result would cost.
        FileUse& use = I.profile.files[*p];
        use.access.insert(access);
        use.ev.add(exe);
        return;
      }
      pend.files.push_back({std::move(*p), access});
      want = Want::kExit;
    }
  };

  // What the path calls tell about their paths (FileNote::type), where a rule's form depends on
  // it: renames and links (the new name gets the source's type) and attribute changes, which
  // AppArmor mediates as a write of the directory (`dir/ w`) or of the file. The rest follows
  // from the call: mkdir makes a directory, rmdir/chdir/chroot take one, unlink removes a
  // non-directory (no rule form to decide), mknod makes what its mode says.
  auto type_path_notes = [&](pid_t tid, const std::string& norm,
                             const std::array<std::uint64_t, 6>& a, std::uint64_t flags,
                             std::vector<FileNote>& files) {
    const bool at = norm.size() > 2 && norm.compare(norm.size() - 2, 2, "at") == 0;
    const std::uint64_t mode = a[at ? 2 : 1];  // mkdir(at), mknod(at)
    for (auto& f : files) {
      const std::string& acc = f.access;
      if (acc == "mkdir") {
        f.type = "dir", f.type_if_ok = true;
      } else if (acc == "rmdir" || acc == "chdir" || acc == "chroot") {
        f.type = "dir";
      } else if (acc == "mknod") {
        struct stat made {};
        made.st_mode = static_cast<mode_t>((mode & S_IFMT) ? (mode & S_IFMT) : S_IFREG);
        f.type = type_name_of(made), f.type_if_ok = true;
      } else if (acc == "rename" || acc == "link") {
        const bool follow = acc == "link" && (flags & AT_SYMLINK_FOLLOW);
        if (auto st = stat_path(tid, f.path, follow)) f.type = type_name_of(*st);
      } else if (acc == "create") {  // the new name of rename, link or symlink
        if (norm.rfind("symlink", 0) == 0)
          f.type = "symlink";
        else if (files.size() == 2)
          f.type = files[0].type;
        f.type_if_ok = true;
      } else if (acc == "chmod" || acc == "chown" || acc == "utime") {
        const bool follow = !(flags & AT_SYMLINK_NOFOLLOW) && norm != "lchown";
        if (auto st = stat_path(tid, f.path, follow)) f.type = type_name_of(*st);
      }
    }
    // mkdtemp and every language's temp-dir API: mode 0700 (FileUse::access "mktemp").
    if ((norm == "mkdir" || norm == "mkdirat") && files.size() == 1 && (mode & 0777) == 0700)
      files.push_back({files[0].path, "mktemp"});
  };

  switch (kind) {
    case Kind::kPlain:
      break;
    case Kind::kPath: {
      const PathSpec& s = *info.path;
      const std::uint64_t flags = s.flags_arg >= 0 ? args[s.flags_arg] : 0;
      const char* access = s.access;
      if (info.norm == "unlinkat" && (flags & AT_REMOVEDIR)) access = "rmdir";
      add_path(s.dfd, s.path, access, flags, &call.path);
      if (s.path2 >= 0) add_path(s.dfd2, s.path2, s.access2, 0, &call.path2);
      if (info.norm == "chdir" || info.norm == "chroot") I.forget_cwds();
      type_path_notes(e.tid, info.norm, args, flags, pend.files);
      break;
    }
    case Kind::kOpen: {
      int dfd = -1, parg = 0;
      std::uint64_t flags = 0, mode = 0;
      if (info.norm == "openat") {
        dfd = 0, parg = 1, flags = args[2], mode = args[3];
      } else if (info.norm == "openat2") {
        dfd = 0, parg = 1;
        std::uint64_t how[2] = {};  // struct open_how: flags, mode, resolve
        if (read_mem(e.tid, args[2], how, sizeof how)) flags = how[0], mode = how[1];
      } else if (info.norm == "creat") {
        flags = O_CREAT | O_WRONLY | O_TRUNC;
      } else {
        flags = args[1], mode = args[2];
      }
      if (info.norm == "openat2" || info.norm == "openat") call.args[2] = flags;
      std::optional<std::string> p = I.resolve(e.tid, args, dfd, parg, 0);
      if (p) {
        call.path = *p;
        // What the path is, not how it was opened, decides whether it is a directory: Go opens
        // directories without O_DIRECTORY, a program opens its cwd as openat(".", O_RDONLY),
        // and a failed O_DIRECTORY probe of a file (ENOTDIR) says the opposite of what the flag
        // asks. The stat is the one the outcome is predicted from (cached across opens).
        // A captured open says what it opened (and whether it made it) as the kernel saw it.
        const auto st = I.cap && I.cap->opened ? (I.cap->created ? std::nullopt : I.cap->opened)
                                               : stat_path(e.tid, *p, !(flags & O_NOFOLLOW));
        if (I.cap && I.cap->opened) I.known.emplace_back(*p, st);
        const char* type = st ? type_name_of(*st) : (flags & O_CREAT) ? "file" : nullptr;
        const bool type_if_ok = !st;  // O_CREAT makes a regular file once it succeeds
        auto note = [&](const char* access) {
          pend.files.push_back({*p, access, type, type_if_ok});
        };
        const int acc = static_cast<int>(flags & O_ACCMODE);
        if (flags & O_PATH) {
          note("stat");
        } else {
          if (acc == O_RDONLY || acc == O_RDWR) note("read");
          if (acc == O_WRONLY || acc == O_RDWR) note("write");
        }
        if (flags & O_CREAT) note("create");
        if (flags & O_TRUNC) note("truncate");
        // "readdir": the path is a directory opened for reading (O_PATH only with O_DIRECTORY,
        // as before). Without a stat, O_DIRECTORY is all there is to go by.
        const bool is_dir = st ? S_ISDIR(st->st_mode) : (flags & O_DIRECTORY) != 0;
        if (is_dir && (!(flags & O_PATH) || (flags & O_DIRECTORY))) note("readdir");
        // mkstemp, Python's and Go's temp files: a fresh private name (FileUse::access).
        if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL) && (mode & 0777) == 0600)
          note("mktemp");
        predicted = predict_open(e.tid, *p, flags, st);
      }
      break;
    }
    case Kind::kExec: {
      bool at = info.norm == "execveat";
      add_path(at ? 0 : -1, at ? 1 : 0, "exec", at ? args[4] : 0, &call.path);
      want = Want::kExit;
      break;
    }
    case Kind::kFdResult:  // the new fd shows up in the calls that use it (fd_arg)
      break;
    case Kind::kFdPair:
      if (call.name == "socketpair")
        I.profile
            .sockets[{family_name(static_cast<int>(args[0])), type_name(static_cast<int>(args[1])),
                      static_cast<int>(args[2])}]
            .add(exe);
      break;
    case Kind::kSocket:
      pend.sock_family = family_name(static_cast<int>(args[0]));
      I.profile
          .sockets[{pend.sock_family, type_name(static_cast<int>(args[1])),
                    static_cast<int>(args[2])}]
          .add(exe);
      pend.fd_result = true;
      want = Want::kExit;
      break;
    case Kind::kAddr: {
      const bool sendto = call.name == "sendto";
      auto ep = I.read_sockaddr(e.tid, call.name, args[sendto ? 4 : 1], args[sendto ? 5 : 2]);
      if (ep) {
        call.sa_family = ep->family;
        call.sa_address = ep->address;
        call.sa_port = ep->port;
        I.add_endpoint(*ep, exe_id);
        if (ep->family == "unix" && !ep->address.empty() && ep->address[0] == '/') {
          if (call.name == "bind")
            pend.files.push_back({ep->address, "bind", "socket", true});
          else
            pend.files.push_back({ep->address, "connect"});
          want = Want::kExit;
        }
        if (call.name == "bind" && pit != I.procs.end()) {
          auto& si = pit->second.socks[static_cast<int>(args[0])];
          si.family = ep->family;
          si.bound = *ep;
        }
      }
      break;
    }
    case Kind::kSendmsg: {
      if (is32) break;
      struct msghdr mh {};
      if (read_mem(e.tid, args[1], &mh, sizeof mh) && mh.msg_name) {
        auto ep = I.read_sockaddr(e.tid, "sendto", reinterpret_cast<std::uint64_t>(mh.msg_name),
                                  mh.msg_namelen);
        if (ep) I.add_endpoint(*ep, exe_id);
      }
      break;
    }
    case Kind::kListen: {
      Endpoint ep{"listen", "", "", 0};
      if (pit != I.procs.end()) {
        auto s = pit->second.socks.find(static_cast<int>(args[0]));
        if (s != pit->second.socks.end()) {
          ep.family = s->second.family;
          if (s->second.bound) {
            ep.address = s->second.bound->address;
            ep.port = s->second.bound->port;
          }
        }
      }
      if (ep.family.empty() && !I.results_observable) {
        // socket()'s result was never seen: ask the socket itself.
        if (auto d = socket_domain(e.tid, static_cast<int>(args[0]))) ep.family = family_name(*d);
      }
      I.add_endpoint(ep, exe_id);
      break;
    }
    case Kind::kClose:
      if (pit != I.procs.end() && !pit->second.socks.empty())
        pit->second.socks.erase(static_cast<int>(args[0]));
      break;
    case Kind::kIoctl:
      I.profile.process.ioctls[args[1] & 0xffffffffu].add(exe);
      break;
    case Kind::kPrctl:
      I.profile.process.prctl[prctl_name(args[0])].add(exe);
      if (args[0] == PR_CAPBSET_DROP || args[0] == PR_SET_SECUREBITS ||
          args[0] == PR_SET_KEEPCAPS || args[0] == PR_CAP_AMBIENT)
        I.forget_creds(e.tid);
      break;
    case Kind::kPersonality:
      I.profile.process.personality[args[0] & 0xffffffffu].add(exe);
      break;
    case Kind::kClone:
      I.add_flags(I.profile.process.namespaces, args[0], exe_id);
      break;
    case Kind::kClone3: {
      std::uint64_t flags = 0;
      if (read_mem(e.tid, args[0], &flags, sizeof flags))
        I.add_flags(I.profile.process.namespaces, flags, exe_id);
      break;
    }
    case Kind::kUnshare:
      I.stat_cache.clear();  // a new mount namespace may see other files under the same paths
      I.add_flags(I.profile.process.namespaces, args[0], exe_id);
      break;
    case Kind::kSetns:
      I.stat_cache.clear();
      if (args[1] == 0)
        I.profile.process.namespaces["setns"].add(exe);
      else
        I.add_flags(I.profile.process.namespaces, args[1], exe_id);
      break;
    case Kind::kMmap:
      if (args[2] & PROT_EXEC) {
        if (args[3] & MAP_ANONYMOUS) {
          I.profile.process.exec_mappings["[anon]"].add(exe);
        } else if (auto p = I.link(e.tid, "fd/" + std::to_string(static_cast<int>(args[4])))) {
          // The fd resolved, so the mapping is of that file; no result needed.
          I.profile.process.exec_mappings[*p].add(exe);
          FileUse& use = I.profile.files[*p];
          use.access.insert("map-exec");
          use.succeeded = true;
          use.ev.add(exe);
        }
      }
      break;
    case Kind::kMprotect:
      if (args[2] & PROT_EXEC) I.profile.process.exec_mappings["[mprotect]"].add(exe);
      break;
    case Kind::kSetId: {
      const bool uid = call.name.find("uid") != std::string::npos;
      const int n = (call.name == "setuid" || call.name == "setgid" || call.name == "setfsuid" ||
                     call.name == "setfsgid")
                        ? 1
                    : call.name.rfind("setres", 0) == 0 ? 3
                                                        : 2;
      // 16-bit i386 variants (not the *32 ones) use 0xffff for "unchanged".
      const bool id16 = is32 && info.name->find("32") == std::string::npos;
      for (int i = 0; i < n; ++i) {
        std::uint64_t v = args[i] & 0xffffffffu;
        if (v == 0xffffffffu || (id16 && v == 0xffff)) continue;
        auto& m = uid ? I.profile.process.uids : I.profile.process.gids;
        m[static_cast<std::uint32_t>(v)].add(exe);
      }
      I.forget_creds(e.tid);
      want = Want::kExit;  // credentials change: re-read them lazily after
      break;
    }
    case Kind::kChdir:
      I.forget_cwds();
      break;
    case Kind::kSocketcall:
      break;
  }
  if (call.name == "setgroups" || call.name == "capset") I.forget_creds(e.tid);

  if (call.name == "chroot" || call.name == "pivot_root" || call.name == "setns" ||
      (call.name == "unshare" && (args[0] & CLONE_NEWNS)))
    if (pit != I.procs.end()) pit->second.own_view = true;
  // call.name differs from info.norm only for a split i386 socketcall.
  if (kind_was_socketcall ? capability_rules_watch(call.name) : info.watch) {
    pend.caps = infer_capabilities(call, *this);
    if (!pend.caps.empty()) {
      pend.call_name = call.name;
      want = Want::kExit;
    }
  }
  if (want == Want::kExit && !I.results_observable) {
    I.settle_unobserved(e.tid, pend, predicted);
    pend.info = nullptr;
    return Want::kNothing;
  }
  if (predicted && want == Want::kNothing && !I.cap) {
    // Opens are the most frequent path syscalls; an exit stop for each would cost a third of
    // a small-I/O loop. Their outcome is predicted above instead (and observed when a
    // capability rule needs the real result). A captured event comes with its result, which
    // costs nothing to use, while the files a prediction would look at may be gone by now.
    for (const auto& f : pend.files) {
      if (f.access == "create") {  // about to exist: what was cached for it is stale
        I.stat_cache.erase("F" + f.path);
        I.stat_cache.erase("L" + f.path);
      }
      I.commit(f, *predicted, exe);
    }
  } else if (predicted) {
    want = Want::kExit;
  }
  if (want == Want::kNothing) pend.info = nullptr;
  return want;
}

void Recorder::on_syscall_exit(pid_t tid, std::int64_t result) {
  auto& I = *impl_;
  auto tit = I.tasks.find(tid);
  if (tit == I.tasks.end()) return;
  Pending& pend = tit->second.pending;
  if (!pend.info || is_restart_code(result)) {
    pend.info = nullptr;
    return;
  }
  const std::string& exe = I.exes[pend.exe_id];
  const bool ok = result >= 0;
  const std::string err = ok ? "" : errno_name(static_cast<int>(-result));
  for (auto& f : pend.files) I.commit(f, err, exe);
  if (ok && pend.fd_result) {
    I.note_fd(result);
    if (!pend.sock_family.empty())
      if (auto* p = I.proc_of(tid))  // a new socket: nothing of an earlier one on this fd holds
        p->socks[static_cast<int>(result)] = SockInfo{pend.sock_family, std::nullopt};
  }
  if (!pend.caps.empty()) {
    const bool denied = result == -EPERM || result == -EACCES;
    if (ok || denied) {
      auto& into = ok ? I.profile.capabilities : I.profile.capability_hints;
      for (const auto& c : pend.caps) {
        CapUse& use = into[cap_name(c.cap)];
        use.reasons.insert({pend.call_name, c.detail});
        use.ev.add(exe);
      }
    }
  }
  if (pend.info->kind == Kind::kSetId) I.forget_creds(tid);
  if (ok) I.forget_changed(pend);
  pend.info = nullptr;
}

void Recorder::on_tick() {
  auto& I = *impl_;
  if (!I.progress) return;
  auto now = std::chrono::steady_clock::now();
  if (now - I.last_progress < I.progress_interval) return;
  I.last_progress = now;
  I.progress({I.processes_seen, I.live_threads, I.syscalls_seen, I.distinct});
}

Profile Recorder::finish() {
  auto& I = *impl_;
  for (const auto& [key, n] : I.counts) {
    const auto exe_id = static_cast<std::uint32_t>(key >> 40);
    const auto arch = I.arches[(key >> 32) & 0xff];
    const std::uint64_t nr = key & 0xffffffffu;
    I.profile
        .syscalls[arch_name(arch).value_or("arch_" + std::to_string(arch))][syscall_name(arch, nr)]
        .add(I.exes[exe_id], n);
  }
  I.counts.clear();
  I.mark_pid_names();
  if (I.progress) I.progress({I.processes_seen, 0, I.syscalls_seen, I.distinct});
  return std::move(I.profile);
}

// ---- CapEnv: what the capability rules may ask, cached where it is read often -------------------

void Recorder::set_captured(const Captured* c) {
  impl_->cap = c;
  impl_->known.clear();
}

void Recorder::set_view_root(int fd) {
  impl_->view_root = Fd(fd);
  impl_->in_container = true;
  impl_->stat_cache.clear();
}

void Recorder::name_first_exe(const std::string& path) {
  auto& I = *impl_;
  if (I.exes.empty() || I.exes[0] == path) return;
  I.exe_ids.erase(I.exes[0]);
  I.exes[0] = path;
  I.exe_ids.emplace(path, 0);  // an id it already had keeps its own facts
}

void Recorder::on_counted(const std::string& exe, std::uint32_t arch, std::uint64_t nr,
                          std::uint64_t n) {
  auto& I = *impl_;
  const std::uint32_t exe_id = exe.empty() ? 0 : I.intern_exe(exe);
  Info& info = I.info_for(arch, nr);
  I.syscalls_seen += n;
  I.counts[(static_cast<std::uint64_t>(exe_id) << 40) |
           (static_cast<std::uint64_t>(info.arch_index) << 32) | (nr & 0xffffffffu)] += n;
  if (!info.seen) {
    info.seen = true;
    ++I.distinct;
  }
}

void Recorder::on_fd_in_use(std::int64_t fd) {
  impl_->note_fd(fd);
}

void Recorder::on_memory_peak(std::uint64_t kb) {
  auto& r = impl_->profile.resources;
  r.peak_rss_kb = std::max(r.peak_rss_kb, kb);
}

std::optional<Creds> Recorder::creds(pid_t tid) {
  auto& I = *impl_;
  if (I.cap && I.cap->creds && tid == I.cap->tid) return I.cap->creds;
  if (I.cap && I.cap->target &&
      (tid == I.cap->target->first.first || tid == I.cap->target->first.second))
    return I.cap->target->second;
  Proc* p = I.proc_of(tid);
  if (p && p->creds) return p->creds;
  auto c = read_creds(tid);
  if (p && c && I.tasks.count(tid) && !p->creds_unsettled) p->creds = c;
  return c;
}
std::optional<struct stat> Recorder::stat_path(pid_t tid, const std::string& abs, bool follow) {
  auto& cache = impl_->stat_cache;
  if (Proc* p = impl_->proc_of(tid); p && p->own_view) return tracer::stat_in(tid, abs, follow);
  for (const auto& [path, st] : impl_->known)
    if (path == abs) return st;
  // A captured event's task may be gone by now; it shares tailor's view (not own_view), or
  // the container's whose root tailor holds.
  auto stat_now = [&]() -> std::optional<struct stat> {
    if (!impl_->cap) return tracer::stat_in(tid, abs, follow);
    struct stat st {};
    if (impl_->in_container) {
      Fd fd = impl_->open_in_view(abs, follow);
      if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0) return std::nullopt;
      return st;
    }
    if ((follow ? ::stat(abs.c_str(), &st) : ::lstat(abs.c_str(), &st)) != 0) return std::nullopt;
    return st;
  };
  std::string key = (follow ? "F" : "L") + abs;
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  if (cache.size() > 200000) cache.clear();
  auto st = stat_now();
  cache.emplace(std::move(key), st);
  return st;
}
std::optional<struct stat> Recorder::stat_fd(pid_t tid, int fd) {
  if (const Captured* c = impl_->cap)
    for (const auto& [f, st] : c->fd_stats)
      if (f == fd) return st;
  return tracer::stat_fd(tid, fd);
}
bool Recorder::read_mem(pid_t tid, std::uint64_t addr, void* buf, std::size_t len) {
  if (const Captured* c = impl_->cap)
    for (const auto& [a, bytes] : c->mem)
      if (addr >= a && addr - a <= bytes.size() && len <= bytes.size() - (addr - a)) {
        std::memcpy(buf, bytes.data() + (addr - a), len);
        return true;
      }
  return tracer::read_mem(tid, addr, buf, len);
}
std::optional<std::string> Recorder::read_string(pid_t tid, std::uint64_t addr) {
  if (const Captured* c = impl_->cap)
    for (const auto& [a, bytes] : c->mem)
      if (addr >= a && addr - a < bytes.size()) {
        const std::size_t from = addr - a;
        const std::size_t nul = bytes.find('\0', from);
        if (nul != std::string::npos) return bytes.substr(from, nul - from);
      }
  return read_cstring(tid, addr);
}
std::optional<rlim_t> Recorder::limit(pid_t pid, int resource, bool hard) {
  if (const Captured* c = impl_->cap; c && (pid == 0 || pid == c->tid || pid == c->tgid) &&
                                      resource >= 0 &&
                                      static_cast<std::size_t>(resource) < c->rlimits.size())
    return hard ? c->rlimits[resource].rlim_max : c->rlimits[resource].rlim_cur;
  return CapEnv::limit(pid, resource, hard);
}
std::optional<int> Recorder::nice(pid_t pid) {
  // The rule runs after the call under eBPF: the captured value is the one it must compare with.
  if (const Captured* c = impl_->cap; c && c->nice && (pid == c->tid || pid == c->tgid))
    return c->nice;
  return CapEnv::nice(pid);
}
std::optional<std::string> Recorder::fd_path(pid_t tid, int fd) {
  return impl_->link(tid, "fd/" + std::to_string(fd));
}

}  // namespace tailor::tracer
