// Subcommands that live in their own file register themselves through these functions: each
// adds its CLI11 subcommand to `app` and returns what runs it once parsing succeeded. Option
// storage is owned by the returned runner, so it outlives the parse. Errors are thrown as
// tailor::Error and turned into one line and an exit code by main(), as for every command.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "tailor/audit.h"
#include "tailor/profile.h"

namespace tailor::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// Fails (tailor::Error, one line) before any work if `out`'s directory does not exist: a long
// run whose result cannot be written is the worst kind of failure. "-" and "" pass.
void check_output_dir(const std::string& out);  // main.cpp

// The git revision tailor was built from ("1a2b3c4", "1a2b3c4-dirty" or "unknown"), for
// --version: git_revision.cpp, written at build time by cmake/GitRevision.cmake.
extern const char* const kGitRevision;

Command add_diff_command(CLI::App& app);     // cmd_diff.cpp
Command add_merge_command(CLI::App& app);    // cmd_diff.cpp
Command add_run_command(CLI::App& app);      // cmd_run.cpp
Command add_analyze_command(CLI::App& app);  // cmd_analyze.cpp
Command add_audit_command(CLI::App& app);    // cmd_audit.cpp
Command add_harden_command(CLI::App& app);   // cmd_harden.cpp
Command add_report_command(CLI::App& app);   // cmd_report.cpp

// merge_into() for an input not needed afterwards: moved when `into` is empty (cmd_diff.cpp).
void merge_moved(Profile& into, Profile&& from);

// record --static: analyses every ELF executable the recording saw run (cmd_analyze.cpp).
Profile analyze_recorded_executables(const Profile& recorded, bool quiet);

// `[SERVICE=]PROFILE.json` as audit and harden take it: the service the user named, else the
// file's name without .json; profile_describes() also matches the image it was recorded in
// (cmd_audit.cpp).
AuditProfile load_audit_profile(const std::string& spec);

}  // namespace tailor::cli
