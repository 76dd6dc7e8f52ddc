// `tailor record`: run a command under tracing and build the Profile of what it needed.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tailor/profile.h"

namespace tailor {

enum class TraceMode {
  kAuto,     // seccomp if tailor may install a filter without no-new-privileges, else syscall
  kSeccomp,  // SECCOMP_RET_TRACE filter installed before exec: one stop per syscall
  kSyscall,  // plain PTRACE_SYSCALL entry/exit stops: twice the stops, no filter, no NNP
};

// How syscalls reach tailor.
enum class RecordBackend {
  kAuto,    // bpf where tailor may load BPF programs on a kernel with BTF, else ptrace
  kPtrace,  // ptrace, in the TraceMode chosen
  kNotify,  // seccomp user notification (SECCOMP_RET_USER_NOTIF), no ptrace at all
  kBpf,     // eBPF programs on the syscall and scheduler tracepoints: the workload never stops
};

// Live counters for a progress line. The tracer only counts; the CLI formats.
struct RecordProgress {
  std::uint64_t processes = 0;  // processes seen so far
  std::uint64_t alive = 0;      // tasks alive now
  std::uint64_t syscalls = 0;   // syscalls seen so far
  std::uint64_t distinct = 0;   // distinct (arch, syscall) pairs
};

// Recording a container instead of a command (needs the eBPF backend).
struct ContainerOptions {
  // An engine run command in argv (`docker run …`, `podman run …`, `runc`/`crun run …`) records
  // the container it starts, not the engine. False: record the engine command like any other.
  bool from_command = true;
  // --container NAME|ID: attach to this running container instead of running argv.
  std::string attach;
  // With attach: the engine command (and its global options) to ask; empty: docker, then podman.
  std::vector<std::string> engine;
  double duration_seconds = 0;  // with attach: stop recording after this long (0: never)
};

struct RecordOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH like execvp
  ContainerOptions container;
  TraceMode mode = TraceMode::kAuto;  // for the ptrace backend
  RecordBackend backend = RecordBackend::kAuto;
  // Record only what is new against this profile: syscalls it already has (per arch) are
  // allowed in the kernel and never reach tailor, except those whose arguments the profile's
  // files, sockets, capabilities or argument filters come from. May be null.
  const Profile* since = nullptr;
  // Keep CPUs out of deep idle states while recording (PM QoS, /dev/cpu_dma_latency; root
  // only). Makes ptrace stops several times cheaper on machines whose idle CPUs halt.
  bool low_latency = true;
  // Called from the tracer loop at most every `progress_interval_ms`; may be empty.
  std::function<void(const RecordProgress&)> on_progress;
  unsigned progress_interval_ms = 200;
  // The eBPF backend's ring buffer in bytes (0: its default). Tests make it tiny to force drops.
  std::size_t bpf_buffer_bytes = 0;
};

struct RecordResult {
  Profile profile;
  int exit_status = 0;  // shell convention: code, or 128+N if killed by signal N
  TraceMode mode_used = TraceMode::kSeccomp;  // when backend_used is kPtrace
  RecordBackend backend_used = RecordBackend::kPtrace;
  std::vector<std::string> notices;  // one-line remarks for the user (e.g. why a mode was chosen)
  bool container = false;            // a container was recorded (profile.containers names it)
};

// Runs opts.argv to completion (and every process it starts), forwarding signals sent to
// tailor. Throws tailor::Error if the command cannot be started or tracing cannot be set up.
RecordResult record(const RecordOptions& opts);

// Whether this process may install a seccomp filter without no-new-privileges
// (CAP_SYS_ADMIN in its user namespace), which kAuto uses to choose kSeccomp.
bool can_filter_without_nnp();

}  // namespace tailor
