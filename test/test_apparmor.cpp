// AppArmor emitter: every generated profile is compiled by the real apparmor_parser (this kernel
// has no AppArmor LSM, so the profile is parsed and compiled to a DFA but not loaded), broken
// ones must be rejected, and the path-collapsing, network, capability and quoting decisions are
// checked one by one. Golden files: test/golden/apparmor/*.profile (UPDATE_GOLDEN=1 rewrites).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
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

// ---- names that differ on every run, and what a path is ----------------------------------------

namespace {

tailor::FileUse typed(std::initializer_list<const char*> access,
                      std::initializer_list<const char*> types,
                      std::initializer_list<std::uint32_t> pids = {}) {
  tailor::FileUse u = use(access);
  for (const char* t : types) u.types.insert(t);
  for (auto n : pids) u.pids.insert(n);
  return u;
}

// The file rule lines of a profile made of these files (and nothing else).
std::string emit_files(const std::map<std::string, tailor::FileUse>& files,
                       bool ran_as_root = false) {
  tailor::Profile p;
  p.files = files;
  if (ran_as_root) p.process.uids[0].add("/app");
  return emit(p);
}

}  // namespace

TEST_CASE("apparmor: random names of every common shape become globs, words stay", "[apparmor]") {
  struct Row {
    const char* path;
    tailor::FileUse use;
    const char* rule;
  };
  const Row rows[] = {
      // Go's os.CreateTemp: prefix + random uint32 in decimal, with or without a suffix
      {"/tmp/upload-1485498181", use({"create", "write"}), "/tmp/upload-* w,"},
      {"/tmp/upload1485498181", use({"read"}), "/tmp/upload* r,"},
      {"/tmp/1485498181.json", use({"read"}), "/tmp/*.json r,"},
      {"/tmp/upload-123456.tar.gz", use({"read"}), "/tmp/upload-*.tar.gz r,"},
      // mkstemps: the random part before a suffix (a prefix glued to it goes with it)
      {"/tmp/cc8XwQ2a.o", use({"read"}), "/tmp/*.o r,"},
      {"/var/tmp/foo-AbC123.txt", use({"read"}), "/var/tmp/foo-*.txt r,"},
      // Python's tempfile, all eight characters letters too
      {"/tmp/tmpabcdefgh", use({"read"}), "/tmp/tmp* r,"},
      {"/tmp/tmpab_cdefg.txt", use({"read"}), "/tmp/tmp*.txt r,"},
      {"/tmp/tmpk2j3l9ab", use({"read"}), "/tmp/tmp* r,"},
      // timestamps: Unix seconds/milliseconds, dates and times with separators
      {"/tmp/run-1700000000123.log", use({"read"}), "/tmp/run-*.log r,"},
      {"/tmp/backup-2024-01-01.tar", use({"read"}), "/tmp/backup-*.tar r,"},
      {"/tmp/ts-20240101T123456Z", use({"read"}), "/tmp/ts-* r,"},
      {"/tmp/ts-20240101-123456.log", use({"read"}), "/tmp/ts-*.log r,"},
      {"/dev/shm/x.2024-01-01_12.00.00", use({"read"}), "/dev/shm/x.* r,"},
      // words, versions, short numbers stay literal
      {"/tmp/output", use({"read"}), "/tmp/output r,"},
      {"/tmp/report_2024", use({"read"}), "/tmp/report_2024 r,"},
      {"/tmp/python3.11.4", use({"read"}), "/tmp/python3.11.4 r,"},
      {"/tmp/tmpfiles.d", use({"read"}), "/tmp/tmpfiles.d r,"},
      {"/tmp/x86_64-linux-gnu", use({"read"}), "/tmp/x86_64-linux-gnu r,"},
      {"/tmp/v1.2.3-12345", use({"read"}), "/tmp/v1.2.3-12345 r,"},
      // outside temp directories nothing is random
      {"/srv/upload-1485498181", use({"read"}), "/srv/upload-1485498181 r,"},
      {"/etc/ssl/certs/1234567", use({"read"}), "/etc/ssl/certs/1234567 r,"},
  };
  for (const auto& row : rows) {
    const std::string text = emit_files({{row.path, row.use}});
    INFO(row.path << "\n" << text);
    CHECK(has_line(text, row.rule));
  }
  // All of them at once: the parser takes every glob.
  std::map<std::string, tailor::FileUse> all;
  for (const auto& row : rows) all[row.path] = row.use;
  require_compiles(emit_files(all));
}

TEST_CASE("apparmor: names made fresh (mkstemp, mkdtemp) are random even when they look like words",
          "[apparmor]") {
  // mkstemp draws an all-lower-case suffix about one time in forty: "tailor-mk-abcdef" looks
  // like a word to the name rules, but the "mktemp" access (O_CREAT|O_EXCL 0600, mkdir 0700)
  // says the name was made to be fresh.
  CHECK(has_line(emit_files({{"/tmp/tailor-mk-abcdef", use({"create", "write", "mktemp"})}}),
                 "/tmp/tailor-mk-* w,"));
  CHECK(has_line(emit_files({{"/tmp/tailor-mk-abcdef", use({"create", "write"})}}),
                 "/tmp/tailor-mk-abcdef w,"));
  // a suffix after the random part (mkstemps), Go's short numbers
  CHECK(has_line(emit_files({{"/tmp/fooabcdef.txt", use({"create", "mktemp"})}}), "/tmp/*.txt w,"));
  CHECK(
      has_line(emit_files({{"/tmp/upload-4711", use({"create", "mktemp"})}}), "/tmp/upload-* w,"));
  // a directory made by mkdtemp: its name is a glob in the rules of the files inside it too
  const std::string dir = emit_files({{"/tmp/work-abcdef", use({"mkdir", "mktemp", "rmdir"})},
                                      {"/tmp/work-abcdef/out", use({"create", "write"})}});
  CHECK(has_line(dir, "/tmp/work-*/ w,"));
  CHECK(has_line(dir, "/tmp/work-*/out w,"));
  // a lock file made with O_EXCL but not private (0644) is not "mktemp": it keeps its name
  CHECK(has_line(emit_files({{"/tmp/myservice.lock", use({"create", "write"})}}),
                 "/tmp/myservice.lock w,"));
  // not in a temp directory: a fresh name there is the program's to choose, and stays
  CHECK(has_line(emit_files({{"/srv/data/abcdef", use({"create", "mktemp"})}}),
                 "/srv/data/abcdef w,"));
}

TEST_CASE("apparmor: pid-named parts and the recording user's name", "[apparmor]") {
  // The recorder marks numbers that were pids (FileUse::pids); only those become @{pid}, and
  // only where per-process files live (temp directories, /run).
  const std::string jvm = emit_files({
      {"/tmp/hsperfdata_app/4711", typed({"create", "write", "read"}, {"file"}, {4711})},
      {"/tmp/hsperfdata_app/4712", typed({"read"}, {"file"}, {4712})},
      {"/tmp/hsperfdata_app/99", typed({"read"}, {"file"})},  // not a pid: stays
      {"/run/app/agent.4711.sock", typed({"bind"}, {"socket"}, {4711})},
      {"/tmp/.java_pid4711", typed({"bind"}, {"socket"}, {4711})},
      {"/etc/ssl/certs/4711", typed({"read"}, {"file"}, {4711})},  // not where pid files live
      {"/var/lib/postgresql/15/main", typed({"read"}, {"dir"}, {15})},
  });
  INFO(jvm);
  CHECK(has_line(jvm, "/tmp/hsperfdata_app/@{pid} rw,"));
  CHECK(has_line(jvm, "/tmp/hsperfdata_app/99 r,"));
  CHECK(has_line(jvm, "/run/app/agent.@{pid}.sock rw,"));
  CHECK(has_line(jvm, "/tmp/.java_pid@{pid} rw,"));
  // a pid long enough to look random is still a pid: the same pattern as a short one
  CHECK(
      has_line(emit_files({{"/tmp/hsperfdata_app/1234567", typed({"read"}, {"file"}, {1234567})}}),
               "/tmp/hsperfdata_app/@{pid} r,"));
  CHECK(has_line(jvm, "/etc/ssl/certs/4711 r,"));
  CHECK(has_line(jvm, "/var/lib/postgresql/15/main/ r,"));
  CHECK_FALSE(rule_mentions(jvm, "4712"));
  require_compiles(jvm);
  // what tailor diff sees: the pattern matches the next run's pid
  for (const auto& r : tailor::apparmor_file_rules([] {
         tailor::Profile p;
         p.files["/tmp/hsperfdata_app/4711"] = typed({"read"}, {"file"}, {4711});
         return p;
       }()))
    CHECK(tailor::apparmor_pattern_matches(r.pattern, "/tmp/hsperfdata_app/52133"));

  // The user's name: ran as root without capabilities, so the flags say --user 65534:65534 and
  // the app will write /tmp/hsperfdata_nobody (or whatever 65534 is called in the image).
  const std::map<std::string, tailor::FileUse> root_files = {
      {"/tmp/hsperfdata_root", typed({"mkdir", "read", "readdir"}, {"dir"})},
      {"/tmp/hsperfdata_root/4711", typed({"create", "write"}, {"file"}, {4711})},
      {"/tmp/root/cache", typed({"read"}, {"file"})},
      {"/tmp/rootfs-x", typed({"read"}, {"file"})},   // "root" not as a word of the name
      {"/root/.profile", typed({"read"}, {"file"})},  // not a temp name: stays
  };
  const std::string nobody = emit_files(root_files, true);
  INFO(nobody);
  CHECK(has_line(nobody, "/tmp/hsperfdata_*/ rw,"));
  CHECK(has_line(nobody, "/tmp/hsperfdata_*/@{pid} w,"));
  CHECK(has_line(nobody, "/tmp/*/cache r,"));
  CHECK(has_line(nobody, "/tmp/rootfs-x r,"));
  CHECK(has_line(nobody, "/root/.profile r,"));
  require_compiles(nobody);
  // With a capability exercised the app stays root (no --user): the name stays.
  tailor::Profile capped;
  capped.files = root_files;
  capped.process.uids[0].add("/app");
  capped.capabilities["CAP_NET_BIND_SERVICE"].ev.add("/app");
  CHECK(tailor::runs_as_nobody(tailor::Profile{}) == false);
  CHECK_FALSE(tailor::runs_as_nobody(capped));
  CHECK(has_line(emit(capped), "/tmp/hsperfdata_root/ rw,"));
  // Recorded as another user: the flags do not change it, nor do the rules.
  const std::string other = emit_files(root_files, false);
  CHECK(has_line(other, "/tmp/hsperfdata_root/ rw,"));
}

TEST_CASE("apparmor: the rule's form follows what the path is, not how it was opened",
          "[apparmor]") {
  struct Row {
    const char* path;
    tailor::FileUse use;
    const char* rule;
    const char* not_rule;
  };
  const Row rows[] = {
      // Go's os.ReadDir: O_RDONLY without O_DIRECTORY; the recorder knows it is a directory
      {"/srv/www", typed({"read", "readdir"}, {"dir"}), "/srv/www/ r,", "/srv/www r,"},
      {"/srv/www", typed({"read"}, {"dir"}), "/srv/www/ r,", "/srv/www r,"},
      // a config file probed with O_DIRECTORY first (ENOTDIR), then read as the file it is
      {"/etc/app.conf", typed({"read"}, {"file"}, {}), "/etc/app.conf r,", "/etc/app.conf/ r,"},
      // an older profile's "readdir" from such a probe is overruled by the type
      {"/etc/app.conf", typed({"read", "readdir"}, {"file"}), "/etc/app.conf r,",
       "/etc/app.conf/ r,"},
      // attribute changes and renames of a directory
      {"/srv/data", typed({"chmod", "chown"}, {"dir"}), "/srv/data/ w,", "/srv/data w,"},
      {"/srv/old", typed({"rename"}, {"dir"}), "/srv/old/ rw,", "/srv/old rw,"},
      // devices, sockets, symlinks are not directories
      {"/dev/null", typed({"read", "write"}, {"chr"}), "/dev/null rw,", "/dev/null/ rw,"},
      // without a type (profiles from before types existed): the accesses decide, as they did
      {"/srv/www", use({"readdir"}), "/srv/www/ r,", "/srv/www r,"},
      {"/srv/www", use({"read"}), "/srv/www r,", "/srv/www/ r,"},
  };
  for (const auto& row : rows) {
    const std::string text = emit_files({{row.path, row.use}});
    INFO(row.path << "\n" << text);
    CHECK(has_line(text, row.rule));
    CHECK_FALSE(has_line(text, row.not_rule));
  }
  // A name that was a directory once and a file another time (a reused temp name) gets both.
  const std::string both = emit_files({{"/srv/x", typed({"read"}, {"dir", "file"})}});
  CHECK(has_line(both, "/srv/x/ r,"));
  CHECK(has_line(both, "/srv/x r,"));
  require_compiles(both);
}

// ---- real recordings: profiles that do not drift by themselves ---------------------------------

namespace {

tailor::test::RunResult tailor_cli(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {tailor::test::tailor_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  return tailor::test::run(argv, 120);
}

}  // namespace

// Every run of these samples makes files with new random names, pids and timestamps
// (samples/tempnames.c) and opens directories in ways whose flags do not say what they are
// (samples/dirshapes.c). Recorded twice — and once more with the other backend — the profiles
// must diff clean both ways and give the same AppArmor profile, byte for byte.
TEST_CASE("apparmor: a workload recorded twice diffs clean and gives the same profile",
          "[apparmor]") {
  TempDir t;
  // dirshapes writes into the directory it is given: the same one every time, so the recorded
  // commands (which the AppArmor header names) are the same too.
  const std::string work = t / "work";
  std::filesystem::create_directories(work);
  struct Workload {
    const char* name;
    std::vector<std::string> argv;
  };
  const Workload workloads[] = {
      {"tempnames", {tailor::test::sample("tempnames"), "--hsperf", "tailor_twice_hsperf"}},
      {"dirshapes", {tailor::test::sample("dirshapes"), work}},
  };
  std::vector<std::vector<std::string>> ways = {{}, {}};
  if (::geteuid() == 0) ways.push_back({"--backend", "notify"});
  for (const auto& w : workloads) {
    SECTION(w.name) {
      std::vector<std::string> profiles, apparmor;
      for (std::size_t i = 0; i < ways.size(); ++i) {
        const std::string out = t / (std::string(w.name) + std::to_string(i) + ".json");
        auto rec = tailor::test::record(w.argv, out, ways[i]);
        INFO(w.name << " run " << i << ": " << rec.run.err);
        REQUIRE(rec.run.status == 0);
        profiles.push_back(out);
        const std::string aa = t / (std::string(w.name) + std::to_string(i) + ".aa");
        auto gen = tailor_cli({"generate", out, "--apparmor", aa, "--name", "twice"});
        REQUIRE(gen.status == 0);
        apparmor.push_back(tailor::test::read_text(aa));
      }
      if (std::string(w.name) == "tempnames") {
        // Not vacuous: the two recordings do name different files.
        const auto a = tailor::load_profile(profiles[0]), b = tailor::load_profile(profiles[1]);
        std::set<std::string> fa, fb;
        for (const auto& [path, u] : a.files) fa.insert(path);
        for (const auto& [path, u] : b.files) fb.insert(path);
        CHECK(fa != fb);
      }
      for (std::size_t i = 1; i < ways.size(); ++i) {
        for (const auto& [from, to] :
             {std::pair{profiles[0], profiles[i]}, {profiles[i], profiles[0]}}) {
          auto d = tailor_cli({"diff", from, to, "--fail-on", "any"});
          INFO("tailor diff " << from << " " << to << "\n" << d.out << d.err);
          CHECK(d.status == 0);
        }
        INFO("AppArmor profile of run 0:\n"
             << apparmor[0] << "\nof run " << i << ":\n"
             << apparmor[i]);
        CHECK(apparmor[i] == apparmor[0]);
      }
      require_compiles(apparmor[0]);
    }
  }
}

// A JVM reads the hsperfdata files of the other JVMs running: files named after processes that
// are not the workload's. A number that is no live process's pid stays as it is.
TEST_CASE("apparmor: a file named after a live process outside the recording is a pid",
          "[apparmor]") {
  TempDir t;
  const std::string peers = t / "peers";
  std::filesystem::create_directories(peers);
  const pid_t sleeper = ::fork();
  REQUIRE(sleeper >= 0);
  if (sleeper == 0) {
    ::execl("/bin/sleep", "sleep", "120", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const std::string live = peers + "/" + std::to_string(sleeper);
  // A number shaped like a pid that no process has (5 digits: longer numbers in a temp
  // directory are globbed as random anyway).
  int unused = 99999;
  while (std::filesystem::exists("/proc/" + std::to_string(unused))) --unused;
  const std::string dead = peers + "/" + std::to_string(unused);
  std::ofstream(live) << "peer\n";
  std::ofstream(dead) << "stale\n";
  auto rec = tailor::test::record(
      {tailor::test::sample("tempnames"), "--hsperf", "tailor_peers_hsperf", "--peers", peers},
      t / "p.json");
  ::kill(sleeper, SIGKILL);
  ::waitpid(sleeper, nullptr, 0);
  INFO(rec.run.err);
  REQUIRE(rec.run.status == 0);
  const auto& files = rec.profile.files;
  REQUIRE(files.count(live));
  REQUIRE(files.count(dead));
  CHECK(files.at(live).pids == std::set<std::uint32_t>{static_cast<std::uint32_t>(sleeper)});
  CHECK(files.at(dead).pids.empty());
  auto pattern_for = [&](const std::string& path) {
    for (const auto& r : tailor::apparmor_file_rules(rec.profile))
      if (std::find(r.paths.begin(), r.paths.end(), path) != r.paths.end()) return r.pattern;
    return std::string();
  };
  const std::string lp = pattern_for(live), dp = pattern_for(dead);
  INFO(lp << "\n" << dp);
  auto ends_with = [](const std::string& s, const std::string& tail) {
    return s.size() > tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  };
  CHECK(ends_with(lp, "/@{pid}"));
  CHECK(ends_with(dp, "/" + std::to_string(unused)));
  require_compiles(emit(rec.profile));
}

// The real Go shape (samples/go/gotemp.go, built when Debian's golang-go is installed):
// os.CreateTemp, os.MkdirTemp and os.ReadDir, which opens directories without O_DIRECTORY.
TEST_CASE("apparmor: a Go program's temp files and directory listings, recorded twice",
          "[apparmor]") {
  const std::string bin = tailor::test::sample("gotemp");
  if (!std::filesystem::exists(bin)) {
    WARN("go not installed (apt-get install golang-go): the Go sample gotemp was not built");
    return;
  }
  TempDir t;
  const std::string listed = t / "listed";
  std::filesystem::create_directories(listed);
  std::vector<std::string> texts;
  std::vector<std::string> outs;
  for (int i = 0; i < 2; ++i) {
    const std::string out = t / ("go" + std::to_string(i) + ".json");
    auto rec = tailor::test::record({bin, listed}, out);
    INFO(rec.run.err);
    REQUIRE(rec.run.status == 0);
    REQUIRE(rec.run.out == "gotemp ok\n");
    outs.push_back(out);
    texts.push_back(emit(rec.profile, "gotemp"));
    const auto rules = tailor::apparmor_file_rules(rec.profile);
    auto has_rule = [&](const std::string& pattern, const std::string& perms) {
      return std::any_of(rules.begin(), rules.end(), [&](const auto& r) {
        return r.pattern == pattern && r.perms == perms && !r.owner;
      });
    };
    auto rule_for = [&](const std::string& path) -> const tailor::AppArmorFileRule* {
      for (const auto& r : rules)
        if (std::find(r.paths.begin(), r.paths.end(), path) != r.paths.end()) return &r;
      return nullptr;
    };
    INFO(texts.back());
    CHECK(has_rule("/tmp/upload-*", "rw"));
    CHECK(has_rule("/tmp/work-*/", "rw"));
    CHECK(has_rule("/tmp/work-*/out.json", "w"));
    // os.ReadDir of a directory that was there before: a directory rule, and no file rule
    REQUIRE(rule_for(listed + "/") != nullptr);
    CHECK(rule_for(listed + "/")->perms == "r");
    CHECK(rule_for(listed) == nullptr);
  }
  // The files axis (Go's runtime makes timing-dependent syscalls, tgkill for preemption, which
  // one run may have and the other not).
  auto d = tailor_cli({"diff", outs[0], outs[1], "--format", "json"});
  INFO(d.out << d.err);
  const auto j = nlohmann::json::parse(d.out);
  CHECK(j["axes"]["files"]["added"].empty());
  CHECK(j["axes"]["files"]["removed"].empty());
  CHECK(texts[0] == texts[1]);
  require_compiles(texts[0]);
}
