// Recording through seccomp user notification.
//
// Every syscall the filter asks about arrives here at entry with its arguments; the Recorder
// decodes it (reading pointer arguments with process_vm_readv, which needs no ptrace
// attachment) and the syscall is let through unchanged with SECCOMP_USER_NOTIF_FLAG_CONTINUE.
// A notification is cheaper than a ptrace stop (no signal-stop machinery, no register dump) and
// the workload may itself be traced by a debugger or strace.
//
// What ptrace reports as events has to be inferred here:
// - a task is new when it first makes a syscall;
// - an execve succeeded when the process's image changed by its next syscall (its executable,
//   or where its code and stack were mapped, which exec always re-randomises);
// - a thread ends at exit, a process at exit_group (notified while it is still whole, so its
//   memory peak is read there), or when tailor reaps it.
#include "notify_backend.h"

#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "launch.h"
#include "notify.h"
#include "proc.h"
#include "tailor/syscalls.h"

namespace tailor::tracer {

namespace {

// Identity of a process image: changes on every successful execve.
struct Image {
  dev_t dev = 0;
  ino_t ino = 0;
  unsigned long long start_code = 0, start_stack = 0;
  bool operator==(const Image&) const = default;
};

std::optional<Image> read_image(pid_t pid) {
  Image im;
  struct stat st;
  const std::string base = "/proc/" + std::to_string(pid);
  if (::stat((base + "/exe").c_str(), &st) == 0) {
    im.dev = st.st_dev;
    im.ino = st.st_ino;
  }
  std::ifstream in(base + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  // Fields from 3 (state); startcode is 26, startstack 28.
  std::string f;
  for (int i = 3; i <= 28 && fields >> f; ++i) {
    if (i == 26) im.start_code = std::stoull(f);
    if (i == 28) im.start_stack = std::stoull(f);
  }
  return im;
}

enum class Special : std::uint8_t { kNone, kExec, kExit, kExitGroup, kFork, kClone, kClone3 };

class Adapter final : public NotifyHandler {
 public:
  explicit Adapter(EventSink& sink) : sink_(sink) {}

  void on_started(pid_t first) override {
    tgid_of_[first] = first;
    threads_[first].push_back(first);
    sink_.on_task_start(first, 0);
  }

  NotifyReply on_notification(const Notification& n) override {
    if (n.pid <= 0) return NotifyReply::go_on();  // a task outside tailor's pid namespace
    const pid_t tgid = task(n.pid);
    if (!exec_watch_.empty()) check_exec(n.pid, tgid);

    SyscallEntry e;
    e.tid = n.pid;
    e.nr = static_cast<std::uint32_t>(n.nr);
    e.arch = effective_arch(n.arch, e.nr);
    e.args = n.args;
    sink_.on_syscall_entry(e);

    switch (special(e.arch, e.nr)) {
      case Special::kExec:
        if (auto im = read_image(tgid)) exec_watch_[tgid] = {n.pid, *im};
        break;
      case Special::kExitGroup:
        sink_.on_task_exiting(tgid);  // the whole process is still there
        break;
      case Special::kFork:
        sink_.on_process_forking(n.pid);
        break;
      case Special::kClone:
        if (!(e.args[0] & CLONE_THREAD)) sink_.on_process_forking(n.pid);
        break;
      case Special::kClone3: {
        std::uint64_t flags = 0;
        if (read_mem(n.pid, e.args[0], &flags, sizeof flags) && !(flags & CLONE_THREAD))
          sink_.on_process_forking(n.pid);
        break;
      }
      default:
        break;
    }
    return NotifyReply::go_on();
  }

  void after_reply(const Notification& n, const NotifyReply&) override {
    if (n.pid <= 0) return;
    const std::uint32_t nr = static_cast<std::uint32_t>(n.nr);
    switch (special(effective_arch(n.arch, nr), nr)) {
      case Special::kExit:
        if (n.pid == tgid_of_[n.pid]) sink_.on_task_exiting(n.pid);
        gone(n.pid);
        break;
      case Special::kExitGroup:
        process_gone(tgid_of_[n.pid]);
        break;
      default:
        break;
    }
  }

  void on_reaped(pid_t pid, int) override { process_gone(pid); }
  void on_tick() override { sink_.on_tick(); }

 private:
  struct Watch {
    pid_t tid;
    Image before;
  };

  pid_t task(pid_t tid) {
    auto it = tgid_of_.find(tid);
    if (it != tgid_of_.end()) return it->second;
    pid_t tgid = read_tgid(tid);
    if (tgid <= 0) tgid = tid;
    tgid_of_[tid] = tgid;
    threads_[tgid].push_back(tid);
    sink_.on_task_start(tid, 0);
    return tgid;
  }

  // The first syscall after an execve tells whether it worked: the image changed (success; a
  // thread that was not the leader now has the leader's pid and the other threads are gone),
  // or the exec'ing thread is still running the old one (failure).
  void check_exec(pid_t tid, pid_t tgid) {
    auto w = exec_watch_.find(tgid);
    if (w == exec_watch_.end()) return;
    auto now = read_image(tgid);
    if (now && *now == w->second.before) {
      if (tid == w->second.tid) exec_watch_.erase(w);  // the exec failed
      return;
    }
    const pid_t former = w->second.tid;
    exec_watch_.erase(w);
    auto& threads = threads_[tgid];
    for (pid_t t : std::vector<pid_t>(threads))
      if (t != tgid && t != former) gone(t);
    if (former != tgid) {
      tgid_of_.erase(former);
      auto& v = threads_[tgid];
      std::erase(v, former);
    }
    if (tgid_of_.find(tgid) == tgid_of_.end()) {
      tgid_of_[tgid] = tgid;
      threads_[tgid].push_back(tgid);
    }
    sink_.on_exec(tgid, former);
  }

  void gone(pid_t tid) {
    auto it = tgid_of_.find(tid);
    if (it == tgid_of_.end()) return;
    auto& v = threads_[it->second];
    std::erase(v, tid);
    if (v.empty()) threads_.erase(it->second);
    tgid_of_.erase(it);
    sink_.on_task_exit(tid, nullptr);
  }

  void process_gone(pid_t tgid) {
    auto it = threads_.find(tgid);
    if (it == threads_.end()) return;
    for (pid_t t : std::vector<pid_t>(it->second)) gone(t);
    exec_watch_.erase(tgid);
  }

  Special special(std::uint32_t arch, std::uint64_t nr) {
    const std::uint64_t key = (static_cast<std::uint64_t>(arch) << 32) | (nr & 0xffffffffu);
    auto it = special_.find(key);
    if (it != special_.end()) return it->second;
    const std::string name = syscall_name(arch, nr);
    Special s = Special::kNone;
    if (name == "execve" || name == "execveat") s = Special::kExec;
    if (name == "exit") s = Special::kExit;
    if (name == "exit_group") s = Special::kExitGroup;
    if (name == "fork" || name == "vfork") s = Special::kFork;
    if (name == "clone") s = Special::kClone;
    if (name == "clone3") s = Special::kClone3;
    special_.emplace(key, s);
    return s;
  }

  EventSink& sink_;
  std::unordered_map<pid_t, pid_t> tgid_of_;               // tid -> tgid, live tasks
  std::unordered_map<pid_t, std::vector<pid_t>> threads_;  // tgid -> tids
  std::unordered_map<pid_t, Watch> exec_watch_;            // tgid -> exec in flight
  std::unordered_map<std::uint64_t, Special> special_;
};

}  // namespace

int NotifyBackend::run(const LaunchSpec& spec, EventSink& sink) {
  NotifyLaunch launch;
  launch.argv = spec.argv;
  launch.path = spec.path.empty() ? resolve_command(spec.argv.at(0)) : spec.path;
  launch.bpf = spec.filter.empty() ? notify_everything_filter() : spec.filter;
  launch.no_new_privs = no_new_privs_;
  launch.low_latency = spec.low_latency;
  Adapter adapter(sink);
  return run_notified(launch, adapter);
}

}  // namespace tailor::tracer
