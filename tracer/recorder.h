// The Recorder turns syscall events from any backend into a Profile: it decodes arguments,
// resolves paths, reads tracee memory, runs the capability rules and keeps the evidence.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cap_rules.h"
#include "events.h"
#include "tailor/profile.h"
#include "tailor/record.h"

namespace tailor::tracer {

class Recorder final : public EventSink, private CapEnv {
 public:
  // `first_exe`: what the first process is about to exec (its syscalls before the exec are
  // attributed to it, not to tailor).
  explicit Recorder(std::string first_exe);
  ~Recorder() override;

  Want on_syscall_entry(const SyscallEntry& e) override;
  void on_syscall_exit(pid_t tid, std::int64_t result) override;
  void on_task_start(pid_t tid, pid_t parent) override;
  void on_process_forking(pid_t parent) override;
  void on_exec(pid_t tid, pid_t former_tid) override;
  void on_task_exiting(pid_t tid) override;
  void on_task_exit(pid_t tid, const struct rusage* ru) override;
  void on_tick() override;
  void set_captured(const Captured* c) override;
  void on_counted(const std::string& exe, std::uint32_t arch, std::uint64_t nr,
                  std::uint64_t n) override;
  void name_first_exe(const std::string& path) override;
  void set_view_root(int fd) override;
  void on_fd_in_use(std::int64_t fd) override;
  void on_memory_peak(std::uint64_t kb) override;

  // A backend without exit stops (seccomp user notification) calls this with false before it
  // starts: on_syscall_entry then never asks for a result and predicts it instead.
  void set_results_observable(bool observable);

  // Whether a syscall (libseccomp name on `arch`) must keep reaching the recorder even when a
  // known profile already allows it (record --since): it names files (other than by a mere
  // lookup such as stat or readlink, which no generated policy mediates) or sockets, decides
  // arguments of the seccomp filter (clone, socket, personality), may exercise a capability, or
  // is how backends follow processes (exec, exit).
  static bool needs_arguments(std::uint32_t arch, const std::string& name);

  // What a backend that captures arguments in the kernel (eBPF) must send for a syscall: whether
  // the recorder decodes it at all (otherwise it is only counted), the normalised name, which
  // argument is an fd the process holds, and the path arguments as (path, dirfd or -1) pairs.
  struct ArgPlan {
    bool decoded = false;
    std::string norm;
    int fd_arg = -1;
    std::vector<std::pair<int, int>> paths;
  };
  static ArgPlan arg_plan(std::uint32_t arch, const std::string& name);

  void set_progress(std::function<void(const RecordProgress&)> cb, unsigned interval_ms);
  // Moves the counters into the profile and returns it.
  Profile finish();

  struct Impl;

 private:
  // CapEnv
  std::optional<Creds> creds(pid_t tid) override;
  std::optional<struct stat> stat_path(pid_t tid, const std::string& abs, bool follow) override;
  std::optional<struct stat> stat_fd(pid_t tid, int fd) override;
  bool read_mem(pid_t tid, std::uint64_t addr, void* buf, std::size_t len) override;
  std::optional<std::string> read_string(pid_t tid, std::uint64_t addr) override;
  std::optional<std::string> fd_path(pid_t tid, int fd) override;
  std::optional<int> nice(pid_t pid) override;
  std::optional<rlim_t> limit(pid_t pid, int resource, bool hard) override;

  std::unique_ptr<Impl> impl_;
};

}  // namespace tailor::tracer
