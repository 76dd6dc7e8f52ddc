// `tailor diff OLD NEW` and `tailor merge A B ... [-o C]`.
//
// diff reads tailor profiles and Docker/OCI seccomp profiles in any mix, reduces each to what it
// allows or needs (include/tailor/diff.h) and prints the differences; the exit status says
// whether NEW needs more than OLD allowed (drift), so CI can fail on it. merge unions recorded
// profiles with their evidence (a test suite recorded in pieces).
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <future>
#include <optional>

#include "commands.h"
#include "tailor/capabilities.h"
#include "tailor/diff.h"
#include "tailor/emitters.h"
#include "tailor/error.h"
#include "tailor/profile.h"
#include "tailor/profile_json.h"

namespace tailor::cli {

namespace {

constexpr int kExitDrift = 1;

struct DiffArgs {
  std::string old_path, new_path, output = "-";
  std::string format = "text", fail_on = "added", color = "auto", runtime = "all";
  std::vector<std::string> caps;
  bool caps_given = false;
  bool no_arg_filters = false, nnp_only = false;
};

int run_diff(const DiffArgs& a) {
  FailOn fail_on = a.fail_on == "removed" ? FailOn::kRemoved
                   : a.fail_on == "any"   ? FailOn::kAny
                                          : FailOn::kAdded;
  std::optional<std::set<std::string>> caps;
  if (a.caps_given) {
    caps.emplace();
    for (const auto& c : a.caps) {
      if (c.empty() || c == "none") continue;
      auto n = cap_number(c);
      if (!n) throw Error("diff: --caps: unknown capability \"" + c.substr(0, 40) + "\"");
      caps->insert(cap_name(*n));
    }
  }
  SeccompOptions so;
  so.runtime = *runtime_from_name(a.runtime);
  so.arg_filters = !a.no_arg_filters;
  so.no_new_privileges = a.nnp_only;

  auto side = [&](const std::string& path) {
    const ProfileOrPolicy in = load_profile_or_policy(path);
    try {
      return in.profile ? surface_from_profile(*in.profile, so)
                        : surface_from_seccomp(*in.policy, caps);
    } catch (const Error& e) {
      throw Error(path + ": " + e.what(), e.code());
    }
  };
  // The two sides are independent until they are compared, and on a big profile each is most of
  // the work (100k files: ~0.8 s of parsing and rule building), so NEW is built while OLD is.
  // Errors are still reported as if read in order: OLD's first.
  auto old_future = std::async(std::launch::async | std::launch::deferred, side, a.old_path);
  std::optional<Surface> new_side;
  std::exception_ptr new_error;
  try {
    new_side = side(a.new_path);
  } catch (...) {
    new_error = std::current_exception();
  }
  const Surface old_side = old_future.get();
  if (new_error) std::rethrow_exception(new_error);
  DiffResult d = diff_surfaces(old_side, *new_side);
  d.old_name = a.old_path;
  d.new_name = a.new_path;

  DiffRenderOptions ro;
  ro.fail_on = fail_on;
  // Colour only for people: a terminal on stdout, unless NO_COLOR (no-color.org) says otherwise.
  ro.color = a.color == "always" || (a.color == "auto" && a.output == "-" &&
                                     ::isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR"));
  const std::string text = a.format == "json"       ? render_diff_json(d, ro)
                           : a.format == "markdown" ? render_diff_markdown(d, ro)
                                                    : render_diff_text(d, ro);
  write_file_atomic(a.output, text);
  return d.drift(fail_on) ? kExitDrift : 0;
}

}  // namespace

// Into an empty profile, merge_into() gives the input itself (counts added to nothing, sets
// joined with nothing), so an input not needed afterwards is moved there instead of copied entry
// by entry and then freed (100k files: 0.1 s). The one thing merge_into() would change: a wall
// time of -0.0 becomes std::max(0.0, -0.0), that is 0.0.
void merge_moved(Profile& into, Profile&& from) {
  if (!(into == Profile{})) {
    merge_into(into, from);
    return;
  }
  into = std::move(from);
  if (into.resources.wall_seconds == 0) into.resources.wall_seconds = 0;
}

namespace {

int run_merge(const std::vector<std::string>& inputs, const std::string& output) {
  Profile merged;
  // Loaded in argument order, all before anything is written: a bad input leaves no output. The
  // next input is read while the current one is merged (two profiles in memory at most).
  auto load = [](const std::string& path) {
    ProfileOrPolicy in = load_profile_or_policy(path);
    if (!in.profile)
      throw Error(path + ": is a seccomp profile; merge takes tailor profiles (tailor record)");
    return std::move(*in.profile);
  };
  std::future<Profile> next;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    Profile in = i == 0 ? load(inputs[0]) : next.get();
    if (i + 1 < inputs.size())
      next = std::async(std::launch::async | std::launch::deferred, load, inputs[i + 1]);
    merge_moved(merged, std::move(in));
  }
  write_file_atomic(output, to_json(merged));
  return 0;
}

constexpr const char* kDiffHelp =
    R"(Compare what two profiles allow, axis by axis: syscalls per architecture, their
argument filters, capabilities, files (at the granularity of the AppArmor rules
tailor generates, so temp names and pids are not new every run), network
(sockets and bound/listening endpoints; connect/sendto peers are listed but
never count as drift) and hardening flags (no-new-privileges, writable mounts,
network, user; the containers the recordings ran in are listed there, never
drift). OLD and NEW may each be a tailor profile or a Docker/OCI
seccomp profile; axes a seccomp profile cannot express are skipped (said once).
A tailor profile's syscalls are those of the filter `tailor generate` writes
from it with the same --runtime/--no-arg-filters.

Exit status: 0 no drift, 1 drift (NEW needs something OLD does not allow, or
per --fail-on), 2 error.

Examples:
  tailor diff committed.json new.json
  tailor diff seccomp.json new.json --format markdown -o comment.md
  tailor diff old.json new.json --fail-on any --format json)";

}  // namespace

Command add_diff_command(CLI::App& app) {
  auto* sub = app.add_subcommand("diff", "Compare two profiles; exit 1 if NEW needs more (drift)");
  sub->footer(kDiffHelp);
  auto a = std::make_shared<DiffArgs>();
  sub->add_option("old", a->old_path, "The profile that is deployed / committed")->required();
  sub->add_option("new", a->new_path, "The profile to check against it")->required();
  sub->add_option("--format", a->format, "Output format")
      ->check(CLI::IsMember({"text", "json", "markdown"}))
      ->capture_default_str();
  sub->add_option("--fail-on", a->fail_on, "What makes the exit status 1")
      ->check(CLI::IsMember({"added", "removed", "any"}))
      ->capture_default_str();
  sub->add_option("--color", a->color, "Colour the text output (auto: when stdout is a terminal)")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  sub->add_option("-o,--output", a->output, "Write here (atomically; '-' = stdout)")
      ->capture_default_str();
  sub->add_option("--runtime", a->runtime,
                  "Runtime baseline for tailor profiles' syscalls (as in generate)")
      ->check(CLI::IsMember({"all", "docker", "podman", "runc", "crun", "none"}))
      ->capture_default_str();
  sub->add_flag("--no-arg-filters", a->no_arg_filters,
                "Tailor profiles' filters without argument conditions (as in generate)");
  sub->add_flag("--nnp-only", a->nnp_only,
                "Tailor profiles' filters as generate --nnp-only writes them");
  sub->add_option("--caps", a->caps,
                  "Capabilities the container gets (comma-separated): resolves Docker-format "
                  "seccomp conditions and is the seccomp side's capability axis (default: none, "
                  "capabilities not compared)")
      ->delimiter(',');
  auto* caps_opt = sub->get_option("--caps");
  return {sub, [a, caps_opt] {
            a->caps_given = caps_opt->count() > 0;
            return run_diff(*a);
          }};
}

Command add_merge_command(CLI::App& app) {
  auto* sub =
      app.add_subcommand("merge", "Union of recorded profiles, evidence kept (counts add up)");
  sub->footer(
      "Merges tailor profiles in argument order, as `record --append` does: a test suite\n"
      "recorded in pieces becomes one profile.\n\n"
      "Example:\n  tailor merge unit.json integration.json -o app.json");
  auto inputs = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>("-");
  sub->add_option("profiles", *inputs, "tailor profiles to merge")->required();
  sub->add_option("-o,--output", *output, "Write here (atomically; '-' = stdout)")
      ->capture_default_str();
  return {sub, [inputs, output] { return run_merge(*inputs, *output); }};
}

}  // namespace tailor::cli
