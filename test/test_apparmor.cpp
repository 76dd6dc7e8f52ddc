// AppArmor emitter: every generated profile is compiled by the real apparmor_parser (this kernel
// has no AppArmor LSM, so the profile is parsed and compiled to a DFA but not loaded), broken
// ones must be rejected, and the path-collapsing, network, capability and quoting decisions are
// checked one by one. Golden files: test/golden/apparmor/*.profile (UPDATE_GOLDEN=1 rewrites).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "golden.h"
#include "support.h"
#include "tailor/emitters.h"
#include "tailor/profile_json.h"

namespace {

using tailor::test::TempDir;

const char* kFeatures = "/usr/share/apparmor-features/features";

std::string parser_bin() {
  for (const char* p : {"/usr/sbin/apparmor_parser", "/sbin/apparmor_parser"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

// True if the parser and the kernel feature set it compiles against are installed; otherwise
// WARN (CI installs the `apparmor` package, so there these checks always run).
bool have_parser() {
  if (parser_bin().empty() || !std::filesystem::exists(kFeatures)) {
    WARN("apparmor_parser or " << kFeatures
                               << " missing (apt-get install apparmor): compile checks skipped");
    return false;
  }
  return true;
}

// Parses and fully compiles the profile (-Q skip kernel load, -K no cache, -T no cache read)
// against the feature set of a stock kernel, as `apparmor_parser` would before loading it.
tailor::test::RunResult compile(const std::string& text) {
  TempDir dir;
  const std::string file = dir / "profile";
  std::ofstream(file) << text;
  return tailor::test::run({parser_bin(), "-Q", "-K", "-T", "-M", kFeatures, file}, 60);
}

void require_compiles(const std::string& text) {
  if (!have_parser()) return;
  auto r = compile(text);
  INFO("profile:\n" << text << "\nparser stderr:\n" << r.err);
  REQUIRE(r.status == 0);
}

tailor::Profile input(const std::string& name) {
  return tailor::load_profile(tailor::test::golden_path("input/" + name));
}

std::string emit(const tailor::Profile& p, const std::string& name = "tailor-test") {
  tailor::AppArmorOptions o;
  o.name = name;
  return tailor::emit_apparmor(p, o);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string l;
  while (std::getline(ss, l)) {
    // rule lines are indented by two; compare them without the indent
    if (l.rfind("  ", 0) == 0) l = l.substr(2);
    out.push_back(l);
  }
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : lines_of(text))
    if (l == line) return true;
  return false;
}

// Whether any rule line (not a comment) mentions `needle`.
bool rule_mentions(const std::string& text, const std::string& needle) {
  for (const auto& l : lines_of(text))
    if (!l.empty() && l[0] != '#' && l.find(needle) != std::string::npos) return true;
  return false;
}

tailor::FileUse use(std::initializer_list<const char*> access, bool succeeded = true,
                    std::initializer_list<const char*> errors = {}) {
  tailor::FileUse u;
  for (const char* a : access) u.access.insert(a);
  for (const char* e : errors) u.errors.insert(e);
  u.succeeded = succeeded;
  return u;
}

const char* kInputs[] = {"apparmor_files", "apparmor_proc_temp", "apparmor_net_caps",
                         "apparmor_sys_writes", "apparmor_special_chars"};

}  // namespace

TEST_CASE("apparmor: hand-written profiles compile and match their golden files", "[apparmor]") {
  for (const char* name : kInputs) {
    SECTION(name) {
      const std::string text = emit(input(std::string(name) + ".json"));
      require_compiles(text);
      tailor::test::check_golden(std::string("apparmor/") + name + ".profile", text);
    }
  }
  SECTION("empty profile") {
    const std::string text = emit(tailor::Profile{}, "empty");
    require_compiles(text);
    CHECK(has_line(text, "deny mount,"));
    tailor::test::check_golden("apparmor/empty.profile", text);
  }
}

TEST_CASE("apparmor: the profile skeleton", "[apparmor]") {
  const std::string text = emit(input("apparmor_files.json"), "my-app");
  CHECK(text.find("#include <tunables/global>") != std::string::npos);
  CHECK(has_line(text, "profile \"my-app\" flags=(attach_disconnected,mediate_deleted) {"));
  CHECK(has_line(text, "#include <abstractions/base>"));
  CHECK(has_line(text, "#   /usr/bin/app --serve /srv/data"));  // header names the commands
  CHECK(has_line(text, "#   /usr/bin/app --check"));
  CHECK(has_line(text, "signal (send,receive) peer=\"my-app\","));
  CHECK(has_line(text, "ptrace (trace,read,tracedby,readby) peer=\"my-app\","));
  CHECK(has_line(text, "signal (receive) peer=unconfined,"));
  CHECK(text.substr(text.size() - 2) == "}\n");
}

// Each row: a recorded path and its accesses -> the exact rule line expected (or "" = no rule).
TEST_CASE("apparmor: access kinds map to permissions (table)", "[apparmor]") {
  struct Row {
    const char* path;
    tailor::FileUse use;
    const char* rule;
  };
  const Row rows[] = {
      {"/etc/a.conf", use({"read"}), "/etc/a.conf r,"},
      {"/etc/a.conf", use({"read", "stat"}), "/etc/a.conf r,"},
      {"/var/log/x.log", use({"create", "write"}), "/var/log/x.log w,"},
      {"/var/log/x.log", use({"truncate"}), "/var/log/x.log w,"},
      {"/var/log/x.log", use({"unlink"}), "/var/log/x.log w,"},
      {"/var/log/x.log", use({"chmod", "chown", "utime"}), "/var/log/x.log w,"},
      {"/var/a", use({"rename"}), "/var/a rw,"},
      {"/var/fifo", use({"mknod"}), "/var/fifo w,"},
      {"/run/s.sock", use({"bind"}), "/run/s.sock rw,"},
      {"/run/s.sock", use({"connect"}), "/run/s.sock rw,"},
      {"/var/db", use({"read", "write", "lock"}), "/var/db rwk,"},
      {"/usr/lib/x.so", use({"read", "map-exec"}), "/usr/lib/x.so rm,"},
      {"/usr/bin/tool", use({"exec"}), "/usr/bin/tool ix,"},
      {"/srv", use({"readdir"}), "/srv/ r,"},
      {"/srv/new", use({"mkdir"}), "/srv/new/ w,"},
      {"/srv/new", use({"rmdir"}), "/srv/new/ w,"},
      // mkdir of a directory that already existed: the name will be created in a fresh container
      {"/srv/new", use({"mkdir"}, false, {"EEXIST"}), "/srv/new/ w,"},
      // no rule: getattr, chdir and xattrs are not mediated by AppArmor file rules
      {"/etc/a.conf", use({"stat"}), ""},
      {"/srv", use({"chdir"}), ""},
      {"/srv/fattr", use({"xattr"}), ""},
      // no rule: probes that only ever failed
      {"/etc/missing", use({"read"}, false, {"ENOENT"}), ""},
      {"/etc/shadow", use({"read"}, false, {"EACCES"}), ""},
      // per-process /proc paths
      {"/proc/self/status", use({"read"}), "owner @{PROC}/@{pid}/status r,"},
      {"/proc/4711/cmdline", use({"read"}), "owner @{PROC}/@{pid}/cmdline r,"},
      {"/proc/thread-self/comm", use({"write"}), "owner @{PROC}/@{pid}/task/@{tid}/comm w,"},
      {"/proc/12/task/13/stat", use({"read"}), "owner @{PROC}/@{pid}/task/@{tid}/stat r,"},
      {"/proc/self/fd/7", use({"read"}), "owner @{PROC}/@{pid}/fd/[0-9]* r,"},
      {"/proc/self/fd", use({"readdir"}), "owner @{PROC}/@{pid}/fd/ r,"},
      {"/proc/meminfo", use({"read"}), "@{PROC}/meminfo r,"},
      {"/proc/sys/kernel/hostname", use({"read"}), "@{PROC}/sys/kernel/hostname r,"},
      // temp names
      {"/tmp/tmpk2j3_l9x", use({"create", "write"}), "/tmp/tmp* w,"},
      {"/tmp/tailor-test-AbC123/out", use({"create", "write"}), "/tmp/tailor-test-*/out w,"},
      {"/tmp/tmp.xEuT5308Wk/out.txt", use({"read"}), "/tmp/tmp.*/out.txt r,"},
      {"/var/tmp/sort.Xy12ab", use({"read"}), "/var/tmp/sort.* r,"},
      {"/dev/shm/sem.AbCdEf", use({"read"}), "/dev/shm/sem.* r,"},
      {"/tmp/output", use({"read"}), "/tmp/output r,"},  // a word, not a random name
      {"/tmp/port80", use({"read"}), "/tmp/port80 r,"},
      {"/tmp/report_2024", use({"read"}), "/tmp/report_2024 r,"},
      {"/tmp/sess_9f8e7d6c", use({"read"}), "/tmp/sess_* r,"},
      {"/tmp/out.txt", use({"read"}), "/tmp/out.txt r,"},
      {"/home/u/tmpk2j3_l9x", use({"read"}), "/home/u/tmpk2j3_l9x r,"},  // not a temp dir
      {"/dev/pts/5", use({"read", "write"}), "/dev/pts/[0-9]* rw,"},
      // normalisation
      {"/etc//x/../y", use({"read"}), "/etc/y r,"},
      {"/memfd:jit (deleted)", use({"map-exec"}), "/memfd:jit m,"},
  };
  for (const auto& row : rows) {
    tailor::Profile p;
    p.files[row.path] = row.use;
    const std::string text = emit(p);
    std::string accesses;
    for (const auto& a : row.use.access) accesses += a + " ";
    INFO(row.path << " [" << accesses << "]\n" << text);
    if (*row.rule) {
      CHECK(has_line(text, row.rule));
    } else {
      std::string path = row.path;
      CHECK_FALSE(rule_mentions(text, path.substr(path.rfind('/'))));
    }
  }
}

TEST_CASE("apparmor: many files in one directory become dir/*, trees dir/**", "[apparmor]") {
  const std::string text = emit(input("apparmor_files.json"));
  // 9 files in plugins/, 8 of them read-only: one glob for those, p08 keeps its own rw rule.
  CHECK(has_line(text, "/usr/share/app/plugins/* r,"));
  CHECK(has_line(text, "/usr/share/app/plugins/p08.conf rwk,"));  // flock: k
  CHECK_FALSE(rule_mentions(text, "p01.conf"));
  CHECK(has_line(text, "/usr/share/app/plugins/few/a.conf r,"));  // not covered by `*`
  // 17 python files over 6 directories: one tree rule at /usr/lib/python3.11
  CHECK(has_line(text, "/usr/lib/python3.11/** r,"));
  CHECK_FALSE(rule_mentions(text, "decoder.py"));

  tailor::Profile p;
  for (int i = 0; i < 7; ++i) p.files["/opt/d/f" + std::to_string(i)] = use({"read"});
  CHECK_FALSE(rule_mentions(emit(p), "/opt/d/*"));  // 7 < threshold 8: listed one by one
  p.files["/opt/d/f7"] = use({"read"});
  CHECK(has_line(emit(p), "/opt/d/* r,"));
  // never a glob over devices, even many of them
  tailor::Profile dev;
  for (int i = 0; i < 12; ++i) dev.files["/dev/tty" + std::to_string(i)] = use({"read", "write"});
  CHECK_FALSE(rule_mentions(emit(dev), "/dev/*"));
  // never ** at a shallow level (/usr/lib), even for many files
  tailor::Profile wide;
  for (int d = 0; d < 4; ++d)
    for (int i = 0; i < 6; ++i)
      wide.files["/usr/lib/d" + std::to_string(d) + "/f" + std::to_string(i)] = use({"read"});
  const std::string w = emit(wide);
  CHECK_FALSE(rule_mentions(w, "/usr/lib/**"));
  CHECK(has_line(w, "/usr/lib/d0/f0 r,"));
  require_compiles(w);
}

TEST_CASE("apparmor: links, locks and executables", "[apparmor]") {
  const std::string text = emit(input("apparmor_files.json"));
  // flock was used: files opened for writing may be locked (not devices, not unlink-only)
  CHECK(has_line(text, "/srv/data/db.sqlite rwk,"));
  CHECK(has_line(text, "/dev/null rw,"));
  CHECK(has_line(text, "/srv/data/gone.csv w,"));
  // names created next to a hard link's source may be the link: they get `l`
  CHECK(has_line(text, "/srv/data/report wl,"));
  CHECK(has_line(text, "/srv/data/out.csv wkl,"));
  CHECK(has_line(text, "/srv/data/in.csv r,"));  // read, not created: no `l`
  CHECK(has_line(text, "/usr/bin/helper ix,"));
  CHECK(has_line(text, "/usr/bin/app ix,"));
  CHECK_FALSE(rule_mentions(text, "px"));
}

TEST_CASE("apparmor: network and capability mapping", "[apparmor]") {
  const std::string text = emit(input("apparmor_net_caps.json"));
  for (const char* l :
       {"network inet stream,", "network inet dgram,", "network inet6 stream,",
        "network unix stream,", "network unix seqpacket,", "network netlink raw,",
        "network packet raw,", "network alg seqpacket,", "network kcm stream,", "network inet,"})
    CHECK(has_line(text, l));
  CHECK_FALSE(rule_mentions(text, "AF_99"));
  CHECK(text.find("# socket family AF_99: no AppArmor keyword; not granted") != std::string::npos);
  CHECK(has_line(text, "capability net_bind_service,  # bind: bind inet 0.0.0.0:80"));
  CHECK(has_line(text, "capability net_raw,  # socket: socket packet raw"));
  CHECK(has_line(text, "capability sys_admin,  # mount: mount tmpfs /mnt/scratch"));
  CHECK_FALSE(rule_mentions(text, "not_a_real_one"));
  CHECK_FALSE(rule_mentions(text, "sys_ptrace"));  // a hint is not a grant
  CHECK(has_line(text, "mount,"));
  CHECK(has_line(text, "umount,"));
  CHECK(has_line(text, "deny pivot_root,"));
  CHECK_FALSE(has_line(text, "deny network alg,  # kernel crypto API sockets (AF_ALG)"));

  // and without any of it: nothing granted, everything denied
  const std::string none = emit(tailor::Profile{});
  for (const auto& l : lines_of(none)) {
    CHECK(l.rfind("network ", 0) != 0);
    CHECK(l.rfind("capability ", 0) != 0);
  }
  CHECK(has_line(none, "deny mount,"));
  CHECK(has_line(none, "deny network alg,  # kernel crypto API sockets (AF_ALG)"));
}

TEST_CASE("apparmor: docker-default denials give way to what the workload used", "[apparmor]") {
  const std::string base = emit(tailor::Profile{});
  for (const char* l :
       {"deny @{PROC}/* w,", "deny @{PROC}/sys/[^k]** w,", "deny @{PROC}/sysrq-trigger rwklx,",
        "deny @{PROC}/kcore rwklx,", "deny /sys/[^f]*/** wklx,", "deny /sys/fs/cg[^r]*/** wklx,",
        "deny /sys/kernel/security/** rwklx,", "deny /sys/firmware/** rwklx,",
        "deny @{PROC}/sys/kernel/{?,??,[^s][^h][^m]**} w,"})
    CHECK(rule_mentions(base, l));

  const std::string text = emit(input("apparmor_sys_writes.json"));
  // written /proc/sys/net/..., /proc/sysrq-trigger, /sys/class/...; read securityfs
  CHECK_FALSE(rule_mentions(text, "deny @{PROC}/sys/[^k]** w"));
  CHECK_FALSE(rule_mentions(text, "deny @{PROC}/sysrq-trigger"));
  CHECK_FALSE(rule_mentions(text, "deny @{PROC}/* w"));
  CHECK_FALSE(rule_mentions(text, "deny /sys/[^f]*/** wklx"));
  CHECK_FALSE(rule_mentions(text, "deny /sys/kernel/security/**"));
  CHECK(text.find("# not denied: @{PROC}/sys/[^k]** w (sysctls outside /proc/sys/kernel): the "
                  "workload used /proc/sys/net/ipv4/ip_forward") != std::string::npos);
  // shm* sysctls and /proc/self and cgroupfs writes are outside those denials: they stay
  CHECK(rule_mentions(text, "deny @{PROC}/sys/kernel/{?,??,[^s][^h][^m]**} w"));
  CHECK(rule_mentions(text,
                      "deny @{PROC}/{[^1-9/],[^1-9/][^0-9/],[^1-9s/][^0-9y/][^0-9s/],[^1-9/][^0-9/]"
                      "[^0-9/][^0-9/]*}/** w"));
  CHECK(rule_mentions(text, "deny /sys/fs/cg[^r]*/** wklx"));
  CHECK(rule_mentions(text, "deny @{PROC}/kcore rwklx"));
  CHECK(has_line(text, "@{PROC}/sys/net/ipv4/ip_forward rw,"));
  require_compiles(text);
}

TEST_CASE("apparmor: special characters in paths are escaped or quoted", "[apparmor]") {
  const std::string text = emit(input("apparmor_special_chars.json"));
  CHECK(has_line(text, "\"/srv/my files/report 1.txt\" r,"));
  CHECK(has_line(text, "/srv/glob\\*star\\?.txt r,"));
  CHECK(has_line(text, "/srv/\\[brackets\\]/x w,"));
  CHECK(has_line(text, "/srv/\\{braces\\}/y r,"));
  CHECK(has_line(text, "\"/srv/quote\\\"d\" r,"));
  CHECK(has_line(text, "\"/srv/q/hash#comment\" r,"));
  CHECK(has_line(text, "\"/srv/q/comma,name\" r,"));
  CHECK(has_line(text, "/srv/at\\@\\{var\\} r,"));
  CHECK(has_line(text, "/srv/q/back\\\\slash r,"));
  CHECK(has_line(text, "/srv/q/new\\012line r,"));
  CHECK(has_line(text, "/srv/q/tab\\011name r,"));
  CHECK(has_line(text, "/srv/caf\xc3\xa9 r,"));
  CHECK(has_line(text, "/srv/q/caret\\^x r,"));
  CHECK(has_line(text, "\"/usr/bin/my prog\" ix,"));
  CHECK(has_line(text, "/memfd:jit m,"));
  CHECK_FALSE(rule_mentions(text, "relative/path"));
  // a newline in an argv cannot end the header comment early
  CHECK(has_line(text, "#   /usr/bin/my prog a?b --x=\"q\""));
  require_compiles(text);

  // the profile name is quoted everywhere it appears
  const std::string named = emit(tailor::Profile{}, "odd name \"x\"");
  CHECK(has_line(named,
                 "profile \"odd name \\\"x\\\"\" flags=(attach_disconnected,mediate_deleted) {"));
  require_compiles(named);
}

TEST_CASE("apparmor: output is deterministic", "[apparmor]") {
  for (const char* name : kInputs) {
    const tailor::Profile p = input(std::string(name) + ".json");
    CHECK(emit(p) == emit(p));
    // the same facts merged in another order give the same text
    tailor::Profile a, b;
    for (const auto& [path, u] : p.files) (path.size() % 2 ? a : b).files[path] = u;
    tailor::Profile rest = p;
    rest.files.clear();
    CHECK(emit(tailor::merge(tailor::merge(a, b), rest)) ==
          emit(tailor::merge(rest, tailor::merge(b, a))));
  }
}

TEST_CASE("apparmor: the parser rejects broken profiles", "[apparmor]") {
  if (!have_parser()) return;
  const std::string good = emit(input("apparmor_net_caps.json"));
  REQUIRE(compile(good).status == 0);
  const std::size_t end = good.rfind('}');
  SECTION("a bogus capability") {
    std::string bad = good;
    bad.insert(end, "  capability bogus_capability,\n");
    auto r = compile(bad);
    CHECK(r.status != 0);
    CHECK(r.err.find("bogus_capability") != std::string::npos);
  }
  SECTION("a syntax error (a rule without its comma)") {
    std::string bad = good;
    const auto at = bad.find("network inet stream,");
    REQUIRE(at != std::string::npos);
    bad.erase(at + std::string("network inet stream").size(), 1);
    CHECK(compile(bad).status != 0);
  }
  SECTION("conflicting exec modifiers on one path") {
    std::string bad = good;
    bad.insert(end, "  /usr/sbin/netd px,\n");
    CHECK(compile(bad).status != 0);
  }
  SECTION("a missing include") {
    std::string bad = good;
    bad.insert(end, "  #include <abstractions/tailor-does-not-exist>\n");
    CHECK(compile(bad).status != 0);
  }
}

// Real recordings of the bundled samples: what the recorder writes must become a profile the
// parser accepts, with the rules the sample's behaviour calls for.
TEST_CASE("apparmor: profiles from real recordings compile", "[apparmor]") {
  TempDir dir;
  struct Sample {
    const char* name;
    bool needs_root;
    std::vector<std::string> rules;  // lines that must be in the profile ($TMP: the run's dir)
  };
  const Sample samples[] = {
      {"fileio", false, {}},
      {"tcp", false, {"network inet stream,", "network inet dgram,", "network unix dgram,"}},
      {"pipeline", false, {"/usr/bin/dash ix,", "/usr/bin/tr ix,"}},
      {"port80", true, {"capability net_bind_service,", "network inet stream,"}},
  };
  for (const auto& s : samples) {
    SECTION(s.name) {
      if (s.needs_root && ::geteuid() != 0) {
        WARN("not root: " << s.name << " skipped");
        continue;
      }
      const std::string work = dir / (std::string(s.name) + "-run");
      std::filesystem::create_directories(work);
      auto rec = tailor::test::record({tailor::test::sample(s.name), work},
                                      dir / (std::string(s.name) + ".json"));
      INFO(rec.run.err);
      REQUIRE(rec.run.status == 0);
      const std::string text = emit(rec.profile, std::string("tailor-") + s.name);
      INFO(text);
      require_compiles(text);
      CHECK(has_line(text, tailor::test::sample(s.name) + " ix,"));  // the program itself
      for (const auto& l : s.rules) {
        const bool found =
            has_line(text, l) || (l.find("capability ") == 0 && rule_mentions(text, l));
        CHECK(found);
      }
      CHECK_FALSE(rule_mentions(text, "/proc/1"));  // no recorded pid leaks into a rule
      CHECK(emit(rec.profile, "x") == emit(rec.profile, "x"));
    }
  }
  SECTION("fileio: the files it wrote are granted under the temp pattern") {
    // A mkdtemp-like name whose suffix mixes letters and digits, as random suffixes do.
    const std::string work = "/tmp/tailor-aa-QzW" + std::to_string(::getpid()) + "Xy";
    std::filesystem::create_directories(work);
    auto rec = tailor::test::record({tailor::test::sample("fileio"), work}, dir / "fio.json");
    std::filesystem::remove_all(work);
    REQUIRE(rec.run.status == 0);
    const std::string text = emit(rec.profile);
    INFO(text);
    CHECK(rule_mentions(text, "/tmp/tailor-aa-*/d.txt w"));
    CHECK(rule_mentions(text, "/tmp/tailor-aa-*/e.txt r"));
    CHECK(rule_mentions(text, "/tmp/tailor-aa-*/a.txt rw"));  // renamed: read + delete
    CHECK(rule_mentions(text, "/tmp/tailor-aa-*/sub/ w"));    // mkdir/rmdir
    CHECK_FALSE(rule_mentions(text, "QzW"));
    require_compiles(text);
  }
}
