// `tailor run` (see include/tailor/run.h).
//
// The profile is compiled once, by the same libseccomp code `generate` is checked with, into the
// program a runtime would load. tailor loads that program with only its return values changed:
// every RET whose action tailor wants to see (ERRNO and LOG when enforcing; every non-allow
// action in complain mode) becomes SECCOMP_RET_USER_NOTIF. Which syscalls reach tailor is
// therefore decided by exactly the comparisons the profile compiles to, and everything it allows
// stays in the kernel.
//
// A notification does not say which RET sent it. tailor runs the unmodified program on the
// notification's seccomp_data (nr, arch, ip, args: all a seccomp filter can look at) in a small
// classic-BPF interpreter, which gives the exact action and errno the kernel would have applied —
// including libseccomp's handling of overlapping rules, argument comparisons and foreign arches,
// which re-deriving from the JSON rules could only approximate.
//
// Default or rule? The action alone does not say whether a call was denied because the profile
// never listed it (its default: a violation) or because a rule the author wrote answers it on
// purpose (tailor's own clone3 -> ENOSYS, which makes glibc fall back to clone; moby's rules):
// both compile to the same RET. So the profile is compiled a second time with its default and
// bad-arch actions replaced by two marker values no rule uses, and that program is run on the
// same seccomp_data: a marker means the default (or a missing arch) decided, anything else
// means a rule matched — with libseccomp's own precedence, and including rules that repeat the
// default's action, which the real filter drops as redundant but the author still wrote.
//
// Capabilities. A workload started with fewer capabilities than its recording needed fails in
// calls seccomp allows (setgid: EPERM), which the report above never sees. When tailor has the
// recording, the calls through which it exercised a capability this run withholds are sent to
// tailor too (every RET ALLOW jumps to a small second program that asks about just those), and
// the capability rules `record` uses say whether this call needs a capability the task lacks.
// Nothing else changes: with every recorded capability granted, no extra call reaches tailor.
#include "tailor/run.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "cap_rules.h"
#include "launch.h"
#include "notify.h"
#include "proc.h"
#include "tailor/capabilities.h"
#include "tailor/error.h"
#include "tailor/syscalls.h"

namespace tailor {

namespace {

// The kernel's SECCOMP_RET_* action values (linux/seccomp.h) by profile name.
struct ActionInfo {
  std::uint32_t value;
  const char* name;
  const char* label;  // the summary's column: what happens to the call
};
constexpr std::array kActionInfo = {
    ActionInfo{SECCOMP_RET_ALLOW, "SCMP_ACT_ALLOW", "allowed"},
    ActionInfo{SECCOMP_RET_ERRNO, "SCMP_ACT_ERRNO", "errno"},
    ActionInfo{SECCOMP_RET_KILL_THREAD, "SCMP_ACT_KILL_THREAD", "KILL_THREAD"},
    ActionInfo{SECCOMP_RET_KILL_PROCESS, "SCMP_ACT_KILL_PROCESS", "KILL_PROCESS"},
    ActionInfo{SECCOMP_RET_TRAP, "SCMP_ACT_TRAP", "TRAP (SIGSYS)"},
    ActionInfo{SECCOMP_RET_TRACE, "SCMP_ACT_TRACE", "TRACE"},
    ActionInfo{SECCOMP_RET_LOG, "SCMP_ACT_LOG", "logged"},
    ActionInfo{SECCOMP_RET_USER_NOTIF, "SCMP_ACT_NOTIFY", "NOTIFY (agent)"},
};

const ActionInfo* action_info(std::uint32_t action) {
  for (const auto& a : kActionInfo)
    if (a.value == action) return &a;
  return nullptr;
}

std::string action_name(std::uint32_t action) {
  const ActionInfo* a = action_info(action);
  return a ? a->name : "SECCOMP_RET_" + std::to_string(action);
}

// Profiles spell SCMP_ACT_KILL for KILL_THREAD (the kernel's historic SECCOMP_RET_KILL).
std::string canonical_action(const std::string& name) {
  return name == "SCMP_ACT_KILL" ? "SCMP_ACT_KILL_THREAD" : name;
}

constexpr int kMaxErrno = 4095;  // the kernel clamps SECCOMP_RET_ERRNO data to MAX_ERRNO

// ---- classic BPF ------------------------------------------------------------------------------

std::vector<struct sock_filter> to_program(const std::vector<unsigned char>& bytes) {
  if (bytes.empty() || bytes.size() % sizeof(struct sock_filter) != 0)
    throw Error("run: libseccomp produced a malformed filter", kExitTraceFailed);
  std::vector<struct sock_filter> prog(bytes.size() / sizeof(struct sock_filter));
  std::memcpy(prog.data(), bytes.data(), bytes.size());
  return prog;
}

// Runs a seccomp filter the way the kernel does (the opcodes seccomp_check_filter admits),
// on one syscall's seccomp_data. The program came from libseccomp and was accepted by the
// kernel, so malformed input only has to end safely: it yields KILL_THREAD, as the kernel
// would for a filter that falls off its end.
std::uint32_t run_program(const std::vector<struct sock_filter>& prog,
                          const struct seccomp_data& d) {
  std::uint32_t A = 0, X = 0;
  std::array<std::uint32_t, BPF_MEMWORDS> M{};
  const auto* data = reinterpret_cast<const unsigned char*>(&d);
  constexpr std::uint32_t kBad = SECCOMP_RET_KILL_THREAD;
  for (std::size_t pc = 0; pc < prog.size(); ++pc) {
    const struct sock_filter& f = prog[pc];
    const std::uint32_t k = f.k;
    auto jump = [&](bool cond) { pc += cond ? f.jt : f.jf; };
    switch (f.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (k % 4 != 0 || k + 4 > sizeof d) return kBad;
        std::memcpy(&A, data + k, 4);
        break;
      case BPF_LD | BPF_W | BPF_LEN:
        A = sizeof d;
        break;
      case BPF_LDX | BPF_W | BPF_LEN:
        X = sizeof d;
        break;
      case BPF_LD | BPF_IMM:
        A = k;
        break;
      case BPF_LDX | BPF_IMM:
        X = k;
        break;
      case BPF_LD | BPF_MEM:
        if (k >= M.size()) return kBad;
        A = M[k];
        break;
      case BPF_LDX | BPF_MEM:
        if (k >= M.size()) return kBad;
        X = M[k];
        break;
      case BPF_ST:
        if (k >= M.size()) return kBad;
        M[k] = A;
        break;
      case BPF_STX:
        if (k >= M.size()) return kBad;
        M[k] = X;
        break;
      case BPF_MISC | BPF_TAX:
        X = A;
        break;
      case BPF_MISC | BPF_TXA:
        A = X;
        break;
      case BPF_RET | BPF_K:
        return k;
      case BPF_RET | BPF_A:
        return A;
      case BPF_JMP | BPF_JA:
        pc += k;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        jump(A == k);
        break;
      case BPF_JMP | BPF_JEQ | BPF_X:
        jump(A == X);
        break;
      case BPF_JMP | BPF_JGT | BPF_K:
        jump(A > k);
        break;
      case BPF_JMP | BPF_JGT | BPF_X:
        jump(A > X);
        break;
      case BPF_JMP | BPF_JGE | BPF_K:
        jump(A >= k);
        break;
      case BPF_JMP | BPF_JGE | BPF_X:
        jump(A >= X);
        break;
      case BPF_JMP | BPF_JSET | BPF_K:
        jump((A & k) != 0);
        break;
      case BPF_JMP | BPF_JSET | BPF_X:
        jump((A & X) != 0);
        break;
      case BPF_ALU | BPF_NEG:
        A = 0u - A;
        break;
      default: {
        if (BPF_CLASS(f.code) != BPF_ALU) return kBad;
        const std::uint32_t v = BPF_SRC(f.code) == BPF_X ? X : k;
        switch (BPF_OP(f.code)) {
          case BPF_ADD:
            A += v;
            break;
          case BPF_SUB:
            A -= v;
            break;
          case BPF_MUL:
            A *= v;
            break;
          case BPF_DIV:
            if (v == 0) return 0;  // the kernel's classic BPF: division by zero returns 0
            A /= v;
            break;
          case BPF_MOD:
            if (v == 0) return 0;
            A %= v;
            break;
          case BPF_OR:
            A |= v;
            break;
          case BPF_AND:
            A &= v;
            break;
          case BPF_XOR:
            A ^= v;
            break;
          case BPF_LSH:
            A = v < 32 ? A << v : 0;
            break;
          case BPF_RSH:
            A = v < 32 ? A >> v : 0;
            break;
          default:
            return kBad;
        }
      }
    }
  }
  return kBad;
}

// Which of the profile's actions tailor takes over (see the file comment).
bool takes_over(std::uint32_t action, RunMode mode) {
  if (mode == RunMode::kComplain) return action != SECCOMP_RET_ALLOW;
  return action == SECCOMP_RET_ERRNO || action == SECCOMP_RET_LOG;
}

std::vector<struct sock_filter> supervised_program(std::vector<struct sock_filter> prog,
                                                   RunMode mode) {
  for (auto& f : prog) {
    if (f.code == (BPF_RET | BPF_A))
      throw Error("run: the compiled filter computes its answer; tailor cannot supervise it",
                  kExitTraceFailed);
    if (f.code == (BPF_RET | BPF_K) && takes_over(f.k & SECCOMP_RET_ACTION_FULL, mode))
      f.k = SECCOMP_RET_USER_NOTIF;
  }
  return prog;
}

// ---- default or rule (see the file comment) ---------------------------------------------------

struct SourceProgram {
  std::vector<struct sock_filter> prog;
  std::uint32_t default_ret = 0, badarch_ret = 0;  // what it returns when no rule matched
};

SourceProgram source_program(const SeccompPolicy& policy, const std::set<std::string>& caps) {
  // SCMP_ACT_TRACE(data) with data values no TRACE rule of the profile uses.
  std::set<std::uint32_t> used;
  for (const auto& r : policy.syscalls)
    if (r.action == "SCMP_ACT_TRACE") used.insert(r.errno_ret.value_or(EPERM) & 0xffffu);
  std::vector<std::uint32_t> markers;
  for (std::uint32_t v = 0xffff; markers.size() < 2; --v)
    if (!used.count(v)) markers.push_back(v);
  SeccompPolicy marked = policy;
  marked.default_action = "SCMP_ACT_TRACE";
  marked.default_errno_ret = markers[0];
  SeccompFilter f = SeccompFilter::compile(marked, caps);
  SourceProgram sp;
  sp.default_ret = SCMP_ACT_TRACE(markers[0]);
  sp.badarch_ret = SCMP_ACT_TRACE(markers[1]);
  if (seccomp_attr_set(static_cast<scmp_filter_ctx>(f.native_handle()), SCMP_FLTATR_ACT_BADARCH,
                       sp.badarch_ret) < 0)
    throw Error("run: libseccomp refused a bad-arch action", kExitTraceFailed);
  sp.prog = to_program(f.bpf());
  return sp;
}

DenialSource source_of(const SourceProgram& sp, const struct seccomp_data& d) {
  const std::uint32_t ret = run_program(sp.prog, d);
  if (ret == sp.default_ret) return DenialSource::kDefault;
  if (ret == sp.badarch_ret) return DenialSource::kArchitecture;
  return DenialSource::kRule;
}

// ---- the capability watch (see the file comment) ----------------------------------------------

struct CtxDeleter {
  void operator()(void* c) const {
    if (c) seccomp_release(c);
  }
};
using ScmpCtx = std::unique_ptr<void, CtxDeleter>;

// A program that asks (SECCOMP_RET_USER_NOTIF) about the syscalls `names` (normalised names:
// i386's "setgid32" is watched with "setgid") on `arches`, and allows everything else.
std::vector<struct sock_filter> watch_program(const std::set<std::string>& names,
                                              const std::set<std::uint32_t>& arches) {
  auto fail = [](const char* what) {
    return Error(std::string("run: capability watch: ") + what, kExitTraceFailed);
  };
  // libseccomp's NOTIFY needs a kernel check at rule time; TRACE(1) is rewritten below instead.
  constexpr std::uint32_t kAsk = SCMP_ACT_TRACE(1);
  ScmpCtx merged;
  for (std::uint32_t arch : arches) {
    ScmpCtx ctx(seccomp_init(SCMP_ACT_ALLOW));
    if (!ctx) throw fail("seccomp_init failed");
    auto* c = static_cast<scmp_filter_ctx>(ctx.get());
    if (seccomp_attr_set(c, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW) < 0)
      throw fail("bad-arch action refused");
    if (arch != seccomp_arch_native()) {
      if (seccomp_arch_add(c, arch) < 0 || seccomp_arch_remove(c, SCMP_ARCH_NATIVE) < 0)
        throw fail("architecture refused");
    }
    for (const auto& name : names)
      for (const std::string& n : {name, name + "32"}) {
        const int nr = seccomp_syscall_resolve_name(n.c_str());
        if (nr == __NR_SCMP_ERROR) continue;
        seccomp_rule_add(c, kAsk, nr, 0);  // a name this arch lacks: nothing to watch
      }
    if (!merged) {
      merged = std::move(ctx);
    } else {
      if (seccomp_merge(static_cast<scmp_filter_ctx>(merged.get()), c) < 0)
        throw fail("seccomp_merge failed");
      ctx.release();  // merged into (and released by) `merged`
    }
  }
  const int mfd = ::memfd_create("tailor-run-watch", MFD_CLOEXEC);
  if (mfd < 0) throw fail("memfd_create failed");
  tracer::Fd fd(mfd);
  if (seccomp_export_bpf(static_cast<scmp_filter_ctx>(merged.get()), fd.get()) < 0)
    throw fail("exporting the filter failed");
  const off_t size = ::lseek(fd.get(), 0, SEEK_END);
  std::vector<unsigned char> bytes(size > 0 ? static_cast<std::size_t>(size) : 0);
  if (::pread(fd.get(), bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size()))
    throw fail("cannot read the filter back");
  std::vector<struct sock_filter> prog = to_program(bytes);
  for (auto& f : prog)
    if (f.code == (BPF_RET | BPF_K) && f.k == kAsk) f.k = SECCOMP_RET_USER_NOTIF;
  return prog;
}

// `prog` with every RET ALLOW turned into a jump to `watch`, appended: what the profile allows is
// then allowed or asked about by `watch`. Jumps are relative and instructions keep their places,
// so both programs stay intact. Empty if the result is too long for the kernel.
std::vector<struct sock_filter> chain(std::vector<struct sock_filter> prog,
                                      const std::vector<struct sock_filter>& watch) {
  const std::size_t start = prog.size();
  if (start + watch.size() > BPF_MAXINSNS) return {};
  for (std::size_t pc = 0; pc < start; ++pc) {
    struct sock_filter& f = prog[pc];
    if (f.code == (BPF_RET | BPF_K) && (f.k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW)
      f = BPF_STMT(BPF_JMP | BPF_JA, static_cast<std::uint32_t>(start - pc - 1));
  }
  prog.insert(prog.end(), watch.begin(), watch.end());
  return prog;
}

// The path argument of the watched calls that take one (dfd -1: relative to the cwd). The rules
// read everything else (flags, ids, structs) from the arguments themselves.
struct PathArg {
  std::string_view name;
  int dfd, path;
};
constexpr PathArg kPathArgs[] = {
    {"chown", -1, 0},     {"lchown", -1, 0},     {"fchownat", 0, 1},  {"chroot", -1, 0},
    {"mknod", -1, 0},     {"mknodat", 0, 1},     {"mount", -1, 1},    {"umount", -1, 0},
    {"umount2", -1, 0},   {"pivot_root", -1, 0}, {"open", -1, 0},     {"creat", -1, 0},
    {"openat", 0, 1},     {"openat2", 0, 1},     {"execve", -1, 0},   {"execveat", 0, 1},
    {"chmod", -1, 0},     {"fchmodat", 0, 1},    {"fchmodat2", 0, 1}, {"utimensat", 0, 1},
    {"utimes", -1, 0},    {"utime", -1, 0},      {"futimesat", 0, 1}, {"setxattr", -1, 0},
    {"lsetxattr", -1, 0},
};

// The absolute path a call names, "" if it names none or it cannot be read.
std::string call_path(pid_t tid, const std::array<std::uint64_t, 6>& args, int dfd_arg,
                      int path_arg) {
  const auto rel = tracer::read_cstring(tid, args[static_cast<std::size_t>(path_arg)]);
  if (!rel || rel->empty()) return "";  // NULL / AT_EMPTY_PATH: the rules look at the fd
  if ((*rel)[0] == '/') return tracer::join_path("", *rel);
  const int dirfd =
      dfd_arg >= 0 ? static_cast<int>(args[static_cast<std::size_t>(dfd_arg)]) : AT_FDCWD;
  const auto base = dirfd == AT_FDCWD ? tracer::proc_link(tid, "cwd")
                                      : tracer::proc_link(tid, "fd/" + std::to_string(dirfd));
  if (!base || base->empty() || (*base)[0] != '/') return "";
  return tracer::join_path(*base, *rel);
}

// ---- capabilities -----------------------------------------------------------------------------

// Computed in tailor, applied in the child: the child only makes capget/capset/prctl calls (no
// files, no fds: it shares tailor's fd table until execve).
struct CapPlan {
  int last = 0;             // caps 0..last-1 exist on this kernel
  bool drop_bound = false;  // tailor has CAP_SETPCAP
  std::uint64_t keep = 0;   // the bounding set to keep (the requested caps)
  std::uint64_t grant = 0;  // permitted/effective/inheritable/ambient: requested ∩ tailor's
  std::uint64_t held = 0;   // tailor's own permitted set
  std::vector<std::string> names;  // by number, for messages
};

bool bit(std::uint64_t set, int cap) {
  return cap >= 0 && cap < 64 && ((set >> cap) & 1);
}

CapPlan plan_caps(const std::set<std::string>& caps, std::vector<std::string>& notices) {
  CapPlan plan;
  plan.last = std::min<int>(cap_max_bits(), 64);
  for (int c = 0; c < plan.last; ++c) plan.names.push_back(cap_name(c));
  for (const auto& name : caps) {
    const auto n = cap_number(name);
    if (!n || *n >= plan.last)
      throw Error("run: this kernel has no capability " + name, kExitUsage);
    plan.keep |= 1ull << *n;
  }
  std::uint64_t permitted = 0;
  bool setpcap = false;
  if (cap_t cur = cap_get_proc()) {
    for (int c = 0; c < plan.last; ++c) {
      cap_flag_value_t v = CAP_CLEAR;
      if (cap_get_flag(cur, c, CAP_PERMITTED, &v) == 0 && v == CAP_SET) permitted |= 1ull << c;
      if (c == CAP_SETPCAP && cap_get_flag(cur, c, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET)
        setpcap = true;
    }
    cap_free(cur);
  }
  plan.grant = plan.keep & permitted;
  plan.held = permitted;
  plan.drop_bound = setpcap;
  std::string missing;
  for (int c = 0; c < plan.last; ++c)
    if (bit(plan.keep, c) && !bit(permitted, c))
      missing += (missing.empty() ? "" : ",") + plan.names[c];
  if (!missing.empty())
    notices.push_back("tailor itself does not have " + missing +
                      ": the workload cannot be given it (run tailor as root)");
  if (!setpcap && permitted != 0)
    notices.push_back(
        "no CAP_SETPCAP: the bounding set is left as it is (no-new-privileges still keeps the "
        "workload from gaining capabilities through exec)");
  return plan;
}

std::string apply_caps(const CapPlan& plan) {
  auto why = [&](const std::string& what, int cap) {
    const int err = errno;
    std::string s = "cannot " + what;
    if (cap >= 0) s += " " + plan.names[static_cast<std::size_t>(cap)];
    const char* desc = strerrordesc_np(err);  // no locale lookup: no files opened
    return s + ": " + (desc ? desc : "error " + std::to_string(err));
  };
  // The bounding set first, while CAP_SETPCAP is still effective (as runc does).
  if (plan.drop_bound)
    for (int c = 0; c < plan.last; ++c)
      if (!bit(plan.keep, c) && cap_get_bound(c) == 1 && cap_drop_bound(c) != 0)
        return why("drop from the bounding set", c);
  cap_t want = cap_init();
  if (!want) return why("allocate a capability set", -1);
  for (int c = 0; c < plan.last; ++c) {
    if (!bit(plan.grant, c)) continue;
    const cap_value_t v = c;
    cap_set_flag(want, CAP_EFFECTIVE, 1, &v, CAP_SET);
    cap_set_flag(want, CAP_PERMITTED, 1, &v, CAP_SET);
    cap_set_flag(want, CAP_INHERITABLE, 1, &v, CAP_SET);
  }
  const int rc = cap_set_proc(want);
  cap_free(want);
  if (rc != 0) return why("set the capability sets", -1);
  // Ambient capabilities carry the set across execve for a non-root workload; where the kernel
  // has none (before 4.3) or refuses one, the workload simply does not keep it.
  if (CAP_AMBIENT_SUPPORTED()) {
    cap_reset_ambient();
    for (int c = 0; c < plan.last; ++c)
      if (bit(plan.grant, c)) cap_set_ambient(c, CAP_SET);
  }
  return "";
}

// ---- the supervisor ---------------------------------------------------------------------------

class RunHandler final : public tracer::NotifyHandler {
 public:
  RunHandler(const std::vector<struct sock_filter>& original, const SourceProgram& source,
             RunMode mode, std::set<std::string> watched)
      : original_(original), source_(source), mode_(mode), watched_(std::move(watched)) {}

  tracer::NotifyReply on_notification(const tracer::Notification& n) override {
    struct seccomp_data d {};
    d.nr = n.nr;
    d.arch = n.arch;
    d.instruction_pointer = n.ip;
    for (int i = 0; i < 6; ++i) d.args[i] = n.args[i];
    const std::uint32_t ret = run_program(original_, d);
    const std::uint32_t action = ret & SECCOMP_RET_ACTION_FULL;
    if (action == SECCOMP_RET_ALLOW) {
      // Only the capability watch asks about calls the profile allows.
      check_caps(n);
      return tracer::NotifyReply::go_on();
    }
    const int err =
        action == SECCOMP_RET_ERRNO ? std::min<int>(ret & SECCOMP_RET_DATA, kMaxErrno) : 0;
    count(n, action, err, source_of(source_, d));
    if (mode_ == RunMode::kComplain || action == SECCOMP_RET_LOG) check_caps(n);  // it runs
    if (mode_ == RunMode::kComplain) return tracer::NotifyReply::go_on();
    switch (action) {
      case SECCOMP_RET_ERRNO:
        // errno 0 is a profile's way of making a call a no-op that returns 0.
        return err ? tracer::NotifyReply::fail(err)
                   : tracer::NotifyReply{tracer::NotifyReply::kValue, 0};
      case SECCOMP_RET_LOG:
        return tracer::NotifyReply::go_on();
      default:
        // Only ERRNO and LOG are routed here when enforcing; anything else would be a bug in
        // the interpreter. Fail the call, as the kernel does when a listener cannot answer.
        return tracer::NotifyReply::fail(ENOSYS);
    }
  }

  void on_reaped(pid_t, int status) override {
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) ++sigsys_deaths_;
  }

  std::vector<RunDenial> denials() const {
    std::vector<RunDenial> out;
    for (const auto& [key, d] : rows_) out.push_back(d);
    std::sort(out.begin(), out.end(), [](const RunDenial& a, const RunDenial& b) {
      return std::tie(a.arch, a.syscall, a.action, a.err, a.source) <
             std::tie(b.arch, b.syscall, b.action, b.err, b.source);
    });
    return out;
  }
  std::vector<RunCapFailure> cap_failures() const {
    std::vector<RunCapFailure> out;
    for (const auto& [key, f] : cap_rows_) out.push_back(f);
    return out;  // the map's key order: arch, syscall, capability
  }
  int sigsys_deaths() const { return sigsys_deaths_; }

 private:
  void count(const tracer::Notification& n, std::uint32_t action, int err, DenialSource src) {
    const std::uint64_t nr = static_cast<std::uint32_t>(n.nr);
    const auto key = std::make_tuple(n.arch, nr, action, err, src);
    auto it = rows_.find(key);
    if (it == rows_.end()) {
      const std::uint32_t arch = effective_arch(n.arch, nr);
      RunDenial d;
      d.arch = arch_name(arch).value_or("arch_" + std::to_string(n.arch));
      d.syscall = syscall_name(arch, nr);
      d.action = action_name(action);
      d.err = err;
      d.first_pid = n.pid;
      d.source = src;
      // pid 0: a task outside tailor's pid namespace, whose /proc entry tailor cannot name.
      if (n.pid > 0) d.first_executable = tracer::proc_link(n.pid, "exe").value_or("");
      it = rows_.emplace(key, std::move(d)).first;
    }
    ++it->second.count;
  }

  // A call that is about to run: does a capability rule say it needs one the task lacks?
  void check_caps(const tracer::Notification& n) {
    if (watched_.empty() || n.pid <= 0) return;
    const std::uint64_t nr = static_cast<std::uint32_t>(n.nr);
    const std::uint32_t arch = effective_arch(n.arch, nr);
    std::string name = syscall_name(arch, nr);
    // i386's 32-bit-id calls ("setgid32") are the rules' "setgid".
    if (arch == SCMP_ARCH_X86 && name.size() > 2 && name.ends_with("32") &&
        watched_.count(name.substr(0, name.size() - 2)))
      name.resize(name.size() - 2);
    if (!watched_.count(name)) return;
    tracer::DecodedCall call;
    call.tid = n.pid;
    call.arch = arch;
    call.name = name;
    call.args = n.args;
    if (arch == SCMP_ARCH_X86)
      for (auto& a : call.args) a &= 0xffffffffu;
    for (const auto& p : kPathArgs)
      if (p.name == name) call.path = call_path(n.pid, call.args, p.dfd, p.path);
    if (name == "bind") {
      struct sockaddr_storage ss {};
      const std::size_t len = std::min<std::uint64_t>(call.args[2], sizeof ss);
      if (len >= sizeof(sockaddr_in) && tracer::read_mem(n.pid, call.args[1], &ss, len)) {
        if (ss.ss_family == AF_INET) {
          call.sa_family = "inet";
          call.sa_port = ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
        } else if (ss.ss_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
          call.sa_family = "inet6";
          call.sa_port = ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
        }
      }
    }
    const auto findings = tracer::infer_capabilities(call, env_);
    if (findings.empty()) return;
    const auto creds = tracer::read_creds(n.pid);
    if (!creds) return;
    for (const auto& f : findings) {
      if (creds->has_cap(f.cap)) continue;
      // generic_permission() lets CAP_DAC_OVERRIDE do whatever CAP_DAC_READ_SEARCH would.
      if (f.cap == CAP_DAC_READ_SEARCH && creds->has_cap(CAP_DAC_OVERRIDE)) continue;
      const std::string cap = cap_name(f.cap);
      const std::string an = arch_name(arch).value_or("arch_" + std::to_string(n.arch));
      auto [it, fresh] = cap_rows_.try_emplace(std::make_tuple(an, name, cap));
      if (fresh) {
        it->second.arch = an;
        it->second.syscall = name;
        it->second.capability = cap;
        it->second.detail = f.detail;
        it->second.first_executable = tracer::proc_link(n.pid, "exe").value_or("");
      }
      ++it->second.count;
    }
  }

  const std::vector<struct sock_filter>& original_;
  const SourceProgram& source_;
  RunMode mode_;
  std::set<std::string> watched_;
  tracer::ProcCapEnv env_;
  std::map<std::tuple<std::uint32_t, std::uint64_t, std::uint32_t, int, DenialSource>, RunDenial>
      rows_;
  std::map<std::tuple<std::string, std::string, std::string>, RunCapFailure> cap_rows_;
  int sigsys_deaths_ = 0;
};

unsigned filter_flags(const SeccompPolicy& p, std::vector<std::string>& notices) {
  unsigned flags = 0;
  for (const auto& f : p.flags) {
    if (f == "SECCOMP_FILTER_FLAG_LOG") flags |= SECCOMP_FILTER_FLAG_LOG;
    if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    // TSYNC synchronises the threads of the loading process: tailor's child has one.
    // WAIT_KILLABLE_RECV changes how an agent's targets wait; tailor's own listener does not
    // need it and older kernels refuse it.
    if (f == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")
      notices.push_back("flag " + f + " is not applied (tailor is the listener)");
  }
  return flags;
}

std::string label(const RunDenial& d) {
  if (d.action == "SCMP_ACT_ERRNO") return d.err ? errno_name(d.err) : "returns 0";
  for (const auto& a : kActionInfo)
    if (d.action == a.name) return a.label;
  return d.action;
}

}  // namespace

bool RunDenial::by_design() const {
  if (source != DenialSource::kRule) return false;
  return action != "SCMP_ACT_KILL_PROCESS" && action != "SCMP_ACT_KILL_THREAD" &&
         action != "SCMP_ACT_TRAP";
}

bool RunDenial::violation() const {
  return !by_design() && action != "SCMP_ACT_LOG" && action != "SCMP_ACT_ALLOW";
}

std::uint64_t RunResult::total() const {
  std::uint64_t n = 0;
  for (const auto& d : denials)
    if (d.violation()) n += d.count;
  return n;
}

std::uint64_t RunResult::by_design_total() const {
  std::uint64_t n = 0;
  for (const auto& d : denials)
    if (d.by_design()) n += d.count;
  return n;
}

std::set<std::string> cap_names_normalised(const std::vector<std::string>& names) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  std::set<std::string> out;
  for (const auto& raw : names) {
    // Docker's spellings: "NET_RAW", "net_raw", "CAP_NET_RAW", "cap_net_raw". libcap also
    // reads bare numbers and names unknown caps by number ("CAP_41"): neither is a name.
    std::optional<int> num;
    if (!raw.empty() && !std::all_of(raw.begin(), raw.end(), digit)) num = cap_number(raw);
    const std::string canon = num ? cap_name(*num) : "";
    if (!num || canon.size() <= 4 || digit(canon[4])) {
      std::string shown;
      for (unsigned char c : raw.substr(0, 60))
        shown += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
      throw Error("run: unknown capability \"" + shown + "\" (e.g. CAP_NET_RAW or net_raw)");
    }
    out.insert(canon);
  }
  return out;
}

RunResult run_profile(const RunOptions& opts) {
  if (opts.argv.empty()) throw Error("run: no command given");
  RunResult res;
  res.caps = opts.caps;

  const SeccompPolicy policy = resolve_seccomp_policy(opts.policy, opts.caps);
  auto uses = [&](const char* action) {
    if (policy.default_action == action) return true;
    return std::any_of(policy.syscalls.begin(), policy.syscalls.end(),
                       [&](const SeccompRule& r) { return r.action == action; });
  };
  if (uses("SCMP_ACT_NOTIFY")) {
    if (opts.mode == RunMode::kEnforce)
      throw Error(
          "run: the profile uses SCMP_ACT_NOTIFY, which needs its own agent (listenerPath); "
          "tailor can only apply it with --complain",
          kExitUsage);
    res.notices.push_back(
        "the profile's SCMP_ACT_NOTIFY calls are reported, not sent to its agent");
  }

  SeccompFilter compiled = SeccompFilter::compile(policy, opts.caps, &res.skipped_syscalls);
  const std::vector<struct sock_filter> original = to_program(compiled.bpf());

  if (opts.mode == RunMode::kEnforce) {
    // What stays in the kernel: the process dies or gets a signal, tailor never hears of it.
    const std::string def = canonical_action(policy.default_action);
    for (const char* a :
         {"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE"}) {
      if (def == a)
        res.uncounted.push_back("the default action " + def +
                                " is enforced in the kernel: those calls are not counted");
      else if (std::any_of(policy.syscalls.begin(), policy.syscalls.end(),
                           [&](const SeccompRule& r) { return canonical_action(r.action) == a; }))
        res.uncounted.push_back(std::string("rules with ") + a +
                                " are enforced in the kernel: those calls are not counted");
    }
  }

  const SourceProgram source = source_program(policy, opts.caps);

  tracer::NotifyLaunch launch;
  launch.argv = opts.argv;
  launch.path = tracer::resolve_command(opts.argv.at(0));
  launch.bpf = supervised_program(original, opts.mode);
  launch.filter_flags = filter_flags(policy, res.notices);
  launch.no_new_privs = true;  // as Docker's no-new-privileges: exec cannot add privileges
  launch.low_latency = opts.low_latency;
  const CapPlan plan = plan_caps(opts.caps, res.notices);
  launch.child_setup = [plan] { return apply_caps(plan); };
  res.caps_reduced = (plan.held & ~plan.grant) != 0;

  // The calls through which the recording used a capability this run withholds.
  std::set<std::string> watched;
  if (opts.recorded_caps) {
    res.recording_known = true;
    for (const auto& [cap, calls] : *opts.recorded_caps) {
      res.recorded_caps.insert(cap);
      const auto n = cap_number(cap);
      if (n && bit(plan.grant, *n)) continue;
      res.missing_caps.insert(cap);
      for (const auto& c : calls)
        if (tracer::capability_rules_watch(c)) watched.insert(c);
    }
  }
  if (!watched.empty()) {
    std::set<std::uint32_t> arches = {seccomp_arch_native()};
    for (const auto& a : policy.architectures)
      if (auto tok = arch_token(a)) arches.insert(*tok);
    auto chained = chain(launch.bpf, watch_program(watched, arches));
    if (chained.empty()) {
      res.notices.push_back(
          "the profile's filter is too long to add the capability watch: calls that fail for "
          "want of a capability are not looked at");
      watched.clear();
    } else {
      launch.bpf = std::move(chained);
    }
  }

  // Every descendant that is orphaned is re-parented to tailor and reaped here, so tailor
  // waits for the whole workload (daemons included) before it reports.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  RunHandler handler(original, source, opts.mode, std::move(watched));
  int status = 0;
  try {
    status = tracer::run_notified(launch, handler);
  } catch (const tracer::NotifyUnavailable& e) {
    throw Error(std::string("run: ") + e.what(), kExitTraceFailed);
  } catch (const Error& e) {
    // The profile may be what made the exec fail: say so rather than leave a bare EPERM.
    for (const auto& d : handler.denials())
      if (e.code() == kExitCannotExec && (d.syscall == "execve" || d.syscall == "execveat"))
        throw Error(std::string(e.what()) + " (the profile denies " + d.syscall + ")", e.code());
    throw;
  }
  res.wait_status = status;
  res.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  res.denials = handler.denials();
  res.cap_failures = handler.cap_failures();
  if (opts.mode == RunMode::kEnforce && handler.sigsys_deaths() > 0)
    res.notices.push_back(
        std::to_string(handler.sigsys_deaths()) +
        " process(es) died of SIGSYS: the profile kills (or traps) a call they made, or their "
        "architecture is not in it; `tailor run --complain` names the call");
  return res;
}

namespace {

std::string join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

// The table of `rows` (denials or by-design answers) for the summary.
std::string denial_table(const std::vector<const RunDenial*>& rows, bool complain) {
  // The native arch goes without a suffix; others are named (a 32-bit call is news).
  auto shown = [](const RunDenial& d) {
    return d.arch == "x86_64" ? d.syscall : d.syscall + " (" + d.arch + ")";
  };
  std::size_t w = 7, lw = 6;
  for (const auto* d : rows) {
    w = std::max(w, shown(*d).size());
    lw = std::max(lw, label(*d).size());
  }
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "  %-*s %8s  %-*s  %s\n", static_cast<int>(w), "SYSCALL",
                "COUNT", static_cast<int>(lw), complain ? "WOULD" : "ANSWER", "FIRST EXECUTABLE");
  out += line;
  for (const auto* d : rows) {
    const std::string name = shown(*d);
    std::snprintf(line, sizeof line, "  %-*s %8llu  %-*s  %s\n", static_cast<int>(w), name.c_str(),
                  static_cast<unsigned long long>(d->count), static_cast<int>(lw),
                  label(*d).c_str(),
                  d->first_executable.empty() ? "?" : d->first_executable.c_str());
    out += line;
  }
  return out;
}

// What to say when the workload failed: the capability explanation, or "" (see run.h).
std::string capability_hint(const RunResult& r) {
  if (!r.failed()) return "";
  const std::string how = WIFSIGNALED(r.wait_status)
                              ? "was killed by signal " + std::to_string(WTERMSIG(r.wait_status))
                              : "exited " + std::to_string(r.exit_status);
  if (!r.cap_failures.empty()) {
    std::set<std::string> lacking;
    std::uint64_t calls = 0;
    for (const auto& f : r.cap_failures) {
      lacking.insert(f.capability);
      calls += f.count;
    }
    const bool clean = r.total() == 0;
    std::string s =
        "the workload " + how +
        (clean ? "; seccomp denied none of its calls, but" : "; besides the denials above,") +
        " by tailor's capability rules " + std::to_string(calls) + " call" +
        (calls == 1 ? "" : "s") + " it made need" + (calls == 1 ? "s " : " ") + join(lacking) +
        ", which it does not hold, so the kernel fails " + (calls == 1 ? "it" : "them") +
        " with EPERM/EACCES: capabilities" +
        (clean ? ", not seccomp, are the likely reason" : " are a likely reason too");
    if (!r.recorded_caps.empty())
      s += ". Its recording needed " + join(r.recorded_caps) +
           (r.missing_caps.empty() ? "" : "; this run lacks " + join(r.missing_caps) + " (--caps)");
    return s;
  }
  // No recording to compare with: only what is known.
  if (!r.recording_known && r.total() == 0 && r.caps_reduced)
    return "the workload " + how + " and seccomp denied none of its calls, but it ran with " +
           (r.caps.empty() ? "no capabilities" : "only " + join(r.caps)) +
           " (--caps); if it needs one, that would explain it: give its recording with "
           "--profile REC.json and tailor checks the calls that need one";
  return "";
}

}  // namespace

std::string run_summary(const RunResult& r, RunMode mode) {
  const bool complain = mode == RunMode::kComplain;
  std::string out;
  std::vector<const RunDenial*> denied, designed;
  std::uint64_t logged = 0;
  for (const auto& d : r.denials) {
    if (d.by_design()) {
      designed.push_back(&d);
    } else {
      denied.push_back(&d);
      if (!d.violation()) logged += d.count;
    }
  }
  const std::uint64_t n = r.total();
  const char* m = complain ? "complain" : "enforce";
  char line[512];
  if (r.denials.empty()) {
    out = complain ? "tailor: complain: the profile would have allowed every call\n"
                   : "tailor: enforce: no call was denied\n";
  } else if (denied.empty()) {
    std::snprintf(line, sizeof line, "tailor: %s: no violation\n", m);
    out += line;
  } else {
    std::snprintf(line, sizeof line, "tailor: %s: %llu call%s %s%s\n", m,
                  static_cast<unsigned long long>(n), n == 1 ? "" : "s",
                  complain ? "would have been denied" : "denied",
                  logged ? (", " + std::to_string(logged) + " logged").c_str() : "");
    out += line;
    out += denial_table(denied, complain);
  }
  if (!designed.empty()) {
    const std::uint64_t b = r.by_design_total();
    std::snprintf(line, sizeof line,
                  "tailor: %s: %llu call%s answered by the profile's own rules, by design (not "
                  "violations):\n",
                  m, static_cast<unsigned long long>(b), b == 1 ? "" : "s");
    out += line;
    out += denial_table(designed, complain);
  }
  for (const auto& u : r.uncounted) out += "tailor: note: " + u + "\n";
  if (const std::string hint = capability_hint(r); !hint.empty()) {
    out += "tailor: " + hint + "\n";
    if (!r.cap_failures.empty()) {
      std::size_t w = 7, cw = 10;
      for (const auto& f : r.cap_failures) {
        w = std::max(w, f.syscall.size() + (f.arch == "x86_64" ? 0 : f.arch.size() + 3));
        cw = std::max(cw, f.capability.size());
      }
      std::snprintf(line, sizeof line, "  %-*s %8s  %-*s  %s\n", static_cast<int>(w), "SYSCALL",
                    "COUNT", static_cast<int>(cw), "CAPABILITY", "FIRST EXECUTABLE: WHY");
      out += line;
      for (const auto& f : r.cap_failures) {
        const std::string name = f.arch == "x86_64" ? f.syscall : f.syscall + " (" + f.arch + ")";
        std::snprintf(
            line, sizeof line, "  %-*s %8llu  %-*s  %s: %s\n", static_cast<int>(w), name.c_str(),
            static_cast<unsigned long long>(f.count), static_cast<int>(cw), f.capability.c_str(),
            f.first_executable.empty() ? "?" : f.first_executable.c_str(), f.detail.c_str());
        out += line;
      }
    }
  }
  return out;
}

std::string run_report_json(const RunResult& r, RunMode mode, const std::string& profile_path,
                            const std::vector<std::string>& argv) {
  using ordered = nlohmann::ordered_json;
  ordered o = ordered::object();
  o["tailor_run"] = 1;
  o["mode"] = mode == RunMode::kComplain ? "complain" : "enforce";
  o["profile"] = profile_path;
  o["command"] = argv;
  o["capabilities"] = r.caps;
  o["exit_status"] = r.exit_status;
  if (WIFSIGNALED(r.wait_status)) o["signal"] = WTERMSIG(r.wait_status);
  auto row = [&](const RunDenial& d) {
    ordered j = ordered::object();
    j["arch"] = d.arch;
    j["syscall"] = d.syscall;
    j["count"] = d.count;
    j["action"] = d.action;
    if (d.action == "SCMP_ACT_ERRNO") {
      j["errno"] = d.err;
      j["errno_name"] = d.err ? errno_name(d.err) : "";
    }
    j["cause"] = d.source == DenialSource::kRule           ? "rule"
                 : d.source == DenialSource::kArchitecture ? "architecture"
                                                           : "default";
    // Answered with the profile's outcome (enforce) or let through (complain, and LOG).
    j["enforced"] = mode == RunMode::kEnforce &&
                    (d.violation() || (d.by_design() && d.action != "SCMP_ACT_LOG"));
    j["first_executable"] = d.first_executable;
    return j;
  };
  ordered denied = ordered::array(), designed = ordered::array();
  for (const auto& d : r.denials) (d.by_design() ? designed : denied).push_back(row(d));
  o["denied_calls"] = r.total();
  o["denied"] = std::move(denied);
  o["by_design_calls"] = r.by_design_total();
  o["by_design"] = std::move(designed);
  ordered caps = ordered::array();
  for (const auto& f : r.cap_failures) {
    ordered j = ordered::object();
    j["arch"] = f.arch;
    j["syscall"] = f.syscall;
    j["count"] = f.count;
    j["capability"] = f.capability;
    j["first_detail"] = f.detail;
    j["first_executable"] = f.first_executable;
    caps.push_back(std::move(j));
  }
  o["capability_failures"] = std::move(caps);
  if (r.recording_known) {
    o["recorded_capabilities"] = r.recorded_caps;
    o["missing_capabilities"] = r.missing_caps;
  }
  if (const std::string hint = capability_hint(r); !hint.empty()) o["capability_hint"] = hint;
  o["not_counted"] = r.uncounted;
  o["skipped_syscalls"] = r.skipped_syscalls;
  return o.dump(2) + "\n";
}

}  // namespace tailor
