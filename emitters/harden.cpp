// `tailor harden`: the user's own deployment, tightened to what the recorded app needs.
//
// Every decision is generate's (hardening_plan(): the same capabilities, no-new-privileges,
// tmpfs and volumes, user, limits and network), written into what the user already has:
//  - Compose: an override file, which Compose merges over the base by design. Scalars
//    (privileged, read_only, user, limits, network_mode) override; cap_add, cap_drop,
//    security_opt, devices and tmpfs are unions (docker-compose 1.29 sorts the union), so what
//    the base grants there cannot be taken away by an override: each such line is a note.
//  - Kubernetes: the manifest itself, every other field kept (yaml-cpp keeps key order, loses
//    comments), or a strategic-merge patch per object for kustomize.
//  - a docker/podman run line: the user's words, the risky options replaced.
// Never loosens silently: a setting tighter than the plan that the app still runs with stays;
// one the app cannot run with is changed with a note, or kept with a note where it cannot be.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tailor/audit.h"
#include "tailor/emitters.h"
#include "tailor/engine_cmd.h"
#include "tailor/error.h"
#include "text_util.h"

namespace tailor {

std::optional<HardenFormat> harden_format_from_name(std::string_view s) {
  if (s == "auto") return HardenFormat::kAuto;
  if (s == "override") return HardenFormat::kOverride;
  if (s == "manifest") return HardenFormat::kManifest;
  if (s == "kustomize") return HardenFormat::kKustomize;
  if (s == "run") return HardenFormat::kRunLine;
  return std::nullopt;
}

namespace {

using text::clean;
using text::join;
using text::mib;
using text::shell_quote;
using text::Yaml;
using text::yaml_quote;
using text::yaml_word;

constexpr std::uint64_t kNobody = 65534;

bool under(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

std::string upper_cap(std::string c) {
  for (auto& ch : c) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return c.rfind("CAP_", 0) == 0 ? c.substr(4) : c;
}

std::string loc(const SourceLoc& at) {
  if (at.file.empty()) return "";
  return at.file + (at.line ? ":" + std::to_string(at.line) : "");
}

// The line that set `field`, else the nearest enclosing entry (Workload::where_or).
std::string where(const Workload& w, const std::string& field) {
  std::string l = loc(w.where_or(field));
  return l.empty() ? w.name : l;
}

// The profile for a workload named `service` running `image`: the one that describes it
// (profile_describes, as tailor audit matches), else the only profile when it names no service
// or there is one workload to give it to.
const AuditProfile* profile_for(const AuditInput& in, const std::string& service,
                                const std::string& image, const std::vector<std::string>& argv,
                                std::size_t workloads) {
  for (const auto& p : in.profiles)
    if (!p.service.empty() && p.service == service) return &p;
  for (const auto& p : in.profiles)
    if (profile_describes(p, service, image, argv)) return &p;
  if (in.profiles.size() == 1 && (in.profiles[0].service.empty() || workloads == 1))
    return &in.profiles[0];
  return nullptr;
}

std::string option_for(const std::map<std::string, std::string>& m, const std::string& service) {
  if (auto it = m.find(service); it != m.end()) return it->second;
  return m.size() == 1 ? m.begin()->second : "";
}

std::string needs_text(const std::set<std::string>& need) {
  return need.empty() ? "the app needs no capability" : "the app needs only " + join(need, ", ");
}

std::set<std::string> plan_caps(const HardeningPlan& d) {
  std::set<std::string> s;
  for (const auto& [cap, why] : d.caps) s.insert(cap);
  return s;
}

// What the app's recorded peaks need, unpadded: a limit at or above it ran the recording.
std::uint64_t memory_needed_bytes(const HardeningPlan& d) {
  return d.peak_rss_kb * 1024 * std::max<std::uint64_t>(1, d.peak_processes);
}

std::string ids(const std::pair<std::uint32_t, std::uint32_t>& p) {
  return std::to_string(p.first) + ":" + std::to_string(p.second);
}

bool is_root_user(const std::string& u) {
  const std::string name = u.substr(0, u.find(':'));
  return name.empty() || name == "0" || name == "root";
}

// A limit decision: keep the base's (tighter and enough), set the plan's, or raise a base
// value the app cannot run with (with a note).
enum class Limit { kKeep, kSet, kRaise };
Limit limit_choice(std::optional<std::uint64_t> base, std::uint64_t needed, std::uint64_t plan) {
  if (!plan) return Limit::kKeep;
  if (!base) return Limit::kSet;
  if (*base < needed) return Limit::kRaise;
  return *base <= plan ? Limit::kKeep : Limit::kSet;
}

// Mounts the base already has at or above `dir`: writes there need nothing more.
bool mounted(const Workload& w, const std::string& dir) {
  return std::any_of(w.mounts.begin(), w.mounts.end(),
                     [&](const Mount& m) { return !m.target.empty() && under(dir, m.target); });
}

// A child of a map node without creating it (yaml-cpp's non-const operator[] inserts).
YAML::Node child(const YAML::Node& n, const std::string& key) {
  if (!n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node& cn = n;
  YAML::Node c = cn[key];
  // A missing key gives an invalid node, whose type queries throw.
  if (!c.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
  return c;
}
bool has(const YAML::Node& n, const std::string& key) {
  YAML::Node c = child(n, key);
  return c.IsDefined() && !c.IsNull();
}
YAML::Node ensure_map(YAML::Node n, const std::string& key) {
  if (!has(n, key) || !n[key].IsMap()) n[key] = YAML::Node(YAML::NodeType::Map);
  return n[key];
}
std::string scalar(const YAML::Node& n, const std::string& key) {
  YAML::Node c = child(n, key);
  return c.IsScalar() ? c.Scalar() : "";
}
// A container's command and args, the words it runs with (as argv_of() of its Workload).
std::vector<std::string> words(const YAML::Node& container) {
  std::vector<std::string> out;
  for (const char* key : {"command", "args"}) {
    YAML::Node l = child(container, key);
    if (!l.IsSequence()) continue;
    for (const auto& w : l)
      if (w.IsScalar()) out.push_back(w.Scalar());
  }
  return out;
}

// ---- Compose override ---------------------------------------------------------------------------

struct ComposeOut {
  Yaml y;
  // name -> dir; two services given one profile share the volume, declared once
  std::map<std::string, std::string> named_volumes;
};

// Whether any of the Compose files gives `service` a `networks:` list, which Compose refuses
// beside network_mode. (The model keeps one network mode; the text says if there are networks.)
bool compose_has_networks(const std::vector<DeployFile>& files, const std::string& service) {
  for (const auto& f : files) {
    try {
      const YAML::Node doc = YAML::Load(f.text);
      if (has(child(child(doc, "services"), service), "networks")) return true;
    } catch (const YAML::Exception&) {
      // the reader has said what is wrong with the file
    }
  }
  return false;
}

void compose_service(ComposeOut& out, const Workload& w, const HardeningPlan& d,
                     const HardenOptions& o, std::vector<std::string>& notes) {
  Yaml& y = out.y;
  auto note = [&](const std::string& at, const std::string& what) {
    notes.push_back(at + ": " + w.service + ": " + clean(what));
  };
  const std::set<std::string> need = plan_caps(d);
  y.line(2, yaml_word(w.service) + ":");

  if (w.privileged.value_or(false)) {
    y.line(4, "privileged: false", "was true (" + where(w, "privileged") + "): caps below only");
    note(where(w, "privileged"), "privileged: true set to false (" + needs_text(need) + ")");
  }

  y.line(4, "cap_drop:");
  y.line(6, "- ALL", "start from no capabilities");
  for (const auto& c : w.cap_drop)
    if (need.count(c))
      note(where(w, "cap_drop"),
           "cap_drop " + c + ": the app needs it; cap_drop ALL with cap_add " + c +
               " here grants it back (the base denied it: the app would fail)");
  if (!d.caps.empty()) {
    y.line(4, "cap_add:");
    for (const auto& [cap, why] : d.caps) y.line(6, "- " + yaml_word(cap), "exercised: " + why);
  }
  for (const auto& c : w.cap_add)
    if (!need.count(c)) {
      y.comment(4, "cannot remove here: cap_add " + c + " (" + where(w, "cap_add " + c) +
                       "): Compose unions cap_add; delete it there");
      note(where(w, "cap_add " + c),
           "cap_add " + c +
               ": the app never used it, and an override cannot remove it "
               "(Compose merges cap_add as a union); delete the line");
    }

  // security_opt is a sorted union: the base's own seccomp=/apparmor= entries stay beside these,
  // and the engine applies the last one of each.
  const std::string seccomp = option_for(o.seccomp_files, w.service);
  const std::string apparmor = option_for(o.apparmor_names, w.service);
  std::vector<std::pair<std::string, std::string>> sec;
  if (!seccomp.empty()) sec.push_back({"seccomp=" + seccomp, "syscalls the recording made"});
  if (!apparmor.empty()) sec.push_back({"apparmor=" + apparmor, "generated AppArmor profile"});
  if (d.nnp) sec.push_back({"no-new-privileges:true", "no setuid/setgid/file-caps program ran"});
  if (!sec.empty()) {
    y.line(4, "security_opt:");
    for (const auto& [v, why] : sec) y.line(6, "- " + yaml_quote(v), why);
  }
  if (seccomp.empty())
    y.comment(4, "no seccomp profile written (tailor harden writes one): engine default");
  if (w.seccomp && (seccomp.empty() || *w.seccomp != seccomp)) {
    y.comment(4, "stays beside this one: security_opt seccomp=" + *w.seccomp + " (" +
                     where(w, "seccomp") + "): delete it there");
    note(where(w, "seccomp"),
         "security_opt seccomp=" + *w.seccomp +
             ": an override cannot remove it (Compose merges security_opt as a union); " +
             (seccomp.empty() ? std::string("it stays in effect")
                              : "the engine applies the last seccomp entry, the override's with "
                                "docker-compose 1.29 (it inlines the file), but not by contract") +
             "; delete the line");
  }
  if (w.apparmor && *w.apparmor == "unconfined")
    note(where(w, "apparmor"),
         "security_opt apparmor=unconfined: an override cannot remove it (a union, and it sorts "
         "after most profile names); delete the line");
  if (!d.nnp) {
    y.comment(4, "no-new-privileges left off: ran " + join(d.privileged_exes, ", "));
    if (w.no_new_privileges.value_or(false))
      note(where(w, "no_new_privileges"),
           "no-new-privileges: the app ran " + join(d.privileged_exes, ", ") +
               ", which it breaks, and an override cannot remove it; delete the line");
  }

  if (!w.read_only_rootfs.value_or(false))
    y.line(4, "read_only: true", "image files stay as built");
  std::vector<std::string> tmpfs;
  for (const auto& t : d.tmpfs)
    if (!mounted(w, t)) tmpfs.push_back(t);
  if (!tmpfs.empty()) {
    y.line(4, "tmpfs:");
    for (const auto& t : tmpfs)
      y.line(6, "- " + yaml_quote(t), "written: " + join(d.tmpfs_for.at(t), ", "));
    if (w.read_only_rootfs.value_or(false))
      note(where(w, "read_only_rootfs"),
           "read_only without a writable " + join(tmpfs, ", ") +
               ", where the app writes: the override adds tmpfs mounts there");
  }
  std::vector<std::string> vols;
  for (const auto& v : d.volumes)
    if (!mounted(w, v)) vols.push_back(v);
  if (!vols.empty()) {
    y.line(4, "volumes:");
    for (const auto& v : vols) {
      const std::string& name = d.volume_names.at(v);
      y.line(6, "- " + yaml_quote(name + ":" + v),
             "written outside temp/run/cache: a named volume, kept across runs");
      out.named_volumes.emplace(name, v);
    }
  }
  for (const auto& m : w.mounts)
    if (m.read_only)
      for (const auto& v : d.volumes)
        if (under(v, m.target))
          note(loc(m.at).empty() ? w.name : loc(m.at),
               "mounted read-only at " + m.target + " but the app writes " + v);

  const bool base_root = !w.user || is_root_user(*w.user);
  if (d.run_as_nobody && base_root) {
    y.line(4, "user: \"65534:65534\"",
           "ran as root without capabilities; image files must allow nobody");
  } else if (d.nonroot_ids && !w.user) {
    y.line(4, "user: \"" + ids(*d.nonroot_ids) + "\"",
           "ran as uid " + std::to_string(d.nonroot_ids->first) + " (the image's USER, made sure)");
  } else if (d.ran_as_root && !d.run_as_nobody && !base_root) {
    note(where(w, "user"), "user " + *w.user +
                               ": the app ran as root and exercised capabilities, which a "
                               "non-root user lacks; kept, but check that it works");
  } else if (d.ran_as_root && !d.run_as_nobody) {
    y.comment(4, "stays root: it exercised capabilities");
  }

  switch (limit_choice(w.pids_limit, d.peak_tasks, d.pids)) {
    case Limit::kRaise:
      note(where(w, "pids_limit"),
           "pids_limit " + std::to_string(*w.pids_limit) + " is below the recorded peak of " +
               std::to_string(d.peak_tasks) + " tasks: raised to " + std::to_string(d.pids));
      [[fallthrough]];
    case Limit::kSet:
      y.line(4, "pids_limit: " + std::to_string(d.pids),
             "peak " + std::to_string(d.peak_tasks) + " tasks, max(2x, +16)");
      break;
    case Limit::kKeep:
      break;
  }
  switch (limit_choice(w.memory_bytes, memory_needed_bytes(d), d.memory_mib * 1024 * 1024)) {
    case Limit::kRaise:
      note(where(w, "memory"), "memory limit " + std::to_string(*w.memory_bytes >> 20) +
                                   " MiB is below the recorded peak (" + mib(d.peak_rss_kb) +
                                   " RSS x processes): raised to " + std::to_string(d.memory_mib) +
                                   "m");
      [[fallthrough]];
    case Limit::kSet:
      y.line(4, "mem_limit: " + yaml_quote(std::to_string(d.memory_mib) + "m"),
             "peak RSS " + mib(d.peak_rss_kb) + " x processes x2, >= 64m");
      break;
    case Limit::kKeep:
      break;
  }
  switch (limit_choice(w.nofile_soft, d.peak_fds, d.nofile)) {
    case Limit::kRaise:
      note(where(w, "nofile"), "ulimits nofile " + std::to_string(*w.nofile_soft) +
                                   " is below the recorded peak of " + std::to_string(d.peak_fds) +
                                   " fds: raised to " + std::to_string(d.nofile));
      [[fallthrough]];
    case Limit::kSet:
      y.line(4, "ulimits:");
      y.line(6, "nofile:", "peak " + std::to_string(d.peak_fds) + " fds, max(2x, 1024)");
      y.line(8, "soft: " + std::to_string(d.nofile));
      y.line(8, "hard: " + std::to_string(d.nofile));
      break;
    case Limit::kKeep:
      break;
  }

  // network_mode is a scalar and overrides, but Compose refuses it beside `networks:` (a
  // network name here) and published ports would be meaningless under none.
  const std::string net = w.network_mode.value_or("");
  const bool plain_net = (net.empty() || net == "host" || net == "bridge" || net == "default") &&
                         !compose_has_networks(o.sources, w.service);
  if (d.network_none) {
    if (!w.ports.empty() && std::any_of(w.ports.begin(), w.ports.end(), [](const PortMapping& p) {
          return !p.host_port.empty();
        })) {
      y.comment(4, "network kept: the base publishes ports, though no socket needed a network");
      note(where(w, "network_mode"),
           "publishes ports but the app used no network beyond loopback: network_mode none "
           "would do if nothing must reach it");
    } else if (net == "none") {
      // already as tight as it gets
    } else if (plain_net) {
      y.line(4, "network_mode: none", "unix sockets or loopback only");
    } else {
      note(where(w, "network_mode"),
           (net.empty() ? std::string("networks") : "network " + net) +
               ": the app used no network beyond loopback, but Compose refuses network_mode "
               "beside networks: remove `networks:` and set network_mode: none");
    }
  } else {
    y.comment(4,
              "network kept: " + join(d.net_reasons, ", ") + (d.more_net_reasons ? ", ..." : ""));
    if (net == "none")
      note(where(w, "network_mode"),
           "network_mode none, but the app needs a network (" + join(d.net_reasons, ", ") +
               "): it will fail unless that was loopback in the recording only");
    if (net == "host")
      note(where(w, "network_mode"),
           "network_mode host: the app needs a network, not necessarily the host's; an "
           "override cannot reset it to the default network: delete the line");
  }

  if (w.host_pid) note(where(w, "host_pid"), "pid: host: an override cannot unset it; delete it");
  if (w.host_ipc) note(where(w, "host_ipc"), "ipc: host: an override cannot unset it; delete it");
  if (w.host_uts) note(where(w, "host_uts"), "uts: host: an override cannot unset it; delete it");
  for (const auto& dev : w.devices)
    note(where(w, "devices"),
         "devices " + dev + ": an override cannot remove it (a union); delete it if unused");
  for (const auto& m : w.mounts)
    if (m.type == "bind" && (m.source == "/var/run/docker.sock" || m.source == "/run/docker.sock" ||
                             m.source == "/run/podman/podman.sock" || m.source == "/"))
      note(loc(m.at).empty() ? w.name : loc(m.at),
           "mounts " + m.source + ": the engine's socket or the host root; delete it");
}

std::string harden_compose(const AuditInput& in, const HardenOptions& o,
                           std::vector<std::string>& notes) {
  ComposeOut out;
  std::vector<std::string> base;
  for (const auto& f : in.deployment.files) base.push_back("-f " + shell_quote(f));
  out.y.comment(0, "Generated by tailor harden: a docker compose override for " +
                       join(in.deployment.files, ", ") + ".");
  out.y.comment(
      0, "Use: docker compose " + join(base, " ") + " -f " + shell_quote(o.output_name) + " up");
  out.y.comment(0, "Compose merges cap_add, cap_drop, security_opt, devices and tmpfs as unions:");
  out.y.comment(0, "what the base grants there cannot be taken away here (tailor harden says so).");
  bool any = false;
  for (const auto& w : in.deployment.workloads) {
    const AuditProfile* p =
        profile_for(in, w.service, w.image, argv_of(w), in.deployment.workloads.size());
    if (!p) {
      notes.push_back(loc(w.at).empty()
                          ? w.service + ": no profile: left as it is"
                          : loc(w.at) + ": " + w.service + ": no profile: left as it is");
      continue;
    }
    if (!any) out.y.line(0, "services:");
    any = true;
    const HardeningPlan d = hardening_plan(p->profile);
    for (std::size_t i = 0; i < d.commands.size() && i < 3; ++i)
      out.y.comment(2, w.service + " recorded: " + d.commands[i]);
    compose_service(out, w, d, o, notes);
  }
  if (!any) {
    out.y.line(0, "services: {}");
    notes.push_back("no service matched a profile: nothing hardened");
  }
  if (!out.named_volumes.empty()) {
    out.y.line(0, "volumes:");
    for (const auto& [name, dir] : out.named_volumes)
      out.y.line(2, yaml_word(name) + ": {}", "named volume for " + dir);
  }
  return out.y.str();
}

// ---- docker / podman run line -------------------------------------------------------------------

std::string harden_run_line(const AuditInput& in, const HardenOptions& o,
                            std::vector<std::string>& notes) {
  const auto& argv = in.deployment.argv;
  const auto r = parse_engine_run(argv);
  if (!r || r->engine == "runc" || r->engine == "crun" || r->image.empty())
    throw Error("harden: not a docker or podman run line");
  // The image is the word before the command, which runs to the end.
  const std::size_t image_at = argv.size() - r->command.size() - 1;
  const std::string service =
      in.deployment.workloads.empty() ? "" : in.deployment.workloads.front().service;
  const AuditProfile* prof = profile_for(in, service, r->image, r->command, 1);
  if (!prof) throw Error("harden: no profile for the run line");
  const HardeningPlan d = hardening_plan(prof->profile);
  const std::set<std::string> need = plan_caps(d);
  const bool podman = r->engine == "podman";
  auto note = [&](const std::string& what) { notes.push_back(r->engine + " run: " + clean(what)); };

  std::vector<std::string> kept;
  std::vector<std::string> targets;  // mount targets the user has
  bool publishes = false;
  std::optional<std::string> user;
  std::optional<std::uint64_t> pids, memory, nofile;
  for (const auto& opt : r->options) {
    // `--cap-add X` is two words; `--cap-add=X`, `-v/a:/b`, `--rm`, `-it` one.
    const std::size_t b = opt.at;
    const std::size_t e = std::min(b + (opt.value && argv[b] == opt.name ? 2 : 1), argv.size());
    const std::string& name = opt.name;
    const std::string value = opt.value.value_or("");
    auto keep = [&] { kept.insert(kept.end(), argv.begin() + b, argv.begin() + e); };
    if (name == "--privileged") {
      if (value != "false") note("--privileged removed (" + needs_text(need) + ")");
      continue;
    }
    if (name == "--cap-add") {
      const std::string c = upper_cap(value);
      if (!need.count(c)) note("--cap-add " + c + " removed: the app never used it");
      continue;
    }
    if (name == "--cap-drop") {
      const std::string c = upper_cap(value);
      if (need.count(c)) note("--cap-drop " + c + ": the app needs it; granted back");
      continue;
    }
    if (name == "--security-opt") {
      if (value.rfind("seccomp", 0) == 0) {
        note("--security-opt " + value + " replaced by the recorded profile");
        continue;
      }
      if (value.rfind("no-new-privileges", 0) == 0) {
        if (!d.nnp && value.find("false") == std::string::npos)
          note("--security-opt " + value + " removed: the app ran " +
               join(d.privileged_exes, ", ") + ", which it breaks");
        continue;
      }
      if (value == "apparmor=unconfined" || value == "apparmor:unconfined") {
        note("--security-opt " + value + " removed");
        continue;
      }
      keep();
      continue;
    }
    if (name == "--network" || name == "--net") {
      if (d.network_none && value != "none") {
        note("--network " + value + " replaced by none: the app used no network beyond loopback");
        continue;
      }
      if (!d.network_none && value == "none") {
        note("--network none removed: the app needs a network (" + join(d.net_reasons, ", ") + ")");
        continue;
      }
      if (!d.network_none && value == "host")
        note("--network host kept: the app needs a network, but likely not the host's");
      keep();
      continue;
    }
    if (name == "--read-only" || name == "--read-only-tmpfs") continue;  // added below
    if (name == "--user" || name == "-u") {
      if (d.run_as_nobody && is_root_user(value)) {
        note("--user " + value + " replaced by 65534:65534: the app needed no root privilege");
        continue;
      }
      if (d.ran_as_root && !d.run_as_nobody && !is_root_user(value))
        note("--user " + value + " kept, but the app ran as root and exercised capabilities");
      user = value;
      keep();
      continue;
    }
    if (name == "--pids-limit") {
      pids = std::strtoull(value.c_str(), nullptr, 10);
      continue;
    }
    if (name == "--memory" || name == "-m") {
      memory = parse_memory_bytes(value);
      continue;
    }
    if (name == "--ulimit" && value.rfind("nofile=", 0) == 0) {
      nofile = std::strtoull(value.c_str() + 7, nullptr, 10);
      continue;
    }
    if (name == "-p" || name == "--publish" || name == "-P" || name == "--publish-all")
      publishes = true;
    if (name == "-v" || name == "--volume") {
      // SOURCE:TARGET[:opts] or TARGET (an anonymous volume)
      auto c1 = value.find(':');
      std::string t = c1 == std::string::npos ? value : value.substr(c1 + 1);
      targets.push_back(t.substr(0, t.find(':')));
    }
    if (name == "--tmpfs") targets.push_back(value.substr(0, value.find(':')));
    if (name == "--mount") {
      for (const char* k : {"target=", "destination=", "dst="})
        if (auto at = value.find(k); at != std::string::npos) {
          auto start = at + std::string(k).size();
          targets.push_back(value.substr(start, value.find(',', start) - start));
        }
    }
    if ((name == "--pid" || name == "--ipc" || name == "--uts" || name == "--userns") &&
        value == "host")
      note(name + " host kept: it shares the host's namespace; remove it unless needed");
    if (name == "--device") note("--device " + value + " kept: remove it unless the app needs it");
    keep();
  }

  const std::string seccomp = option_for(o.seccomp_files, service);
  const std::string apparmor = option_for(o.apparmor_names, service);
  std::vector<std::string> add = {"--cap-drop", "ALL"};
  for (const auto& [cap, why] : d.caps) add.insert(add.end(), {"--cap-add", cap});
  if (!seccomp.empty()) add.insert(add.end(), {"--security-opt", "seccomp=" + seccomp});
  if (!apparmor.empty()) add.insert(add.end(), {"--security-opt", "apparmor=" + apparmor});
  if (d.nnp) add.insert(add.end(), {"--security-opt", "no-new-privileges"});
  add.push_back("--read-only");
  if (podman) add.push_back("--read-only-tmpfs=false");
  auto covered = [&](const std::string& dir) {
    return std::any_of(targets.begin(), targets.end(),
                       [&](const std::string& t) { return !t.empty() && under(dir, t); });
  };
  for (const auto& t : d.tmpfs)
    if (!covered(t)) add.insert(add.end(), {"--tmpfs", t});
  for (const auto& v : d.volumes) {
    if (covered(v)) continue;
    if (v.find(':') == std::string::npos)
      add.insert(add.end(), {"-v", d.volume_names.at(v) + ":" + v});
    else
      add.insert(add.end(), {"--mount", "type=volume,source=" + d.volume_names.at(v) +
                                            ",\"target=" + v + "\""});
  }
  if (d.network_none && !publishes) {
    add.insert(add.end(), {"--network", "none"});
  } else if (d.network_none) {
    note("publishes ports but the app used no network beyond loopback: --network none would do");
  }
  if (d.run_as_nobody && !user) add.insert(add.end(), {"--user", "65534:65534"});
  if (d.nonroot_ids && !user) add.insert(add.end(), {"--user", ids(*d.nonroot_ids)});
  auto limit = [&](Limit l, std::optional<std::uint64_t> base, const std::string& flag,
                   const std::string& plan, const std::string& base_text) {
    if (l == Limit::kRaise) note(flag + " " + base_text + " is below the recorded peak: " + plan);
    if (l == Limit::kKeep && base) add.insert(add.end(), {flag, base_text});
    if (l != Limit::kKeep) add.insert(add.end(), {flag, plan});
  };
  limit(limit_choice(pids, d.peak_tasks, d.pids), pids, "--pids-limit", std::to_string(d.pids),
        pids ? std::to_string(*pids) : "");
  limit(limit_choice(memory, memory_needed_bytes(d), d.memory_mib * 1024 * 1024), memory,
        "--memory", std::to_string(d.memory_mib) + "m",
        memory ? std::to_string(*memory >> 20) + "m" : "");
  limit(limit_choice(nofile, d.peak_fds, d.nofile), nofile, "--ulimit",
        "nofile=" + std::to_string(d.nofile), nofile ? "nofile=" + std::to_string(*nofile) : "");

  std::vector<std::string> words(argv.begin(), argv.begin() + static_cast<long>(r->run_at) + 1);
  words.insert(words.end(), kept.begin(), kept.end());
  words.insert(words.end(), add.begin(), add.end());
  if (argv[image_at - 1] == "--") words.push_back("--");
  words.insert(words.end(), argv.begin() + static_cast<long>(image_at), argv.end());
  std::string line;
  for (const auto& w : words) line += (line.empty() ? "" : " ") + shell_quote(w);
  return line + "\n";
}

// ---- Kubernetes ---------------------------------------------------------------------------------

// The pod template of a workload object, by kind; undefined for kinds without containers.
YAML::Node pod_spec(const YAML::Node& doc, std::vector<std::string>& path) {
  const std::string kind = scalar(doc, "kind");
  if (kind == "Pod") {
    path = {"spec"};
  } else if (kind == "CronJob") {
    path = {"spec", "jobTemplate", "spec", "template", "spec"};
  } else if (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" ||
             kind == "ReplicaSet" || kind == "ReplicationController" || kind == "Job") {
    path = {"spec", "template", "spec"};
  } else {
    return YAML::Node(YAML::NodeType::Undefined);
  }
  // Node::operator= would copy into the node it refers to; reset() moves the reference.
  YAML::Node n = doc;
  for (const auto& k : path) {
    n.reset(child(n, k));
    if (!n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  }
  return n;
}

std::string k8s_loc(const std::string& file, const YAML::Node& n) {
  const auto m = n.Mark();
  return file + (m.line >= 0 ? ":" + std::to_string(m.line + 1) : "");
}

// A DNS-1123 label for an emptyDir named after its mount point.
std::string volume_label(const std::string& path, std::set<std::string>& taken) {
  std::string n = "tailor";
  for (unsigned char c : path) {
    char l = static_cast<char>(std::tolower(c));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9'))
      n += l;
    else if (n.back() != '-')
      n += '-';
  }
  n = n.substr(0, 55);
  while (n.back() == '-') n.pop_back();
  std::string name = n;
  for (int i = 2; taken.count(name); ++i) name = n + "-" + std::to_string(i);
  taken.insert(name);
  return name;
}

struct PodPatch {  // what harden changed in one pod, for the kustomize patch
  std::vector<std::string> path;
  YAML::Node doc;
  std::vector<YAML::Node> containers, init_containers;  // patches, by name
  std::vector<YAML::Node> volumes;
  std::optional<std::string> pod_seccomp;
  bool host_network_off = false;
};

YAML::Node seccomp_node(const std::string& file) {
  YAML::Node s(YAML::NodeType::Map);
  s["type"] = "Localhost";
  s["localhostProfile"] = file;
  return s;
}

std::string base_name(const std::string& path) {
  return path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
}

// Hardens one container in place; returns its patch (name, securityContext, resources and the
// volumeMounts added) and the volumes the pod needs for it.
YAML::Node harden_container(YAML::Node c, const YAML::Node& pod, const HardeningPlan& d,
                            const std::string& file, const std::string& who,
                            const std::string& seccomp, const std::string& apparmor,
                            bool container_seccomp, std::set<std::string>& taken,
                            std::vector<YAML::Node>& new_volumes, std::vector<std::string>& notes) {
  auto note = [&](const YAML::Node& at, const std::string& what) {
    notes.push_back(k8s_loc(file, at) + ": " + who + ": " + clean(what));
  };
  const std::set<std::string> need = plan_caps(d);
  YAML::Node sc = ensure_map(c, "securityContext");
  const YAML::Node pod_sc = child(pod, "securityContext");

  YAML::Node caps = ensure_map(sc, "capabilities");
  std::set<std::string> had_add, had_drop;
  for (const char* k : {"add", "drop"}) {
    YAML::Node l = child(caps, k);
    if (l.IsSequence())
      for (const auto& x : l)
        if (x.IsScalar())
          (std::string(k) == "add" ? had_add : had_drop).insert(upper_cap(x.Scalar()));
  }
  for (const auto& x : had_add)
    if (!need.count(x)) note(child(caps, "add"), "capabilities.add " + x + " removed: never used");
  for (const auto& x : had_drop)
    if (need.count(x))
      note(child(caps, "drop"), "capabilities.drop " + x + ": the app needs it; granted back");
  YAML::Node drop(YAML::NodeType::Sequence);
  drop.push_back("ALL");
  caps["drop"] = drop;
  if (need.empty()) {
    caps.remove("add");
  } else {
    YAML::Node add(YAML::NodeType::Sequence);
    for (const auto& x : need) add.push_back(x);
    caps["add"] = add;
  }
  // Same order as generate: capabilities, privileged, allowPrivilegeEscalation...
  if (scalar(sc, "privileged") == "true")
    note(child(sc, "privileged"), "privileged: true set to false");
  sc["privileged"] = false;
  const bool sys_admin = need.count("SYS_ADMIN") > 0;  // the API refuses nnp with SYS_ADMIN
  if (d.nnp && !sys_admin) {
    sc["allowPrivilegeEscalation"] = false;
  } else if (scalar(sc, "allowPrivilegeEscalation") == "false") {
    note(child(sc, "allowPrivilegeEscalation"),
         std::string("allowPrivilegeEscalation: false set to true: ") +
             (sys_admin ? "the API refuses false with SYS_ADMIN added"
                        : "the app ran " + join(d.privileged_exes, ", ")));
    sc["allowPrivilegeEscalation"] = true;
  }
  sc["readOnlyRootFilesystem"] = true;

  auto uid_of = [&](const YAML::Node& s) -> std::optional<std::string> {
    std::string u = scalar(s, "runAsUser");
    return u.empty() ? std::nullopt : std::optional<std::string>(u);
  };
  std::optional<std::string> uid = uid_of(sc);
  if (!uid) uid = uid_of(pod_sc);
  const bool non_root_base = uid && *uid != "0";
  if (d.run_as_nobody && !non_root_base) {
    sc["runAsNonRoot"] = true;
    sc["runAsUser"] = kNobody;
    sc["runAsGroup"] = kNobody;
  } else if (d.nonroot_ids && !uid) {
    sc["runAsNonRoot"] = true;
    sc["runAsUser"] = d.nonroot_ids->first;
    sc["runAsGroup"] = d.nonroot_ids->second;
  } else if (d.ran_as_root && !d.run_as_nobody &&
             (non_root_base || scalar(sc, "runAsNonRoot") == "true")) {
    note(sc,
         "runs as non-root, but the app ran as root and exercised capabilities; kept, "
         "check that it works");
  }
  if (!seccomp.empty() && container_seccomp) sc["seccompProfile"] = seccomp_node(seccomp);
  if (!apparmor.empty()) {
    YAML::Node a(YAML::NodeType::Map);
    a["type"] = "Localhost";
    a["localhostProfile"] = apparmor;
    sc["appArmorProfile"] = a;
  }

  YAML::Node patch(YAML::NodeType::Map);
  patch["name"] = scalar(c, "name");
  patch["securityContext"] = YAML::Clone(sc);

  if (d.memory_mib) {
    YAML::Node limits = child(child(c, "resources"), "limits");
    std::optional<std::uint64_t> base;
    if (has(limits, "memory")) base = parse_memory_bytes(scalar(limits, "memory"));
    const Limit l = limit_choice(base, memory_needed_bytes(d), d.memory_mib * 1024 * 1024);
    if (l == Limit::kRaise)
      note(limits, "memory limit " + scalar(limits, "memory") +
                       " is below the recorded peak: raised to " + std::to_string(d.memory_mib) +
                       "Mi");
    if (l != Limit::kKeep) {
      YAML::Node res = ensure_map(c, "resources");
      YAML::Node lim = ensure_map(res, "limits");
      lim["memory"] = std::to_string(d.memory_mib) + "Mi";
      patch["resources"]["limits"]["memory"] = std::to_string(d.memory_mib) + "Mi";
    }
  }

  // Writable dirs under readOnlyRootFilesystem: an emptyDir per dir not mounted already.
  std::vector<std::string> mounted_at;
  YAML::Node vm = child(c, "volumeMounts");
  if (vm.IsSequence())
    for (const auto& m : vm) mounted_at.push_back(scalar(m, "mountPath"));
  auto covered = [&](const std::string& dir) {
    return std::any_of(mounted_at.begin(), mounted_at.end(),
                       [&](const std::string& t) { return !t.empty() && under(dir, t); });
  };
  YAML::Node added_mounts(YAML::NodeType::Sequence);
  auto mount = [&](const std::string& dir, bool memory) {
    if (covered(dir)) return;
    const std::string name = volume_label(dir, taken);
    YAML::Node m(YAML::NodeType::Map);
    m["name"] = name;
    m["mountPath"] = dir;
    added_mounts.push_back(m);
    YAML::Node v(YAML::NodeType::Map);
    v["name"] = name;
    YAML::Node e(YAML::NodeType::Map);
    if (memory) e["medium"] = "Memory";
    v["emptyDir"] = e;
    new_volumes.push_back(v);
  };
  for (const auto& t : d.tmpfs) mount(t, true);
  for (const auto& v : d.volumes) {
    mount(v, false);
    if (!covered(v))
      note(c, "writes " + v +
                  ": given an emptyDir, which lives as long as the pod; a "
                  "PersistentVolumeClaim keeps it");
  }
  if (added_mounts.size()) {
    if (!vm.IsSequence()) c["volumeMounts"] = YAML::Node(YAML::NodeType::Sequence);
    for (const auto& m : added_mounts) c["volumeMounts"].push_back(m);
    patch["volumeMounts"] = added_mounts;
  }
  return patch;
}

struct K8sResult {
  std::vector<YAML::Node> docs;
  std::vector<PodPatch> patches;
};

K8sResult harden_k8s_docs(const AuditInput& in, const HardenOptions& o,
                          std::vector<std::string>& notes) {
  if (o.sources.size() != 1)
    throw Error("harden: a Kubernetes manifest is hardened from its text: give one file");
  const DeployFile& f = o.sources.front();
  K8sResult res;
  try {
    res.docs = YAML::LoadAll(f.text);
  } catch (const YAML::Exception& e) {
    throw Error(f.path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  std::size_t total = 0;  // containers, for the one-profile-one-container match
  for (auto& doc : res.docs) {
    std::vector<std::string> path;
    YAML::Node pod = pod_spec(doc, path);
    for (const char* list : {"initContainers", "containers"})
      if (child(pod, list).IsSequence()) total += child(pod, list).size();
  }
  for (auto& doc : res.docs) {
    PodPatch pp;
    YAML::Node pod = pod_spec(doc, pp.path);
    if (!pod.IsDefined()) continue;
    const std::string object = scalar(doc, "kind") + "/" + scalar(child(doc, "metadata"), "name");
    struct M {
      YAML::Node c;
      bool init;
      const AuditProfile* p;
    };
    std::vector<M> ms;
    bool all = true;
    std::set<std::string> files;
    for (const char* list : {"initContainers", "containers"}) {
      YAML::Node l = child(pod, list);
      if (!l.IsSequence()) continue;
      for (auto c : l) {
        const AuditProfile* p =
            profile_for(in, scalar(c, "name"), scalar(c, "image"), words(c), total);
        if (!p) {
          all = false;
          notes.push_back(k8s_loc(f.path, c) + ": " + object + ": " +
                          (std::string(list) == "initContainers" ? "init " : "") +
                          scalar(c, "name") + ": no profile: left as it is");
          continue;
        }
        ms.push_back({c, std::string(list) == "initContainers", p});
        files.insert(base_name(option_for(o.seccomp_files, scalar(c, "name"))));
      }
    }
    if (ms.empty()) continue;
    // A pod-level profile applies to every container: only when all are matched to one file.
    const bool pod_level = all && files.size() == 1 && !files.begin()->empty();
    std::set<std::string> taken;
    YAML::Node vols = child(pod, "volumes");
    if (vols.IsSequence())
      for (const auto& v : vols) taken.insert(scalar(v, "name"));
    std::vector<YAML::Node> new_volumes;
    for (auto& m : ms) {
      const std::string name = scalar(m.c, "name");
      const HardeningPlan d = hardening_plan(m.p->profile);
      const std::string who = object + ": " + (m.init ? "init " : "") + name;
      YAML::Node patch = harden_container(
          m.c, pod, d, f.path, who, base_name(option_for(o.seccomp_files, name)),
          option_for(o.apparmor_names, name), !pod_level, taken, new_volumes, notes);
      (m.init ? pp.init_containers : pp.containers).push_back(patch);
      if (d.pids)
        notes.push_back(f.path + ": " + who + ": pids limit " + std::to_string(d.pids) +
                        " would do (peak " + std::to_string(d.peak_tasks) +
                        " tasks): Kubernetes sets it per node (kubelet podPidsLimit)");
    }
    // Host namespaces are the pod's. The network one goes when every container was recorded
    // and none needed a network; the others are only said (a recording cannot show their use).
    bool no_network = all;
    for (const auto& m : ms) no_network = no_network && hardening_plan(m.p->profile).network_none;
    if (scalar(pod, "hostNetwork") == "true") {
      if (no_network) {
        notes.push_back(k8s_loc(f.path, child(pod, "hostNetwork")) + ": " + object +
                        ": hostNetwork: true set to false (no container used a network)");
        pod["hostNetwork"] = false;
        pp.host_network_off = true;
      } else {
        notes.push_back(k8s_loc(f.path, child(pod, "hostNetwork")) + ": " + object +
                        ": hostNetwork: true kept: the app needs a network, likely not the host's");
      }
    }
    for (const char* ns : {"hostPID", "hostIPC"})
      if (scalar(pod, ns) == "true")
        notes.push_back(k8s_loc(f.path, child(pod, ns)) + ": " + object + ": " + ns +
                        ": true kept: remove it unless the app needs the host's namespace");
    if (pod_level) {
      YAML::Node psc = ensure_map(pod, "securityContext");
      psc["seccompProfile"] = seccomp_node(*files.begin());
      pp.pod_seccomp = *files.begin();
    }
    if (!new_volumes.empty()) {
      if (!child(pod, "volumes").IsSequence())
        pod["volumes"] = YAML::Node(YAML::NodeType::Sequence);
      for (const auto& v : new_volumes) pod["volumes"].push_back(v);
    }
    pp.volumes = new_volumes;
    pp.doc = doc;
    res.patches.push_back(pp);
  }
  if (res.patches.empty()) notes.push_back("no container matched a profile: nothing hardened");
  notes.push_back(f.path +
                  ": comments in the manifest are not kept (yaml-cpp 0.7 drops them); keys "
                  "stay in their order");
  return res;
}

std::string emit_docs(const std::vector<YAML::Node>& docs) {
  std::string out;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    YAML::Emitter e;
    e.SetIndent(2);
    e.SetSeqFormat(YAML::Block);
    e << docs[i];
    if (i) out += "---\n";
    out += e.c_str();
    out += "\n";
  }
  return out;
}

std::string harden_kustomize(const K8sResult& k) {
  std::vector<YAML::Node> out;
  for (const auto& pp : k.patches) {
    YAML::Node p(YAML::NodeType::Map);
    p["apiVersion"] = scalar(pp.doc, "apiVersion");
    p["kind"] = scalar(pp.doc, "kind");
    YAML::Node meta(YAML::NodeType::Map);
    meta["name"] = scalar(child(pp.doc, "metadata"), "name");
    if (has(child(pp.doc, "metadata"), "namespace"))
      meta["namespace"] = scalar(child(pp.doc, "metadata"), "namespace");
    p["metadata"] = meta;
    YAML::Node spec(YAML::NodeType::Map);
    if (!pp.init_containers.empty())
      for (const auto& c : pp.init_containers) spec["initContainers"].push_back(c);
    for (const auto& c : pp.containers) spec["containers"].push_back(c);
    for (const auto& v : pp.volumes) spec["volumes"].push_back(v);
    if (pp.pod_seccomp) spec["securityContext"]["seccompProfile"] = seccomp_node(*pp.pod_seccomp);
    if (pp.host_network_off) spec["hostNetwork"] = false;
    // Nest the pod spec at its path (spec.template.spec, ...).
    YAML::Node node = spec;
    for (std::size_t i = pp.path.size(); i-- > 0;) {
      YAML::Node up(YAML::NodeType::Map);
      up[pp.path[i]] = node;
      node.reset(up);
    }
    p["spec"] = node["spec"];
    out.push_back(p);
  }
  return emit_docs(out);
}

}  // namespace

HardenResult harden(const AuditInput& in, const HardenOptions& o) {
  HardenResult r;
  HardenFormat f = o.format;
  if (f == HardenFormat::kAuto)
    f = in.deployment.kind == DeployKind::kCompose      ? HardenFormat::kOverride
        : in.deployment.kind == DeployKind::kKubernetes ? HardenFormat::kManifest
        : in.deployment.kind == DeployKind::kRunLine    ? HardenFormat::kRunLine
                                                        : HardenFormat::kAuto;
  const bool fits = (f == HardenFormat::kOverride && in.deployment.kind == DeployKind::kCompose) ||
                    ((f == HardenFormat::kManifest || f == HardenFormat::kKustomize) &&
                     in.deployment.kind == DeployKind::kKubernetes) ||
                    (f == HardenFormat::kRunLine && in.deployment.kind == DeployKind::kRunLine);
  if (!fits)
    throw Error(in.deployment.kind == DeployKind::kInspect
                    ? "harden: inspect JSON describes a running container: harden the Compose "
                      "file, manifest or run line that started it"
                    : "harden: --format does not fit this kind of deployment");
  switch (f) {
    case HardenFormat::kOverride:
      r.text = harden_compose(in, o, r.notes);
      break;
    case HardenFormat::kManifest:
      r.text = emit_docs(harden_k8s_docs(in, o, r.notes).docs);
      break;
    case HardenFormat::kKustomize:
      r.text = harden_kustomize(harden_k8s_docs(in, o, r.notes));
      break;
    case HardenFormat::kRunLine:
      r.text = harden_run_line(in, o, r.notes);
      break;
    case HardenFormat::kAuto:
      break;
  }
  return r;
}

}  // namespace tailor
