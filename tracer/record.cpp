// record(): choose how to trace, run the backend with the Recorder as its sink, and return the
// profile with the workload's exit status.
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "proc.h"
#include "ptrace_backend.h"
#include "recorder.h"
#include "tailor/error.h"
#include "tailor/record.h"

namespace tailor {

bool can_filter_without_nnp() {
  // seccomp(2): without no_new_privs the caller needs CAP_SYS_ADMIN in its user namespace.
  auto c = tracer::read_creds(::getpid());
  return c && c->has_cap(CAP_SYS_ADMIN);
}

RecordResult record(const RecordOptions& opts) {
  RecordResult res;
  bool seccomp = false;
  switch (opts.mode) {
    case TraceMode::kAuto:
      seccomp = can_filter_without_nnp();
      if (!seccomp)
        res.notices.push_back(
            "no CAP_SYS_ADMIN: tracing with plain syscall stops (slower) rather than imposing "
            "no-new-privileges on the workload");
      break;
    case TraceMode::kSeccomp:
      if (!can_filter_without_nnp())
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
  res.mode_used = seccomp ? TraceMode::kSeccomp : TraceMode::kSyscall;

  // Daemons that double-fork are re-parented to us rather than to init, so that we reap them
  // and never leave a zombie behind; they stay traced either way.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

  const std::string path = tracer::resolve_command(opts.argv.at(0));
  tracer::Recorder recorder(
      tracer::join_path(tracer::proc_link(::getpid(), "cwd").value_or("/"), path));
  if (opts.on_progress) recorder.set_progress(opts.on_progress, opts.progress_interval_ms);
  tracer::PtraceBackend backend(seccomp);
  tracer::LaunchSpec spec{opts.argv, path, seccomp, opts.low_latency};

  const auto start = std::chrono::steady_clock::now();
  const int status = backend.run(spec, recorder);
  const auto wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start);

  res.profile = recorder.finish();
  res.profile.resources.wall_seconds = wall.count();
  res.profile.commands.insert(opts.argv);
  res.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return res;
}

}  // namespace tailor
