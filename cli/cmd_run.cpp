// `tailor run --seccomp P.json [--profile REC.json] [--caps CAP,...] [--complain]
//  [--report R.json] -- CMD ...`
//
// Reads the profile (a Docker/OCI seccomp JSON, or a tailor profile turned into the filter
// `generate` would write), runs CMD under it (tracer/run.cpp), then prints what was denied and
// writes the report. The exit status is CMD's, so `tailor run` can stand in for the command in
// scripts; --fail-on-violation turns "anything denied" into exit 3 for CI.

#include "commands.h"
#include "tailor/emitters.h"
#include "tailor/error.h"
#include "tailor/profile.h"
#include "tailor/profile_json.h"
#include "tailor/run.h"
#include "tailor/seccomp.h"

namespace tailor::cli {

namespace {

constexpr int kExitViolation = 3;

constexpr const char* kRunHelp =
    R"(Apply a seccomp profile to CMD as a container runtime does: capabilities
reduced to the profile's (bounding, permitted, effective, inheritable and
ambient sets), no-new-privileges, the seccomp filter last, then exec.

P.json is a Docker/podman or OCI seccomp profile (moby-style includes and
excludes are resolved for --caps and this host), or a tailor profile: its
filter is the one `tailor generate --seccomp --runtime none` writes, and its
recorded capabilities are the default for --caps. A Docker/OCI profile gives
no capabilities unless --caps names them (like --cap-drop ALL --cap-add ...).

Enforce (default): what the profile denies fails as in a container (EPERM or
the rule's errno). Calls denied with an errno, or logged, are answered by
tailor, so it can list them: at exit a table (syscall, count, answer, first
executable) goes to stderr and --report writes it as JSON. KILL, TRAP and
TRACE actions stay in the kernel and cannot be counted.
Complain (--complain): every call the profile would not allow runs anyway and
is reported with what the profile would have done.
Calls the profile allows never leave the kernel.

Violations are calls denied by the profile's default action (the recording
never made them), of an architecture it lacks, or by a rule that kills or
traps. What an explicit rule answers with an errno (clone3 -> ENOSYS in
tailor's own profiles, so glibc falls back to clone) is by design: listed
apart, never a violation.

Capabilities: with the recording (a tailor profile as P.json, or --profile
REC.json beside a seccomp JSON), the calls through which it used a capability
this run withholds are checked with the capability rules of `record`; if CMD
fails, tailor says which calls need a capability CMD does not hold and which
capabilities the recording needed.

Exit status: CMD's (128+N if it was killed by signal N); 3 with
--fail-on-violation if there was (or would have been) a violation; 2 bad
command line or profile; 125 the filter or capabilities could not be set up;
126 CMD not executable; 127 CMD not found. Options go before `--`.

Examples:
  tailor run --seccomp seccomp.json -- ./app --selftest
  tailor run --seccomp seccomp.json --complain --report r.json -- make test
  tailor run --seccomp app.json --caps NET_BIND_SERVICE -- ./server
  tailor run --seccomp seccomp.json --profile app.json --caps "" -- ./server
  tailor run --seccomp moby-default.json --caps CAP_CHOWN,CAP_SETUID -- ./app)";

struct RunArgs {
  std::string profile, recording, report;
  std::vector<std::string> caps;
  bool complain = false, fail_on_violation = false, quiet = false, no_low_latency = false;
  std::vector<std::string> argv;
  CLI::Option* caps_opt = nullptr;
};

// What a recording exercised each capability through (RunOptions::recorded_caps).
std::map<std::string, std::set<std::string>> recorded_caps(const Profile& p) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& [cap, use] : p.capabilities) {
    auto& calls = out[cap];
    for (const auto& r : use.reasons) calls.insert(r.syscall);
  }
  return out;
}

struct LoadedPolicy {
  SeccompPolicy policy;
  std::set<std::string> caps;  // the default for --caps
  std::optional<std::map<std::string, std::set<std::string>>> recorded;
};

// The policy, default capabilities and recording a profile file stands for. One line naming
// the file on any failure.
LoadedPolicy load_policy(const std::string& path) {
  ProfileOrPolicy in = load_profile_or_policy(path);
  if (in.policy) return {std::move(*in.policy), {}, std::nullopt};
  SeccompOptions so;
  // tailor execs CMD itself right after loading the filter: no runtime's own calls to allow,
  // and no-new-privileges is always set.
  so.runtime = Runtime::kNone;
  so.no_new_privileges = true;
  std::set<std::string> caps;
  for (const auto& [cap, use] : in.profile->capabilities) caps.insert(cap);
  return {seccomp_policy_for(*in.profile, so), caps, recorded_caps(*in.profile)};
}

// True if `argv` (what came after `--`) holds one of `run`'s own options.
bool has_run_option(const std::vector<std::string>& argv) {
  for (const auto& a : argv)
    for (const char* o : {"--seccomp", "--profile", "--caps", "--report"})
      if (a == o || a.rfind(std::string(o) + "=", 0) == 0) return true;
  return false;
}

int run_command(const RunArgs& a) {
  if (a.profile.empty()) {
    // `tailor run -- CMD --seccomp P.json`: everything after `--` is CMD's.
    if (has_run_option(a.argv))
      throw Error(
          "run: --seccomp is required, and options go before `--` (everything after it "
          "is the command): tailor run --seccomp P.json [OPTIONS] -- CMD [ARGS...]");
    throw Error("run: --seccomp is required (usage: tailor run --seccomp P.json -- CMD [ARGS...])");
  }
  if (a.argv.empty())
    throw Error("run: no command given (usage: tailor run --seccomp P.json -- CMD [ARGS...])");
  check_output_dir(a.report);
  auto [policy, caps, recorded] = load_policy(a.profile);
  if (!a.recording.empty()) {
    ProfileOrPolicy rec = load_profile_or_policy(a.recording);
    if (!rec.profile)
      throw Error("run: --profile " + a.recording +
                  " is a seccomp profile; --profile takes the tailor profile (the recording) it "
                  "was generated from");
    recorded = recorded_caps(*rec.profile);
  }
  if (a.caps_opt->count() > 0) {
    std::vector<std::string> names;
    for (const auto& c : a.caps)
      if (!c.empty() && c != "none") names.push_back(c);
    caps = cap_names_normalised(names);
  } else {
    caps = cap_names_normalised({caps.begin(), caps.end()});
  }

  RunOptions opts;
  opts.argv = a.argv;
  opts.policy = std::move(policy);
  opts.caps = std::move(caps);
  opts.mode = a.complain ? RunMode::kComplain : RunMode::kEnforce;
  opts.low_latency = !a.no_low_latency;
  opts.recorded_caps = std::move(recorded);
  const RunResult res = run_profile(opts);

  if (!a.quiet) {
    if (!res.skipped_syscalls.empty()) {
      std::string list;
      for (const auto& s : res.skipped_syscalls) list += (list.empty() ? "" : ", ") + s;
      std::fprintf(stderr,
                   "tailor: notice: syscalls unknown to libseccomp ignored, as runtimes do: %s\n",
                   list.c_str());
    }
    for (const auto& n : res.notices) std::fprintf(stderr, "tailor: notice: %s\n", n.c_str());
    std::fputs(run_summary(res, opts.mode).c_str(), stderr);
  }
  if (!a.report.empty())
    write_file_atomic(a.report, run_report_json(res, opts.mode, a.profile, a.argv));
  // Only violations: what the profile's own rules answer (by design) never fails the run.
  if (a.fail_on_violation && res.total() > 0) return kExitViolation;
  return res.exit_status;
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto* sub = app.add_subcommand("run", "Run a command under a seccomp profile (enforce/complain)");
  sub->footer(kRunHelp);
  auto a = std::make_shared<RunArgs>();
  // Not required() for CLI11: its message cannot say that options go before `--`.
  sub->add_option("--seccomp", a->profile,
                  "Docker/OCI seccomp profile or tailor profile to apply (required)");
  sub->add_option("--profile", a->recording,
                  "The tailor profile (recording) a seccomp JSON was generated from: tells which "
                  "calls need capabilities");
  a->caps_opt = sub->add_option("--caps", a->caps,
                                "Capabilities CMD keeps, comma-separated (default: the tailor "
                                "profile's; none for a Docker/OCI profile)")
                    ->delimiter(',');
  sub->add_flag("--complain", a->complain, "Let denied calls run and report them");
  sub->add_flag("--fail-on-violation", a->fail_on_violation,
                "Exit 3 if there was (or would have been) a violation");
  sub->add_option("--report", a->report, "Write the report as JSON here (atomically; '-' stdout)");
  sub->add_flag("-q,--quiet", a->quiet, "No summary or notices on stderr");
  sub->add_flag("--no-low-latency", a->no_low_latency,
                "Let idle CPUs sleep deeply (slower answers to denied calls)");
  sub->add_option("command", a->argv, "The command to run, after --")->required();
  sub->positionals_at_end();
  return {sub, [a]() -> int { return run_command(*a); }};
}

}  // namespace tailor::cli
