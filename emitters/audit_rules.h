// Private to emitters/audit*.cpp: what a rule's check sees, and the table's checks run on one
// workload. tailor/audit.h is the public face (the rules as data, audit(), the renderers).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tailor/audit.h"
#include "tailor/deploy.h"
#include "tailor/diff.h"
#include "tailor/emitters.h"

namespace tailor::audit_detail {

// What the checks of one workload see besides the workload. The profile parts are set only when
// a profile was matched to it; the seccomp file's surface only when the deployment names a file
// and the caller read it.
struct RuleContext {
  DeployKind kind = DeployKind::kCompose;
  const AuditProfile* profile = nullptr;
  const HardeningPlan* plan = nullptr;
  // The filter `tailor generate` writes for the profile (its syscalls axis only is used).
  const Surface* needed = nullptr;
  std::size_t needed_syscalls = 0;  // distinct syscall names in it, for messages
  const Surface* seccomp_file = nullptr;
};

// Every check of the table on `w`; profile rules only when ctx.profile is set.
std::vector<Finding> check_workload(const Workload& w, const RuleContext& ctx);

// The capabilities (without CAP_) the container gets, as the engine computes them: the engine's
// default set (or none after cap_drop ALL, or all when privileged / cap_add ALL), minus cap_drop,
// plus cap_add.
std::set<std::string> effective_caps(const Workload& w, DeployKind kind);

// The location of the first of `fields` the workload wrote, else its own entry.
SourceLoc loc(const Workload& w, std::initializer_list<const char*> fields);

}  // namespace tailor::audit_detail
