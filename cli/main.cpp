// tailor's command line. Thin on purpose: parse, call the module, write outputs, and turn every
// tailor::Error into one line on stderr and its documented exit code.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "tailor/emitters.h"
#include "tailor/error.h"
#include "tailor/profile.h"
#include "tailor/profile_json.h"
#include "tailor/record.h"

namespace {

constexpr const char* kRecordHelp =
    R"(Run CMD under tracing and write a tailor profile (JSON) of everything it needed
from the kernel: syscalls per architecture, files, sockets, capabilities, process
facts and resource peaks. Every process and thread CMD starts is followed.

Tracing modes:
  seccomp  a SECCOMP_RET_TRACE filter is installed before exec: one ptrace stop
           per syscall (like strace --seccomp-bpf). Needs CAP_SYS_ADMIN (root).
  syscall  plain PTRACE_SYSCALL stops, two per syscall. Used by `auto` when
           tailor runs as an ordinary user: a seccomp filter installed without
           CAP_SYS_ADMIN requires no-new-privileges, which would change what
           setuid programs in the workload do, so tailor never imposes it.

While recording as root, tailor holds a PM QoS request (/dev/cpu_dma_latency)
that keeps idle CPUs from sleeping deeply: a ptrace stop that must wake a
halted CPU costs several times more. --no-low-latency turns it off.

tailor exits with CMD's exit status (128+N if it was killed by signal N).
Signals sent to tailor are passed on to CMD; a terminal's Ctrl-C reaches CMD
directly. If tailor is killed, CMD is killed with it (PTRACE_O_EXITKILL).

Examples:
  tailor record -- ./myserver --port 8080
  tailor record -o app.json -- make test
  tailor record -o app.json --append -- ./run-integration-tests.sh
  tailor record -o - -- python3 -c 'print(1)' | less)";

void print_progress(const tailor::RecordProgress& p, bool final_line) {
  std::fprintf(
      stderr, "\r\033[Ktailor: %llu processes (%llu tasks alive), %llu syscalls, %llu distinct%s",
      static_cast<unsigned long long>(p.processes), static_cast<unsigned long long>(p.alive),
      static_cast<unsigned long long>(p.syscalls), static_cast<unsigned long long>(p.distinct),
      final_line ? "\n" : "");
}

int cmd_record(const std::string& out, bool append, bool quiet, bool low_latency,
               const std::string& mode, const std::vector<std::string>& argv) {
  using namespace tailor;
  if (argv.empty())
    throw Error("record: no command given (usage: tailor record [OPTIONS] -- CMD [ARGS...])");
  // Check where the profile goes before running anything: a long test suite recorded for
  // nothing because of a typo in -o is the worst kind of failure.
  if (out != "-") {
    auto dir = std::filesystem::path(out).parent_path();
    if (!dir.empty() && !std::filesystem::is_directory(dir))
      throw Error("cannot write " + out + ": directory " + dir.string() + " does not exist");
  }
  Profile previous;
  if (append && out != "-" && std::filesystem::exists(out)) previous = load_profile(out);

  RecordOptions opts;
  opts.argv = argv;
  opts.low_latency = low_latency;
  opts.mode = mode == "seccomp"   ? TraceMode::kSeccomp
              : mode == "syscall" ? TraceMode::kSyscall
                                  : TraceMode::kAuto;
  const bool live = !quiet && ::isatty(STDERR_FILENO);
  if (live) opts.on_progress = [](const RecordProgress& p) { print_progress(p, false); };

  RecordResult res = record(opts);
  if (live) std::fputs("\r\033[K", stderr);
  if (!quiet)
    for (const auto& n : res.notices) std::fprintf(stderr, "tailor: %s\n", n.c_str());

  if (append) merge_into(res.profile, previous);
  write_file_atomic(out, to_json(res.profile));
  if (!quiet) {
    std::fprintf(stderr, "tailor: %zu distinct syscalls, %zu files, %zu capabilities -> %s\n",
                 distinct_syscalls(res.profile), res.profile.files.size(),
                 res.profile.capabilities.size(), out == "-" ? "stdout" : out.c_str());
  }
  return res.exit_status;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tailor: least-privilege security profiles from what a program really does"};
  app.set_version_flag("--version", std::string("tailor ") + TAILOR_VERSION);
  app.require_subcommand(1);
  app.footer(R"(Examples:
  tailor record -o app.json -- ./app --selftest
  tailor show app.json
  tailor record --help)");

  auto* rec = app.add_subcommand("record", "Run a command under tracing and write its profile");
  rec->footer(kRecordHelp);
  std::string out = "tailor-profile.json";
  bool append = false, quiet = false, no_low_latency = false;
  std::string mode = "auto";
  std::vector<std::string> cmd;
  rec->add_option("-o,--output", out, "Profile to write (atomically; '-' for stdout)")
      ->capture_default_str();
  rec->add_flag("--append", append, "Merge into the output profile if it exists");
  rec->add_flag("-q,--quiet", quiet, "No progress line or summary on stderr");
  rec->add_option("--mode", mode, "Tracing mode")
      ->check(CLI::IsMember({"auto", "seccomp", "syscall"}))
      ->capture_default_str();
  rec->add_flag("--no-low-latency", no_low_latency,
                "Let idle CPUs sleep deeply while recording (slower tracing; see --help)");
  rec->add_option("command", cmd, "The command to run, after --")->required();
  rec->positionals_at_end();

  auto* show = app.add_subcommand("show", "Print a readable summary of a tailor profile");
  std::string show_path;
  std::size_t show_files = 20;
  show->add_option("profile", show_path, "Profile to summarise")->required();
  show->add_option("--files", show_files, "How many files to list (0 = all)")
      ->capture_default_str();
  show->footer("Example:\n  tailor show app.json");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : tailor::kExitUsage;
  }

  try {
    if (rec->parsed()) return cmd_record(out, append, quiet, !no_low_latency, mode, cmd);
    if (show->parsed()) {
      std::fputs(tailor::emit_summary(tailor::load_profile(show_path), show_files).c_str(), stdout);
      return 0;
    }
  } catch (const tailor::Error& e) {
    std::fprintf(stderr, "tailor: %s\n", e.what());
    return e.code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tailor: internal error: %s\n", e.what());
    return tailor::kExitTraceFailed;
  }
  return tailor::kExitUsage;
}
