// The "reachable but never exercised" report (see emitters.h).
//
// Grouped by function because that is what a developer can act on: a function that makes
// syscalls the tests never reached is an untested path (an error path, a rarely used option),
// and either it gets a test, or the profile allows the calls without evidence, or the user
// decides it can never run in production.
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "tailor/emitters.h"

namespace tailor {

namespace {

std::string hex(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::string emit_static_report(const Profile& p) {
  // object -> function -> "arch/name" (arch shown only when not the main one)
  std::map<std::string, std::map<std::string, std::set<std::string>>> untested;
  std::map<std::string, std::size_t> per_arch_static, per_arch_untested;
  bool any_static = false;
  for (const auto& [arch, calls] : p.syscalls) {
    for (const auto& [name, ev] : calls) {
      if (ev.sites.empty()) continue;
      any_static = true;
      ++per_arch_static[arch];
      if (!ev.by.empty()) continue;
      ++per_arch_untested[arch];
      const std::string label = arch == "x86_64" ? name : arch + "/" + name;
      for (const auto& s : ev.sites) {
        const std::string fn = s.function.empty() ? "<" + hex(s.address) + ">" : s.function;
        untested[s.object][fn].insert(label);
      }
    }
  }
  if (!any_static && p.analysis.objects.empty()) return "";

  std::ostringstream o;
  std::size_t total = 0;
  for (const auto& [arch, n] : per_arch_untested) total += n;
  o << "Reachable but never exercised by your tests: " << total << " syscall"
    << (total == 1 ? "" : "s");
  std::string sep = " (";
  for (const auto& [arch, n] : per_arch_static) {
    o << sep << arch << ": " << per_arch_untested[arch] << " of " << n << " reachable";
    sep = ", ";
  }
  o << (per_arch_static.empty() ? "" : ")") << "\n";
  for (const auto& [object, fns] : untested) {
    o << "\n" << object << "\n";
    std::size_t width = 0;
    for (const auto& [fn, names] : fns) width = std::max(width, fn.size());
    width = std::min<std::size_t>(width, 48);
    for (const auto& [fn, names] : fns) {
      o << "  " << fn;
      for (std::size_t i = fn.size(); i < width; ++i) o << ' ';
      o << " ";
      std::string s2;
      for (const auto& n : names) o << s2 << n, s2 = " ";
      o << "\n";
    }
  }
  bool notes = false;
  const auto note = [&](const std::string& line) {
    if (!notes) o << "\nAnalysis limits:\n";
    notes = true;
    o << "  " << line << "\n";
  };
  for (const auto& [path, obj] : p.analysis.objects) {
    if (obj.unresolved)
      note(path + ": " + std::to_string(obj.unresolved) + " of " + std::to_string(obj.sites) +
           " syscall sites with a number not known statically");
    if (!obj.dlopen.empty()) {
      std::string list;
      for (const auto& d : obj.dlopen) list += (list.empty() ? "" : ", ") + d;
      note(path + " may dlopen: " + list + " (add with tailor analyze --dlopen)");
    }
  }
  for (const auto& arch : seccomp_architectures(p).static_only)
    note(arch +
         ": only static analysis found syscalls in this architecture, no recording used "
         "it: the seccomp filter does not admit it");
  for (const auto& [name, by] : p.analysis.missing) {
    std::string list;
    for (const auto& b : by) list += (list.empty() ? "" : ", ") + b;
    note("library not found: " + name + " (needed by " + list + ")");
  }
  return o.str();
}

}  // namespace tailor
