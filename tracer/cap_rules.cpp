// Capability inference: which capability a syscall exercises, as one table.
//
// Approach
// --------
// Linux checks a capability only when the caller's ordinary credentials (uids, gids, groups,
// file ownership and mode bits) do not already allow the operation: root chowning its own file to
// itself, or binding port 8080, uses no capability at all. A profile that lists a capability for
// such calls would grant more than the workload needs, and `--cap-drop ALL --cap-add ...` is only
// worth having if it is tight. So every rule below re-does, at syscall entry, the kernel's own
// "would this pass without the capability?" test, with the caller's credentials from
// /proc/TID/status (CapEnv::creds) and the target's current ownership and mode (CapEnv::stat_*),
// and reports the capability only where that test fails. Rules deliberately ignore CapEff: a
// caller lacking the capability still *asks* for it, and the recorder turns the finding into a
// need if the call succeeds or a hint if it fails with EPERM/EACCES (cap_rules.h).
//
// Entry is the only moment this can be decided: after a chown the file's old owner is gone, after
// setuid the old ids are. Each rule mirrors the kernel function named in its documentation
// string; where the kernel has an exception that keeps ordinary users working (a whiteout mknod,
// SIGCONT within a session, namespaces created inside a new user namespace, read-only adjtimex)
// the rule has it too, because a false positive here is a needless capability in production.
//
// Deliberate simplifications, each erring on the side the text explains:
//  - Port numbers below 1024 are privileged (the kernel default). A host's lowered
//    net.ipv4.ip_unprivileged_port_start is per network namespace and does not travel with the
//    profile, so it is not consulted.
//  - Paths under /proc are left out of the DAC rules: procfs decides access with ptrace checks
//    rather than mode bits, and "/proc/self" would resolve to the tracer, not the workload.
//  - Dumpability and Yama are not modelled for SYS_PTRACE; only the credential match is.
//  - Struct-reading rules handle the x86_64, x32 and i386 layouts where they differ (timespec,
//    rlimit); i386's legacy 16-bit-id syscalls (chown, setuid, ... without the "32") are read as
//    32-bit ids, which only matters for the id 65535 — glibc never calls them.
//  - setgroups always needs CAP_SETGID (kernel/groups.c:may_setgroups checks it before looking at
//    the list), so it is reported even when the list is unchanged; dropping it would make the
//    profile break the call.
#include "cap_rules.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <unordered_map>

namespace tailor::tracer {

namespace {

// Flag values from the kernel uapi that older libc headers may lack.
constexpr std::uint64_t kCloneNewTime = 0x00000080;  // only meaningful for unshare and clone3
constexpr std::uint32_t kNoId = 0xffffffffu;         // (uid_t)-1: "leave unchanged"
constexpr long kUtimeNow = (1L << 30) - 1;
constexpr long kUtimeOmit = (1L << 30) - 2;
constexpr int kSchedFifo = 1, kSchedRr = 2, kSchedDeadline = 6;
constexpr int kSchedResetOnFork = 0x40000000;
constexpr std::uint32_t kAdjAdjtime = 0x8000, kAdjOffsetReadonly = 0x2000;
constexpr int kPtraceAttach = 16, kPtraceSeize = 0x4206;
constexpr int kSockPacket = 10;  // obsolete SOCK_PACKET on AF_INET: a raw link-level socket

// Everything a predicate may look at. Creds are fetched once per call; `creds` is null when
// the task vanished, and rules that compare against the caller then stay silent.
struct DacVerdict;
struct Ctx {
  const DecodedCall& call;
  CapEnv& env;
  const Creds* creds;
  // Two rows (DAC_READ_SEARCH, DAC_OVERRIDE) share one analysis of an open; its stats run once.
  std::shared_ptr<DacVerdict> dac;
};

// Arguments as the C prototypes declare them: the tracer hands over raw 64-bit registers, and
// an i386 caller's "-1" arrives zero-extended, so ints and ids are cut to 32 bits first.
std::int32_t sarg(const Ctx& c, int i) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(c.call.args[i]));
}
std::uint32_t uarg(const Ctx& c, int i) {
  return static_cast<std::uint32_t>(c.call.args[i]);
}
bool is_i386(const Ctx& c) {
  return c.call.arch == SCMP_ARCH_X86;
}

bool in_groups(const Creds& cr, gid_t g) {
  return g == cr.fsgid || std::find(cr.groups.begin(), cr.groups.end(), g) != cr.groups.end();
}

template <typename T>
bool read_obj(const Ctx& c, std::uint64_t addr, T& out) {
  return addr != 0 && c.env.read_mem(c.call.tid, addr, &out, sizeof out);
}

// ---- Targets of file calls ----------------------------------------------------------------

struct Target {
  std::optional<struct stat> st;
  std::string what;  // path, or "fd N" when only a descriptor names the file
};

bool under_proc(const std::string& p) {
  return p == "/proc" || p.rfind("/proc/", 0) == 0;
}

Target path_target(const Ctx& c, bool follow) {
  if (c.call.path.empty()) return {};
  return {c.env.stat_path(c.call.tid, c.call.path, follow), c.call.path};
}

Target fd_target(const Ctx& c, int fd) {
  std::string what = "fd " + std::to_string(fd);
  if (auto link = c.env.fd_path(c.call.tid, fd); link && (*link)[0] == '/') what = *link;
  return {c.env.stat_fd(c.call.tid, fd), what};
}

// For *at() calls: `dirfd` + `path` + AT_* flags. A NULL path (utimensat's futimens form) or an
// empty one with AT_EMPTY_PATH means the descriptor itself.
Target at_target(const Ctx& c, int dirfd_arg, int path_arg, std::uint32_t at_flags) {
  bool follow = !(at_flags & AT_SYMLINK_NOFOLLOW);
  std::uint64_t ptr = c.call.args[path_arg];
  bool fd_itself = ptr == 0;
  if (!fd_itself && (at_flags & AT_EMPTY_PATH)) {
    auto raw = c.env.read_string(c.call.tid, ptr);
    fd_itself = raw && raw->empty();
  }
  int dirfd = sarg(c, dirfd_arg);
  if (fd_itself && dirfd != AT_FDCWD) return fd_target(c, dirfd);
  return path_target(c, follow);
}

// ---- Predicates ---------------------------------------------------------------------------
// Each returns the finding's detail when the capability is needed, nullopt otherwise.

using Detail = std::optional<std::string>;

// net/ipv4/af_inet.c:__inet_bind, net/ipv6/af_inet6.c:__inet6_bind.
Detail bind_low_port(Ctx& c) {
  if (c.call.sa_family != "inet" && c.call.sa_family != "inet6") return {};
  if (c.call.sa_port < 1 || c.call.sa_port >= 1024) return {};
  return "port " + std::to_string(c.call.sa_port);
}

// net/ipv4/af_inet.c:inet_create (SOCK_RAW), net/packet/af_packet.c:packet_create.
Detail raw_socket(Ctx& c) {
  int family = sarg(c, 0);
  int type = sarg(c, 1) & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (family == AF_PACKET) return "packet socket";
  if ((family == AF_INET || family == AF_INET6) && (type == SOCK_RAW || type == kSockPacket))
    return std::string(family == AF_INET ? "inet" : "inet6") + " raw protocol " +
           std::to_string(sarg(c, 2));
  return {};
}

// kernel/audit.c:audit_netlink_ok. Creating the socket is not itself checked; sending the user
// messages that programs open it for (login records, AUDIT_USER_*) is, with CAP_AUDIT_WRITE. The
// socket is what the tracer can see without following descriptors, so it stands for the sends.
Detail audit_socket(Ctx& c) {
  if (sarg(c, 0) != AF_NETLINK || sarg(c, 2) != NETLINK_AUDIT) return {};
  return "netlink audit socket";
}

// fs/attr.c:chown_ok / chgrp_ok: keeping the owner is free for the owner; a group change is free
// for the owner when the new group is one of the caller's; everything else needs CAP_CHOWN.
Detail chown_other(Ctx& c) {
  if (!c.creds) return {};
  const auto& n = c.call.name;
  Target t;
  int ui = 1;
  if (n == "chown") {
    t = path_target(c, true);
  } else if (n == "lchown") {
    t = path_target(c, false);
  } else if (n == "fchown") {
    t = fd_target(c, sarg(c, 0));
  } else {  // fchownat(dirfd, path, uid, gid, flags)
    t = at_target(c, 0, 1, uarg(c, 4));
    ui = 2;
  }
  if (!t.st) return {};
  std::uint32_t uid = uarg(c, ui), gid = uarg(c, ui + 1);
  bool owner = t.st->st_uid == c.creds->fsuid;
  std::string why;
  if (uid != kNoId && !(owner && uid == t.st->st_uid))
    why += " uid " + std::to_string(t.st->st_uid) + " -> " + std::to_string(uid);
  if (gid != kNoId && !(owner && (gid == t.st->st_gid || in_groups(*c.creds, gid))))
    why += " gid " + std::to_string(t.st->st_gid) + " -> " + std::to_string(gid);
  if (why.empty()) return {};
  if (!owner) why += " (owner " + std::to_string(t.st->st_uid) + ")";
  return t.what + why;
}

// kernel/sys.c: __sys_setuid / setreuid / setresuid / setfsuid and the gid twins. Without the
// capability a task may only shuffle among ids it already holds; which ones depends on the call.
struct IdSet {
  std::uint32_t r, e, s, fs;
};

Detail set_ids(Ctx& c, const IdSet& have, const char* kind) {
  const auto& n = c.call.name;
  // Which requested ids (argument index) must come from which of the caller's ids.
  auto among = [](std::uint32_t id, std::initializer_list<std::uint32_t> ok) {
    return std::find(ok.begin(), ok.end(), id) != ok.end();
  };
  std::string k = kind;  // "uid" or "gid"
  std::string from =
      std::to_string(have.r) + "/" + std::to_string(have.e) + "/" + std::to_string(have.s);
  std::string why;
  auto want = [&](const std::string& label, std::uint32_t id,
                  std::initializer_list<std::uint32_t> ok) {
    if (id == kNoId || among(id, ok)) return;
    why += (why.empty() ? "" : ", ") + label + " " + std::to_string(id);
  };
  if (n == "set" + k) {
    want(k, uarg(c, 0), {have.r, have.s});
  } else if (n == "setre" + k) {
    want("r" + k, uarg(c, 0), {have.r, have.e});
    want("e" + k, uarg(c, 1), {have.r, have.e, have.s});
  } else if (n == "setres" + k) {
    for (int i = 0; i < 3; ++i)
      want(std::string(1, "res"[i]) + k, uarg(c, i), {have.r, have.e, have.s});
  } else if (n == "setfs" + k) {
    // setfs*id never fails; it silently keeps the old id. -1 is the "just tell me" idiom.
    want("fs" + k, uarg(c, 0), {have.r, have.e, have.s, have.fs});
  }
  if (why.empty()) return {};
  return why + " (has " + from + ")";
}

Detail setuid_other(Ctx& c) {
  if (!c.creds) return {};
  const auto& cr = *c.creds;
  return set_ids(c, {cr.ruid, cr.euid, cr.suid, cr.fsuid}, "uid");
}

Detail setgid_other(Ctx& c) {
  if (!c.creds) return {};
  const auto& cr = *c.creds;
  return set_ids(c, {cr.rgid, cr.egid, cr.sgid, cr.fsgid}, "gid");
}

// kernel/groups.c: setgroups checks may_setgroups() before it reads the list. The list is only
// decoded for the detail (gid_t is 32-bit in setgroups32/x86_64/x32; we read 32-bit entries).
Detail setgroups_any(Ctx& c) {
  int size = sarg(c, 0);
  std::string d = "groups";
  if (size <= 0) return d + " (none)";
  std::vector<std::uint32_t> g(static_cast<std::size_t>(std::min(size, 32)));
  if (c.env.read_mem(c.call.tid, c.call.args[1], g.data(), g.size() * sizeof(std::uint32_t))) {
    for (std::size_t i = 0; i < g.size(); ++i) d += (i ? "," : " ") + std::to_string(g[i]);
    if (size > 32) d += ",...";
  }
  return d;
}

// kernel/signal.c:check_kill_permission / kill_ok_by_cred.
Detail kill_other(Ctx& c) {
  if (!c.creds) return {};
  const auto& n = c.call.name;
  pid_t target;
  int sig;
  if (n == "kill" || n == "tkill" || n == "rt_sigqueueinfo") {
    target = sarg(c, 0);
    sig = sarg(c, 1);
  } else {  // tgkill(tgid, tid, sig), rt_tgsigqueueinfo(tgid, tid, sig, info)
    target = sarg(c, 1);
    sig = sarg(c, 2);
  }
  if (target <= 0) return {};  // process groups and "everyone": one target can't be named
  auto t = c.env.creds(target);
  if (!t || t->tgid == c.creds->tgid) return {};
  const auto& me = *c.creds;
  if (me.euid == t->ruid || me.euid == t->suid || me.ruid == t->ruid || me.ruid == t->suid)
    return {};
  // SIGCONT to a process of the same session is always allowed (job control of setuid children).
  if (sig == SIGCONT) {
    pid_t a = ::getsid(c.call.tid), b = ::getsid(target);
    if (a > 0 && a == b) return {};
  }
  return "pid " + std::to_string(target) + " (uid " + std::to_string(t->ruid) + ") signal " +
         std::to_string(sig);
}

Detail always_path(Ctx& c) {
  return c.call.path.empty() ? c.call.name : c.call.path;
}

// fs/namei.c:vfs_mknod. A char device 0:0 is a whiteout, which needs no capability.
Detail mknod_device(Ctx& c) {
  bool at = c.call.name == "mknodat";
  std::uint32_t mode = uarg(c, at ? 2 : 1);
  std::uint32_t dev = uarg(c, at ? 3 : 2);
  std::uint32_t type = mode & S_IFMT;
  if (type != S_IFCHR && type != S_IFBLK) return {};
  if (type == S_IFCHR && dev == 0) return {};
  // The kernel's new_decode_dev().
  unsigned major = (dev & 0xfff00) >> 8, minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  return std::string(type == S_IFCHR ? "char " : "block ") + std::to_string(major) + ":" +
         std::to_string(minor) + " " + c.call.path;
}

std::string ns_flag_names(std::uint64_t flags) {
  static const std::pair<std::uint64_t, const char*> kNames[] = {
      {CLONE_NEWNS, "CLONE_NEWNS"},     {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
      {CLONE_NEWUTS, "CLONE_NEWUTS"},   {CLONE_NEWIPC, "CLONE_NEWIPC"},
      {CLONE_NEWUSER, "CLONE_NEWUSER"}, {CLONE_NEWPID, "CLONE_NEWPID"},
      {CLONE_NEWNET, "CLONE_NEWNET"},   {kCloneNewTime, "CLONE_NEWTIME"}};
  std::string out;
  for (auto [bit, name] : kNames)
    if (flags & bit) out += (out.empty() ? "" : "|") + std::string(name);
  return out;
}

// kernel/fork.c:copy_namespaces / unshare_nsproxy_namespaces: every new namespace but a user
// namespace needs CAP_SYS_ADMIN — in the user namespace that will own it. When CLONE_NEWUSER
// is part of the same call the new namespaces belong to the new user namespace, where the caller
// holds every capability, so nothing is needed from the outside.
Detail new_namespaces(Ctx& c) {
  const auto& n = c.call.name;
  std::uint64_t flags;
  std::uint64_t mask = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                       CLONE_NEWPID | CLONE_NEWNET;
  if (n == "clone3") {
    // struct clone_args starts with __aligned_u64 flags on every architecture.
    if (!read_obj(c, c.call.args[0], flags)) return {};
    mask |= kCloneNewTime;
  } else if (n == "unshare") {
    flags = c.call.args[0];
    mask |= kCloneNewTime;
  } else {                   // clone: flags are the first argument on x86_64, x32 and i386 alike
    flags = c.call.args[0];  // (CLONE_NEWTIME's bit is the exit signal here)
  }
  flags &= mask;
  if (flags == 0 || (flags & CLONE_NEWUSER)) return {};
  return ns_flag_names(flags);
}

Detail setns_any(Ctx& c) {
  std::uint64_t type = uarg(c, 1);
  return "fd " + std::to_string(sarg(c, 0)) + (type ? " " + ns_flag_names(type) : "");
}

Detail mount_any(Ctx& c) {
  const auto& n = c.call.name;
  if (n == "mount") {
    std::string d = "mount";
    if (auto fs = c.env.read_string(c.call.tid, c.call.args[2]); fs && !fs->empty()) d += " " + *fs;
    if (!c.call.path.empty()) d += " on " + c.call.path;  // the target is the path argument
    return d;
  }
  return n + (c.call.path.empty() ? "" : " " + c.call.path);
}

Detail host_name(Ctx& c) {
  std::string name(std::min<std::uint64_t>(c.call.args[1], 64), '\0');
  if (!c.env.read_mem(c.call.tid, c.call.args[0], name.data(), name.size())) return c.call.name;
  return c.call.name + " " + name.c_str();
}

// ---- DAC: fs/namei.c:generic_permission ----------------------------------------------------
// Directories: CAP_DAC_READ_SEARCH overrides read and search, CAP_DAC_OVERRIDE everything.
// Files: CAP_DAC_READ_SEARCH overrides a pure read, CAP_DAC_OVERRIDE read/write and exec when
// at least one x bit is set. The least of them that would do is reported.

struct DacVerdict {
  Detail read_search, override_;
};

// Search permission on every directory leading to `path`.
Detail search_denied(const Ctx& c, const std::string& path) {
  std::size_t pos = 0;
  while ((pos = path.find('/', pos + 1)) != std::string::npos) {
    std::string dir = path.substr(0, pos);
    auto st = c.env.stat_path(c.call.tid, dir, true);
    if (st && S_ISDIR(st->st_mode) && !dac_allows(*c.creds, *st, 1)) return "search " + dir;
  }
  return {};
}

std::string parent_of(const std::string& p) {
  auto slash = p.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : p.substr(0, slash);
}

DacVerdict dac_open(const Ctx& c) {
  DacVerdict v;
  const auto& n = c.call.name;
  const std::string& path = c.call.path;
  if (!c.creds || path.empty() || path[0] != '/' || under_proc(path)) return v;
  std::uint64_t flags;
  if (n == "open") {
    flags = uarg(c, 1);
  } else if (n == "openat") {
    flags = uarg(c, 2);
  } else if (n == "creat") {
    flags = O_CREAT | O_WRONLY | O_TRUNC;
  } else {  // openat2(dirfd, path, struct open_how*, size): how->flags is the first u64
    if (!read_obj(c, c.call.args[2], flags)) return v;
  }
  v.read_search = search_denied(c, path);
  if (flags & O_PATH) return v;  // no access to the file itself is checked
  int want = 0;
  switch (flags & O_ACCMODE) {
    case O_RDONLY:
      want = 4;
      break;
    case O_WRONLY:
      want = 2;
      break;
    default:
      want = 6;
      break;  // O_RDWR, and 3 ("ioctl only") which the kernel checks as r+w
  }
  if (flags & O_TRUNC) want |= 2;
  auto st = c.env.stat_path(c.call.tid, path, !(flags & O_NOFOLLOW));
  if (!st) {
    if (!(flags & O_CREAT)) return v;
    std::string dir = parent_of(path);
    auto dst = c.env.stat_path(c.call.tid, dir, true);
    if (dst && S_ISDIR(dst->st_mode) && !dac_allows(*c.creds, *dst, 3))
      v.override_ = "create in " + dir;
    return v;
  }
  if ((flags & O_CREAT) && (flags & O_EXCL)) return v;  // fails with EEXIST before any check
  if (dac_allows(*c.creds, *st, want)) return v;
  if (S_ISDIR(st->st_mode)) {
    if (!(want & 2)) v.read_search = "read " + path;  // writing a directory is EISDIR anyway
  } else if (want == 4) {
    v.read_search = "read " + path;
  } else {
    v.override_ = std::string(want & 4 ? "read-write " : "write ") + path;
  }
  return v;
}

// fs/exec.c: execve needs exec permission; CAP_DAC_OVERRIDE grants it if any x bit is set.
DacVerdict dac_exec(const Ctx& c) {
  DacVerdict v;
  if (!c.creds) return v;
  Target t;
  if (c.call.name == "execveat")
    t = at_target(c, 0, 1, uarg(c, 4));
  else
    t = path_target(c, true);
  if (!t.st || under_proc(t.what)) return v;
  if (t.what[0] == '/') v.read_search = search_denied(c, t.what);
  if (S_ISREG(t.st->st_mode) && !dac_allows(*c.creds, *t.st, 1) && (t.st->st_mode & 0111))
    v.override_ = "exec " + t.what;
  return v;
}

const DacVerdict& dac_any(Ctx& c) {
  if (!c.dac) {
    const auto& n = c.call.name;
    c.dac = std::make_shared<DacVerdict>((n == "execve" || n == "execveat") ? dac_exec(c)
                                                                            : dac_open(c));
  }
  return *c.dac;
}

Detail dac_read_search(Ctx& c) {
  return dac_any(c).read_search;
}
Detail dac_override(Ctx& c) {
  return dac_any(c).override_;
}

// fs/attr.c:setattr_prepare, may_setattr; fs/utimes.c:vfs_utimes. chmod and setting explicit
// times need the caller to own the file (inode_owner_or_capable -> CAP_FOWNER). "Touching"
// (times NULL or both UTIME_NOW) is also allowed to anyone who may write the file.
Detail fowner_not_owner(Ctx& c) {
  if (!c.creds) return {};
  const auto& n = c.call.name;
  Target t;
  enum { kChmod, kTimes, kTouch } op = kChmod;
  if (n == "chmod") {
    t = path_target(c, true);
  } else if (n == "fchmod") {
    t = fd_target(c, sarg(c, 0));
  } else if (n == "fchmodat" || n == "fchmodat2") {
    t = at_target(c, 0, 1, n == "fchmodat2" ? uarg(c, 3) : 0);
  } else if (n == "utimensat" || n == "utimensat_time64") {
    std::uint64_t ptr = c.call.args[2];
    op = ptr ? kTimes : kTouch;
    if (ptr) {
      long nsec[2];
      if (is_i386(c) && n == "utimensat") {  // two 32-bit struct timespec
        std::int32_t ts[4];
        if (!read_obj(c, ptr, ts)) return {};
        nsec[0] = ts[1], nsec[1] = ts[3];
      } else {
        std::int64_t ts[4];
        if (!read_obj(c, ptr, ts)) return {};
        nsec[0] = ts[1], nsec[1] = ts[3];
      }
      if (nsec[0] == kUtimeOmit && nsec[1] == kUtimeOmit) return {};  // changes nothing
      if (nsec[0] == kUtimeNow && nsec[1] == kUtimeNow) op = kTouch;
    }
    t = at_target(c, 0, 1, uarg(c, 3));
  } else if (n == "futimesat") {
    op = c.call.args[2] ? kTimes : kTouch;
    t = path_target(c, true);
  } else {  // utimes(path, timeval[2]), utime(path, utimbuf*)
    op = c.call.args[1] ? kTimes : kTouch;
    t = path_target(c, true);
  }
  if (!t.st || t.st->st_uid == c.creds->fsuid || under_proc(t.what)) return {};
  if (op == kTouch && dac_allows(*c.creds, *t.st, 2)) return {};
  const char* what = op == kChmod ? "chmod " : op == kTimes ? "set times " : "touch ";
  return what + t.what + " (owner " + std::to_string(t.st->st_uid) + ")";
}

// security/commoncap.c:cap_convert_nscap: writing file capabilities needs CAP_SETFCAP.
Detail setfcap_xattr(Ctx& c) {
  auto name = c.env.read_string(c.call.tid, c.call.args[1]);
  if (!name || *name != "security.capability") return {};
  if (c.call.name == "fsetxattr") return "security.capability on " + fd_target(c, sarg(c, 0)).what;
  return "security.capability on " + c.call.path;
}

// kernel/ptrace.c:__ptrace_may_access with PTRACE_MODE_ATTACH_REALCREDS (used by ptrace attach
// and process_vm_readv/writev): the caller's real ids must equal all of the target's.
Detail ptrace_other(Ctx& c) {
  if (!c.creds) return {};
  pid_t target;
  if (c.call.name == "ptrace") {
    int req = sarg(c, 0);
    if (req != kPtraceAttach && req != kPtraceSeize) return {};
    target = sarg(c, 1);
  } else {
    target = sarg(c, 0);
  }
  if (target <= 0) return {};
  auto t = c.env.creds(target);
  if (!t || t->tgid == c.creds->tgid) return {};
  const auto& me = *c.creds;
  if (me.ruid == t->ruid && me.ruid == t->euid && me.ruid == t->suid && me.rgid == t->rgid &&
      me.rgid == t->egid && me.rgid == t->sgid)
    return {};
  return "pid " + std::to_string(target) + " (uid " + std::to_string(t->ruid) + ")";
}

// kernel/time/: settimeofday/clock_settime go through security_settime64 -> CAP_SYS_TIME;
// adjtimex needs it for any mode bit except the read-only single-shot query.
Detail set_time(Ctx& c) {
  const auto& n = c.call.name;
  if (n == "settimeofday") {
    if (!c.call.args[0] && !c.call.args[1]) return {};
    return std::string(c.call.args[0] ? "set time" : "set timezone");
  }
  if (n == "adjtimex" || n == "clock_adjtime" || n == "clock_adjtime64") {
    std::uint32_t modes;  // struct timex starts with `unsigned int modes` everywhere
    if (!read_obj(c, c.call.args[n == "adjtimex" ? 0 : 1], modes)) return {};
    if (modes == 0) return {};
    if ((modes & kAdjAdjtime) && (modes & kAdjOffsetReadonly)) return {};
    char buf[32];
    std::snprintf(buf, sizeof buf, "modes 0x%x", modes);
    return std::string(buf);
  }
  if (n == "stime") return std::string("set time");
  return "clock " + std::to_string(sarg(c, 0));  // clock_settime(64)
}

// kernel/sys.c:set_one_prio / can_nice, kernel/sched/syscalls.c:__sched_setscheduler.
// A lower nice value than the current one needs CAP_SYS_NICE unless RLIMIT_NICE allows it;
// a real-time policy needs it unless RLIMIT_RTPRIO covers the priority; SCHED_DEADLINE always.
Detail raise_priority(Ctx& c) {
  const auto& n = c.call.name;
  if (n == "setpriority" || n == "nice") {
    pid_t pid = c.call.tid;
    if (n == "setpriority") {
      if (sarg(c, 0) != PRIO_PROCESS) {
        // Groups and users: several targets, no single current value; negative is the tell.
        int v = sarg(c, 2);
        if (v >= 0) return {};
        return "nice " + std::to_string(std::max(v, -20));
      }
      if (sarg(c, 1) != 0) pid = sarg(c, 1);
    } else if (sarg(c, 0) >= 0) {
      return {};
    }
    const auto known = c.env.nice(pid);
    if (!known) return {};
    const int cur = *known;
    int niceval = std::clamp(n == "nice" ? cur + sarg(c, 0) : sarg(c, 2), -20, 19);
    if (niceval >= cur) return {};
    auto rlim = c.env.limit(pid, RLIMIT_NICE, false);
    if (rlim && (*rlim == RLIM_INFINITY || static_cast<rlim_t>(20 - niceval) <= *rlim)) return {};
    return "nice " + std::to_string(cur) + " -> " + std::to_string(niceval);
  }
  int policy, prio = 0;
  if (n == "sched_setscheduler") {
    policy = sarg(c, 1) & ~kSchedResetOnFork;
    std::int32_t p;
    if (read_obj(c, c.call.args[2], p)) prio = p;
  } else {  // sched_setattr(pid, struct sched_attr*, flags): u32 size, u32 policy, u64 flags,
            // s32 nice, u32 priority
    std::uint32_t attr[5];
    if (!read_obj(c, c.call.args[1], attr)) return {};
    policy = static_cast<int>(attr[1]);
    prio = static_cast<int>(attr[4]);
  }
  if (policy == kSchedDeadline) return std::string("SCHED_DEADLINE");
  if (policy != kSchedFifo && policy != kSchedRr) return {};
  pid_t pid = sarg(c, 0) ? sarg(c, 0) : c.call.tid;
  auto rt = c.env.limit(pid, RLIMIT_RTPRIO, false);
  if (rt && (*rt == RLIM_INFINITY || static_cast<rlim_t>(prio) <= *rt)) return {};
  return std::string(policy == kSchedFifo ? "SCHED_FIFO" : "SCHED_RR") + " priority " +
         std::to_string(prio);
}

const char* rlimit_name(int r) {
  static const char* const kNames[] = {
      "RLIMIT_CPU",      "RLIMIT_FSIZE", "RLIMIT_DATA",   "RLIMIT_STACK",
      "RLIMIT_CORE",     "RLIMIT_RSS",   "RLIMIT_NPROC",  "RLIMIT_NOFILE",
      "RLIMIT_MEMLOCK",  "RLIMIT_AS",    "RLIMIT_LOCKS",  "RLIMIT_SIGPENDING",
      "RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME"};
  return r >= 0 && r < 16 ? kNames[r] : nullptr;
}

std::string limit_str(std::uint64_t v) {
  return v == RLIM_INFINITY ? "unlimited" : std::to_string(v);
}

// kernel/sys.c:do_prlimit: raising a hard limit needs CAP_SYS_RESOURCE.
Detail raise_hard_limit(Ctx& c) {
  pid_t pid = c.call.tid;
  int resource;
  std::uint64_t new_max;
  if (c.call.name == "prlimit64") {
    if (sarg(c, 0) != 0) pid = sarg(c, 0);
    resource = sarg(c, 1);
    std::uint64_t lim[2];
    if (!c.call.args[2] || !read_obj(c, c.call.args[2], lim)) return {};
    new_max = lim[1];
  } else if (is_i386(c)) {  // setrlimit's compat struct rlimit: two 32-bit longs, ~0 = infinity
    resource = sarg(c, 0);
    std::uint32_t lim[2];
    if (!read_obj(c, c.call.args[1], lim)) return {};
    new_max = lim[1] == 0xffffffffu ? RLIM_INFINITY : lim[1];
  } else {
    resource = sarg(c, 0);
    std::uint64_t lim[2];
    if (!read_obj(c, c.call.args[1], lim)) return {};
    new_max = lim[1];
  }
  auto old_max = c.env.limit(pid, resource, true);
  if (!old_max || new_max <= *old_max) return {};
  const char* name = rlimit_name(resource);
  return std::string(name ? name : "resource " + std::to_string(resource)) + " hard " +
         limit_str(*old_max) + " -> " + limit_str(new_max);
}

// ---- The table ----------------------------------------------------------------------------

struct Rule {
  std::string_view syscalls;  // normalised names, space-separated
  int cap;
  Detail (*needs)(Ctx&);
  std::string_view doc;
};

constexpr Rule kRules[] = {
    {"bind", CAP_NET_BIND_SERVICE, bind_low_port,
     "bind of an inet/inet6 socket to a port in 1..1023"},
    {"socket", CAP_NET_RAW, raw_socket,
     "socket(AF_INET/AF_INET6, SOCK_RAW or SOCK_PACKET) and any AF_PACKET socket"},
    {"chown fchown lchown fchownat", CAP_CHOWN, chown_other,
     "setting an owner other than the current one, a group the caller is not in, or any id on a "
     "file the caller does not own (-1 leaves an id unchanged)"},
    {"setuid setreuid setresuid setfsuid", CAP_SETUID, setuid_other,
     "switching to a uid the caller does not already hold (real/effective/saved, per call)"},
    {"setgid setregid setresgid setfsgid", CAP_SETGID, setgid_other,
     "switching to a gid the caller does not already hold (real/effective/saved, per call)"},
    {"setgroups", CAP_SETGID, setgroups_any,
     "setgroups, always: the kernel checks the capability before it looks at the list"},
    {"kill tkill tgkill rt_sigqueueinfo rt_tgsigqueueinfo", CAP_KILL, kill_other,
     "signalling (signal 0 included) a process whose real/saved uid matches neither the caller's "
     "real nor effective uid; SIGCONT within the session and group kills are exempt"},
    {"chroot", CAP_SYS_CHROOT, always_path, "chroot, always"},
    {"mknod mknodat", CAP_MKNOD, mknod_device,
     "creating a character or block device node (a 0:0 whiteout excepted)"},
    {"mount umount umount2 pivot_root fsopen fspick move_mount", CAP_SYS_ADMIN, mount_any,
     "mounting, unmounting, pivot_root, always"},
    {"sethostname setdomainname", CAP_SYS_ADMIN, host_name, "changing the host/domain name"},
    {"unshare clone clone3", CAP_SYS_ADMIN, new_namespaces,
     "creating namespaces (CLONE_NEW*) without creating a user namespace in the same call; "
     "clone3's flags are read from struct clone_args"},
    {"setns", CAP_SYS_ADMIN, setns_any, "joining a namespace, always"},
    {"open openat openat2 creat execve execveat", CAP_DAC_READ_SEARCH, dac_read_search,
     "read-only open of a file or directory the caller may not read, or a path through a "
     "directory it may not search (outside /proc)"},
    {"open openat openat2 creat execve execveat", CAP_DAC_OVERRIDE, dac_override,
     "open for writing a file the caller may not write, O_CREAT in a directory it may not write, "
     "execve of a file with an x bit but none for the caller"},
    {"chmod fchmod fchmodat fchmodat2 utimensat utimensat_time64 utimes utime futimesat",
     CAP_FOWNER, fowner_not_owner,
     "chmod or explicit timestamps on a file the caller (fsuid) does not own; touching (NULL or "
     "UTIME_NOW) one it neither owns nor may write"},
    {"setxattr lsetxattr fsetxattr", CAP_SETFCAP, setfcap_xattr,
     "writing the security.capability xattr (file capabilities)"},
    {"ptrace process_vm_readv process_vm_writev", CAP_SYS_PTRACE, ptrace_other,
     "PTRACE_ATTACH/SEIZE or process_vm_readv/writev of a process whose uids/gids are not all "
     "the caller's real ones"},
    {"settimeofday clock_settime clock_settime64 stime adjtimex clock_adjtime clock_adjtime64",
     CAP_SYS_TIME, set_time,
     "setting the clock or timezone; adjtimex/clock_adjtime with modes other than a query"},
    {"setpriority nice sched_setscheduler sched_setattr", CAP_SYS_NICE, raise_priority,
     "lowering the nice value beyond RLIMIT_NICE, real-time scheduling beyond RLIMIT_RTPRIO, "
     "SCHED_DEADLINE"},
    {"setrlimit prlimit64", CAP_SYS_RESOURCE, raise_hard_limit,
     "raising a hard resource limit above its current value"},
    {"socket", CAP_AUDIT_WRITE, audit_socket,
     "socket(AF_NETLINK, *, NETLINK_AUDIT): opened to send audit user messages"},
};

// name -> indexes of the rules that look at it, built once.
const std::unordered_map<std::string_view, std::vector<std::size_t>>& index() {
  static const auto idx = [] {
    std::unordered_map<std::string_view, std::vector<std::size_t>> m;
    for (std::size_t i = 0; i < std::size(kRules); ++i) {
      std::string_view s = kRules[i].syscalls;
      while (!s.empty()) {
        auto sp = s.find(' ');
        m[s.substr(0, sp)].push_back(i);
        s = sp == std::string_view::npos ? std::string_view{} : s.substr(sp + 1);
      }
    }
    return m;
  }();
  return idx;
}

}  // namespace

std::vector<CapFinding> infer_capabilities(const DecodedCall& call, CapEnv& env) {
  std::vector<CapFinding> out;
  auto it = index().find(call.name);
  if (it == index().end()) return out;
  auto creds = env.creds(call.tid);
  Ctx ctx{call, env, creds ? &*creds : nullptr, nullptr};
  for (std::size_t i : it->second) {
    if (auto detail = kRules[i].needs(ctx)) out.push_back({kRules[i].cap, std::move(*detail)});
  }
  return out;
}

bool capability_rules_watch(std::string_view name) {
  return index().count(name) > 0;
}

}  // namespace tailor::tracer
