// Seccomp profiles from a tailor profile: Docker JSON, OCI linux.seccomp, and a Kubernetes
// Security Profiles Operator SeccompProfile. All three come from one SeccompPolicy built here.
//
// The policy is an allow list: defaultAction SCMP_ACT_ERRNO with errno 1 (EPERM, what a program
// expects from a forbidden call and what moby's default uses), one sorted rule allowing every
// syscall the profile recorded on any arch, the calls a process needs to die cleanly, and the
// runtime's measured baseline (emitters/runtime_baseline.cpp). Where the profile proves a narrower
// rule safe, the call is allowed only with the arguments it used, as moby's default does:
//   clone      without the CLONE_NEW* flags the workload did not use (flags are argument 0);
//   clone3     its flags live in memory seccomp cannot read, so it answers ENOSYS unless the
//              workload created namespaces; glibc then falls back to clone, which the flag
//              filter checks. clone is allowed for that fallback even if only clone3 was seen;
//   unshare    masked like clone, CLONE_NEWTIME included (it is a flag only for unshare/clone3);
//   socket     one rule per address family used (argument 0);
//   personality  one rule per persona value used (the kernel reads the low 32 bits only, so the
//              comparison masks them: a caller's garbage in the high half changes nothing).
// i386's socketcall multiplexes socket() behind a pointer, so it stays in the plain rule.
// --no-arg-filters puts every recorded call in the plain rule.
#include <sched.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tailor/emitters.h"
#include "tailor/error.h"
#include "tailor/profile.h"
#include "tailor/seccomp.h"

namespace tailor {
namespace {

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

constexpr std::uint32_t kErrnoEnosys = 38;  // ENOSYS on every Linux arch tailor targets

// A container that cannot call these cannot exit: a missing exit_group leaves a task spinning,
// a missing rt_sigreturn turns the first signal handler into a SIGSEGV loop, and a missing
// restart_syscall breaks a sleep interrupted by SIGSTOP/SIGCONT.
constexpr std::array<const char*, 4> kAlwaysAllowed = {"exit", "exit_group", "restart_syscall",
                                                       "rt_sigreturn"};

struct NsFlag {
  const char* name;
  std::uint64_t value;
  bool clone_flag;  // valid in clone(2)'s flags (CLONE_NEWTIME's bit is CSIGNAL there)
};
constexpr std::array kNsFlags = {
    NsFlag{"CLONE_NEWNS", CLONE_NEWNS, true},     NsFlag{"CLONE_NEWCGROUP", CLONE_NEWCGROUP, true},
    NsFlag{"CLONE_NEWUTS", CLONE_NEWUTS, true},   NsFlag{"CLONE_NEWIPC", CLONE_NEWIPC, true},
    NsFlag{"CLONE_NEWUSER", CLONE_NEWUSER, true}, NsFlag{"CLONE_NEWPID", CLONE_NEWPID, true},
    NsFlag{"CLONE_NEWNET", CLONE_NEWNET, true},   NsFlag{"CLONE_NEWTIME", CLONE_NEWTIME, false},
};

// The family names the recorder writes (tracer/recorder.cpp), back to numbers.
struct Family {
  const char* name;
  int value;
};
constexpr std::array kFamilies = {
    Family{"unspec", AF_UNSPEC},   Family{"unix", AF_UNIX},
    Family{"inet", AF_INET},       Family{"inet6", AF_INET6},
    Family{"netlink", AF_NETLINK}, Family{"packet", AF_PACKET},
    Family{"key", AF_KEY},         Family{"alg", AF_ALG},
    Family{"vsock", AF_VSOCK},     Family{"bluetooth", AF_BLUETOOTH},
    Family{"can", AF_CAN},         Family{"tipc", AF_TIPC},
    Family{"xdp", AF_XDP},         Family{"appletalk", AF_APPLETALK},
    Family{"ax25", AF_AX25},
};

std::optional<std::uint64_t> family_number(const std::string& name) {
  for (const auto& f : kFamilies)
    if (name == f.name) return static_cast<std::uint64_t>(f.value);
  if (name.size() > 3 && name.rfind("AF_", 0) == 0 && name.size() <= 6) {
    std::uint64_t v = 0;
    for (std::size_t i = 3; i < name.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(name[i]))) return std::nullopt;
      v = v * 10 + static_cast<std::uint64_t>(name[i] - '0');
    }
    return v;
  }
  return std::nullopt;
}

std::string scmp_arch(const std::string& arch) {
  std::string up;
  for (char c : arch) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "SCMP_ARCH_" + up;
}

SeccompRule allow(const std::string& name, std::vector<SeccompArg> args = {}) {
  SeccompRule r;
  r.names = {name};
  r.action = "SCMP_ACT_ALLOW";
  r.args = std::move(args);
  return r;
}

SeccompArg arg0(std::uint64_t value, std::uint64_t value_two, const char* op) {
  return SeccompArg{0, value, value_two, op};
}

struct Built {
  SeccompPolicy policy;
  std::vector<std::string> unknown;  // names libseccomp cannot resolve (left out)
};

// An architecture libseccomp does not know cannot be named in a filter any runtime loads (and
// "SCMP_ARCH_" + a typo is not an architecture). Dropping it would make the filter kill every
// call of that code at run time, so it is bad input, refused before anything is written: a CI
// job fails where the profile is made, not where the app dies. (The recorder names arches
// libseccomp knows; others come from hand-edited or foreign profiles.)
// Names come from the input file: one line whatever they hold.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s.substr(0, 60))
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  return out;
}

void check_arches(const Profile& p) {
  for (const auto& [arch, calls] : p.syscalls) {
    // "native" is libseccomp's alias for the host, not an architecture a recording can have.
    if (calls.empty() || (arch != "native" && seccomp_knows_arch(arch))) continue;
    const std::string shown = printable(arch);
    throw Error("seccomp: the profile has syscalls of architecture \"" + shown +
                "\", which libseccomp does not know; no runtime can load a filter for it (remove "
                "that architecture's syscalls from the profile)");
  }
}

}  // namespace

SeccompArchitectures seccomp_architectures(const Profile& p) {
  std::set<std::string> with_calls, recorded;
  for (const auto& [arch, calls] : p.syscalls) {
    if (calls.empty()) continue;
    with_calls.insert(arch);
    for (const auto& [name, ev] : calls)
      if (!ev.by.empty()) recorded.insert(arch);
  }
  // Nothing recorded: a profile of static findings alone. Its architectures are those of the
  // objects analysed (their ELF headers), not those their sites' numbers were read for.
  std::set<std::string> allowed = recorded;
  if (recorded.empty()) {
    for (const auto& [path, obj] : p.analysis.objects)
      if (with_calls.count(obj.arch)) allowed.insert(obj.arch);
    if (allowed.empty()) allowed = with_calls;  // no objects described: nothing to judge by
  }
  SeccompArchitectures out;
  if (allowed.count("x86_64")) out.allowed.push_back("x86_64");
  for (const auto& a : allowed)
    if (a != "x86_64") out.allowed.push_back(a);
  for (const auto& a : with_calls)
    if (!allowed.count(a)) out.static_only.push_back(a);
  return out;
}

namespace {

Built build(const Profile& p, const SeccompOptions& o) {
  check_arches(p);
  Built b;
  SeccompPolicy& pol = b.policy;
  pol.default_action = "SCMP_ACT_ERRNO";
  pol.default_errno_ret = 1;

  // Arches the workload ran code for, the native one first. x86_64 alone makes libseccomp's
  // filter refuse i386 and x32 calls outright (bad arch), closing the 32-bit ABI. An arch that
  // only static analysis brought is left out, with its syscalls (seccomp_architectures).
  const SeccompArchitectures arches = seccomp_architectures(p);
  for (const auto& arch : arches.allowed) pol.architectures.push_back(scmp_arch(arch));

  std::set<std::string> recorded;
  for (const auto& [arch, calls] : p.syscalls)
    if (std::find(arches.allowed.begin(), arches.allowed.end(), arch) != arches.allowed.end())
      for (const auto& [name, ev] : calls) recorded.insert(name);

  // Calls that must be allowed whatever their arguments: the exit set and the runtime's own
  // (measured, so their arguments are the runtime's business, not the profile's).
  std::set<std::string> unconditional(kAlwaysAllowed.begin(), kAlwaysAllowed.end());
  for (const auto& n : runtime_baseline(o.runtime, o.no_new_privileges)) unconditional.insert(n);
  for (const Runtime r : o.more_runtimes)
    for (const auto& n : runtime_baseline(r, o.no_new_privileges)) unconditional.insert(n);

  std::set<std::string> plain = recorded;
  plain.insert(unconditional.begin(), unconditional.end());

  // Arg rules by syscall name; a name with rules leaves the plain rule.
  std::map<std::string, std::vector<SeccompRule>> filtered;
  auto filter = [&](const std::string& name, std::vector<SeccompRule> rules) {
    if (unconditional.count(name) || rules.empty()) return;
    filtered[name] = std::move(rules);
    plain.erase(name);
  };

  std::uint64_t ns_used = 0;
  for (const auto& [flag, ev] : p.process.namespaces)
    for (const auto& f : kNsFlags)
      if (flag == f.name) ns_used |= f.value;
  // "setns" (a setns with nstype 0) joins namespaces without creating any: no clone flags.

  const bool has_clone = recorded.count("clone") > 0;
  const bool has_clone3 = recorded.count("clone3") > 0;
  if (o.arg_filters) {
    if (has_clone || has_clone3) {
      std::uint64_t mask = 0;
      for (const auto& f : kNsFlags)
        if (f.clone_flag && !(ns_used & f.value)) mask |= f.value;
      if (mask != 0) {
        filter("clone", {allow("clone", {arg0(mask, 0, "SCMP_CMP_MASKED_EQ")})});
      } else {
        plain.insert("clone");
      }
    }
    if (recorded.count("unshare")) {
      std::uint64_t mask = 0;
      for (const auto& f : kNsFlags)
        if (!(ns_used & f.value)) mask |= f.value;
      if (mask != 0) filter("unshare", {allow("unshare", {arg0(mask, 0, "SCMP_CMP_MASKED_EQ")})});
    }
    if (recorded.count("socket")) {
      std::set<std::uint64_t> families;
      bool all_known = !p.sockets.empty();
      for (const auto& [sock, ev] : p.sockets) {
        auto f = family_number(sock.family);
        if (!f)
          all_known = false;
        else
          families.insert(*f);
      }
      // A family tailor cannot name back to a number would be denied: then filter nothing.
      if (all_known) {
        std::vector<SeccompRule> rules;
        for (auto f : families) rules.push_back(allow("socket", {arg0(f, 0, "SCMP_CMP_EQ")}));
        filter("socket", std::move(rules));
      }
    }
    if (recorded.count("personality") && !p.process.personality.empty()) {
      std::vector<SeccompRule> rules;
      for (const auto& [persona, ev] : p.process.personality)
        rules.push_back(
            allow("personality", {arg0(0xffffffffu, persona & 0xffffffffu, "SCMP_CMP_MASKED_EQ")}));
      filter("personality", std::move(rules));
    }
  }
  // clone3 answers ENOSYS (glibc falls back to clone) whenever it is not allowed outright: when
  // the flag filter on clone is active, or when it was never recorded but clone was — a newer
  // glibc in the image may try clone3 first, and EPERM there would fail fork and pthread_create.
  if ((has_clone || has_clone3) && !unconditional.count("clone3")) {
    const bool clone3_plain = has_clone3 && (!o.arg_filters || ns_used != 0);
    if (!clone3_plain) {
      SeccompRule r;
      r.names = {"clone3"};
      r.action = "SCMP_ACT_ERRNO";
      r.errno_ret = kErrnoEnosys;
      r.comment = "clone3's flags cannot be filtered: ENOSYS makes glibc fall back to clone";
      filtered.erase("clone3");
      filtered["clone3"] = {r};
      plain.erase("clone3");
    }
  }

  // Only names libseccomp resolves: a runtime would skip the others silently, so say so.
  SeccompRule all;
  all.action = "SCMP_ACT_ALLOW";
  for (const auto& n : plain) {
    if (seccomp_knows_syscall(n))
      all.names.push_back(n);
    else
      b.unknown.push_back(n);
  }
  if (!b.unknown.empty()) {
    all.comment = "left out, unknown to libseccomp:";
    for (const auto& n : b.unknown) all.comment += " " + n;
  }
  if (!all.names.empty()) pol.syscalls.push_back(std::move(all));
  for (auto& [name, rules] : filtered)
    for (auto& r : rules) pol.syscalls.push_back(std::move(r));
  pol.comment = "Generated by tailor from a recorded profile, for " + seccomp_variant(o) + ".";
  return b;
}

// ---- YAML by hand: every scalar tailor writes is a name, a number or a known constant ------

bool yaml_plain_ok(const std::string& s) {
  if (s.empty()) return false;
  static const std::set<std::string> kSpecial = {"true", "false", "null", "yes", "no",
                                                 "on",   "off",   "y",    "n",   "~"};
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (kSpecial.count(lower)) return false;
  if (!std::isalpha(static_cast<unsigned char>(s[0])) && s[0] != '_') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

std::string yaml_scalar(const std::string& s) {
  if (yaml_plain_ok(s)) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[(c >> 4) & 0xf];
      out += hex[c & 0xf];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// metadata.name of a Kubernetes object: an RFC 1123 subdomain.
void check_k8s_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 253 &&
            std::isalnum(static_cast<unsigned char>(name[0])) &&
            std::isalnum(static_cast<unsigned char>(name.back()));
  for (char c : name)
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.'))
      ok = false;
  if (!ok)
    throw Error("seccomp: \"" + name.substr(0, 80) +
                "\" is not a valid Kubernetes name (lower case letters, digits, '-' and '.', "
                "starting and ending with a letter or digit, at most 253 characters)");
}

}  // namespace

std::string seccomp_variant(const SeccompOptions& o) {
  std::set<Runtime> runtimes = o.more_runtimes;
  runtimes.insert(o.runtime);
  if (runtimes.count(Runtime::kAll)) runtimes = {Runtime::kAll};
  if (runtimes.size() > 1) runtimes.erase(Runtime::kNone);  // none adds nothing to the others
  if (runtimes == std::set<Runtime>{Runtime::kNone})
    return "no container runtime (--runtime none: tailor run, or a loader that execs right "
           "after installing the filter)";
  std::vector<std::string> names;
  for (const Runtime r : runtimes) {
    switch (r) {
      case Runtime::kAll:
        names.push_back("docker, podman, runc and crun");
        break;
      case Runtime::kPodman:
        names.push_back("podman with crun or runc");
        break;
      default:
        names.push_back(std::string(runtime_name(r)));
        break;
    }
  }
  std::string engines;
  for (std::size_t i = 0; i < names.size(); ++i)
    engines += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  if (o.no_new_privileges)
    return engines +
           ", ONLY with no-new-privileges (--security-opt no-new-privileges; without it the "
           "runtime fails before the app starts)";
  return engines + ", with or without no-new-privileges";
}

SeccompPolicy seccomp_policy_for(const Profile& p, const SeccompOptions& o) {
  return build(p, o).policy;
}

std::vector<std::string> seccomp_warnings(const Profile& p, const SeccompOptions& o) {
  const Built b = build(p, o);
  std::vector<std::string> out;
  for (const auto& name : b.unknown) {
    std::string arches;
    for (const auto& [arch, calls] : p.syscalls)
      if (calls.count(name)) arches += (arches.empty() ? "" : ", ") + printable(arch);
    out.push_back("syscall " + printable(name) + (arches.empty() ? "" : " (" + arches + ")") +
                  " is unknown to libseccomp: left out of the seccomp filter, so the workload's "
                  "calls to it will fail with EPERM");
  }
  return out;
}

std::string emit_seccomp_docker(const Profile& p, const SeccompOptions& o) {
  return to_docker_seccomp_json(build(p, o).policy);
}

std::string emit_seccomp_oci(const Profile& p, const SeccompOptions& o) {
  return to_oci_seccomp_json(build(p, o).policy);
}

std::string emit_seccomp_spo(const Profile& p, const SeccompOptions& o, const std::string& name) {
  check_k8s_name(name);
  const Built b = build(p, o);
  const SeccompPolicy& pol = b.policy;
  std::string y;
  y +=
      "# Security Profiles Operator SeccompProfile, generated by tailor from a recorded profile,\n";
  y += "# for " + seccomp_variant(o) + ".\n";
  if (!b.unknown.empty()) {
    y += "# Left out, unknown to libseccomp:";
    for (const auto& n : b.unknown) y += " " + yaml_scalar(n);
    y += "\n";
  }
  y += "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\n";
  y += "kind: SeccompProfile\n";
  y += "metadata:\n";
  y += "  name: " + yaml_scalar(name) + "\n";
  y += "spec:\n";
  // SPO has no defaultErrnoRet: SCMP_ACT_ERRNO without one returns EPERM (1), the same thing.
  y += "  defaultAction: " + pol.default_action + "\n";
  if (!pol.architectures.empty()) {
    y += "  architectures:\n";
    for (const auto& a : pol.architectures) y += "  - " + yaml_scalar(a) + "\n";
  }
  y += "  syscalls:\n";
  for (const auto& r : pol.syscalls) {
    y += "  - action: " + r.action + "\n";
    if (r.errno_ret) y += "    errnoRet: " + std::to_string(*r.errno_ret) + "\n";
    y += "    names:\n";
    for (const auto& n : r.names) y += "    - " + yaml_scalar(n) + "\n";
    if (!r.args.empty()) {
      y += "    args:\n";
      for (const auto& a : r.args) {
        y += "    - index: " + std::to_string(a.index) + "\n";
        y += "      value: " + std::to_string(a.value) + "\n";
        if (a.value_two != 0) y += "      valueTwo: " + std::to_string(a.value_two) + "\n";
        y += "      op: " + a.op + "\n";
      }
    }
  }
  return y;
}

}  // namespace tailor
