// `tailor report`: a profile as one self-contained HTML page (see tailor/report.h).
//
// The page is for people reviewing a change, so it leads with the picture: every syscall of the
// architecture, numbered as libseccomp numbers them, coloured by what the profile and the two
// filters (tailor's and the baseline's) make of it. The filter is computed by the very functions
// `tailor generate` and `tailor diff` use (seccomp_policy_for, seccomp_allowed_syscalls), so the
// page and the file tailor writes cannot disagree. No script: tooltips are `title` attributes,
// collapsing is <details>; nothing is fetched (no fonts, images or styles from elsewhere).
#include "tailor/report.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tailor/diff.h"
#include "tailor/emitters.h"
#include "tailor/syscalls.h"

namespace tailor {

namespace {

// ---- risky syscalls --------------------------------------------------------------------------

struct Risky {
  std::string_view name, why;
};

// What each call gives a process that a confined workload rarely needs: the calls container
// escapes and kernel exploits are built from. One line each; the table is the page's list.
constexpr std::array kRisky = {
    Risky{"ptrace", "read and write another process's memory and registers; a classic escape aid"},
    Risky{"process_vm_readv", "read another process's memory directly"},
    Risky{"process_vm_writev", "write another process's memory directly"},
    Risky{"process_madvise", "act on another process's memory"},
    Risky{"pidfd_getfd", "take a copy of another process's file descriptor"},
    Risky{"kcmp", "compare kernel objects of two processes: leaks kernel layout to exploits"},
    Risky{"bpf", "load eBPF programs and maps into the kernel: a large, often exploited surface"},
    Risky{"perf_event_open", "kernel and hardware performance events: side channels, kernel bugs"},
    Risky{"mount", "change the mount table: expose host files, hide files, escape a chroot"},
    Risky{"umount", "remove mounts: uncover what a mount hid"},
    Risky{"umount2", "remove mounts: uncover what a mount hid"},
    Risky{"pivot_root", "swap the root file system"},
    Risky{"chroot", "change the root directory; with an open directory fd, a way out of one"},
    Risky{"move_mount", "new mount API: attach or move mounts"},
    Risky{"open_tree", "new mount API: clone a mount tree to attach elsewhere"},
    Risky{"fsopen", "new mount API: create a file system context (mount a file system)"},
    Risky{"fsconfig", "new mount API: configure a file system to mount"},
    Risky{"fsmount", "new mount API: make a mount from a file system context"},
    Risky{"fspick", "new mount API: reconfigure an existing mount"},
    Risky{"mount_setattr", "change mount attributes (read-only, idmapped, propagation)"},
    Risky{"unshare", "new namespaces: a user namespace opens kernel code meant for root"},
    Risky{"setns", "join another namespace, the host's if a descriptor of it leaks"},
    Risky{"clone3", "new processes with namespace flags seccomp cannot inspect (in memory)"},
    Risky{"keyctl", "the kernel keyring: not namespaced, shared with the host; many kernel bugs"},
    Risky{"add_key", "add a key to the kernel keyring (not namespaced)"},
    Risky{"request_key", "ask the kernel keyring for a key, possibly running a host upcall"},
    Risky{"userfaultfd", "stall page faults at will: turns kernel races into reliable exploits"},
    Risky{"io_uring_setup", "a second syscall interface seccomp cannot filter per operation"},
    Risky{"io_uring_enter", "submits io_uring operations, unseen by seccomp"},
    Risky{"io_uring_register", "registers files and buffers with io_uring"},
    Risky{"init_module", "load code into the kernel"},
    Risky{"finit_module", "load code into the kernel from a file"},
    Risky{"delete_module", "unload a kernel module"},
    Risky{"create_module", "obsolete module interface"},
    Risky{"query_module", "obsolete module interface"},
    Risky{"get_kernel_syms", "obsolete: lists kernel symbols"},
    Risky{"kexec_load", "replace the running kernel"},
    Risky{"kexec_file_load", "replace the running kernel from a file"},
    Risky{"open_by_handle_at",
          "open any file of a mounted file system by handle, past the mount "
          "namespace (the \"shocker\" escape)"},
    Risky{"name_to_handle_at", "make file handles: the first half of open_by_handle_at"},
    Risky{"personality", "change the execution domain, e.g. turn off address randomisation"},
    Risky{"acct", "turn process accounting on the whole host to a file of its choice"},
    Risky{"swapon", "add swap to the host"},
    Risky{"swapoff", "remove the host's swap"},
    Risky{"reboot", "reboot or halt the machine, or arm kexec"},
    Risky{"iopl", "raise the I/O privilege level: every I/O port of the host's hardware"},
    Risky{"ioperm", "direct access to the host's I/O ports"},
    Risky{"modify_ldt", "change the local descriptor table: old kernel bugs live here"},
    Risky{"lookup_dcookie", "kernel profiling interface, has leaked kernel addresses"},
    Risky{"syslog", "read or clear the kernel log, with kernel addresses"},
    Risky{"settimeofday", "set the host's clock (time is not namespaced)"},
    Risky{"clock_settime", "set the host's clock (time is not namespaced)"},
    Risky{"clock_adjtime", "adjust the host's clock"},
    Risky{"adjtimex", "adjust the host's clock"},
    Risky{"stime", "set the host's clock"},
    Risky{"fanotify_init", "watch or block file access on whole file systems"},
    Risky{"uselib", "obsolete library loader with a history of kernel bugs"},
    Risky{"vm86", "virtual 8086 mode (i386): historic kernel bugs"},
    Risky{"vm86old", "virtual 8086 mode (i386): historic kernel bugs"},
    Risky{"migrate_pages", "move another process's memory between NUMA nodes"},
    Risky{"move_pages", "move another process's pages between NUMA nodes"},
    Risky{"quotactl", "change disk quotas of a file system"},
    Risky{"nfsservctl", "obsolete NFS server control"},
    Risky{"vhangup", "hang up the current terminal"},
};

// ---- text helpers -----------------------------------------------------------------------------

// HTML text or attribute value. Profile strings are paths and argv: they can hold <, &, quotes,
// control characters and bytes that are not UTF-8. The page says it is UTF-8, so invalid
// sequences become U+FFFD and control characters '?' (both are parse errors in HTML otherwise).
std::string esc(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&#39;";
          break;
        case '\n':
        case '\t':
          out += static_cast<char>(c);
          break;
        default:
          out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // Length of a well-formed UTF-8 sequence starting here (no overlongs, no surrogates), or 0.
    std::size_t len = c >= 0xc2 && c <= 0xdf   ? 2
                      : c >= 0xe0 && c <= 0xef ? 3
                      : c >= 0xf0 && c <= 0xf4 ? 4
                                               : 0;
    if (len && i + len <= s.size()) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      bool ok = (c1 & 0xc0) == 0x80;
      if (c == 0xe0) ok = ok && c1 >= 0xa0;
      if (c == 0xed) ok = ok && c1 < 0xa0;
      if (c == 0xf0) ok = ok && c1 >= 0x90;
      if (c == 0xf4) ok = ok && c1 < 0x90;
      for (std::size_t k = 2; k < len; ++k)
        ok = ok && (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
      // Noncharacters and C1 controls are parse errors too.
      if (ok && c == 0xc2 && c1 < 0xa0) ok = false;
      if (ok) {
        out.append(s.substr(i, len));
        i += len;
        continue;
      }
    }
    out += "\xef\xbf\xbd";
    ++i;
  }
  return out;
}

std::string num(std::uint64_t n) {
  return std::to_string(n);
}

// A count that fits in a grid cell: 7, 512, 1.2k, 38k, 4.5M.
std::string short_count(std::uint64_t n) {
  char buf[32];
  if (n < 1000) return num(n);
  if (n < 10000)
    std::snprintf(buf, sizeof buf, "%.1fk", static_cast<double>(n) / 1e3);
  else if (n < 1000000)
    std::snprintf(buf, sizeof buf, "%lluk", (unsigned long long)(n / 1000));
  else if (n < 10000000)
    std::snprintf(buf, sizeof buf, "%.1fM", static_cast<double>(n) / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%lluM", (unsigned long long)(n / 1000000));
  return buf;
}

std::string plural(std::size_t n, const std::string& one, const std::string& many) {
  return num(n) + " " + (n == 1 ? one : many);
}

// "/bin/sh 40, /usr/bin/tr 2": the executables behind a fact, most active first, at most three.
std::string by_text(const Evidence& ev) {
  std::vector<std::pair<std::uint64_t, std::string>> v;
  for (const auto& [exe, n] : ev.by) v.push_back({n, exe});
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::string out;
  for (std::size_t i = 0; i < v.size() && i < 3; ++i)
    out +=
        (i ? ", " : "") + (v[i].second.empty() ? "(unknown)" : v[i].second) + " " + num(v[i].first);
  if (v.size() > 3) out += ", " + plural(v.size() - 3, "more", "more");
  return out;
}

std::string join(const std::set<std::string>& s, const std::string& sep) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : sep) + x;
  return out;
}

// ---- the grid model ---------------------------------------------------------------------------

enum class Cls { kUsed, kStatic, kRuntime, kRemoved, kDenied };
constexpr std::array kClasses = {Cls::kUsed, Cls::kStatic, Cls::kRuntime, Cls::kRemoved,
                                 Cls::kDenied};

std::string_view css(Cls c) {
  switch (c) {
    case Cls::kUsed:
      return "used";
    case Cls::kStatic:
      return "static";
    case Cls::kRuntime:
      return "runtime";
    case Cls::kRemoved:
      return "removed";
    case Cls::kDenied:
      return "denied";
  }
  return "";
}

std::string label(Cls c, const std::string& baseline) {
  switch (c) {
    case Cls::kUsed:
      return "used by the app";
    case Cls::kStatic:
      return "reachable only statically (untested)";
    case Cls::kRuntime:
      return "allowed by tailor, not used here (runtime, exit, other arch)";
    case Cls::kRemoved:
      return "allowed by " + baseline + ", removed by tailor";
    case Cls::kDenied:
      return "denied by both";
  }
  return "";
}

struct Cell {
  std::uint32_t nr = 0;
  std::string name;
  Cls cls = Cls::kDenied;
  std::uint64_t count = 0;
  const Evidence* ev = nullptr;  // the profile's entry, if any
  bool in_filter = false, in_baseline = false;
  std::string_view risky;  // why, "" if not risky
  int drift = 0;           // +1 added since OLD, -1 removed since OLD
};

using Allowed = std::map<std::string, std::map<std::string, SyscallAllowance>>;

bool allows(const Allowed& a, const std::string& arch, const std::string& name) {
  auto it = a.find(arch);
  return it != a.end() && it->second.count(name) > 0;
}

std::vector<Cell> grid_cells(const Profile& p, const std::string& arch, std::uint32_t token,
                             const Allowed& filter, const Allowed& baseline,
                             const std::set<std::pair<std::string, std::string>>& added,
                             const std::set<std::pair<std::string, std::string>>& removed) {
  static const std::map<std::string_view, std::string_view> risky = [] {
    std::map<std::string_view, std::string_view> m;
    for (const auto& r : kRisky) m.emplace(r.name, r.why);
    return m;
  }();
  const auto pit = p.syscalls.find(arch);
  std::vector<Cell> cells;
  for (const auto& [nr, name] : known_syscalls(token)) {
    Cell c;
    c.nr = nr;
    c.name = name;
    c.in_filter = allows(filter, arch, name);
    c.in_baseline = allows(baseline, arch, name);
    if (pit != p.syscalls.end())
      if (auto e = pit->second.find(name); e != pit->second.end()) c.ev = &e->second;
    if (c.ev && (!c.ev->by.empty() || c.ev->sites.empty())) {
      c.cls = Cls::kUsed;
      c.count = c.ev->count();
    } else if (c.ev) {
      c.cls = Cls::kStatic;
    } else if (c.in_filter) {
      c.cls = Cls::kRuntime;
    } else {
      c.cls = c.in_baseline ? Cls::kRemoved : Cls::kDenied;
    }
    if (auto r = risky.find(name); r != risky.end()) c.risky = r->second;
    c.drift = added.count({arch, name}) ? 1 : removed.count({arch, name}) ? -1 : 0;
    cells.push_back(std::move(c));
  }
  return cells;
}

std::string cell_title(const Cell& c, const std::string& arch, const std::string& baseline) {
  std::string t = c.name + " (" + arch + " #" + num(c.nr) + "): ";
  switch (c.cls) {
    case Cls::kUsed:
      t += "used " + plural(c.count, "time", "times");
      if (!c.ev->by.empty()) t += " by " + by_text(*c.ev);
      break;
    case Cls::kStatic:
      t +=
          "reachable by the code (static analysis: " + plural(c.ev->sites.size(), "site", "sites") +
          "), never seen in a recording";
      t += c.in_filter ? "; tailor's filter allows it" : "; its architecture is not in the filter";
      break;
    case Cls::kRuntime:
      // One allow rule serves every architecture of the filter, so a call used on x86_64 is
      // allowed on i386 too.
      t += "allowed by tailor's filter, not used by the app on this architecture: the container "
           "runtime, a clean exit or the same call on another architecture needs it";
      break;
    case Cls::kRemoved:
      t += "allowed by " + baseline + ", removed by tailor";
      break;
    case Cls::kDenied:
      t += "denied by " + baseline + " and by tailor";
      break;
  }
  if (c.in_filter && !c.in_baseline) t += ". " + baseline + " denies it";
  if (!c.risky.empty()) t += ". Risky: " + std::string(c.risky);
  if (c.drift > 0) t += ". Drift: allowed now, not by OLD";
  if (c.drift < 0) t += ". Drift: allowed by OLD, not now";
  return t;
}

void render_cell(std::ostringstream& o, const Cell& c, const std::string& arch,
                 const std::string& baseline) {
  o << "<div class=\"c " << css(c.cls);
  if (!c.risky.empty()) o << " risky";
  if (c.in_filter && !c.in_baseline) o << " beyond";
  if (c.drift > 0) o << " added";
  if (c.drift < 0) o << " gone";
  o << "\" title=\"" << esc(cell_title(c, arch, baseline)) << "\"><b>";
  if (c.drift > 0) o << "<span class=\"d\">+</span>";
  if (c.drift < 0) o << "<span class=\"d\">&minus;</span>";
  if (!c.risky.empty()) o << "<span class=\"r\">!</span>";
  o << esc(c.name) << "</b><i>";
  switch (c.cls) {
    case Cls::kUsed:
      o << short_count(c.count) << "&times;";
      break;
    case Cls::kStatic:
      o << "static";
      break;
    case Cls::kRuntime:
      o << "runtime";
      break;
    case Cls::kRemoved:
      o << "removed";
      break;
    case Cls::kDenied:
      o << "&nbsp;";
      break;
  }
  o << "</i></div>";
}

// One bar, the classes' shares of the table, with their counts as SVG titles.
void render_bar(std::ostringstream& o, const std::map<Cls, std::size_t>& n, std::size_t total,
                const std::string& baseline) {
  const double width = 800;
  o << "<svg class=\"bar\" width=\"800\" height=\"16\" viewBox=\"0 0 800 16\" role=\"img\">";
  double x = 0;
  for (Cls c : kClasses) {
    const std::size_t k = n.count(c) ? n.at(c) : 0;
    if (!k || !total) continue;
    const double w = width * static_cast<double>(k) / static_cast<double>(total);
    char buf[128];
    std::snprintf(buf, sizeof buf, "<rect class=\"%s\" x=\"%.2f\" y=\"0\" width=\"%.2f\" ",
                  std::string(css(c)).c_str(), x, w);
    o << buf << "height=\"16\"><title>" << esc(label(c, baseline)) << ": " << k
      << "</title></rect>";
    x += w;
  }
  o << "</svg>\n";
}

constexpr const char* kStyle = R"css(
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em 2em;color:#1b1b1b;background:#fff}
h1{font-size:1.6em;margin:0 0 .3em}h2{font-size:1.25em;margin:1.6em 0 .4em;border-bottom:1px solid #ddd}
h3{font-size:1.05em;margin:1.2em 0 .3em}
table{border-collapse:collapse;margin:.3em 0 .8em}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
code,pre,.c{font-family:ui-monospace,monospace}pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(8.4em,1fr));gap:2px;margin:.5em 0 1em}
.c{font-size:11px;line-height:1.25;padding:2px 3px;border:2px solid transparent;border-radius:3px;overflow:hidden;white-space:nowrap}
.c b,.c i{display:block;overflow:hidden;text-overflow:ellipsis;font-weight:normal;font-style:normal}
.c i{font-size:10px;opacity:.85}
.used{background:#1b7f3b;color:#fff}.static{background:#f2b01e;color:#000}.runtime{background:#9ec5e8;color:#000}
.removed{background:#f7c6c0;color:#7a1010}.denied{background:#eeeeee;color:#888}
rect.used{fill:#1b7f3b}rect.static{fill:#f2b01e}rect.runtime{fill:#9ec5e8}rect.removed{fill:#f7c6c0}rect.denied{fill:#e4e4e4}
.risky{border-color:#b00020}.risky .r{color:#fff;background:#b00020;border-radius:2px;padding:0 2px;margin-right:2px;font-weight:bold}
.beyond{box-shadow:inset 0 0 0 2px #000}
.added{outline:3px solid #6a1b9a;outline-offset:-1px}.gone{outline:3px dashed #6a1b9a;outline-offset:-1px}
.d{font-weight:bold;color:#6a1b9a;background:#fff;border-radius:2px;padding:0 2px;margin-right:2px}
.legend{display:flex;flex-wrap:wrap;gap:.4em 1.2em;margin:.3em 0;padding:0;list-style:none}
.legend .c{display:inline-block;width:2.6em;height:1.1em;vertical-align:middle;margin-right:.3em}
.plus{color:#0a6b2c}.minus{color:#a01010}.note{color:#555}
)css";

std::string status_text(const Cell& c, const std::string& baseline) {
  switch (c.cls) {
    case Cls::kUsed:
      return "used " + plural(c.count, "time", "times");
    case Cls::kStatic:
      return "reachable only statically";
    case Cls::kRuntime:
      return "allowed for the runtime";
    case Cls::kRemoved:
      return "removed (" + baseline + " allows it)";
    case Cls::kDenied:
      return "denied by both";
  }
  return "";
}

std::string dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string endpoint_addr(const Endpoint& e) {
  if (e.family == "inet6") return "[" + e.address + "]:" + num(static_cast<std::uint64_t>(e.port));
  if (e.family == "inet") return e.address + ":" + num(static_cast<std::uint64_t>(e.port));
  return e.address;
}

void caps_table(std::ostringstream& o, const std::map<std::string, CapUse>& caps) {
  o << "<table><tr><th>capability</th><th>count</th><th>why (syscall: argument)</th><th>by</th>"
       "</tr>\n";
  for (const auto& [name, use] : caps) {
    o << "<tr><td><code>" << esc(name) << "</code></td><td class=\"n\">" << use.ev.count()
      << "</td><td>";
    bool first = true;
    for (const auto& r : use.reasons) {
      o << (first ? "" : "<br>") << "<code>" << esc(r.syscall) << "</code>: " << esc(r.detail);
      first = false;
    }
    o << "</td><td>" << esc(by_text(use.ev)) << "</td></tr>\n";
  }
  o << "</table>\n";
}

}  // namespace

std::string_view risky_syscall_reason(std::string_view name) {
  for (const auto& r : kRisky)
    if (r.name == name) return r.why;
  return {};
}

const std::set<std::string>& docker_default_capabilities() {
  // moby's defaults (oci/caps/defaults.go), the same for containerd's CRI.
  static const std::set<std::string> kCaps = {
      "CAP_AUDIT_WRITE", "CAP_CHOWN",   "CAP_DAC_OVERRIDE",     "CAP_FOWNER",    "CAP_FSETID",
      "CAP_KILL",        "CAP_MKNOD",   "CAP_NET_BIND_SERVICE", "CAP_NET_RAW",   "CAP_SETFCAP",
      "CAP_SETGID",      "CAP_SETPCAP", "CAP_SETUID",           "CAP_SYS_CHROOT"};
  return kCaps;
}

std::string emit_report(const Profile& p, const ReportOptions& o) {
  const std::string& bname = o.baseline.name;
  // The baseline as the runtime installs it on this kind of host, with the container's
  // capabilities and for the kernel named; tailor's filter as `tailor generate` writes it.
  const SeccompPolicy resolved =
      resolve_seccomp_policy(o.baseline.policy, o.baseline.caps, o.baseline.kernel_release);
  const Allowed baseline = seccomp_allowed_syscalls(resolved, o.baseline.caps);
  Allowed filter;
  std::optional<DiffResult> drift;
  if (o.old_side) {
    Surface now = surface_from_profile(p, o.seccomp);
    drift = diff_surfaces(*o.old_side, now);
    filter = std::move(now.syscalls);
  } else {
    filter = seccomp_allowed_syscalls(seccomp_policy_for(p, o.seccomp), {});
  }
  std::set<std::pair<std::string, std::string>> added, removed;
  if (drift)
    for (const auto& axis : drift->axes)
      if (axis.axis == "syscalls") {
        for (const auto& e : axis.added) added.insert({e.arch, e.subject});
        for (const auto& e : axis.removed) removed.insert({e.arch, e.subject});
      }

  // x86_64 always (the table most containers run), then every other architecture the profile
  // has that libseccomp knows.
  std::vector<std::pair<std::string, std::uint32_t>> arches;
  arches.push_back({"x86_64", *arch_token("x86_64")});
  for (const auto& [arch, calls] : p.syscalls)
    if (arch != "x86_64")
      if (auto t = arch_token(arch)) arches.push_back({arch, *t});

  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
       "<title>tailor report";
  for (const auto& in : o.inputs) h << " " << esc(in);
  h << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";

  // ---- header
  h << "<h1>tailor report</h1>\n<p>";
  h << "Profile" << (o.inputs.size() == 1 ? "" : "s (merged)") << ":";
  for (const auto& in : o.inputs) h << " <code>" << esc(in) << "</code>";
  if (!o.static_inputs.empty()) {
    h << "; static findings:";
    for (const auto& in : o.static_inputs) h << " <code>" << esc(in) << "</code>";
  }
  h << ".<br>\nBaseline (&ldquo;" << esc(bname) << "&rdquo;): " << esc(o.baseline.description)
    << ", resolved for a container with its default "
    << plural(o.baseline.caps.size(), "capability", "capabilities");
  if (!o.baseline.kernel_release.empty()) h << " on kernel " << esc(o.baseline.kernel_release);
  h << ".<br>\ntailor's filter: what <code>tailor generate --seccomp</code> writes, for "
    << esc(seccomp_variant(o.seccomp)) << ".</p>\n";
  if (!p.commands.empty()) {
    h << "<p>Recorded command" << (p.commands.size() == 1 ? "" : "s") << ":</p>\n<ul>\n";
    for (const auto& argv : p.commands) {
      std::string line;
      for (const auto& a : argv) line += (line.empty() ? "" : " ") + a;
      h << "<li><code>" << esc(line) << "</code></li>\n";
    }
    h << "</ul>\n";
  }
  for (const auto& c : p.containers) {
    std::string line = c.engine + " " + (c.image.empty() ? "(bundle)" : c.image);
    for (const auto& a : c.command) line += " " + a;
    h << "<p>Recorded in container: <code>" << esc(line) << "</code></p>\n";
  }

  // ---- the grids
  std::map<std::string, std::vector<Cell>> grids;
  std::map<std::string, std::map<Cls, std::size_t>> counts;
  std::map<std::string, std::size_t> risky_removed, beyond;
  for (const auto& [arch, token] : arches) {
    grids[arch] = grid_cells(p, arch, token, filter, baseline, added, removed);
    for (const auto& c : grids[arch]) {
      ++counts[arch][c.cls];
      risky_removed[arch] += c.cls == Cls::kRemoved && !c.risky.empty();
      beyond[arch] += c.in_filter && !c.in_baseline;
    }
  }

  h << "<h2 id=\"surface\">Syscall surface</h2>\n";
  h << "<p>Every syscall libseccomp knows for the architecture, by number. Hover a cell for its "
       "number, use counts, the executables that made it and why it is risky.</p>\n";
  h << "<table><tr><th>arch</th><th>syscalls</th>";
  for (Cls c : kClasses) h << "<th>" << esc(label(c, bname)) << "</th>";
  h << "<th>risky, removed by tailor</th><th>allowed by tailor, " << esc(bname)
    << " denies</th></tr>\n";
  for (const auto& [arch, token] : arches) {
    h << "<tr><td>" << esc(arch) << "</td><td class=\"n\">" << grids[arch].size() << "</td>";
    for (Cls c : kClasses) h << "<td class=\"n\">" << counts[arch][c] << "</td>";
    h << "<td class=\"n\">" << risky_removed[arch] << "</td><td class=\"n\">" << beyond[arch]
      << "</td></tr>\n";
  }
  h << "</table>\n";
  // Architectures the baseline admits that tailor's filter leaves out altogether: their whole
  // tables are removed (a 64-bit app gains nothing from the i386 and x32 entry points).
  for (const auto& [arch, calls] : baseline) {
    // (a named copy: clang 14 cannot capture a structured binding)
    const std::string& name = arch;
    if (std::any_of(arches.begin(), arches.end(), [&](const auto& a) { return a.first == name; }))
      continue;
    if (filter.count(arch) || calls.empty()) continue;
    h << "<p class=\"note\">" << esc(bname) << " also admits the " << esc(arch) << " table ("
      << plural(calls.size(), "syscall", "syscalls")
      << " allowed); tailor's filter does not admit that architecture at all.</p>\n";
  }

  h << "<ul class=\"legend\">";
  for (Cls c : kClasses)
    h << "<li><span class=\"c " << css(c) << "\">&nbsp;</span>" << esc(label(c, bname)) << "</li>";
  h << "<li><span class=\"c denied risky\">&nbsp;</span><b>!</b> risky (see the list below)</li>";
  h << "<li><span class=\"c runtime beyond\">&nbsp;</span>allowed by tailor, denied by "
    << esc(bname) << "</li>";
  if (drift)
    h << "<li><span class=\"c used added\">&nbsp;</span><b>+</b> allowed now, not by OLD</li>"
         "<li><span class=\"c removed gone\">&nbsp;</span><b>&minus;</b> allowed by OLD, not "
         "now</li>";
  h << "</ul>\n";

  for (const auto& [arch, token] : arches) {
    h << "<h3 id=\"grid-" << esc(arch) << "\">" << esc(arch) << ": "
      << plural(grids[arch].size(), "syscall", "syscalls") << "</h3>\n";
    render_bar(h, counts[arch], grids[arch].size(), bname);
    h << "<div class=\"grid\">\n";
    for (const auto& c : grids[arch]) {
      render_cell(h, c, arch, bname);
      h << "\n";
    }
    h << "</div>\n";
  }
  // Recorded names libseccomp has no number for (syscall_451 from a newer kernel) have no cell.
  std::vector<std::string> unknown;
  for (const auto& [arch, calls] : p.syscalls) {
    const auto t = arch_token(arch);
    for (const auto& [name, ev] : calls)
      if (!t || !syscall_number(*t, name)) unknown.push_back(arch + " " + name);
  }
  if (!unknown.empty()) {
    h << "<p class=\"note\">Not in libseccomp's tables (no cell; left out of the filter):";
    for (const auto& u : unknown) h << " <code>" << esc(u) << "</code>";
    h << "</p>\n";
  }

  // ---- risky syscalls
  h << "<h2 id=\"risky\">Risky syscalls</h2>\n";
  h << "<table><tr><th>syscall</th><th>this app (" << esc(arches.front().first) << ")</th><th>"
    << esc(bname) << "</th><th>tailor</th><th>why it is risky</th></tr>\n";
  {
    const auto& g = grids[arches.front().first];
    std::vector<const Cell*> rows;
    for (const auto& r : kRisky)
      for (const auto& c : g)
        if (c.name == r.name) rows.push_back(&c);
    // What the app does first, then what tailor took away, then what was denied anyway.
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Cell* a, const Cell* b) { return a->cls < b->cls; });
    for (const Cell* c : rows) {
      h << "<tr><td><code>" << esc(c->name) << "</code></td><td>" << esc(status_text(*c, bname));
      if ((c->name == "unshare" || c->name == "setns" || c->name == "clone3") && c->in_filter &&
          !p.process.namespaces.empty()) {
        std::set<std::string> ns;
        for (const auto& [flag, ev] : p.process.namespaces) ns.insert(flag);
        h << "; namespaces used: " << esc(join(ns, " "));
      }
      h << "</td><td>" << (c->in_baseline ? "allows" : "denies") << "</td><td>"
        << (c->in_filter ? "allows" : "denies") << "</td><td>" << esc(c->risky) << "</td></tr>\n";
    }
  }
  h << "</table>\n";

  // ---- drift
  if (drift) {
    h << "<h2 id=\"drift\">Drift since <code>" << esc(o.old_name) << "</code></h2>\n";
    h << "<p>" << drift->added() << " added (needed now, not allowed by OLD), " << drift->removed()
      << " removed (allowed by OLD, no longer needed), as <code>tailor diff</code> counts "
         "them.";
    if (!drift->skipped_note.empty()) h << " Not compared: " << esc(drift->skipped_note) << ".";
    h << "</p>\n";
    for (const auto& axis : drift->axes) {
      if (!axis.compared || (axis.added.empty() && axis.removed.empty())) continue;
      h << "<h3>" << esc(axis.axis) << ": " << axis.added.size() << " added, "
        << axis.removed.size() << " removed</h3>\n<ul>\n";
      for (int side = 0; side < 2; ++side)
        for (const auto& e : side == 0 ? axis.added : axis.removed) {
          std::string line = e.kind + " " + (e.arch.empty() ? "" : e.arch + " ") + e.subject;
          if (!e.detail.empty()) line += " (" + e.detail + ")";
          if (!e.counts) line += " [reported, not drift]";
          h << "<li class=\"" << (side == 0 ? "plus" : "minus") << "\">"
            << (side == 0 ? "+ " : "&minus; ") << esc(line) << "</li>\n";
        }
      h << "</ul>\n";
    }
  }

  // ---- capabilities
  h << "<h2 id=\"caps\">Capabilities</h2>\n";
  if (p.capabilities.empty()) {
    h << "<p>None exercised: the container can run with <code>--cap-drop ALL</code>.</p>\n";
  } else {
    caps_table(h, p.capabilities);
  }
  if (!p.capability_hints.empty()) {
    h << "<h3>Refused while recording (maybe needed, never granted automatically)</h3>\n";
    caps_table(h, p.capability_hints);
  }

  // ---- files
  std::map<std::string, std::vector<const std::pair<const std::string, FileUse>*>> dirs;
  for (const auto& f : p.files) dirs[dir_of(f.first)].push_back(&f);
  h << "<h2 id=\"files\">Files</h2>\n<p>" << plural(p.files.size(), "path", "paths") << " in "
    << plural(dirs.size(), "directory", "directories") << ".</p>\n";
  // Open when the list is short enough to read; a big profile starts folded (no script needed).
  const char* open = p.files.size() <= 300 ? " open" : "";
  for (const auto& [dir, files] : dirs) {
    h << "<details" << open << "><summary><code>" << esc(dir) << "</code> (" << files.size()
      << ")</summary>\n<table><tr><th>name</th><th>access</th><th>type</th>"
         "<th>result</th><th>count</th></tr>\n";
    for (const auto* f : files) {
      const std::string& path = f->first;
      const FileUse& u = f->second;
      std::string name = dir == "/" ? path.substr(1) : path.substr(dir.size() + 1);
      std::string result = u.succeeded ? "ok" : "not seen to succeed";
      if (!u.errors.empty()) result += (u.succeeded ? "; " : ": ") + join(u.errors, " ");
      h << "<tr><td><code>" << esc(name) << "</code></td><td>" << esc(join(u.access, " "))
        << "</td><td>" << esc(join(u.types, " ")) << "</td><td>" << esc(result)
        << "</td><td class=\"n\">" << u.ev.count() << "</td></tr>\n";
    }
    h << "</table>\n</details>\n";
  }

  // ---- network
  h << "<h2 id=\"network\">Sockets and endpoints</h2>\n";
  if (p.sockets.empty() && p.endpoints.empty()) h << "<p>No socket was created.</p>\n";
  if (!p.sockets.empty()) {
    h << "<table><tr><th>family</th><th>type</th><th>protocol</th><th>count</th><th>by</th></tr>\n";
    for (const auto& [s, ev] : p.sockets)
      h << "<tr><td>" << esc(s.family) << "</td><td>" << esc(s.type) << "</td><td class=\"n\">"
        << s.protocol << "</td><td class=\"n\">" << ev.count() << "</td><td>" << esc(by_text(ev))
        << "</td></tr>\n";
    h << "</table>\n";
  }
  if (!p.endpoints.empty()) {
    h << "<table><tr><th>op</th><th>family</th><th>address</th><th>count</th><th>by</th></tr>\n";
    for (const auto& [e, ev] : p.endpoints)
      h << "<tr><td>" << esc(e.op) << "</td><td>" << esc(e.family) << "</td><td><code>"
        << esc(endpoint_addr(e)) << "</code></td><td class=\"n\">" << ev.count() << "</td><td>"
        << esc(by_text(ev)) << "</td></tr>\n";
    h << "</table>\n";
  }

  // ---- executables
  h << "<h2 id=\"exes\">Executables</h2>\n";
  if (p.process.executables.empty()) {
    h << "<p>None recorded.</p>\n";
  } else {
    h << "<table><tr><th>path</th><th>privilege bits</th><th>runs</th></tr>\n";
    for (const auto& [path, exe] : p.process.executables) {
      std::set<std::string> bits;
      if (exe.setuid) bits.insert("setuid");
      if (exe.setgid) bits.insert("setgid");
      if (exe.file_caps) bits.insert("file capabilities");
      h << "<tr><td><code>" << esc(path) << "</code></td><td>"
        << (bits.empty() ? "none" : esc(join(bits, ", "))) << "</td><td class=\"n\">"
        << exe.ev.count() << "</td></tr>\n";
    }
    h << "</table>\n";
  }

  // ---- peaks
  const Resources& r = p.resources;
  h << "<h2 id=\"peaks\">Peaks</h2>\n<table>"
    << "<tr><th>largest resident set of one process</th><td class=\"n\">"
    << num((r.peak_rss_kb + 1023) / 1024) << " MiB (" << r.peak_rss_kb << " KiB)</td></tr>"
    << "<tr><th>processes alive at once</th><td class=\"n\">" << r.peak_processes << "</td></tr>"
    << "<tr><th>tasks (threads) alive at once</th><td class=\"n\">" << r.peak_threads
    << "</td></tr>"
    << "<tr><th>file descriptors (highest + 1)</th><td class=\"n\">" << r.peak_fds << "</td></tr>"
    << "<tr><th>longest run</th><td class=\"n\">" << esc(format_duration(r.wall_seconds))
    << "</td></tr></table>\n";

  // ---- flags
  h << "<h2 id=\"flags\">Hardening flags</h2>\n<p>As <code>tailor generate";
  for (const auto& in : o.inputs) h << " " << esc(in);
  if (!o.flags.seccomp_file.empty()) h << " --seccomp " << esc(o.flags.seccomp_file);
  h << " --flags docker</code> prints them:</p>\n<pre>" << esc(emit_flags(p, o.flags))
    << "</pre>\n";

  h << "<p class=\"note\">Written by tailor report. Syscall names and numbers are "
       "libseccomp's.</p>\n";
  h << "</body>\n</html>\n";
  return h.str();
}

}  // namespace tailor
