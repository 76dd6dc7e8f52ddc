// The Profile: everything a workload needed from the kernel, as plain data.
//
// Every container is ordered (std::map / std::set) so that the JSON written from a Profile is
// sorted and stable: two recordings of the same behaviour give byte-identical files apart from
// counts and timings, and profiles diff cleanly in git. Operations are free functions.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace tailor {

// Where the static analyzer (tailor analyze) found a syscall made: the instruction, the function
// containing it, and the ELF object.
struct StaticSite {
  std::string object;         // path of the object ("[vdso]" for a vDSO function's fallback)
  std::string function;       // symbol of the function, or "" in a stripped object
  std::uint64_t address = 0;  // of the syscall instruction (or the call to a wrapper)
  auto operator<=>(const StaticSite&) const = default;
};

// How often something was seen, and by which executables. `by` maps an executable path to the
// number of times it did the thing; the total is the sum. Merging adds counts. `sites` holds
// static evidence (syscalls only): a syscall with sites and no `by` was found by analysis and
// never seen in a recording.
struct Evidence {
  std::map<std::string, std::uint64_t> by;
  std::set<StaticSite> sites;

  std::uint64_t count() const;
  void add(const std::string& exe, std::uint64_t n = 1) { by[exe] += n; }
  bool operator==(const Evidence&) const = default;
};

// File access kinds. Kept as strings in the profile ("read", "write", "create", "exec",
// "map-exec", "unlink", "rename", "link", "mkdir", "rmdir", "chmod", "chown", "truncate",
// "stat", "readdir", "lock", "connect", "bind", "mknod", "mount", "chdir", "chroot", "xattr",
// "mktemp"). "readdir" is an open of a directory (whatever flags opened it); "mktemp" marks a
// name made to be fresh and private, as mkstemp/mkdtemp and every language's temp-file API make
// theirs: open with O_CREAT|O_EXCL and mode 0600, or mkdir with mode 0700.
struct FileUse {
  std::set<std::string> access;
  // errno names of calls that failed on this path (e.g. "ENOENT" for a probed library path).
  std::set<std::string> errors;
  // True once any call on the path succeeded: a path that only ever failed is a probe. Opens
  // are predicted at entry (the recorder spares them an exit stop); lookups (stat, access,
  // readlink) are recorded without a result and leave this false.
  bool succeeded = false;
  // What the path was when it was used, from the file system (stat at the call) or from what
  // a successful call made: "dir", "file", "symlink", "socket", "fifo", "chr", "blk". Empty when
  // nothing told (a profile written before the field existed, or a path that never existed).
  // AppArmor writes directory rules with a trailing '/', so this decides the rule's form.
  std::set<std::string> types;
  // Numbers in the path that were the pid of a process at recording time (one of the workload's
  // or another live one), at the places tailor::pid_name_spans() finds (per-process files under
  // /tmp, /run, ...: /tmp/hsperfdata_root/4711). They differ on every run, so rules glob them.
  std::set<std::uint32_t> pids;
  Evidence ev;
  bool operator==(const FileUse&) const = default;
};

struct Socket {
  std::string family;  // "inet", "inet6", "unix", "netlink", "packet", ... or "AF_<n>"
  std::string type;    // "stream", "dgram", "raw", "seqpacket", ... or "SOCK_<n>"
  int protocol = 0;    // as passed to socket(2); netlink protocols are kept as numbers too
  auto operator<=>(const Socket&) const = default;
};

// An address a socket was bound to, connected to, or listened on.
struct Endpoint {
  std::string op;       // "bind", "connect", "listen", "sendto"
  std::string family;   // as in Socket
  std::string address;  // "127.0.0.1", "::1", a unix path, "@abstract", or "pid:groups" (netlink)
  int port = 0;         // inet/inet6 only; 0 otherwise
  auto operator<=>(const Endpoint&) const = default;
};

struct Executable {
  bool setuid = false;
  bool setgid = false;
  bool file_caps = false;  // has a security.capability xattr
  Evidence ev;
  bool operator==(const Executable&) const = default;
};

// Why a capability is needed: the syscall and the argument that required it.
struct CapReason {
  std::string syscall;
  std::string detail;
  auto operator<=>(const CapReason&) const = default;
};

struct CapUse {
  std::set<CapReason> reasons;
  Evidence ev;
  bool operator==(const CapUse&) const = default;
};

struct Resources {
  std::uint64_t peak_processes = 0;  // processes alive at once
  std::uint64_t peak_threads = 0;    // threads (all tasks) alive at once
  std::uint64_t peak_rss_kb = 0;     // largest maximum resident set of any one process
  std::uint64_t peak_fds = 0;        // highest fd number seen in use + 1 (what RLIMIT_NOFILE needs)
  double wall_seconds = 0;           // longest recorded run
  bool operator==(const Resources&) const = default;
};

struct ProcessFacts {
  // CLONE_NEW* flags passed to clone/clone3/unshare/setns, by flag name.
  std::map<std::string, Evidence> namespaces;
  std::map<std::string, Executable> executables;  // absolute path -> facts
  std::map<std::uint32_t, Evidence> uids;         // ids passed to set*uid / seen as euid
  std::map<std::uint32_t, Evidence> gids;
  std::map<std::uint64_t, Evidence> ioctls;       // request numbers
  std::map<std::string, Evidence> prctl;          // option names ("PR_SET_NAME") or numbers
  std::map<std::uint64_t, Evidence> personality;  // persona values
  std::map<std::string, Evidence> exec_mappings;  // PROT_EXEC mappings: file path or "[anon]"
  bool operator==(const ProcessFacts&) const = default;
};

// What `tailor analyze` read, per ELF object: enough to judge how complete the static set is.
struct StaticObject {
  std::string arch;              // libseccomp's name ("x86_64", "x86", "aarch64")
  std::string build_id;          // hex, "" if none
  std::uint64_t sites = 0;       // syscall sites in the object
  std::uint64_t unresolved = 0;  // sites whose number no analysis recovered
  std::set<std::string> dlopen;  // libraries it may load with dlopen (constant names)
  bool operator==(const StaticObject&) const = default;
};

struct StaticFacts {
  std::map<std::string, StaticObject> objects;           // path -> facts
  std::map<std::string, std::set<std::string>> missing;  // DT_NEEDED not found -> needed by
  bool operator==(const StaticFacts&) const = default;
};

// The container a recording ran in (`tailor record -- docker run ... IMAGE CMD...`, `podman run`,
// `tailor record --container NAME`): what `tailor generate` needs to print the `docker run` line
// that starts the same thing, and whose runtime baseline the seccomp filter must allow.
struct ContainerOrigin {
  std::string engine;  // "docker", "podman", "crun", "runc"
  // As the user named it: "alpine:3", "localhost/app@sha256:...", an image id; "" for an OCI
  // bundle run by runc/crun directly.
  std::string image;
  // The arguments given after the image on the engine's command line, which replace the image's
  // CMD. Empty: the image's own CMD ran.
  std::vector<std::string> command;
  auto operator<=>(const ContainerOrigin&) const = default;
};

inline constexpr int kFormatVersion = 1;

struct Profile {
  // arch name ("x86_64", "x86", "x32"; libseccomp's names) -> syscall name -> evidence
  std::map<std::string, std::map<std::string, Evidence>> syscalls;
  std::map<std::string, FileUse> files;
  std::map<Socket, Evidence> sockets;
  std::map<Endpoint, Evidence> endpoints;
  ProcessFacts process;
  std::map<std::string, CapUse> capabilities;      // "CAP_NET_BIND_SERVICE" -> why
  std::map<std::string, CapUse> capability_hints;  // failed with EPERM/EACCES: maybe needed
  Resources resources;
  std::set<std::vector<std::string>> commands;  // argv of each recorded run
  std::set<ContainerOrigin> containers;         // containers the runs were recorded in
  StaticFacts analysis;                         // objects `tailor analyze` read
  bool operator==(const Profile&) const = default;
};

// Union of two profiles, evidence kept: counts add up, sets join, resource peaks take the max.
void merge_into(Profile& into, const Profile& from);
Profile merge(const Profile& a, const Profile& b);

// The profile without what only static analysis found: syscalls whose evidence has no recorded
// use are dropped, static sites are cleared. What `generate --static-mode report` emits.
Profile recorded_only(const Profile& p);

// Number of distinct (arch, syscall) pairs.
std::size_t distinct_syscalls(const Profile& p);

}  // namespace tailor
