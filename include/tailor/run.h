// `tailor run`: apply a seccomp profile to a command the way a container runtime does (reduced
// capabilities, no-new-privileges, the filter last, then exec) and tell the user what it denied.
//
// Syscalls the profile allows are decided in the kernel and never reach tailor (except, when the
// recording is known and a capability it needed is withheld, the calls that used it: see
// RunCapFailure). What it denies with an errno (or only logs) is turned into a seccomp user
// notification instead, so tailor can count it and answer exactly as the kernel would have
// (enforce), or let it run (complain).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tailor/seccomp.h"

namespace tailor {

enum class RunMode {
  kEnforce,   // denials happen, as in a container with this profile
  kComplain,  // every call the profile would not allow runs anyway and is reported
};

struct RunOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH like execvp
  // The profile, in Docker (moby) or OCI form; includes/excludes are resolved with `caps`.
  SeccompPolicy policy;
  // What the workload keeps: bounding, permitted, effective, inheritable and ambient sets
  // ("CAP_NET_RAW" spelling; cap_names_normalised() makes it). Empty: no capabilities at all.
  std::set<std::string> caps;
  RunMode mode = RunMode::kEnforce;
  bool low_latency = true;  // PM QoS request while supervising (see tracer/launch.h)
  // What the recording behind the profile exercised each capability through: "CAP_SETGID" ->
  // {"setgid", "setgroups"} (a tailor profile's `capabilities`). nullopt when tailor has no
  // recording (a Docker/OCI profile without `--profile`). Calls through which the recording
  // used a capability this run withholds are watched (see RunCapFailure).
  std::optional<std::map<std::string, std::set<std::string>>> recorded_caps;
};

// Why a call the profile does not simply allow ended up in the report.
enum class DenialSource {
  kDefault,       // no rule matched: the profile's defaultAction
  kArchitecture,  // an architecture the profile lacks: the filter's bad-arch action
  kRule,          // an explicit per-syscall rule (names, optional args) matched
};

// One row of the report: a (arch, syscall, outcome) the profile did not allow.
struct RunDenial {
  std::string arch;     // "x86_64", "x86", "x32"
  std::string syscall;  // libseccomp's name, "syscall_<nr>" if it has none
  // What the profile says for these calls: "SCMP_ACT_ERRNO", "SCMP_ACT_LOG",
  // "SCMP_ACT_KILL_PROCESS", ... (a call of an architecture the profile lacks gets the
  // filter's bad-arch action, SCMP_ACT_KILL_THREAD).
  std::string action;
  int err = 0;  // SCMP_ACT_ERRNO: the errno (answered in enforce mode, would-be in complain)
  std::uint64_t count = 0;
  std::string first_executable;  // /proc/PID/exe of the caller at the first one
  pid_t first_pid = 0;
  DenialSource source = DenialSource::kDefault;
  // An explicit rule that answers the call (ERRNO, LOG, TRACE, NOTIFY) says what the profile's
  // author wants for it, e.g. clone3 -> ENOSYS in tailor's own profiles: not a violation. A
  // rule that kills or traps is, as is everything the default or a missing arch denies.
  bool by_design() const;
  bool violation() const;  // by_design() and logged calls are not
};

// A call seccomp let through that, by tailor's capability rules (the ones `record` infers needs
// from), needs a capability the calling task does not hold: the kernel refuses it with
// EPERM/EACCES whatever the profile says. Only calls through which the recording exercised a
// capability this run withholds are looked at (RunOptions::recorded_caps).
struct RunCapFailure {
  std::string arch, syscall;
  std::string capability;  // "CAP_SETGID"
  std::string detail;      // the rule's reason at the first one, e.g. "gid 0 -> 65534"
  std::uint64_t count = 0;
  std::string first_executable;
};

struct RunResult {
  int exit_status = 0;             // the workload's: code, or 128+N if killed by signal N
  int wait_status = 0;             // raw wait status of the first process
  std::vector<RunDenial> denials;  // sorted by arch, syscall, action, errno
  // Actions enforced in the kernel in enforce mode, whose denials tailor cannot see (KILL*,
  // TRAP, TRACE): one line each, for the summary and the report.
  std::vector<std::string> uncounted;
  std::vector<std::string> skipped_syscalls;  // names libseccomp does not know (ignored)
  std::vector<std::string> notices;           // one-line remarks for the user
  std::set<std::string> caps;                 // what the workload was given
  std::vector<RunCapFailure> cap_failures;    // sorted by arch, syscall, capability
  // From the recording (RunOptions::recorded_caps): every capability it needed, and those of
  // them the workload was not given (asked for with --caps but tailor lacks them included).
  bool recording_known = false;
  std::set<std::string> recorded_caps, missing_caps;
  // The workload was given fewer capabilities than tailor itself holds.
  bool caps_reduced = false;
  std::uint64_t total() const;            // violations: calls denied by default, arch, kill
  std::uint64_t by_design_total() const;  // calls answered by an explicit rule
  bool failed() const { return exit_status != 0; }
};

// Capability names as docker accepts them ("net_raw", "NET_RAW", "cap_net_raw") in libcap's
// canonical "CAP_NET_RAW" form. Throws tailor::Error (exit 2) naming the first unknown one.
std::set<std::string> cap_names_normalised(const std::vector<std::string>& names);

// Runs opts.argv to completion (and every process it starts) under the profile. Throws
// tailor::Error: exit 2 for a profile tailor cannot apply, 125 if the filter or capabilities
// cannot be set up, 126/127 if the command cannot be run.
RunResult run_profile(const RunOptions& opts);

// The summary for stderr: violations (one line when there were none), then the calls the
// profile's own rules answered, then, if the workload failed, what capabilities explain.
std::string run_summary(const RunResult& r, RunMode mode);
// The `--report` JSON: mode, profile path, command, capabilities, exit status, violations
// (`denied`), by-design answers (`by_design`), capability failures.
std::string run_report_json(const RunResult& r, RunMode mode, const std::string& profile_path,
                            const std::vector<std::string>& argv);

}  // namespace tailor
