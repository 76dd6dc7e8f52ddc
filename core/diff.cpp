// The core of `tailor diff`: a seccomp policy's allowed syscalls, and the axis-by-axis comparison
// of two Surfaces. See include/tailor/diff.h for the model.
#include "tailor/diff.h"

#include <seccomp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <unordered_map>

#include "tailor/error.h"
#include "tailor/syscalls.h"

namespace tailor {

namespace {

// ---- seccomp side ------------------------------------------------------------------------------

// Actions under which the call can go through: LOG and ALLOW run it, NOTIFY and TRACE hand it to
// an agent or tracer that may let it run. Everything else (ERRNO, KILL*, TRAP) refuses it.
bool allows(const std::string& action) {
  return action == "SCMP_ACT_ALLOW" || action == "SCMP_ACT_LOG" || action == "SCMP_ACT_NOTIFY" ||
         action == "SCMP_ACT_TRACE";
}

// Numbers as people read them in a filter: small ones (families, personas, indexes) in decimal,
// flag words and masks in hex.
std::string number(std::uint64_t v) {
  if (v < 4096) return std::to_string(v);
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string hex(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string render(const SeccompArg& a) {
  const std::string arg = "arg" + std::to_string(a.index);
  if (a.op == "SCMP_CMP_MASKED_EQ")
    return arg + " & " + hex(a.value) + " == " + (a.value_two ? hex(a.value_two) : "0");
  static const std::pair<std::string_view, std::string_view> kOps[] = {
      {"SCMP_CMP_EQ", "=="}, {"SCMP_CMP_NE", "!="}, {"SCMP_CMP_LT", "<"},
      {"SCMP_CMP_LE", "<="}, {"SCMP_CMP_GE", ">="}, {"SCMP_CMP_GT", ">"}};
  for (const auto& [name, sym] : kOps)
    if (a.op == name) return arg + " " + std::string(sym) + " " + number(a.value);
  return arg + " " + a.op + " " + number(a.value);  // the reader admits no other op
}

// A rule's arguments as alternatives, the way SeccompFilter::compile (and crun, runc) install
// them: all comparisons in one conjunction, unless an argument index repeats, in which case
// every comparison becomes a rule of its own (an OR).
SyscallAllowance alternatives(const SeccompRule& r) {
  std::array<int, 6> per_index{};
  bool repeated = false;
  for (const auto& a : r.args)
    if (a.index < 6 && ++per_index[a.index] > 1) repeated = true;
  SyscallAllowance out;
  if (!repeated) {
    ArgConditions all;
    for (const auto& a : r.args) all.insert(render(a));
    out.insert(all);
  } else {
    for (const auto& a : r.args) out.insert({render(a)});
  }
  return out;
}

// Drops alternatives another alternative already covers (a subset of conditions allows more).
void normalize(SyscallAllowance& a) {
  for (auto it = a.begin(); it != a.end();) {
    bool covered = false;
    for (const auto& other : a)
      if (&other != &*it && other.size() < it->size() &&
          std::includes(it->begin(), it->end(), other.begin(), other.end()))
        covered = true;
    it = covered ? a.erase(it) : std::next(it);
  }
}

struct Arch {
  std::uint32_t token;
  std::string name;
};

// The arches a compiled filter covers: the native one always (libseccomp adds it), then the
// policy's, as spelled by the reader ("SCMP_ARCH_X86", "x86", "native").
std::vector<Arch> policy_arches(const SeccompPolicy& pol) {
  std::vector<std::uint32_t> tokens = {seccomp_arch_native()};
  for (const auto& spelled : pol.architectures) {
    std::string n = spelled;
    if (n.rfind("SCMP_ARCH_", 0) == 0) n = n.substr(10);
    for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::uint32_t t =
        n == "native"
            ? seccomp_arch_native()
            : (n.find('\0') == std::string::npos ? seccomp_arch_resolve_name(n.c_str()) : 0);
    if (!t) throw Error("seccomp: unknown architecture \"" + spelled.substr(0, 40) + "\"");
    if (std::find(tokens.begin(), tokens.end(), t) == tokens.end()) tokens.push_back(t);
  }
  std::vector<Arch> out;
  for (auto t : tokens) {
    // Every arch a profile can record has a name; another host arch gets a stable stand-in.
    out.push_back({t, arch_name(t).value_or("arch_" + hex(t))});
  }
  return out;
}

// Whether a rule naming `name` puts anything in the filter for `arch`. libseccomp answers with
// a number, or with a pseudo number: from -101 down, the calls i386 also multiplexes through
// socketcall/ipc (libseccomp filters both ways in, so they are real calls there); from -10000
// down, calls that do not exist on the arch (socketcall on x86_64); -1, names it never heard of.
bool known_on(std::uint32_t arch, const std::string& name) {
  if (name.find('\0') != std::string::npos) return false;
  const int nr = seccomp_syscall_resolve_name_arch(arch, name.c_str());
  return nr >= 0 || (nr <= -100 && nr > -10000);
}

// Every syscall libseccomp knows on `arch` (for policies whose default action allows).
std::set<std::string> all_syscalls(std::uint32_t arch) {
  std::set<std::string> out;
  for (const auto& [nr, name] : known_syscalls(arch)) out.insert(name);
  return out;
}

// ---- comparison helpers
// --------------------------------------------------------------------------

std::string join(const ArgConditions& c, const char* sep) {
  std::string out;
  for (const auto& x : c) out += (out.empty() ? "" : sep) + x;
  return out;
}

std::string describe(const ArgConditions& c) {
  return c.empty() ? "any arguments" : join(c, " && ");
}

std::string describe(const SyscallAllowance& a) {
  if (a.count(ArgConditions{})) return "";
  std::string out;
  for (const auto& alt : a) out += (out.empty() ? "" : " || ") + describe(alt);
  return out;
}

bool covered_by(const ArgConditions& c, const SyscallAllowance& by) {
  for (const auto& d : by)
    if (std::includes(c.begin(), c.end(), d.begin(), d.end())) return true;
  return false;
}

using Syscalls = std::map<std::string, std::map<std::string, SyscallAllowance>>;

void diff_syscalls(const Syscalls& from, const Syscalls& to, std::vector<DiffEntry>& calls,
                   std::vector<DiffEntry>& filters) {
  // Entries for what `to` has and `from` does not allow.
  static const std::map<std::string, SyscallAllowance> kNone;
  for (const auto& [arch, names] : to) {
    auto f = from.find(arch);
    const auto& have = f == from.end() ? kNone : f->second;
    for (const auto& [name, allowance] : names) {
      auto h = have.find(name);
      if (h == have.end()) {
        calls.push_back({"syscall", arch, name, describe(allowance), true});
        continue;
      }
      for (const auto& alt : allowance)
        if (!covered_by(alt, h->second))
          filters.push_back({"filter", arch, name, describe(alt), true});
    }
  }
}

unsigned perm_bits(const std::string& perms) {
  unsigned bits = 0;
  for (char c : perms) bits |= 1u << (static_cast<unsigned char>(c) & 31);
  return bits;
}

void diff_files(const std::vector<DiffFileRule>& from, const std::vector<DiffFileRule>& to,
                const PatternIndexer& index, std::vector<DiffEntry>& out) {
  std::vector<std::string> patterns;
  std::vector<unsigned> bits;
  std::unordered_map<std::string, std::vector<std::size_t>> same;  // pattern -> rules with it
  for (std::size_t i = 0; i < from.size(); ++i) {
    patterns.push_back(from[i].pattern);
    bits.push_back(perm_bits(from[i].perms));
    same[from[i].pattern].push_back(i);
  }
  const PatternLookup lookup = index ? index(patterns) : PatternLookup{};
  for (const auto& r : to) {
    const unsigned need = perm_bits(r.perms);
    auto grants = [&](std::size_t i) { return from[i].owner && !r.owner ? 0u : bits[i]; };
    // `from`'s rules with r's own pattern grant on every path r stands for. When they give all
    // of r's permissions, which for a profile against an earlier run of itself is nearly every
    // rule, no path needs matching: AppArmor grants the union of the matching rules, and more
    // rules only add to it.
    unsigned base = 0;
    if (auto s = same.find(r.pattern); s != same.end())
      for (std::size_t i : s->second) base |= grants(i);
    // Otherwise coverage is checked per recorded path against all of `from`'s rules together.
    auto granted = [&](const std::string& path) {
      unsigned have = base;
      if (lookup)
        for (std::size_t i : lookup(path)) have |= grants(i);
      return have;
    };
    bool covered = (base & need) == need;
    if (!covered && r.paths.empty()) {
      covered = (granted(r.pattern) & need) == need;
    } else if (!covered) {
      covered = true;
      for (const auto& path : r.paths)
        if ((granted(path) & need) != need) {
          covered = false;
          break;
        }
    }
    if (!covered) out.push_back({"file", "", (r.owner ? "owner " : "") + r.pattern, r.perms, true});
  }
}

void diff_set(const std::set<std::string>& from, const std::set<std::string>& to,
              const std::string& kind, bool counts, std::vector<DiffEntry>& out) {
  for (const auto& x : to)
    if (!from.count(x)) out.push_back({kind, "", x, "", counts});
}

template <typename T>
bool both(const std::optional<T>& a, const std::optional<T>& b) {
  return a.has_value() && b.has_value();
}

}  // namespace

// ---- public
// ---------------------------------------------------------------------------------------

std::map<std::string, std::map<std::string, SyscallAllowance>> seccomp_allowed_syscalls(
    const SeccompPolicy& policy, const std::set<std::string>& caps) {
  const SeccompPolicy pol = resolve_seccomp_policy(policy, caps);
  const bool default_allows = allows(pol.default_action);
  Syscalls out;
  for (const auto& arch : policy_arches(pol)) {
    auto& calls = out[arch.name];
    if (!default_allows) {
      // An allow list: only allowing rules add anything. A refusing rule other than the default
      // (clone3 -> ENOSYS) refuses what is refused anyway.
      for (const auto& r : pol.syscalls) {
        if (!allows(r.action)) continue;
        const SyscallAllowance alts = alternatives(r);
        for (const auto& name : r.names)
          if (known_on(arch.token, name)) calls[name].insert(alts.begin(), alts.end());
      }
    } else {
      // A deny list: everything runs except what a refusing rule catches. A call refused only
      // under conditions is allowed when none of them holds: one alternative whose conditions
      // are "not (...)" of each refusing conjunction.
      std::set<std::string> denied;
      std::map<std::string, ArgConditions> unless;
      for (const auto& r : pol.syscalls) {
        if (allows(r.action)) continue;
        const SyscallAllowance alts = alternatives(r);
        for (const auto& name : r.names) {
          if (!known_on(arch.token, name)) continue;
          if (alts.count(ArgConditions{})) {
            denied.insert(name);
            continue;
          }
          for (const auto& alt : alts) unless[name].insert("not (" + join(alt, " && ") + ")");
        }
      }
      for (const auto& name : all_syscalls(arch.token)) {
        if (denied.count(name)) continue;
        auto u = unless.find(name);
        calls[name] = {u == unless.end() ? ArgConditions{} : u->second};
      }
    }
    for (auto& [name, alts] : calls) normalize(alts);
  }
  return out;
}

Surface surface_from_seccomp(const SeccompPolicy& policy,
                             const std::optional<std::set<std::string>>& caps) {
  Surface s;
  s.kind = "seccomp";
  s.syscalls = seccomp_allowed_syscalls(policy, caps.value_or(std::set<std::string>{}));
  if (caps) s.capabilities = *caps;
  return s;
}

std::size_t DiffResult::added() const {
  std::size_t n = 0;
  for (const auto& a : axes)
    for (const auto& e : a.added) n += e.counts;
  return n;
}

std::size_t DiffResult::removed() const {
  std::size_t n = 0;
  for (const auto& a : axes)
    for (const auto& e : a.removed) n += e.counts;
  return n;
}

bool DiffResult::drift(FailOn fail_on) const {
  switch (fail_on) {
    case FailOn::kAdded:
      return added() > 0;
    case FailOn::kRemoved:
      return removed() > 0;
    case FailOn::kAny:
      return added() > 0 || removed() > 0;
  }
  return false;
}

DiffResult compare_surfaces(const Surface& o, const Surface& n, const PatternIndexer& index) {
  DiffResult d;
  d.old_kind = o.kind;
  d.new_kind = n.kind;
  AxisDiff calls{"syscalls", true, {}, {}}, filters{"arg filters", true, {}, {}};
  diff_syscalls(o.syscalls, n.syscalls, calls.added, filters.added);
  diff_syscalls(n.syscalls, o.syscalls, calls.removed, filters.removed);

  AxisDiff caps{"capabilities", both(o.capabilities, n.capabilities), {}, {}};
  if (caps.compared) {
    diff_set(*o.capabilities, *n.capabilities, "capability", true, caps.added);
    diff_set(*n.capabilities, *o.capabilities, "capability", true, caps.removed);
  }
  AxisDiff files{"files", both(o.files, n.files), {}, {}};
  if (files.compared) {
    diff_files(*o.files, *n.files, index, files.added);
    diff_files(*n.files, *o.files, index, files.removed);
  }
  AxisDiff net{
      "network",
      both(o.sockets, n.sockets) && both(o.endpoints, n.endpoints) && both(o.peers, n.peers),
      {},
      {}};
  if (net.compared) {
    diff_set(*o.sockets, *n.sockets, "socket", true, net.added);
    diff_set(*n.sockets, *o.sockets, "socket", true, net.removed);
    diff_set(*o.endpoints, *n.endpoints, "endpoint", true, net.added);
    diff_set(*n.endpoints, *o.endpoints, "endpoint", true, net.removed);
    diff_set(*o.peers, *n.peers, "peer", false, net.added);
    diff_set(*n.peers, *o.peers, "peer", false, net.removed);
  }
  AxisDiff flags{"flags", both(o.flags, n.flags), {}, {}};
  if (flags.compared) {
    for (const auto& [need, why] : *n.flags)
      if (!o.flags->count(need)) flags.added.push_back({"flag", "", need, why, true});
    for (const auto& [need, why] : *o.flags)
      if (!n.flags->count(need)) flags.removed.push_back({"flag", "", need, why, true});
  }
  if (flags.compared && both(o.containers, n.containers)) {
    diff_set(*o.containers, *n.containers, "container", false, flags.added);
    diff_set(*n.containers, *o.containers, "container", false, flags.removed);
  }
  d.axes = {calls, filters, caps, files, net, flags};
  for (auto& a : d.axes) {
    std::sort(a.added.begin(), a.added.end());
    std::sort(a.removed.begin(), a.removed.end());
  }

  // One note for every skipped axis, naming the side(s) that cannot express them.
  std::vector<std::string> skipped;
  bool old_lacks = false, new_lacks = false;
  auto lacks = [](const Surface& s, const std::string& axis) {
    if (axis == "capabilities") return !s.capabilities;
    if (axis == "files") return !s.files;
    if (axis == "network") return !s.sockets || !s.endpoints || !s.peers;
    return !s.flags;
  };
  for (const auto& a : d.axes) {
    if (a.compared) continue;
    skipped.push_back(a.axis);
    old_lacks |= lacks(o, a.axis);
    new_lacks |= lacks(n, a.axis);
  }
  if (!skipped.empty()) {
    std::string list;
    for (const auto& s : skipped) list += (list.empty() ? "" : ", ") + s;
    auto why = [](const std::string& side, const Surface& s) {
      return side + (s.kind == "seccomp" ? " is a seccomp profile" : " lacks them");
    };
    std::string who = old_lacks && new_lacks && o.kind == n.kind && o.kind == "seccomp"
                          ? "both are seccomp profiles"
                      : old_lacks && new_lacks ? why("OLD", o) + ", " + why("NEW", n)
                      : old_lacks              ? why("OLD", o)
                                               : why("NEW", n);
    if (std::find(skipped.begin(), skipped.end(), "capabilities") != skipped.end())
      who += "; --caps gives a seccomp profile the container's capabilities";
    d.skipped_note = "not compared: " + list + " (" + who + ")";
  }
  return d;
}

}  // namespace tailor
