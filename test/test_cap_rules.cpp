// Capability inference (tracer/cap_rules.cpp), rule by rule, through real recordings.
//
// Each row runs `tailor record -- caps SUB ...` (samples/caps.c) and checks the profile: a
// positive row must list the capability with a reason naming the syscall; a negative row (same
// operation where ordinary credentials suffice) must list it nowhere, neither as a need nor as a
// hint, and must have exited 0 so the control really performed the operation. As nobody, the
// failed attempts must land in capability_hints, never in capabilities.
//
// A capability missing from this test process's own effective set (containers often lack
// CAP_SYS_RESOURCE, for instance) makes the root operation fail with EPERM: the row then expects
// a hint instead of a need, which is exactly what a recording in that environment should say.
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cap_rules.h"
#include "proc.h"
#include "support.h"
#include "tailor/capabilities.h"
#include "tailor/profile_json.h"

namespace fs = std::filesystem;
using namespace tailor;
using namespace tailor::test;

namespace {

constexpr uid_t kNobody = 65534;

// Files and directories the rows operate on; fresh for every row so rows cannot interfere.
//   own        root:root 0644          theirs      nobody:nobody 0644
//   secret     nobody 0000             rootsecret  root 0600
//   theirdir/  nobody 0755             private/    nobody 0700, holding pub (root 0644)
//   prog       copy of /bin/true, nobody 0700   myprog   same, root 0755
//   mine       nobody 0644 (for rows run as nobody)   jail/, mnt/ empty dirs
struct Fixture {
  TempDir dir;
  Fixture() {
    auto file = [&](const std::string& name, uid_t uid, mode_t mode) {
      std::ofstream(dir / name) << "x\n";
      REQUIRE(::chown((dir / name).c_str(), uid, uid) == 0);
      REQUIRE(::chmod((dir / name).c_str(), mode) == 0);
    };
    auto mkdir = [&](const std::string& name, uid_t uid, mode_t mode) {
      REQUIRE(::mkdir((dir / name).c_str(), mode) == 0);
      REQUIRE(::chown((dir / name).c_str(), uid, uid) == 0);
      REQUIRE(::chmod((dir / name).c_str(), mode) == 0);
    };
    file("own", 0, 0644);
    file("theirs", kNobody, 0644);
    file("secret", kNobody, 0);
    file("rootsecret", 0, 0600);
    file("mine", kNobody, 0644);
    mkdir("theirdir", kNobody, 0755);
    mkdir("private", kNobody, 0700);
    file("private/pub", 0, 0644);
    mkdir("jail", 0, 0755);
    mkdir("mnt", 0, 0755);
    mkdir("out", kNobody, 0755);  // where a recording run as nobody may write its profile
    for (auto [name, uid, mode] : {std::tuple{"prog", kNobody, 0700}, {"myprog", 0u, 0755}}) {
      fs::copy_file("/bin/true", dir / name);
      REQUIRE(::chown((dir / name).c_str(), uid, uid) == 0);
      REQUIRE(::chmod((dir / name).c_str(), static_cast<mode_t>(mode)) == 0);
    }
  }
};

// A process that sits in pause() as `uid` until the guard kills it: a target for kill/ptrace
// rows that the recorded workload did not start (so tailor does not already trace it).
class Sleeper {
 public:
  explicit Sleeper(uid_t uid) {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::setresgid(uid, uid, uid) != 0 || ::setresuid(uid, uid, uid) != 0) ::_exit(1);
      (void)!::write(p[1], "x", 1);
      for (;;) ::pause();
    }
    ::close(p[1]);
    char c;
    REQUIRE(::read(p[0], &c, 1) == 1);
    ::close(p[0]);
  }
  ~Sleeper() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

struct Row {
  std::string args;  // caps arguments; $TMP, $NOBODY_PID, $ROOT_PID are substituted
  std::string cap;   // "CAP_..."
  std::vector<std::string> syscalls;  // the reason must name one of these (libc may pick either)
};

std::vector<std::string> expand(const std::string& args,
                                const std::map<std::string, std::string>& vars,
                                const std::string& binary = "caps") {
  std::vector<std::string> out = {sample(binary)};
  std::istringstream in(args);
  std::string w;
  while (in >> w) {
    for (const auto& [k, v] : vars)
      for (auto pos = w.find(k); pos != std::string::npos; pos = w.find(k))
        w.replace(pos, k.size(), v);
    out.push_back(w);
  }
  return out;
}

std::string describe(const Profile& p) {
  std::string s;
  for (const auto* m : {&p.capabilities, &p.capability_hints}) {
    s += m == &p.capabilities ? "capabilities:" : " hints:";
    for (const auto& [cap, use] : *m) {
      s += " " + cap + "[";
      for (const auto& r : use.reasons) s += r.syscall + ":" + r.detail + ";";
      s += "]";
    }
  }
  return s;
}

bool has_reason(const std::map<std::string, CapUse>& m, const Row& row) {
  auto it = m.find(row.cap);
  if (it == m.end()) return false;
  for (const auto& r : it->second.reasons)
    for (const auto& s : row.syscalls)
      if (r.syscall == s) return true;
  return false;
}

bool we_have(const std::string& cap) {
  auto creds = tracer::read_creds(::getpid());
  auto n = cap_number(cap);
  return creds && n && creds->has_cap(*n);
}

bool skip_unless_root() {
  if (::geteuid() == 0) return false;
  WARN("capability rule tests need root (they chown, setuid, mount, ...): skipped");
  return true;
}

// Both backends decide the same: ptrace from each call's real result, notify (no exit stop)
// from the capabilities the caller holds at entry.
const std::vector<std::string> kBackends = {"notify", "ptrace", "bpf"};

void check_needs(const std::vector<Row>& rows, const std::string& binary) {
  for (const auto& backend : kBackends)
    for (const auto& row : rows) {
      Fixture fx;
      Sleeper nobody(kNobody);
      auto argv =
          expand(row.args, {{"$TMP", fx.dir.path()}, {"$NOBODY_PID", std::to_string(nobody.pid())}},
                 binary);
      auto rec = record(argv, fx.dir / "profile.json", {"--backend", backend});
      bool granted = we_have(row.cap);
      INFO(binary << " " << row.args << " (we " << (granted ? "have " : "lack ") << row.cap << ")");
      INFO("backend " << backend);
      INFO("exit " << rec.run.status << " stderr: " << rec.run.err);
      INFO(describe(rec.profile));
      if (granted) {
        CHECK(rec.run.status == 0);
        CHECK(has_reason(rec.profile.capabilities, row));
      } else {
        // Without the capability the call fails with EPERM: a hint, not a need.
        CHECK(rec.run.status == 1);
        CHECK(has_reason(rec.profile.capability_hints, row));
        CHECK(rec.profile.capabilities.count(row.cap) == 0);
      }
    }
}

void check_no_caps(const std::vector<Row>& rows, const std::string& binary) {
  for (const auto& backend : kBackends)
    for (const auto& row : rows) {
      Fixture fx;
      Sleeper root(0);
      auto argv = expand(
          row.args, {{"$TMP", fx.dir.path()}, {"$ROOT_PID", std::to_string(root.pid())}}, binary);
      auto rec = record(argv, fx.dir / "profile.json", {"--backend", backend});
      INFO(binary << " " << row.args << ": must not give " << row.cap);
      INFO("backend " << backend);
      INFO("exit " << rec.run.status << " stderr: " << rec.run.err);
      INFO(describe(rec.profile));
      CHECK(rec.run.status == 0);
      CHECK(!rec.profile.commands.empty());  // the profile was really written
      CHECK(rec.profile.capabilities.count(row.cap) == 0);
      CHECK(rec.profile.capability_hints.count(row.cap) == 0);
    }
}

}  // namespace

TEST_CASE("cap rules: each rule reports its capability as root", "[caps][record]") {
  if (skip_unless_root()) return;
  const std::vector<Row> rows = {
      {"bind 1019", "CAP_NET_BIND_SERVICE", {"bind"}},
      {"bind6 1019", "CAP_NET_BIND_SERVICE", {"bind"}},
      {"rawsock", "CAP_NET_RAW", {"socket"}},
      {"packet", "CAP_NET_RAW", {"socket"}},
      {"chown $TMP/own 65534 65534", "CAP_CHOWN", {"chown", "fchownat"}},
      {"fchown $TMP/theirs 0 0", "CAP_CHOWN", {"fchown"}},
      {"setuid 65534", "CAP_SETUID", {"setuid"}},
      {"setresuid 0 65534 0", "CAP_SETUID", {"setresuid"}},
      {"setgid 65534", "CAP_SETGID", {"setgid"}},
      {"setgroups 0 65534", "CAP_SETGID", {"setgroups"}},
      {"killchild 65534", "CAP_KILL", {"kill"}},
      {"chroot $TMP/jail", "CAP_SYS_CHROOT", {"chroot"}},
      {"mknod $TMP/null c 1 3", "CAP_MKNOD", {"mknod", "mknodat"}},
      {"unshare", "CAP_SYS_ADMIN", {"unshare"}},
      {"unshare", "CAP_SYS_ADMIN", {"sethostname"}},
      {"clone3", "CAP_SYS_ADMIN", {"clone3"}},
      {"mount $TMP/mnt", "CAP_SYS_ADMIN", {"mount"}},
      {"read $TMP/secret", "CAP_DAC_READ_SEARCH", {"open", "openat"}},
      {"read $TMP/private/pub", "CAP_DAC_READ_SEARCH", {"open", "openat"}},
      {"write $TMP/secret", "CAP_DAC_OVERRIDE", {"open", "openat"}},
      {"create $TMP/theirdir/new", "CAP_DAC_OVERRIDE", {"open", "openat"}},
      {"exec $TMP/prog", "CAP_DAC_OVERRIDE", {"execve"}},
      {"chmod $TMP/theirs 600", "CAP_FOWNER", {"chmod", "fchmodat"}},
      {"utime $TMP/theirs", "CAP_FOWNER", {"utimensat"}},
      {"touch $TMP/theirs", "CAP_FOWNER", {"utimensat"}},
      {"setfcap $TMP/own", "CAP_SETFCAP", {"setxattr"}},
      {"ptrace $NOBODY_PID", "CAP_SYS_PTRACE", {"ptrace"}},
      {"vmread $NOBODY_PID", "CAP_SYS_PTRACE", {"process_vm_readv"}},
      {"settime", "CAP_SYS_TIME", {"clock_settime"}},
      {"nice -1", "CAP_SYS_NICE", {"setpriority"}},
      {"sched", "CAP_SYS_NICE", {"sched_setscheduler"}},
      {"rlimit", "CAP_SYS_RESOURCE", {"prlimit64", "setrlimit"}},
      {"audit", "CAP_AUDIT_WRITE", {"socket"}},
  };
  check_needs(rows, "caps");
}

TEST_CASE("cap rules: no capability where ordinary credentials suffice", "[caps][record]") {
  if (skip_unless_root()) return;
  // Each row: the operation of a positive row above, done where root needs no privilege.
  const std::vector<Row> rows = {
      {"bind 8080", "CAP_NET_BIND_SERVICE", {}},
      {"bind 8080", "CAP_NET_RAW", {}},
      {"udpsock", "CAP_NET_RAW", {}},
      {"chown $TMP/own 0 0", "CAP_CHOWN", {}},  // root chowning its own file to itself
      {"chown $TMP/own -1 -1", "CAP_CHOWN", {}},
      {"setuid 0", "CAP_SETUID", {}},
      {"setresuid -1 0 -1", "CAP_SETUID", {}},
      {"setgid 0", "CAP_SETGID", {}},
      {"killchild -1", "CAP_KILL", {}},  // own child, same uid
      {"kill 1 0", "CAP_KILL", {}},      // root signalling a root process
      {"mknod $TMP/fifo p", "CAP_MKNOD", {}},
      {"mknod $TMP/whiteout c 0 0", "CAP_MKNOD", {}},
      {"userns", "CAP_SYS_ADMIN", {}},  // a user namespace alone needs nothing
      {"read $TMP/own", "CAP_DAC_READ_SEARCH", {}},
      {"read $TMP/own", "CAP_DAC_OVERRIDE", {}},
      {"write $TMP/own", "CAP_DAC_OVERRIDE", {}},
      {"create $TMP/new", "CAP_DAC_OVERRIDE", {}},
      {"exec $TMP/myprog", "CAP_DAC_OVERRIDE", {}},
      {"exec $TMP/myprog", "CAP_DAC_READ_SEARCH", {}},
      {"chmod $TMP/own 600", "CAP_FOWNER", {}},
      {"utime $TMP/own", "CAP_FOWNER", {}},
      {"xattr $TMP/own", "CAP_SETFCAP", {}},
      {"ptrace $ROOT_PID", "CAP_SYS_PTRACE", {}},
      {"vmread $ROOT_PID", "CAP_SYS_PTRACE", {}},
      {"adjtime-query", "CAP_SYS_TIME", {}},
      {"nice 5", "CAP_SYS_NICE", {}},
      {"rlimit-lower", "CAP_SYS_RESOURCE", {}},
      {"netlink-route", "CAP_AUDIT_WRITE", {}},
  };
  check_no_caps(rows, "caps");
}

TEST_CASE("cap rules: failed attempts as nobody are hints and not needs", "[caps][record]") {
  if (skip_unless_root()) return;
  struct NobodyRow {
    Row row;
    bool fails;  // false: a control that must succeed and give nothing
  };
  const std::vector<NobodyRow> rows = {
      {{"bind 80", "CAP_NET_BIND_SERVICE", {"bind"}}, true},
      {{"chown $TMP/own 0 0", "CAP_CHOWN", {"chown", "fchownat"}}, true},
      {{"chown $TMP/mine 65534 65534", "CAP_CHOWN", {}}, false},
      {{"chroot $TMP/jail", "CAP_SYS_CHROOT", {"chroot"}}, true},
      {{"setuid 0", "CAP_SETUID", {"setuid"}}, true},
      {{"kill 1 0", "CAP_KILL", {"kill"}}, true},
      {{"read $TMP/rootsecret", "CAP_DAC_READ_SEARCH", {"open", "openat"}}, true},
      {{"read $TMP/mine", "CAP_DAC_READ_SEARCH", {}}, false},
  };
  for (const auto& [row, fails] : rows) {
    Fixture fx;
    std::string out = fx.dir / "out/profile.json";
    // No capabilities at all, not even inheritable ones: tailor itself then cannot install its
    // seccomp filter and falls back to plain syscall tracing, which must infer the same.
    std::vector<std::string> cmd = {"setpriv",
                                    "--reuid=65534",
                                    "--regid=65534",
                                    "--clear-groups",
                                    "--inh-caps=-all",
                                    tailor_bin(),
                                    "record",
                                    "-q",
                                    "-o",
                                    out,
                                    "--"};
    for (auto& a : expand(row.args, {{"$TMP", fx.dir.path()}})) cmd.push_back(a);
    auto run_result = run(cmd);
    Profile p;
    if (fs::exists(out)) p = load_profile(out);
    INFO("as nobody: caps " << row.args);
    INFO("exit " << run_result.status << " stderr: " << run_result.err);
    INFO(describe(p));
    CHECK(fs::exists(out));
    CHECK(p.capabilities.count(row.cap) == 0);
    if (fails) {
      CHECK(run_result.status == 1);
      CHECK(has_reason(p.capability_hints, row));
    } else {
      CHECK(run_result.status == 0);
      CHECK(p.capability_hints.count(row.cap) == 0);
    }
  }
}

namespace {

tracer::DecodedCall call(const std::string& name, std::array<std::uint64_t, 6> args = {}) {
  tracer::DecodedCall c;
  c.tid = ::getpid();
  c.arch = 0xc000003e;  // AUDIT_ARCH_X86_64 == SCMP_ARCH_X86_64
  c.name = name;
  c.args = args;
  return c;
}

std::set<std::string> caps_of(const tracer::DecodedCall& c) {
  // Straight from /proc, the same sources as the recorder's cached view: the rules are
  // exercised against the real kernel view of this very process.
  tracer::ProcCapEnv env;
  std::set<std::string> out;
  for (const auto& f : tracer::infer_capabilities(c, env)) out.insert(cap_name(f.cap));
  return out;
}

std::uint64_t ptr(const void* p) {
  return reinterpret_cast<std::uint64_t>(p);
}

}  // namespace

TEST_CASE("cap rules: table decisions for this process", "[caps]") {
  CHECK(tracer::capability_rules_watch("chown"));
  CHECK(tracer::capability_rules_watch("clone3"));
  CHECK_FALSE(tracer::capability_rules_watch("read"));
  CHECK(caps_of(call("read")).empty());

  auto bind = call("bind");
  bind.sa_family = "inet";
  bind.sa_port = 80;
  CHECK(caps_of(bind) == std::set<std::string>{"CAP_NET_BIND_SERVICE"});
  bind.sa_port = 8080;
  CHECK(caps_of(bind).empty());
  bind.sa_family = "unix";
  bind.sa_port = 0;
  CHECK(caps_of(bind).empty());

  // Flags that live in memory: clone3 reads struct clone_args from the caller.
  std::uint64_t clone_args[11] = {CLONE_NEWNET};
  CHECK(caps_of(call("clone3", {ptr(clone_args), sizeof clone_args})) ==
        std::set<std::string>{"CAP_SYS_ADMIN"});
  clone_args[0] = CLONE_NEWNET | CLONE_NEWUSER;  // owned by the new user namespace: free
  CHECK(caps_of(call("clone3", {ptr(clone_args), sizeof clone_args})).empty());
  CHECK(caps_of(call("unshare", {CLONE_NEWUSER})).empty());
  CHECK(caps_of(call("unshare", {CLONE_NEWNS})) == std::set<std::string>{"CAP_SYS_ADMIN"});

  // Type flags are masked off the socket type; SOCK_DGRAM is not raw.
  CHECK(caps_of(call("socket", {AF_INET, SOCK_RAW | SOCK_NONBLOCK, 1})) ==
        std::set<std::string>{"CAP_NET_RAW"});
  CHECK(caps_of(call("socket", {AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0})).empty());
  CHECK(caps_of(call("socket", {AF_NETLINK, SOCK_RAW, 9})) ==
        std::set<std::string>{"CAP_AUDIT_WRITE"});

  // Ids the caller already holds are free; (uid_t)-1 means unchanged.
  auto me = tracer::read_creds(::getpid());
  REQUIRE(me);
  CHECK(caps_of(call("setresuid", {0xffffffffu, me->euid, 0xffffffffu})).empty());
  CHECK(caps_of(call("setfsuid", {0xffffffffu})).empty());
  uid_t other = me->ruid == kNobody ? kNobody - 1 : kNobody;
  CHECK(caps_of(call("setuid", {other})) == std::set<std::string>{"CAP_SETUID"});
  gid_t groups[2] = {me->rgid, me->rgid};
  CHECK(caps_of(call("setgroups", {2, ptr(groups)})) == std::set<std::string>{"CAP_SETGID"});

  // Ownership: a file we own, chowned to ourselves, needs nothing; to someone else, CAP_CHOWN.
  TempDir dir;
  std::string f = dir / "f";
  std::ofstream(f) << "x";
  auto chown_call = call("chown", {0, me->fsuid, me->fsgid});
  chown_call.path = f;
  CHECK(caps_of(chown_call).empty());
  chown_call.args[1] = other;
  CHECK(caps_of(chown_call) == std::set<std::string>{"CAP_CHOWN"});
  chown_call.args[1] = 0xffffffffu;  // group only, to one we are not in
  chown_call.args[2] = me->fsgid == kNobody ? kNobody - 1 : kNobody;
  CHECK(caps_of(chown_call) == std::set<std::string>{"CAP_CHOWN"});

  // fchownat with AT_EMPTY_PATH on a descriptor: the rule must stat the fd, not a path.
  int fd = ::open(f.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  const char* empty = "";
  CHECK(caps_of(call("fchownat", {static_cast<std::uint64_t>(fd), ptr(empty), me->fsuid,
                                  0xffffffffu, AT_EMPTY_PATH}))
            .empty());
  CHECK(caps_of(call("fchownat", {static_cast<std::uint64_t>(fd), ptr(empty), other, 0xffffffffu,
                                  AT_EMPTY_PATH})) == std::set<std::string>{"CAP_CHOWN"});
  ::close(fd);

  // utimensat: explicit times need ownership; UTIME_OMIT for both changes nothing.
  struct timespec omit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
  auto ut = call("utimensat", {static_cast<std::uint64_t>(AT_FDCWD), ptr(f.c_str()), ptr(omit)});
  ut.path = f;
  CHECK(caps_of(ut).empty());
  if (::geteuid() == 0) {
    REQUIRE(::chown(f.c_str(), other, other) == 0);
    CHECK(caps_of(ut).empty());
    struct timespec explicit_times[2] = {{1, 0}, {2, 0}};
    ut.args[2] = ptr(explicit_times);
    CHECK(caps_of(ut) == std::set<std::string>{"CAP_FOWNER"});
  }
}

TEST_CASE("cap rules: i386 layouts and normalised names", "[caps][record]") {
  if (skip_unless_root()) return;
  if (!fs::exists(sample("caps32"))) {
    WARN("caps32 (-m32) was not built (TAILOR_M32_SAMPLE off): skipped");
    return;
  }
  if (const auto& why = tailor::test::i386_unavailable(); !why.empty()) {
    WARN("cap rules on i386 skipped: " << why);
    return;
  }
  // On i386 glibc uses chown32/setuid32/setgroups32, socketcall, clock_settime64, the compat
  // struct rlimit or prlimit64: the recorder normalises the names, the rules read the layouts.
  check_needs({{"bind 1019", "CAP_NET_BIND_SERVICE", {"bind", "socketcall"}},
               {"rawsock", "CAP_NET_RAW", {"socket", "socketcall"}},
               {"chown $TMP/own 65534 65534", "CAP_CHOWN", {"chown", "chown32", "fchownat"}},
               {"fchown $TMP/theirs 0 0", "CAP_CHOWN", {"fchown", "fchown32"}},
               {"setuid 65534", "CAP_SETUID", {"setuid", "setuid32"}},
               {"setgroups 0 65534", "CAP_SETGID", {"setgroups", "setgroups32"}},
               {"utime $TMP/theirs", "CAP_FOWNER", {"utimensat", "utimensat_time64"}},
               {"clone3", "CAP_SYS_ADMIN", {"clone3"}},
               {"settime", "CAP_SYS_TIME", {"clock_settime", "clock_settime64"}},
               {"sched", "CAP_SYS_NICE", {"sched_setscheduler"}},
               {"rlimit", "CAP_SYS_RESOURCE", {"prlimit64", "setrlimit"}}},
              "caps32");
  check_no_caps({{"chown $TMP/own 0 0", "CAP_CHOWN", {}},
                 {"chown $TMP/own -1 -1", "CAP_CHOWN", {}},
                 {"setuid 0", "CAP_SETUID", {}},
                 {"utime $TMP/own", "CAP_FOWNER", {}},
                 {"bind 8080", "CAP_NET_BIND_SERVICE", {}},
                 {"rlimit-lower", "CAP_SYS_RESOURCE", {}}},
                "caps32");
}
