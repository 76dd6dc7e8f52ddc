#include "tailor/profile.h"

#include <algorithm>
#include <iterator>

namespace tailor {

std::uint64_t Evidence::count() const {
  std::uint64_t n = 0;
  for (const auto& [exe, c] : by) n += c;
  return n;
}

namespace {

void add(Evidence& into, const Evidence& from) {
  for (const auto& [exe, n] : from.by) into.by[exe] += n;
  into.sites.insert(from.sites.begin(), from.sites.end());
}

template <typename K>
void add_map(std::map<K, Evidence>& into, const std::map<K, Evidence>& from) {
  for (const auto& [k, ev] : from) add(into[k], ev);
}

void add_caps(std::map<std::string, CapUse>& into, const std::map<std::string, CapUse>& from) {
  for (const auto& [name, use] : from) {
    auto& dst = into[name];
    dst.reasons.insert(use.reasons.begin(), use.reasons.end());
    add(dst.ev, use.ev);
  }
}

}  // namespace

void merge_into(Profile& into, const Profile& from) {
  for (const auto& [arch, calls] : from.syscalls) add_map(into.syscalls[arch], calls);
  for (const auto& [path, use] : from.files) {
    auto& dst = into.files[path];
    dst.access.insert(use.access.begin(), use.access.end());
    dst.errors.insert(use.errors.begin(), use.errors.end());
    dst.succeeded = dst.succeeded || use.succeeded;
    dst.types.insert(use.types.begin(), use.types.end());
    dst.pids.insert(use.pids.begin(), use.pids.end());
    add(dst.ev, use.ev);
  }
  add_map(into.sockets, from.sockets);
  add_map(into.endpoints, from.endpoints);

  auto& ip = into.process;
  const auto& fp = from.process;
  add_map(ip.namespaces, fp.namespaces);
  for (const auto& [path, exe] : fp.executables) {
    auto& dst = ip.executables[path];
    dst.setuid = dst.setuid || exe.setuid;
    dst.setgid = dst.setgid || exe.setgid;
    dst.file_caps = dst.file_caps || exe.file_caps;
    add(dst.ev, exe.ev);
  }
  add_map(ip.uids, fp.uids);
  add_map(ip.gids, fp.gids);
  add_map(ip.ioctls, fp.ioctls);
  add_map(ip.prctl, fp.prctl);
  add_map(ip.personality, fp.personality);
  add_map(ip.exec_mappings, fp.exec_mappings);

  add_caps(into.capabilities, from.capabilities);
  add_caps(into.capability_hints, from.capability_hints);

  auto& r = into.resources;
  const auto& s = from.resources;
  r.peak_processes = std::max(r.peak_processes, s.peak_processes);
  r.peak_threads = std::max(r.peak_threads, s.peak_threads);
  r.peak_rss_kb = std::max(r.peak_rss_kb, s.peak_rss_kb);
  r.peak_fds = std::max(r.peak_fds, s.peak_fds);
  r.wall_seconds = std::max(r.wall_seconds, s.wall_seconds);

  into.commands.insert(from.commands.begin(), from.commands.end());
  into.containers.insert(from.containers.begin(), from.containers.end());

  // The same object analysed twice gives the same facts; a newer analysis replaces the older.
  for (const auto& [path, obj] : from.analysis.objects) into.analysis.objects[path] = obj;
  for (const auto& [name, by] : from.analysis.missing)
    into.analysis.missing[name].insert(by.begin(), by.end());
}

Profile merge(const Profile& a, const Profile& b) {
  Profile out = a;
  merge_into(out, b);
  return out;
}

Profile recorded_only(const Profile& p) {
  Profile out = p;
  for (auto a = out.syscalls.begin(); a != out.syscalls.end();) {
    auto& calls = a->second;
    for (auto c = calls.begin(); c != calls.end();) {
      c->second.sites.clear();
      c = c->second.by.empty() ? calls.erase(c) : std::next(c);
    }
    a = calls.empty() ? out.syscalls.erase(a) : std::next(a);
  }
  out.analysis = {};
  return out;
}

std::size_t distinct_syscalls(const Profile& p) {
  std::size_t n = 0;
  for (const auto& [arch, calls] : p.syscalls) n += calls.size();
  return n;
}

}  // namespace tailor
