// `tailor report PROFILE... [--static S.json]... [--baseline docker|FILE] [--old OLD] -o F`:
// the profile as one self-contained HTML page (emitters/report.cpp). This file reads the inputs,
// decides the defaults `tailor generate` would take, and writes the page atomically.
#include <sys/utsname.h>

#include <filesystem>
#include <memory>

#include "commands.h"
#include "tailor/diff.h"
#include "tailor/emitters.h"
#include "tailor/error.h"
#include "tailor/profile_json.h"
#include "tailor/report.h"

namespace tailor::cli {

namespace {

struct ReportArgs {
  std::vector<std::string> inputs, statics;
  std::string baseline = "docker", old, output = "tailor-report.html";
  std::string runtime = "docker", seccomp_file = "seccomp.json";
  bool nnp_only = false, no_arg_filters = false, quiet = false;
};

std::string kernel_release() {
  struct utsname u {};
  return ::uname(&u) == 0 ? u.release : "";
}

int run_report(const ReportArgs& a) {
  check_output_dir(a.output);
  ReportOptions o;
  o.inputs = a.inputs;
  o.static_inputs = a.statics;

  // Merged as `tailor generate` merges them: recordings in argument order, static findings after.
  Profile p;
  for (const auto& in : a.inputs) merge_moved(p, load_profile(in));
  for (const auto& in : a.statics) merge_moved(p, load_profile(in));

  // The page shows what `tailor generate PROFILE --seccomp F --flags docker` writes and prints:
  // with --flags docker and no --runtime, generate's filter takes Docker's runtime baseline.
  o.seccomp.runtime = *runtime_from_name(a.runtime);
  o.seccomp.arg_filters = !a.no_arg_filters;
  o.seccomp.no_new_privileges = a.nnp_only;
  o.flags.format = FlagsFormat::kDocker;
  o.flags.seccomp_file = a.seccomp_file;
  o.flags.seccomp_nnp_only = a.nnp_only && !a.seccomp_file.empty();
  // As generate: the image and command of the one container the profile was recorded in.
  if (p.containers.size() == 1) {
    const auto& c = *p.containers.begin();
    if (!c.image.empty()) o.flags.image = c.image;
    o.flags.command = c.command;
  }

  ReportBaseline& b = o.baseline;
  b.caps = docker_default_capabilities();
  b.kernel_release = kernel_release();
  if (a.baseline == "docker") {
    const auto prov = docker_default_seccomp_provenance();
    b.name = "Docker's default";
    b.description = "Docker's default seccomp profile, from Debian's " + std::string(prov.package) +
                    " " + std::string(prov.version) + " (" + std::string(prov.path) + ", sha256 " +
                    std::string(prov.sha256) + ")";
    b.policy = seccomp_policy_from_json(docker_default_seccomp_json());
  } else {
    ProfileOrPolicy in = load_profile_or_policy(a.baseline);
    if (!in.policy)
      throw Error("report: --baseline " + a.baseline +
                  ": is a tailor profile; --baseline takes a Docker/OCI seccomp profile");
    b.name = std::filesystem::path(a.baseline).filename().string();
    b.description = "the seccomp profile " + a.baseline;
    b.policy = std::move(*in.policy);
  }

  if (!a.old.empty()) {
    ProfileOrPolicy in = load_profile_or_policy(a.old);
    try {
      o.old_side = in.profile ? surface_from_profile(*in.profile, o.seccomp)
                              : surface_from_seccomp(*in.policy, std::nullopt);
    } catch (const Error& e) {
      throw Error(a.old + ": " + e.what(), e.code());
    }
    o.old_name = a.old;
  }
  const std::string page = emit_report(p, o);
  write_file_atomic(a.output, page);
  if (!a.quiet && a.output != "-")
    std::fprintf(stderr, "tailor: wrote %s (HTML report)\n", a.output.c_str());
  return 0;
}

constexpr const char* kReportHelp =
    R"(Write one self-contained HTML page (no script, nothing fetched) that shows a
profile for a pull request or a security review:
  - every syscall libseccomp knows for x86_64 (and the other architectures the
    profile has) as a grid: used by the app (with counts), reachable only
    statically (--static: untested), allowed by tailor's filter for the runtime,
    allowed by the baseline but removed by tailor, denied by both; risky calls
    marked and explained;
  - capabilities with their reasons, files by directory, sockets and
    endpoints, executables, peaks, and the `--flags docker` hardening flags;
  - with --old, the drift from OLD (as tailor diff computes it) on the grid and
    as lists.
PROFILEs (and --static files) are merged as tailor generate merges them. The
filter is the one `tailor generate --seccomp F --flags docker` writes (Docker's
runtime baseline; --runtime, --nnp-only, --no-arg-filters as in generate).

--baseline docker (default) is Docker's default seccomp profile as Debian ships
it (built in); --baseline FILE any Docker/OCI seccomp profile. Docker-format
conditions are resolved for Docker's default capabilities on this kernel.

Examples:
  tailor report app.json -o report.html
  tailor report unit.json integration.json --static static.json -o report.html
  tailor report app.json --old committed.json -o drift.html)";

}  // namespace

Command add_report_command(CLI::App& app) {
  auto* sub = app.add_subcommand("report", "Write a self-contained HTML report of a profile");
  sub->footer(kReportHelp);
  auto a = std::make_shared<ReportArgs>();
  sub->add_option("profile", a->inputs, "Recorded tailor profile(s)")->required();
  sub->add_option("--static", a->statics,
                  "Static findings from tailor analyze (repeatable; merged as profiles are)")
      ->allow_extra_args(false);  // one file per --static: the profiles may follow it
  sub->add_option("--baseline", a->baseline,
                  "What the filter is compared with: docker (Docker's default seccomp profile) "
                  "or a Docker/OCI seccomp file")
      ->capture_default_str();
  sub->add_option("--old", a->old,
                  "An older tailor profile (or seccomp profile): show the drift from it");
  sub->add_option("-o,--output", a->output, "Write the page here (atomically; '-' = stdout)")
      ->capture_default_str();
  sub->add_option("--runtime", a->runtime, "Runtime baseline of tailor's filter (as in generate)")
      ->check(CLI::IsMember({"all", "docker", "podman", "runc", "crun", "none"}))
      ->capture_default_str();
  sub->add_flag("--nnp-only", a->nnp_only, "tailor's filter as generate --nnp-only writes it");
  sub->add_flag("--no-arg-filters", a->no_arg_filters,
                "tailor's filter without argument conditions (as in generate)");
  sub->add_option("--seccomp-file", a->seccomp_file,
                  "Seccomp file named in the hardening flags shown")
      ->capture_default_str();
  sub->add_flag("-q,--quiet", a->quiet, "Do not name the file written on stderr");
  return {sub, [a] { return run_report(*a); }};
}

}  // namespace tailor::cli
