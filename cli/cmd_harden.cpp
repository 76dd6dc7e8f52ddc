// `tailor harden PROFILE.json... TARGET... [-o OUT]` and `tailor harden PROFILE.json -- docker run
// …`.
//
// Reads the deployment (Compose files, a Kubernetes manifest, or the run line after `--`) and
// the recorded profiles, writes each matched workload's seccomp profile, then the deployment
// tightened (emitters/harden.cpp): a Compose override, the manifest or a kustomize patch, or the
// run line. Everything is computed before the first file is written, so an error leaves no
// half-written set; then the notes (what harden could not do, and why) go to stderr.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "commands.h"
#include "tailor/audit.h"
#include "tailor/deploy.h"
#include "tailor/emitters.h"
#include "tailor/engine_cmd.h"
#include "tailor/error.h"
#include "tailor/profile_json.h"

extern char** environ;

namespace tailor::cli {

namespace {

struct HardenArgs {
  std::vector<std::string> args;
  std::vector<std::string> command;      // what CLI11 did not give to `args`
  std::vector<std::string> profile_for;  // [SERVICE=]FILE
  std::string output = "-", format = "auto", seccomp_dir;
  bool quiet = false, apparmor = false;
};

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("harden: cannot read " + path);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// A file name from a service name: "Deployment/api" cannot be one.
std::string file_word(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += std::isalnum(c) || c == '-' || c == '_' || c == '.' ? c : '-';
  return out.empty() ? "app" : out;
}

int run_harden(HardenArgs& a) {
  if (!a.seccomp_dir.empty()) check_output_dir(a.seccomp_dir + "/x");
  // The run line: from the first word that starts a docker/podman run command (after `--`).
  std::vector<std::string> files, run_line;
  for (std::size_t i = 0; i < a.args.size(); ++i) {
    std::vector<std::string> rest(a.args.begin() + static_cast<long>(i), a.args.end());
    if (!std::filesystem::is_regular_file(a.args[i]) && parse_engine_run(rest)) {
      run_line = rest;
      break;
    }
    files.push_back(a.args[i]);
  }

  AuditInput in;
  std::vector<std::string> targets;
  for (const auto& f : files) {
    if (ends_with(f, ".json")) {
      // A tailor profile, or a manifest / inspect JSON that is not one.
      try {
        in.profiles.push_back(load_audit_profile(f));
        continue;
      } catch (const Error&) {
        // not a profile: the deployment reader says what it is or is not
      }
    }
    targets.push_back(f);
  }
  for (const auto& pf : a.profile_for) in.profiles.push_back(load_audit_profile(pf));
  if (in.profiles.empty()) throw Error("harden: no tailor profile given (PROFILE.json)");
  if (run_line.empty() == targets.empty())
    throw Error(targets.empty() ? "harden: nothing to harden: give a Compose file, a Kubernetes "
                                  "manifest, or `-- docker run ...`"
                                : "harden: give files or a run line after --, not both");

  HardenOptions o;
  o.format = *harden_format_from_name(a.format);
  if (!run_line.empty()) {
    in.deployment = read_run_line(run_line);
  } else {
    for (const auto& t : targets) o.sources.push_back({t, read_text(t)});
    std::map<std::string, std::string> env;
    for (char** e = environ; *e; ++e) {
      const std::string kv = *e;
      if (auto eq = kv.find('='); eq != std::string::npos)
        env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    in.deployment = read_deployment(o.sources, env);
  }
  if (a.output != "-") o.output_name = std::filesystem::path(a.output).filename().string();

  // One seccomp profile per matched service, next to OUT (or in --seccomp-dir), by absolute
  // path so the override and the run line work from any directory; Kubernetes uses its name.
  namespace fs = std::filesystem;
  const fs::path dir = !a.seccomp_dir.empty() ? fs::path(a.seccomp_dir)
                       : a.output == "-"      ? fs::current_path()
                                              : fs::absolute(a.output).parent_path();
  struct Output {
    std::string path, text;
  };
  std::vector<Output> outputs;
  std::map<std::string, const AuditProfile*> seccomp_of;  // file -> profile
  std::set<std::string> used;
  for (const auto& w : in.deployment.workloads) {
    const AuditProfile* p = nullptr;
    for (const auto& ap : in.profiles)
      if (ap.service == w.service) p = &ap;
    if (!p && in.profiles.size() == 1 && in.deployment.workloads.size() == 1) p = &in.profiles[0];
    if (!p) continue;
    used.insert(p->name);
    const std::string file =
        fs::absolute(dir / ("seccomp-" + file_word(w.service) + ".json")).lexically_normal();
    o.seccomp_files[w.service] = file;
    if (!seccomp_of.count(file)) {
      seccomp_of[file] = p;
      SeccompOptions so;
      outputs.push_back({file, emit_seccomp_docker(p->profile, so)});
      if (a.apparmor) {
        const std::string name = "tailor-" + file_word(w.service);
        outputs.push_back(
            {fs::absolute(dir / ("apparmor-" + file_word(w.service))).lexically_normal(),
             emit_apparmor(p->profile, {name})});
      }
    }
    if (a.apparmor) o.apparmor_names[w.service] = "tailor-" + file_word(w.service);
  }
  const HardenResult r = harden(in, o);
  for (const auto& out : outputs) write_file_atomic(out.path, out.text);
  write_file_atomic(a.output, r.text);
  for (const auto& p : in.profiles)
    if (!used.count(p.name) && run_line.empty())
      std::fprintf(stderr,
                   "tailor: harden: %s matched no service or container (by name or image; "
                   "--profile SERVICE=FILE names one)\n",
                   p.name.c_str());
  for (const auto& n : r.notes) std::fprintf(stderr, "tailor: harden: %s\n", n.c_str());
  if (!a.quiet) {
    for (const auto& out : outputs)
      std::fprintf(stderr, "tailor: wrote %s (%s profile)\n", out.path.c_str(),
                   out.path.find("/apparmor-") != std::string::npos ? "AppArmor" : "seccomp");
    if (a.output != "-") std::fprintf(stderr, "tailor: wrote %s\n", a.output.c_str());
  }
  return 0;
}

constexpr const char* kHardenHelp =
    R"(Tightens what you already deploy to what the recorded app needs, with the
decisions `tailor generate --flags` makes (capabilities, seccomp,
no-new-privileges, read-only root with tmpfs/volumes where it writes, user,
pids/memory/nofile limits, network), each with the reason:
  Compose files      an override file: docker compose -f compose.yml -f OUT up
                     (cap_add, security_opt, devices are unions in Compose: what
                     the base grants there cannot be removed by an override;
                     tailor names each such line in a note)
  Kubernetes YAML    the manifest with securityContext, the Localhost
                     seccompProfile and memory limits set; every other field
                     kept, in order, but comments are lost (yaml-cpp);
                     --format kustomize: a strategic-merge patch per object
  -- docker run ...  the same command, tightened; volumes, ports, environment,
                     entrypoint and command kept
Profiles match services / containers as tailor audit matches them: by
--profile SERVICE=FILE, by file name (web.json -> web), else by the image the
profile was recorded in (registry/app:1 -> app); one profile and one workload
always match. Each
matched workload's seccomp profile is written as seccomp-SERVICE.json next to
OUT (or into --seccomp-dir); for Kubernetes copy it to the kubelet's seccomp
directory (/var/lib/kubelet/seccomp/) on each node (podman kube play 4.3
reads the seccomp annotation, not the securityContext field). Compose and run
lines name the profile by its absolute path (docker-compose 1.29 resolves a
relative one from the current directory).
It never loosens silently: a setting tighter than needed that the app runs
with is kept; one it cannot run with is changed and said (stderr notes).

Examples:
  tailor harden web.json worker.json compose.yml -o compose.tailor.yml
  tailor harden app.json deploy.yaml -o deploy.hardened.yaml
  tailor harden app.json deploy.yaml --format kustomize -o patch.yaml
  tailor harden app.json -- docker run -p 8080:80 -v data:/data myimage)";

}  // namespace

Command add_harden_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "harden", "Tighten a Compose file, Kubernetes manifest or run line to recorded profiles");
  sub->footer(kHardenHelp);
  auto a = std::make_shared<HardenArgs>();
  sub->add_option("files", a->args,
                  "Profiles (PROFILE.json) then Compose files or a manifest; or -- docker run ...")
      ->required();
  // CLI11 2.1 hands the words after `--` back to the parent app unless a positional is still
  // waiting for words: this one, which `files` may leave empty (it takes what it can).
  sub->add_option("command", a->command, "-- docker|podman run ... (the run line to harden)");
  sub->add_option("-o,--output", a->output, "Write here (atomically; '-' = stdout)")
      ->capture_default_str();
  sub->add_option("--format", a->format, "What to write (auto: by the kind of deployment)")
      ->check(CLI::IsMember({"auto", "override", "manifest", "kustomize", "run"}))
      ->capture_default_str();
  sub->add_option("--seccomp-dir", a->seccomp_dir,
                  "Where the seccomp profiles go (default: next to OUT, or .)");
  sub->add_option("--profile", a->profile_for,
                  "[SERVICE=]FILE: the profile of that service (repeatable)")
      ->allow_extra_args(false);  // one value per --profile: the files follow
  sub->add_flag("--apparmor", a->apparmor,
                "Also write an AppArmor profile per workload (apparmor-SERVICE, load it with "
                "apparmor_parser) and name it in the output");
  sub->add_flag("-q,--quiet", a->quiet, "Do not list the files written on stderr");
  return {sub, [a] {
            a->args.insert(a->args.end(), a->command.begin(), a->command.end());
            check_output_dir(a->output);
            return run_harden(*a);
          }};
}

}  // namespace tailor::cli
