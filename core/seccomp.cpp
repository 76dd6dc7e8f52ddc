#include "tailor/seccomp.h"

#include <seccomp.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "tailor/error.h"

namespace tailor {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

namespace {

// ---- vocabulary: the names runtimes accept, mapped to libseccomp's values ---------------------

struct ActionName {
  std::string_view name;
  std::uint32_t base;  // for ERRNO/TRACE the errno/message is or-ed in
  bool takes_errno;
};

// The set crun and runc accept. KILL is KILL_THREAD in libseccomp (the kernel's historic
// SECCOMP_RET_KILL); KILL_PROCESS needs Linux 4.14, LOG 4.14, NOTIFY 5.0 at load time, not here.
constexpr std::array kActions = {
    ActionName{"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    ActionName{"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    ActionName{"SCMP_ACT_KILL", SCMP_ACT_KILL, false},
    ActionName{"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    ActionName{"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    ActionName{"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    ActionName{"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    ActionName{"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    ActionName{"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
};

struct OpName {
  std::string_view name;
  scmp_compare op;
};
constexpr std::array kOps = {
    OpName{"SCMP_CMP_NE", SCMP_CMP_NE},
    OpName{"SCMP_CMP_LT", SCMP_CMP_LT},
    OpName{"SCMP_CMP_LE", SCMP_CMP_LE},
    OpName{"SCMP_CMP_EQ", SCMP_CMP_EQ},
    OpName{"SCMP_CMP_GE", SCMP_CMP_GE},
    OpName{"SCMP_CMP_GT", SCMP_CMP_GT},
    OpName{"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

// seccomp(2) flags of the OCI spec. libseccomp 2.5 has attributes for three of them;
// WAIT_KILLABLE_RECV only changes how a notify agent's target waits, so it is accepted and left to
// the runtime (libseccomp 2.6 adds SCMP_FLTATR_CTL_WAITKILL).
constexpr std::array<std::string_view, 4> kFlags = {
    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};

const ActionName* find_action(std::string_view name) {
  for (const auto& a : kActions)
    if (a.name == name) return &a;
  return nullptr;
}

const OpName* find_op(std::string_view name) {
  for (const auto& o : kOps)
    if (o.name == name) return &o;
  return nullptr;
}

// Arch spelling as crun reads it: an optional SCMP_ARCH_ prefix, any case, then libseccomp's
// own name. "native" is the host. 0 = unknown.
std::uint32_t arch_value(std::string_view spelled) {
  std::string n(spelled);
  if (n.rfind("SCMP_ARCH_", 0) == 0) n = n.substr(10);
  if (n.empty() || n.size() > 31) return 0;
  for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n.find('\0') != std::string::npos) return 0;
  if (n == "native") return seccomp_arch_native();
  return seccomp_arch_resolve_name(n.c_str());
}

// ---- errors -----------------------------------------------------------------------------------

// Values come from the input: no newlines or terminal escapes in the one-line message.
std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  return out.size() > 120 ? out.substr(0, 120) + "..." : out;
}

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw Error("malformed seccomp profile: " + printable(where) + ": " + printable(what));
}

// ---- reading ----------------------------------------------------------------------------------

// Go's encoding/json (moby, SPO) and the runtimes' parsers treat null like an absent key.
const json* member(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string get_string(const json& j, const std::string& where) {
  if (!j.is_string()) bad(where, "expected a string");
  return j.get<std::string>();
}

std::uint64_t get_uint(const json& j, const std::string& where, std::uint64_t max) {
  if (!j.is_number_unsigned()) bad(where, "expected a non-negative integer");
  const auto v = j.get<std::uint64_t>();
  if (v > max) bad(where, "out of range (max " + std::to_string(max) + ")");
  return v;
}

std::vector<std::string> get_strings(const json& j, const std::string& where) {
  if (!j.is_array()) bad(where, "expected an array of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < j.size(); ++i)
    out.push_back(get_string(j[i], where + "[" + std::to_string(i) + "]"));
  return out;
}

void check_action(const std::string& action, const std::string& where) {
  if (!find_action(action)) bad(where, "unknown action \"" + action + "\"");
}

// "errnoRet" means the errno for ERRNO and the tracer's message for TRACE; anything else
// rejects it, like crun ("errno value specified for action").
std::optional<std::uint32_t> read_errno(const json& obj, const char* key, const std::string& action,
                                        const std::string& where) {
  const json* e = member(obj, key);
  if (!e) return std::nullopt;
  const auto v = static_cast<std::uint32_t>(get_uint(*e, where + "." + key, 0xffff));
  if (!find_action(action)->takes_errno)
    bad(where + "." + key, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take one, not " + action);
  return v;
}

struct KernelVersion {
  unsigned major = 0, minor = 0;
};

// "<kernel>.<major revision>", as moby parses minKernel: two small numbers, not 0.0.
std::optional<KernelVersion> parse_min_kernel(const std::string& s) {
  KernelVersion k;
  const auto dot = s.find('.');
  if (dot == std::string::npos || s.find('.', dot + 1) != std::string::npos) return std::nullopt;
  auto num = [](const std::string& part, unsigned& out) {
    if (part.empty() || part.size() > 3) return false;
    for (char c : part)
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    out = static_cast<unsigned>(std::stoul(part));
    return out < 256;
  };
  if (!num(s.substr(0, dot), k.major) || !num(s.substr(dot + 1), k.minor)) return std::nullopt;
  if (k.major == 0 && k.minor == 0) return std::nullopt;
  return k;
}

SeccompCondition read_condition(const json& j, const std::string& where) {
  if (!j.is_object()) bad(where, "expected an object");
  SeccompCondition c;
  if (const json* v = member(j, "caps")) c.caps = get_strings(*v, where + ".caps");
  if (const json* v = member(j, "arches")) c.arches = get_strings(*v, where + ".arches");
  if (const json* v = member(j, "minKernel")) {
    c.min_kernel = get_string(*v, where + ".minKernel");
    if (!c.min_kernel.empty() && !parse_min_kernel(c.min_kernel))
      bad(where + ".minKernel",
          "expected \"<kernel>.<major>\", e.g. \"4.8\", not \"" + c.min_kernel + "\"");
  }
  return c;
}

SeccompArg read_arg(const json& j, const std::string& where) {
  if (!j.is_object()) bad(where, "expected an object");
  SeccompArg a;
  const json* index = member(j, "index");
  if (!index) bad(where, "missing \"index\"");
  a.index = static_cast<std::uint32_t>(get_uint(*index, where + ".index", 5));
  if (const json* v = member(j, "value")) a.value = get_uint(*v, where + ".value", UINT64_MAX);
  if (const json* v = member(j, "valueTwo"))
    a.value_two = get_uint(*v, where + ".valueTwo", UINT64_MAX);
  const json* op = member(j, "op");
  if (!op) bad(where, "missing \"op\"");
  a.op = get_string(*op, where + ".op");
  if (!find_op(a.op)) bad(where + ".op", "unknown operator \"" + a.op + "\"");
  return a;
}

SeccompRule read_rule(const json& j, const std::string& where) {
  if (!j.is_object()) bad(where, "expected an object");
  SeccompRule r;
  const json* names = member(j, "names");
  const json* name = member(j, "name");  // moby's deprecated single-name form
  if (names && name) bad(where, "both \"name\" and \"names\"");
  if (names) r.names = get_strings(*names, where + ".names");
  if (name) r.names.push_back(get_string(*name, where + ".name"));
  if (r.names.empty()) bad(where, "no syscall names");
  for (std::size_t i = 0; i < r.names.size(); ++i)
    if (r.names[i].empty()) bad(where + ".names[" + std::to_string(i) + "]", "empty name");
  const json* action = member(j, "action");
  if (!action) bad(where, "missing \"action\"");
  r.action = get_string(*action, where + ".action");
  check_action(r.action, where + ".action");
  r.errno_ret = read_errno(j, "errnoRet", r.action, where);
  if (const json* args = member(j, "args")) {
    if (!args->is_array()) bad(where + ".args", "expected an array");
    for (std::size_t i = 0; i < args->size(); ++i)
      r.args.push_back(read_arg((*args)[i], where + ".args[" + std::to_string(i) + "]"));
  }
  if (const json* v = member(j, "includes")) r.includes = read_condition(*v, where + ".includes");
  if (const json* v = member(j, "excludes")) r.excludes = read_condition(*v, where + ".excludes");
  if (const json* v = member(j, "comment")) r.comment = get_string(*v, where + ".comment");
  return r;
}

// ---- writing ----------------------------------------------------------------------------------

ordered args_json(const std::vector<SeccompArg>& args) {
  ordered out = ordered::array();
  for (const auto& a : args) {
    ordered o = ordered::object();
    o["index"] = a.index;
    o["value"] = a.value;
    if (a.value_two != 0) o["valueTwo"] = a.value_two;
    o["op"] = a.op;
    out.push_back(std::move(o));
  }
  return out;
}

ordered condition_json(const SeccompCondition& c) {
  ordered o = ordered::object();
  if (!c.caps.empty()) o["caps"] = c.caps;
  if (!c.arches.empty()) o["arches"] = c.arches;
  if (!c.min_kernel.empty()) o["minKernel"] = c.min_kernel;
  return o;
}

ordered policy_json(const SeccompPolicy& p, bool docker) {
  ordered o = ordered::object();
  if (docker && !p.comment.empty()) o["comment"] = p.comment;  // first: what the file is for
  o["defaultAction"] = p.default_action;
  if (p.default_errno_ret) o["defaultErrnoRet"] = *p.default_errno_ret;
  if (!p.architectures.empty()) o["architectures"] = p.architectures;
  if (docker && !p.arch_map.empty()) {
    ordered m = ordered::array();
    for (const auto& e : p.arch_map)
      m.push_back({{"architecture", e.architecture}, {"subArchitectures", e.sub_architectures}});
    o["archMap"] = std::move(m);
  }
  if (!p.flags.empty()) o["flags"] = p.flags;
  if (!p.listener_path.empty()) o["listenerPath"] = p.listener_path;
  if (!p.listener_metadata.empty()) o["listenerMetadata"] = p.listener_metadata;
  ordered rules = ordered::array();
  for (const auto& r : p.syscalls) {
    ordered j = ordered::object();
    j["names"] = r.names;
    j["action"] = r.action;
    if (r.errno_ret) j["errnoRet"] = *r.errno_ret;
    if (!r.args.empty()) j["args"] = args_json(r.args);
    if (docker) {
      if (!r.comment.empty()) j["comment"] = r.comment;
      if (!r.includes.empty()) j["includes"] = condition_json(r.includes);
      if (!r.excludes.empty()) j["excludes"] = condition_json(r.excludes);
    }
    rules.push_back(std::move(j));
  }
  o["syscalls"] = std::move(rules);
  return o;
}

// ---- host facts for Docker-format conditions --------------------------------------------------

KernelVersion host_kernel(const std::string& release_in) {
  std::string release = release_in;
  if (release.empty()) {
    struct utsname u {};
    if (::uname(&u) != 0)
      throw Error("seccomp: uname failed: " + std::string(std::strerror(errno)));
    release = u.release;
  }
  KernelVersion k;
  if (std::sscanf(release.c_str(), "%u.%u", &k.major, &k.minor) != 2)
    throw Error("seccomp: cannot parse kernel release \"" + printable(release) + "\"");
  return k;
}

bool kernel_at_least(const KernelVersion& host, const std::string& min) {
  const auto m = parse_min_kernel(min);
  if (!m) throw Error("seccomp: malformed minKernel \"" + printable(min) + "\"");
  return host.major > m->major || (host.major == m->major && host.minor >= m->minor);
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string errno_text(int err) {
  return std::strerror(err);
}

}  // namespace

// ---- public: JSON -----------------------------------------------------------------------------

std::string to_docker_seccomp_json(const SeccompPolicy& policy) {
  return policy_json(policy, true).dump(2) + "\n";
}

std::string to_oci_seccomp_json(const SeccompPolicy& policy) {
  if (!policy.arch_map.empty())
    throw Error("seccomp: an OCI profile cannot carry archMap; resolve the policy first");
  for (const auto& r : policy.syscalls)
    if (!r.includes.empty() || !r.excludes.empty())
      throw Error(
          "seccomp: an OCI profile cannot carry includes/excludes; resolve the policy first");
  return policy_json(policy, false).dump(2) + "\n";
}

SeccompPolicy seccomp_policy_from_json(std::string_view text) {
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {  // parse_error, and out_of_range for 1e400
    throw Error("malformed seccomp profile: " + printable(e.what()));
  }
  if (!root.is_object()) bad("(top level)", "expected a JSON object");
  // A whole OCI config.json: its linux.seccomp object is the profile.
  const json* top = &root;
  if (!member(root, "defaultAction")) {
    if (const json* linux = member(root, "linux"); linux && linux->is_object())
      if (const json* sc = member(*linux, "seccomp")) top = sc;
  }
  const json& j = *top;
  if (!j.is_object()) bad("linux.seccomp", "expected an object");

  SeccompPolicy p;
  const json* def = member(j, "defaultAction");
  if (!def) bad("(top level)", "missing \"defaultAction\" (not a Docker or OCI seccomp profile?)");
  p.default_action = get_string(*def, "defaultAction");
  check_action(p.default_action, "defaultAction");
  p.default_errno_ret = read_errno(j, "defaultErrnoRet", p.default_action, "(top level)");

  if (const json* v = member(j, "architectures")) {
    p.architectures = get_strings(*v, "architectures");
    for (std::size_t i = 0; i < p.architectures.size(); ++i)
      if (!arch_value(p.architectures[i]))
        bad("architectures[" + std::to_string(i) + "]",
            "unknown architecture \"" + p.architectures[i] + "\"");
  }
  if (const json* v = member(j, "archMap")) {
    if (!v->is_array()) bad("archMap", "expected an array");
    for (std::size_t i = 0; i < v->size(); ++i) {
      const std::string where = "archMap[" + std::to_string(i) + "]";
      const json& e = (*v)[i];
      if (!e.is_object()) bad(where, "expected an object");
      SeccompArchMapEntry entry;
      const json* a = member(e, "architecture");
      if (!a) bad(where, "missing \"architecture\"");
      // Entries for arches libseccomp does not know are kept: only the host's entry is ever used
      // (moby's default lists SCMP_ARCH_LOONGARCH64, which libseccomp 2.5 predates).
      entry.architecture = get_string(*a, where + ".architecture");
      if (const json* s = member(e, "subArchitectures"))
        entry.sub_architectures = get_strings(*s, where + ".subArchitectures");
      p.arch_map.push_back(std::move(entry));
    }
  }
  if (!p.architectures.empty() && !p.arch_map.empty())
    bad("(top level)", "both \"architectures\" and \"archMap\"; use one");
  if (const json* v = member(j, "flags")) {
    p.flags = get_strings(*v, "flags");
    for (std::size_t i = 0; i < p.flags.size(); ++i)
      if (std::find(kFlags.begin(), kFlags.end(), p.flags[i]) == kFlags.end())
        bad("flags[" + std::to_string(i) + "]", "unknown flag \"" + p.flags[i] + "\"");
  }
  if (const json* v = member(j, "listenerPath")) p.listener_path = get_string(*v, "listenerPath");
  if (const json* v = member(j, "listenerMetadata"))
    p.listener_metadata = get_string(*v, "listenerMetadata");
  // Not a field of moby's or the OCI's model: engines ignore it whatever its type, and so do we
  // unless it is the string tailor writes.
  if (const json* v = member(j, "comment"); v && v->is_string()) p.comment = v->get<std::string>();
  if (const json* v = member(j, "syscalls")) {
    if (!v->is_array()) bad("syscalls", "expected an array");
    for (std::size_t i = 0; i < v->size(); ++i)
      p.syscalls.push_back(read_rule((*v)[i], "syscalls[" + std::to_string(i) + "]"));
  }
  return p;
}

// ---- public: Docker-format conditions ---------------------------------------------------------

std::string seccomp_host_arch_name() {
  // moby's spelling (Go's GOARCH mapped to libseccomp-ish names), which its profiles use.
  switch (seccomp_arch_native()) {
    case SCMP_ARCH_X86_64:
      return "amd64";
    case SCMP_ARCH_X86:
      return "x86";
    case SCMP_ARCH_AARCH64:
      return "arm64";
    case SCMP_ARCH_ARM:
      return "arm";
    case SCMP_ARCH_PPC64LE:
      return "ppc64le";
    case SCMP_ARCH_PPC64:
      return "ppc64";
    case SCMP_ARCH_S390X:
      return "s390x";
    case SCMP_ARCH_S390:
      return "s390";
    case SCMP_ARCH_RISCV64:
      return "riscv64";
    case SCMP_ARCH_MIPS64:
      return "mips64";
    case SCMP_ARCH_MIPSEL64:
      return "mipsel64";
    default:
      return "unknown";
  }
}

SeccompPolicy resolve_seccomp_policy(const SeccompPolicy& policy, const std::set<std::string>& caps,
                                     const std::string& kernel_release) {
  if (!policy.architectures.empty() && !policy.arch_map.empty())
    throw Error("seccomp: both architectures and archMap are set; use one");
  SeccompPolicy out = policy;
  out.arch_map.clear();
  const std::uint32_t native = seccomp_arch_native();
  for (const auto& e : policy.arch_map) {
    if (arch_value(e.architecture) != native) continue;
    for (const auto& sub : e.sub_architectures)
      if (!arch_value(sub))
        throw Error("seccomp: archMap: unknown architecture \"" + printable(sub) + "\"");
    out.architectures.push_back(e.architecture);
    out.architectures.insert(out.architectures.end(), e.sub_architectures.begin(),
                             e.sub_architectures.end());
    break;
  }

  const std::string arch = seccomp_host_arch_name();
  std::optional<KernelVersion> kernel;  // uname only if some rule asks
  auto kernel_ge = [&](const std::string& min) {
    if (!kernel) kernel = host_kernel(kernel_release);
    return kernel_at_least(*kernel, min);
  };
  out.syscalls.clear();
  for (const auto& r : policy.syscalls) {
    const auto& ex = r.excludes;
    if (contains(ex.arches, arch)) continue;
    if (std::any_of(ex.caps.begin(), ex.caps.end(), [&](const auto& c) { return caps.count(c); }))
      continue;
    if (!ex.min_kernel.empty() && kernel_ge(ex.min_kernel)) continue;
    const auto& in = r.includes;
    if (!in.arches.empty() && !contains(in.arches, arch)) continue;
    if (!std::all_of(in.caps.begin(), in.caps.end(), [&](const auto& c) { return caps.count(c); }))
      continue;
    if (!in.min_kernel.empty() && !kernel_ge(in.min_kernel)) continue;
    SeccompRule kept = r;
    kept.includes = {};
    kept.excludes = {};
    out.syscalls.push_back(std::move(kept));
  }
  return out;
}

// ---- public: libseccomp -----------------------------------------------------------------------

bool seccomp_knows_arch(std::string_view name) {
  return arch_value(name) != 0;
}

bool seccomp_knows_syscall(std::string_view name) {
  const std::string n(name);
  if (n.empty() || n.find('\0') != std::string::npos) return false;
  // Names of other arches resolve to libseccomp's negative pseudo numbers, which it maps per
  // arch when a rule is added; only __NR_SCMP_ERROR means "never heard of it".
  return seccomp_syscall_resolve_name(n.c_str()) != __NR_SCMP_ERROR;
}

namespace {

struct CtxGuard {
  scmp_filter_ctx ctx;
  ~CtxGuard() {
    if (ctx) seccomp_release(ctx);
  }
};

std::uint32_t action_value(const std::string& name, std::optional<std::uint32_t> errno_ret) {
  const ActionName* a = find_action(name);
  if (!a) throw Error("seccomp: unknown action \"" + printable(name) + "\"");
  if (!a->takes_errno) {
    if (errno_ret) throw Error("seccomp: errnoRet given for " + name);
    return a->base;
  }
  // A rule or default without errnoRet returns EPERM, as in crun and runc.
  const std::uint32_t e = errno_ret.value_or(EPERM);
  return name == "SCMP_ACT_ERRNO" ? SCMP_ACT_ERRNO(e) : SCMP_ACT_TRACE(e);
}

}  // namespace

SeccompFilter SeccompFilter::compile(const SeccompPolicy& policy_in,
                                     const std::set<std::string>& caps,
                                     std::vector<std::string>* skipped) {
  const SeccompPolicy policy = resolve_seccomp_policy(policy_in, caps);
  const std::uint32_t def = action_value(policy.default_action, policy.default_errno_ret);
  CtxGuard g{seccomp_init(def)};
  if (!g.ctx) throw Error("seccomp: seccomp_init(" + policy.default_action + ") failed");

  // The process that loads the filter decides about no_new_privs (runc and crun do the same);
  // and real kernel errnos from seccomp_load (EACCES without nnp) beat libseccomp's ECANCELED.
  seccomp_attr_set(g.ctx, SCMP_FLTATR_CTL_NNP, 0);
  seccomp_attr_set(g.ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
  for (const auto& f : policy.flags) {
    int rc = 0;
    if (f == "SECCOMP_FILTER_FLAG_TSYNC")
      rc = seccomp_attr_set(g.ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    else if (f == "SECCOMP_FILTER_FLAG_LOG")
      rc = seccomp_attr_set(g.ctx, SCMP_FLTATR_CTL_LOG, 1);
    else if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW")
      rc = seccomp_attr_set(g.ctx, SCMP_FLTATR_CTL_SSB, 1);
    else if (f != "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")
      throw Error("seccomp: unknown flag \"" + printable(f) + "\"");
    if (rc < 0) throw Error("seccomp: flag " + f + " not supported: " + errno_text(-rc));
  }

  for (const auto& a : policy.architectures) {
    const std::uint32_t token = arch_value(a);
    if (!token) throw Error("seccomp: unknown architecture \"" + printable(a) + "\"");
    const int rc = seccomp_arch_add(g.ctx, token);
    if (rc < 0 && rc != -EEXIST)
      throw Error("seccomp: adding architecture " + printable(a) + ": " + errno_text(-rc));
  }

  for (std::size_t i = 0; i < policy.syscalls.size(); ++i) {
    const SeccompRule& r = policy.syscalls[i];
    const std::uint32_t act = action_value(r.action, r.errno_ret);
    // libseccomp refuses rules that repeat the default (EACCES); crun skips them, so does tailor.
    if (act == def) continue;
    std::vector<scmp_arg_cmp> cmps;
    std::array<int, 6> per_index{};
    bool repeated = false;
    for (const auto& a : r.args) {
      const OpName* op = find_op(a.op);
      if (!op) throw Error("seccomp: unknown operator \"" + printable(a.op) + "\"");
      if (a.index > 5) throw Error("seccomp: argument index " + std::to_string(a.index) + " > 5");
      if (++per_index[a.index] > 1) repeated = true;
      cmps.push_back(scmp_arg_cmp{a.index, op->op, a.value, a.value_two});
    }
    for (const auto& name : r.names) {
      const int nr = name.find('\0') == std::string::npos
                         ? seccomp_syscall_resolve_name(name.c_str())
                         : __NR_SCMP_ERROR;
      if (nr == __NR_SCMP_ERROR) {
        // Runtimes skip names libseccomp does not know (a profile written for a newer kernel).
        if (skipped && std::find(skipped->begin(), skipped->end(), name) == skipped->end())
          skipped->push_back(name);
        continue;
      }
      auto add = [&](unsigned count, const scmp_arg_cmp* c) {
        const int rc = seccomp_rule_add_array(g.ctx, act, nr, count, c);
        if (rc < 0)
          throw Error("seccomp: syscalls[" + std::to_string(i) + "] " + printable(name) + " (" +
                      r.action + "): libseccomp refused the rule: " + errno_text(-rc));
      };
      if (!repeated) {
        add(static_cast<unsigned>(cmps.size()), cmps.empty() ? nullptr : cmps.data());
      } else {
        // Two comparisons on one argument can never both hold in one libseccomp rule; runc and
        // crun read them as alternatives and add one rule per comparison.
        for (const auto& c : cmps) add(1, &c);
      }
    }
  }
  SeccompFilter f(g.ctx);
  g.ctx = nullptr;
  return f;
}

SeccompFilter::SeccompFilter(SeccompFilter&& other) noexcept
    : ctx_(std::exchange(other.ctx_, nullptr)) {}

SeccompFilter& SeccompFilter::operator=(SeccompFilter&& other) noexcept {
  if (this != &other) {
    if (ctx_) seccomp_release(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

SeccompFilter::~SeccompFilter() {
  if (ctx_) seccomp_release(ctx_);
}

void SeccompFilter::export_bpf(int fd) const {
  if (!ctx_) throw Error("seccomp: filter was moved from");
  const int rc = seccomp_export_bpf(ctx_, fd);
  if (rc < 0) throw Error("seccomp: exporting BPF failed: " + errno_text(-rc));
}

std::vector<unsigned char> SeccompFilter::bpf() const {
  // libseccomp 2.5 exports to an fd only (seccomp_export_bpf_mem is 2.6): an anonymous memfd.
  const int fd = ::memfd_create("tailor-seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0) throw Error("seccomp: memfd_create failed: " + errno_text(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  export_bpf(fd);
  std::vector<unsigned char> out;
  if (::lseek(fd, 0, SEEK_SET) != 0) throw Error("seccomp: lseek failed: " + errno_text(errno));
  unsigned char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error("seccomp: reading BPF back failed: " + errno_text(errno));
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  return out;
}

void SeccompFilter::load() const {
  if (!ctx_) throw Error("seccomp: filter was moved from");
  const int rc = seccomp_load(ctx_);
  if (rc < 0) throw Error("seccomp: loading the filter failed: " + errno_text(-rc));
}

}  // namespace tailor
