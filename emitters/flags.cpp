// Hardening flags: what to run the recorded app with in Docker, podman, Compose or Kubernetes.
//
// Every decision is made once, in decide(), from the profile alone; the four writers only format
// the same Decisions. Each flag comes with the reason it was chosen (a comment line), because a
// flag nobody understands is the first thing deleted when something breaks.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tailor/emitters.h"

namespace tailor {

bool wants_no_new_privileges(const Profile& p) {
  // no-new-privileges makes execve ignore setuid/setgid bits and file capabilities. If the
  // workload ran such a program, it relied on that gain (ping, sudo, newuidmap...), so the flag
  // would break it. Anything else cannot tell the difference.
  for (const auto& [path, exe] : p.process.executables)
    if (exe.setuid || exe.setgid || exe.file_caps) return false;
  return true;
}

std::optional<FlagsFormat> flags_format_from_name(std::string_view name) {
  if (name == "docker") return FlagsFormat::kDocker;
  if (name == "podman") return FlagsFormat::kPodman;
  if (name == "compose") return FlagsFormat::kCompose;
  if (name == "k8s") return FlagsFormat::kK8s;
  return std::nullopt;
}

namespace {

// ---- headroom -----------------------------------------------------------------------------
// A recording sees one run on one machine with one input; limits must leave room for the next
// run without giving up the protection (a fork bomb, a leak, an fd leak still hit a wall).

// pids.max counts tasks, i.e. threads, not processes. Twice the peak absorbs thread pools that
// grow with load or with the CPU count of a bigger host; +16 keeps small apps usable (a
// `docker exec` shell, a helper process) where doubling 1 or 2 tasks gives almost nothing.
std::uint64_t pids_limit(std::uint64_t peak_tasks) {
  return std::max<std::uint64_t>(2 * peak_tasks, peak_tasks + 16);
}

// peak_rss_kb is the largest RSS of any one process, but the memory cgroup charges all of them
// together, plus tmpfs contents and page cache. The sum is not recorded, so it is bounded by
// peak RSS × processes alive at once, then doubled for input-dependent growth and rounded up to
// MiB. 64 MiB is the floor: below it, page cache, the --tmpfs mounts and the runtime's own setup
// (runc init) compete with the app, and an OOM kill is a worse failure than a loose limit.
std::uint64_t memory_limit_mib(std::uint64_t peak_rss_kb, std::uint64_t peak_processes) {
  const std::uint64_t kb = 2 * peak_rss_kb * std::max<std::uint64_t>(1, peak_processes);
  return std::max<std::uint64_t>(64, (kb + 1023) / 1024);
}

// peak_fds is the highest descriptor number in use + 1, exactly what RLIMIT_NOFILE has to allow.
// Twice that covers more connections or files on a busier run; 1024 is the floor because it is
// the soft limit programs and libraries are written against (select()'s FD_SETSIZE), and a lower
// one breaks them in ways the recording could not show.
std::uint64_t nofile_limit(std::uint64_t peak_fds) {
  return std::max<std::uint64_t>(2 * peak_fds, 1024);
}

// ---- filesystem classification --------------------------------------------------------------

// Access kinds that modify the filesystem holding the path. With --read-only each of them fails
// with EROFS unless the path lies on a writable mount. ("xattr" is left out: the profile does not
// tell getxattr from setxattr, and reads are the common case.)
bool is_write_access(const std::string& a) {
  static const std::set<std::string> kWrite = {"write", "create",   "unlink", "rename",
                                               "link",  "mkdir",    "rmdir",  "chmod",
                                               "chown", "truncate", "mknod",  "bind"};
  return kWrite.count(a) > 0;
}

bool under(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

std::string parent_dir(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

// Debian-style images make /var/run and /var/lock symlinks into /run; runtimes resolve mount
// targets inside the container, so a tmpfs on /run covers both.
std::string normalize_dir(const std::string& dir) {
  if (under(dir, "/var/run")) return "/run" + dir.substr(8);
  if (under(dir, "/var/lock")) return "/run/lock" + dir.substr(9);
  return dir;
}

// The mount point of a tmpfs covering `dir`, if `dir` holds only data that may vanish with the
// container: temp dirs, runtime state (pid files, sockets), caches (FHS: deletable without loss).
// The tmpfs goes on the root of that area, not on the written dir itself, because apps create
// their own subdirectories with random names (mkdtemp) that the next run will not reuse.
std::optional<std::string> ephemeral_root(const std::string& dir) {
  for (const char* root : {"/tmp", "/var/tmp", "/run", "/var/cache", "/dev/shm", "/root/.cache"})
    if (under(dir, root)) return std::string(root);
  if (under(dir, "/home")) {  // ~/.cache of any user
    auto end = dir.find('/', 6);
    if (end != std::string::npos) {
      std::string cache = dir.substr(0, end) + "/.cache";
      if (under(dir, cache)) return cache;
    }
  }
  return std::nullopt;
}

// Mounted by the runtime itself whatever --read-only says (/dev is a tmpfs with device nodes,
// /proc is procfs), so writes there need no flag...
bool runtime_mounted(const std::string& path) {
  return (under(path, "/dev") && !under(path, "/dev/shm")) || under(path, "/proc");
}
// ...except these, which Docker and podman mount read-only or mask in every container.
bool runtime_read_only(const std::string& path) {
  for (const char* p : {"/sys", "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus",
                        "/proc/fs", "/proc/kcore"})
    if (under(path, p)) return true;
  return false;
}

// Drops every directory that lies under another one in the set: one mount covers both.
std::vector<std::string> outermost(const std::set<std::string>& dirs) {
  std::vector<std::string> out;
  for (const auto& d : dirs)  // sorted: a parent comes before its children
    if (out.empty() || !under(d, out.back())) out.push_back(d);
  return out;
}

// ---- the decisions --------------------------------------------------------------------------

struct Decisions {
  std::vector<std::pair<std::string, std::string>> caps;   // NAME without CAP_, why
  std::vector<std::pair<std::string, std::string>> hints;  // refused while recording
  bool nnp = true;
  std::vector<std::string> privileged_exes;                // "path (setuid)" when nnp is off
  std::vector<std::string> tmpfs;                          // mount points
  std::map<std::string, std::set<std::string>> tmpfs_for;  // mount point -> written dirs
  std::vector<std::string> volumes;                        // written dirs needing a volume
  std::vector<std::string> read_only_writes;  // /sys, /proc/sys...: read-only in containers
  std::set<std::string> net_families;         // families that need a network namespace
  bool network_none = true;
  bool ran_as_root = false;
  bool run_as_nobody = false;
  std::optional<std::pair<std::uint32_t, std::uint32_t>> nonroot_ids;  // ran as this uid:gid
  std::uint64_t peak_tasks = 0, pids = 0;
  std::uint64_t peak_rss_kb = 0, peak_processes = 0, memory_mib = 0;
  std::uint64_t peak_fds = 0, nofile = 0;
  std::vector<std::string> commands;
};

constexpr std::uint32_t kNobody = 65534;

// Comment text comes from the profile (paths, argv): keep it on one line whatever it holds.
std::string clean(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  return out;
}

std::string cap_why(const CapUse& use) {
  if (use.reasons.empty()) return "exercised while recording";
  const CapReason& r = *use.reasons.begin();
  std::string why = r.syscall + (r.detail.empty() ? "" : " " + r.detail);
  if (use.reasons.size() > 1) why += " (+" + std::to_string(use.reasons.size() - 1) + " more)";
  return clean(why);
}

std::string strip_cap(const std::string& name) {
  return name.rfind("CAP_", 0) == 0 ? name.substr(4) : name;
}

Decisions decide(const Profile& p) {
  Decisions d;
  for (const auto& [name, use] : p.capabilities) d.caps.emplace_back(strip_cap(name), cap_why(use));
  for (const auto& [name, use] : p.capability_hints)
    if (!p.capabilities.count(name)) d.hints.emplace_back(strip_cap(name), cap_why(use));

  d.nnp = wants_no_new_privileges(p);
  for (const auto& [path, exe] : p.process.executables) {
    std::string bits;
    if (exe.setuid) bits += " setuid";
    if (exe.setgid) bits += " setgid";
    if (exe.file_caps) bits += " file-caps";
    if (!bits.empty()) d.privileged_exes.push_back(clean(path) + " (" + bits.substr(1) + ")");
  }

  std::set<std::string> ephemeral_dirs, volume_dirs, ro_writes;
  for (const auto& [path, use] : p.files) {
    if (!use.succeeded || path.empty() || path[0] != '/') continue;
    if (std::none_of(use.access.begin(), use.access.end(), is_write_access)) continue;
    if (runtime_read_only(path)) {
      ro_writes.insert(path);
      continue;
    }
    if (runtime_mounted(path)) continue;
    // mkdir creates `path` in its parent; every other kind changes `path` or an entry of its
    // parent. Either way the parent directory has to be on a writable mount.
    const std::string dir = normalize_dir(parent_dir(path));
    if (auto root = ephemeral_root(dir)) {
      ephemeral_dirs.insert(*root);
      d.tmpfs_for[*root].insert(dir);
    } else {
      volume_dirs.insert(dir);
    }
  }
  d.tmpfs = outermost(ephemeral_dirs);
  for (const auto& v : outermost(volume_dirs)) {
    // A tmpfs that already covers it (a volume dir below a tmpfs root cannot happen, since every
    // dir under a tmpfs root is ephemeral; kept as a guard for future roots).
    if (std::none_of(d.tmpfs.begin(), d.tmpfs.end(), [&](const auto& t) { return under(v, t); }))
      d.volumes.push_back(v);
  }
  d.read_only_writes.assign(ro_writes.begin(), ro_writes.end());

  // A container under --network none has a loopback interface only. unix sockets are files and
  // AF_ALG is the kernel crypto API: neither needs an interface. Families tailor could not name,
  // or rare ones (vsock, can, bluetooth...), count as network to stay on the safe side.
  for (const auto& [s, ev] : p.sockets)
    if (s.family != "unix" && s.family != "alg") d.net_families.insert(s.family);
  d.network_none = d.net_families.empty();

  // uids holds the effective uid of every process seen. Root without any capability exercised
  // only used root as a file owner: nobody can do the same if the image's files allow it.
  d.ran_as_root = p.process.uids.count(0) > 0;
  d.run_as_nobody = d.ran_as_root && p.capabilities.empty();
  if (!d.ran_as_root && p.process.uids.size() == 1) {
    std::uint32_t gid =
        p.process.gids.size() == 1 ? p.process.gids.begin()->first : p.process.uids.begin()->first;
    d.nonroot_ids = std::make_pair(p.process.uids.begin()->first, gid);
  }

  const Resources& r = p.resources;
  d.peak_tasks = std::max(r.peak_threads, r.peak_processes);
  if (d.peak_tasks) d.pids = pids_limit(d.peak_tasks);
  d.peak_rss_kb = r.peak_rss_kb;
  d.peak_processes = r.peak_processes;
  if (r.peak_rss_kb) d.memory_mib = memory_limit_mib(r.peak_rss_kb, r.peak_processes);
  d.peak_fds = r.peak_fds;
  if (r.peak_fds) d.nofile = nofile_limit(r.peak_fds);

  for (const auto& argv : p.commands) {
    std::string line;
    for (const auto& a : argv) line += (line.empty() ? "" : " ") + a;
    d.commands.push_back(clean(line));
  }
  return d;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : sep) + x;
  return out;
}
std::string join(const std::set<std::string>& s, const std::string& sep) {
  return join(std::vector<std::string>(s.begin(), s.end()), sep);
}

// ---- quoting ---------------------------------------------------------------------------------

// One shell word: left bare when it only holds characters no shell treats specially.
std::string shell_quote(const std::string& s) {
  static const std::string kSafe =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-";
  if (!s.empty() && s.find_first_not_of(kSafe) == std::string::npos) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A YAML double-quoted scalar. JSON string syntax is a subset of it; bytes that are not UTF-8
// (a path can hold anything) become U+FFFD rather than an invalid document.
std::string yaml_quote(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Names (capabilities, services, volumes) stay bare in YAML, as people write them, when they
// are plain identifiers that no YAML reader would take for a boolean or null.
std::string yaml_word(const std::string& s) {
  static const std::string kPlain =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
  static const std::set<std::string> kReserved = {"y",     "n",  "yes", "no",  "true",
                                                  "false", "on", "off", "null"};
  std::string lower;
  for (unsigned char c : s) lower += static_cast<char>(std::tolower(c));
  if (!s.empty() && std::isalpha(static_cast<unsigned char>(s[0])) &&
      s.find_first_not_of(kPlain) == std::string::npos && !kReserved.count(lower))
    return s;
  return yaml_quote(s);
}

// ---- comments shared by all formats ---------------------------------------------------------

void header(std::vector<std::string>& c, const Decisions& d, const std::string& what) {
  c.push_back("Generated by tailor from a recorded profile: " + what + ".");
  const std::size_t kMax = 5;
  for (std::size_t i = 0; i < d.commands.size() && i < kMax; ++i)
    c.push_back("recorded: " + d.commands[i]);
  if (d.commands.size() > kMax)
    c.push_back("recorded: ... and " + std::to_string(d.commands.size() - kMax) + " more runs");
}

std::string mib(std::uint64_t kb) {
  return std::to_string((kb + 1023) / 1024) + " MiB";
}

// Explanations, one entry per flag group, in the order the flags are written.
std::vector<std::string> explain(const Decisions& d, const FlagsOptions& o, bool podman) {
  std::vector<std::string> c;
  c.push_back("--cap-drop ALL: start from no capabilities at all.");
  for (const auto& [cap, why] : d.caps)
    c.push_back("--cap-add " + cap + ": exercised while recording (" + why + ").");
  for (const auto& [cap, why] : d.hints)
    c.push_back("not added: " + cap + ", refused while recording (" + why +
                "): add it only if that call must succeed.");
  c.push_back("--security-opt seccomp=" + clean(o.seccomp_file) +
              ": only the syscalls the recording made (plus what the runtime needs).");
  if (!o.apparmor_name.empty())
    c.push_back("--security-opt apparmor=" + clean(o.apparmor_name) +
                ": the generated AppArmor profile (load it with apparmor_parser first).");
  if (d.nnp) {
    c.push_back("--security-opt no-new-privileges: no setuid/setgid/file-capability program ran,");
    c.push_back("  so execve never needs to gain privileges.");
  } else {
    c.push_back("no no-new-privileges: the app ran programs that gain privileges on execve:");
    for (const auto& e : d.privileged_exes) c.push_back("  " + e);
  }
  c.push_back("--read-only: the image's files stay as built; writes go to the mounts below.");
  if (podman)
    c.push_back("--read-only-tmpfs=false: podman would add tmpfs on /run, /tmp, /var/tmp itself.");
  for (const auto& t : d.tmpfs)
    c.push_back("--tmpfs " + clean(t) + ": written (" + clean(join(d.tmpfs_for.at(t), ", ")) +
                "), holds temp/runtime/cache data only.");
  if (!d.volumes.empty()) {
    c.push_back("NEEDS A VOLUME: the app wrote here, outside temp/run/cache dirs; add");
    for (const auto& v : d.volumes)
      c.push_back("  -v HOSTDIR:" + clean(v) + "   (or the write fails with EROFS)");
  }
  if (!d.read_only_writes.empty())
    c.push_back("writes containers refuse whatever the flags (/sys, /proc/sys are read-only): " +
                clean(join(d.read_only_writes, ", ")));
  if (d.network_none)
    c.push_back("--network none: no inet/inet6/netlink/packet socket was used (loopback only).");
  else
    c.push_back("network kept: sockets of family " + join(d.net_families, ", ") + " were used.");
  if (d.run_as_nobody) {
    c.push_back("--user 65534:65534: ran as root but needed no capability, so nobody will do;");
    c.push_back("  the image's file ownership and modes must let nobody read (and write) them.");
  } else if (d.ran_as_root) {
    c.push_back("runs as root: it exercised capabilities, which a non-root user would not have.");
  } else if (d.nonroot_ids) {
    c.push_back("ran as uid " + std::to_string(d.nonroot_ids->first) +
                ": keep the image's USER non-root (or pass --user " +
                std::to_string(d.nonroot_ids->first) + ":" + std::to_string(d.nonroot_ids->second) +
                ").");
  }
  if (d.pids)
    c.push_back("--pids-limit " + std::to_string(d.pids) + ": peak " +
                std::to_string(d.peak_tasks) + " tasks (threads count), max(2x, +16).");
  if (d.memory_mib)
    c.push_back("--memory " + std::to_string(d.memory_mib) + "m: peak RSS " + mib(d.peak_rss_kb) +
                " x " + std::to_string(std::max<std::uint64_t>(1, d.peak_processes)) +
                " processes, x2, at least 64m.");
  if (d.nofile)
    c.push_back("--ulimit nofile=" + std::to_string(d.nofile) + ": peak " +
                std::to_string(d.peak_fds) + " fds, max(2x, 1024).");
  if (!d.pids && !d.memory_mib && !d.nofile)
    c.push_back("no resource limits: the profile has no recorded peaks.");
  return c;
}

// ---- docker / podman --------------------------------------------------------------------------

std::string emit_cli(const Decisions& d, const FlagsOptions& o, bool podman) {
  std::vector<std::string> c;
  header(c, d, std::string(podman ? "podman" : "docker") + " run flags");
  c.push_back("");
  for (auto& line : explain(d, o, podman)) c.push_back(std::move(line));

  std::vector<std::string> flags;  // each element is one line: a flag and its value
  auto flag = [&](const std::string& name, const std::string& value = "") {
    flags.push_back(value.empty() ? name : name + " " + shell_quote(value));
  };
  flag("--cap-drop", "ALL");
  for (const auto& [cap, why] : d.caps) flag("--cap-add", cap);
  flag("--security-opt", "seccomp=" + o.seccomp_file);
  if (!o.apparmor_name.empty()) flag("--security-opt", "apparmor=" + o.apparmor_name);
  if (d.nnp) flag("--security-opt", "no-new-privileges");
  flag("--read-only");
  if (podman) flag("--read-only-tmpfs=false");
  for (const auto& t : d.tmpfs) flag("--tmpfs", t);
  if (d.network_none) flag("--network", "none");
  if (d.run_as_nobody) flag("--user", std::to_string(kNobody) + ":" + std::to_string(kNobody));
  if (d.pids) flag("--pids-limit", std::to_string(d.pids));
  if (d.memory_mib) flag("--memory", std::to_string(d.memory_mib) + "m");
  if (d.nofile) flag("--ulimit", "nofile=" + std::to_string(d.nofile));

  // Shell comments cannot follow a `\` continuation, so every explanation sits above the command
  // and the command itself stays copy-pasteable.
  std::ostringstream out;
  for (const auto& line : c) out << (line.empty() ? "#" : "# " + line) << "\n";
  out << (podman ? "podman" : "docker") << " run \\\n";
  for (const auto& f : flags) out << "  " << f << " \\\n";
  out << "  " << shell_quote(o.image) << "\n";
  return out.str();
}

// ---- YAML helpers -----------------------------------------------------------------------------

class Yaml {
 public:
  // `text` is the line without its comment; comments are aligned so the values read as a column.
  void line(int indent, const std::string& text, const std::string& comment = "") {
    lines_.push_back({std::string(static_cast<std::size_t>(indent), ' ') + text, clean(comment)});
  }
  void comment(int indent, const std::string& text) {
    lines_.push_back({std::string(static_cast<std::size_t>(indent), ' ') + "# " + clean(text), ""});
  }
  std::string str() const {
    std::size_t width = 0;
    for (const auto& [t, c] : lines_)
      if (!c.empty()) width = std::max(width, t.size());
    width = std::min<std::size_t>(width, 44);
    std::string out;
    for (const auto& [t, c] : lines_) {
      out += t;
      if (!c.empty()) out += std::string(t.size() < width ? width - t.size() : 0, ' ') + "  # " + c;
      out += "\n";
    }
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::string>> lines_;
};

void yaml_header(Yaml& y, const Decisions& d, const std::string& what) {
  std::vector<std::string> c;
  header(c, d, what);
  for (const auto& line : c) y.comment(0, line);
  for (const auto& [cap, why] : d.hints)
    y.comment(0, "not added: " + cap + " was refused while recording (" + why + ")");
  if (!d.read_only_writes.empty())
    y.comment(0, "writes containers refuse whatever the settings (/sys, /proc/sys): " +
                     join(d.read_only_writes, ", "));
}

// ---- compose ----------------------------------------------------------------------------------

std::string emit_compose(const Decisions& d, const FlagsOptions& o) {
  Yaml y;
  yaml_header(y, d, "docker compose service fragment");
  y.line(0, "services:");
  y.line(2, yaml_word(o.service) + ":");
  y.line(4, "image: " + yaml_quote(o.image), "the image to harden");
  y.line(4, "cap_drop:");
  y.line(6, "- ALL", "start from no capabilities");
  if (!d.caps.empty()) {
    y.line(4, "cap_add:");
    for (const auto& [cap, why] : d.caps) y.line(6, "- " + yaml_word(cap), "exercised: " + why);
  }
  y.line(4, "security_opt:");
  y.line(6, "- " + yaml_quote("seccomp=" + o.seccomp_file), "syscalls the recording made");
  if (!o.apparmor_name.empty())
    y.line(6, "- " + yaml_quote("apparmor=" + o.apparmor_name), "generated AppArmor profile");
  if (d.nnp)
    y.line(6, "- \"no-new-privileges:true\"", "no setuid/setgid/file-caps program ran");
  else
    y.comment(6, "no-new-privileges left off: ran " + join(d.privileged_exes, ", "));
  y.line(4, "read_only: true", "image files stay as built");
  if (!d.tmpfs.empty()) {
    y.line(4, "tmpfs:");
    for (const auto& t : d.tmpfs)
      y.line(6, "- " + yaml_quote(t), "written: " + join(d.tmpfs_for.at(t), ", "));
  }
  if (!d.volumes.empty()) {
    y.comment(4, "NEEDS A VOLUME (written outside temp/run/cache, EROFS otherwise):");
    y.comment(4, "volumes:");
    for (const auto& v : d.volumes) y.comment(6, "- HOSTDIR:" + v);
  }
  if (d.run_as_nobody)
    y.line(4, "user: \"65534:65534\"",
           "ran as root without capabilities; image files must allow nobody");
  else if (d.ran_as_root)
    y.comment(4, "stays root: it exercised capabilities");
  else if (d.nonroot_ids)
    y.comment(4, "ran as uid " + std::to_string(d.nonroot_ids->first) +
                     ": keep the image's USER non-root");
  if (d.pids)
    y.line(4, "pids_limit: " + std::to_string(d.pids),
           "peak " + std::to_string(d.peak_tasks) + " tasks, max(2x, +16)");
  if (d.memory_mib)
    y.line(4, "mem_limit: " + yaml_quote(std::to_string(d.memory_mib) + "m"),
           "peak RSS " + mib(d.peak_rss_kb) + " x processes x2, >= 64m");
  if (d.nofile) {
    y.line(4, "ulimits:");
    y.line(6, "nofile:", "peak " + std::to_string(d.peak_fds) + " fds, max(2x, 1024)");
    y.line(8, "soft: " + std::to_string(d.nofile));
    y.line(8, "hard: " + std::to_string(d.nofile));
  }
  if (d.network_none)
    y.line(4, "network_mode: none", "no inet/inet6/netlink/packet socket used");
  else
    y.comment(4, "network kept: " + join(d.net_families, ", ") + " sockets used");
  return y.str();
}

// ---- Kubernetes ---------------------------------------------------------------------------------

// A volume name is a DNS-1123 label: lowercase alphanumerics and '-', at most 63 characters.
std::string volume_name(const std::string& path, std::set<std::string>& taken) {
  std::string n;
  for (unsigned char c : path) {
    char l = static_cast<char>(std::tolower(c));
    bool alnum = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
    if (alnum)
      n += l;
    else if (!n.empty() && n.back() != '-')
      n += '-';
  }
  n = n.substr(0, 50);
  while (!n.empty() && n.back() == '-') n.pop_back();
  if (n.empty()) n = "tmpfs";
  std::string name = n;
  for (int i = 2; taken.count(name); ++i) name = n + "-" + std::to_string(i);
  taken.insert(name);
  return name;
}

std::string emit_k8s(const Decisions& d, const FlagsOptions& o) {
  Yaml y;
  yaml_header(y, d, "Kubernetes pod spec fragment");
  y.comment(0, "merge into the pod's spec (a Deployment's spec.template.spec)");
  y.line(0, "containers:");
  y.line(2, "- name: " + yaml_word(o.service), "container to harden");
  y.line(4, "image: " + yaml_quote(o.image));
  y.line(4, "securityContext:");
  y.line(6, "capabilities:");
  y.line(8, "drop:");
  y.line(10, "- ALL", "start from no capabilities");
  if (!d.caps.empty()) {
    y.line(8, "add:");
    for (const auto& [cap, why] : d.caps) y.line(10, "- " + yaml_word(cap), "exercised: " + why);
  }
  // Kubernetes rejects allowPrivilegeEscalation: false together with an added SYS_ADMIN.
  bool sys_admin = std::any_of(d.caps.begin(), d.caps.end(),
                               [](const auto& c) { return c.first == "SYS_ADMIN"; });
  if (d.nnp && !sys_admin)
    y.line(6, "allowPrivilegeEscalation: false", "no_new_privs: no setuid/setgid/file-caps ran");
  else if (d.nnp)
    y.line(6, "allowPrivilegeEscalation: true", "the API refuses false with SYS_ADMIN added");
  else
    y.line(6, "allowPrivilegeEscalation: true", "ran " + join(d.privileged_exes, ", "));
  y.line(6, "readOnlyRootFilesystem: true", "image files stay as built");
  if (d.run_as_nobody) {
    y.line(6, "runAsNonRoot: true", "ran as root but needed no capability");
    y.line(6, "runAsUser: 65534", "nobody; image files must allow it");
    y.line(6, "runAsGroup: 65534", "nogroup");
  } else if (d.nonroot_ids) {
    y.line(6, "runAsNonRoot: true",
           "ran as uid " + std::to_string(d.nonroot_ids->first) + "; refuse a root image USER");
  } else if (d.ran_as_root) {
    y.comment(6, "stays root: it exercised capabilities");
  }
  // localhostProfile is relative to the kubelet's seccomp directory; an absolute path the CLI
  // wrote to is meaningless on a node, so only its file name is kept.
  std::string seccomp = o.seccomp_file;
  if (!seccomp.empty() && seccomp[0] == '/') seccomp = seccomp.substr(seccomp.rfind('/') + 1);
  y.line(6, "seccompProfile:");
  y.line(8, "type: Localhost", "the generated profile, not RuntimeDefault");
  y.line(8, "localhostProfile: " + yaml_quote(seccomp),
         "copy to /var/lib/kubelet/seccomp/ on each node");
  if (!o.apparmor_name.empty()) {
    y.line(6, "appArmorProfile:", "Kubernetes 1.30+; older: the apparmor annotation");
    y.line(8, "type: Localhost", "loaded on the node by apparmor_parser");
    y.line(8, "localhostProfile: " + yaml_quote(o.apparmor_name));
  }
  if (d.memory_mib) {
    y.line(4, "resources:");
    y.line(6, "limits:");
    y.line(8, "memory: " + yaml_quote(std::to_string(d.memory_mib) + "Mi"),
           "peak RSS " + mib(d.peak_rss_kb) + " x processes x2, >= 64Mi");
  }
  if (d.pids)
    y.comment(4, "pids: peak " + std::to_string(d.peak_tasks) + " tasks; pod pid limits are " +
                     "the kubelet's podPidsLimit (" + std::to_string(d.pids) + " would do)");
  if (d.nofile)
    y.comment(4, "nofile: peak " + std::to_string(d.peak_fds) +
                     " fds; set by the container runtime's default ulimits (" +
                     std::to_string(d.nofile) + " would do)");
  if (d.network_none)
    y.comment(4, "no inet/inet6/netlink/packet socket used: a NetworkPolicy can deny all traffic");
  std::set<std::string> taken;
  std::vector<std::pair<std::string, std::string>> mounts;  // name, path
  for (const auto& t : d.tmpfs) mounts.emplace_back(volume_name(t, taken), t);
  if (!mounts.empty()) {
    y.line(4, "volumeMounts:", "readOnlyRootFilesystem: writable dirs");
    for (const auto& [name, path] : mounts) {
      y.line(6, "- name: " + yaml_word(name), "written: " + join(d.tmpfs_for.at(path), ", "));
      y.line(8, "mountPath: " + yaml_quote(path));
    }
  }
  if (!d.volumes.empty()) {
    y.comment(4, "NEEDS A VOLUME (written outside temp/run/cache, EROFS otherwise), e.g. a PVC:");
    for (const auto& v : d.volumes) y.comment(6, "- mountPath: " + v);
  }
  if (!mounts.empty()) {
    y.line(0, "volumes:");
    for (const auto& [name, path] : mounts) {
      y.line(2, "- name: " + yaml_word(name), "tmpfs for " + path);
      y.line(4, "emptyDir:");
      y.line(6, "medium: Memory", "RAM-backed like --tmpfs; counts against memory");
    }
  }
  return y.str();
}

}  // namespace

std::string emit_flags(const Profile& p, const FlagsOptions& o) {
  const Decisions d = decide(p);
  switch (o.format) {
    case FlagsFormat::kDocker:
      return emit_cli(d, o, false);
    case FlagsFormat::kPodman:
      return emit_cli(d, o, true);
    case FlagsFormat::kCompose:
      return emit_compose(d, o);
    case FlagsFormat::kK8s:
      return emit_k8s(d, o);
  }
  return {};
}

bool runs_as_nobody(const Profile& p) {
  return decide(p).run_as_nobody;
}

std::map<std::string, std::string> hardening_needs(const Profile& p) {
  const Decisions d = decide(p);
  std::map<std::string, std::string> needs;
  if (!d.nnp) needs["no-new-privileges off"] = "ran " + join(d.privileged_exes, ", ");
  for (const auto& t : d.tmpfs)
    needs["tmpfs " + clean(t)] = "written: " + clean(join(d.tmpfs_for.at(t), ", "));
  for (const auto& v : d.volumes)
    needs["volume " + clean(v)] = "written outside temp/run/cache directories";
  for (const auto& f : d.net_families)
    needs["network " + clean(f)] = "a " + clean(f) + " socket needs more than --network none";
  // Running as root (not nobody) follows from capabilities being exercised as root.
  if (d.ran_as_root && !d.run_as_nobody)
    needs["user root"] = "exercised capabilities as root, so --user 65534 is not offered";
  return needs;
}

}  // namespace tailor
