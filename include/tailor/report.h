// `tailor report`: one self-contained HTML page (inline CSS and SVG, no script, nothing fetched)
// that shows a profile for a pull request or a security review: the whole syscall table of each
// architecture as a grid, each call marked as used, reachable only statically, allowed for the
// container runtime, allowed by a baseline (Docker's default seccomp profile) but removed by
// tailor's filter, or denied by both; the risky calls explained; capabilities with their reasons,
// files by directory, network, executables, peaks and the hardening flags; and, against an older
// profile, the drift. A pure function of its inputs, like every emitter.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tailor/diff.h"
#include "tailor/emitters.h"
#include "tailor/profile.h"
#include "tailor/seccomp.h"

namespace tailor {

// Docker's default seccomp profile as Debian ships it (golang-github-docker-docker-dev,
// extracted by scripts/update-docker-default.sh and compiled in), and where it came from.
std::string_view docker_default_seccomp_json();
struct DockerDefaultProvenance {
  std::string_view package, version, path, sha256;
};
DockerDefaultProvenance docker_default_seccomp_provenance();

// The capabilities (CAP_ names) a Docker container gets by default: the set Docker's default
// seccomp profile's `includes.caps` conditions are resolved against.
const std::set<std::string>& docker_default_capabilities();

// What the page compares the profile with.
struct ReportBaseline {
  std::string name;         // short, for labels: "Docker's default", a file name
  std::string description;  // the page's header: what it is and where it came from
  SeccompPolicy policy;
  std::set<std::string> caps;  // the container's capabilities, for Docker-format conditions
  std::string kernel_release;  // minKernel conditions are resolved for it ("" = this machine's)
};

struct ReportOptions {
  std::vector<std::string> inputs;         // the profile files, named in the header
  std::vector<std::string> static_inputs;  // --static files merged in
  // The filter tailor writes (`tailor generate --seccomp F --flags docker` by default).
  SeccompOptions seccomp;
  // The flags shown (emit_flags); the seccomp file name is printed as given.
  FlagsOptions flags;
  ReportBaseline baseline;
  // Drift: the older side (surface_from_profile or surface_from_seccomp) and its name.
  std::optional<Surface> old_side;
  std::string old_name;
};

// The page. Deterministic: sorted, no clock; every profile string HTML-escaped.
std::string emit_report(const Profile& p, const ReportOptions& o);

// Why each risky syscall is risky, one line each ("" if the call is not in the list). The page's
// table; exposed for the tests.
std::string_view risky_syscall_reason(std::string_view name);

}  // namespace tailor
