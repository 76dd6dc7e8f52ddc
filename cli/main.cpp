// tailor's command line. Thin on purpose: parse, call the module, write outputs, and turn every
// tailor::Error into one line on stderr and its documented exit code.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>

#include "commands.h"
#include "docs.h"
#include "tailor/emitters.h"
#include "tailor/error.h"
#include "tailor/profile.h"
#include "tailor/profile_json.h"
#include "tailor/record.h"

namespace tailor::cli {
void check_output_dir(const std::string& out) {
  if (out.empty() || out == "-") return;
  auto dir = std::filesystem::path(out).parent_path();
  if (!dir.empty() && !std::filesystem::is_directory(dir))
    throw tailor::Error("cannot write " + out + ": directory " + dir.string() + " does not exist");
}
}  // namespace tailor::cli

namespace {

constexpr const char* kRecordHelp =
    R"(Run CMD under tracing and write a tailor profile (JSON) of everything it needed
from the kernel: syscalls per architecture, files, sockets, capabilities, process
facts and resource peaks. Every process and thread CMD starts is followed.

Backends (--backend):
  auto     (default) bpf where tailor may load BPF programs (root, or
           CAP_BPF + CAP_PERFMON) on a kernel with BTF; otherwise ptrace,
           and a line on stderr says why.
  bpf      eBPF programs on the syscall and scheduler tracepoints count every
           call in the kernel and copy the arguments of the calls that make
           profile facts (paths, sockets, clone flags, capability rules). The
           workload never stops and runs at nearly native speed. If the kernel
           had to drop records (ring buffer full), tailor says what was lost,
           writes no profile and exits 124.
  ptrace   ptrace stops, in one of the modes below. Leaves the
           workload's behaviour exactly as it is.
  notify   seccomp user notification: no ptrace at all (works under a
           debugger, or where ptrace is forbidden) and faster, but a signal
           that arrives while a call waits for tailor can interrupt that call
           (EINTR for handlers without SA_RESTART); see README.

--since KNOWN.json: syscalls the known profile has are allowed in the kernel
and never stop (except those naming files or sockets); what is new is named
on stderr and the output is KNOWN plus the new facts. For fast CI re-runs.

ptrace modes (--mode):
  seccomp  a SECCOMP_RET_TRACE filter is installed before exec: one ptrace stop
           per syscall (like strace --seccomp-bpf). Needs CAP_SYS_ADMIN (root).
  syscall  plain PTRACE_SYSCALL stops, two per syscall. Used by `auto` when
           tailor runs as an ordinary user: a seccomp filter installed without
           CAP_SYS_ADMIN requires no-new-privileges, which would change what
           setuid programs in the workload do, so tailor never imposes it.

While recording as root, tailor holds a PM QoS request (/dev/cpu_dma_latency)
that keeps idle CPUs from sleeping deeply: a ptrace stop that must wake a
halted CPU costs several times more. --no-low-latency turns it off.

Recording a container (needs the bpf backend):
  tailor record [OPTIONS] -- docker run [OPTS] IMAGE [CMD...]
  tailor record [OPTIONS] -- podman run [OPTS] IMAGE [CMD...]
  tailor record [OPTIONS] -- runc|crun run [OPTS] ID
           records only the container's processes, from its entrypoint's exec
           on, as the container sees them (paths inside it, its executables);
           not the engine, its daemon, conmon or the runtime. Other containers
           running meanwhile stay out. The profile names the engine, image and
           command, and generate prints them. --no-container records the engine
           command itself like any other command.
  tailor record --container NAME|ID [--duration S] [-- ENGINE [GLOBAL OPTS]]
           attaches to a running container (docker, else podman; or the engine
           command given) and records until it exits, Ctrl-C or S seconds.
           Its start-up is missed in this mode: `record -- docker run` is the
           complete one. If tailor dies, the container runs on (not killed).
           Exits with the container's exit code, or 0 if it still runs.

Signals sent to tailor are passed on to CMD; a terminal's Ctrl-C reaches CMD
directly. If tailor is killed, CMD is killed with it (PTRACE_O_EXITKILL, or
under notify and bpf a watchdog process).

Exit status: CMD's (128+N if it was killed by signal N); 2 usage error or bad
input file, 124 the eBPF recorder lost events (no profile written), 125 tracing
could not be set up, 126 CMD could not be executed, 127 CMD was not found.

Examples:
  tailor record -- ./myserver --port 8080
  tailor record -o app.json -- make test
  tailor record -o app.json --append -- ./run-integration-tests.sh
  tailor record --since app.json -o today.json -- make test
  tailor record --backend notify -o app.json -- gdb -batch -ex run ./app
  tailor record -o - -- python3 -c 'print(1)' | less
  tailor record -o app.json --seccomp seccomp.json --flags docker -- ./app)";

void print_progress(const tailor::RecordProgress& p, bool final_line) {
  std::fprintf(
      stderr, "\r\033[Ktailor: %llu processes (%llu tasks alive), %llu syscalls, %llu distinct%s",
      static_cast<unsigned long long>(p.processes), static_cast<unsigned long long>(p.alive),
      static_cast<unsigned long long>(p.syscalls), static_cast<unsigned long long>(p.distinct),
      final_line ? "\n" : "");
}

// Outputs `tailor generate` writes; `tailor record` takes the same options as a shortcut.
struct GenerateArgs {
  std::string seccomp, oci, spo, apparmor, flags, flags_output = "-";
  // runtime "": see seccomp_runtimes(); image "": the profile's container's, else IMAGE
  std::string name, runtime, image;
  bool no_arg_filters = false, nnp_only = false, quiet = false;

  bool any() const {
    return !seccomp.empty() || !oci.empty() || !spo.empty() || !apparmor.empty() || !flags.empty();
  }
};

void add_generate_options(CLI::App* app, GenerateArgs& g) {
  app->add_option("--seccomp", g.seccomp, "Write a Docker/podman seccomp profile (JSON) here");
  app->add_option("--oci", g.oci, "Write the filter as an OCI config.json linux.seccomp object");
  app->add_option("--spo", g.spo, "Write a Security Profiles Operator SeccompProfile (YAML)");
  app->add_option("--apparmor", g.apparmor, "Write an AppArmor profile here");
  app->add_option("--name", g.name,
                  "AppArmor/SPO profile name (default: tailor-<command>, from the profile)");
  app->add_option("--flags", g.flags, "Print hardening flags for this platform")
      ->check(CLI::IsMember({"docker", "podman", "compose", "k8s"}));
  app->add_option("--flags-output", g.flags_output, "Where --flags goes ('-' = stdout)")
      ->capture_default_str();
  app->add_option("--runtime", g.runtime,
                  "Engine(s) the seccomp filter must start containers with (default: the "
                  "engine of --flags docker|podman, else those the profile was recorded in, "
                  "else all); their measured needs are allowed")
      ->check(CLI::IsMember({"all", "docker", "podman", "runc", "crun", "none"}));
  app->add_flag("--nnp-only", g.nnp_only,
                "Tighter seccomp filter that starts containers only with no-new-privileges "
                "(the flags then include it; refused if a setuid program ran)");
  app->add_option("--image", g.image,
                  "Image in the printed flags (default: the one the profile was recorded in, "
                  "with its command; else IMAGE)");
  app->add_flag("--no-arg-filters", g.no_arg_filters,
                "Allow clone/unshare/socket/personality with any arguments");
}

// "tailor-<basename of the first recorded command>", reduced to what AppArmor and Kubernetes
// accept in a name.
std::string default_name(const tailor::Profile& p) {
  std::string base = "app";
  if (!p.commands.empty() && !p.commands.begin()->empty())
    base = std::filesystem::path(p.commands.begin()->front()).filename().string();
  // Recorded in a container: named after its image ("registry/team/web:1.2" -> web), not after
  // the engine that ran it.
  if (!p.containers.empty() && !p.containers.begin()->image.empty()) {
    std::string image = p.containers.begin()->image;
    image = image.substr(0, image.find('@'));
    if (auto slash = image.rfind('/'); slash != std::string::npos) image = image.substr(slash + 1);
    image = image.substr(0, image.find(':'));
    if (!image.empty()) base = image;
  }
  std::string out = "tailor-";
  for (char c : base) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out += (ok || (c >= 'a' && c <= 'z')) ? c : '-';
  }
  return out;
}

using tailor::cli::check_output_dir;

void check_outputs(const GenerateArgs& g) {
  for (const auto* f : {&g.seccomp, &g.oci, &g.spo, &g.apparmor}) check_output_dir(*f);
  if (!g.flags.empty()) check_output_dir(g.flags_output);
}

// The filter's runtime baseline: what the user named, else the engine the printed flags are for
// (a `podman run` line is run by podman), else the engines the profile was recorded under (the
// app is deployed the way it was tested), else every engine. An engine tailor has no measured
// baseline for gets every engine's.
void seccomp_runtimes(tailor::SeccompOptions& so, const tailor::Profile& p, const GenerateArgs& g) {
  using tailor::Runtime;
  so.runtime = Runtime::kAll;
  so.more_runtimes.clear();
  if (!g.runtime.empty()) {
    so.runtime = *tailor::runtime_from_name(g.runtime);
    return;
  }
  if (g.flags == "docker" || g.flags == "podman") {
    so.runtime = g.flags == "docker" ? Runtime::kDocker : Runtime::kPodman;
    return;
  }
  std::set<Runtime> recorded;
  for (const auto& c : p.containers) {
    const auto r = tailor::runtime_from_name(c.engine);
    if (!r || *r == Runtime::kNone || *r == Runtime::kAll) return;
    recorded.insert(*r);
  }
  if (recorded.empty()) return;
  so.runtime = *recorded.begin();
  recorded.erase(recorded.begin());
  so.more_runtimes = std::move(recorded);
}

// The image and command of the printed flags: --image, else the one container the profile was
// recorded in (its command too: what ran is what the profile allows), else the IMAGE
// placeholder. Recordings merged from several containers name no one image: `note` says so.
void flags_image(tailor::FlagsOptions& fo, const tailor::Profile& p, const GenerateArgs& g,
                 std::string& note) {
  fo.image = g.image.empty() ? "IMAGE" : g.image;
  if (!g.image.empty() || p.containers.empty()) return;
  if (p.containers.size() == 1) {
    const auto& c = *p.containers.begin();
    if (!c.image.empty()) fo.image = c.image;
    fo.command = c.command;
    return;
  }
  std::string list;
  std::size_t n = 0;
  for (const auto& c : p.containers)
    if (++n <= 3)
      list += (list.empty() ? "" : ", ") + c.engine + (c.image.empty() ? "" : " " + c.image);
  if (n > 3) list += ", ...";
  note = "the profile was recorded in " + std::to_string(n) + " containers (" + list +
         "): the printed flags say IMAGE; name it with --image";
}

// --nnp-only makes a filter that works only under no-new-privileges; refuse it where the
// container cannot have that flag, rather than write a profile that keeps it from starting.
void check_nnp_only(const tailor::Profile& p, const GenerateArgs& g) {
  if (!g.nnp_only) return;
  if (!tailor::wants_no_new_privileges(p)) {
    std::string exes;
    for (const auto& [path, exe] : p.process.executables)
      if (exe.setuid || exe.setgid || exe.file_caps) exes += (exes.empty() ? "" : ", ") + path;
    throw tailor::Error(
        "generate: --nnp-only: the workload ran programs that gain privileges on "
        "execve (" +
        exes.substr(0, 200) + "), which no-new-privileges would break; drop --nnp-only");
  }
  if ((g.flags == "k8s" || !g.spo.empty()) && p.capabilities.count("CAP_SYS_ADMIN"))
    throw tailor::Error(
        "generate: --nnp-only: Kubernetes refuses allowPrivilegeEscalation: false with "
        "SYS_ADMIN added, which this workload needs; drop --nnp-only");
}

std::string flags_what(const std::string& format) {
  if (format == "docker") return "docker run command";
  if (format == "podman") return "podman run command";
  if (format == "compose") return "docker compose service fragment";
  return "Kubernetes pod spec fragment";
}

// Runs every emitter asked for and writes each result atomically. All outputs are computed
// before the first is written, so an emitter error leaves no half-updated set of files. Then
// one line per file written on stderr (unless quiet), and the emitters' warnings (always).
void generate(const tailor::Profile& p, const GenerateArgs& g) {
  using namespace tailor;
  SeccompOptions so;
  seccomp_runtimes(so, p, g);
  so.arg_filters = !g.no_arg_filters;
  so.no_new_privileges = g.nnp_only;
  check_nnp_only(p, g);
  const std::string name = g.name.empty() ? default_name(p) : g.name;
  const std::string variant = "for " + seccomp_variant(so);

  // Static findings never open an architecture the recording did not use: say what was left out.
  if (!g.seccomp.empty() || !g.oci.empty() || !g.spo.empty())
    for (const auto& arch : seccomp_architectures(p).static_only) {
      std::string names;
      std::size_t n = 0;
      for (const auto& [call, ev] : p.syscalls.at(arch))
        if (++n <= 5) names += (names.empty() ? "" : " ") + call;
      if (n > 5) names += " ...";
      std::fprintf(stderr,
                   "tailor: generate: architecture %s left out of the seccomp filter: no "
                   "recording used it, only static analysis found syscalls there (%s)\n",
                   arch.c_str(), names.c_str());
    }
  struct Output {
    std::string path, text, what;
  };
  std::vector<Output> outputs;
  std::string note;
  if (!g.seccomp.empty())
    outputs.push_back(
        {g.seccomp, emit_seccomp_docker(p, so), "Docker/podman seccomp profile, " + variant});
  if (!g.oci.empty())
    outputs.push_back({g.oci, emit_seccomp_oci(p, so), "OCI linux.seccomp object, " + variant});
  if (!g.spo.empty())
    outputs.push_back({g.spo, emit_seccomp_spo(p, so, name),
                       "Security Profiles Operator SeccompProfile \"" + name + "\", " + variant});
  if (!g.apparmor.empty())
    outputs.push_back({g.apparmor, emit_apparmor(p, {name}), "AppArmor profile \"" + name + "\""});
  if (!g.flags.empty()) {
    FlagsOptions fo;
    fo.format = *flags_format_from_name(g.flags);
    // Absolute, so the printed command runs from any directory. No --seccomp: no seccomp option
    // (a flag naming a file that was never written would stop the container from starting).
    if (!g.seccomp.empty())
      fo.seccomp_file = std::filesystem::absolute(g.seccomp).lexically_normal().string();
    fo.seccomp_nnp_only = g.nnp_only && !g.seccomp.empty();
    fo.apparmor_name = g.apparmor.empty() ? "" : name;
    flags_image(fo, p, g, note);
    outputs.push_back({g.flags_output, emit_flags(p, fo), flags_what(g.flags)});
  }
  std::vector<std::string> warnings;
  if (!g.seccomp.empty() || !g.oci.empty() || !g.spo.empty()) warnings = seccomp_warnings(p, so);
  for (const auto& o : outputs) write_file_atomic(o.path, o.text);
  for (const auto& w : warnings) std::fprintf(stderr, "tailor: warning: %s\n", w.c_str());
  if (!g.quiet && !note.empty()) std::fprintf(stderr, "tailor: generate: %s\n", note.c_str());
  if (!g.quiet)
    for (const auto& o : outputs)
      if (o.path != "-")
        std::fprintf(stderr, "tailor: wrote %s (%s)\n", o.path.c_str(), o.what.c_str());
}

struct RecordArgs {
  std::string out = "tailor-profile.json";
  bool append = false, quiet = false, no_low_latency = false, analyze = false;
  std::string mode = "auto", backend = "auto", since;
  std::size_t bpf_buffer = 0;
  std::vector<std::string> argv;
  std::string container;
  double duration = 0;
  bool no_container = false;
};

int cmd_record(const RecordArgs& a, const GenerateArgs& gen) {
  const std::string& out = a.out;
  const bool append = a.append, quiet = a.quiet;
  const std::vector<std::string>& argv = a.argv;
  using namespace tailor;
  if (argv.empty() && a.container.empty())
    throw Error("record: no command given (usage: tailor record [OPTIONS] -- CMD [ARGS...])");
  if (a.duration > 0 && a.container.empty())
    throw Error("record: --duration goes with --container (a command ends on its own)");
  if (a.duration < 0) throw Error("record: --duration must be positive");
  // Check where outputs go before running anything: a long test suite recorded for nothing
  // because of a typo in -o is the worst kind of failure.
  check_output_dir(out);
  check_outputs(gen);
  Profile previous;
  if (append && out != "-" && std::filesystem::exists(out)) previous = load_profile(out);
  std::optional<Profile> since;
  if (!a.since.empty()) since = load_profile(a.since);

  RecordOptions opts;
  opts.argv = argv;
  opts.container.from_command = !a.no_container;
  opts.container.attach = a.container;
  if (!a.container.empty()) {
    opts.container.engine = argv;
    opts.argv.clear();
  }
  opts.container.duration_seconds = a.duration;
  opts.low_latency = !a.no_low_latency;
  opts.mode = a.mode == "seccomp"   ? TraceMode::kSeccomp
              : a.mode == "syscall" ? TraceMode::kSyscall
                                    : TraceMode::kAuto;
  opts.backend = a.backend == "notify"   ? RecordBackend::kNotify
                 : a.backend == "ptrace" ? RecordBackend::kPtrace
                 : a.backend == "bpf"    ? RecordBackend::kBpf
                                         : RecordBackend::kAuto;
  if ((opts.backend == RecordBackend::kNotify || opts.backend == RecordBackend::kBpf) &&
      opts.mode != TraceMode::kAuto)
    throw Error("record: --mode chooses how ptrace traces; it cannot go with --backend " +
                a.backend);
  // --mode alone means ptrace, as its help says.
  if (opts.backend == RecordBackend::kAuto && opts.mode != TraceMode::kAuto)
    opts.backend = RecordBackend::kPtrace;
  opts.bpf_buffer_bytes = a.bpf_buffer;
  if (since) opts.since = &*since;
  const bool live = !quiet && ::isatty(STDERR_FILENO);
  if (live) opts.on_progress = [](const RecordProgress& p) { print_progress(p, false); };

  RecordResult res = record(opts);
  if (live) std::fputs("\r\033[K", stderr);
  if (!quiet)
    for (const auto& n : res.notices) std::fprintf(stderr, "tailor: %s\n", n.c_str());

  std::vector<std::string> news;  // "arch/name" the --since profile did not have
  if (since) {
    for (const auto& [arch, names] : res.profile.syscalls) {
      auto known = since->syscalls.find(arch);
      for (const auto& [name, ev] : names)
        if (known == since->syscalls.end() || !known->second.count(name))
          news.push_back(arch + "/" + name);
    }
    // The result is the known profile plus what is new: what --since allowed in the kernel
    // was used (or not) as before, and is kept.
    merge_into(res.profile, *since);
  }
  if (append) merge_into(res.profile, previous);
  if (a.analyze) {
    // The workload has exited: its status is kept whatever the analysis says, and an analysis
    // failure must not lose the recording, so it is reported and the recording written alone.
    try {
      merge_into(res.profile, tailor::cli::analyze_recorded_executables(res.profile, quiet));
    } catch (const Error& e) {
      std::fprintf(stderr, "tailor: --static: %s (profile written without static findings)\n",
                   e.what());
    }
  }
  write_file_atomic(out, to_json(res.profile));
  if (since && !quiet) {
    std::string list;
    for (const auto& n : news) list += (list.empty() ? "" : ", ") + n;
    std::fprintf(stderr, "tailor: %zu syscalls new since %s%s%s\n", news.size(), a.since.c_str(),
                 news.empty() ? "" : ": ", list.c_str());
  }
  if (!quiet) {
    std::fprintf(stderr, "tailor: %zu distinct syscalls, %zu files, %zu capabilities -> %s\n",
                 distinct_syscalls(res.profile), res.profile.files.size(),
                 res.profile.capabilities.size(), out == "-" ? "stdout" : out.c_str());
  }
  if (gen.any()) {
    GenerateArgs g = gen;
    g.quiet = quiet;
    generate(res.profile, g);
  }
  return res.exit_status;
}

struct StaticArgs {
  std::vector<std::string> files;
  std::string mode = "union", report = "-";
};

int cmd_generate(const std::vector<std::string>& inputs, const GenerateArgs& gen,
                 const StaticArgs& st) {
  using namespace tailor;
  const bool report = st.mode == "report";
  if (!gen.any() && !report)
    throw Error("generate: nothing to write (use --seccomp, --oci, --spo, --apparmor or --flags)");
  check_outputs(gen);
  check_output_dir(st.report);
  Profile p;
  for (const auto& in : inputs) tailor::cli::merge_moved(p, load_profile(in));
  for (const auto& in : st.files) tailor::cli::merge_moved(p, load_profile(in));
  if (report) {
    // Report mode: the emitted profiles hold only what the recordings saw.
    const std::string text = emit_static_report(p);
    if (text.empty())
      throw Error(
          "generate: --static-mode report: no static findings (give --static FILE from "
          "tailor analyze, or record with --static)");
    p = recorded_only(p);
    if (gen.any()) generate(p, gen);
    write_file_atomic(st.report, text);
    if (!gen.quiet && st.report != "-")
      std::fprintf(stderr, "tailor: wrote %s (static coverage report)\n", st.report.c_str());
    return 0;
  }
  generate(p, gen);
  return 0;
}

constexpr const char* kGenerateHelp =
    R"(Write what to deploy from one or more recorded profiles (merged as a union):
  --seccomp F   Docker/podman JSON (docker run --security-opt seccomp=F)
  --oci F       the same filter as an OCI runtime-spec linux.seccomp object
  --spo F       a Kubernetes Security Profiles Operator SeccompProfile
  --apparmor F  an AppArmor profile named --name
  --flags FMT   hardening flags: docker, podman (a run command), compose
                (a service fragment), k8s (a container securityContext)

The seccomp filter denies with EPERM everything the recording did not use,
allows only the architectures it used, always allows what a process needs to
exit cleanly, and adds what the container runtime itself calls under the filter
before the app starts (measured, see README):
  --runtime all   docker, podman, runc and crun
  --runtime R     only R: docker, podman, runc, crun, or none (tailor run)
Without --runtime: the engine of --flags docker|podman; else, for a profile
recorded in containers (tailor record -- docker run ...), the engines it ran
under; else all.
By default the filter starts the container with or without no-new-privileges.
--nnp-only writes a tighter filter that works ONLY with --security-opt
no-new-privileges (without it the runtime itself fails before the app starts:
"cannot setresgid to 0", "prctl drop bounding": Operation not permitted); the
printed flags then include it. The file's "comment" says which variant it is.
Argument filters restrict clone/unshare to the namespaces used, socket() to the
address families used and personality() to the values used (--no-arg-filters
turns them off). Syscall names libseccomp does not know (syscall_<n>) are left
out with a warning on stderr; an architecture it does not know is an error.

--flags docker|podman prints a command that runs as printed: the image and
command the profile was recorded in (--image names another; a profile of several
containers, or of none, says IMAGE), the seccomp file by absolute path (no
seccomp option without --seccomp), a named volume for each data directory
written, -p for each port listened on beyond loopback, and --network none when
no socket went beyond loopback. Each file written is named on stderr (-q: not).

Static findings (tailor analyze, or record --static) join with --static F:
  --static-mode union   (default) the filters allow what the code can reach too
  --static-mode report  the filters hold only what was recorded; a report of the
                        syscalls reachable but never exercised, by function, is
                        written to --report (default stdout)

Examples:
  tailor generate app.json --seccomp seccomp.json --flags docker
  tailor generate unit.json integration.json --seccomp s.json --apparmor aa --name myapp
  tailor generate app.json --oci seccomp-oci.json --runtime crun
  tailor generate app.json --seccomp s.json --nnp-only --flags podman
  tailor generate app.json --spo app-seccomp.yaml --flags k8s --flags-output sc.yaml
  tailor generate app.json --static static.json --static-mode report)";

}  // namespace

int main(int argc, char** argv) {
  // Named, not after argv[0]: the man pages and completions written from this model say "tailor".
  CLI::App app{"tailor: least-privilege security profiles from what a program really does",
               "tailor"};
  app.set_version_flag("--version", std::string("tailor ") + TAILOR_VERSION + " (git " +
                                        tailor::cli::kGitRevision + ")");
  app.require_subcommand(1);
  app.footer(R"(Exit status: record and run exit with the command's status (128+N if it was
killed by signal N); diff and audit with 0, or 1 when something reaches
--fail-on; every command with 2 on a usage error or a bad input file, 124 when
the eBPF recorder lost events, 125 when tracing could not be set up, 126 when
the command could not be executed and 127 when it was not found.

Examples:
  tailor record -o app.json -- ./app --selftest
  tailor generate app.json --seccomp seccomp.json --apparmor app.aa --flags docker
  tailor show app.json
  tailor record --help)");

  auto* rec = app.add_subcommand("record", "Run a command under tracing and write its profile");
  rec->footer(kRecordHelp);
  RecordArgs ra;
  rec->add_option("-o,--output", ra.out, "Profile to write (atomically; '-' for stdout)")
      ->capture_default_str();
  rec->add_flag("--append", ra.append, "Merge into the output profile if it exists");
  rec->add_flag("-q,--quiet", ra.quiet, "No progress line or summary on stderr");
  rec->add_option("--backend", ra.backend, "How syscalls reach tailor (see below)")
      ->check(CLI::IsMember({"auto", "bpf", "notify", "ptrace"}))
      ->capture_default_str();
  rec->add_option("--mode", ra.mode, "ptrace tracing mode (implies --backend ptrace)")
      ->check(CLI::IsMember({"auto", "seccomp", "syscall"}))
      ->capture_default_str();
  rec->add_option("--since", ra.since,
                  "Record only what is new against this profile (its syscalls run untraced)");
  rec->add_flag("--static", ra.analyze,
                "Also analyse every executable the recording ran (see tailor analyze --help)");
  // For tests that must see the eBPF recorder drop records: a ring buffer of a few pages.
  rec->add_option("--bpf-buffer", ra.bpf_buffer, "eBPF ring buffer size in bytes")->group("");
  rec->add_flag("--no-low-latency", ra.no_low_latency,
                "Let idle CPUs sleep deeply while recording (slower tracing; see --help)");
  GenerateArgs rec_gen;
  add_generate_options(rec, rec_gen);
  rec->add_option("--container", ra.container,
                  "Attach to this running container (name or id) instead of running a command; "
                  "its start-up is missed: `record -- docker run ...` is the complete mode");
  rec->add_option("--duration", ra.duration, "With --container: stop recording after S seconds");
  rec->add_flag("--no-container", ra.no_container,
                "Record an engine run command (docker/podman/runc/crun run) itself, not the "
                "container it starts");
  rec->add_option("command", ra.argv,
                  "The command to run, after -- (with --container: the engine to ask)");
  rec->positionals_at_end();

  auto* gen = app.add_subcommand("generate", "Write seccomp, AppArmor and hardening flags");
  gen->footer(kGenerateHelp);
  GenerateArgs gen_args;
  std::vector<std::string> gen_inputs;
  gen->add_option("profile", gen_inputs, "Recorded tailor profile(s)")->required();
  add_generate_options(gen, gen_args);
  StaticArgs static_args;
  gen->add_option("--static", static_args.files,
                  "Static findings from tailor analyze (repeatable; merged as profiles are)")
      ->allow_extra_args(false);  // one file per --static: the profiles may follow it
  gen->add_option("--static-mode", static_args.mode,
                  "union: allow static findings too; report: list what tests never exercised")
      ->check(CLI::IsMember({"union", "report"}))
      ->capture_default_str();
  gen->add_option("--report", static_args.report, "Where --static-mode report goes ('-' = stdout)")
      ->capture_default_str();
  gen->add_flag("-q,--quiet", gen_args.quiet, "Do not list the files written on stderr");

  auto* show = app.add_subcommand("show", "Print a readable summary of a tailor profile");
  std::string show_path;
  std::size_t show_files = 20;
  show->add_option("profile", show_path, "Profile to summarise")->required();
  show->add_option("--files", show_files, "How many files to list (0 = all)")
      ->capture_default_str();
  show->footer("Example:\n  tailor show app.json");

  // Subcommands with a file of their own (cmd_*.cpp), one a line.
  // clang-format off
  const tailor::cli::Command more[] = {
      tailor::cli::add_run_command(app),
      tailor::cli::add_diff_command(app),
      tailor::cli::add_merge_command(app),
      tailor::cli::add_analyze_command(app),
      tailor::cli::add_audit_command(app),
      tailor::cli::add_harden_command(app),
      tailor::cli::add_report_command(app),
  };
  // clang-format on

  // Hidden: the build writes the man pages and shell completions from this very model
  // (cli/docs.cpp). Option callbacks run before CLI11 checks that a subcommand was given; the
  // last one to run ends the parse as --help does.
  int docs_written = 0;
  CLI::Option* docs_opts[2] = {};
  auto docs = [&](void (*write)(const CLI::App&, const std::string&)) {
    return [&, write](const std::string& dir) {
      write(app, dir);
      if (++docs_written == (docs_opts[0]->count() > 0) + (docs_opts[1]->count() > 0))
        throw CLI::Success();
    };
  };
  docs_opts[0] =
      app.add_option_function<std::string>("--man-dir", docs(tailor::cli::write_man_pages))
          ->group("");
  docs_opts[1] =
      app.add_option_function<std::string>("--completion-dir", docs(tailor::cli::write_completions))
          ->group("");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : tailor::kExitUsage;
  } catch (const tailor::Error& e) {
    std::fprintf(stderr, "tailor: %s\n", e.what());
    return e.code();
  }

  try {
    if (rec->parsed()) return cmd_record(ra, rec_gen);
    if (gen->parsed()) return cmd_generate(gen_inputs, gen_args, static_args);
    for (const auto& c : more)
      if (c.app->parsed()) return c.run();
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
