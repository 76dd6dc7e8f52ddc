// `tailor audit` and `tailor harden`: check a deployment (tailor/deploy.h) against fixed rules
// and against what the app was recorded to need, and write the deployment back tightened.
//
// The rules are one table of data (emitters/audit_rules.cpp): id, severity, the CIS Docker
// Benchmark or Kubernetes Pod Security Standards item it follows, title, fix, and the check.
// Checks that need no profile look at the deployment alone (privileged, host namespaces,
// capabilities added, seccomp unconfined...); checks against a profile compare what the
// deployment grants with what `tailor generate` would grant (the same HardeningPlan and seccomp
// surface), so audit and generate never disagree. Pure functions: the CLI reads the files.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tailor/deploy.h"
#include "tailor/diff.h"
#include "tailor/profile.h"

namespace tailor {

enum class Severity { kInfo, kLow, kMedium, kHigh, kCritical };
std::string_view severity_name(Severity s);                      // "info" ... "critical"
std::optional<Severity> severity_from_name(std::string_view s);  // unknown -> nullopt

struct AuditRule {
  std::string_view id;  // "TL101"; stable: SARIF ruleId, --ignore
  Severity severity;
  std::string_view reference;  // "CIS Docker 5.4", "PSS Baseline: Privileged Containers"
  std::string_view title;      // one line
  std::string_view fix;        // one line: what to write instead
  bool needs_profile = false;  // checked only when a profile is matched to the workload
};
// Every rule, by id.
const std::vector<AuditRule>& audit_rules();

struct Finding {
  std::string rule;      // AuditRule::id
  Severity severity;     // the rule's, or raised/lowered by the check (stated in message)
  std::string workload;  // Workload::name
  std::string message;   // one line, specific: "grants NET_ADMIN, SYS_ADMIN; the app used none"
  SourceLoc at;          // the line to change
  auto operator<=>(const Finding&) const = default;
};

// A recorded profile to check workloads against; matched to a workload by `service` (the
// Compose service, k8s container name...), or applied to all when `service` is "" and there is
// one profile. The seccomp surface of a file the deployment names (its `seccomp=PATH`) is given
// by the CLI (which reads it) in AuditInput::seccomp_files.
struct AuditProfile {
  std::string name;     // the file name, for messages
  std::string service;  // which workload(s) it describes
  Profile profile;
  bool named = false;  // the user gave the service (--profile SERVICE=FILE)
};

// Whether `p` describes the workload called `service` that runs `argv` (its entrypoint and
// command as written, empty: the image's own) in `image`. audit and harden match the same way:
// the profile's service (given by the user, else its file name without .json) is the workload's;
// or, unless the user named a service, the profile was recorded in a container of the same image
// (by base name: registry/team/api:1.4 and api:1.5 are one) running the same command, so that a
// sidecar started from the app's image with another command is not taken for the app.
bool profile_describes(const AuditProfile& p, const std::string& service, const std::string& image,
                       const std::vector<std::string>& argv);

struct AuditInput {
  Deployment deployment;
  std::vector<AuditProfile> profiles;
  // seccomp file path as the deployment writes it -> its policy's surface (unreadable files
  // are absent: the finding says tailor could not read it).
  std::map<std::string, Surface> seccomp_files;
  std::vector<std::string> ignore;  // rule ids not to report
};

struct AuditResult {
  std::vector<Finding> findings;  // sorted: file, line, rule, workload
  // Workloads no profile was matched to ("" when profiles were given and all matched), for a
  // note: the profile rules were not checked for them.
  std::vector<std::string> unmatched;
  std::vector<std::string> notes;  // other one-line remarks for people
  bool fails(Severity fail_on) const;
};

AuditResult audit(const AuditInput& in);

// The capabilities (without CAP_) a workload's container gets, as its engine computes them: the
// engine's default set (none after cap_drop ALL, all when privileged or cap_add ALL), minus
// cap_drop, plus cap_add. What a Docker-format seccomp file's capability conditions are resolved
// against.
std::set<std::string> workload_capabilities(const Workload& w, DeployKind kind);

enum class AuditFormat { kText, kJson, kMarkdown, kSarif };
std::optional<AuditFormat> audit_format_from_name(std::string_view s);
// text: `compose.yml:12:5: high TL101 web: ...` lines then a summary; json: one object with
// the findings and counts; markdown: a table for a pull request; sarif: SARIF 2.1.0 with one
// run, the rules as reportingDescriptors and each finding at its file and line.
std::string render_audit(const AuditResult& r, const AuditInput& in, AuditFormat f);
// The rule table itself (`tailor audit --list-rules`): id, severity, title, what it follows and
// the fix; SARIF gives the rules as its driver's with no results.
std::string render_audit_rules(AuditFormat f);

// ---- harden -----------------------------------------------------------------------------------

enum class HardenFormat {
  kAuto,       // by deployment kind: Compose -> override, Kubernetes -> manifest, run -> line
  kOverride,   // Compose override file (docker compose -f compose.yml -f OUT up)
  kManifest,   // the Kubernetes manifest with securityContext and limits set
  kKustomize,  // a strategic-merge patch per object
  kRunLine,    // the user's docker/podman run line, tightened
};
std::optional<HardenFormat> harden_format_from_name(std::string_view s);

struct HardenOptions {
  HardenFormat format = HardenFormat::kAuto;
  // Where the seccomp profile and AppArmor profile for each workload were (or will be) written,
  // by Workload::service; the harden output refers to them. Empty: not set by harden.
  std::map<std::string, std::string> seccomp_files;
  std::map<std::string, std::string> apparmor_names;
  // The deployment's files as read (the CLI reads them): the Kubernetes manifest is rewritten
  // from its own text, everything else kept; Compose and run lines need only the Deployment.
  std::vector<DeployFile> sources;
  // The override's own file name, for its header (`docker compose -f compose.yml -f OUT up`).
  std::string output_name = "compose.tailor.yml";
};

struct HardenResult {
  std::string text;                // the file / line to write
  std::vector<std::string> notes;  // what harden could not do and why, one line each
};

// `in.deployment` tightened by the matched profiles. Never loosens silently: a setting already
// tighter than the profile needs stays, one the app cannot run with is changed only with a note
// saying so (or kept, with a note, where an override cannot change it).
HardenResult harden(const AuditInput& in, const HardenOptions& o);

}  // namespace tailor
