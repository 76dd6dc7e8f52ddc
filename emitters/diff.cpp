// `tailor diff`, emitter part: a tailor profile's Surface (through the same emitters `tailor
// generate` uses, so the comparison is about what would be deployed) and the three renderings
// of a DiffResult. Pure: text in, text out.
#include "tailor/diff.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tailor/emitters.h"

namespace tailor {

namespace {

// Endpoint addresses as the comparison sees them. A unix socket path goes through the AppArmor
// emitter's path patterns: a socket in a fresh temp directory (mkdtemp) would otherwise look new
// on every run. Ports only mean something for inet families.
std::string endpoint_text(const Endpoint& e) {
  std::string addr = e.address;
  if (e.family == "unix" && !addr.empty() && addr[0] == '/') addr = apparmor_path_pattern(addr);
  std::string s = e.op + " " + e.family + " " + addr;
  if (e.family == "inet" || e.family == "inet6") s += " " + std::to_string(e.port);
  return s;
}

// Text from profiles (paths, argv) can hold anything: one line, no terminal escapes.
std::string clean(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  return out;
}

std::string kind_label(const std::string& kind) {
  return kind == "seccomp" ? "seccomp profile" : "tailor profile";
}

std::string counts_text(std::size_t added, std::size_t removed) {
  return std::to_string(added) + " added, " + std::to_string(removed) + " removed";
}

std::size_t counted(const std::vector<DiffEntry>& v) {
  std::size_t n = 0;
  for (const auto& e : v) n += e.counts;
  return n;
}

// "syscall x86_64 socket (arg0 == 10)", "filter x86_64 clone any arguments", "file /etc/x (rw)".
std::string entry_text(const DiffEntry& e) {
  std::string s = e.kind;
  if (!e.arch.empty()) s += " " + e.arch;
  s += " " + clean(e.subject);
  if (e.kind == "filter")
    s += " " + clean(e.detail);
  else if (!e.detail.empty())
    s += " (" + clean(e.detail) + ")";
  if (!e.counts) s += " [reported, not drift]";
  return s;
}

std::string verdict(const DiffResult& d, const DiffRenderOptions& o) {
  const bool drift = d.drift(o.fail_on);
  std::string what = counts_text(d.added(), d.removed());
  return std::string(drift ? "drift" : "no drift") + ": " + what + " (fails on " +
         std::string(fail_on_name(o.fail_on)) + ")";
}

// Markdown table cells: no pipes, no newlines, backticks kept out of code spans.
std::string md_cell(const std::string& s) {
  std::string out;
  for (char c : clean(s)) {
    if (c == '|')
      out += "\\|";
    else if (c == '`')
      out += '\'';
    else
      out += c;
  }
  return out;
}

}  // namespace

Surface surface_from_profile(const Profile& p, const SeccompOptions& o) {
  Surface s;
  s.kind = "tailor";
  s.syscalls = seccomp_allowed_syscalls(seccomp_policy_for(p, o), {});
  s.capabilities.emplace();
  for (const auto& [cap, use] : p.capabilities) s.capabilities->insert(cap);
  s.files.emplace();
  for (auto& r : apparmor_file_rules(p))
    s.files->push_back({std::move(r.pattern), r.owner, std::move(r.perms), std::move(r.paths)});
  s.sockets.emplace();
  for (const auto& [sock, ev] : p.sockets) s.sockets->insert(sock.family + " " + sock.type);
  s.endpoints.emplace();
  s.peers.emplace();
  // bind and listen are what the workload offers (a port to publish, a socket file to share);
  // connect and sendto are where it went, which for clients is often chosen at run time.
  for (const auto& [e, ev] : p.endpoints)
    (e.op == "bind" || e.op == "listen" ? *s.endpoints : *s.peers).insert(endpoint_text(e));
  s.flags = hardening_needs(p);
  s.containers.emplace();
  for (const auto& c : p.containers) {
    std::string text = c.engine + " " + (c.image.empty() ? "(bundle)" : c.image);
    for (const auto& arg : c.command) {
      // Quoted as a shell would need it, so "sh -c 'make test'" reads as the command it was.
      const bool plain = !arg.empty() && arg.find_first_of(" \t'\"\\$`;&|<>()*?#~") == arg.npos;
      std::string quoted = "'";
      for (char ch : arg) quoted += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
      text += " " + (plain ? arg : quoted + "'");
    }
    s.containers->insert(std::move(text));
  }
  return s;
}

DiffResult diff_surfaces(const Surface& old_side, const Surface& new_side) {
  return compare_surfaces(old_side, new_side, [](const std::vector<std::string>& patterns) {
    auto set = std::make_shared<const AppArmorPatternSet>(patterns);
    return PatternLookup([set](const std::string& path) { return set->matching(path); });
  });
}

std::string_view fail_on_name(FailOn f) {
  switch (f) {
    case FailOn::kAdded:
      return "added";
    case FailOn::kRemoved:
      return "removed";
    case FailOn::kAny:
      return "any";
  }
  return "added";
}

std::string render_diff_text(const DiffResult& d, const DiffRenderOptions& o) {
  const char* green = o.color ? "\033[32m" : "";
  const char* red = o.color ? "\033[31m" : "";
  const char* reset = o.color ? "\033[0m" : "";
  std::ostringstream out;
  out << "tailor diff: " << clean(d.old_name) << " (" << kind_label(d.old_kind) << ") -> "
      << clean(d.new_name) << " (" << kind_label(d.new_kind) << ")\n";
  if (!d.skipped_note.empty()) out << d.skipped_note << "\n";
  for (const auto& a : d.axes) {
    if (!a.compared) continue;
    if (a.added.empty() && a.removed.empty()) {
      out << a.axis << ": no change\n";
      continue;
    }
    out << a.axis << ": " << counts_text(counted(a.added), counted(a.removed)) << "\n";
    for (const auto& e : a.added) out << green << "+ " << entry_text(e) << reset << "\n";
    for (const auto& e : a.removed) out << red << "- " << entry_text(e) << reset << "\n";
  }
  out << verdict(d, o) << "\n";
  return out.str();
}

std::string render_diff_json(const DiffResult& d, const DiffRenderOptions& o) {
  using nlohmann::json;
  json j;
  j["old"] = {{"file", d.old_name}, {"kind", d.old_kind}};
  j["new"] = {{"file", d.new_name}, {"kind", d.new_kind}};
  j["fail_on"] = std::string(fail_on_name(o.fail_on));
  j["drift"] = d.drift(o.fail_on);
  j["added"] = d.added();
  j["removed"] = d.removed();
  j["not_compared"] = json::array();
  j["note"] = d.skipped_note;
  j["axes"] = json::object();
  auto entries = [](const std::vector<DiffEntry>& v) {
    json arr = json::array();
    for (const auto& e : v) {
      json x = {{"kind", e.kind}, {"name", e.subject}, {"counts", e.counts}};
      if (!e.arch.empty()) x["arch"] = e.arch;
      if (!e.detail.empty()) x["detail"] = e.detail;
      arr.push_back(std::move(x));
    }
    return arr;
  };
  for (const auto& a : d.axes) {
    if (!a.compared) {
      j["not_compared"].push_back(a.axis);
      continue;
    }
    j["axes"][a.axis] = {{"added", entries(a.added)}, {"removed", entries(a.removed)}};
  }
  // Paths are bytes; a non-UTF-8 one becomes U+FFFD instead of an exception.
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string render_diff_markdown(const DiffResult& d, const DiffRenderOptions& o) {
  std::ostringstream out;
  const bool drift = d.drift(o.fail_on);
  out << "## tailor diff: " << (drift ? "drift" : "no drift") << "\n\n";
  out << "`" << md_cell(d.old_name) << "` (" << kind_label(d.old_kind) << ") → `"
      << md_cell(d.new_name) << "` (" << kind_label(d.new_kind) << ")\n\n";
  if (d.added() > 0)
    out << "**NEW needs " << d.added() << " thing" << (d.added() == 1 ? "" : "s")
        << " OLD does not allow.**";
  else
    out << "**NEW needs nothing OLD does not allow.**";
  out << " " << counts_text(d.added(), d.removed()) << "; fails on " << fail_on_name(o.fail_on)
      << (drift ? ": failing." : ": passing.") << "\n\n";
  if (!d.skipped_note.empty()) out << "> " << md_cell(d.skipped_note) << "\n\n";
  for (const auto& a : d.axes) {
    if (!a.compared || (a.added.empty() && a.removed.empty())) continue;
    out << "### " << a.axis << " (" << counts_text(counted(a.added), counted(a.removed)) << ")\n\n";
    out << "| | kind | arch | entry | detail |\n|---|---|---|---|---|\n";
    auto row = [&](const char* sign, const DiffEntry& e) {
      std::string detail = md_cell(e.detail);
      if (!e.counts) detail += std::string(detail.empty() ? "" : "; ") + "reported, not drift";
      out << "| " << sign << " | " << e.kind << " | " << md_cell(e.arch) << " | `"
          << md_cell(e.subject) << "` | " << detail << " |\n";
    };
    for (const auto& e : a.added) row("+", e);
    for (const auto& e : a.removed) row("-", e);
    out << "\n";
  }
  std::vector<std::string> unchanged;
  for (const auto& a : d.axes)
    if (a.compared && a.added.empty() && a.removed.empty()) unchanged.push_back(a.axis);
  if (!unchanged.empty()) {
    out << "Unchanged: ";
    for (std::size_t i = 0; i < unchanged.size(); ++i) out << (i ? ", " : "") << unchanged[i];
    out << ".\n";
  }
  return out.str();
}

}  // namespace tailor
