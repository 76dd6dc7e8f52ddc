// Seccomp: the policy model and its JSON reader/writers (core/seccomp.cpp), the compiler into
// libseccomp, and the Docker / OCI / SPO emitters (emitters/seccomp.cpp).
//
// Every emitted profile is read back with the reader and compiled into libseccomp the way crun
// does it, then exported as BPF: an output a runtime would half-ignore (unknown names) or refuse
// (bad arch, action, op) fails here. The enforcement tests load filters into real child
// processes: a hand-made profile probed call by call, and real samples recorded with tailor and
// then run under the filter generated from their own recording.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "golden.h"
#include "support.h"
#include "tailor/emitters.h"
#include "tailor/error.h"
#include "tailor/profile.h"
#include "tailor/profile_json.h"
#include "tailor/seccomp.h"

using tailor::Error;
using tailor::Profile;
using tailor::Runtime;
using tailor::SeccompFilter;
using tailor::SeccompOptions;
using tailor::SeccompPolicy;
using tailor::SeccompRule;

namespace {

const std::vector<std::string> kGoldenInputs = {"seccomp_basic", "seccomp_i386",
                                                "seccomp_namespaces", "seccomp_x32_families"};

Profile golden_input(const std::string& name) {
  return tailor::load_profile(tailor::test::golden_path("input/" + name + ".json"));
}

SeccompOptions opts(Runtime rt, bool arg_filters = true) {
  SeccompOptions o;
  o.runtime = rt;
  o.arg_filters = arg_filters;
  return o;
}

// Reads `text` back and compiles it as crun would; returns the policy. Fails the test if
// libseccomp had to skip any name or the BPF is empty.
SeccompPolicy validate(const std::string& text, const std::set<std::string>& caps = {}) {
  SeccompPolicy p = tailor::seccomp_policy_from_json(text);
  std::vector<std::string> skipped;
  SeccompFilter f = SeccompFilter::compile(p, caps, &skipped);
  INFO("skipped: " << skipped.size());
  CHECK(skipped.empty());
  const auto bpf = f.bpf();
  CHECK(!bpf.empty());
  CHECK(bpf.size() % 8 == 0);  // struct sock_filter is 8 bytes
  return p;
}

// The rule allowing calls unconditionally (tailor emits exactly one).
const SeccompRule& plain_rule(const SeccompPolicy& p) {
  const SeccompRule* found = nullptr;
  for (const auto& r : p.syscalls) {
    if (r.action == "SCMP_ACT_ALLOW" && r.args.empty()) {
      REQUIRE(found == nullptr);
      found = &r;
    }
  }
  REQUIRE(found != nullptr);
  return *found;
}

bool in_plain(const SeccompPolicy& p, const std::string& name) {
  const auto& n = plain_rule(p).names;
  return std::find(n.begin(), n.end(), name) != n.end();
}

std::vector<SeccompRule> rules_for(const SeccompPolicy& p, const std::string& name) {
  std::vector<SeccompRule> out;
  for (const auto& r : p.syscalls)
    if (!r.args.empty() || r.action != "SCMP_ACT_ALLOW")
      if (std::find(r.names.begin(), r.names.end(), name) != r.names.end()) out.push_back(r);
  return out;
}

std::set<std::string> recorded_names(const Profile& p) {
  std::set<std::string> out;
  for (const auto& [arch, calls] : p.syscalls)
    for (const auto& [name, ev] : calls) out.insert(name);
  return out;
}

// ---- running code under a filter ----------------------------------------------------------

// Forks; the child sets no_new_privs, loads `f`, runs `probe` (raw syscalls only: the filter is
// live) which fills `out`, writes `out` to a pipe and exits. Returns what the child wrote.
template <typename Probe>
std::vector<long> probe_in_child(const SeccompFilter& f, Probe probe) {
  constexpr std::size_t kSlots = 16;
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    long out[kSlots];
    std::fill(out, out + kSlots, -12345);
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(90);
    try {
      f.load();
    } catch (...) {
      ::_exit(91);
    }
    probe(out);
    // Raw calls from here on: sanitizer runtimes hook write and _exit and make syscalls of
    // their own (sigaltstack, mmap) that the filter rightly denies.
    const long rc = ::syscall(SYS_write, fds[1], out, sizeof out);
    ::syscall(SYS_exit_group, rc == static_cast<long>(sizeof out) ? 0 : 92);
  }
  ::close(fds[1]);
  long buf[kSlots];
  std::size_t got = 0;
  while (got < sizeof buf) {
    const ssize_t n = ::read(fds[0], reinterpret_cast<char*>(buf) + got, sizeof buf - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fds[0]);
  int st = 0;
  ::waitpid(pid, &st, 0);
  INFO("child status " << st);
  REQUIRE(WIFEXITED(st));
  REQUIRE(WEXITSTATUS(st) == 0);
  REQUIRE(got == sizeof buf);
  return std::vector<long>(buf, buf + kSlots);
}

// errno of a raw syscall, 0 if it succeeded.
long err_of(long rc) {
  return rc < 0 ? errno : 0;
}

// Runs `exe args...` with `f` loaded right before execve, as a runtime with no-new-privileges
// does. stdout/stderr go to /dev/null. Shell-style status, -1 on timeout.
int run_under(const SeccompFilter& f, const std::vector<std::string>& argv, double timeout_s = 60) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return -2;
  if (pid == 0) {
    ::setpgid(0, 0);
    const int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(90);
    try {
      f.load();
    } catch (...) {
      ::_exit(91);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(timeout_s * 1e3));
  int st = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &st, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

SeccompFilter compile_emitted(const Profile& p, const SeccompOptions& o) {
  return SeccompFilter::compile(
      tailor::seccomp_policy_from_json(tailor::emit_seccomp_docker(p, o)));
}

}  // namespace

// ---- emitted profiles are valid for libseccomp ------------------------------------------------

TEST_CASE("seccomp: every emitted profile reads back and compiles with no skipped names",
          "[seccomp]") {
  std::vector<std::pair<std::string, Profile>> inputs;
  for (const auto& name : kGoldenInputs) inputs.emplace_back(name, golden_input(name));
  inputs.emplace_back("empty", Profile{});
  for (const auto& [name, prof] : inputs) {
    for (Runtime rt : {Runtime::kNone, Runtime::kDocker, Runtime::kPodman, Runtime::kCrun}) {
      for (bool filters : {true, false}) {
        for (bool nnp : {true, false}) {
          SeccompOptions o = opts(rt, filters);
          o.no_new_privileges = nnp;
          INFO(name << " runtime " << tailor::runtime_name(rt) << " arg_filters " << filters
                    << " nnp " << nnp);
          const std::string docker = tailor::emit_seccomp_docker(prof, o);
          const std::string oci = tailor::emit_seccomp_oci(prof, o);
          const SeccompPolicy d = validate(docker);
          const SeccompPolicy c = validate(oci);
          // The OCI fragment is the same filter, minus Docker-only comments.
          SeccompPolicy d_plain = d;
          for (auto& r : d_plain.syscalls) r.comment.clear();
          d_plain.comment.clear();
          CHECK(c == d_plain);
          // Deterministic, and the writer agrees with the reader.
          CHECK(tailor::emit_seccomp_docker(prof, o) == docker);
          CHECK(tailor::to_docker_seccomp_json(d) == docker);
          CHECK(d.default_action == "SCMP_ACT_ERRNO");
          CHECK(d.default_errno_ret == 1u);
        }
      }
    }
  }
}

TEST_CASE("seccomp: architectures are only the ones the workload ran code for", "[seccomp]") {
  using V = std::vector<std::string>;
  const auto o = opts(Runtime::kNone);
  auto arches = [&](const std::string& input) {
    return tailor::seccomp_policy_from_json(tailor::emit_seccomp_docker(golden_input(input), o))
        .architectures;
  };
  // x86_64 alone: libseccomp's filter then kills i386 and x32 calls (bad arch).
  CHECK(arches("seccomp_basic") == V{"SCMP_ARCH_X86_64"});
  CHECK(arches("seccomp_namespaces") == V{"SCMP_ARCH_X86_64"});
  CHECK(arches("seccomp_i386") == V{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"});
  CHECK(arches("seccomp_x32_families") == V{"SCMP_ARCH_X86_64", "SCMP_ARCH_X32"});
}

TEST_CASE(
    "seccomp: an architecture libseccomp does not know is refused, never written as a bogus "
    "SCMP_ARCH name",
    "[seccomp]") {
  for (const char* arch : {"armv9", "native", "arch_3221225534", "x86_64\nSCMP_ARCH_X86"}) {
    INFO(arch);
    Profile p;
    p.syscalls["x86_64"]["read"].add("/bin/x");
    p.syscalls[arch]["read"].add("/bin/x");
    try {
      (void)tailor::emit_seccomp_docker(p, opts(Runtime::kAll));
      FAIL("no error for architecture " << arch);
    } catch (const Error& e) {
      const std::string what = e.what();
      CHECK(e.code() == 2);
      CHECK(what.find("libseccomp does not know") != std::string::npos);
      CHECK(what.find('\n') == std::string::npos);  // one line, whatever the name holds
    }
    CHECK_THROWS_AS(tailor::emit_seccomp_oci(p, opts(Runtime::kAll)), Error);
    CHECK_THROWS_AS(tailor::seccomp_policy_for(p, opts(Runtime::kAll)), Error);
  }
  // Known ones pass, including arches tailor itself has no table entry for.
  Profile ok;
  ok.syscalls["aarch64"]["read"].add("/bin/x");
  ok.syscalls["mipsel64n32"]["read"].add("/bin/x");
  CHECK_NOTHROW(validate(tailor::emit_seccomp_docker(ok, opts(Runtime::kNone))));
  // An arch with no calls left says nothing about the filter.
  Profile empty_arch;
  empty_arch.syscalls["armv9"];
  CHECK_NOTHROW(tailor::emit_seccomp_docker(empty_arch, opts(Runtime::kNone)));
}

TEST_CASE("seccomp: unknown syscall names are left out and each is a warning", "[seccomp]") {
  Profile p;
  p.syscalls["x86_64"]["read"].add("/bin/x");
  p.syscalls["x86_64"]["syscall_999"].add("/bin/x");
  p.syscalls["x86"]["syscall_999"].add("/bin/x");
  p.syscalls["x86_64"]["frobnicate"].add("/bin/x");
  const auto o = opts(Runtime::kNone);
  const auto warnings = tailor::seccomp_warnings(p, o);
  REQUIRE(warnings.size() == 2);  // one per name, its arches listed
  CHECK(warnings[0].rfind("syscall frobnicate (x86_64) is unknown to libseccomp", 0) == 0);
  CHECK(warnings[1].rfind("syscall syscall_999 (x86, x86_64) is unknown to libseccomp", 0) == 0);
  // Still left out of the filter (no runtime could load it otherwise), and noted in the file.
  const auto pol = validate(tailor::emit_seccomp_docker(p, o));
  CHECK_FALSE(in_plain(pol, "frobnicate"));
  CHECK(plain_rule(pol).comment == "left out, unknown to libseccomp: frobnicate syscall_999");
  // A clean profile has none.
  CHECK(tailor::seccomp_warnings(golden_input("seccomp_basic"), o).empty());
}

TEST_CASE("seccomp: the Docker JSON says which variant it is in a comment engines ignore",
          "[seccomp]") {
  const Profile p = golden_input("seccomp_basic");
  SeccompOptions o;  // the default
  const std::string text = tailor::emit_seccomp_docker(p, o);
  const auto j = nlohmann::json::parse(text);
  CHECK(j["comment"] ==
        "Generated by tailor from a recorded profile, for docker, podman, runc and crun, with "
        "or without no-new-privileges.");
  CHECK(text.rfind("{\n  \"comment\": ", 0) == 0);  // the first thing a reader sees
  o.runtime = Runtime::kPodman;
  o.no_new_privileges = true;
  CHECK(tailor::emit_seccomp_docker(p, o).find(
            "for podman with crun or runc, ONLY with no-new-privileges") != std::string::npos);
  CHECK(tailor::emit_seccomp_spo(p, o, "x").find(
            "# for podman with crun or runc, ONLY with no-new-privileges") != std::string::npos);
  // The OCI object has no comment field (crun/runc read a config.json): none there.
  CHECK_FALSE(nlohmann::json::parse(tailor::emit_seccomp_oci(p, o)).contains("comment"));
  // Read back: kept; a non-string top-level comment is ignored, as moby's and podman's readers
  // (Go's encoding/json, unknown field) ignore it.
  CHECK(tailor::seccomp_policy_from_json(text).comment.find("tailor") != std::string::npos);
  CHECK(tailor::seccomp_policy_from_json(
            R"({"comment": 42, "defaultAction": "SCMP_ACT_ALLOW", "syscalls": []})")
            .comment.empty());
}

TEST_CASE("seccomp: the exit set is always allowed whatever the profile", "[seccomp]") {
  Profile tiny;
  tiny.syscalls["x86_64"]["write"].add("/bin/x");
  for (const Profile& p : {Profile{}, tiny, golden_input("seccomp_i386")}) {
    for (bool filters : {true, false}) {
      const auto pol = validate(tailor::emit_seccomp_docker(p, opts(Runtime::kNone, filters)));
      for (const char* n : {"exit", "exit_group", "rt_sigreturn", "restart_syscall"}) {
        INFO(n);
        CHECK(in_plain(pol, n));
      }
    }
  }
}

TEST_CASE("seccomp: argument filters follow what the profile proves", "[seccomp]") {
  const auto o = opts(Runtime::kNone);
  constexpr std::uint64_t kAllCloneNs = 0x7E020000;  // CLONE_NEW{NS,CGROUP,UTS,IPC,USER,PID,NET}

  SECTION("no namespaces: clone masked like moby, clone3 ENOSYS, sockets and personas") {
    const Profile prof = golden_input("seccomp_basic");
    const auto pol = validate(tailor::emit_seccomp_docker(prof, o));
    const auto clone = rules_for(pol, "clone");
    REQUIRE(clone.size() == 1);
    REQUIRE(clone[0].args.size() == 1);
    CHECK(clone[0].args[0].index == 0);
    CHECK(clone[0].args[0].op == "SCMP_CMP_MASKED_EQ");
    CHECK(clone[0].args[0].value == kAllCloneNs);
    CHECK(clone[0].args[0].value_two == 0);
    const auto clone3 = rules_for(pol, "clone3");
    REQUIRE(clone3.size() == 1);
    CHECK(clone3[0].action == "SCMP_ACT_ERRNO");
    CHECK(clone3[0].errno_ret == 38u);
    CHECK(clone3[0].args.empty());
    // socket: one EQ rule per family used: unix 1, inet 2, inet6 10, netlink 16.
    std::set<std::uint64_t> families;
    for (const auto& r : rules_for(pol, "socket")) {
      REQUIRE(r.args.size() == 1);
      CHECK(r.args[0].op == "SCMP_CMP_EQ");
      CHECK(r.args[0].index == 0);
      families.insert(r.args[0].value);
    }
    CHECK(families == std::set<std::uint64_t>{AF_UNIX, AF_INET, AF_INET6, AF_NETLINK});
    std::set<std::uint64_t> personas;
    for (const auto& r : rules_for(pol, "personality")) {
      REQUIRE(r.args.size() == 1);
      CHECK(r.args[0].op == "SCMP_CMP_MASKED_EQ");
      CHECK(r.args[0].value == 0xffffffffu);
      personas.insert(r.args[0].value_two);
    }
    CHECK(personas == std::set<std::uint64_t>{0, 0xffffffff});
    // Filtered calls are not also in the plain rule (which would void the filter).
    for (const char* n : {"clone", "clone3", "socket", "personality"}) {
      INFO(n);
      CHECK_FALSE(in_plain(pol, n));
    }
    CHECK(in_plain(pol, "connect"));
  }

  SECTION("namespaces used: their flags pass, clone3 allowed, unshare masked") {
    const auto pol = validate(tailor::emit_seccomp_docker(golden_input("seccomp_namespaces"), o));
    const auto clone = rules_for(pol, "clone");
    REQUIRE(clone.size() == 1);
    CHECK(clone[0].args.at(0).value == (kAllCloneNs & ~std::uint64_t{CLONE_NEWUSER | CLONE_NEWNS}));
    CHECK(rules_for(pol, "clone3").empty());
    CHECK(in_plain(pol, "clone3"));
    const auto unshare = rules_for(pol, "unshare");
    REQUIRE(unshare.size() == 1);
    CHECK(unshare[0].args.at(0).op == "SCMP_CMP_MASKED_EQ");
    CHECK(unshare[0].args.at(0).value == ((kAllCloneNs | 0x80) &  // 0x80: CLONE_NEWTIME
                                          ~std::uint64_t{CLONE_NEWUSER | CLONE_NEWNS}));
    CHECK_FALSE(in_plain(pol, "unshare"));
    CHECK(in_plain(pol, "setns"));
    // syscall_999 is tailor's name for a number libseccomp does not know: left out, and said so.
    CHECK_FALSE(in_plain(pol, "syscall_999"));
    CHECK(plain_rule(pol).comment.find("syscall_999") != std::string::npos);
  }

  SECTION("only clone3 recorded: clone is allowed (masked) for glibc's fallback") {
    Profile p;
    p.syscalls["x86_64"]["clone3"].add("/bin/x");
    const auto pol = validate(tailor::emit_seccomp_docker(p, o));
    REQUIRE(rules_for(pol, "clone").size() == 1);
    CHECK(rules_for(pol, "clone3").at(0).errno_ret == 38u);
  }

  SECTION("i386: socketcall stays plain, families unknown to tailor disable the socket filter") {
    const auto pol = validate(tailor::emit_seccomp_docker(golden_input("seccomp_i386"), o));
    CHECK(in_plain(pol, "socketcall"));
    CHECK(rules_for(pol, "socket").size() == 2);  // inet, unix (x86's direct socket call)
    Profile odd = golden_input("seccomp_basic");
    odd.sockets[{"martian", "stream", 0}].add("/bin/x");
    const auto pol2 = validate(tailor::emit_seccomp_docker(odd, o));
    CHECK(in_plain(pol2, "socket"));
    CHECK(rules_for(pol2, "socket").empty());
  }

  SECTION("numbered families are filtered by number") {
    const auto pol = validate(tailor::emit_seccomp_docker(golden_input("seccomp_x32_families"), o));
    std::set<std::uint64_t> families;
    for (const auto& r : rules_for(pol, "socket")) families.insert(r.args.at(0).value);
    CHECK(families == std::set<std::uint64_t>{AF_PACKET, AF_VSOCK, 43});
  }
}

TEST_CASE("seccomp: --no-arg-filters puts every recorded call in the plain rule", "[seccomp]") {
  for (const auto& name : kGoldenInputs) {
    INFO(name);
    const Profile prof = golden_input(name);
    const auto pol = validate(tailor::emit_seccomp_docker(prof, opts(Runtime::kNone, false)));
    for (const auto& r : pol.syscalls) CHECK(r.args.empty());
    std::set<std::string> expected = recorded_names(prof);
    expected.erase("syscall_999");
    expected.insert({"exit", "exit_group", "rt_sigreturn", "restart_syscall"});
    const auto& names = plain_rule(pol).names;
    CHECK(std::set<std::string>(names.begin(), names.end()) == expected);
    CHECK(std::is_sorted(names.begin(), names.end()));
  }
  // clone3 recorded: allowed outright. Only clone recorded: clone3 still answers ENOSYS, so a
  // glibc that tries clone3 first falls back instead of failing fork with EPERM.
  const auto basic = validate(
      tailor::emit_seccomp_docker(golden_input("seccomp_basic"), opts(Runtime::kNone, false)));
  CHECK(in_plain(basic, "clone3"));
  Profile only_clone;
  only_clone.syscalls["x86_64"]["clone"].add("/bin/x");
  const auto pol = validate(tailor::emit_seccomp_docker(only_clone, opts(Runtime::kNone, false)));
  CHECK(in_plain(pol, "clone"));
  CHECK(rules_for(pol, "clone3").at(0).errno_ret == 38u);
}

TEST_CASE(
    "seccomp: by default the runtime baseline starts containers with or without "
    "no-new-privileges, for every engine; --nnp-only narrows it",
    "[seccomp]") {
  const Profile plain_app = golden_input("seccomp_basic");        // no setuid: nnp
  const Profile setuid_app = golden_input("seccomp_namespaces");  // ran a setuid helper
  REQUIRE(tailor::wants_no_new_privileges(plain_app));
  REQUIRE_FALSE(tailor::wants_no_new_privileges(setuid_app));

  // The defaults: every engine, the variant that does not depend on no-new-privileges.
  CHECK(SeccompOptions{}.runtime == Runtime::kAll);
  CHECK_FALSE(SeccompOptions{}.no_new_privileges);

  const auto none = validate(tailor::emit_seccomp_docker(plain_app, opts(Runtime::kNone, false)));
  std::set<std::string> expected = recorded_names(plain_app);
  expected.insert({"exit", "exit_group", "rt_sigreturn", "restart_syscall"});
  const auto& nn = plain_rule(none).names;
  CHECK(std::set<std::string>(nn.begin(), nn.end()) == expected);

  const Runtime engines[] = {Runtime::kDocker, Runtime::kRunc, Runtime::kPodman, Runtime::kCrun};
  for (Runtime rt :
       {Runtime::kDocker, Runtime::kRunc, Runtime::kPodman, Runtime::kCrun, Runtime::kAll}) {
    INFO(tailor::runtime_name(rt));
    for (const Profile* p : {&plain_app, &setuid_app}) {
      // Whatever the profile ran, the default filter holds the runtime's calls of both paths,
      // never argument-filtered: the flags may or may not carry no-new-privileges.
      const auto pol = validate(tailor::emit_seccomp_docker(*p, opts(rt)));
      for (bool nnp : {true, false})
        for (Runtime r : rt == Runtime::kAll
                             ? std::vector<Runtime>(std::begin(engines), std::end(engines))
                             : std::vector<Runtime>{rt})
          for (const auto& n : tailor::runtime_baseline(r, nnp)) {
            INFO(tailor::runtime_name(r) << (nnp ? " nnp " : " no-nnp ") << n);
            CHECK(in_plain(pol, n));
          }
      CHECK(pol.comment.find("with or without no-new-privileges") != std::string::npos);
    }
    // --nnp-only: the runtime's nnp list only; what only the other path needs stays out.
    SeccompOptions o = opts(rt);
    o.no_new_privileges = true;
    const auto tight = validate(tailor::emit_seccomp_docker(plain_app, o));
    const auto recorded = recorded_names(plain_app);
    const auto& with = tailor::runtime_baseline(rt, true);
    for (const auto& n : with) CHECK(in_plain(tight, n));
    for (const auto& n : tailor::runtime_baseline(rt, false)) {
      if (std::count(with.begin(), with.end(), n) || recorded.count(n)) continue;
      INFO(n);
      CHECK_FALSE(in_plain(tight, n));
    }
    CHECK(tight.comment.find("ONLY with no-new-privileges") != std::string::npos);
  }
  // `all` is the union: podman's pselect6 and crun's setresuid are in it.
  const auto& all = tailor::runtime_baseline(Runtime::kAll, false);
  for (Runtime r : engines)
    for (const auto& n : tailor::runtime_baseline(r, false))
      CHECK(std::count(all.begin(), all.end(), n) == 1);
}

TEST_CASE("seccomp: more_runtimes joins engines' baselines (a profile recorded under several)",
          "[seccomp]") {
  const Profile app = golden_input("seccomp_basic");
  for (bool nnp : {false, true}) {
    SeccompOptions o = opts(Runtime::kDocker);
    o.no_new_privileges = nnp;
    o.more_runtimes = {Runtime::kPodman, Runtime::kNone};
    const auto pol = validate(tailor::emit_seccomp_docker(app, o));
    for (Runtime r : {Runtime::kDocker, Runtime::kPodman})
      for (const auto& n : tailor::runtime_baseline(r, nnp)) {
        INFO(tailor::runtime_name(r) << " " << n);
        CHECK(in_plain(pol, n));
      }
    // none adds nothing to the others.
    SeccompOptions both_only = o;
    both_only.more_runtimes = {Runtime::kPodman};
    CHECK(tailor::emit_seccomp_docker(app, both_only) == tailor::emit_seccomp_docker(app, o));
  }
  SeccompOptions o = opts(Runtime::kDocker);
  o.more_runtimes = {Runtime::kPodman};
  CHECK(tailor::seccomp_variant(o) ==
        "docker and podman with crun or runc, with or without no-new-privileges");
  o.runtime = Runtime::kRunc;
  o.more_runtimes = {Runtime::kCrun, Runtime::kNone};
  CHECK(tailor::seccomp_variant(o) == "runc and crun, with or without no-new-privileges");
  o.more_runtimes = {Runtime::kAll};
  CHECK(tailor::seccomp_variant(o) ==
        "docker, podman, runc and crun, with or without no-new-privileges");
  o.runtime = Runtime::kNone;
  o.more_runtimes = {Runtime::kCrun};
  CHECK(tailor::seccomp_variant(o) == "crun, with or without no-new-privileges");
}

// ---- the reader -------------------------------------------------------------------------------

TEST_CASE("seccomp: malformed profiles are one-line tailor::Errors", "[seccomp]") {
  struct Case {
    const char* json;
    const char* message;
  };
  // clang-format off
  const std::vector<Case> cases = {
      {"", "malformed seccomp profile"},
      {"{\"defaultAction\": ", "malformed seccomp profile"},
      {"[]", "expected a JSON object"},
      {"{}", "missing \"defaultAction\""},
      {R"({"syscalls": []})", "missing \"defaultAction\""},
      {R"({"defaultAction": 1})", "defaultAction: expected a string"},
      {R"({"defaultAction": "SCMP_ACT_MAYBE"})", "unknown action \"SCMP_ACT_MAYBE\""},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1})", "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1})", "non-negative integer"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 70000})", "out of range"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": "1"})", "non-negative integer"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": "SCMP_ARCH_X86_64"})", "architectures: expected an array"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_VAX"]})", "unknown architecture \"SCMP_ARCH_VAX\""},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": [64]})", "architectures[0]: expected a string"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]})", "both \"architectures\" and \"archMap\""},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "archMap": [{"subArchitectures": []}]})", "archMap[0]: missing \"architecture\""},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "flags": ["SECCOMP_FILTER_FLAG_FAST"]})", "unknown flag"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": {}})", "syscalls: expected an array"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [1]})", "syscalls[0]: expected an object"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"action": "SCMP_ACT_ALLOW"}]})", "no syscall names"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": [], "action": "SCMP_ACT_ALLOW"}]})", "no syscall names"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": "read", "action": "SCMP_ACT_ALLOW"}]})", "names: expected an array"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read", 7], "action": "SCMP_ACT_ALLOW"}]})", "names[1]: expected a string"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": [""], "action": "SCMP_ACT_ALLOW"}]})", "empty name"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"name": "read", "names": ["read"], "action": "SCMP_ACT_ALLOW"}]})", "both \"name\" and \"names\""},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"]}]})", "missing \"action\""},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "ALLOW"}]})", "syscalls[0].action: unknown action"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_KILL", "errnoRet": 1}]})", "syscalls[0].errnoRet: only SCMP_ACT_ERRNO"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": {}}]})", "args: expected an array"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})", "args[0].index: out of range"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"value": 1, "op": "SCMP_CMP_EQ"}]}]})", "missing \"index\""},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1}]}]})", "missing \"op\""},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ALMOST"}]}]})", "unknown operator \"SCMP_CMP_ALMOST\""},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": "1", "op": "SCMP_CMP_EQ"}]}]})", "args[0].value: expected a non-negative integer"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1.5, "op": "SCMP_CMP_EQ"}]}]})", "non-negative integer"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": -2, "op": "SCMP_CMP_EQ"}]}]})", "non-negative integer"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4"}}]})", "includes.minKernel: expected"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": "CAP_SYS_ADMIN"}}]})", "excludes.caps: expected an array"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "comment": 5}]})", "comment: expected a string"},
      {"{\"defaultAction\": \"SCMP_ACT_\nERRNO\"}", "malformed seccomp profile"},  // raw newline in a string
      {"{\"defaultAction\": \"SCMP_ACT_\\nERRNO\"}", "unknown action"},          // escaped newline: printed as '?'
      {R"({"linux": {"seccomp": 3}})", "expected an object"},
  };
  // clang-format on
  for (const auto& c : cases) {
    INFO("input: " << c.json);
    try {
      tailor::seccomp_policy_from_json(c.json);
      FAIL("accepted");
    } catch (const Error& e) {
      const std::string what = e.what();
      INFO("message: " << what);
      CHECK(what.find(c.message) != std::string::npos);
      CHECK(what.find('\n') == std::string::npos);
      CHECK(e.code() == tailor::kExitUsage);
    }
  }
}

TEST_CASE("seccomp: the reader is tolerant where runtimes are", "[seccomp]") {
  // Unknown keys, nulls for absent fields, lower-case arches, the OCI fragment inside a whole
  // config.json, and syscall names libseccomp has never heard of (skipped at compile time).
  const auto p = tailor::seccomp_policy_from_json(R"({
    "ociVersion": "1.0.2",
    "linux": {"seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO",
      "defaultErrnoRet": null,
      "architectures": ["x86_64", "SCMP_ARCH_X86"],
      "x-vendor": {"anything": [1, 2]},
      "syscalls": [
        {"names": ["read", "not_a_syscall_at_all"], "action": "SCMP_ACT_ALLOW", "args": null},
        {"names": ["kill"], "action": "SCMP_ACT_TRACE", "errnoRet": 7},
        {"names": ["ptrace"], "action": "SCMP_ACT_ERRNO"},
        {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
      ]}}})");
  CHECK(p.architectures == std::vector<std::string>{"x86_64", "SCMP_ARCH_X86"});
  CHECK_FALSE(p.default_errno_ret.has_value());
  std::vector<std::string> skipped;
  SeccompFilter f = SeccompFilter::compile(p, {}, &skipped);
  CHECK(skipped == std::vector<std::string>{"not_a_syscall_at_all"});
  CHECK(!f.bpf().empty());
  // Round trip through the Docker writer and the OCI writer.
  CHECK(tailor::seccomp_policy_from_json(tailor::to_docker_seccomp_json(p)) == p);
  CHECK(tailor::seccomp_policy_from_json(tailor::to_oci_seccomp_json(p)) == p);
}

// A hand-written excerpt in the shape of moby's profiles/seccomp/default.json: archMap with an
// arch libseccomp 2.5 does not know, conditions on caps, arches and kernel, the old "name".
static const char* kMobyShape = R"({
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 1,
  "archMap": [
    {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
    {"architecture": "SCMP_ARCH_LOONGARCH64", "subArchitectures": null}
  ],
  "syscalls": [
    {"names": ["accept4", "close", "exit_group", "read", "write", "some_future_syscall"],
     "action": "SCMP_ACT_ALLOW"},
    {"names": ["process_vm_readv", "process_vm_writev"], "action": "SCMP_ACT_ALLOW",
     "includes": {"minKernel": "4.8"}},
    {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}]},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
    {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
    {"names": ["s390_runtime_instr"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["s390", "s390x"]}},
    {"names": ["bpf", "clone", "clone3", "mount", "unshare"], "action": "SCMP_ACT_ALLOW",
     "includes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}],
     "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]}},
    {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
     "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"name": "chroot", "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_CHROOT"]},
     "comment": "old single-name form"}
  ]
})";

TEST_CASE("seccomp: moby's default profile shape is read and resolved and compiled", "[seccomp]") {
  const SeccompPolicy p = tailor::seccomp_policy_from_json(kMobyShape);
  CHECK(p.arch_map.size() == 3);
  CHECK(p.syscalls.back().names == std::vector<std::string>{"chroot"});
  CHECK(tailor::seccomp_policy_from_json(tailor::to_docker_seccomp_json(p)) == p);
  // Docker-only parts cannot go into an OCI fragment unresolved.
  CHECK_THROWS_AS(tailor::to_oci_seccomp_json(p), Error);

  auto names_of = [](const SeccompPolicy& r) {
    std::multiset<std::string> out;
    for (const auto& rule : r.syscalls)
      for (const auto& n : rule.names) out.insert(n);
    return out;
  };
  REQUIRE(tailor::seccomp_host_arch_name() == "amd64");  // tailor is x86_64 tooling

  const SeccompPolicy unpriv = tailor::resolve_seccomp_policy(p, {}, "6.1.0-13-amd64");
  CHECK(unpriv.architectures ==
        std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"});
  CHECK(unpriv.arch_map.empty());
  auto n = names_of(unpriv);
  CHECK(n.count("process_vm_readv") == 1);  // kernel 6.1 >= 4.8
  CHECK(n.count("arch_prctl") == 1);        // amd64 listed
  CHECK(n.count("s390_runtime_instr") == 0);
  CHECK(n.count("bpf") == 0);     // needs CAP_SYS_ADMIN
  CHECK(n.count("clone") == 1);   // the masked rule only
  CHECK(n.count("clone3") == 1);  // the ENOSYS rule
  CHECK(n.count("chroot") == 0);
  // Resolved, it is a valid OCI fragment; the name libseccomp does not know is reported.
  std::vector<std::string> unknown;
  SeccompFilter resolved = SeccompFilter::compile(
      tailor::seccomp_policy_from_json(tailor::to_oci_seccomp_json(unpriv)), {}, &unknown);
  CHECK(unknown == std::vector<std::string>{"some_future_syscall"});
  CHECK(!resolved.bpf().empty());

  const SeccompPolicy admin =
      tailor::resolve_seccomp_policy(p, {"CAP_SYS_ADMIN", "CAP_SYS_CHROOT"}, "6.1.0");
  n = names_of(admin);
  CHECK(n.count("bpf") == 1);
  CHECK(n.count("clone") == 1);  // the unconditional one; the masked rule is excluded
  CHECK(n.count("clone3") == 1);
  for (const auto& r : admin.syscalls)
    if (std::find(r.names.begin(), r.names.end(), "clone3") != r.names.end())
      CHECK(r.action == "SCMP_ACT_ALLOW");
  CHECK(n.count("chroot") == 1);

  const SeccompPolicy old_kernel = tailor::resolve_seccomp_policy(p, {}, "4.4.0-210-generic");
  CHECK(names_of(old_kernel).count("process_vm_readv") == 0);
  CHECK_THROWS_AS(tailor::resolve_seccomp_policy(p, {}, "not-a-version"), Error);

  // compile() resolves by itself; the unknown name is reported, as runtimes warn about it.
  std::vector<std::string> skipped;
  SeccompFilter f = SeccompFilter::compile(p, {"CAP_SYS_ADMIN"}, &skipped);
  CHECK(skipped == std::vector<std::string>{"some_future_syscall"});
  CHECK(!f.bpf().empty());
}

TEST_CASE("seccomp: the compiler rejects what libseccomp cannot express", "[seccomp]") {
  SeccompPolicy p;
  p.syscalls.push_back({{"read"}, "SCMP_ACT_ALLOW", std::nullopt, {}, {}, {}, ""});
  CHECK_NOTHROW(SeccompFilter::compile(p));
  auto bad = [](SeccompPolicy q, const char* what) {
    INFO(what);
    try {
      SeccompFilter::compile(q);
      FAIL("compiled");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find(what) != std::string::npos);
    }
  };
  SeccompPolicy q = p;
  q.default_action = "SCMP_ACT_NOPE";
  bad(q, "unknown action");
  q = p;
  q.architectures = {"SCMP_ARCH_Z80"};
  bad(q, "unknown architecture");
  q = p;
  q.syscalls[0].args = {{0, 1, 0, "SCMP_CMP_SOMETIMES"}};
  bad(q, "unknown operator");
  q = p;
  q.syscalls[0].errno_ret = 5;
  bad(q, "errnoRet");
  q = p;
  q.syscalls[0].args = {{7, 1, 0, "SCMP_CMP_EQ"}};
  bad(q, "index");
  // A rule equal to the default action is skipped (libseccomp refuses it), as crun does.
  q = p;
  q.syscalls.push_back({{"write"}, "SCMP_ACT_ERRNO", std::nullopt, {}, {}, {}, ""});
  CHECK_NOTHROW(SeccompFilter::compile(q));
  // Move-only ownership of the context.
  SeccompFilter a = SeccompFilter::compile(p);
  void* h = a.native_handle();
  SeccompFilter b = std::move(a);
  CHECK(b.native_handle() == h);
  CHECK(a.native_handle() == nullptr);  // NOLINT(bugprone-use-after-move): documented state
  CHECK_THROWS_AS(a.bpf(), Error);
}

// ---- enforcement ------------------------------------------------------------------------------

TEST_CASE("seccomp: a generated filter allows what was recorded and denies the rest", "[seccomp]") {
  // The calls the probe makes after the filter is in: write (result pipe), getpid, socket for
  // inet, clone (fork-free probes below), close. getppid, unshare and other families are not in
  // the profile.
  Profile p;
  for (const char* n : {"write", "getpid", "socket", "close", "clone", "clone3", "exit_group"})
    p.syscalls["x86_64"][n].add("/bin/probe");
  p.sockets[{"inet", "dgram", 0}].add("/bin/probe");
  const SeccompFilter f = compile_emitted(p, opts(Runtime::kNone));

  const auto r = probe_in_child(f, [](long* out) {
    out[0] = err_of(::syscall(SYS_getpid));
    out[1] = err_of(::syscall(SYS_getppid));
    const long s4 = ::syscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    out[2] = err_of(s4);
    if (s4 >= 0) ::syscall(SYS_close, s4);
    out[3] = err_of(::syscall(SYS_socket, AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    out[4] = err_of(::syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    // clone3 answers ENOSYS before the kernel even looks at its (here absent) arguments.
    out[5] = err_of(::syscall(SYS_clone3, nullptr, 0));
    // clone with CLONE_THREAD but no CLONE_SIGHAND is EINVAL in the kernel: reaching it proves
    // the flag filter let a namespace-free clone through, without creating a task. The same
    // call plus CLONE_NEWUTS is stopped by the filter first: EPERM.
    out[6] = err_of(::syscall(SYS_clone, CLONE_THREAD, 0, 0, 0, 0));
    out[7] = err_of(::syscall(SYS_clone, CLONE_THREAD | CLONE_NEWUTS, 0, 0, 0, 0));
    out[8] = err_of(::syscall(SYS_unshare, 0));
  });
  CHECK(r[0] == 0);
  CHECK(r[1] == EPERM);
  CHECK(r[2] == 0);
  CHECK(r[3] == EPERM);
  CHECK(r[4] == EPERM);
  CHECK(r[5] == ENOSYS);
  CHECK(r[6] == EINVAL);
  CHECK(r[7] == EPERM);
  CHECK(r[8] == EPERM);

  // --no-arg-filters: every family, any clone flags (the kernel's own EINVAL shows through).
  const SeccompFilter open = compile_emitted(p, opts(Runtime::kNone, false));
  const auto r2 = probe_in_child(open, [](long* out) {
    const long s6 = ::syscall(SYS_socket, AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    out[0] = err_of(s6);
    if (s6 >= 0) ::syscall(SYS_close, s6);
    out[1] = err_of(::syscall(SYS_clone, CLONE_THREAD | CLONE_NEWUTS, 0, 0, 0, 0));
    out[2] = err_of(::syscall(SYS_getppid));
  });
  CHECK(r2[0] == 0);
  CHECK(r2[1] == EINVAL);
  CHECK(r2[2] == EPERM);
}

TEST_CASE("seccomp: personality is limited to the recorded personas", "[seccomp]") {
  Profile p;
  for (const char* n : {"write", "personality", "exit_group"}) p.syscalls["x86_64"][n].add("/x");
  p.process.personality[0xffffffff].add("/x");  // the query
  const SeccompFilter f = compile_emitted(p, opts(Runtime::kNone));
  const auto r = probe_in_child(f, [](long* out) {
    out[0] = err_of(::syscall(SYS_personality, 0xffffffffUL));
    out[1] = err_of(::syscall(SYS_personality, 0x0008UL));  // PER_LINUX32: not recorded
  });
  CHECK(r[0] == 0);
  CHECK(r[1] == EPERM);
}

namespace {

bool have_recorder() {
  return std::filesystem::exists(tailor::test::tailor_bin());
}

}  // namespace

TEST_CASE("seccomp: recorded samples run under their own generated filter", "[seccomp]") {
  if (!have_recorder()) {
    WARN("tailor binary missing: skipped");
    return;
  }
  tailor::test::TempDir tmp;

  SECTION("threads: pthread_create's clone3 gets ENOSYS and glibc falls back to clone") {
    const std::string exe = tailor::test::sample("threads");
    auto rec = tailor::test::record({exe}, tmp / "threads.json");
    REQUIRE(rec.run.status == 0);
    REQUIRE(tailor::test::has_syscall(rec.profile, "x86_64", "clone3"));
    const SeccompFilter f = compile_emitted(rec.profile, opts(Runtime::kNone));
    CHECK(run_under(f, {exe}) == 0);
    // One needed call removed: the workers cannot write their line and the sample says so.
    Profile less = rec.profile;
    REQUIRE(less.syscalls["x86_64"].erase("write") == 1);
    CHECK(run_under(compile_emitted(less, opts(Runtime::kNone)), {exe}) == 3);
  }

  SECTION("hello32: an i386 program needs SCMP_ARCH_X86") {
    const std::string exe = tailor::test::sample("hello32");
    if (!std::filesystem::exists(exe)) {
      WARN("samples/hello32 not built (gcc-multilib missing?): skipped");
      return;
    }
    // Without i386 execution the emitter's i386 side is still pinned by the seccomp_i386
    // golden input; only running the program under its filter is left out.
    if (const auto& why = tailor::test::i386_unavailable(); !why.empty()) {
      WARN("hello32 under its filter skipped: " << why);
      return;
    }
    auto rec = tailor::test::record({exe, tmp.path()}, tmp / "hello32.json");
    REQUIRE(rec.run.status == 0);
    REQUIRE(rec.profile.syscalls.count("x86"));
    auto policy = tailor::seccomp_policy_from_json(
        tailor::emit_seccomp_docker(rec.profile, opts(Runtime::kNone)));
    REQUIRE(std::find(policy.architectures.begin(), policy.architectures.end(), "SCMP_ARCH_X86") !=
            policy.architectures.end());
    CHECK(run_under(SeccompFilter::compile(policy), {exe, tmp.path()}) == 0);
    // The same allow list for x86_64 only: the first i386 call is a bad arch, killed (SIGSYS).
    policy.architectures = {"SCMP_ARCH_X86_64"};
    CHECK(run_under(SeccompFilter::compile(policy), {exe, tmp.path()}) == 128 + SIGSYS);
  }
}

// ---- golden files -----------------------------------------------------------------------------

TEST_CASE("seccomp: golden Docker OCI and SPO outputs", "[seccomp]") {
  // Runtime none: the goldens pin tailor's own decisions, not the measured runtime baselines
  // (those have their own test and change when a runtime does).
  for (const auto& name : kGoldenInputs) {
    INFO(name);
    const Profile p = golden_input(name);
    const auto o = opts(Runtime::kNone);
    std::string k8s_name = "tailor-" + name;
    std::replace(k8s_name.begin(), k8s_name.end(), '_', '-');
    tailor::test::check_golden("seccomp/" + name + ".docker.json",
                               tailor::emit_seccomp_docker(p, o));
    tailor::test::check_golden("seccomp/" + name + ".oci.json", tailor::emit_seccomp_oci(p, o));
    tailor::test::check_golden("seccomp/" + name + ".spo.yaml",
                               tailor::emit_seccomp_spo(p, o, k8s_name));
  }
}

TEST_CASE("seccomp: the SPO YAML is valid YAML carrying the same filter", "[seccomp]") {
  CHECK_THROWS_AS(tailor::emit_seccomp_spo(Profile{}, opts(Runtime::kNone), "Not_A_Name"), Error);
  CHECK_THROWS_AS(tailor::emit_seccomp_spo(Profile{}, opts(Runtime::kNone), ""), Error);
  // A real YAML parser (python3-yaml) reads it; its spec must be the Docker profile minus what
  // SPO has no field for (defaultErrnoRet: ERRNO's default is EPERM anyway; comments).
  if (tailor::test::run({"/usr/bin/python3", "-c", "import yaml"}, 30).status != 0) {
    WARN("python3-yaml not installed: SPO YAML not parsed (install python3-yaml)");
    return;
  }
  tailor::test::TempDir tmp;
  for (const auto& name : kGoldenInputs) {
    for (bool filters : {true, false}) {
      INFO(name << " arg_filters " << filters);
      const Profile p = golden_input(name);
      const auto o = opts(Runtime::kDocker, filters);
      const std::string yaml_path = tmp / "p.yaml";
      std::ofstream(yaml_path) << tailor::emit_seccomp_spo(p, o, "tailor-test.1");
      const auto conv = tailor::test::run(
          {"/usr/bin/python3", "-c",
           "import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", yaml_path},
          30);
      INFO(conv.err);
      REQUIRE(conv.status == 0);
      const auto doc = nlohmann::json::parse(conv.out);
      CHECK(doc["apiVersion"] == "security-profiles-operator.x-k8s.io/v1beta1");
      CHECK(doc["kind"] == "SeccompProfile");
      CHECK(doc["metadata"]["name"] == "tailor-test.1");
      auto expected = nlohmann::json::parse(tailor::emit_seccomp_oci(p, o));
      expected.erase("defaultErrnoRet");
      CHECK(doc["spec"] == expected);
    }
  }
}
