// tailor analyze: static analysis of binaries and their libraries (include/tailor/analyze.h),
// and the piece of `record --static` that analyses what a recording ran.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "commands.h"
#include "tailor/analyze.h"
#include "tailor/error.h"
#include "tailor/profile_json.h"

namespace tailor::cli {

namespace {

constexpr const char* kAnalyzeHelp =
    R"(Find every syscall BINARY and its libraries can make, by reading their code
(ELF + x86 disassembly), and write a tailor profile whose syscalls carry static
evidence: the object, function and address of each site.

The library closure is resolved as ld.so does it (DT_NEEDED, RPATH/RUNPATH with
$ORIGIN, LD_LIBRARY_PATH, /etc/ld.so.cache, default dirs, the interpreter).
With --root DIR everything resolves inside DIR (a container's root filesystem,
e.g. from `podman image mount` or an unpacked image). Libraries loaded with
dlopen are invisible to that; constant names passed to dlopen are reported,
and --dlopen adds libraries as if loaded that way (all their exports count).

Only sites reachable from the binary's entry points count: its entry, init
functions, exported functions and functions whose address is stored in data,
through direct calls and jumps, and across libraries through the functions it
imports. Sites whose number is not a constant are counted as unresolved.

Per-object results are cached under $XDG_CACHE_HOME/tailor (or
~/.cache/tailor) by build-id, so a library is disassembled once.

Use the result with generate:
  --static-mode union   (default) allow what analysis found as well
  --static-mode report  only report what the tests never exercised

Examples:
  tailor analyze -o static.json /usr/bin/curl
  tailor analyze --root /var/lib/containers/.../merged -o s.json /usr/sbin/nginx
  tailor generate app.json --static static.json --static-mode report
  tailor record --static -o app.json -- make test)";

struct AnalyzeArgs {
  std::string out = "tailor-static.json";
  std::string root, cache_dir;
  std::vector<std::string> binaries, dlopen, library_path;
  bool no_cache = false, quiet = false;
};

std::vector<std::string> split_path(const char* v) {
  std::vector<std::string> out;
  if (!v) return out;
  std::stringstream ss(v);
  // ld.so splits LD_LIBRARY_PATH at ':' and ';'.
  for (std::string item; std::getline(ss, item, ':');) {
    std::stringstream s2(item);
    for (std::string e; std::getline(s2, e, ';');)
      if (!e.empty()) out.push_back(e);
  }
  return out;
}

// A name with a '/' is a path. A bare name is a file in the current directory if there is one
// (as strace and gdb take it: `tailor analyze gosrv` next to gosrv), else looked up like a
// shell does: in $PATH on this machine, or in the usual bin directories inside --root (which
// has no current directory of its own).
std::string find_binary(const std::string& name, const std::string& root) {
  if (name.find('/') != std::string::npos) return name;
  std::error_code ec;
  if (root.empty() && std::filesystem::is_regular_file(name, ec)) return name;
  std::vector<std::string> dirs;
  if (root.empty()) {
    dirs = split_path(std::getenv("PATH"));
  } else {
    dirs = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"};
  }
  for (const auto& d : dirs) {
    const std::string p = d + "/" + name;
    if (::access((root + p).c_str(), X_OK) == 0) return p;
  }
  throw Error("analyze: " + name + ": not found" +
              (root.empty() ? " in the current directory or in PATH" : " in " + root));
}

std::string summary(const Profile& p, const AnalyzeStats& st) {
  std::size_t unresolved = 0, sites = 0;
  for (const auto& [path, o] : p.analysis.objects) unresolved += o.unresolved, sites += o.sites;
  std::ostringstream s;
  s << "tailor: " << distinct_syscalls(p) << " syscalls reachable";
  std::string sep = " (";
  for (const auto& [arch, calls] : p.syscalls) s << sep << arch << ": " << calls.size(), sep = ", ";
  s << (p.syscalls.empty() ? "" : ")") << " in " << st.objects << " objects (" << st.cached
    << " cached), " << unresolved << " of " << sites << " sites unresolved, ";
  char t[32];
  std::snprintf(t, sizeof t, "%.2f s", st.seconds);
  s << t;
  return s.str();
}

}  // namespace

AnalyzeOptions analyze_options_from_env() {
  AnalyzeOptions o;
  o.library_path = split_path(std::getenv("LD_LIBRARY_PATH"));
  o.cache_dir = default_cache_dir();
  return o;
}

Profile analyze_recorded_executables(const Profile& recorded, bool quiet) {
  AnalyzeStats st;
  Profile p = analyze_recorded(recorded, analyze_options_from_env(), &st);
  if (!quiet) std::fprintf(stderr, "%s\n", summary(p, st).c_str());
  return p;
}

Command add_analyze_command(CLI::App& app) {
  auto args = std::make_shared<AnalyzeArgs>();
  auto* cmd =
      app.add_subcommand("analyze", "Find the syscalls binaries can make (static analysis)");
  cmd->footer(kAnalyzeHelp);
  cmd->add_option("-o,--output", args->out, "Profile to write (atomically; '-' for stdout)")
      ->capture_default_str();
  cmd->add_option("--root", args->root,
                  "Resolve binaries and libraries inside this root filesystem")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--dlopen", args->dlopen,
                  "A library the binaries load with dlopen (name or path; repeatable)");
  cmd->add_option(
         "--library-path", args->library_path,
         "Library search path like LD_LIBRARY_PATH (default: $LD_LIBRARY_PATH without --root)")
      ->delimiter(':');
  cmd->add_option("--cache-dir", args->cache_dir,
                  "Per-object cache (default: $XDG_CACHE_HOME/tailor)");
  cmd->add_flag("--no-cache", args->no_cache, "Neither read nor write the cache");
  cmd->add_flag("-q,--quiet", args->quiet, "No summary on stderr");
  cmd->add_option("binary", args->binaries,
                  "Executables or libraries to analyse (a bare name: the file of that name in "
                  "the current directory, else looked up in PATH)")
      ->required();
  return {cmd, [args] {
            check_output_dir(args->out);
            AnalyzeOptions o = analyze_options_from_env();
            if (!args->root.empty()) o.library_path.clear();
            o.root = args->root;
            if (!args->library_path.empty()) o.library_path = args->library_path;
            if (!args->cache_dir.empty()) o.cache_dir = args->cache_dir;
            if (args->no_cache) o.cache_dir.clear();
            o.dlopen = args->dlopen;
            std::vector<std::string> bins;
            for (const auto& b : args->binaries) bins.push_back(find_binary(b, args->root));
            AnalyzeStats st;
            const Profile p = analyze_binaries(bins, o, &st);
            write_file_atomic(args->out, to_json(p));
            if (!args->quiet) {
              std::fprintf(stderr, "%s -> %s\n", summary(p, st).c_str(),
                           args->out == "-" ? "stdout" : args->out.c_str());
              for (const auto& [name, by] : p.analysis.missing)
                std::fprintf(stderr, "tailor: library not found: %s (needed by %s)\n", name.c_str(),
                             by.begin()->c_str());
              for (const auto& [path, obj] : p.analysis.objects)
                for (const auto& d : obj.dlopen)
                  std::fprintf(stderr,
                               "tailor: %s may dlopen %s (not analysed; --dlopen %s adds it)\n",
                               path.c_str(), d.c_str(), d.c_str());
            }
            return 0;
          }};
}

}  // namespace tailor::cli
