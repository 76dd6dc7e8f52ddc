// tailor audit: every rule of the table on a workload that triggers it and on one that does not,
// the profile rules against a real recording, the four renderings, and the CLI's exit codes.
#include <catch2/catch.hpp>
#include <functional>
#include <nlohmann/json.hpp>

#include "support.h"
#include "tailor/audit.h"
#include "tailor/emitters.h"
#include "tailor/seccomp.h"

using namespace tailor;
using namespace tailor::test;
using nlohmann::json;

namespace {

const std::string kFile = "deploy/compose.yml";

SourceLoc at(int line, int col = 5) {
  return SourceLoc{kFile, line, col};
}

// A workload that passes every rule that needs no profile, settings each on a line of its own
// (lines 11...), so a test can tell which line a finding points at.
Workload hardened(DeployKind kind) {
  Workload w;
  w.name = kind == DeployKind::kKubernetes ? "Deployment/web: app" : "web";
  w.service = kind == DeployKind::kKubernetes ? "app" : "web";
  w.image = "example/web:1";
  w.at = at(10, 3);
  w.privileged = false;
  w.where["privileged"] = at(11);
  w.cap_drop = {"ALL"};
  w.where["cap_drop"] = at(12);
  w.no_new_privileges = true;
  w.where["no_new_privileges"] = at(13);
  w.user = "1000:1000";
  w.where["user"] = at(14);
  w.read_only_rootfs = true;
  w.where["read_only_rootfs"] = at(15);
  w.memory_bytes = 256u << 20;
  w.where["memory"] = at(16);
  if (kind == DeployKind::kKubernetes) {
    w.object = "Deployment/web";
    w.seccomp = "default";
    w.where["seccomp"] = at(17);
    w.run_as_non_root = true;
    w.where["run_as_non_root"] = at(18);
    w.automount_service_account_token = false;
    w.where["automount_service_account_token"] = at(19);
    w.where["security_context"] = at(20);
  } else {
    w.pids_limit = 100;
    w.where["pids_limit"] = at(17);
    w.nofile_soft = w.nofile_hard = 1024;
    w.where["nofile"] = at(18);
  }
  return w;
}

AuditInput input_of(DeployKind kind, std::vector<Workload> ws) {
  AuditInput in;
  in.deployment.kind = kind;
  in.deployment.files = {kFile};
  in.deployment.workloads = std::move(ws);
  return in;
}

std::vector<Finding> of_rule(const AuditResult& r, const std::string& id) {
  std::vector<Finding> out;
  for (const auto& f : r.findings)
    if (f.rule == id) out.push_back(f);
  return out;
}

std::string all_of(const AuditResult& r) {
  std::string s;
  for (const auto& f : r.findings)
    s += f.rule + " " + std::string(severity_name(f.severity)) + " " + f.message + "\n";
  return s;
}

Mount bind(const std::string& src, const std::string& dst, bool ro, int line) {
  Mount m;
  m.type = "bind";
  m.source = src;
  m.target = dst;
  m.read_only = ro;
  m.at = at(line, 9);
  return m;
}

struct RuleCase {
  std::string what;
  DeployKind kind;
  std::string rule;
  std::function<void(Workload&)> change;
  Severity severity;
  int line;  // where the finding points (0: the workload's own line, 10)
};

}  // namespace

TEST_CASE("audit: the rule table is data with stable, unique ids", "[audit]") {
  const auto& rules = audit_rules();
  REQUIRE(rules.size() >= 30);
  std::set<std::string> ids;
  for (const auto& r : rules) {
    CHECK(r.id.size() == 5);
    CHECK(r.id.substr(0, 2) == "TL");
    CHECK(ids.insert(std::string(r.id)).second);
    CHECK(!r.title.empty());
    CHECK(!r.fix.empty());
    CHECK(!r.reference.empty());
    // TL1xx need only the deployment, TL2xx a profile.
    CHECK(r.needs_profile == (r.id[2] == '2'));
  }
  CHECK(ids.count("TL101"));
  CHECK(severity_name(Severity::kCritical) == "critical");
  CHECK(severity_from_name("medium") == Severity::kMedium);
  CHECK(!severity_from_name("severe"));
  CHECK(audit_format_from_name("sarif") == AuditFormat::kSarif);
  CHECK(!audit_format_from_name("xml"));
}

TEST_CASE("audit: a hardened workload passes every rule that needs no profile", "[audit]") {
  for (DeployKind k : {DeployKind::kCompose, DeployKind::kKubernetes, DeployKind::kRunLine}) {
    INFO("kind " << static_cast<int>(k));
    const AuditResult r = audit(input_of(k, {hardened(k)}));
    CHECK(all_of(r) == "");
    CHECK(!r.fails(Severity::kInfo));
    CHECK(r.unmatched.empty());
  }
}

TEST_CASE("audit: each rule without a profile, its severity and its line", "[audit]") {
  using K = DeployKind;
  using S = Severity;
  const std::vector<RuleCase> cases = {
      {"privileged", K::kCompose, "TL101", [](Workload& w) { w.privileged = true; }, S::kCritical,
       11},
      {"a dangerous capability added, at its own line", K::kCompose, "TL102",
       [](Workload& w) {
         w.cap_add = {"SYS_ADMIN"};
         w.where["cap_add"] = at(30);
         w.where["cap_add SYS_ADMIN"] = at(31, 7);
       },
       S::kHigh, 31},
      {"a capability outside the default set", K::kCompose, "TL102",
       [](Workload& w) {
         w.cap_add = {"NET_BIND_SERVICE", "SYS_NICE"};  // the first is fine after drop ALL
         w.where["cap_add"] = at(30);
       },
       S::kLow, 30},
      {"cap_add ALL", K::kKubernetes, "TL102", [](Workload& w) { w.cap_add = {"ALL"}; },
       S::kCritical, 10},
      {"capabilities not dropped", K::kCompose, "TL103",
       [](Workload& w) {
         w.cap_drop.clear();
         w.where.erase("cap_drop");
       },
       S::kMedium, 10},
      {"seccomp unconfined", K::kCompose, "TL104",
       [](Workload& w) {
         w.seccomp = "unconfined";
         w.where["seccomp"] = at(40);
       },
       S::kHigh, 40},
      {"seccomp unconfined in Kubernetes", K::kKubernetes, "TL104",
       [](Workload& w) { w.seccomp = "unconfined"; }, S::kHigh, 17},
      {"seccomp absent in Kubernetes means Unconfined", K::kKubernetes, "TL105",
       [](Workload& w) {
         w.seccomp.reset();
         w.where.erase("seccomp");
       },
       S::kMedium, 20},
      {"AppArmor unconfined", K::kCompose, "TL106",
       [](Workload& w) {
         w.apparmor = "unconfined";
         w.where["apparmor"] = at(41);
       },
       S::kHigh, 41},
      {"no-new-privileges unset", K::kCompose, "TL107",
       [](Workload& w) {
         w.no_new_privileges.reset();
         w.where.erase("no_new_privileges");
       },
       S::kMedium, 10},
      {"allowPrivilegeEscalation true", K::kKubernetes, "TL107",
       [](Workload& w) { w.no_new_privileges = false; }, S::kMedium, 13},
      {"no user", K::kCompose, "TL108",
       [](Workload& w) {
         w.user.reset();
         w.where.erase("user");
       },
       S::kMedium, 10},
      {"user root", K::kCompose, "TL108", [](Workload& w) { w.user = "root"; }, S::kMedium, 14},
      {"runAsUser 0 despite runAsNonRoot", K::kKubernetes, "TL108",
       [](Workload& w) { w.user = "0"; }, S::kMedium, 14},
      {"writable rootfs", K::kCompose, "TL109", [](Workload& w) { w.read_only_rootfs = false; },
       S::kMedium, 15},
      {"host network", K::kCompose, "TL110",
       [](Workload& w) {
         w.network_mode = "host";
         w.where["network_mode"] = at(42);
       },
       S::kHigh, 42},
      {"host pid", K::kKubernetes, "TL111",
       [](Workload& w) {
         w.host_pid = true;
         w.where["host_pid"] = at(5, 3);
       },
       S::kHigh, 5},
      {"host ipc", K::kCompose, "TL112",
       [](Workload& w) {
         w.host_ipc = true;
         w.where["host_ipc"] = at(43);
       },
       S::kHigh, 43},
      {"host uts", K::kCompose, "TL113",
       [](Workload& w) {
         w.host_uts = true;
         w.where["host_uts"] = at(44);
       },
       S::kMedium, 44},
      {"host userns", K::kCompose, "TL114",
       [](Workload& w) {
         w.userns_mode = "host";
         w.where["userns_mode"] = at(45);
       },
       S::kMedium, 45},
      {"docker socket, even read-only", K::kCompose, "TL115",
       [](Workload& w) {
         w.mounts.push_back(bind("/var/run/docker.sock", "/var/run/docker.sock", true, 50));
       },
       S::kCritical, 50},
      {"podman socket", K::kRunLine, "TL115",
       [](Workload& w) {
         w.mounts.push_back(bind("/run/podman/podman.sock", "/run/docker.sock", false, 51));
       },
       S::kCritical, 51},
      {"host /etc writable", K::kCompose, "TL116",
       [](Workload& w) { w.mounts.push_back(bind("/etc", "/host/etc", false, 52)); }, S::kHigh, 52},
      {"host /etc read-only", K::kCompose, "TL116",
       [](Workload& w) { w.mounts.push_back(bind("/etc/ssl/", "/etc/ssl", true, 53)); }, S::kMedium,
       53},
      {"host root writable", K::kKubernetes, "TL116",
       [](Workload& w) { w.mounts.push_back(bind("/", "/host", false, 54)); }, S::kCritical, 54},
      {"any hostPath in Kubernetes", K::kKubernetes, "TL116",
       [](Workload& w) { w.mounts.push_back(bind("/srv/data", "/data", false, 55)); }, S::kLow, 55},
      {"devices", K::kCompose, "TL117",
       [](Workload& w) {
         w.devices = {"/dev/fuse"};
         w.where["devices"] = at(56);
       },
       S::kMedium, 56},
      {"no memory limit", K::kCompose, "TL118",
       [](Workload& w) {
         w.memory_bytes.reset();
         w.where.erase("memory");
       },
       S::kMedium, 10},
      {"no memory limit in Kubernetes points at resources", K::kKubernetes, "TL118",
       [](Workload& w) {
         w.memory_bytes.reset();
         w.where.erase("memory");
         w.where["resources"] = at(60);
       },
       S::kMedium, 60},
      {"no pids limit", K::kCompose, "TL119",
       [](Workload& w) {
         w.pids_limit.reset();
         w.where.erase("pids_limit");
       },
       S::kMedium, 10},
      {"pids_limit -1 (no limit) points at its line", K::kCompose, "TL119",
       [](Workload& w) { w.pids_limit.reset(); }, S::kMedium, 17},
      {"no nofile ulimit", K::kRunLine, "TL120",
       [](Workload& w) {
         w.nofile_soft = w.nofile_hard = std::nullopt;
         w.where.erase("nofile");
       },
       S::kLow, 10},
      {"service account token automounted", K::kKubernetes, "TL121",
       [](Workload& w) {
         w.automount_service_account_token.reset();
         w.where.erase("automount_service_account_token");
       },
       S::kLow, 10},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      Workload w = hardened(c.kind);
      c.change(w);
      const AuditResult r = audit(input_of(c.kind, {w}));
      const auto f = of_rule(r, c.rule);
      INFO(all_of(r));
      REQUIRE(f.size() == 1);
      CHECK(f[0].severity == c.severity);
      CHECK(f[0].workload == w.name);
      CHECK(f[0].at.file == kFile);
      CHECK(f[0].at.line == c.line);
      CHECK(!f[0].message.empty());
      // Only this rule fires: the others still pass (an added capability is not also "unused").
      for (const auto& g : r.findings) CHECK(g.rule == c.rule);
      CHECK(r.fails(c.severity));
      CHECK(!r.fails(Severity::kCritical) == (c.severity != Severity::kCritical));
    }
  }
}

TEST_CASE("audit: Kubernetes-only and engine-only rules keep to their kind", "[audit]") {
  // Engine settings Kubernetes cannot write: no finding for their absence there.
  Workload k = hardened(DeployKind::kKubernetes);
  CHECK(!k.pids_limit);
  CHECK(!k.nofile_soft);
  CHECK(all_of(audit(input_of(DeployKind::kKubernetes, {k}))) == "");
  // Kubernetes settings an engine has no use for, or means differently (no seccomp option:
  // Docker's default profile applies).
  Workload c = hardened(DeployKind::kCompose);
  CHECK(!c.seccomp);
  CHECK(!c.automount_service_account_token);
  for (DeployKind kind : {DeployKind::kCompose, DeployKind::kInspect, DeployKind::kRunLine})
    CHECK(all_of(audit(input_of(kind, {c}))) == "");
}

TEST_CASE("audit: --ignore, sorting and deduplication", "[audit]") {
  Workload a = hardened(DeployKind::kCompose);
  a.privileged = true;
  a.host_pid = true;
  a.where["host_pid"] = at(3);
  Workload b = a;
  b.name = "worker";
  AuditInput in = input_of(DeployKind::kCompose, {a, b, a});  // `a` twice: reported once
  AuditResult r = audit(in);
  REQUIRE(r.findings.size() == 4);
  CHECK(r.findings[0].rule == "TL111");  // line 3 before line 11
  CHECK(r.findings[0].workload == "web");
  CHECK(r.findings[1].workload == "worker");
  CHECK(r.findings[2].rule == "TL101");
  in.ignore = {"TL111"};
  r = audit(in);
  REQUIRE(r.findings.size() == 2);
  CHECK(r.findings[0].rule == "TL101");
}

// ---- against a real recording ----------------------------------------------------------------

namespace {

// port80 run as root: binds 127.0.0.1:80 (NET_BIND_SERVICE), chowns a file in DIR (CHOWN),
// writes under /tmp, uses no setuid program.
const Profile& port80_profile() {
  static const Profile p = [] {
    TempDir t;
    auto rec = record({sample("port80"), t.path()}, t / "port80.json");
    REQUIRE(rec.run.status == 0);
    return rec.profile;
  }();
  return p;
}

AuditInput with_profile(Workload w, const Profile& p, std::string service = "web") {
  AuditInput in = input_of(DeployKind::kCompose, {std::move(w)});
  in.profiles.push_back({"port80.json", std::move(service), p});
  return in;
}

Surface seccomp_surface(const std::string& json_text) {
  return surface_from_seccomp(seccomp_policy_from_json(json_text), std::nullopt);
}

}  // namespace

TEST_CASE("audit: rules against a real recording", "[audit]") {
  if (::geteuid() != 0) {
    WARN("skipped: port80 binds port 80 and chowns, which needs root");
    return;
  }
  const Profile& p = port80_profile();
  const HardeningPlan plan = hardening_plan(p);
  REQUIRE(p.capabilities.count("CAP_NET_BIND_SERVICE"));
  REQUIRE(p.capabilities.count("CAP_CHOWN"));
  REQUIRE(plan.network_none);
  REQUIRE(plan.nnp);

  // The hardened workload with what port80 needs: only the advisory profile rules remain.
  Workload base = hardened(DeployKind::kCompose);
  base.user = "root";
  base.cap_add = {"CHOWN", "NET_BIND_SERVICE"};
  base.where["cap_add"] = at(30);
  base.network_mode = "none";
  base.where["network_mode"] = at(31);
  Mount tmp;
  tmp.type = "tmpfs";
  tmp.target = "/tmp";
  base.mounts.push_back(tmp);
  base.memory_bytes = std::uint64_t{plan.memory_mib} << 20;
  base.pids_limit = plan.pids;

  SECTION("what the app needs, granted: only root and the seccomp hint remain") {
    const AuditResult r = audit(with_profile(base, p));
    INFO(all_of(r));
    CHECK(!r.fails(Severity::kHigh));
    std::set<std::string> rules;
    for (const auto& f : r.findings) rules.insert(f.rule);
    CHECK(rules == std::set<std::string>{"TL108", "TL205"});
    CHECK(r.unmatched.empty());
    // The deployment keeps Docker's default seccomp profile: tailor suggests its own.
    const auto f = of_rule(r, "TL205");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::kLow);
    CHECK(f[0].message.find("syscalls runs it: tailor generate port80.json --seccomp") !=
          std::string::npos);
  }
  SECTION("a needed capability dropped: critical, at cap_drop") {
    Workload w = base;
    w.cap_add = {"NET_BIND_SERVICE"};
    const AuditResult r = audit(with_profile(w, p));
    const auto f = of_rule(r, "TL202");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::kCritical);
    CHECK(f[0].message.find("needs CHOWN") != std::string::npos);
    CHECK(f[0].message.find("will break") != std::string::npos);
    CHECK(f[0].at.line == 12);
    CHECK(r.fails(Severity::kCritical));
  }
  SECTION("capabilities granted and never used, the default set too") {
    Workload w = base;
    w.cap_drop.clear();
    w.where.erase("cap_drop");
    w.cap_add = {"NET_ADMIN", "NET_BIND_SERVICE"};
    const AuditResult r = audit(with_profile(w, p));
    const auto f = of_rule(r, "TL201");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::kHigh);  // NET_ADMIN
    CHECK(f[0].message.find("grants NET_ADMIN never used") != std::string::npos);
    CHECK(f[0].message.find("SETUID") != std::string::npos);
    CHECK(f[0].message.find("CHOWN") == f[0].message.rfind("CHOWN"));  // only as "used"
    CHECK(f[0].at.line == 30);
    CHECK(of_rule(r, "TL202").empty());  // CHOWN comes from the default set
  }
  SECTION("a dangerous capability the app needs is info, one it does not need stays high") {
    Workload w = base;
    w.cap_add = {"CHOWN", "NET_BIND_SERVICE", "DAC_OVERRIDE"};
    const AuditResult r = audit(with_profile(w, p));
    INFO(all_of(r));
    const auto f = of_rule(r, "TL102");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::kHigh);
    CHECK(f[0].message.find("DAC_OVERRIDE") != std::string::npos);
    // Once the profile shows DAC_OVERRIDE exercised, its grant is the least the app runs with;
    // without a profile tailor cannot know that and keeps it high.
    Workload needs_dac = base;
    needs_dac.cap_add = {"DAC_OVERRIDE"};
    Profile q = p;
    q.capabilities["CAP_DAC_OVERRIDE"];
    const HardeningPlan qplan = hardening_plan(q);
    const bool planned = std::any_of(qplan.caps.begin(), qplan.caps.end(),
                                     [](const auto& c) { return c.first == "DAC_OVERRIDE"; });
    REQUIRE(planned);
    const auto g = of_rule(audit(with_profile(needs_dac, q)), "TL102");
    REQUIRE(g.size() == 1);
    CHECK(g[0].severity == Severity::kInfo);
    CHECK(g[0].message.find("the profile shows the app needs") != std::string::npos);
    const auto h = of_rule(audit(input_of(DeployKind::kCompose, {needs_dac})), "TL102");
    REQUIRE(h.size() == 1);
    CHECK(h[0].severity == Severity::kHigh);
  }
  SECTION("a profile matches by service name, else by the image it was recorded in") {
    Workload w = base;
    w.service = w.name = "frontend";
    w.image = "registry.example/team/port80:2.0";
    Profile q = p;
    AuditInput in = with_profile(w, q, "port80");
    CHECK(audit(in).unmatched == std::vector<std::string>{"frontend"});
    in.profiles[0].profile.containers.insert({"docker", "port80:1.9", {}});
    CHECK(audit(in).unmatched.empty());
    CHECK(profile_describes(in.profiles[0], "frontend", w.image, {}));
    CHECK(!profile_describes(in.profiles[0], "frontend", "registry.example/team/other:2.0", {}));
    // The same image running another command (a sidecar) is another program.
    CHECK(!profile_describes(in.profiles[0], "frontend", w.image, {"sh", "-c", "true"}));
    in.profiles[0].profile.containers = {{"docker", "port80:1.9", {"/bin/port80", "/srv"}}};
    CHECK(profile_describes(in.profiles[0], "frontend", w.image, {"/bin/port80", "/srv"}));
    CHECK(!profile_describes(in.profiles[0], "frontend", w.image, {}));
    in.profiles[0].profile.containers = {{"docker", "port80:1.9", {}}};
    // Named by the user for another service, the image does not override the name.
    in.profiles[0].named = true;
    CHECK(!profile_describes(in.profiles[0], "frontend", w.image, {}));
    CHECK(audit(in).unmatched == std::vector<std::string>{"frontend"});
  }
  SECTION("a non-root user cannot use the capabilities") {
    Workload w = base;
    w.user = "1000";
    const AuditResult r = audit(with_profile(w, p));
    const auto f = of_rule(r, "TL202");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::kHigh);
    CHECK(f[0].at.line == 14);
  }
  SECTION("seccomp: a file that denies what the app makes, and one that allows everything") {
    Workload w = base;
    w.seccomp = "seccomp/tight.json";
    w.where["seccomp"] = at(33);
    AuditInput in = with_profile(w, p);
    in.seccomp_files["seccomp/tight.json"] = seccomp_surface(
        R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],
            "syscalls":[{"names":["read","write","exit_group"],"action":"SCMP_ACT_ALLOW"}]})");
    AuditResult r = audit(in);
    auto f = of_rule(r, "TL203");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::kCritical);
    CHECK(f[0].message.find("bind") != std::string::npos);
    CHECK(f[0].at.line == 33);
    CHECK(of_rule(r, "TL204").empty());
    CHECK(of_rule(r, "TL205").empty());

    in.seccomp_files["seccomp/tight.json"] =
        seccomp_surface(R"({"defaultAction":"SCMP_ACT_ALLOW"})");
    r = audit(in);
    CHECK(of_rule(r, "TL203").empty());
    f = of_rule(r, "TL204");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::kMedium);
    CHECK(f[0].message.find("more syscalls than the app needs") != std::string::npos);

    // The file tailor generate writes for this profile: nothing denied, nothing to spare.
    in.seccomp_files["seccomp/tight.json"] =
        surface_from_seccomp(seccomp_policy_from_json(emit_seccomp_docker(p, SeccompOptions{})),
                             std::set<std::string>{"CAP_CHOWN", "CAP_NET_BIND_SERVICE"});
    r = audit(in);
    CHECK(of_rule(r, "TL203").empty());
    CHECK(of_rule(r, "TL204").empty());

    in.seccomp_files.clear();  // named but not read (k8s Localhost, a missing file)
    r = audit(in);
    f = of_rule(r, "TL206");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::kInfo);
  }
  SECTION("seccomp unconfined while a profile exists: the generated one, medium") {
    Workload w = base;
    w.seccomp = "unconfined";
    const auto f = of_rule(audit(with_profile(w, p)), "TL205");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::kMedium);
  }
  SECTION("read-only rootfs") {
    Workload w = base;
    w.read_only_rootfs = false;
    auto f = of_rule(audit(with_profile(w, p)), "TL207");
    REQUIRE(f.size() == 1);
    CHECK(f[0].message.find("read-only rootfs") != std::string::npos);
    w.read_only_rootfs = true;
    w.mounts.clear();  // no tmpfs: /tmp is on the read-only root
    f = of_rule(audit(with_profile(w, p)), "TL208");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::kCritical);
    CHECK(f[0].message.find("/tmp") != std::string::npos);
    CHECK(f[0].at.line == 15);
  }
  SECTION("network granted but unused; none while needed") {
    Workload w = base;
    w.network_mode.reset();
    auto f = of_rule(audit(with_profile(w, p)), "TL209");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::kMedium);
    Profile net = p;
    net.sockets[{"inet", "stream", 0}].add("/app");
    net.endpoints[{"connect", "inet", "10.0.0.6", 5432}].add("/app");
    REQUIRE(!hardening_plan(net).network_none);
    f = of_rule(audit(with_profile(base, net)), "TL210");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::kCritical);
    CHECK(f[0].at.line == 31);
  }
  SECTION("limits far above and below the peaks") {
    Workload w = base;
    w.memory_bytes = std::uint64_t{plan.memory_mib} * 20 << 20;
    w.pids_limit = plan.pids * 20;
    auto r = audit(with_profile(w, p));
    CHECK(of_rule(r, "TL211").size() == 2);
    w.memory_bytes = 4096;
    w.pids_limit = 100;
    Profile busy = p;
    busy.resources.peak_threads = 200;
    r = audit(with_profile(w, busy));
    const auto f = of_rule(r, "TL212");
    REQUIRE(f.size() == 2);
    CHECK(f[0].at.line == 16);  // memory
    CHECK(f[1].at.line == 17);  // pids
    CHECK(f[0].severity == Severity::kCritical);
  }
  SECTION("root although the app needs no capability") {
    Profile plain = p;
    plain.capabilities.clear();
    plain.capability_hints.clear();
    REQUIRE(hardening_plan(plain).run_as_nobody);
    Workload w = base;
    w.cap_add.clear();
    const auto f = of_rule(audit(with_profile(w, plain)), "TL213");
    REQUIRE(f.size() == 1);
    CHECK(f[0].message.find("65534:65534") != std::string::npos);
  }
  SECTION("no-new-privileges: safe to set; set while a setuid program runs") {
    Workload w = base;
    w.no_new_privileges.reset();
    auto f = of_rule(audit(with_profile(w, p)), "TL214");
    REQUIRE(f.size() == 1);
    Profile suid = p;
    suid.process.executables["/usr/bin/sudo"].setuid = true;
    REQUIRE(!hardening_plan(suid).nnp);
    f = of_rule(audit(with_profile(base, suid)), "TL215");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::kCritical);
    CHECK(f[0].message.find("/usr/bin/sudo") != std::string::npos);
  }
  SECTION("matching: by service, one profile without service for all, unmatched listed") {
    Workload other = base;
    other.name = other.service = "db";
    AuditInput in = with_profile(base, p);
    in.deployment.workloads.push_back(other);
    AuditResult r = audit(in);
    REQUIRE(r.unmatched == std::vector<std::string>{"db"});
    CHECK(of_rule(r, "TL205").size() == 1);
    in.profiles[0].service = "";
    r = audit(in);
    CHECK(r.unmatched.empty());
    CHECK(of_rule(r, "TL205").size() == 2);
    REQUIRE(!r.notes.empty());
    CHECK(r.notes[0].find("every workload") != std::string::npos);
  }
}

// ---- renderings --------------------------------------------------------------------------------

namespace {

AuditInput sample_input() {
  Workload w = hardened(DeployKind::kCompose);
  w.privileged = true;
  w.cap_drop.clear();
  w.where.erase("cap_drop");
  Workload run = hardened(DeployKind::kRunLine);
  run.name = "docker run";
  run.at = {};
  run.where.clear();
  run.host_pid = true;
  AuditInput in = input_of(DeployKind::kCompose, {w, run});
  return in;
}

}  // namespace

TEST_CASE("audit: text output", "[audit]") {
  const AuditInput in = sample_input();
  const AuditResult r = audit(in);
  const std::string t = render_audit(r, in, AuditFormat::kText);
  CHECK(t.find("deploy/compose.yml:11:5: critical TL101 web: runs privileged") !=
        std::string::npos);
  CHECK(t.find("\n  fix: remove privileged") != std::string::npos);
  CHECK(t.find("-: high TL111 docker run: ") != std::string::npos);  // no file
  CHECK(t.find("tailor audit: 3 findings (1 critical, 1 high, 1 medium) in 2 workload(s)") !=
        std::string::npos);
  AuditInput clean = input_of(DeployKind::kCompose, {hardened(DeployKind::kCompose)});
  CHECK(render_audit(audit(clean), clean, AuditFormat::kText) ==
        "tailor audit: no findings in 1 workload(s)\n");
}

TEST_CASE("audit: JSON output", "[audit]") {
  const AuditInput in = sample_input();
  const AuditResult r = audit(in);
  const std::string s = render_audit(r, in, AuditFormat::kJson);
  CHECK(render_audit(r, in, AuditFormat::kJson) == s);  // deterministic
  const json j = json::parse(s);
  CHECK(j["kind"] == "compose");
  CHECK(j["workloads"] == 2);
  CHECK(j["counts"]["critical"] == 1);
  CHECK(j["counts"]["total"] == 3);
  REQUIRE(j["findings"].size() == 3);
  const json& f = j["findings"][2];  // sorted: "" (the run line) first, then by line
  CHECK(f["rule"] == "TL101");
  CHECK(f["file"] == kFile);
  CHECK(f["line"] == 11);
  CHECK(f["reference"] == "CIS Docker 5.4; PSS Baseline: Privileged Containers");
  CHECK(f["fix"].get<std::string>().find("privileged") != std::string::npos);
}

TEST_CASE("audit: Markdown output", "[audit]") {
  const AuditInput in = sample_input();
  const std::string m = render_audit(audit(in), in, AuditFormat::kMarkdown);
  CHECK(m.rfind("### tailor audit: 3 findings (1 critical, 1 high, 1 medium)\n", 0) == 0);
  CHECK(m.find("| Severity | Rule | Workload | Where | Finding | Fix |") != std::string::npos);
  CHECK(m.find("| **critical** | TL101 | web | `deploy/compose.yml:11:5` |") != std::string::npos);
  // A pipe in a message stays inside its cell.
  AuditInput piped = in;
  piped.deployment.workloads[0].name = "a|b";
  CHECK(render_audit(audit(piped), piped, AuditFormat::kMarkdown).find("a\\|b") !=
        std::string::npos);
}

// The structure GitHub code scanning reads (docs.github.com, "SARIF support for code scanning"):
// checked field by field here, since no SARIF schema validator is packaged for this machine.
TEST_CASE("audit: SARIF 2.1.0 output", "[audit]") {
  const AuditInput in = sample_input();
  const AuditResult r = audit(in);
  const json s = json::parse(render_audit(r, in, AuditFormat::kSarif));
  CHECK(s["version"] == "2.1.0");
  CHECK(s["$schema"].get<std::string>().find("sarif-schema-2.1.0.json") != std::string::npos);
  REQUIRE(s["runs"].size() == 1);
  const json& driver = s["runs"][0]["tool"]["driver"];
  CHECK(driver["name"] == "tailor");
  // informationUri is optional; tailor has no published home to name.
  CHECK_FALSE(driver.contains("informationUri"));
  const json& rules = driver["rules"];
  REQUIRE(rules.size() == audit_rules().size());
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const json& rule = rules[i];
    CHECK(rule["id"] == audit_rules()[i].id);
    CHECK(rule["name"].get<std::string>().find(' ') == std::string::npos);
    CHECK(rule["shortDescription"]["text"].is_string());
    CHECK(rule["fullDescription"]["text"].is_string());
    CHECK(rule["help"]["text"].get<std::string>().rfind("Fix: ", 0) == 0);
    CHECK(rule["properties"]["tags"].is_array());
    const std::string level = rule["defaultConfiguration"]["level"];
    CHECK((level == "error" || level == "warning" || level == "note"));
    if (audit_rules()[i].severity == Severity::kInfo) {
      CHECK(!rule["properties"].contains("security-severity"));
    } else {
      // A string holding a number in (0, 10], as GitHub wants it.
      const std::string ss = rule["properties"]["security-severity"];
      const double v = std::stod(ss);
      CHECK((v > 0 && v <= 10));
    }
  }
  CHECK(rules[0]["properties"]["security-severity"] == "9.5");  // TL101, critical
  const json& results = s["runs"][0]["results"];
  REQUIRE(results.size() == r.findings.size());
  bool saw_file = false, saw_run = false;
  for (const json& res : results) {
    const std::size_t idx = res["ruleIndex"];
    CHECK(rules[idx]["id"] == res["ruleId"]);
    CHECK(res["message"]["text"].is_string());
    if (res.contains("locations")) {
      saw_file = true;
      const json& phys = res["locations"][0]["physicalLocation"];
      CHECK(phys["artifactLocation"]["uri"] == kFile);
      CHECK(phys["artifactLocation"]["uriBaseId"] == "%SRCROOT%");
      CHECK(phys["region"]["startLine"].get<int>() > 0);
      CHECK(phys["region"]["startColumn"].get<int>() > 0);
    } else {
      saw_run = true;  // the run line: no file to point at
    }
    if (res["ruleId"] == "TL101") CHECK(res["level"] == "error");
    if (res["ruleId"] == "TL103") CHECK(res["level"] == "warning");
  }
  CHECK(saw_file);
  CHECK(saw_run);
}

// ---- the CLI -----------------------------------------------------------------------------------

namespace {

void write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

// `cd DIR && tailor audit ARGS...`: file names in findings are as given, relative here.
RunResult audit_in(const std::string& dir, const std::string& args) {
  return run({"sh", "-c", "cd '" + dir + "' && exec '" + tailor_bin() + "' audit " + args});
}

const char* kRisky = R"(services:
  web:
    image: registry.example/team/web:1.2
    privileged: true
    cap_add: [NET_ADMIN]
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
  worker:
    image: registry.example/team/worker:1.2
    user: "1000:1000"
)";

const char* kTight = R"(services:
  web:
    image: registry.example/team/web:1.2
    user: "1000:1000"
    read_only: true
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    mem_limit: 256m
    pids_limit: 64
    ulimits:
      nofile: {soft: 1024, hard: 1024}
)";

}  // namespace

TEST_CASE("audit CLI: findings, formats and exit codes", "[audit]") {
  TempDir t;
  write(t / "compose.yml", kRisky);
  write(t / "tight.yml", kTight);

  auto r = audit_in(t.path(), "compose.yml");
  INFO(r.out << r.err);
  CHECK(r.status == 1);  // critical and high findings, --fail-on high by default
  CHECK(r.out.find("compose.yml:4:5: critical TL101 web: runs privileged") != std::string::npos);
  CHECK(r.out.find("compose.yml:7:9: critical TL115 web: mounts /var/run/docker.sock") !=
        std::string::npos);
  CHECK(r.out.find("\n  fix: ") != std::string::npos);
  CHECK(r.out.find("tailor audit: ") != std::string::npos);

  CHECK(audit_in(t.path(), "--fail-on none compose.yml").status == 0);
  CHECK(audit_in(t.path(), "--ignore TL101 --ignore TL115 --ignore TL102 compose.yml").status == 0);
  r = audit_in(t.path(), "tight.yml");
  CHECK(r.status == 0);
  CHECK(r.out == "tailor audit: no findings in 1 workload(s)\n");
  CHECK(audit_in(t.path(), "--fail-on info tight.yml").status == 0);

  // Errors: 2, one line.
  r = audit_in(t.path(), "missing.yml");
  CHECK(r.status == 2);
  CHECK(r.err.find("missing.yml") != std::string::npos);
  CHECK(audit_in(t.path(), "--ignore TL999 compose.yml").status == 2);
  write(t / "bad.yml", "services: [1, 2\n");
  CHECK(audit_in(t.path(), "bad.yml").status == 2);
  CHECK(audit_in(t.path(), "--format xml compose.yml").status == 2);

  // SARIF written atomically with -o, the file relative to where tailor ran.
  r = audit_in(t.path(), "--format sarif -o out.sarif compose.yml");
  CHECK(r.status == 1);
  CHECK(r.out.empty());
  const json s = json::parse(read_text(t / "out.sarif"));
  CHECK(s["version"] == "2.1.0");
  const json& results = s["runs"][0]["results"];
  REQUIRE(!results.empty());
  bool saw_tl101 = false;
  for (const auto& res : results) {
    const json& loc = res["locations"][0]["physicalLocation"];
    CHECK(loc["artifactLocation"]["uri"] == "compose.yml");
    CHECK(loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%");
    if (res["ruleId"] == "TL101") {
      saw_tl101 = true;
      CHECK(loc["region"]["startLine"] == 4);
      CHECK(res["level"] == "error");
    }
  }
  CHECK(saw_tl101);

  const json j = json::parse(audit_in(t.path(), "--format json compose.yml").out);
  CHECK(j["kind"] == "compose");
  CHECK(j["counts"]["critical"] == 2);
  CHECK(audit_in(t.path(), "--format markdown compose.yml").out.rfind("### tailor audit: ", 0) ==
        0);
}

TEST_CASE("audit CLI: --list-rules prints the table", "[audit]") {
  TempDir t;
  auto r = audit_in(t.path(), "--list-rules --format json");
  REQUIRE(r.status == 0);
  const json j = json::parse(r.out);
  REQUIRE(j.size() == audit_rules().size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    CHECK(j[i]["id"] == std::string(audit_rules()[i].id));
    CHECK(j[i]["severity"] == std::string(severity_name(audit_rules()[i].severity)));
    CHECK(!j[i]["fix"].get<std::string>().empty());
  }
  r = audit_in(t.path(), "--list-rules --format markdown");
  CHECK(r.status == 0);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') ==
        static_cast<long>(audit_rules().size()) + 2);
  r = audit_in(t.path(), "--list-rules");
  CHECK(r.out.find("TL202  critical Capabilities the app needs are denied  [needs a profile]") !=
        std::string::npos);
  CHECK(audit_in(t.path(), "--list-rules compose.yml").status == 2);
  r = audit_in(t.path(), "");
  CHECK(r.status == 2);
  CHECK(r.err.find("nothing to audit") != std::string::npos);
}

TEST_CASE("audit CLI: a docker run line", "[audit]") {
  TempDir t;
  auto r = audit_in(t.path(), "-- docker run --rm --privileged --pid host alpine:3 true");
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  CHECK(r.out.find("critical TL101 docker run: runs privileged") != std::string::npos);
  CHECK(r.out.find("TL111") != std::string::npos);
  r = audit_in(t.path(),
               "-- podman run --cap-drop ALL --read-only --security-opt no-new-privileges "
               "--user 1000 -m 256m --pids-limit 50 --ulimit nofile=1024:1024 alpine:3 true");
  CHECK(r.status == 0);
  CHECK(r.out == "tailor audit: no findings in 1 workload(s)\n");
}

TEST_CASE("audit CLI: against a recorded profile and the seccomp file the deployment names",
          "[audit]") {
  if (::geteuid() != 0) {
    WARN("skipped: port80 binds port 80 and chowns, which needs root");
    return;
  }
  TempDir t;
  auto rec = record({sample("port80"), t.path()}, t / "port80.json");
  REQUIRE(rec.run.status == 0);
  // CHOWN is dropped with ALL and not added back; the seccomp file allows next to nothing.
  write(t / "deploy/compose.yml", R"(services:
  web:
    image: example/web:1
    cap_drop: [ALL]
    cap_add: [NET_BIND_SERVICE]
    security_opt:
      - no-new-privileges:true
      - seccomp=seccomp/web.json
)");
  write(t / "deploy/seccomp/web.json",
        R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],
            "syscalls":[{"names":["read","write","exit_group"],"action":"SCMP_ACT_ALLOW"}]})");
  auto r = audit_in(t.path(), "--profile web=port80.json --fail-on critical deploy/compose.yml");
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  CHECK(r.out.find("deploy/compose.yml:4:5: critical TL202 web: the app needs CHOWN") !=
        std::string::npos);
  CHECK(r.out.find("deploy/compose.yml:8:9: critical TL203 web: seccomp/web.json denies") !=
        std::string::npos);

  // --profile takes one value: the files follow it directly.
  r = audit_in(t.path(), "--profile web=port80.json deploy/compose.yml");
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  CHECK(r.out.find("critical TL202 web") != std::string::npos);
  // Named after no service, the one profile is checked against every workload (a note says so).
  r = audit_in(t.path(), "--profile port80.json --fail-on none deploy/compose.yml");
  CHECK(r.status == 0);
  CHECK(r.out.find("TL202") != std::string::npos);
  CHECK(r.out.find("checked against every workload") != std::string::npos);
  // A profile for another service: web is listed as unmatched, TL2xx not checked.
  r = audit_in(t.path(), "--profile db=port80.json --format json deploy/compose.yml");
  const json j = json::parse(r.out);
  CHECK(j["unmatched"] == json({"web"}));
  CHECK(r.out.find("TL202") == std::string::npos);
  // The seccomp file unreadable: said, not fatal.
  std::filesystem::remove(t / "deploy/seccomp/web.json");
  r = audit_in(t.path(), "--profile web=port80.json --fail-on none deploy/compose.yml");
  CHECK(r.status == 0);
  CHECK(r.out.find("info TL206") != std::string::npos);
  CHECK(r.out.find("note: web: seccomp deploy/seccomp/web.json: cannot read") != std::string::npos);
}

// Against the OASIS schema itself (sarif-2.1/schema/sarif-schema-2.1.0.json of
// github.com/oasis-tcs/sarif-spec), with python3-jsonschema, when TAILOR_SARIF_SCHEMA names a
// copy: neither is packaged for this machine's distribution, so the run says when it is skipped.
TEST_CASE("audit: SARIF validates against the SARIF 2.1.0 JSON schema", "[audit]") {
  const char* schema = std::getenv("TAILOR_SARIF_SCHEMA");
  if (!schema || !std::filesystem::exists(schema)) {
    WARN("skipped: set TAILOR_SARIF_SCHEMA to sarif-schema-2.1.0.json to validate SARIF");
    return;
  }
  if (run({"python3", "-c", "import jsonschema"}).status != 0) {
    WARN("skipped: python3 with jsonschema is not installed");
    return;
  }
  TempDir t;
  const AuditInput in = sample_input();
  write(t / "audit.sarif", render_audit(audit(in), in, AuditFormat::kSarif));
  const char* kValidate = R"(
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
errors = list(jsonschema.Draft4Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
for e in errors[:10]: print(e.message, list(e.path))
sys.exit(1 if errors else 0)
)";
  const RunResult r = run({"python3", "-c", kValidate, schema, t / "audit.sarif"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
}

// ---- end to end on the readers' test data
// --------------------------------------------------------

namespace {

const std::string kData = std::string(TAILOR_SOURCE_DIR) + "/test/data/deploy";

struct TextFinding {
  std::string file;
  int line = 0;
  std::string severity, rule, rest;  // rest: "WORKLOAD: message"
};

// `FILE[:LINE[:COL]]: SEVERITY ID WORKLOAD: message` lines of the text output.
std::vector<TextFinding> parse_text(const std::string& out) {
  std::vector<TextFinding> v;
  for (const auto& l : lines_of(out)) {
    if (l.rfind("  fix: ", 0) == 0 || l.rfind("note: ", 0) == 0 ||
        l.rfind("tailor audit: ", 0) == 0)
      continue;
    TextFinding f;
    const auto sp = l.find(": ");
    std::string where = l.substr(0, sp);
    std::stringstream rest(l.substr(sp + 2));
    rest >> f.severity >> f.rule;
    std::getline(rest, f.rest);
    f.rest = f.rest.substr(1);
    const auto c1 = where.find(':');
    f.file = where.substr(0, c1);
    if (c1 != std::string::npos) f.line = std::stoi(where.substr(c1 + 1));
    v.push_back(f);
  }
  return v;
}

// The text of line `n` (1-based) of `path`.
std::string line_of(const std::string& path, int n) {
  std::ifstream in(path);
  std::string l;
  for (int i = 0; i < n && std::getline(in, l); ++i) {
  }
  return l;
}

// The one finding of `rule` for `workload`; its line in the file must mention `key`.
void expect_at(const std::vector<TextFinding>& fs, const std::string& rule,
               const std::string& workload, const std::string& severity, const std::string& key) {
  INFO(rule << " " << workload);
  std::vector<TextFinding> hit;
  for (const auto& f : fs)
    if (f.rule == rule && f.rest.rfind(workload + ": ", 0) == 0) hit.push_back(f);
  REQUIRE(hit.size() == 1);
  CHECK(hit[0].severity == severity);
  REQUIRE(hit[0].line > 0);
  CHECK(line_of(kData + "/" + hit[0].file, hit[0].line).find(key) != std::string::npos);
}

bool has_rule(const std::vector<TextFinding>& fs, const std::string& rule) {
  return std::any_of(fs.begin(), fs.end(), [&](const auto& f) { return f.rule == rule; });
}

}  // namespace

TEST_CASE("audit CLI: the Compose project with its override", "[audit]") {
  if (!std::filesystem::exists(kData + "/compose.yml")) {
    WARN("skipped: test/data/deploy (the readers' test data) is not in this tree");
    return;
  }
  const auto r = audit_in(kData, "compose.yml compose.override.yml");
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  const auto fs = parse_text(r.out);
  expect_at(fs, "TL101", "db", "critical", "privileged: true");
  expect_at(fs, "TL110", "db", "high", "network_mode: host");
  expect_at(fs, "TL111", "db", "high", "pid: host");
  expect_at(fs, "TL117", "db", "medium", "devices");
  expect_at(fs, "TL112", "worker", "high", "ipc: host");
  expect_at(fs, "TL114", "worker", "medium", "userns_mode: host");
  // The override's lines: what will run is the merge.
  expect_at(fs, "TL102", "web", "high", "SYS_PTRACE");
  expect_at(fs, "TL104", "app", "high", "seccomp=unconfined");
  expect_at(fs, "TL108", "app", "medium", "user: root");
  // web drops ALL and adds back NET_BIND_SERVICE and CHOWN (as cap_chown): no finding for them.
  for (const auto& f : fs)
    if (f.rest.rfind("web: ", 0) == 0) CHECK(f.rule != "TL103");
  // app's pids limit is under deploy.resources.limits; db's nofile a single number.
  for (const auto& f : fs) {
    if (f.rest.rfind("app: ", 0) == 0) CHECK(f.rule != "TL119");
    if (f.rest.rfind("db: ", 0) == 0) CHECK(f.rule != "TL120");
  }
  CHECK(!has_rule(fs, "TL105"));  // Kubernetes only
  CHECK(!has_rule(fs, "TL121"));
}

TEST_CASE("audit CLI: the Kubernetes manifest", "[audit]") {
  if (!std::filesystem::exists(kData + "/k8s.yaml")) {
    WARN("skipped: test/data/deploy (the readers' test data) is not in this tree");
    return;
  }
  auto r = audit_in(kData, "k8s.yaml");
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  const auto fs = parse_text(r.out);
  expect_at(fs, "TL101", "StatefulSet/db: postgres", "critical", "privileged: true");
  expect_at(fs, "TL102", "StatefulSet/db: postgres", "high", "SYS_ADMIN");
  expect_at(fs, "TL110", "StatefulSet/db: postgres", "high", "hostNetwork");
  expect_at(fs, "TL104", "CronJob/backup: job", "high", "seccompProfile");
  expect_at(fs, "TL106", "Pod/debug: shell", "high", "appArmorProfile");
  CHECK(has_rule(fs, "TL105"));
  CHECK(has_rule(fs, "TL121"));
  CHECK(!has_rule(fs, "TL119"));  // engines only: Kubernetes has no pids limit per pod
  CHECK(!has_rule(fs, "TL120"));
  CHECK(r.out.find("note: Deployment/api: app: seccomp localhost/") != std::string::npos);

  // SARIF: every result on its line of k8s.yaml.
  r = audit_in(kData, "--format sarif --fail-on none k8s.yaml");
  CHECK(r.status == 0);
  const json s = json::parse(r.out);
  const json& results = s["runs"][0]["results"];
  CHECK(results.size() == fs.size());
  for (const auto& res : results) {
    const json& phys = res["locations"][0]["physicalLocation"];
    CHECK(phys["artifactLocation"]["uri"] == "k8s.yaml");
    CHECK(phys["region"]["startLine"].get<int>() > 0);
  }
}

TEST_CASE("audit CLI: docker inspect JSON, with a profile and the inline seccomp profile",
          "[audit]") {
  if (!std::filesystem::exists(kData + "/inspect.json")) {
    WARN("skipped: test/data/deploy (the readers' test data) is not in this tree");
    return;
  }
  auto r = audit_in(kData, "inspect.json");
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  CHECK(r.out.find("inspect.json: critical TL101 container priv: ") != std::string::npos);
  CHECK(r.out.find("critical TL115 container priv: mounts /var/run, which holds") !=
        std::string::npos);
  const auto fs = parse_text(r.out);
  CHECK(!has_rule(fs, "TL105"));
  CHECK(!has_rule(fs, "TL121"));
  if (::geteuid() != 0) {
    WARN("skipped the profile part: port80 binds port 80, which needs root");
    return;
  }
  TempDir t;
  auto rec = record({sample("port80"), t.path()}, t / "port80.json");
  REQUIRE(rec.run.status == 0);
  // web-1's inspect JSON holds its seccomp profile (allow everything), not a path.
  r = audit_in(kData, "--profile web-1=" + t / "port80.json" + " inspect.json");
  CHECK(
      r.out.find("medium TL204 container web-1: the seccomp profile in the inspect JSON allows") !=
      std::string::npos);
  CHECK(r.out.find("TL202 container web-1: the app needs NET_BIND_SERVICE") != std::string::npos);
}
