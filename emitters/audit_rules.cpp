// The rules of `tailor audit` as one table: each row is an AuditRule (id, severity, reference,
// title, fix) and the check that finds it in one workload. Ids are stable (SARIF ruleIds,
// --ignore): a rule that goes away leaves its id unused, a new rule takes a new id.
//
// TL1xx need only the deployment; TL2xx compare it with what a recorded profile needs, through
// the same HardeningPlan and seccomp surface `tailor generate` uses, so the two never disagree.
#include "audit_rules.h"

#include <algorithm>
#include <functional>
#include <map>
#include <string_view>

#include "tailor/capabilities.h"
#include "tailor/report.h"

namespace tailor::audit_detail {

namespace {

using Out = std::vector<Finding>;
using Check = std::function<void(const Workload&, const RuleContext&, const AuditRule&, Out&)>;

struct Row {
  AuditRule rule;
  Check check;
};

void add(Out& out, const AuditRule& r, const Workload& w, Severity s, std::string message,
         SourceLoc at) {
  out.push_back(Finding{std::string(r.id), s, w.name, std::move(message), std::move(at)});
}

std::string join(const std::set<std::string>& s, std::string_view sep = ", ") {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : std::string(sep)) + x;
  return out;
}

// At most `max` names, then "and N more": a message stays one readable line.
std::string join_some(const std::vector<std::string>& v, std::size_t max = 8) {
  std::string out;
  for (std::size_t i = 0; i < v.size() && i < max; ++i) out += (i ? ", " : "") + v[i];
  if (v.size() > max) out += " and " + std::to_string(v.size() - max) + " more";
  return out;
}

bool is_engine(DeployKind k) {
  return k != DeployKind::kKubernetes;
}

// Docker's (moby's) default bounding set; containerd's CRI default is the same list. podman's
// is shorter since 4.0 (no AUDIT_WRITE, MKNOD, NET_RAW).
const std::set<std::string>& default_caps(const Workload& w) {
  static const std::set<std::string> kDocker = [] {
    std::set<std::string> s;
    for (const auto& c : docker_default_capabilities()) s.insert(c.substr(4));  // without CAP_
    return s;
  }();
  static const std::set<std::string> kPodman = {
      "CHOWN",  "DAC_OVERRIDE", "FOWNER", "FSETID",           "KILL",      "SETFCAP",
      "SETGID", "SETPCAP",      "SETUID", "NET_BIND_SERVICE", "SYS_CHROOT"};
  return w.engine == "podman" ? kPodman : kDocker;
}

const std::set<std::string>& all_caps() {
  static const std::set<std::string> kAll = [] {
    std::set<std::string> s;
    for (int i = 0; i < 64; ++i) {
      std::string n = cap_name(i);
      if (n.rfind("CAP_", 0) == 0) s.insert(n.substr(4));
    }
    return s;
  }();
  return kAll;
}

// Capabilities that let a process leave or take over its container, or the host's network,
// files or kernel: each named in the finding and raising it.
bool dangerous_cap(const std::string& c) {
  static const std::set<std::string> kDangerous = {"ALL",
                                                   "SYS_ADMIN",
                                                   "NET_ADMIN",
                                                   "SYS_PTRACE",
                                                   "SYS_MODULE",
                                                   "DAC_READ_SEARCH",
                                                   "DAC_OVERRIDE",
                                                   "NET_RAW",
                                                   "SYS_RAWIO",
                                                   "BPF",
                                                   "PERFMON",
                                                   "SYS_BOOT",
                                                   "MAC_ADMIN",
                                                   "MAC_OVERRIDE",
                                                   "SYS_TIME",
                                                   "SYSLOG",
                                                   "LINUX_IMMUTABLE",
                                                   "AUDIT_CONTROL",
                                                   "CHECKPOINT_RESTORE",
                                                   "SYS_RESOURCE"};
  return kDangerous.count(c) > 0;
}

std::string first_word(const std::string& user) {
  return user.substr(0, user.find(':'));
}

// Whether the container's processes run as root: written as root/0, or not written at all (the
// image's USER applies, root for most images) without k8s runAsNonRoot vouching otherwise.
bool runs_as_root(const Workload& w) {
  if (w.user) {
    const std::string u = first_word(*w.user);
    return u == "root" || u == "0";
  }
  return w.run_as_non_root != true;
}

std::string user_loc_fields_msg(const Workload& w) {
  if (w.user) return "runs as " + *w.user;
  return "sets no user: the image's USER applies (root for most images)";
}

SourceLoc user_loc(const Workload& w) {
  return loc(w, {"user", "run_as_non_root", "security_context", "pod_security_context"});
}

std::string norm_path(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

bool under(const std::string& path, const std::string& dir) {
  if (dir == "/") return !path.empty() && path[0] == '/';
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

bool engine_socket(const std::string& src) {
  static const std::vector<std::string> kSockets = {"docker.sock", "podman.sock", "containerd.sock",
                                                    "crio.sock", "dockershim.sock"};
  for (const auto& s : kSockets)
    if (src.size() >= s.size() && src.compare(src.size() - s.size(), s.size(), s) == 0) return true;
  // The directories holding them give the socket too.
  static const std::set<std::string> kDirs = {
      "/run",        "/var/run",        "/run/docker",         "/var/run/docker",
      "/run/podman", "/run/containerd", "/var/run/containerd", "/run/crio"};
  return kDirs.count(src) > 0;
}

bool sensitive_host_path(const std::string& src) {
  if (src == "/") return true;
  static const std::vector<std::string> kDirs = {"/etc",
                                                 "/proc",
                                                 "/sys",
                                                 "/boot",
                                                 "/dev",
                                                 "/root",
                                                 "/home",
                                                 "/usr",
                                                 "/lib",
                                                 "/lib64",
                                                 "/bin",
                                                 "/sbin",
                                                 "/var/lib/docker",
                                                 "/var/lib/containers",
                                                 "/var/lib/kubelet",
                                                 "/var/lib/containerd",
                                                 "/var/log"};
  return std::any_of(kDirs.begin(), kDirs.end(), [&](const auto& d) { return under(src, d); });
}

// Mounts a process can write to, for the read-only rootfs checks.
bool writable_mount(const Mount& m) {
  if (m.read_only) return false;
  return m.type == "bind" || m.type == "volume" || m.type == "tmpfs" || m.type == "emptyDir";
}

bool covered(const Workload& w, const std::string& dir) {
  return std::any_of(w.mounts.begin(), w.mounts.end(), [&](const Mount& m) {
    return writable_mount(m) && under(dir, norm_path(m.target));
  });
}

std::string mib(std::uint64_t bytes) {
  return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB";
}

// ---- checks that need no profile ---------------------------------------------------------------

void check_privileged(const Workload& w, const RuleContext&, const AuditRule& r, Out& out) {
  if (w.privileged == true)
    add(out, r, w, r.severity,
        "runs privileged: every capability, every device, no seccomp or AppArmor confinement",
        loc(w, {"privileged"}));
}

void check_cap_add(const Workload& w, const RuleContext& ctx, const AuditRule& r, Out& out) {
  for (const auto& c : w.cap_add) {
    const SourceLoc at = loc(w, {("cap_add " + c).c_str(), "cap_add"});
    // A dangerous capability the recording shows the app exercising is the least it can run
    // with: a high finding there would ask for a fix that breaks it (TL202's reverse). It stays
    // visible, as info, so a reviewer still sees what the grant reaches.
    const std::string* why = nullptr;
    if (ctx.plan)
      for (const auto& [cap, reason] : ctx.plan->caps)
        if (cap == c) why = &reason;
    if (c == "ALL")
      add(out, r, w, Severity::kCritical, "adds ALL capabilities", at);
    else if (why && dangerous_cap(c))
      add(out, r, w, Severity::kInfo,
          "adds " + c + ", which the profile shows the app needs (" + *why + ")", at);
    else if (why)
      continue;  // needed and harmless outside the container: the grant the fix asks for
    else if (dangerous_cap(c))
      add(out, r, w, Severity::kHigh,
          "adds " + c + ", a capability that reaches past the container", at);
    // Docker's default set added back after cap_drop ALL is the practice the fix asks for, and
    // without the drop the add changes nothing; anything else widens the default set.
    else if (!default_caps(w).count(c))
      add(out, r, w, Severity::kLow, "adds " + c + ", which the engine's default set leaves out",
          at);
  }
}

void check_cap_drop(const Workload& w, const RuleContext&, const AuditRule& r, Out& out) {
  if (w.cap_drop.count("ALL")) return;
  std::string msg = "does not drop ALL capabilities: ";
  msg += w.cap_drop.empty()
             ? "the engine's default set applies"
             : "drops only " + join(w.cap_drop) + "; the rest of the default set applies";
  add(out, r, w, r.severity, msg, loc(w, {"cap_drop", "security_context", "cap_add"}));
}

void check_seccomp_unconfined(const Workload& w, const RuleContext&, const AuditRule& r, Out& out) {
  if (w.seccomp == "unconfined")
    add(out, r, w, r.severity, "runs without a seccomp filter (seccomp unconfined)",
        loc(w, {"seccomp"}));
}

void check_seccomp_absent_k8s(const Workload& w, const RuleContext& ctx, const AuditRule& r,
                              Out& out) {
  if (ctx.kind != DeployKind::kKubernetes || w.seccomp) return;
  add(out, r, w, r.severity,
      "sets no seccompProfile: Kubernetes runs it Unconfined unless the kubelet enables "
      "--seccomp-default",
      loc(w, {"security_context", "pod_security_context"}));
}

void check_apparmor(const Workload& w, const RuleContext&, const AuditRule& r, Out& out) {
  if (w.apparmor == "unconfined")
    add(out, r, w, r.severity, "runs without AppArmor confinement (apparmor unconfined)",
        loc(w, {"apparmor"}));
}

void check_nnp(const Workload& w, const RuleContext& ctx, const AuditRule& r, Out& out) {
  if (w.no_new_privileges == true) return;
  std::string msg;
  if (ctx.kind == DeployKind::kKubernetes)
    msg = w.no_new_privileges ? "sets allowPrivilegeEscalation: true"
                              : "does not set allowPrivilegeEscalation: false";
  else
    msg = w.no_new_privileges ? "turns no-new-privileges off" : "does not set no-new-privileges";
  add(out, r, w, r.severity, msg + ": setuid programs can gain privileges",
      loc(w, {"no_new_privileges", "security_opt", "security_context", "pod_security_context"}));
}

void check_root(const Workload& w, const RuleContext&, const AuditRule& r, Out& out) {
  if (runs_as_root(w)) add(out, r, w, r.severity, user_loc_fields_msg(w), user_loc(w));
}

void check_rootfs(const Workload& w, const RuleContext&, const AuditRule& r, Out& out) {
  if (w.read_only_rootfs == true) return;
  add(out, r, w, r.severity, "the root filesystem is writable",
      loc(w, {"read_only_rootfs", "security_context"}));
}

void check_host_network(const Workload& w, const RuleContext&, const AuditRule& r, Out& out) {
  if (w.network_mode == "host")
    add(out, r, w, r.severity, "shares the host's network namespace", loc(w, {"network_mode"}));
}

void check_host_pid(const Workload& w, const RuleContext&, const AuditRule& r, Out& out) {
  if (w.host_pid)
    add(out, r, w, r.severity, "shares the host's PID namespace: sees and signals host processes",
        loc(w, {"host_pid"}));
}

void check_host_ipc(const Workload& w, const RuleContext&, const AuditRule& r, Out& out) {
  if (w.host_ipc)
    add(out, r, w, r.severity, "shares the host's IPC namespace", loc(w, {"host_ipc"}));
}

void check_host_uts(const Workload& w, const RuleContext&, const AuditRule& r, Out& out) {
  if (w.host_uts)
    add(out, r, w, r.severity, "shares the host's UTS namespace (hostname)", loc(w, {"host_uts"}));
}

void check_host_userns(const Workload& w, const RuleContext&, const AuditRule& r, Out& out) {
  if (w.userns_mode == "host")
    add(out, r, w, r.severity, "shares the host's user namespace (userns host)",
        loc(w, {"userns_mode"}));
}

void check_engine_socket(const Workload& w, const RuleContext&, const AuditRule& r, Out& out) {
  for (const auto& m : w.mounts) {
    if (m.type != "bind") continue;
    const std::string src = norm_path(m.source);
    if (engine_socket(src))
      add(out, r, w, r.severity,
          "mounts " + src +
              (src.size() > 5 && src.compare(src.size() - 5, 5, ".sock") == 0
                   ? " (the container engine's API: root on the host)"
                   : ", which holds the container engine's socket (root on the host)") +
              (m.read_only ? "; read-only does not protect an API socket" : ""),
          m.at.line ? m.at : w.at);
  }
}

void check_host_paths(const Workload& w, const RuleContext& ctx, const AuditRule& r, Out& out) {
  for (const auto& m : w.mounts) {
    if (m.type != "bind") continue;
    const std::string src = norm_path(m.source);
    if (engine_socket(src)) continue;  // TL115's
    const SourceLoc at = m.at.line ? m.at : w.at;
    if (sensitive_host_path(src)) {
      Severity s = m.read_only ? Severity::kMedium : Severity::kHigh;
      if (src == "/" && !m.read_only) s = Severity::kCritical;
      add(out, r, w, s,
          "mounts the host's " + src + (m.read_only ? " read-only" : " writable") + " at " +
              m.target,
          at);
    } else if (ctx.kind == DeployKind::kKubernetes) {
      add(out, r, w, Severity::kLow,
          "mounts the host path " + src + " at " + m.target +
              " (hostPath volumes are outside PSS Baseline)",
          at);
    }
  }
}

void check_devices(const Workload& w, const RuleContext&, const AuditRule& r, Out& out) {
  if (w.devices.empty()) return;
  add(out, r, w, r.severity, "gives host devices: " + join_some(w.devices), loc(w, {"devices"}));
}

void check_memory(const Workload& w, const RuleContext&, const AuditRule& r, Out& out) {
  if (!w.memory_bytes) add(out, r, w, r.severity, "sets no memory limit", loc(w, {"resources"}));
}

void check_pids(const Workload& w, const RuleContext& ctx, const AuditRule& r, Out& out) {
  if (is_engine(ctx.kind) && !w.pids_limit)
    add(out, r, w, r.severity, "sets no pids limit: a fork bomb takes the host's process table",
        loc(w, {"pids_limit", "resources"}));
}

void check_nofile(const Workload& w, const RuleContext& ctx, const AuditRule& r, Out& out) {
  if (is_engine(ctx.kind) && !w.nofile_soft && !w.nofile_hard)
    add(out, r, w, r.severity, "sets no nofile ulimit: the daemon's (often 1048576) applies",
        loc(w, {"nofile"}));
}

void check_sa_token(const Workload& w, const RuleContext& ctx, const AuditRule& r, Out& out) {
  if (ctx.kind != DeployKind::kKubernetes || w.automount_service_account_token == false) return;
  add(out, r, w, r.severity,
      w.automount_service_account_token ? "sets automountServiceAccountToken: true"
                                        : "mounts the service account's API token (the default)",
      loc(w, {"automount_service_account_token", "pod_security_context"}));
}

// ---- checks against a profile ----------------------------------------------------------------

std::set<std::string> needed_caps(const HardeningPlan& p) {
  std::set<std::string> s;
  for (const auto& [c, why] : p.caps) s.insert(c);
  return s;
}

void check_unused_caps(const Workload& w, const RuleContext& ctx, const AuditRule& r, Out& out) {
  if (w.privileged == true) return;  // TL101 says more
  const std::set<std::string> need = needed_caps(*ctx.plan);
  const std::string used = need.empty() ? "the app used none" : "the app used " + join(need);
  if (w.cap_add.count("ALL")) {
    add(out, r, w, Severity::kHigh, "grants every capability (cap_add ALL); " + used,
        loc(w, {"cap_add ALL", "cap_add"}));
    return;
  }
  std::set<std::string> added, defaults;
  for (const auto& c : w.cap_add)
    if (!need.count(c)) added.insert(c);
  if (!w.cap_drop.count("ALL"))
    for (const auto& c : default_caps(w))
      if (!need.count(c) && !w.cap_drop.count(c) && !w.cap_add.count(c)) defaults.insert(c);
  if (added.empty() && defaults.empty()) return;
  std::string msg;
  if (!added.empty()) msg = "grants " + join(added) + " never used";
  if (!defaults.empty())
    msg += std::string(msg.empty() ? "" : "; ") + "keeps " + std::to_string(defaults.size()) +
           " default capabilities never used (" + join(defaults) + ")";
  const bool bad = std::any_of(added.begin(), added.end(), dangerous_cap);
  add(out, r, w, bad ? Severity::kHigh : r.severity, msg + "; " + used,
      added.empty() ? loc(w, {"cap_drop", "security_context"}) : loc(w, {"cap_add"}));
}

void check_denied_caps(const Workload& w, const RuleContext& ctx, const AuditRule& r, Out& out) {
  const std::set<std::string> have = effective_caps(w, ctx.kind);
  for (const auto& [c, why] : ctx.plan->caps) {
    if (have.count(c)) continue;
    const bool dropped = w.cap_drop.count(c) || w.cap_drop.count("ALL");
    add(out, r, w, r.severity,
        "the app needs " + c + " (" + why + ") but " +
            (dropped ? "cap_drop removes it" : "the container does not get it") +
            ": this deployment will break",
        dropped ? loc(w, {"cap_drop", "security_context"})
                : loc(w, {"cap_add", "security_context"}));
  }
  if (!ctx.plan->caps.empty() && w.user && !runs_as_root(w))
    add(out, r, w, Severity::kHigh,
        "runs as " + *w.user + ", which has no effective capabilities, but the app used " +
            join(needed_caps(*ctx.plan)) + " as root: this deployment will likely break",
        user_loc(w));
}

// How a message names the deployment's seccomp profile: inspect JSON holds the profile itself.
std::string seccomp_label(const std::string& s) {
  return !s.empty() && s[0] == '{' ? "the seccomp profile in the inspect JSON" : s;
}

bool names_file(const Workload& w) {
  return w.seccomp && *w.seccomp != "unconfined" && *w.seccomp != "default" &&
         *w.seccomp != "runtime/default";
}

void check_seccomp_file(const Workload& w, const RuleContext& ctx, const AuditRule& r, Out& out,
                        bool denied) {
  if (!names_file(w) || !ctx.seccomp_file || !ctx.needed) return;
  const DiffResult d = diff_surfaces(*ctx.seccomp_file, *ctx.needed);
  const AxisDiff& sys = d.axes.front();  // "syscalls"
  const SourceLoc at = loc(w, {"seccomp", "security_context", "pod_security_context"});
  if (denied) {
    std::set<std::string> names;
    for (const auto& e : sys.added)
      names.insert(e.subject + (e.arch == "x86_64" ? "" : "/" + e.arch));
    if (names.empty()) return;
    add(out, r, w, r.severity,
        seccomp_label(*w.seccomp) + " denies " + std::to_string(names.size()) +
            " syscalls the app makes (" + join_some({names.begin(), names.end()}) +
            "): this deployment will break",
        at);
    return;
  }
  std::set<std::string> extra;
  for (const auto& e : sys.removed)
    if (ctx.needed->syscalls.count(e.arch)) extra.insert(e.arch + " " + e.subject);
  // Below this many, a hand-kept profile is close enough; the point is the default-sized one.
  constexpr std::size_t kMany = 50;
  if (extra.size() < kMany) return;
  add(out, r, w, r.severity,
      seccomp_label(*w.seccomp) + " allows " + std::to_string(extra.size()) +
          " more syscalls than the app needs (" + std::to_string(ctx.needed_syscalls) +
          "): tailor generate " + ctx.profile->name + " --seccomp FILE",
      at);
}

void check_seccomp_unread(const Workload& w, const RuleContext& ctx, const AuditRule& r, Out& out) {
  if (!names_file(w) || ctx.seccomp_file) return;
  add(out, r, w, r.severity,
      "seccomp profile " + seccomp_label(*w.seccomp) +
          " was not read, so its syscalls were not compared",
      loc(w, {"seccomp", "security_context", "pod_security_context"}));
}

void check_seccomp_suggest(const Workload& w, const RuleContext& ctx, const AuditRule& r,
                           Out& out) {
  if (names_file(w) || w.privileged == true) return;
  std::string what;
  Severity s = r.severity;
  if (w.seccomp == "unconfined" || (!w.seccomp && ctx.kind == DeployKind::kKubernetes)) {
    what = "runs without a seccomp filter";
    s = Severity::kMedium;
  } else {
    what = "runs under the default seccomp profile";
  }
  add(out, r, w, s,
      what + "; a profile with " + std::to_string(ctx.needed_syscalls) +
          " syscalls runs it: tailor generate " + ctx.profile->name + " --seccomp FILE",
      loc(w, {"seccomp", "security_context", "pod_security_context"}));
}

// Directories the app writes to, each with the tmpfs root it would need.
std::map<std::string, std::string> written_dirs(const HardeningPlan& p) {
  std::map<std::string, std::string> out;
  for (const auto& [root, dirs] : p.tmpfs_for)
    for (const auto& d : dirs) out[d] = root;
  for (const auto& v : p.volumes) out[v] = "";
  return out;
}

void check_rootfs_could_be_ro(const Workload& w, const RuleContext& ctx, const AuditRule& r,
                              Out& out) {
  if (w.read_only_rootfs == true) return;
  const HardeningPlan& p = *ctx.plan;
  // Volumes the app needs must exist already; a tmpfs is what read_only adds.
  for (const auto& v : p.volumes)
    if (!covered(w, v)) return;
  std::set<std::string> tmpfs;
  for (const auto& [dir, root] : written_dirs(p))
    if (!root.empty() && !covered(w, dir)) tmpfs.insert(root);
  add(out, r, w, r.severity,
      tmpfs.empty() ? "the root filesystem is writable, but the app writes nowhere on it: a "
                      "read-only rootfs works"
                    : "the root filesystem is writable, but a read-only rootfs with tmpfs " +
                          join(tmpfs) + " works",
      loc(w, {"read_only_rootfs", "security_context"}));
}

void check_rootfs_ro_breaks(const Workload& w, const RuleContext& ctx, const AuditRule& r,
                            Out& out) {
  if (w.read_only_rootfs != true) return;
  std::set<std::string> missing;
  for (const auto& [dir, root] : written_dirs(*ctx.plan))
    if (!covered(w, dir)) missing.insert(dir);
  if (missing.empty()) return;
  add(out, r, w, r.severity,
      "the root filesystem is read-only, but the app writes in " +
          join_some({missing.begin(), missing.end()}) +
          ", which no writable mount covers: this deployment will break",
      loc(w, {"read_only_rootfs", "security_context"}));
}

void check_network_unused(const Workload& w, const RuleContext& ctx, const AuditRule& r, Out& out) {
  // A pod always has its network namespace; only engines can say `none`.
  if (!is_engine(ctx.kind) || !ctx.plan->network_none || w.network_mode == "none") return;
  add(out, r, w, r.severity,
      "has a network, but the app used no network socket: network_mode none runs it",
      loc(w, {"network_mode"}));
}

void check_network_denied(const Workload& w, const RuleContext& ctx, const AuditRule& r, Out& out) {
  if (w.network_mode != "none" || ctx.plan->network_none) return;
  std::vector<std::string> why = ctx.plan->net_reasons;
  add(out, r, w, r.severity,
      "has no network, but the app uses " + join(ctx.plan->net_families) +
          (why.empty() ? "" : " (" + join_some(why, 3) + ")") + ": this deployment will break",
      loc(w, {"network_mode"}));
}

void check_limits_high(const Workload& w, const RuleContext& ctx, const AuditRule& r, Out& out) {
  const HardeningPlan& p = *ctx.plan;
  constexpr std::uint64_t kFar = 10;
  if (w.memory_bytes && p.memory_mib && *w.memory_bytes > kFar * (p.memory_mib << 20))
    add(out, r, w, r.severity,
        "memory limit " + mib(*w.memory_bytes) + " is over 10x the " +
            std::to_string(p.memory_mib) + " MiB the recorded peak suggests (peak RSS " +
            mib(p.peak_rss_kb * 1024) + ")",
        loc(w, {"memory", "resources"}));
  if (w.pids_limit && p.pids && *w.pids_limit > kFar * p.pids)
    add(out, r, w, r.severity,
        "pids limit " + std::to_string(*w.pids_limit) + " is over 10x the " +
            std::to_string(p.pids) + " the recorded peak suggests (peak " +
            std::to_string(p.peak_tasks) + " tasks)",
        loc(w, {"pids_limit"}));
}

void check_limits_low(const Workload& w, const RuleContext& ctx, const AuditRule& r, Out& out) {
  const HardeningPlan& p = *ctx.plan;
  if (w.memory_bytes && p.peak_rss_kb && *w.memory_bytes < p.peak_rss_kb * 1024)
    add(out, r, w, r.severity,
        "memory limit " + mib(*w.memory_bytes) + " is below the recorded peak RSS " +
            mib(p.peak_rss_kb * 1024) + ": this deployment will break (OOM kill)",
        loc(w, {"memory", "resources"}));
  if (w.pids_limit && p.peak_tasks && *w.pids_limit < p.peak_tasks)
    add(out, r, w, r.severity,
        "pids limit " + std::to_string(*w.pids_limit) + " is below the recorded peak of " +
            std::to_string(p.peak_tasks) + " tasks: this deployment will break (fork fails)",
        loc(w, {"pids_limit"}));
  const auto nofile = w.nofile_soft ? w.nofile_soft : w.nofile_hard;
  if (nofile && p.peak_fds && *nofile < p.peak_fds)
    add(out, r, w, r.severity,
        "nofile limit " + std::to_string(*nofile) + " is below the recorded peak of " +
            std::to_string(p.peak_fds) + " descriptors: this deployment will break",
        loc(w, {"nofile"}));
}

void check_root_unneeded(const Workload& w, const RuleContext& ctx, const AuditRule& r, Out& out) {
  const HardeningPlan& p = *ctx.plan;
  if (!runs_as_root(w)) return;
  std::string as;
  if (p.run_as_nobody)
    as = "65534:65534 (it ran as root but used no capability)";
  else if (p.nonroot_ids)
    as = std::to_string(p.nonroot_ids->first) + ":" + std::to_string(p.nonroot_ids->second) +
         " (it ran as that user)";
  else
    return;
  add(out, r, w, r.severity, user_loc_fields_msg(w) + "; the app runs as " + as, user_loc(w));
}

void check_nnp_safe(const Workload& w, const RuleContext& ctx, const AuditRule& r, Out& out) {
  if (w.no_new_privileges == true || !ctx.plan->nnp) return;
  add(out, r, w, r.severity,
      "no-new-privileges is not set, and the app ran no setuid, setgid or file-capability "
      "program: setting it is safe",
      loc(w, {"no_new_privileges", "security_opt", "security_context", "pod_security_context"}));
}

void check_nnp_breaks(const Workload& w, const RuleContext& ctx, const AuditRule& r, Out& out) {
  if (w.no_new_privileges != true || ctx.plan->nnp) return;
  add(out, r, w, r.severity,
      "no-new-privileges is set, but the app runs " + join_some(ctx.plan->privileged_exes, 3) +
          ", which then gains nothing: this deployment will break",
      loc(w, {"no_new_privileges", "security_context"}));
}

// clang-format off
const std::vector<Row>& table() {
  static const std::vector<Row> kRows = {
    {{"TL101", Severity::kCritical, "CIS Docker 5.4; PSS Baseline: Privileged Containers",
      "Container runs privileged",
      "remove privileged: true / --privileged; add only the capabilities the app needs"},
     check_privileged},
    {{"TL102", Severity::kHigh, "CIS Docker 5.3; PSS Baseline: Capabilities",
      "Capabilities added",
      "add only capabilities the app needs (tailor generate --flags says which)"},
     check_cap_add},
    {{"TL103", Severity::kMedium, "CIS Docker 5.3; PSS Restricted: Capabilities",
      "Capabilities not dropped",
      "cap_drop: [ALL] (securityContext.capabilities.drop: [ALL]), then cap_add what is needed"},
     check_cap_drop},
    {{"TL104", Severity::kHigh, "CIS Docker 5.21; PSS Baseline: Seccomp",
      "Seccomp unconfined",
      "remove seccomp=unconfined; use the default or a profile from tailor generate --seccomp"},
     check_seccomp_unconfined},
    {{"TL105", Severity::kMedium, "PSS Restricted: Seccomp",
      "No seccomp profile (Kubernetes runs Unconfined)",
      "securityContext.seccompProfile.type: RuntimeDefault (or Localhost with tailor's profile)"},
     check_seccomp_absent_k8s},
    {{"TL106", Severity::kHigh, "CIS Docker 5.1; PSS Baseline: AppArmor",
      "AppArmor unconfined",
      "remove apparmor=unconfined; use the default or tailor generate --apparmor"},
     check_apparmor},
    {{"TL107", Severity::kMedium, "CIS Docker 5.25; PSS Restricted: Privilege Escalation",
      "Privilege escalation allowed",
      "security_opt: [no-new-privileges:true] (allowPrivilegeEscalation: false)"},
     check_nnp},
    {{"TL108", Severity::kMedium, "CIS Docker 4.1; PSS Restricted: Running as Non-root",
      "Runs as root",
      "user: \"UID:GID\" of a non-root user (runAsNonRoot: true, runAsUser)"},
     check_root},
    {{"TL109", Severity::kMedium, "CIS Docker 5.12",
      "Root filesystem writable",
      "read_only: true (readOnlyRootFilesystem: true) with tmpfs for the directories written"},
     check_rootfs},
    {{"TL110", Severity::kHigh, "CIS Docker 5.9; PSS Baseline: Host Namespaces",
      "Host network namespace",
      "remove network_mode: host (hostNetwork: true); publish the ports the app serves"},
     check_host_network},
    {{"TL111", Severity::kHigh, "CIS Docker 5.15; PSS Baseline: Host Namespaces",
      "Host PID namespace", "remove pid: host (hostPID: true)"},
     check_host_pid},
    {{"TL112", Severity::kHigh, "CIS Docker 5.16; PSS Baseline: Host Namespaces",
      "Host IPC namespace", "remove ipc: host (hostIPC: true)"},
     check_host_ipc},
    {{"TL113", Severity::kMedium, "CIS Docker 5.20; PSS Baseline: Host Namespaces",
      "Host UTS namespace", "remove uts: host"},
     check_host_uts},
    {{"TL114", Severity::kMedium, "CIS Docker 5.30",
      "Host user namespace", "remove userns_mode: host"},
     check_host_userns},
    {{"TL115", Severity::kCritical, "CIS Docker 5.31",
      "Container engine socket mounted",
      "do not mount the engine's socket; use a socket proxy that allows only the calls needed"},
     check_engine_socket},
    {{"TL116", Severity::kHigh, "CIS Docker 5.5; PSS Baseline: HostPath Volumes",
      "Sensitive host path mounted",
      "mount only the host directory the app needs, read-only, or use a named volume"},
     check_host_paths},
    {{"TL117", Severity::kMedium, "CIS Docker 5.17",
      "Host devices exposed", "remove devices the app does not open"},
     check_devices},
    {{"TL118", Severity::kMedium, "CIS Docker 5.10",
      "No memory limit",
      "mem_limit (resources.limits.memory); tailor generate --flags sizes it from the peak"},
     check_memory},
    {{"TL119", Severity::kMedium, "CIS Docker 5.28",
      "No pids limit", "pids_limit (--pids-limit); tailor generate --flags sizes it"},
     check_pids},
    {{"TL120", Severity::kLow, "CIS Docker 5.18",
      "No nofile ulimit",
      "ulimits: nofile (--ulimit nofile=N:N) sized from the recorded peak of descriptors"},
     check_nofile},
    {{"TL121", Severity::kLow, "CIS Kubernetes 5.1.6",
      "Service account token automounted",
      "automountServiceAccountToken: false unless the app calls the Kubernetes API"},
     check_sa_token},

    {{"TL201", Severity::kMedium, "CIS Docker 5.3; PSS Restricted: Capabilities",
      "Capabilities granted and never used",
      "cap_drop: [ALL] and cap_add only the capabilities the profile shows", true},
     check_unused_caps},
    {{"TL202", Severity::kCritical, "tailor profile",
      "Capabilities the app needs are denied",
      "cap_add the capabilities the profile shows (or run as root where it used them)", true},
     check_denied_caps},
    {{"TL203", Severity::kCritical, "tailor profile",
      "Seccomp profile denies syscalls the app makes",
      "use tailor generate --seccomp, or allow the syscalls listed", true},
     [](const Workload& w, const RuleContext& c, const AuditRule& r, Out& o) {
       check_seccomp_file(w, c, r, o, true);
     }},
    {{"TL204", Severity::kMedium, "CIS Docker 5.21",
      "Seccomp profile allows far more than the app needs",
      "use the profile tailor generate --seccomp writes", true},
     [](const Workload& w, const RuleContext& c, const AuditRule& r, Out& o) {
       check_seccomp_file(w, c, r, o, false);
     }},
    {{"TL205", Severity::kLow, "CIS Docker 5.21; PSS Restricted: Seccomp",
      "Seccomp profile could be tailored",
      "tailor generate PROFILE --seccomp FILE, then seccomp=FILE (Localhost)", true},
     check_seccomp_suggest},
    {{"TL206", Severity::kInfo, "tailor profile",
      "Seccomp profile not compared",
      "give tailor audit a readable seccomp file (Docker or OCI JSON)", true},
     check_seccomp_unread},
    {{"TL207", Severity::kMedium, "CIS Docker 5.12",
      "Writable root filesystem not needed",
      "read_only: true with the tmpfs mounts named", true},
     check_rootfs_could_be_ro},
    {{"TL208", Severity::kCritical, "tailor profile",
      "Read-only root filesystem without the writable mounts the app needs",
      "add a tmpfs or volume for each directory named", true},
     check_rootfs_ro_breaks},
    {{"TL209", Severity::kMedium, "tailor profile",
      "Network granted but not used",
      "network_mode: none (--network none)", true},
     check_network_unused},
    {{"TL210", Severity::kCritical, "tailor profile",
      "No network, but the app needs one",
      "remove network_mode: none", true},
     check_network_denied},
    {{"TL211", Severity::kLow, "CIS Docker 5.10, 5.28",
      "Limit far above the observed peak",
      "set the limit tailor generate --flags suggests", true},
     check_limits_high},
    {{"TL212", Severity::kCritical, "tailor profile",
      "Limit below the observed peak",
      "raise the limit to what tailor generate --flags suggests", true},
     check_limits_low},
    {{"TL213", Severity::kMedium, "CIS Docker 4.1; PSS Restricted: Running as Non-root",
      "Runs as root, though the app does not need it",
      "user: the UID:GID named (runAsUser, runAsNonRoot: true)", true},
     check_root_unneeded},
    {{"TL214", Severity::kLow, "CIS Docker 5.25; PSS Restricted: Privilege Escalation",
      "no-new-privileges is safe for this app",
      "security_opt: [no-new-privileges:true] (allowPrivilegeEscalation: false)", true},
     check_nnp_safe},
    {{"TL215", Severity::kCritical, "tailor profile",
      "no-new-privileges set, but the app runs privileged programs",
      "remove no-new-privileges, or stop running the setuid programs named", true},
     check_nnp_breaks},
  };
  return kRows;
}
// clang-format on

}  // namespace

SourceLoc loc(const Workload& w, std::initializer_list<const char*> fields) {
  for (const char* f : fields)
    if (auto it = w.where.find(f); it != w.where.end()) return it->second;
  return w.at;
}

std::set<std::string> effective_caps(const Workload& w, DeployKind) {
  if (w.privileged == true || w.cap_add.count("ALL")) return all_caps();
  std::set<std::string> s;
  if (!w.cap_drop.count("ALL"))
    for (const auto& c : default_caps(w))
      if (!w.cap_drop.count(c)) s.insert(c);
  s.insert(w.cap_add.begin(), w.cap_add.end());
  return s;
}

std::vector<Finding> check_workload(const Workload& w, const RuleContext& ctx) {
  std::vector<Finding> out;
  for (const auto& row : table()) {
    if (row.rule.needs_profile && !ctx.profile) continue;
    row.check(w, ctx, row.rule, out);
  }
  return out;
}

}  // namespace tailor::audit_detail

namespace tailor {

const std::vector<AuditRule>& audit_rules() {
  static const std::vector<AuditRule> kRules = [] {
    std::vector<AuditRule> v;
    for (const auto& row : audit_detail::table()) v.push_back(row.rule);
    return v;
  }();
  return kRules;
}

std::set<std::string> workload_capabilities(const Workload& w, DeployKind kind) {
  return audit_detail::effective_caps(w, kind);
}

}  // namespace tailor
