// Recording with eBPF (bpf/record.bpf.c): the workload is never stopped.
//
// The programs count every syscall of the workload in the kernel and send a record only for the
// calls whose arguments make profile facts, with the argument memory, descriptor paths and
// credentials captured there (Captured). A drain thread reads the ring buffer and hands each
// record to the same Recorder the other backends use, in the order the kernel produced them:
// fork before the child's first call, exec before the exec'ing call's exit, exit last. The main
// thread only waits for the workload, as the other backends do, and forwards signals; nothing
// is intercepted, so ^C, SIGSTOP/SIGCONT and exit statuses behave exactly as without tailor.
//
// Nothing is waited for on the workload's side, so nothing may be lost silently either: every
// record the ring buffer had no room for, every count the map had no room for and every path cut
// short is counted in the kernel and reported (losses()), and record() then refuses to write a
// profile. If tailor dies, its programs detach and the watchdog (watchdog.h) kills the workload
// rather than let it run on unrecorded.
#include "bpf_backend.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <malloc.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "launch.h"
#include "proc.h"
#include "recorder.h"
#include "tailor/syscalls.h"
#include "watchdog.h"

#ifdef TAILOR_HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "record.skel.h"
#include "record_bpf.h"
#endif

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

namespace tailor::tracer {

std::string BpfBackend::unavailable_reason() {
#ifndef TAILOR_HAVE_BPF
  return std::string("this tailor was built without the eBPF recorder (") + TAILOR_NO_BPF_REASON +
         ")";
#else
  if (::access("/sys/kernel/btf/vmlinux", R_OK) != 0)
    return "this kernel has no BTF (/sys/kernel/btf/vmlinux)";
  auto c = read_creds(::getpid());
  const bool may =
      c && (c->has_cap(CAP_SYS_ADMIN) || (c->has_cap(CAP_BPF) && c->has_cap(CAP_PERFMON)));
  if (!may) return "loading BPF programs needs root (or CAP_BPF and CAP_PERFMON)";
  return "";
#endif
}

#ifndef TAILOR_HAVE_BPF

int BpfBackend::run(const LaunchSpec&, EventSink&) {
  throw BpfUnavailable(unavailable_reason(), kExitTraceFailed);
}

#else

namespace {

static_assert(sizeof(tl_syscall) % 8 == 0 && sizeof(tl_exec) % 8 == 0 && sizeof(tl_item) == 16 &&
                  sizeof(tl_file) == 32,
              "record_bpf.h must lay out the same in BPF and here");

constexpr std::uint32_t kArchTokens[TL_NARCH] = {SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32};

// libbpf's messages go nowhere unless TAILOR_BPF_DEBUG is set; the last warning is kept for
// the one-line error when loading fails.
std::string g_last_libbpf;
int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list ap) {
  char buf[512];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  if (level <= LIBBPF_WARN) {
    g_last_libbpf = buf;
    while (!g_last_libbpf.empty() && g_last_libbpf.back() == '\n') g_last_libbpf.pop_back();
  }
  if (::getenv("TAILOR_BPF_DEBUG")) std::fputs(buf, stderr);
  return 0;
}

struct SkelDeleter {
  void operator()(record_bpf* s) const { record_bpf__destroy(s); }
};
using Skel = std::unique_ptr<record_bpf, SkelDeleter>;
struct RingDeleter {
  void operator()(ring_buffer* r) const { ring_buffer__free(r); }
};
using Ring = std::unique_ptr<ring_buffer, RingDeleter>;

// The capture spec of one syscall: which of its pointer arguments the kernel copies, from what
// the Recorder decodes (Recorder::arg_plan) and what the capability rules read (cap_rules.cpp).
tl_sysconf plan_for(std::uint32_t arch, const std::string& name) {
  tl_sysconf sc{};
  sc.cond_arg = TL_NO_ARG;
  const auto plan = Recorder::arg_plan(arch, name);
  sc.fd_arg = static_cast<std::int8_t>(plan.fd_arg);
  const std::string& n = plan.norm;
  if (n == "execve" || n == "execveat") sc.flags |= TLS_EXEC;
  // exit/exit_group never return: sent at entry, with the process's memory peak while it still
  // has its memory (the other backends read VmHWM there too).
  if (n == "exit" || n == "exit_group") sc.flags |= TLS_EMIT | TLS_AT_ENTER;
  if (!plan.decoded) return sc;
  sc.flags |= TLS_EMIT;
  int i = 0;
  auto add = [&](std::uint8_t kind, int arg, int aux = TL_NO_ARG, int aux2 = 0,
                 std::uint32_t size = 0) {
    if (i >= TL_NCAP) return;
    sc.cap[i++] = tl_cap{kind, static_cast<std::uint8_t>(arg), static_cast<std::uint8_t>(aux),
                         static_cast<std::uint8_t>(aux2), size};
  };
  for (const auto& [path, dfd] : plan.paths) add(TLC_PATH, path, dfd < 0 ? TL_NO_ARG : dfd);
  if (n == "open" || n == "openat" || n == "openat2" || n == "creat") add(TLC_RETFILE, 0);
  if (n == "openat2") add(TLC_MEM, 2, TL_NO_ARG, 0, 24);  // struct open_how
  if (n == "bind" || n == "connect") add(TLC_MEM_LEN, 1, 2, 0, 128);
  if (n == "sendto") add(TLC_MEM_LEN, 4, 5, 0, 128);
  if (n == "sendmsg" && arch != SCMP_ARCH_X86) add(TLC_MSGHDR, 1);
  if (n == "socketcall") add(TLC_SOCKETCALL, 1);
  if (n == "clone3") add(TLC_MEM, 0, TL_NO_ARG, 0, 8);  // clone_args.flags
  if (n == "mmap") {                                    // only executable mappings are facts
    sc.cond_arg = 2;
    sc.cond_mask = PROT_EXEC;
    add(TLC_FD, 4);
  }
  if (n == "fchdir" || n == "fchown" || n == "fchmod" || n == "fsetxattr") add(TLC_FD, 0);
  if (n == "fchownat" || n == "fchmodat" || n == "fchmodat2" || n == "utimensat")
    add(TLC_FD, 0);  // AT_EMPTY_PATH / NULL path: the dirfd itself
  if (n == "setxattr" || n == "lsetxattr" || n == "fsetxattr") add(TLC_STR, 1);
  if (n == "mount") add(TLC_STR, 2);
  if (n == "setgroups") add(TLC_MEM_LEN, 1, 0, 4, 128);
  if (n == "sethostname" || n == "setdomainname") add(TLC_MEM_LEN, 0, 1, 0, 64);
  if (n == "utimensat") add(TLC_MEM, 2, TL_NO_ARG, 0, 32);
  if (n == "utimes" || n == "utime") add(TLC_MEM, 1, TL_NO_ARG, 0, 32);
  if (n == "futimesat") add(TLC_MEM, 2, TL_NO_ARG, 0, 32);
  if (n == "setrlimit") add(TLC_MEM, 1, TL_NO_ARG, 0, 16);
  if (n == "prlimit64") add(TLC_MEM, 2, TL_NO_ARG, 0, 16);
  // The limits the rules compare with, as they were before the call changed them.
  if (n == "setrlimit" || n == "prlimit64" || n == "setpriority" || n == "nice" ||
      n == "sched_setscheduler" || n == "sched_setattr")
    add(TLC_RLIMITS, 0);
  if (n == "sched_setattr") add(TLC_MEM, 1, TL_NO_ARG, 0, 56);
  if (n == "sched_setscheduler") add(TLC_MEM, 2, TL_NO_ARG, 0, 4);
  if (n == "adjtimex") add(TLC_MEM, 0, TL_NO_ARG, 0, 8);
  if (n == "clock_adjtime") add(TLC_MEM, 1, TL_NO_ARG, 0, 8);
  return sc;
}

struct stat to_stat(const tl_file& f) {
  struct stat st {};
  st.st_mode = f.mode;
  st.st_uid = f.uid;
  st.st_gid = f.gid;
  st.st_ino = f.ino;
  st.st_dev = makedev(f.dev >> 20, f.dev & 0xfffff);  // the kernel's dev_t encoding
  return st;
}

Creds to_creds(const tl_creds& c, pid_t tgid) {
  Creds out;
  out.ruid = c.uid, out.euid = c.euid, out.suid = c.suid, out.fsuid = c.fsuid;
  out.rgid = c.gid, out.egid = c.egid, out.sgid = c.sgid, out.fsgid = c.fsgid;
  out.cap_eff = c.cap_eff, out.cap_prm = c.cap_prm, out.cap_bnd = c.cap_bnd;
  out.groups.assign(c.groups, c.groups + std::min<std::uint32_t>(c.ngroups, TL_MAX_GROUPS));
  out.tgid = tgid;
  return out;
}

// Turns ring-buffer records into EventSink calls (on the drain thread).
class Adapter {
 public:
  Adapter(EventSink& sink, Watchdog& wd, const ContainerWatch& watch, int ignored_fd)
      : sink_(sink), wd_(wd), watch_(watch), ignored_fd_(ignored_fd) {}

  int handle(const void* data, std::size_t size) {
    if (size < sizeof(tl_hdr)) return 0;
    const auto* h = static_cast<const tl_hdr*>(data);
    if (h->size > size) return 0;
    if (watch_.mode == ContainerWatch::Mode::kNewPidNs) {
      // Every container starting on the machine is tracked in the kernel; only the recorded
      // one's records reach the sink. Until it is known whose a namespace is, they wait here.
      // Asked when a namespace is first seen, then by revisit() from the drain loop: not once
      // per record it holds.
      Bucket& b = buckets_[h->ns];
      if (h->type == TL_EV_TRACK && size >= sizeof(tl_track) && !b.seen) {
        const auto* t = static_cast<const tl_track*>(data);
        b.seen = ContainerSeen{h->ns, static_cast<pid_t>(h->tgid), {}};
        for (int i = 0; i < 2; ++i)
          b.seen->cgroups[i].assign(t->cgroup[i], strnlen(t->cgroup[i], TL_CGROUP_NAME));
        decide(h->ns, b, false);
      }
      if (b.verdict == Verdict::kOther) return 0;
      if (b.verdict == Verdict::kUnknown) {
        const auto* bytes = static_cast<const std::uint8_t*>(data);
        b.held.emplace_back(bytes, bytes + h->size);
        return 0;
      }
    }
    dispatch(data, size);
    return 0;
  }

  // Asks again about the containers whose owner was unknown (`final`: the last time; unknown
  // then means not the recorded one).
  void revisit(bool final) {
    for (auto& [ns, b] : buckets_)
      if (b.verdict == Verdict::kUnknown) decide(ns, b, final);
  }

  // Whether the recorded container has started, and how many of its tasks are alive. Read by
  // the main thread while the drain thread writes.
  bool started() const { return started_.load(std::memory_order_acquire); }
  long alive() const { return alive_.load(std::memory_order_acquire); }

 private:
  enum class Verdict { kUnknown, kOurs, kOther };
  struct Bucket {
    Verdict verdict = Verdict::kUnknown;
    std::optional<ContainerSeen> seen;
    std::vector<std::vector<std::uint8_t> > held;
  };

  void decide(std::uint32_t ns, Bucket& b, bool final) {
    std::optional<bool> ours;
    if (b.seen && watch_.is_ours) ours = watch_.is_ours(*b.seen);
    if (!ours && !final) return;
    b.verdict = ours.value_or(false) ? Verdict::kOurs : Verdict::kOther;
    if (b.verdict == Verdict::kOther) {
      const std::uint8_t one = 1;
      bpf_map_update_elem(ignored_fd_, &ns, &one, BPF_ANY);  // its next execs stay untracked
      b.held.clear();
      return;
    }
    auto held = std::move(b.held);
    b.held.clear();
    for (const auto& r : held) dispatch(r.data(), r.size());
  }

  void dispatch(const void* data, std::size_t size) {
    const auto* h = static_cast<const tl_hdr*>(data);
    switch (h->type) {
      case TL_EV_SYSCALL:
        if (size >= sizeof(tl_syscall)) on_syscall(*static_cast<const tl_syscall*>(data), size);
        break;
      case TL_EV_FORK:
        if (size >= sizeof(tl_fork)) on_fork(*static_cast<const tl_fork*>(data));
        break;
      case TL_EV_EXEC:
        if (size >= sizeof(tl_exec)) on_exec(*static_cast<const tl_exec*>(data), size);
        break;
      case TL_EV_EXIT:
        if (size >= sizeof(tl_exit)) on_exit(*static_cast<const tl_exit*>(data));
        break;
      case TL_EV_TRACK:
        if (size >= sizeof(tl_track)) on_track(*static_cast<const tl_track*>(data), size);
        break;
      default:
        break;
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_tick_ > std::chrono::milliseconds(50)) {
      last_tick_ = now;
      sink_.on_tick();
    }
  }

 public:
  // Exec records whose syscall exit never came (it was dropped): reported anyway.
  void finish() {
    for (auto& [tid, ex] : execs_) {
      sink_.set_captured(&ex.cap);
      sink_.on_exec(tid, ex.old_tid);
    }
    execs_.clear();
    sink_.set_captured(nullptr);
  }

  const std::string& exe_path(std::uint32_t id) const {
    static const std::string none;
    if (id == 0 && root_exe_) return *root_exe_;  // a container's first process before its exec
    auto it = exes_.find(id);
    return it == exes_.end() ? none : it->second;
  }
  // Whether the kernel's counts for pid namespace `ns` are the recording's.
  bool counts_for(std::uint32_t ns) const {
    if (watch_.mode != ContainerWatch::Mode::kNewPidNs) return true;
    auto it = buckets_.find(ns);
    return it != buckets_.end() && it->second.verdict == Verdict::kOurs;
  }
  std::uint64_t unreadable_lost() const { return unreadable_lost_; }
  std::uint64_t read_live() const { return read_live_; }

 private:
  struct Exec {
    pid_t old_tid = 0;
    Captured cap;
    std::string filename;
  };

  // Items of a record, into `cap`; returns the executable's name item of an EXEC record.
  std::string parse_items(const std::uint8_t* p, const std::uint8_t* end, Captured& cap,
                          std::int64_t ret, bool ok_call) {
    std::string filename;
    while (p + sizeof(tl_item) <= end) {
      tl_item it;
      std::memcpy(&it, p, sizeof it);
      const std::uint8_t* d = p + sizeof(tl_item);
      const std::size_t len = it.len;
      if (d + len > end) break;
      auto text = [&]() {
        return std::string(reinterpret_cast<const char*>(d), len ? len - 1 : 0);
      };
      switch (it.kind) {
        case TL_IT_MEM:
        case TL_IT_STR:
          if (it.flags & TLI_UNREADABLE) {
            // Not resident when the kernel was done with the call: read it live while the task
            // lives (it rarely rewrites a path it just passed), else it is lost.
            auto live = read_cstring(cap.tid, it.key);
            if (live) {
              ++read_live_;
              cap.mem.emplace_back(it.key, *live + '\0');
            } else if (ok_call) {
              ++unreadable_lost_;
            }
          } else {
            cap.mem.emplace_back(it.key, std::string(reinterpret_cast<const char*>(d), len));
          }
          break;
        case TL_IT_FDPATH:
          cap.fd_paths.emplace_back(static_cast<int>(static_cast<std::int64_t>(it.key)), text());
          break;
        case TL_IT_FILE:
          if (len >= sizeof(tl_file)) {
            tl_file f;
            std::memcpy(&f, d, sizeof f);
            cap.fd_stats.emplace_back(static_cast<int>(it.key), to_stat(f));
          }
          break;
        case TL_IT_RETFILE:
          if (len >= sizeof(tl_file) && static_cast<std::int64_t>(it.key) == ret) {
            tl_file f;
            std::memcpy(&f, d, sizeof f);
            cap.opened = to_stat(f);
            cap.created = f.created != 0;
          }
          break;
        case TL_IT_TCREDS:
          if (len >= sizeof(tl_creds)) {
            tl_creds c;
            std::memcpy(&c, d, sizeof c);
            const auto tgid = static_cast<pid_t>(it.key & 0xffffffffu);
            cap.target = {{static_cast<pid_t>(it.key >> 32), tgid}, to_creds(c, tgid)};
          }
          break;
        case TL_IT_RLIMITS:
          if (len >= 2 * TL_NRLIMITS * sizeof(std::uint64_t)) {
            std::uint64_t v[2 * TL_NRLIMITS];
            std::memcpy(v, d, sizeof v);
            cap.rlimits.resize(TL_NRLIMITS);
            for (int r = 0; r < TL_NRLIMITS; ++r) cap.rlimits[r] = {v[2 * r], v[2 * r + 1]};
          }
          break;
        case TL_IT_EXE:
          cap.exe = text();
          break;
        case TL_IT_FILENAME:
          filename = std::string(reinterpret_cast<const char*>(d), len);  // with its NUL
          break;
        default:
          break;
      }
      p = d + ((len + 7) & ~std::size_t{7});
    }
    return filename;
  }

  void on_syscall(const tl_syscall& ev, std::size_t size) {
    const pid_t tid = static_cast<pid_t>(ev.h.tid);
    Captured cap;
    cap.tid = tid;
    cap.tgid = static_cast<pid_t>(ev.h.tgid);
    cap.creds = to_creds(ev.creds, cap.tgid);
    cap.nice = ev.creds.nice;
    SyscallEntry e;
    e.tid = tid;
    e.arch = ev.arch < TL_NARCH ? kArchTokens[ev.arch] : SCMP_ARCH_X86_64;
    e.nr = ev.nr;
    const std::string& name = syscall_name(e.arch, e.nr);
    const bool is_exec = name == "execve" || name == "execveat";
    const auto* base = reinterpret_cast<const std::uint8_t*>(&ev);
    // A successful exec's arguments were in the old image, gone at exit (see below).
    const std::uint64_t before = unreadable_lost_;
    parse_items(base + sizeof(tl_syscall), base + std::min<std::size_t>(size, ev.h.size), cap,
                ev.ret, ev.ret >= 0 && !(is_exec && ev.ret == 0));
    if (unreadable_lost_ != before && ::getenv("TAILOR_BPF_DEBUG"))
      std::fprintf(stderr, "tailor: bpf: unreadable argument of %s (tid %d)\n", name.c_str(), tid);
    for (int i = 0; i < 6; ++i) e.args[i] = ev.args[i];
    e.counted = true;

    auto ex = execs_.find(tid);
    const bool exec_done = ex != execs_.end() && ev.ret == 0 && is_exec;
    if (ex != execs_.end() && !exec_done) flush_exec(tid);
    if (exec_done) {
      // The old image's memory is gone: the name comes from the kernel's copy (EXEC record).
      Exec x = std::move(ex->second);
      execs_.erase(ex);
      const int parg = name == "execveat" ? 1 : 0;
      std::erase_if(cap.mem, [&](const auto& m) { return m.first == e.args[parg]; });
      if (!x.filename.empty()) cap.mem.emplace_back(e.args[parg], x.filename);
      e.tid = x.old_tid;  // the call was made by the thread that exec'd
      cap.tid = x.old_tid;
      sink_.set_captured(&cap);
      const Want w = sink_.on_syscall_entry(e);
      sink_.set_captured(&x.cap);
      sink_.on_exec(tid, x.old_tid);
      cap.tid = tid;
      sink_.set_captured(&cap);
      if (w == Want::kExit) sink_.on_syscall_exit(tid, 0);
      sink_.set_captured(nullptr);
      return;
    }
    sink_.set_captured(&cap);
    const Want w = sink_.on_syscall_entry(e);
    if (ev.vm_hwm_kb) sink_.on_memory_peak(ev.vm_hwm_kb);
    if (w == Want::kExit) sink_.on_syscall_exit(tid, ev.ret);
    sink_.set_captured(nullptr);
  }

  // A container's task tracked without a tracked parent: its first process (at its exec), or
  // with --container every task of the container (at its first call after the attach).
  void on_track(const tl_track& ev, std::size_t size) {
    const pid_t tid = static_cast<pid_t>(ev.h.tid);
    Captured cap;
    cap.tid = tid;
    cap.tgid = static_cast<pid_t>(ev.h.tgid);
    const auto* base = reinterpret_cast<const std::uint8_t*>(&ev);
    parse_items(base + sizeof(tl_track), base + std::min<std::size_t>(size, ev.h.size), cap, 0,
                true);
    if (!cap.fd_stats.empty()) cap.exe_stat = cap.fd_stats.front().second;
    cap.fd_stats.clear();
    if (cap.exe) {
      exes_[ev.exe_id] = *cap.exe;
      name_root(*cap.exe);
    } else {
      roots_.insert(tid);  // named by its exec
    }
    if (!root_held_) {
      // The container's root, held while it may still be there (a short-lived container can be
      // gone already: its paths are then looked at nowhere rather than on the host).
      root_held_ = true;
      const std::string root = "/proc/" + std::to_string(tid) + "/root";
      sink_.set_view_root(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    }
    sink_.set_captured(&cap);
    sink_.on_task_start(tid, 0);
    sink_.set_captured(nullptr);
    if (watch_.mode != ContainerWatch::Mode::kAttach) wd_.watch(tid);
    alive_.fetch_add(1, std::memory_order_acq_rel);
    started_.store(true, std::memory_order_release);
  }

  // The first container process's image: what it did before its exec is counted under it.
  void name_root(const std::string& exe) {
    if (root_exe_) return;
    root_exe_ = exe;
    sink_.name_first_exe(exe);
  }

  void on_fork(const tl_fork& ev) {
    const pid_t tid = static_cast<pid_t>(ev.h.tid);
    Captured cap;
    cap.tid = tid;
    cap.tgid = static_cast<pid_t>(ev.h.tgid);
    sink_.set_captured(&cap);
    if (!ev.thread) sink_.on_process_forking(static_cast<pid_t>(ev.parent_tid));
    sink_.on_task_start(tid, static_cast<pid_t>(ev.parent_tid));
    sink_.set_captured(nullptr);
    if (!ev.thread && watch_.mode != ContainerWatch::Mode::kAttach) wd_.watch(tid);
    alive_.fetch_add(1, std::memory_order_acq_rel);
  }

  void on_exec(const tl_exec& ev, std::size_t size) {
    const pid_t tid = static_cast<pid_t>(ev.h.tid);
    flush_exec(tid);
    Exec x;
    x.old_tid = static_cast<pid_t>(ev.old_tid);
    x.cap.tid = tid;
    x.cap.tgid = static_cast<pid_t>(ev.h.tgid);
    x.cap.creds = to_creds(ev.creds, x.cap.tgid);
    const auto* base = reinterpret_cast<const std::uint8_t*>(&ev);
    x.filename = parse_items(base + sizeof(tl_exec), base + std::min<std::size_t>(size, ev.h.size),
                             x.cap, 0, true);
    // An EXEC record's one file is the new image (record.bpf.c).
    if (!x.cap.fd_stats.empty()) x.cap.exe_stat = x.cap.fd_stats.front().second;
    x.cap.fd_stats.clear();
    if (x.cap.exe) {
      exes_[ev.exe_id] = *x.cap.exe;
      if (roots_.count(tid) || roots_.count(x.old_tid)) name_root(*x.cap.exe);
    }
    // The old leader's exit (de_thread) said nothing: the pid lives on in the exec'ing thread.
    leader_exits_.erase(static_cast<pid_t>(ev.h.tgid));
    execs_[tid] = std::move(x);
  }

  void on_exit(const tl_exit& ev) {
    const pid_t tid = static_cast<pid_t>(ev.h.tid);
    const pid_t tgid = static_cast<pid_t>(ev.h.tgid);
    alive_.fetch_sub(1, std::memory_order_acq_rel);
    flush_exec(tid);
    if (tid == tgid && !ev.group_dead) {
      // A leader ending before its threads stays a zombie until they are done (ptrace reports
      // it then), or is replaced by a thread that execs.
      leader_exits_.insert(tid);
      return;
    }
    if (ev.group_dead && tid != tgid && leader_exits_.erase(tgid))
      sink_.on_task_exit(tgid, nullptr);
    struct rusage ru {};
    ru.ru_maxrss = static_cast<long>(ev.maxrss_kb);
    sink_.on_task_exit(tid, ev.group_dead ? &ru : nullptr);
  }

  void flush_exec(pid_t tid) {
    auto it = execs_.find(tid);
    if (it == execs_.end()) return;
    sink_.set_captured(&it->second.cap);
    sink_.on_exec(tid, it->second.old_tid);
    sink_.set_captured(nullptr);
    execs_.erase(it);
  }

  EventSink& sink_;
  Watchdog& wd_;
  const ContainerWatch& watch_;
  int ignored_fd_;
  std::unordered_map<std::uint32_t, Bucket> buckets_;  // namespace token -> (kNewPidNs)
  std::unordered_set<pid_t> roots_;                    // tracked by TL_EV_TRACK, before exec
  std::optional<std::string> root_exe_;                // the first of them's image
  bool root_held_ = false;
  std::atomic<bool> started_{false};
  std::atomic<long> alive_{0};
  std::unordered_map<std::uint32_t, std::string> exes_;  // kernel exe id -> path
  std::unordered_map<pid_t, Exec> execs_;                // tid -> exec awaiting its syscall
  std::unordered_set<pid_t> leader_exits_;
  std::uint64_t unreadable_lost_ = 0, read_live_ = 0;
  std::chrono::steady_clock::time_point last_tick_{};
};

int on_record(void* ctx, void* data, std::size_t size) {
  return static_cast<Adapter*>(ctx)->handle(data, size);
}

// What the child reports through its close-on-exec pipe when it cannot exec the workload.
struct ChildFailure {
  int err;
};

[[noreturn]] void child_main(const std::vector<std::string>& argv, const std::string& path,
                             int sync_rd, int err_wr, const sigset_t& orig_mask, bool stdout_null) {
  // Until tailor has armed this process in the kernel (its execve starts the recording).
  char c;
  while (::read(sync_rd, &c, 1) < 0 && errno == EINTR) {
  }
  ::close(sync_rd);
  SignalForwarding::reset_in_child();
  ::sigprocmask(SIG_SETMASK, &orig_mask, nullptr);
  if (stdout_null) {
    const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) ::dup2(null, STDOUT_FILENO);
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execv(path.c_str(), args.data());
  ChildFailure f{errno};
  [[maybe_unused]] auto n = ::write(err_wr, &f, sizeof f);
  ::_exit(f.err == ENOENT ? kExitNotFound : kExitCannotExec);
}

// libbpf reads the kernel's BTF (5-6 MB) into one buffer and copies it into a second before it
// parses it: ~2,800 first touches of fresh 4 KiB pages, at ~14 us each in the VMs tailor is
// measured in (~40 ms, the largest part of start-up). Served from a heap region backed by
// transparent huge pages they cost one fault per 2 MiB instead. Large allocations are kept in the
// heap (not each its own mapping, unmapped when freed) so that they land there.
void huge_pages_for_load() {
  constexpr std::size_t kRegion = std::size_t{32} << 20, kHuge = std::size_t{2} << 20;
  ::mallopt(M_MMAP_THRESHOLD, static_cast<int>(kRegion));
  ::mallopt(M_TRIM_THRESHOLD, static_cast<int>(2 * kRegion));
  void* p = std::malloc(kRegion - 4096);
  if (!p) return;
  const auto b = (reinterpret_cast<std::uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const auto e = (reinterpret_cast<std::uintptr_t>(p) + kRegion - 4096) & ~(kHuge - 1);
  if (e > b) ::madvise(reinterpret_cast<void*>(b), e - b, MADV_HUGEPAGE);
  std::free(p);
}

// After loading: what libbpf freed goes back to the system (~12 MB, before the ring buffer is
// mapped), and large allocations are their own mappings again.
void heap_as_before_load() {
  constexpr int kDefault = 128 << 10;  // glibc's M_MMAP_THRESHOLD and M_TRIM_THRESHOLD
  ::mallopt(M_MMAP_THRESHOLD, kDefault);
  ::mallopt(M_TRIM_THRESHOLD, kDefault);
  ::malloc_trim(0);
}

// The capture spec of every syscall number of every entry point (index arch * TL_NR_MAX + nr).
std::vector<tl_sysconf> sysconf_table() {
  std::vector<tl_sysconf> confs(TL_NARCH * TL_NR_MAX);
  for (std::uint32_t a = 0; a < TL_NARCH; ++a)
    for (std::uint32_t nr = 0; nr < TL_NR_MAX; ++nr) {
      tl_sysconf& sc = confs[a * TL_NR_MAX + nr];
      sc.cond_arg = TL_NO_ARG;
      sc.fd_arg = -1;
      const std::uint64_t knr = nr | (kArchTokens[a] == SCMP_ARCH_X32 ? kX32SyscallBit : 0);
      const std::string& name = syscall_name(kArchTokens[a], knr);
      if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) continue;
      sc = plan_for(kArchTokens[a], name);
    }
  return confs;
}

std::uint64_t sum_stat(int fd, std::uint32_t key, int ncpu, bool max) {
  std::vector<std::uint64_t> v(static_cast<std::size_t>(ncpu));
  if (bpf_map_lookup_elem(fd, &key, v.data()) != 0) return 0;
  std::uint64_t out = 0;
  for (auto x : v) out = max ? std::max(out, x) : out + x;
  return out;
}

}  // namespace

int BpfBackend::run(const LaunchSpec& spec, EventSink& sink) {
  if (spec.argv.empty()) throw Error("no command given (usage: tailor record -- CMD [ARGS...])");
  if (auto why = unavailable_reason(); !why.empty()) throw BpfUnavailable(why, kExitTraceFailed);
  const std::string path = spec.path.empty() ? resolve_command(spec.argv[0]) : spec.path;
  losses_.clear();

  // ---- load and attach: everything that can fail does so before the workload exists --------
  const auto t0 = std::chrono::steady_clock::now();
  // (The process's CPU time beside the clock's: on a busy machine it says what was tailor's own.)
  auto cpu_ms = [] {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  };
  const double cpu0 = cpu_ms();
  auto mark = [&](const char* what) {
    if (::getenv("TAILOR_BPF_DEBUG"))
      std::fprintf(
          stderr, "tailor: bpf: %s at %.1f ms (cpu %.1f ms)\n", what,
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count(),
          cpu_ms() - cpu0);
  };
  libbpf_set_print(libbpf_print);
  // Forked while tailor is small: after loading, its copy of tailor's page tables costs more.
  Watchdog watchdog;
  huge_pages_for_load();
  // The syscall table needs nothing loaded: it is worked out (~7 ms of lookups) while libbpf
  // loads. (A jthread: joined on every way out.)
  std::vector<tl_sysconf> confs;
  std::exception_ptr table_error;
  std::jthread table([&] {
    try {
      confs = sysconf_table();
    } catch (...) {
      table_error = std::current_exception();
    }
  });
  Skel skel(record_bpf__open());
  if (!skel) throw BpfUnavailable("cannot open the eBPF recorder", kExitTraceFailed);
  mark("opened");
  const int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) throw BpfUnavailable("cannot count the CPUs", kExitTraceFailed);
  bpf_map__set_max_entries(skel->maps.scratches, static_cast<std::uint32_t>(ncpu));
  std::size_t ring = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  while (ring < ring_bytes_) ring <<= 1;
  bpf_map__set_max_entries(skel->maps.events, static_cast<std::uint32_t>(ring));
  skel->rodata->wakeup_bytes = std::min<std::uint64_t>(256 << 10, ring / 4);
  using Mode = ContainerWatch::Mode;
  skel->rodata->ct_mode = watch_.mode == Mode::kDescendants ? TL_CT_DESCENDANTS
                          : watch_.mode == Mode::kNewPidNs ? TL_CT_NEW_PIDNS
                          : watch_.mode == Mode::kAttach ? TL_CT_ATTACH
                                                         : TL_CT_NONE;
  skel->rodata->host_level = pid_ns_level(::getpid());
  skel->rodata->attach_ns = watch_.attach_ns;
  container_seen_ = timed_out_ = false;
  // Creating the ring buffer (its 16 MiB of pages) and the tables is kernel work (~15 ms) that
  // needs nothing libbpf does first: done on another thread while libbpf parses the kernel's
  // BTF here, and handed to libbpf. (Made without BTF for their keys and values, which only
  // bpftool's pretty-printing reads.)
  struct Premade {
    bpf_map* map;
    bpf_map_type type;
    std::string name;
    std::uint32_t key, value, entries, flags;
    Fd fd;
  };
  std::vector<Premade> premade;
  for (bpf_map* m : {skel->maps.events, skel->maps.counts, skel->maps.exe_ids, skel->maps.sysconf})
    premade.push_back({m, bpf_map__type(m), bpf_map__name(m), bpf_map__key_size(m),
                       bpf_map__value_size(m), bpf_map__max_entries(m), bpf_map__map_flags(m),
                       Fd()});
  {
    std::jthread maker([&] {
      for (auto& p : premade) {
        LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = p.flags);
        p.fd = Fd(bpf_map_create(p.type, p.name.c_str(), p.key, p.value, p.entries, &opts));
      }
    });
    // Setting an attach target parses the kernel's BTF now, not first thing in
    // record_bpf__load(). (A failure shows again, and is reported, there.)
    bpf_program__set_attach_target(skel->progs.sys_enter, 0, "sys_enter");
  }
  mark("kernel BTF parsed, maps made");
  for (auto& p : premade)
    if (p.fd.get() >= 0) bpf_map__reuse_fd(p.map, p.fd.get());  // (libbpf keeps a copy)
  if (int rc = record_bpf__load(skel.get()); rc != 0)
    throw BpfUnavailable("cannot load the eBPF recorder: " +
                             (g_last_libbpf.empty() ? std::strerror(-rc) : g_last_libbpf),
                         kExitTraceFailed);
  heap_as_before_load();
  mark("loaded");
  if (::getenv("TAILOR_BPF_DEBUG")) {
    bpf_program* prog;
    bpf_object__for_each_program(prog, skel->obj) {
      bpf_prog_info info{};
      std::uint32_t len = sizeof info;
      if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0)
        std::fprintf(stderr, "tailor: bpf: %s: %u instructions verified\n", bpf_program__name(prog),
                     info.verified_insns);
    }
  }
  table.join();
  if (table_error) std::rethrow_exception(table_error);
  // The whole table in one batch update (3,072 single updates cost ~10 ms of start-up).
  std::vector<std::uint32_t> keys(confs.size());
  for (std::uint32_t idx = 0; idx < keys.size(); ++idx) keys[idx] = idx;
  std::uint32_t count = static_cast<std::uint32_t>(keys.size());
  if (bpf_map_update_batch(bpf_map__fd(skel->maps.sysconf), keys.data(), confs.data(), &count,
                           nullptr) != 0)
    throw BpfUnavailable(std::string("cannot configure the eBPF recorder: ") + std::strerror(errno),
                         kExitTraceFailed);
  mark("configured");
  std::vector<std::unique_ptr<bpf_link, int (*)(bpf_link*)> > links;
  for (bpf_program* prog :
       {skel->progs.sys_enter, skel->progs.sys_exit, skel->progs.sched_process_fork,
        skel->progs.sched_process_exec, skel->progs.sched_process_exit}) {
    bpf_link* l = bpf_program__attach(prog);
    if (!l)
      throw BpfUnavailable(std::string("this kernel refuses the eBPF recorder's tracepoint ") +
                               bpf_program__name(prog) + ": " +
                               (g_last_libbpf.empty() ? std::strerror(errno) : g_last_libbpf),
                           kExitTraceFailed);
    links.emplace_back(l, bpf_link__destroy);
  }
  // Optional: without it, kill()'s target is looked at when the record is read.
  if (bpf_link* l = bpf_program__attach(skel->progs.signal_generate))
    links.emplace_back(l, bpf_link__destroy);

  mark("attached");
  Adapter adapter(sink, watchdog, watch_, bpf_map__fd(skel->maps.ignored_ns));
  Ring rb(ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, &adapter, nullptr));
  if (!rb) throw BpfUnavailable("cannot open the eBPF ring buffer", kExitTraceFailed);

  // ---- start the workload, armed ---------------------------------------------------------
  int sync_pipe[2], err_pipe[2];
  if (::pipe2(sync_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw Error(std::string("pipe: ") + std::strerror(errno), kExitTraceFailed);
  Fd sync_rd(sync_pipe[0]), sync_wr(sync_pipe[1]), err_rd(err_pipe[0]), err_wr(err_pipe[1]);

  SignalForwarding forwarding;
  ForwardedSignalsBlocked blocked;

  const pid_t child = ::fork();
  if (child < 0) throw Error(std::string("fork: ") + std::strerror(errno), kExitTraceFailed);
  if (child == 0) {
    sync_wr.release();
    ::close(sync_pipe[1]);
    ::close(err_pipe[0]);
    child_main(spec.argv, path, sync_pipe[0], err_pipe[1], blocked.original(), spec.stdout_null);
  }
  ChildGuard guard(child);
  sync_rd.reset();
  err_wr.reset();
  {
    Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, child, 0)));
    if (pidfd.get() < 0)
      throw BpfUnavailable(std::string("pidfd_open: ") + std::strerror(errno), kExitTraceFailed);
    // struct task_state (record.bpf.c) starts with its state; the rest is zero (exe id 0: the
    // first process before its exec). An engine's command is only watched for the container it
    // starts; a daemon's (Docker) or the attach helper is not marked at all.
    std::vector<std::uint8_t> value(bpf_map__value_size(skel->maps.tasks), 0);
    const std::uint32_t armed = watch_.mode == Mode::kDescendants ? TL_TASK_WATCHED : TL_TASK_ARMED;
    std::memcpy(value.data(), &armed, sizeof armed);
    const int key = pidfd.get();
    if ((watch_.mode == Mode::kNone || watch_.mode == Mode::kDescendants) &&
        bpf_map_update_elem(bpf_map__fd(skel->maps.tasks), &key, value.data(), BPF_NOEXIST) != 0)
      throw BpfUnavailable(
          std::string("cannot mark the workload for the eBPF recorder: ") + std::strerror(errno),
          kExitTraceFailed);
  }
  watchdog.watch(child);
  if (watch_.mode == Mode::kNone) {
    Captured first;
    first.tid = first.tgid = child;
    sink.set_captured(&first);
    sink.on_task_start(child, 0);
    sink.set_captured(nullptr);
  }

  // The drain thread owns the sink from here until it is joined. It sleeps in its own epoll set
  // holding the ring buffer's and an eventfd that ends it at once when the workload is done.
  Fd wake(::eventfd(0, EFD_CLOEXEC));
  Fd ep(::epoll_create1(EPOLL_CLOEXEC));
  for (int fd : {ring_buffer__epoll_fd(rb.get()), wake.get()}) {
    struct epoll_event ev {};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (fd < 0 || ep.get() < 0 || ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
      throw BpfUnavailable(std::string("epoll: ") + std::strerror(errno), kExitTraceFailed);
  }
  std::atomic<bool> stop{false};
  std::thread drain([&] {
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, nullptr);  // signals are the main thread's
    for (;;) {
      struct epoll_event evs[2];
      // Records arrive without wake-ups until a quarter MiB waits (record.bpf.c): look often.
      const int n = ::epoll_wait(ep.get(), evs, 2, 5);
      if (n < 0 && errno != EINTR) break;
      ring_buffer__consume(rb.get());
      adapter.revisit(false);
      if (stop.load(std::memory_order_acquire)) break;
    }
    ring_buffer__consume(rb.get());
  });
  auto end_drain = [&] {
    stop.store(true, std::memory_order_release);
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake.get(), &one, sizeof one);
    if (drain.joinable()) drain.join();
  };
  struct Joiner {
    decltype(end_drain)& end;
    ~Joiner() { end(); }
  } joiner{end_drain};

  SignalForwarding::forward_to(child);
  blocked.release();  // pending signals go to the workload now
  sync_wr.reset();    // lets the child exec

  // --duration: the command (the attach helper) is stopped when it ends. (The jthread is
  // stopped and joined on every way out; its wait ends early then.)
  std::jthread timer;
  if (watch_.duration.count() > 0)
    timer = std::jthread([&, child](std::stop_token st) {
      std::mutex mu;
      std::condition_variable_any cv;
      std::unique_lock lk(mu);
      if (!cv.wait_for(lk, st, watch_.duration, [] { return false; }) && !st.stop_requested()) {
        timed_out_ = true;
        ::kill(child, SIGTERM);
      }
    });

  int main_status = 0;
  bool main_done = false;
  for (;;) {
    int status = 0;
    const pid_t pid = ::wait4(-1, &status, __WALL, nullptr);
    if (pid < 0) {
      if (errno == EINTR) continue;
      if (errno == ECHILD) break;
      throw Error(std::string("wait4: ") + std::strerror(errno), kExitTraceFailed);
    }
    if (pid == child && (WIFEXITED(status) || WIFSIGNALED(status))) {
      main_status = status;
      main_done = true;
      guard.release();
      SignalForwarding::forward_to(0);
    }
  }
  if (watch_.mode == Mode::kNewPidNs) {
    // The container is the daemon's child, not ours: its end is known from the kernel's records.
    // A detached run (`docker run -d`) has returned once the runtime started it (its first exec
    // may still be on its way); one that failed never starts it.
    const bool ok = main_done && WIFEXITED(main_status) && WEXITSTATUS(main_status) == 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (adapter.started() ? adapter.alive() > 0
                             : ok && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Every task of the workload has exited, so every record it made is in the ring buffer.
  mark("workload done");
  end_drain();
  adapter.revisit(true);
  adapter.finish();
  container_seen_ = adapter.started();
  mark("drained");

  // ---- what the kernel counted, and what it could not keep --------------------------------
  const int counts_fd = bpf_map__fd(skel->maps.counts);
  tl_count_key key{}, next{};
  std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(ncpu));
  bool first = true;
  while (bpf_map_get_next_key(counts_fd, first ? nullptr : &key, &next) == 0) {
    first = false;
    key = next;
    if (bpf_map_lookup_elem(counts_fd, &key, per_cpu.data()) != 0) continue;
    std::uint64_t n = 0;
    for (auto v : per_cpu) n += v;
    if (n == 0 || key.arch >= TL_NARCH || !adapter.counts_for(key.ns)) continue;
    const std::uint32_t arch = kArchTokens[key.arch];
    const std::uint64_t nr = key.nr | (arch == SCMP_ARCH_X32 ? kX32SyscallBit : 0);
    sink.on_counted(adapter.exe_path(key.exe_id), arch, nr, n);
  }
  const int stats_fd = bpf_map__fd(skel->maps.stats);
  if (auto fd = sum_stat(stats_fd, TL_ST_MAX_FD, ncpu, true))
    sink.on_fd_in_use(static_cast<std::int64_t>(fd));
  auto lost = [&](std::uint32_t which, const char* what) {
    if (auto n = sum_stat(stats_fd, which, ncpu, false))
      losses_.push_back(std::to_string(n) + " " + what);
  };
  lost(TL_ST_DROP_SYSCALL, "syscall records (arguments of file, socket and process calls)");
  lost(TL_ST_DROP_FORK, "fork records");
  lost(TL_ST_DROP_EXEC, "exec records");
  lost(TL_ST_DROP_EXIT, "exit records");
  lost(TL_ST_DROP_COUNT, "syscall counts (the count map was full)");
  lost(TL_ST_TRUNCATED, "paths cut short (deeper than the kernel-side walk)");
  lost(TL_ST_NO_STORAGE, "tasks that could not be tracked");
  if (adapter.unreadable_lost())
    losses_.push_back(std::to_string(adapter.unreadable_lost()) +
                      " arguments of successful calls that could not be read");
  for (bpf_program* prog :
       {skel->progs.sys_enter, skel->progs.sys_exit, skel->progs.sched_process_fork,
        skel->progs.sched_process_exec, skel->progs.sched_process_exit}) {
    bpf_prog_info info{};
    std::uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0 && info.recursion_misses)
      losses_.push_back(std::to_string(info.recursion_misses) + " events of " +
                        bpf_program__name(prog) + " the kernel did not run the program for");
  }

  ChildFailure f{};
  ssize_t got;
  while ((got = ::read(err_rd.get(), &f, sizeof f)) < 0 && errno == EINTR) {
  }
  if (got == static_cast<ssize_t>(sizeof f))
    throw Error(path + ": " + std::strerror(f.err),
                f.err == ENOENT ? kExitNotFound : kExitCannotExec);
  if (!main_done) throw Error("lost track of the workload", kExitTraceFailed);
  return main_status;
}

#endif  // TAILOR_HAVE_BPF

}  // namespace tailor::tracer
