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
#include "tailor/run.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

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

// ---- capabilities -----------------------------------------------------------------------------

// Computed in tailor, applied in the child: the child only makes capget/capset/prctl calls (no
// files, no fds: it shares tailor's fd table until execve).
struct CapPlan {
  int last = 0;             // caps 0..last-1 exist on this kernel
  bool drop_bound = false;  // tailor has CAP_SETPCAP
  std::uint64_t keep = 0;   // the bounding set to keep (the requested caps)
  std::uint64_t grant = 0;  // permitted/effective/inheritable/ambient: requested ∩ tailor's
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
  RunHandler(const std::vector<struct sock_filter>& original, RunMode mode)
      : original_(original), mode_(mode) {}

  tracer::NotifyReply on_notification(const tracer::Notification& n) override {
    struct seccomp_data d {};
    d.nr = n.nr;
    d.arch = n.arch;
    d.instruction_pointer = n.ip;
    for (int i = 0; i < 6; ++i) d.args[i] = n.args[i];
    const std::uint32_t ret = run_program(original_, d);
    const std::uint32_t action = ret & SECCOMP_RET_ACTION_FULL;
    const int err =
        action == SECCOMP_RET_ERRNO ? std::min<int>(ret & SECCOMP_RET_DATA, kMaxErrno) : 0;
    count(n, action, err);
    if (mode_ == RunMode::kComplain) return tracer::NotifyReply::go_on();
    switch (action) {
      case SECCOMP_RET_ERRNO:
        // errno 0 is a profile's way of making a call a no-op that returns 0.
        return err ? tracer::NotifyReply::fail(err)
                   : tracer::NotifyReply{tracer::NotifyReply::kValue, 0};
      case SECCOMP_RET_LOG:
      case SECCOMP_RET_ALLOW:
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
      return std::tie(a.arch, a.syscall, a.action, a.err) <
             std::tie(b.arch, b.syscall, b.action, b.err);
    });
    return out;
  }
  int sigsys_deaths() const { return sigsys_deaths_; }

 private:
  void count(const tracer::Notification& n, std::uint32_t action, int err) {
    const std::uint64_t nr = static_cast<std::uint32_t>(n.nr);
    const auto key = std::make_tuple(n.arch, nr, action, err);
    auto it = rows_.find(key);
    if (it == rows_.end()) {
      const std::uint32_t arch = effective_arch(n.arch, nr);
      RunDenial d;
      d.arch = arch_name(arch).value_or("arch_" + std::to_string(n.arch));
      d.syscall = syscall_name(arch, nr);
      d.action = action_name(action);
      d.err = err;
      d.first_pid = n.pid;
      // pid 0: a task outside tailor's pid namespace, whose /proc entry tailor cannot name.
      if (n.pid > 0) d.first_executable = tracer::proc_link(n.pid, "exe").value_or("");
      it = rows_.emplace(key, std::move(d)).first;
    }
    ++it->second.count;
  }

  const std::vector<struct sock_filter>& original_;
  RunMode mode_;
  std::map<std::tuple<std::uint32_t, std::uint64_t, std::uint32_t, int>, RunDenial> rows_;
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

bool is_violation(const RunDenial& d) {
  return d.action != "SCMP_ACT_LOG" && d.action != "SCMP_ACT_ALLOW";
}

}  // namespace

std::uint64_t RunResult::total() const {
  std::uint64_t n = 0;
  for (const auto& d : denials)
    if (is_violation(d)) n += d.count;
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

  tracer::NotifyLaunch launch;
  launch.argv = opts.argv;
  launch.path = tracer::resolve_command(opts.argv.at(0));
  launch.bpf = supervised_program(original, opts.mode);
  launch.filter_flags = filter_flags(policy, res.notices);
  launch.no_new_privs = true;  // as Docker's no-new-privileges: exec cannot add privileges
  launch.low_latency = opts.low_latency;
  const CapPlan plan = plan_caps(opts.caps, res.notices);
  launch.child_setup = [plan] { return apply_caps(plan); };

  // Every descendant that is orphaned is re-parented to tailor and reaped here, so tailor
  // waits for the whole workload (daemons included) before it reports.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  RunHandler handler(original, opts.mode);
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
  if (opts.mode == RunMode::kEnforce && handler.sigsys_deaths() > 0)
    res.notices.push_back(
        std::to_string(handler.sigsys_deaths()) +
        " process(es) died of SIGSYS: the profile kills (or traps) a call they made, or their "
        "architecture is not in it; `tailor run --complain` names the call");
  return res;
}

std::string run_summary(const RunResult& r, RunMode mode) {
  const bool complain = mode == RunMode::kComplain;
  std::string out;
  std::uint64_t logged = 0;
  for (const auto& d : r.denials)
    if (!is_violation(d)) logged += d.count;
  const std::uint64_t denied = r.total();
  char line[512];
  if (r.denials.empty()) {
    out = complain ? "tailor: complain: the profile would have allowed every call\n"
                   : "tailor: enforce: no call was denied\n";
  } else {
    std::snprintf(line, sizeof line, "tailor: %s: %llu call%s %s%s\n",
                  complain ? "complain" : "enforce", static_cast<unsigned long long>(denied),
                  denied == 1 ? "" : "s", complain ? "would have been denied" : "denied",
                  logged ? (", " + std::to_string(logged) + " logged").c_str() : "");
    out += line;
    // The native arch goes without a suffix; others are named (a 32-bit call is news).
    auto shown = [](const RunDenial& d) {
      return d.arch == "x86_64" ? d.syscall : d.syscall + " (" + d.arch + ")";
    };
    std::size_t w = 7, lw = 6;
    for (const auto& d : r.denials) {
      w = std::max(w, shown(d).size());
      lw = std::max(lw, label(d).size());
    }
    std::snprintf(line, sizeof line, "  %-*s %8s  %-*s  %s\n", static_cast<int>(w), "SYSCALL",
                  "COUNT", static_cast<int>(lw), complain ? "WOULD" : "ANSWER", "FIRST EXECUTABLE");
    out += line;
    for (const auto& d : r.denials) {
      const std::string name = shown(d);
      std::snprintf(line, sizeof line, "  %-*s %8llu  %-*s  %s\n", static_cast<int>(w),
                    name.c_str(), static_cast<unsigned long long>(d.count), static_cast<int>(lw),
                    label(d).c_str(),
                    d.first_executable.empty() ? "?" : d.first_executable.c_str());
      out += line;
    }
  }
  for (const auto& u : r.uncounted) out += "tailor: note: " + u + "\n";
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
  o["denied_calls"] = r.total();
  ordered list = ordered::array();
  for (const auto& d : r.denials) {
    ordered j = ordered::object();
    j["arch"] = d.arch;
    j["syscall"] = d.syscall;
    j["count"] = d.count;
    j["action"] = d.action;
    if (d.action == "SCMP_ACT_ERRNO") {
      j["errno"] = d.err;
      j["errno_name"] = d.err ? errno_name(d.err) : "";
    }
    // Answered with the profile's outcome (enforce) or let through (complain, and LOG).
    j["enforced"] = mode == RunMode::kEnforce && is_violation(d);
    j["first_executable"] = d.first_executable;
    list.push_back(std::move(j));
  }
  o["denied"] = std::move(list);
  o["not_counted"] = r.uncounted;
  o["skipped_syscalls"] = r.skipped_syscalls;
  return o.dump(2) + "\n";
}

}  // namespace tailor
