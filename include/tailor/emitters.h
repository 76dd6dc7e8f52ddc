// Emitters: pure functions from a Profile (and options) to text. No I/O happens here; the CLI
// writes what they return. Every output is deterministic (sorted), so it diffs cleanly.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tailor/profile.h"
#include "tailor/seccomp.h"

namespace tailor {

// A human-readable digest of a profile for a terminal: syscalls per arch, capabilities with
// their reasons, sockets and endpoints, executables, the most used files, resource peaks.
// `max_files` bounds the file list (0 = all).
std::string emit_summary(const Profile& p, std::size_t max_files = 20);
// A duration for people: "0.4 ms", "38 ms", "2.31 s", "3 min 05 s", "2 h 10 min".
std::string format_duration(double seconds);

// The security coverage report of `generate --static-mode report`: the syscalls static analysis
// found reachable that no recording ever saw, grouped by the object and function that make them,
// with the objects' unresolved sites, dlopen names and missing libraries. "" if the profile has
// no static evidence.
std::string emit_static_report(const Profile& p);

// ---- shared decisions -------------------------------------------------------------------------

// The container runtime that will install the filter. Runtimes make syscalls of their own after
// the filter is in place and before they exec the app; a profile must allow those too. kAll is
// the union of docker, podman, runc and crun: a filter that starts the container whichever of
// them runs it (the default, since a seccomp file travels further than the command that made it).
enum class Runtime { kDocker, kPodman, kRunc, kCrun, kNone, kAll };
std::optional<Runtime> runtime_from_name(std::string_view name);  // "docker", ..., "all"
std::string_view runtime_name(Runtime r);

// True when the flags emitted for this profile include no-new-privileges: no setuid/setgid or
// file-capability executable was run.
bool wants_no_new_privileges(const Profile& p);

// True when the flags emitted for this profile run the workload as nobody (`--user 65534:65534`:
// it ran as root and exercised no capability). The AppArmor emitter then writes the recording
// user's name in temp-file names as a glob (/tmp/hsperfdata_root -> /tmp/hsperfdata_*): the app
// will spell them with the name of the user it runs as.
bool runs_as_nobody(const Profile& p);

// The syscalls `r` makes under the container's filter before exec'ing the app, as measured on
// this project's machines with the real runtimes (emitters/runtime_baseline.cpp says how).
// kDocker is runc as Docker drives it; kAll the union of the four. kNone: empty. The list
// without no-new-privileges contains the one with it.
const std::vector<std::string>& runtime_baseline(Runtime r, bool no_new_privileges);

// ---- seccomp ----------------------------------------------------------------------------------

struct SeccompOptions {
  Runtime runtime = Runtime::kAll;
  // Runtimes whose baselines are allowed besides `runtime`'s: a profile recorded in containers
  // of several engines gets a filter that starts the container under each of them.
  std::set<Runtime> more_runtimes;
  bool arg_filters = true;  // clone/unshare/socket/personality arguments
  // false (default): the runtime's baseline without no-new-privileges, which contains the one
  // with it, so the container starts whether or not it runs with no-new-privileges. true: the
  // tighter nnp-only variant (`generate --nnp-only`): with no-new-privileges runtimes install the
  // filter right before execve and need far fewer calls under it, but without it the runtime
  // fails before the app starts (crun: "cannot setresgid to 0: Operation not permitted").
  bool no_new_privileges = false;
};

// Which variant a filter with these options is, for people: "docker, podman, runc and crun,
// with or without no-new-privileges", "podman, only with no-new-privileges", ... The Docker
// JSON's and the SPO YAML's comment and `tailor generate`'s report say it.
std::string seccomp_variant(const SeccompOptions& o);

// The architectures a seccomp filter for `p` admits (libseccomp's names, x86_64 first): those
// the recording used. Static findings never open one: an architecture in which only analysis
// found syscalls (an `int 0x80` in x86_64 code enters the i386 table) is left out of the
// filter with its syscalls, and listed in `static_only` so that the caller can say so. A
// profile without any recorded syscall (analysis alone) admits the architectures of the
// objects analysed, from their ELF headers.
struct SeccompArchitectures {
  std::vector<std::string> allowed;
  std::vector<std::string> static_only;
};
SeccompArchitectures seccomp_architectures(const Profile& p);

// The filter the three seccomp emitters below write, as data: what `tailor run` applies when
// given a tailor profile and what `tailor diff` compares. Throws tailor::Error if the profile has
// syscalls of an architecture libseccomp does not know: no runtime could load a filter naming it,
// and leaving it out would kill that code (see README "Seccomp profiles").
SeccompPolicy seccomp_policy_for(const Profile& p, const SeccompOptions& o);

// What the emitters below work around, one line each for people (the CLI prints them as
// `tailor: warning: ...`): syscall names libseccomp does not know (e.g. "syscall_451" for a
// number it has no name for), which are left out of the filter. Empty for a clean profile.
std::vector<std::string> seccomp_warnings(const Profile& p, const SeccompOptions& o);

// Docker / podman `--security-opt seccomp=FILE` JSON.
std::string emit_seccomp_docker(const Profile& p, const SeccompOptions& o);
// The same filter as an OCI runtime-spec `linux.seccomp` object (crun/runc config.json).
std::string emit_seccomp_oci(const Profile& p, const SeccompOptions& o);
// Kubernetes Security Profiles Operator `SeccompProfile` YAML named `name`.
std::string emit_seccomp_spo(const Profile& p, const SeccompOptions& o, const std::string& name);

// ---- AppArmor ---------------------------------------------------------------------------------

struct AppArmorOptions {
  std::string name = "tailor-default";  // profile name (docker --security-opt apparmor=NAME)
};
std::string emit_apparmor(const Profile& p, const AppArmorOptions& o);

// The file rules emit_apparmor writes, as data: each collapsed pattern ("/etc/ld.so.cache",
// "owner @{PROC}/@{pid}/maps", "/usr/lib/python3/**"; unquoted, directories end in '/') with
// its permission letters ("r", "rwk", "ix", ...) and the recorded paths it stands for (/proc/self
// resolved to a pid; directories with a trailing '/'). Sorted by pattern. `tailor diff` compares
// profiles at this granularity, so temp names and pids do not look new on every run.
struct AppArmorFileRule {
  std::string pattern;
  bool owner = false;
  std::string perms;
  std::vector<std::string> paths;
};
std::vector<AppArmorFileRule> apparmor_file_rules(const Profile& p);
// True if an AppArmor path pattern (globs *, **, ?, [...], {a,b}; the @{PROC}/@{pid}/@{tid}
// variables the emitter uses) matches the concrete `path`.
bool apparmor_pattern_matches(const std::string& pattern, const std::string& path);
// The pattern the emitter would write for one recorded path (temp names and pids as globs).
std::string apparmor_path_pattern(const std::string& path);

// Many patterns against many paths (`tailor diff` checks every recorded path of one profile
// against every rule of the other): each pattern is compiled once, and a path is tried only
// against the patterns that begin with the same literal directory as the path, not against all
// of them. Answers exactly as apparmor_pattern_matches does, pattern by pattern.
class AppArmorPatternSet {
 public:
  explicit AppArmorPatternSet(const std::vector<std::string>& patterns);
  ~AppArmorPatternSet();
  AppArmorPatternSet(AppArmorPatternSet&&) noexcept;
  AppArmorPatternSet& operator=(AppArmorPatternSet&&) noexcept;
  // Indices into `patterns` of those that match `path`, ascending, each once.
  std::vector<std::size_t> matching(const std::string& path) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- hardening flags --------------------------------------------------------------------------

// Every hardening decision emit_flags makes for a profile, as data: the four flag formats, the
// hardening needs `tailor diff` compares and `tailor audit` / `tailor harden` all read this one
// plan, so they never disagree about what the app needs.
struct PublishedPort {  // docker/podman `-p [HOST_IP:]PORT:PORT[/udp]`
  std::string proto;    // "tcp", "udp"
  std::string host_ip;  // "" = every address of the host, both families
  int port = 0;
  std::string seen;            // where the app listened, "0.0.0.0:8080"
  bool host_specific = false;  // it listened on one of the recording host's own addresses

  std::string spec() const {
    std::string h =
        host_ip.empty()
            ? ""
            : (host_ip.find(':') != std::string::npos ? "[" + host_ip + "]" : host_ip) + ":";
    return h + std::to_string(port) + ":" + std::to_string(port) + (proto == "udp" ? "/udp" : "");
  }
};

struct HardeningPlan {
  std::vector<std::pair<std::string, std::string>> caps;   // NAME without CAP_, why
  std::vector<std::pair<std::string, std::string>> hints;  // refused while recording
  bool nnp = true;                                         // no-new-privileges is safe
  std::vector<std::string> privileged_exes;                // "path (setuid)" when nnp is off
  std::vector<std::string> tmpfs;                          // mount points
  std::map<std::string, std::set<std::string>> tmpfs_for;  // mount point -> written dirs
  std::vector<std::string> volumes;                        // written dirs needing a volume
  std::vector<std::string> read_only_writes;  // /sys, /proc/sys...: read-only in containers
  std::set<std::string> net_families;         // families that need a network namespace
  std::vector<std::string> net_reasons;       // why, for the comment ("inet to 10.0.0.6:5432")
  bool more_net_reasons = false;              // more than the comment lists
  bool network_none = true;                   // --network none runs it
  std::vector<PublishedPort> publish;         // -p: servers reachable from outside
  std::vector<std::string> loopback_servers;  // "127.0.0.1:8081/tcp": reachable from inside only
  std::vector<std::string> unpublishable;     // servers on a port chosen at run time
  std::map<std::string, std::string> volume_names;  // written dir -> named volume
  bool ran_as_root = false;
  bool run_as_nobody = false;  // ran as root, exercised no capability: --user 65534:65534
  std::optional<std::pair<std::uint32_t, std::uint32_t>> nonroot_ids;  // ran as this uid:gid
  std::uint64_t peak_tasks = 0, pids = 0;  // pids: the limit offered (0: none recorded)
  std::uint64_t peak_rss_kb = 0, peak_processes = 0, memory_mib = 0;
  std::uint64_t peak_fds = 0, nofile = 0;
  std::vector<std::string> commands;  // the recorded command lines, cleaned for comments
};
HardeningPlan hardening_plan(const Profile& p);

enum class FlagsFormat { kDocker, kPodman, kCompose, kK8s };
std::optional<FlagsFormat> flags_format_from_name(std::string_view name);

struct FlagsOptions {
  FlagsFormat format = FlagsFormat::kDocker;
  // Path the seccomp profile was written to (the CLI makes it absolute, so the printed command
  // runs from any directory). Empty: no seccomp option, the engine's default profile applies.
  std::string seccomp_file;
  bool seccomp_nnp_only = false;  // that file is the nnp-only variant: say so, and require nnp
  std::string apparmor_name;      // empty: no AppArmor option
  std::string image = "IMAGE";    // for docker/podman command lines, compose and k8s
  // Arguments after the image (docker/podman), compose `command:`, k8s `args:`: each replaces
  // the image's CMD and keeps its ENTRYPOINT. Empty: the image's own CMD.
  std::vector<std::string> command;
  std::string service = "app";  // compose service / k8s container name
};
std::string emit_flags(const Profile& p, const FlagsOptions& o);

// The hardening decisions of emit_flags that a change in the workload can relax, each as a
// stable key ("no-new-privileges off", "tmpfs /tmp", "volume /srv/data", "network inet",
// "user root") mapped to why (for people; it may differ between runs). Resource limits are not
// among them: peaks vary from run to run. Capabilities neither: they are a profile axis of
// their own. `tailor diff` reports a key NEW has and OLD lacks as drift.
std::map<std::string, std::string> hardening_needs(const Profile& p);

}  // namespace tailor
