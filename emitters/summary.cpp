#include <algorithm>
#include <cstdio>
#include <sstream>
#include <vector>

#include "tailor/emitters.h"

namespace tailor {

namespace {

std::string join(const std::set<std::string>& s, const char* sep = ",") {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : sep) + x;
  return out;
}

void caps_section(std::ostringstream& o, const char* title,
                  const std::map<std::string, CapUse>& caps) {
  if (caps.empty()) return;
  o << title << " (" << caps.size() << ")\n";
  for (const auto& [name, use] : caps) {
    o << "  " << name << "\n";
    for (const auto& r : use.reasons) o << "      " << r.syscall << ": " << r.detail << "\n";
  }
}

}  // namespace

std::string format_duration(double seconds) {
  if (!(seconds >= 0)) return "?";  // NaN or negative: nothing sensible to say
  char buf[64];
  if (seconds < 0.01) {
    std::snprintf(buf, sizeof buf, "%.1f ms", seconds * 1e3);
  } else if (seconds < 1) {
    std::snprintf(buf, sizeof buf, "%.0f ms", seconds * 1e3);
  } else if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%.2f s", seconds);
  } else {
    // Rounded to whole seconds first, so that 119.7 s reads "2 min 00 s", not "1 min 60 s".
    const auto whole = static_cast<unsigned long long>(seconds + 0.5);
    if (whole < 3600)
      std::snprintf(buf, sizeof buf, "%llu min %02llu s", whole / 60, whole % 60);
    else
      std::snprintf(buf, sizeof buf, "%llu h %02llu min", whole / 3600, (whole % 3600) / 60);
  }
  return buf;
}

std::string emit_summary(const Profile& p, std::size_t max_files) {
  std::ostringstream o;
  for (const auto& argv : p.commands) {
    o << "command:";
    for (const auto& a : argv) o << " " << a;
    o << "\n";
  }
  for (const auto& c : p.containers) {
    o << "container: " << c.engine << " " << (c.image.empty() ? "(bundle)" : c.image);
    for (const auto& a : c.command) o << " " << a;
    o << "\n";
  }
  bool any_static_only = false;
  for (const auto& [arch, calls] : p.syscalls) {
    std::size_t static_only = 0;
    for (const auto& [name, ev] : calls) static_only += ev.by.empty() && !ev.sites.empty();
    o << "syscalls " << arch << " (" << calls.size();
    if (static_only) o << ", " << static_only << " found only by static analysis*";
    o << "):";
    any_static_only |= static_only > 0;
    std::size_t col = 80;
    for (const auto& [name, ev] : calls) {
      const std::string shown = name + (ev.by.empty() && !ev.sites.empty() ? "*" : "");
      if (col + shown.size() + 1 > 78) {
        o << "\n ";
        col = 1;
      }
      o << " " << shown;
      col += shown.size() + 1;
    }
    o << "\n";
  }
  if (!p.analysis.objects.empty()) {
    std::uint64_t sites = 0, unresolved = 0;
    for (const auto& [path, obj] : p.analysis.objects)
      sites += obj.sites, unresolved += obj.unresolved;
    o << "static analysis: " << p.analysis.objects.size() << " objects, " << sites
      << " syscall sites (" << unresolved << " with a number not known statically)";
    if (!p.analysis.missing.empty())
      o << ", " << p.analysis.missing.size() << " libraries not found";
    o << (any_static_only ? "; * = reachable, never recorded" : "") << "\n";
  }
  caps_section(o, "capabilities needed", p.capabilities);
  caps_section(o, "capabilities refused (hints: EPERM/EACCES)", p.capability_hints);

  if (!p.sockets.empty()) {
    o << "sockets:";
    for (const auto& [s, ev] : p.sockets)
      o << " " << s.family << "/" << s.type << "/" << s.protocol;
    o << "\n";
  }
  for (const auto& [ep, ev] : p.endpoints) {
    o << "  " << ep.op << " " << ep.family << " " << ep.address;
    if (ep.port) o << " port " << ep.port;
    o << "\n";
  }
  if (!p.process.executables.empty()) {
    o << "executables:\n";
    for (const auto& [path, e] : p.process.executables) {
      o << "  " << path;
      if (e.setuid) o << " [setuid]";
      if (e.setgid) o << " [setgid]";
      if (e.file_caps) o << " [file caps]";
      o << "\n";
    }
  }
  if (!p.process.namespaces.empty()) {
    o << "namespaces:";
    for (const auto& [flag, ev] : p.process.namespaces) o << " " << flag;
    o << "\n";
  }

  // Files that were really used (not just probed), most used first, then by name.
  std::vector<std::pair<std::string, const FileUse*>> files;
  std::size_t probes = 0;
  for (const auto& [path, use] : p.files) {
    if (use.succeeded)
      files.emplace_back(path, &use);
    else
      ++probes;
  }
  std::stable_sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    return a.second->ev.count() > b.second->ev.count();
  });
  o << "files: " << files.size() << " used, " << probes << " only looked up or failed\n";
  const std::size_t n = max_files == 0 ? files.size() : std::min(max_files, files.size());
  for (std::size_t i = 0; i < n; ++i)
    o << "  " << files[i].first << " (" << join(files[i].second->access) << ")\n";
  if (n < files.size()) o << "  ... " << files.size() - n << " more\n";

  const auto& r = p.resources;
  o << "peaks: " << r.peak_processes << " processes, " << r.peak_threads << " tasks, "
    << r.peak_rss_kb << " KiB RSS, fd " << r.peak_fds << "; wall "
    << format_duration(r.wall_seconds) << "\n";
  return o.str();
}

}  // namespace tailor
