// record(): choose how to trace, run the backend with the Recorder as its sink, and return the
// profile with the workload's exit status.
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "bpf_backend.h"
#include "container.h"
#include "notify.h"
#include "notify_backend.h"
#include "proc.h"
#include "ptrace_backend.h"
#include "recorder.h"
#include "tailor/engine_cmd.h"
#include "tailor/error.h"
#include "tailor/record.h"
#include "tailor/syscalls.h"

namespace tailor {

bool can_filter_without_nnp() {
  // seccomp(2): without no_new_privs the caller needs CAP_SYS_ADMIN in its user namespace.
  auto c = tracer::read_creds(::getpid());
  return c && c->has_cap(CAP_SYS_ADMIN);
}

namespace {

struct CtxDeleter {
  void operator()(void* ctx) const { seccomp_release(static_cast<scmp_filter_ctx>(ctx)); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

// The filter for `record --since`: per architecture, the syscalls `since` already has are
// allowed, unless the recorder needs their arguments (Recorder::needs_arguments); everything
// else, and every architecture `since` never used, asks (`ask`: SCMP_ACT_TRACE(0) for ptrace,
// SCMP_ACT_NOTIFY for notify). One libseccomp context per architecture, merged, so that a call
// allowed on x86_64 still asks when the same name is made through the i386 entry.
std::vector<struct sock_filter> since_filter(const Profile& since, std::uint32_t ask) {
  auto fail = [](const char* what, int rc) {
    return Error(std::string("--since: ") + what + ": " + std::strerror(-rc), kExitTraceFailed);
  };
  Ctx merged;
  std::set<std::uint32_t> arches = {seccomp_arch_native()};
  for (const auto& [arch, names] : since.syscalls)
    if (auto tok = arch_token(arch)) arches.insert(*tok);
  for (std::uint32_t arch : arches) {
    Ctx ctx(seccomp_init(ask));
    if (!ctx) throw Error("--since: seccomp_init failed", kExitTraceFailed);
    auto* c = static_cast<scmp_filter_ctx>(ctx.get());
    if (int rc = seccomp_attr_set(c, SCMP_FLTATR_ACT_BADARCH, ask); rc < 0)
      throw fail("seccomp_attr_set", rc);
    if (arch != seccomp_arch_native()) {
      if (int rc = seccomp_arch_add(c, arch); rc < 0) throw fail("seccomp_arch_add", rc);
      if (int rc = seccomp_arch_remove(c, SCMP_ARCH_NATIVE); rc < 0)
        throw fail("seccomp_arch_remove", rc);
    }
    auto it = since.syscalls.find(arch_name(arch).value_or(""));
    if (it != since.syscalls.end()) {
      for (const auto& [name, ev] : it->second) {
        // Native numbering (pseudo-numbers for calls the native arch lacks): libseccomp
        // translates by name into the context's one architecture.
        const int nr = seccomp_syscall_resolve_name(name.c_str());
        if (nr == __NR_SCMP_ERROR) continue;
        if (name == "mmap" || name == "mmap2") {
          // Only executable mappings are facts (exec_mappings, map-exec); the data mappings
          // every allocation makes can stay in the kernel.
          seccomp_rule_add(c, SCMP_ACT_ALLOW, nr, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
          continue;
        }
        if (tracer::Recorder::needs_arguments(arch, name)) continue;
        seccomp_rule_add(c, SCMP_ACT_ALLOW, nr, 0);  // a name this arch lacks: nothing to allow
      }
    }
    if (!merged) {
      merged = std::move(ctx);
    } else {
      if (int rc = seccomp_merge(static_cast<scmp_filter_ctx>(merged.get()), c); rc < 0)
        throw fail("seccomp_merge", rc);
      ctx.release();  // merged into (and released by) `merged`
    }
  }
  const int mfd = ::memfd_create("tailor-since", MFD_CLOEXEC);
  if (mfd < 0) throw Error("--since: memfd_create failed", kExitTraceFailed);
  tracer::Fd fd(mfd);
  if (int rc = seccomp_export_bpf(static_cast<scmp_filter_ctx>(merged.get()), fd.get()); rc < 0)
    throw fail("seccomp_export_bpf", rc);
  const off_t size = ::lseek(fd.get(), 0, SEEK_END);
  std::vector<struct sock_filter> prog(static_cast<std::size_t>(size) / sizeof(struct sock_filter));
  if (::pread(fd.get(), prog.data(), prog.size() * sizeof(struct sock_filter), 0) !=
      static_cast<ssize_t>(prog.size() * sizeof(struct sock_filter)))
    throw Error("--since: cannot read the compiled filter", kExitTraceFailed);
  return prog;
}

int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Never a silently incomplete profile: name what the eBPF recorder lost and write nothing.
void refuse_losses(const tracer::BpfBackend& backend, int status) {
  if (backend.losses().empty()) return;
  std::string what;
  for (const auto& l : backend.losses()) what += (what.empty() ? "" : ", ") + l;
  throw Error("the eBPF recorder lost " + what +
                  "; no profile written (the workload "
                  "exited with status " +
                  std::to_string(exit_code(status)) + "); record again with --backend ptrace",
              kExitIncomplete);
}

// A private directory for the engine's --cidfile, removed with everything in it.
struct TempDir {
  std::string path;
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/tailor-XXXXXX";
    if (::mkdtemp(tmpl.data())) path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

// The container an engine command starts (`run`), or a running one (opts.container.attach),
// recorded with the eBPF backend: only the container's processes, from its entrypoint's exec on
// (or from the attach), as the container sees them. Which processes are the container's:
//  - podman, crun, runc: the container descends from the command tailor runs (conmon, the
//    runtime); the descendants' first exec in a pid namespace below tailor's is the entrypoint.
//  - Docker: the daemon starts it, so nothing descends from `docker run`. Every exec in a new
//    pid namespace is followed, and the one whose cgroup is named after the id `docker run`
//    wrote to its --cidfile is kept; the others (containers starting at the same time) are
//    dropped before they reach the Recorder.
//  - attach: every task in the container's pid namespace, from its next syscall on.
RecordResult record_container(const RecordOptions& opts, const std::optional<EngineRun>& run) {
  RecordResult res;
  const bool attach = !opts.container.attach.empty();
  const std::string what = attach ? "--container" : "recording a container";
  if (opts.backend == RecordBackend::kPtrace || opts.backend == RecordBackend::kNotify)
    throw Error(what +
                    " needs the eBPF backend (--backend bpf): ptrace and notify follow the "
                    "engine's processes, and a Docker container is not one of them",
                kExitUsage);
  if (opts.since)
    throw Error(what + " cannot go with --since (use the eBPF backend's full recording)",
                kExitUsage);
  if (auto why = tracer::BpfBackend::unavailable_reason(); !why.empty())
    throw Error(what + " needs the eBPF backend: " + why, kExitTraceFailed);
  if (run && run->pid_host)
    throw Error(
        "--pid host: that container shares the host's pid namespace, which is how tailor tells "
        "its processes from all others; record it without --pid host",
        kExitUsage);

  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  tracer::ContainerWatch watch;
  std::vector<std::string> argv = opts.argv;
  ContainerOrigin origin;
  std::optional<tracer::RunningContainer> target;
  TempDir tmp;
  if (attach) {
    target = tracer::find_running_container(opts.container.engine, opts.container.attach);
    watch.mode = tracer::ContainerWatch::Mode::kAttach;
    watch.attach_ns = target->pidns;
    watch.duration =
        std::chrono::milliseconds(static_cast<long long>(opts.container.duration_seconds * 1000));
    argv = target->engine;
    argv.insert(argv.end(), {"wait", target->id});
    origin = {target->engine_name, target->image, {}};
    res.notices.push_back("attached to " + opts.container.attach + " (" + target->engine_name +
                          ", pid " + std::to_string(target->pid) +
                          "): what it did before now is not in the profile");
  } else if (run->engine == "docker") {
    if (tmp.path.empty()) throw Error("cannot make a temporary directory", kExitTraceFailed);
    watch.mode = tracer::ContainerWatch::Mode::kNewPidNs;
    const std::string cid = run->cidfile.value_or(tmp.path + "/cid");
    if (!run->cidfile) argv = with_cidfile(argv, *run, cid);
    watch.is_ours = [cid, id = std::string()](
                        const tracer::ContainerSeen& seen) mutable -> std::optional<bool> {
      if (id.empty()) {  // read until docker has written it, then kept
        std::ifstream in(cid);
        std::string got;
        in >> got;
        if (got.size() < 12) return std::nullopt;  // not written yet
        id = got;
      }
      for (const auto& g : seen.cgroups)
        if (g.find(id) != std::string::npos) return true;
      return false;
    };
    origin = {run->engine, run->image, run->command};
  } else {
    watch.mode = tracer::ContainerWatch::Mode::kDescendants;
    origin = {run->engine, run->image, run->command};
  }

  const std::string path = tracer::resolve_command(argv.at(0));
  tracer::LaunchSpec spec{argv, path, true, opts.low_latency, {}};
  spec.stdout_null = attach;  // `docker wait` prints the exit code
  const auto start = std::chrono::steady_clock::now();
  tracer::Recorder recorder(path);
  if (opts.on_progress) recorder.set_progress(opts.on_progress, opts.progress_interval_ms);
  tracer::BpfBackend backend(opts.bpf_buffer_bytes ? opts.bpf_buffer_bytes : std::size_t{16} << 20);
  backend.set_container(std::move(watch));
  const int status = backend.run(spec, recorder);
  refuse_losses(backend, status);
  if (!backend.container_seen()) {
    if (attach)
      throw Error("--container " + opts.container.attach +
                      ": none of its processes made a syscall while tailor watched; no profile "
                      "written",
                  kExitIncomplete);
    const int code = exit_code(status);
    throw Error(run->engine + " run exited with status " + std::to_string(code) +
                    " and no container process ran: nothing recorded, no profile written",
                code ? code : kExitTraceFailed);
  }
  const auto wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start);
  res.profile = recorder.finish();
  res.profile.resources.wall_seconds = wall.count();
  if (!attach) res.profile.commands.insert(opts.argv);
  res.profile.containers.insert(origin);
  res.backend_used = RecordBackend::kBpf;
  res.container = true;
  if (attach)
    res.exit_status = tracer::container_exit_code(*target).value_or(0);  // 0: it still runs
  else
    res.exit_status = exit_code(status);
  return res;
}

}  // namespace

RecordResult record(const RecordOptions& opts) {
  if (!opts.container.attach.empty()) return record_container(opts, std::nullopt);
  if (opts.container.from_command)
    if (auto run = parse_engine_run(opts.argv)) return record_container(opts, run);
  RecordResult res;
  const bool privileged = can_filter_without_nnp();

  // Which backend. ptrace is the default although notify is faster, because only ptrace
  // leaves the workload's behaviour exactly as it is: a task waiting for tailor's answer to a
  // notification sleeps interruptibly until tailor has received it, so a signal arriving in
  // those microseconds makes a call like stat() return EINTR to a handler without SA_RESTART,
  // which it never does natively (dash's SIGCHLD handler skipped a PATH entry that way in about
  // one run of five of the pipeline sample). Under ptrace the call simply runs when resumed.
  // An explicit --backend notify without CAP_SYS_ADMIN sets no-new-privileges, which the user
  // asked for knowingly.
  bool notify = false, bpf = false;
  switch (opts.backend) {
    case RecordBackend::kAuto:
      // eBPF where it can run: it never stops the workload, so it changes nothing the workload
      // sees and costs least. Otherwise ptrace, saying why in one line.
      if (auto why = tracer::BpfBackend::unavailable_reason(); why.empty())
        bpf = true;
      else
        res.notices.push_back(why + ": recording with ptrace");
      break;
    case RecordBackend::kBpf:
      if (auto why = tracer::BpfBackend::unavailable_reason(); !why.empty())
        throw Error("--backend bpf: " + why, kExitTraceFailed);
      if (opts.since)
        throw Error(
            "--backend bpf cannot record --since (it counts every call in the kernel "
            "anyway): use --backend ptrace",
            kExitUsage);
      bpf = true;
      break;
    case RecordBackend::kNotify:
      notify = true;
      if (!privileged)
        res.notices.push_back(
            "no CAP_SYS_ADMIN: the notify backend sets no-new-privileges on the workload "
            "(setuid programs will not gain privileges)");
      break;
    case RecordBackend::kPtrace:
      break;
  }

  // Daemons that double-fork are re-parented to us rather than to init, so that we reap them
  // and never leave a zombie behind; they stay traced either way.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  const std::string path = tracer::resolve_command(opts.argv.at(0));
  const std::string first_exe =
      tracer::join_path(tracer::proc_link(::getpid(), "cwd").value_or("/"), path);
  tracer::LaunchSpec spec{opts.argv, path, true, opts.low_latency, {}};

  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<tracer::Recorder> recorder;
  auto new_recorder = [&](bool observable) {
    recorder = std::make_unique<tracer::Recorder>(first_exe);
    recorder->set_results_observable(observable);
    if (opts.on_progress) recorder->set_progress(opts.on_progress, opts.progress_interval_ms);
  };
  int status = 0;
  bool done = false, fallback = false;
  if (bpf && opts.since && opts.backend == RecordBackend::kAuto) bpf = false;  // ptrace does it
  if (bpf) {
    new_recorder(true);
    try {
      tracer::BpfBackend backend(opts.bpf_buffer_bytes ? opts.bpf_buffer_bytes
                                                       : std::size_t{16} << 20);
      status = backend.run(spec, *recorder);
      done = true;
      res.backend_used = RecordBackend::kBpf;
      refuse_losses(backend, status);
    } catch (const tracer::BpfUnavailable& e) {
      if (opts.backend == RecordBackend::kBpf) throw;
      // Nothing of the workload has run yet: ptrace takes over cleanly.
      res.notices.push_back(std::string(e.what()) + ": recording with ptrace instead");
    }
  }
  if (!done && notify) {
    new_recorder(false);
    if (opts.since) spec.filter = since_filter(*opts.since, SCMP_ACT_NOTIFY);
    try {
      tracer::NotifyBackend backend(!privileged);
      status = backend.run(spec, *recorder);
      done = true;
      res.backend_used = RecordBackend::kNotify;
    } catch (const tracer::NotifyUnavailable& e) {
      // Nothing of the workload has run yet: ptrace can take over cleanly. In syscall mode: a
      // SECCOMP_RET_TRACE filter under someone else's listener would never stop (a notification
      // answered "continue" overrides a trace action).
      res.notices.push_back(std::string(e.what()) + ": recording with ptrace instead");
      fallback = true;
    }
  }
  if (!done) {
    bool seccomp = false;
    switch (fallback ? TraceMode::kSyscall : opts.mode) {
      case TraceMode::kAuto:
        seccomp = privileged;
        if (!seccomp)
          res.notices.push_back(
              "no CAP_SYS_ADMIN: tracing with plain syscall stops (slower) rather than imposing "
              "no-new-privileges on the workload");
        break;
      case TraceMode::kSeccomp:
        if (!privileged)
          throw Error(
              "--mode seccomp needs CAP_SYS_ADMIN: without it the filter would require "
              "no-new-privileges, which changes what setuid programs do (use --mode syscall)",
              kExitTraceFailed);
        seccomp = true;
        break;
      case TraceMode::kSyscall:
        seccomp = false;
        break;
    }
    if (seccomp && !fallback && tracer::seccomp_listener_above()) {
      res.notices.push_back(
          "a seccomp listener is installed above tailor (a container's seccomp agent?): its "
          "answers would hide syscalls from a SECCOMP_RET_TRACE filter, so tracing with plain "
          "syscall stops");
      seccomp = false;
    }
    res.mode_used = seccomp ? TraceMode::kSeccomp : TraceMode::kSyscall;
    res.backend_used = RecordBackend::kPtrace;
    spec.seccomp_filter = seccomp;
    spec.filter.clear();
    if (opts.since) {
      if (seccomp)
        spec.filter = since_filter(*opts.since, SCMP_ACT_TRACE(0));
      else
        res.notices.push_back("--since needs a seccomp filter (root): recording every syscall");
    }
    new_recorder(true);
    tracer::PtraceBackend backend(seccomp);
    status = backend.run(spec, *recorder);
  }
  const auto wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start);

  res.profile = recorder->finish();
  res.profile.resources.wall_seconds = wall.count();
  res.profile.commands.insert(opts.argv);
  res.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return res;
}

}  // namespace tailor
