// Docker / OCI seccomp profiles as plain data, their JSON forms, and a compiler into libseccomp.
//
// One model serves both formats. The OCI runtime-spec `linux.seccomp` object is the common core
// (defaultAction, defaultErrnoRet, architectures, flags, listener*, syscalls[] with names /
// action / errnoRet / args); Docker's (moby's) format adds what a runtime resolves before it
// installs the filter: `archMap` (architectures chosen by the host's arch) and per-rule
// `includes` / `excludes` conditions on capabilities, arches and the kernel version, plus a
// `comment` and the deprecated single `name`. resolve_seccomp_policy() turns the Docker form into
// the OCI form the way moby does; SeccompFilter compiles either the way crun does.
//
// Strings (actions, ops, arches, flags) are kept as written so a profile read and written again
// is the same profile; the reader checks each against libseccomp's vocabulary, so a policy that
// came through seccomp_policy_from_json only contains values the compiler accepts.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tailor {

struct SeccompArg {
  std::uint32_t index = 0;      // syscall argument 0..5
  std::uint64_t value = 0;      // datum_a (for SCMP_CMP_MASKED_EQ: the mask)
  std::uint64_t value_two = 0;  // datum_b (for SCMP_CMP_MASKED_EQ: the value after masking)
  std::string op;               // "SCMP_CMP_EQ", "SCMP_CMP_MASKED_EQ", ...
  bool operator==(const SeccompArg&) const = default;
};

// A Docker-format rule condition. `arches` use moby's names for the host ("amd64", "x86",
// "x32", "arm64", ...), `caps` capability names ("CAP_SYS_ADMIN"), `min_kernel` "<major>.<minor>".
struct SeccompCondition {
  std::vector<std::string> caps;
  std::vector<std::string> arches;
  std::string min_kernel;  // empty: no condition
  bool empty() const { return caps.empty() && arches.empty() && min_kernel.empty(); }
  bool operator==(const SeccompCondition&) const = default;
};

struct SeccompRule {
  std::vector<std::string> names;
  std::string action;                      // "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", ...
  std::optional<std::uint32_t> errno_ret;  // SCMP_ACT_ERRNO / SCMP_ACT_TRACE only
  std::vector<SeccompArg> args;            // all must match (same index twice: either, as runc)
  SeccompCondition includes, excludes;     // Docker format only
  std::string comment;                     // Docker format only
  bool operator==(const SeccompRule&) const = default;
};

struct SeccompArchMapEntry {
  std::string architecture;                    // "SCMP_ARCH_X86_64"
  std::vector<std::string> sub_architectures;  // "SCMP_ARCH_X86", "SCMP_ARCH_X32"
  bool operator==(const SeccompArchMapEntry&) const = default;
};

struct SeccompPolicy {
  std::string default_action = "SCMP_ACT_ERRNO";
  std::optional<std::uint32_t> default_errno_ret;
  std::vector<std::string> architectures;     // "SCMP_ARCH_X86_64" (lower case "x86_64" accepted)
  std::vector<SeccompArchMapEntry> arch_map;  // Docker format only; exclusive with architectures
  std::vector<std::string> flags;             // "SECCOMP_FILTER_FLAG_LOG", ...
  std::string listener_path;                  // for SCMP_ACT_NOTIFY agents
  std::string listener_metadata;
  std::vector<SeccompRule> syscalls;
  std::string comment;  // Docker format only (a top-level "comment", which engines ignore)
  bool operator==(const SeccompPolicy&) const = default;
};

// ---- JSON -------------------------------------------------------------------------------------

// Docker / podman `--security-opt seccomp=FILE` JSON: every field of the model.
std::string to_docker_seccomp_json(const SeccompPolicy& policy);
// OCI runtime-spec `linux.seccomp` object. Throws tailor::Error if the policy still has Docker-only
// parts (archMap, includes/excludes): resolve_seccomp_policy() first. Comments are dropped.
std::string to_oci_seccomp_json(const SeccompPolicy& policy);

// Reads either format (a Docker profile, moby's default profile, or an OCI linux.seccomp object).
// Unknown keys are ignored, as runtimes do; known keys must have the right type and a value
// libseccomp understands (action, op, arch, flag, errnoRet only with ERRNO/TRACE, arg index < 6).
// Syscall names are NOT checked: runtimes skip names libseccomp does not know (SeccompFilter
// reports them). Throws tailor::Error with a one-line message on anything else.
SeccompPolicy seccomp_policy_from_json(std::string_view text);

// ---- Docker-format conditions -----------------------------------------------------------------

// What a Docker-format policy becomes on this host for a container with `caps` (its bounding set),
// as moby does it: archMap gives the host arch's entry and its sub-arches; a rule is dropped if
// any `excludes` matches (arch is the host's, a cap is in `caps`, kernel >= minKernel) or if any
// `includes` does not (host arch not listed, a listed cap missing, kernel < minKernel).
// `kernel_release` is uname -r; empty = this machine's. Throws tailor::Error if both
// architectures and archMap are set, or on a malformed minKernel.
SeccompPolicy resolve_seccomp_policy(const SeccompPolicy& policy, const std::set<std::string>& caps,
                                     const std::string& kernel_release = {});

// moby's name of the host architecture for includes/excludes.arches ("amd64" on x86_64).
std::string seccomp_host_arch_name();

// ---- libseccomp -------------------------------------------------------------------------------

// True if libseccomp knows `name` on some architecture (what runtimes accept in a profile).
bool seccomp_knows_syscall(std::string_view name);
// True if libseccomp knows the architecture: "x86_64", "aarch64", or Docker's "SCMP_ARCH_X86_64".
bool seccomp_knows_arch(std::string_view name);

// A compiled filter: owns a libseccomp context (scmp_filter_ctx), released on destruction.
// Built as crun builds it: seccomp_init(defaultAction), architectures added (the native one is
// always present), rules whose action equals the default skipped, names resolved with
// seccomp_syscall_resolve_name and unknown ones skipped (reported in `skipped`), args mapped to
// SCMP_CMP_* (several comparisons on the same argument become one rule each: an OR, as runc and
// crun do it). Docker-format conditions are resolved first with `caps`.
class SeccompFilter {
 public:
  // Throws tailor::Error (one line) if libseccomp rejects anything.
  static SeccompFilter compile(const SeccompPolicy& policy, const std::set<std::string>& caps = {},
                               std::vector<std::string>* skipped = nullptr);

  SeccompFilter(SeccompFilter&& other) noexcept;
  SeccompFilter& operator=(SeccompFilter&& other) noexcept;
  SeccompFilter(const SeccompFilter&) = delete;
  SeccompFilter& operator=(const SeccompFilter&) = delete;
  ~SeccompFilter();

  // Classic BPF program, as the kernel receives it (struct sock_filter array).
  void export_bpf(int fd) const;
  std::vector<unsigned char> bpf() const;
  // Installs the filter on the calling thread (and its future children). The caller must have set
  // PR_SET_NO_NEW_PRIVS or hold CAP_SYS_ADMIN: loading does not set no_new_privs by itself (as
  // runc and crun leave that decision to the process spec). Throws tailor::Error on failure.
  void load() const;

  // The scmp_filter_ctx (a void* in libseccomp's API), still owned by this object.
  void* native_handle() const { return ctx_; }

 private:
  explicit SeccompFilter(void* ctx) : ctx_(ctx) {}
  void* ctx_ = nullptr;
};

}  // namespace tailor
