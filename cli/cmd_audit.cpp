// `tailor audit [--profile [SERVICE=]P.json]... TARGET... | -- docker run ...`
//
// Reads the deployment (Compose files, a Kubernetes manifest, inspect JSON or a run line), the
// recorded profiles and the seccomp files the deployment names, then runs the rule table
// (tailor/audit.h) and prints the findings. The exit status says whether any finding reaches
// --fail-on, so CI can gate on it.
#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "commands.h"
#include "tailor/audit.h"
#include "tailor/deploy.h"
#include "tailor/diff.h"
#include "tailor/error.h"
#include "tailor/profile_json.h"
#include "tailor/seccomp.h"

extern char** environ;

namespace tailor::cli {

namespace {

constexpr int kExitFindings = 1;

struct AuditArgs {
  std::vector<std::string> profiles;  // [SERVICE=]PATH
  std::vector<std::string> ignore;
  std::vector<std::string> targets;
  std::string format = "text", fail_on = "high", output = "-";
  bool list_rules = false;
};

std::map<std::string, std::string> environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

bool is_run_line(const std::vector<std::string>& targets) {
  if (targets.empty()) return false;
  const std::string prog = std::filesystem::path(targets[0]).filename().string();
  return (prog == "docker" || prog == "podman") && !std::filesystem::exists(targets[0]);
}

// A seccomp option naming a file (not unconfined, the default, or a k8s Localhost profile).
bool names_seccomp_file(const std::string& s) {
  return !s.empty() && s != "unconfined" && s != "default" && s != "runtime/default" &&
         s.rfind("localhost/", 0);
}

int run_audit(const AuditArgs& a) {
  std::optional<Severity> fail_on;
  if (a.fail_on != "none") fail_on = severity_from_name(a.fail_on);
  const AuditFormat format = *audit_format_from_name(a.format);
  if (a.list_rules) {
    if (!a.targets.empty()) throw Error("audit: --list-rules takes no files");
    write_file_atomic(a.output, render_audit_rules(format));
    return 0;
  }

  for (const auto& id : a.ignore)
    if (std::none_of(audit_rules().begin(), audit_rules().end(),
                     [&](const AuditRule& r) { return r.id == id; }))
      throw Error("audit: --ignore: no rule " + id.substr(0, 40));

  AuditInput in;
  if (a.targets.empty()) throw Error("audit: nothing to audit (give files, or -- docker run ...)");
  std::string base_dir;  // where relative seccomp paths are resolved
  if (is_run_line(a.targets)) {
    in.deployment = read_run_line(a.targets);
  } else {
    std::vector<DeployFile> files;
    for (const auto& t : a.targets) files.push_back({t, read_file(t)});
    in.deployment = read_deployment(files, environment());
    base_dir = std::filesystem::path(a.targets[0]).parent_path().string();
  }

  for (const auto& spec : a.profiles) {
    AuditProfile ap = load_audit_profile(spec);
    // One profile that describes nothing in the deployment: the user means the one app there.
    const bool matches = std::any_of(
        in.deployment.workloads.begin(), in.deployment.workloads.end(),
        [&](const Workload& w) { return profile_describes(ap, w.service, w.image, argv_of(w)); });
    if (!ap.named && !matches && a.profiles.size() == 1) ap.service.clear();
    in.profiles.push_back(std::move(ap));
  }

  std::vector<std::string> notes;
  for (const auto& w : in.deployment.workloads) {
    if (!w.seccomp || in.seccomp_files.count(*w.seccomp)) continue;
    if (w.seccomp->rfind("localhost/", 0) == 0) {
      notes.push_back(w.name + ": seccomp " + *w.seccomp +
                      " lives on the node (the kubelet's seccomp directory): not read");
      continue;
    }
    if (!names_seccomp_file(*w.seccomp)) continue;
    // Docker's inspect JSON holds the profile itself, not its path.
    const bool inline_json = (*w.seccomp)[0] == '{';
    std::filesystem::path p = inline_json ? std::string("inline profile") : *w.seccomp;
    if (p.is_relative() && !base_dir.empty() && !inline_json)
      p = std::filesystem::path(base_dir) / p;
    try {
      const SeccompPolicy policy =
          seccomp_policy_from_json(inline_json ? *w.seccomp : read_file(p.string()));
      std::set<std::string> caps;
      for (const auto& c : workload_capabilities(w, in.deployment.kind)) caps.insert("CAP_" + c);
      in.seccomp_files[*w.seccomp] = surface_from_seccomp(policy, caps);
    } catch (const Error& e) {
      notes.push_back(w.name + ": seccomp " + p.string() + ": " + e.what());
    }
  }
  in.ignore = a.ignore;

  AuditResult r = audit(in);
  r.notes.insert(r.notes.begin(), notes.begin(), notes.end());
  write_file_atomic(a.output, render_audit(r, in, format));
  return fail_on && r.fails(*fail_on) ? kExitFindings : 0;
}

constexpr const char* kAuditHelp =
    R"(Check what you deploy: a Compose file (several are merged as
`docker compose -f a -f b` merges them), a Kubernetes manifest, the JSON of
`docker|podman inspect`, or a command line after `--`. Rules TL1xx need only
the deployment (CIS Docker Benchmark, Kubernetes Pod Security Standards);
rules TL2xx compare it with what a recorded profile needs: capabilities
granted and never used or needed and denied, the seccomp file against the
filter tailor generate writes, a writable rootfs, network and limits.

Profiles: --profile web=web.json checks service (Compose service, k8s
container name) `web` against web.json. Without `SERVICE=`, a profile is
matched by its file name without .json (web.json -> web), else by the image
it was recorded in (base name: registry/app:1 -> app), as tailor harden
matches; a single profile that matches no service is checked against every
workload (said in a note).

Seccomp files the deployment names are read relative to the first file's
directory; Kubernetes Localhost profiles live on the node and are not read.

Exit status: 0 nothing at or above --fail-on, 1 something is, 2 error.

Examples:
  tailor audit compose.yml
  tailor audit --profile web=web.json compose.yml compose.prod.yml
  tailor audit --format sarif -o audit.sarif k8s/deploy.yaml
  tailor audit --profile app.json -- docker run --cap-add NET_ADMIN app:1)";

}  // namespace

AuditProfile load_audit_profile(const std::string& spec) {
  AuditProfile ap;
  ap.name = spec;
  // "web=web.json", but not "./dir=x/web.json" read as a service called "./dir".
  if (auto eq = spec.find('=');
      eq != std::string::npos && eq > 0 && spec.substr(0, eq).find('/') == std::string::npos) {
    ap.service = spec.substr(0, eq);
    ap.name = spec.substr(eq + 1);
    ap.named = true;
  }
  ap.profile = load_profile(ap.name);
  if (!ap.named) {
    ap.service = std::filesystem::path(ap.name).filename().string();
    if (ap.service.size() > 5 && ap.service.compare(ap.service.size() - 5, 5, ".json") == 0)
      ap.service.resize(ap.service.size() - 5);
  }
  return ap;
}

Command add_audit_command(CLI::App& app) {
  auto* sub = app.add_subcommand("audit", "Check a Compose file, manifest or run line");
  sub->footer(kAuditHelp);
  auto a = std::make_shared<AuditArgs>();
  sub->add_option("--profile", a->profiles,
                  "[SERVICE=]profile.json: a recorded profile to check a workload against "
                  "(repeatable)")
      ->allow_extra_args(false);  // one value per --profile: the targets follow
  sub->add_option("--format", a->format, "Output format")
      ->check(CLI::IsMember({"text", "json", "markdown", "sarif"}))
      ->capture_default_str();
  sub->add_option("--fail-on", a->fail_on, "Lowest severity that makes the exit status 1")
      ->check(CLI::IsMember({"info", "low", "medium", "high", "critical", "none"}))
      ->capture_default_str();
  sub->add_option("--ignore", a->ignore, "A rule id not to report (repeatable)")
      ->allow_extra_args(false);
  sub->add_option("-o,--output", a->output, "Write here (atomically; '-' = stdout)")
      ->capture_default_str();
  sub->add_flag("--list-rules", a->list_rules,
                "Print the rules (id, severity, title, what each follows, the fix) and exit");
  sub->add_option("targets", a->targets, "Deployment files, or -- docker|podman run ...");
  sub->positionals_at_end();
  return {sub, [a] {
            check_output_dir(a->output);
            return run_audit(*a);
          }};
}

}  // namespace tailor::cli
