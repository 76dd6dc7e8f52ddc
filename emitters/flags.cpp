// Hardening flags: what to run the recorded app with in Docker, podman, Compose or Kubernetes.
//
// Every decision is made once, in hardening_plan(), from the profile alone; the four writers only
// format the same HardeningPlan. Each flag comes with the reason it was chosen (a comment line),
// because a flag nobody understands is the first thing deleted when something breaks.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "tailor/emitters.h"
#include "text_util.h"

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

using text::clean;
using text::join;
using text::mib;
using text::shell_quote;
using text::Yaml;
using text::yaml_flow_list;
using text::yaml_quote;
using text::yaml_word;

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

// ---- network ----------------------------------------------------------------------------------

bool is_inet(const std::string& family) {
  return family == "inet" || family == "inet6";
}

// 127.0.0.0/8, ::1 and v4-mapped 127.x: a container under --network none still has its own lo,
// so whatever the workload did there works unchanged in it.
bool is_loopback(const std::string& family, const std::string& a) {
  if (family == "inet") return a.rfind("127.", 0) == 0;
  return a == "::1" || a.rfind("::ffff:127.", 0) == 0;
}

bool is_wildcard(const std::string& family, const std::string& a) {
  return family == "inet" ? a == "0.0.0.0" : a == "::";
}

// "127.0.0.1:8081", "[::1]:8081"
std::string host_port(const std::string& family, const std::string& a, int port) {
  return (family == "inet6" ? "[" + a + "]" : a) + ":" + std::to_string(port);
}

// ---- the decisions --------------------------------------------------------------------------

constexpr std::uint32_t kNobody = 65534;

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

// A container under --network none has a loopback interface of its own and nothing else. unix
// sockets are files and AF_ALG is the kernel crypto API: neither needs an interface. inet and
// inet6 need one only for addresses beyond loopback: a workload that bound, listened, connected
// or sent only to 127.0.0.1 or ::1 (a test suite against a local database, a program talking to
// itself) runs unchanged without a network. An inet socket with no recorded address (an ioctl
// on it, an implicit bind) keeps the network, and so do families tailor could not name or rare
// ones (netlink, packet, vsock, can...): the safe side.
//
// Servers. A listen (TCP) or a bind without listen on a datagram socket family (UDP) with a
// fixed port is a server; where it listened decides what is printed:
//  - 0.0.0.0 / :: (every address): published on the same port and address family of the host,
//    `-p 0.0.0.0:P:P` for inet, `-p P:P` for inet6 (a :: socket is dual-stack by default);
//  - one of the recording host's addresses: published on that host address; the container has
//    addresses of its own, so the comment says the app must listen on 0.0.0.0 there;
//  - loopback only: NOT published. A published port forwards to the container's own interface,
//    which a socket on the container's 127.0.0.1 never sees, so `-p` would promise what cannot
//    work; the app serves what it served while recorded, clients on its own loopback, which
//    --network none keeps. The comment says what to change to serve the host.
// With --network none there are no published ports: a server that must be reached from outside
// is exactly what keeps the network.
void decide_network(const Profile& p, HardeningPlan& d) {
  auto need = [&](const std::string& family, const std::string& why) {
    d.net_families.insert(family);
    if (std::find(d.net_reasons.begin(), d.net_reasons.end(), clean(why)) != d.net_reasons.end())
      return;
    if (d.net_reasons.size() < 4)
      d.net_reasons.push_back(clean(why));
    else
      d.more_net_reasons = true;
  };
  std::set<std::string> inet_used;
  bool dgram_inet = false, dgram_inet6 = false;
  for (const auto& [s, ev] : p.sockets) {
    if (s.family == "unix" || s.family == "alg") continue;
    if (is_inet(s.family)) {
      inet_used.insert(s.family);
      if (s.type == "dgram") (s.family == "inet" ? dgram_inet : dgram_inet6) = true;
      continue;
    }
    need(s.family, s.family + " sockets");
  }
  std::set<std::string> inet_with_address;
  std::set<std::tuple<std::string, std::string, int>> listening;  // family, address, port
  for (const auto& [ep, ev] : p.endpoints)
    if (ep.op == "listen") listening.insert({ep.family, ep.address, ep.port});
  std::map<std::pair<std::string, int>, std::vector<PublishedPort>>
      servers;  // (proto, port) -> where
  for (const auto& [ep, ev] : p.endpoints) {
    if (!is_inet(ep.family)) continue;
    inet_with_address.insert(ep.family);
    // A TCP server's bind is its listen's address: the listen entry speaks for both.
    if (ep.op == "bind" && listening.count({ep.family, ep.address, ep.port})) continue;
    const bool loop = !ep.address.empty() && is_loopback(ep.family, ep.address);
    const bool wild = is_wildcard(ep.family, ep.address);
    const bool udp_server = ep.op == "bind" && ep.port != 0 &&
                            !listening.count({ep.family, ep.address, ep.port}) &&
                            (ep.family == "inet" ? dgram_inet : dgram_inet6);
    const bool server = ep.op == "listen" || udp_server;
    const std::string where = host_port(ep.family, ep.address, ep.port);
    if (ep.address.empty()) {
      need(ep.family, ep.family + " " + ep.op + " on an address tailor did not see");
      if (server) d.unpublishable.push_back(clean(ep.family) + " listen on an unknown address");
      continue;
    }
    if (loop) {
      if (server) d.loopback_servers.push_back(clean(where) + (udp_server ? "/udp" : "/tcp"));
      continue;
    }
    if (!server) {
      // A bind to any address with port 0 is a client asking for an ephemeral port.
      if (ep.op == "bind" && wild && ep.port == 0) continue;
      need(ep.family, ep.family + " " + ep.op + " " + where);
      continue;
    }
    need(ep.family, (udp_server ? "udp server on " : "listened on ") + where);
    if (ep.port == 0) {
      d.unpublishable.push_back(clean(where) + " (a port chosen at run time)");
      continue;
    }
    PublishedPort pub;
    pub.proto = udp_server ? "udp" : "tcp";
    pub.port = ep.port;
    pub.seen = clean(where);
    if (wild) {
      pub.host_ip = ep.family == "inet" ? "0.0.0.0" : "";
    } else {
      pub.host_ip = clean(ep.address);
      pub.host_specific = true;
    }
    servers[{pub.proto, pub.port}].push_back(pub);
  }
  for (const auto& f : inet_used)
    if (!inet_with_address.count(f)) need(f, f + " sockets with no recorded address");
  // One -p per host port and protocol: the engine refuses to publish a port twice. Every address
  // (a :: listener) covers 0.0.0.0, and a wildcard covers single addresses.
  for (auto& [key, pubs] : servers) {
    auto rank = [](const PublishedPort& x) {
      return x.host_ip.empty() ? 0 : x.host_specific ? 2 : 1;
    };
    std::stable_sort(pubs.begin(), pubs.end(), [&](const PublishedPort& a, const PublishedPort& b) {
      return rank(a) < rank(b);
    });
    const int best = rank(pubs.front());
    std::set<std::string> seen_ips;
    for (const auto& x : pubs)
      if (rank(x) == best && seen_ips.insert(x.host_ip).second) d.publish.push_back(x);
  }
  std::sort(d.loopback_servers.begin(), d.loopback_servers.end());
  d.loopback_servers.erase(std::unique(d.loopback_servers.begin(), d.loopback_servers.end()),
                           d.loopback_servers.end());
  d.network_none = d.net_families.empty();
}

// A named volume per written dir: `-v NAME:DIR` runs as printed (the engine creates the volume
// on first use, filled from the image's DIR, and keeps it across runs), where a placeholder host
// path would not. The name says where it came from: tailor-<program>-<dir>.
std::string docker_volume_name(const std::string& program, const std::string& dir,
                               std::set<std::string>& taken) {
  std::string raw = "tailor-" + program + dir;
  std::string n;
  for (unsigned char c : raw) {
    const bool ok = std::isalnum(c) || c == '_' || c == '.' || c == '-';
    if (ok)
      n += static_cast<char>(c);
    else if (!n.empty() && n.back() != '-')
      n += '-';
  }
  n = n.substr(0, 100);
  while (!n.empty() && (n.back() == '-' || n.back() == '.')) n.pop_back();
  std::string name = n;
  for (int i = 2; taken.count(name); ++i) name = n + "-" + std::to_string(i);
  taken.insert(name);
  return name;
}

}  // namespace

HardeningPlan hardening_plan(const Profile& p) {
  HardeningPlan d;
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
  std::string program;
  if (!p.commands.empty() && !p.commands.begin()->empty()) {
    const std::string& argv0 = p.commands.begin()->front();
    program = argv0.substr(
        argv0.find_last_of('/') == std::string::npos ? 0 : argv0.find_last_of('/') + 1);
  }
  std::set<std::string> taken;
  for (const auto& v : d.volumes)
    d.volume_names[v] = docker_volume_name(program.empty() ? "" : program + "-", v, taken);

  decide_network(p, d);

  // uids holds the effective uid of every process seen. Root without any capability exercised
  // only used root as a file owner: nobody can do the same if the image's files allow it.
  d.ran_as_root = p.process.uids.count(0) > 0;
  d.run_as_nobody = runs_as_nobody(p);
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

namespace {

// ---- comments shared by all formats ---------------------------------------------------------

void header(std::vector<std::string>& c, const HardeningPlan& d, const std::string& what) {
  c.push_back("Generated by tailor from a recorded profile: " + what + ".");
  const std::size_t kMax = 5;
  for (std::size_t i = 0; i < d.commands.size() && i < kMax; ++i)
    c.push_back("recorded: " + d.commands[i]);
  if (d.commands.size() > kMax)
    c.push_back("recorded: ... and " + std::to_string(d.commands.size() - kMax) + " more runs");
}

// The network decision in words (decide_network says why), shared by every format.
std::vector<std::string> explain_network(const HardeningPlan& d) {
  std::vector<std::string> c;
  if (d.network_none) {
    c.push_back("--network none: no socket needed a network (unix sockets, or inet/inet6 to");
    c.push_back("  loopback addresses only: a container has a loopback interface of its own).");
    if (!d.loopback_servers.empty()) {
      c.push_back("  It listened on " + join(d.loopback_servers, ", ") +
                  " (loopback only), which clients inside");
      c.push_back("  the container reach. To serve the host instead, make it listen on 0.0.0.0 in");
      c.push_back("  the image, drop --network none and add -p 127.0.0.1:PORT:PORT.");
    }
    return c;
  }
  c.push_back("network kept: " + join(d.net_reasons, ", ") + (d.more_net_reasons ? ", ..." : "") +
              ".");
  for (const auto& pub : d.publish) {
    std::string why = "-p " + pub.spec() + ": it listened on " + pub.seen +
                      (pub.proto == "udp" ? " (udp)" : "") + "; ";
    if (pub.host_ip.empty())
      why += "published on every host address, both families.";
    else if (!pub.host_specific)
      why += "published on the host's IPv4 addresses.";
    else
      why +=
          "an address of the recording host, published there (in the container the app must"
          " listen on 0.0.0.0: the container has addresses of its own).";
    c.push_back(why);
  }
  for (const auto& l : d.loopback_servers)
    c.push_back("not published: " + l +
                " (loopback only: a published port reaches the container's interface, not its lo;"
                " make the app listen on 0.0.0.0 to publish it).");
  for (const auto& u : d.unpublishable)
    c.push_back("not published: " + u + ": only a fixed port can be published.");
  return c;
}

// Explanations, one entry per flag group, in the order the flags are written.
std::vector<std::string> explain(const HardeningPlan& d, const FlagsOptions& o, bool podman) {
  std::vector<std::string> c;
  c.push_back("--cap-drop ALL: start from no capabilities at all.");
  for (const auto& [cap, why] : d.caps)
    c.push_back("--cap-add " + cap + ": exercised while recording (" + why + ").");
  for (const auto& [cap, why] : d.hints)
    c.push_back("not added: " + cap + ", refused while recording (" + why +
                "): add it only if that call must succeed.");
  if (o.seccomp_file.empty()) {
    c.push_back("no --security-opt seccomp=: no profile was written (tailor generate --seccomp");
    c.push_back("  FILE writes one); the engine's default seccomp profile applies.");
  } else {
    c.push_back("--security-opt seccomp=" + clean(o.seccomp_file) +
                ": only the syscalls the recording made (plus what the runtime needs).");
    if (o.seccomp_nnp_only)
      c.push_back(
          "  It is the nnp-only variant (--nnp-only): the container must run with "
          "no-new-privileges.");
  }
  if (!o.apparmor_name.empty())
    c.push_back("--security-opt apparmor=" + clean(o.apparmor_name) +
                ": the generated AppArmor profile (load it with apparmor_parser first).");
  if (d.nnp) {
    c.push_back("--security-opt no-new-privileges: no setuid/setgid/file-capability program ran,");
    c.push_back("  so execve never needs to gain privileges.");
  } else if (o.seccomp_nnp_only) {
    c.push_back(
        "--security-opt no-new-privileges: the nnp-only seccomp profile needs it, although");
    c.push_back("  these programs will not gain privileges on execve under it:");
    for (const auto& e : d.privileged_exes) c.push_back("  " + e);
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
    c.push_back("-v NAME:DIR: the app wrote these dirs outside temp/run/cache dirs (EROFS under");
    c.push_back(
        "  --read-only otherwise). Each gets a named volume, created on first use from the");
    c.push_back("  image's DIR and kept across runs; -v /host/dir:DIR keeps the data on the host:");
    for (const auto& v : d.volumes)
      c.push_back("  " + clean(d.volume_names.at(v)) + ":" + clean(v));
  }
  if (!d.read_only_writes.empty())
    c.push_back("writes containers refuse whatever the flags (/sys, /proc/sys are read-only): " +
                clean(join(d.read_only_writes, ", ")));
  for (auto& line : explain_network(d)) c.push_back(std::move(line));
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

std::string emit_cli(const HardeningPlan& d, const FlagsOptions& o, bool podman) {
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
  if (!o.seccomp_file.empty()) flag("--security-opt", "seccomp=" + o.seccomp_file);
  if (!o.apparmor_name.empty()) flag("--security-opt", "apparmor=" + o.apparmor_name);
  if (d.nnp || o.seccomp_nnp_only) flag("--security-opt", "no-new-privileges");
  flag("--read-only");
  if (podman) flag("--read-only-tmpfs=false");
  for (const auto& t : d.tmpfs) flag("--tmpfs", t);
  for (const auto& v : d.volumes) {
    // -v splits at ':'; --mount reads CSV, where a quoted field may hold ':' and ','.
    if (v.find(':') == std::string::npos)
      flag("-v", d.volume_names.at(v) + ":" + v);
    else
      flag("--mount", "type=volume,source=" + d.volume_names.at(v) + ",\"target=" + v + "\"");
  }
  if (d.network_none) flag("--network", "none");
  for (const auto& pub : d.publish) flag("-p", pub.spec());
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
  out << "  " << shell_quote(o.image);
  for (const auto& arg : o.command) out << " " << shell_quote(arg);
  out << "\n";
  return out.str();
}

// ---- YAML helpers -----------------------------------------------------------------------------

void yaml_header(Yaml& y, const HardeningPlan& d, const std::string& what) {
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

std::string emit_compose(const HardeningPlan& d, const FlagsOptions& o) {
  Yaml y;
  yaml_header(y, d, "docker compose service fragment");
  y.line(0, "services:");
  y.line(2, yaml_word(o.service) + ":");
  y.line(4, "image: " + yaml_quote(o.image), "the image to harden");
  if (!o.command.empty())
    y.line(4, "command: " + yaml_flow_list(o.command), "as recorded: replaces the image's CMD");
  y.line(4, "cap_drop:");
  y.line(6, "- ALL", "start from no capabilities");
  if (!d.caps.empty()) {
    y.line(4, "cap_add:");
    for (const auto& [cap, why] : d.caps) y.line(6, "- " + yaml_word(cap), "exercised: " + why);
  }
  const bool nnp = d.nnp || o.seccomp_nnp_only;
  if (o.seccomp_file.empty())
    y.comment(4, "no seccomp profile written (tailor generate --seccomp FILE): engine default");
  if (!o.seccomp_file.empty() || !o.apparmor_name.empty() || nnp) {
    y.line(4, "security_opt:");
    if (!o.seccomp_file.empty())
      y.line(6, "- " + yaml_quote("seccomp=" + o.seccomp_file),
             o.seccomp_nnp_only ? "nnp-only variant: needs no-new-privileges"
                                : "syscalls the recording made");
    if (!o.apparmor_name.empty())
      y.line(6, "- " + yaml_quote("apparmor=" + o.apparmor_name), "generated AppArmor profile");
    if (d.nnp)
      y.line(6, "- \"no-new-privileges:true\"", "no setuid/setgid/file-caps program ran");
    else if (nnp)
      y.line(6, "- \"no-new-privileges:true\"",
             "the nnp-only seccomp profile needs it; setuid programs will not gain privileges");
  }
  if (!nnp) y.comment(4, "no-new-privileges left off: ran " + join(d.privileged_exes, ", "));
  y.line(4, "read_only: true", "image files stay as built");
  if (!d.tmpfs.empty()) {
    y.line(4, "tmpfs:");
    for (const auto& t : d.tmpfs)
      y.line(6, "- " + yaml_quote(t), "written: " + join(d.tmpfs_for.at(t), ", "));
  }
  if (!d.volumes.empty()) {
    y.line(4, "volumes:");
    for (const auto& v : d.volumes)
      y.line(6, "- " + yaml_quote(d.volume_names.at(v) + ":" + v),
             "written outside temp/run/cache: a named volume, kept across runs");
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
  if (d.network_none) {
    y.line(4, "network_mode: none", "unix sockets or loopback only");
    for (const auto& l : d.loopback_servers)
      y.comment(4, "listened on " + l +
                       " (loopback only): to serve the host, listen on 0.0.0.0 in the image, "
                       "drop network_mode and publish it on 127.0.0.1");
  } else {
    y.comment(4,
              "network kept: " + join(d.net_reasons, ", ") + (d.more_net_reasons ? ", ..." : ""));
    if (!d.publish.empty()) {
      y.line(4, "ports:");
      for (const auto& pub : d.publish)
        y.line(6, "- " + yaml_quote(pub.spec()),
               "listened on " + pub.seen +
                   (pub.host_specific ? " (the recording host's address: listen on 0.0.0.0)" : ""));
    }
    for (const auto& l : d.loopback_servers)
      y.comment(4, "not published: " + l + " (loopback only; listen on 0.0.0.0 to publish it)");
    for (const auto& u : d.unpublishable)
      y.comment(4, "not published: " + u + " (only a fixed port can be published)");
  }
  if (!d.volumes.empty()) {
    y.line(0, "volumes:");
    for (const auto& v : d.volumes)
      y.line(2, yaml_word(d.volume_names.at(v)) + ": {}", "named volume for " + v);
  }
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

std::string emit_k8s(const HardeningPlan& d, const FlagsOptions& o) {
  Yaml y;
  yaml_header(y, d, "Kubernetes pod spec fragment");
  y.comment(0, "merge into the pod's spec (a Deployment's spec.template.spec)");
  y.line(0, "containers:");
  y.line(2, "- name: " + yaml_word(o.service), "container to harden");
  y.line(4, "image: " + yaml_quote(o.image));
  if (!o.command.empty())  // `command` would replace the ENTRYPOINT; `args` is Docker's CMD
    y.line(4, "args: " + yaml_flow_list(o.command), "as recorded: replaces the image's CMD");
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
  if (o.seccomp_nnp_only && !d.nnp && !sys_admin)
    y.line(6, "allowPrivilegeEscalation: false", "the nnp-only seccomp profile needs no_new_privs");
  else if (d.nnp && !sys_admin)
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
  if (seccomp.empty()) {
    y.line(8, "type: RuntimeDefault", "no profile written (tailor generate --seccomp/--spo)");
  } else {
    y.line(8, "type: Localhost", "the generated profile, not RuntimeDefault");
    y.line(8, "localhostProfile: " + yaml_quote(seccomp),
           "copy to /var/lib/kubelet/seccomp/ on each node");
  }
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
  if (d.network_none) {
    y.comment(4, "unix sockets or loopback only: a NetworkPolicy can deny all traffic");
    for (const auto& l : d.loopback_servers)
      y.comment(4, "listened on " + l + " (loopback only): reachable from inside the pod only");
  } else if (!d.publish.empty()) {
    // containerPort is informational in Kubernetes; a Service makes the port reachable.
    std::set<std::pair<int, std::string>> ports;
    for (const auto& pub : d.publish) ports.insert({pub.port, pub.proto});
    y.line(4, "ports:", "what it listened on; expose it with a Service");
    for (const auto& [port, proto] : ports) {
      y.line(6, "- containerPort: " + std::to_string(port));
      y.line(8, std::string("protocol: ") + (proto == "udp" ? "UDP" : "TCP"));
    }
  }
  if (!d.network_none) {
    for (const auto& l : d.loopback_servers)
      y.comment(4, "not exposed: " + l + " (loopback only; listen on 0.0.0.0 to expose it)");
    for (const auto& u : d.unpublishable)
      y.comment(4, "not exposed: " + u + " (only a fixed port can be)");
  }
  std::set<std::string> taken;
  struct Mount {
    std::string name, path;
    bool persistent;  // written outside temp/run/cache dirs
  };
  std::vector<Mount> mounts;
  for (const auto& t : d.tmpfs) mounts.push_back({volume_name(t, taken), t, false});
  for (const auto& v : d.volumes) mounts.push_back({volume_name(v, taken), v, true});
  if (!mounts.empty()) {
    y.line(4, "volumeMounts:", "readOnlyRootFilesystem: writable dirs");
    for (const auto& m : mounts) {
      y.line(6, "- name: " + yaml_word(m.name),
             m.persistent ? "written outside temp/run/cache dirs"
                          : "written: " + join(d.tmpfs_for.at(m.path), ", "));
      y.line(8, "mountPath: " + yaml_quote(m.path));
    }
    y.line(0, "volumes:");
    for (const auto& m : mounts) {
      y.line(2, "- name: " + yaml_word(m.name),
             (m.persistent ? "volume for " : "tmpfs for ") + m.path);
      if (m.persistent) {
        y.line(4, "emptyDir: {}", "lives as long as the pod: a PersistentVolumeClaim keeps it");
      } else {
        y.line(4, "emptyDir:");
        y.line(6, "medium: Memory", "RAM-backed like --tmpfs; counts against memory");
      }
    }
  }
  return y.str();
}

}  // namespace

std::string emit_flags(const Profile& p, const FlagsOptions& o) {
  const HardeningPlan d = hardening_plan(p);
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

// Not hardening_plan(p).run_as_nobody: the AppArmor emitter asks, and hardening_plan() walks every
// file entry (100k in a big recording) for the mounts, which this does not depend on.
bool runs_as_nobody(const Profile& p) {
  return p.process.uids.count(0) > 0 && p.capabilities.empty();
}

std::map<std::string, std::string> hardening_needs(const Profile& p) {
  const HardeningPlan d = hardening_plan(p);
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
