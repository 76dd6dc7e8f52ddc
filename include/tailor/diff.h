// `tailor diff`: what one profile allows or needs compared with another, axis by axis.
//
// Both sides are first reduced to a Surface: the syscalls their seccomp filter allows per
// architecture (with the argument conditions it allows them under), and, where the side can
// express them, capabilities, AppArmor-granularity file rules, network use and the hardening
// flags. A tailor profile gives every axis (through the same emitters `tailor generate` uses, so
// it lines up with what was deployed); a Docker/OCI seccomp profile gives syscalls only (and
// capabilities when the caller says which the container gets). compare_surfaces() then lists, per
// axis, what NEW has that OLD does not allow (added: drift) and what OLD allows that NEW no longer
// needs (removed). Everything is plain data and sorted, so the output is deterministic.
//
// Core part (core/diff.cpp): the model, the seccomp side and the comparison. Emitter part
// (emitters/diff.cpp): the tailor-profile side and the text / JSON / Markdown renderings.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tailor/profile.h"
#include "tailor/seccomp.h"

namespace tailor {

struct SeccompOptions;  // tailor/emitters.h

// ---- the model ------------------------------------------------------------------------------

// One way a syscall may be called: argument comparisons that must all hold, each rendered
// readably ("arg0 == 10", "arg0 & 0x7e020000 == 0", "not (arg1 == 3)"). Empty: any arguments.
using ArgConditions = std::set<std::string>;
// The alternatives under which a syscall is allowed. {{}} (one empty alternative): always.
using SyscallAllowance = std::set<ArgConditions>;

struct DiffFileRule {
  std::string pattern;             // AppArmor pattern, directories end in '/'
  bool owner = false;              // AppArmor `owner` qualifier
  std::string perms;               // AppArmor letters: r w k l m ix
  std::vector<std::string> paths;  // recorded paths the rule stands for
};

// What one side allows (a seccomp file) or needs (a tailor profile). An unset optional is an axis
// the side cannot express; it is skipped in the comparison.
struct Surface {
  std::string kind;  // "tailor" or "seccomp"
  // arch ("x86_64", "x86", "x32") -> syscall -> allowance
  std::map<std::string, std::map<std::string, SyscallAllowance>> syscalls;
  std::optional<std::set<std::string>> capabilities;  // "CAP_NET_BIND_SERVICE"
  std::optional<std::vector<DiffFileRule>> files;
  // Network: socket kinds ("inet stream") and endpoints a server offers ("listen inet 0.0.0.0
  // 8080", "bind unix /run/app.sock") count; peers it reached ("connect inet 10.0.0.5 5432",
  // "sendto inet 127.0.0.53 53") are reported but never drift (see compare_surfaces).
  std::optional<std::set<std::string>> sockets;
  std::optional<std::set<std::string>> endpoints;
  std::optional<std::set<std::string>> peers;
  std::optional<std::map<std::string, std::string>> flags;  // hardening need -> why
  // Containers the recordings ran in ("docker alpine:3 sh -c 'make test'"): reported with the
  // flags, never drift (the same app recorded in another engine or image tag needs nothing new).
  std::optional<std::set<std::string>> containers;
};

// The syscalls a policy allows on this host, per architecture, as the runtime would install it:
// Docker-format conditions resolved for a container with `caps` on this kernel, rules whose action
// is ALLOW, LOG, NOTIFY or TRACE allowing (NOTIFY/TRACE hand the call to an agent that may let it
// through), names libseccomp does not know on an arch left out there. A policy whose default
// action allows gets every syscall libseccomp knows minus the ones its rules take away.
std::map<std::string, std::map<std::string, SyscallAllowance>> seccomp_allowed_syscalls(
    const SeccompPolicy& policy, const std::set<std::string>& caps);

// A Docker/OCI seccomp file's side. `caps`: the container's capabilities, if the caller knows
// them (then they are its capability axis too); without them the policy is resolved with none.
Surface surface_from_seccomp(const SeccompPolicy& policy,
                             const std::optional<std::set<std::string>>& caps);

// ---- the comparison ----------------------------------------------------------------------------

struct DiffEntry {
  // "syscall", "filter", "capability", "file", "socket", "endpoint", "peer", "flag"
  std::string kind;
  std::string arch;     // syscall and filter entries only
  std::string subject;  // syscall name, capability, file pattern, "inet stream", flag, ...
  std::string detail;   // argument conditions, file permissions, why a flag is needed, ...
  bool counts = true;   // false: reported only, never drift (peers)
  auto operator<=>(const DiffEntry&) const = default;
};

struct AxisDiff {
  std::string axis;  // "syscalls", "arg filters", "capabilities", "files", "network", "flags"
  bool compared = true;
  std::vector<DiffEntry> added;    // in NEW, not allowed by OLD
  std::vector<DiffEntry> removed;  // allowed by OLD, not needed by NEW
};

enum class FailOn { kAdded, kRemoved, kAny };

struct DiffResult {
  std::string old_name, new_name;  // labels (file names)
  std::string old_kind, new_kind;  // "tailor" / "seccomp"
  std::vector<AxisDiff> axes;      // always all six, in the order above
  std::string skipped_note;        // why the axes with compared == false were skipped, or ""

  std::size_t added() const;    // entries that count
  std::size_t removed() const;  // entries that count
  bool drift(FailOn fail_on) const;
};

// Which of one side's file patterns match a concrete path. compare_surfaces builds one lookup
// per side from that side's patterns (the indexer) and asks it about every recorded path of the
// other side; a lookup returns indices into the patterns it was built from. The emitter layer's
// is AppArmor's (AppArmorPatternSet): building it once and trying each path against the few
// patterns that can match keeps a diff of two 100k-file profiles near linear.
using PatternLookup = std::function<std::vector<std::size_t>(const std::string& path)>;
using PatternIndexer = std::function<PatternLookup(const std::vector<std::string>& patterns)>;

// Axis by axis:
//  syscalls     per arch; a syscall NEW allows that OLD does not (under any arguments) is added;
//  arg filters  for a syscall both allow: an alternative of NEW that no alternative of OLD covers
//               (OLD's conditions a subset of NEW's; none = any arguments) is added;
//  capabilities names;
//  files        a NEW rule is covered when each of its recorded paths is matched by OLD rules
//               (OLD rules with the same pattern, and those `index` finds) granting together at
//               least its permissions (an `owner` OLD rule covers only `owner` NEW rules);
//               uncovered NEW rules are added;
//  network      sockets and server endpoints by name; peers reported, not counted: destinations
//               a client reaches (resolvers, load-balanced backends) change from run to run;
//  flags        hardening needs by key; containers recorded in reported, not counted.
// Removed entries are the same checks with OLD and NEW swapped.
DiffResult compare_surfaces(const Surface& old_side, const Surface& new_side,
                            const PatternIndexer& index);

// ---- emitter part (emitters/diff.cpp) ----------------------------------------------------------

// A tailor profile's side: syscalls through seccomp_policy_for(p, o) (what `tailor generate`
// writes with the same options), files through apparmor_file_rules, flags through
// hardening_needs, capabilities, sockets and endpoints from the profile. Unix socket paths and
// temp names become the AppArmor patterns the emitter would write for them.
Surface surface_from_profile(const Profile& p, const SeccompOptions& o);

// compare_surfaces with AppArmor's matcher.
DiffResult diff_surfaces(const Surface& old_side, const Surface& new_side);

struct DiffRenderOptions {
  FailOn fail_on = FailOn::kAdded;
  bool color = false;  // text only: ANSI green '+' and red '-' lines
};
std::string_view fail_on_name(FailOn f);  // "added", "removed", "any"

// `+ syscall x86_64 ptrace` lines grouped per axis, one note for skipped axes, a summary line.
std::string render_diff_text(const DiffResult& d, const DiffRenderOptions& o);
// One JSON object: old/new, drift, fail_on, counts, and per axis its added/removed entries.
std::string render_diff_json(const DiffResult& d, const DiffRenderOptions& o);
// A pull-request comment: heading with the verdict, one table per axis that changed.
std::string render_diff_markdown(const DiffResult& d, const DiffRenderOptions& o);

}  // namespace tailor
