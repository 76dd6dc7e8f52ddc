// Emitters: pure functions from a Profile (and options) to text. No I/O happens here; the CLI
// writes what they return. Every output is deterministic (sorted), so it diffs cleanly.
#pragma once

#include <map>
#include <optional>
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

// The security coverage report of `generate --static-mode report`: the syscalls static analysis
// found reachable that no recording ever saw, grouped by the object and function that make them,
// with the objects' unresolved sites, dlopen names and missing libraries. "" if the profile has
// no static evidence.
std::string emit_static_report(const Profile& p);

// ---- shared decisions -------------------------------------------------------------------------

// The container runtime that will install the filter. Runtimes make syscalls of their own after
// the filter is in place and before they exec the app; a profile must allow those too.
enum class Runtime { kDocker, kPodman, kRunc, kCrun, kNone };
std::optional<Runtime> runtime_from_name(std::string_view name);  // "docker", "podman", ...
std::string_view runtime_name(Runtime r);

// True when the flags emitted for this profile include no-new-privileges: no setuid/setgid or
// file-capability executable was run. The seccomp runtime baseline follows the same answer,
// because with no-new-privileges the runtime installs the filter right before execve and needs
// far fewer syscalls under it.
bool wants_no_new_privileges(const Profile& p);

// The syscalls `r` makes under the container's filter before exec'ing the app, as measured on
// this project's machines with the real runtimes (emitters/runtime_baseline.cpp says how).
// kDocker is runc as Docker drives it. kNone: empty.
const std::vector<std::string>& runtime_baseline(Runtime r, bool no_new_privileges);

// ---- seccomp ----------------------------------------------------------------------------------

struct SeccompOptions {
  Runtime runtime = Runtime::kDocker;
  bool arg_filters = true;  // clone/unshare flags, socket families, personality values
  // Default: wants_no_new_privileges(profile).
  std::optional<bool> no_new_privileges;
};

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
// given a tailor profile and what `tailor diff` compares.
SeccompPolicy seccomp_policy_for(const Profile& p, const SeccompOptions& o);

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

// ---- hardening flags --------------------------------------------------------------------------

enum class FlagsFormat { kDocker, kPodman, kCompose, kK8s };
std::optional<FlagsFormat> flags_format_from_name(std::string_view name);

struct FlagsOptions {
  FlagsFormat format = FlagsFormat::kDocker;
  std::string seccomp_file = "seccomp.json";  // path the seccomp profile was written to
  std::string apparmor_name;                  // empty: no AppArmor option
  std::string image = "IMAGE";                // for docker/podman command lines
  std::string service = "app";                // compose service / k8s container name
};
std::string emit_flags(const Profile& p, const FlagsOptions& o);

// The hardening decisions of emit_flags that a change in the workload can relax, each as a
// stable key ("no-new-privileges off", "tmpfs /tmp", "volume /srv/data", "network inet",
// "user root") mapped to why (for people; it may differ between runs). Resource limits are not
// among them: peaks vary from run to run. Capabilities neither: they are a profile axis of
// their own. `tailor diff` reports a key NEW has and OLD lacks as drift.
std::map<std::string, std::string> hardening_needs(const Profile& p);

}  // namespace tailor
