// Records every core sample with the real recorder and checks the facts its source promises
// in `// tailor-expect:` lines (format: samples/README.md).
//
// The expectations live next to the code that causes them, so a sample and what it must show
// are reviewed together; this file only parses and checks them. A self-test below proves the
// checker reports a fact the recording lacks — otherwise a lenient checker would make every
// sample test pass vacuously.
#include <sys/stat.h>  // support.h uses chmod(2) without including it
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bpf_backend.h"
#include "support.h"
#include "tailor/analyze.h"
#include "tailor/emitters.h"

namespace fs = std::filesystem;
using tailor::Profile;
using tailor::test::record;
using tailor::test::Recorded;
using tailor::test::RunResult;
using tailor::test::sample;
using tailor::test::TempDir;

namespace {

struct Expectation {
  int line = 0;
  std::string kind;
  std::vector<std::string> args;
  std::string text() const {
    std::string t = kind;
    for (const auto& a : args) t += " " + a;
    return t;
  }
};

struct SampleSpec {
  std::vector<std::string> run_args;
  std::set<std::string> needs;
  std::vector<Expectation> expects;
};

std::vector<std::string> split_words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// Minimum and maximum argument counts per kind (max -1: unbounded). Anything else is an error:
// a typo in a sample must fail loudly, not become an expectation nobody checks.
bool arity_ok(const std::string& kind, std::size_t n) {
  if (kind == "syscall" || kind == "nosyscall" || kind == "socket") return n == 2;
  if (kind == "file") return n >= 1;
  if (kind == "endpoint") return n == 4;
  if (kind == "type" || kind == "aa-rule" || kind == "aa-path") return n == 2;
  if (kind == "no-aa-path") return n == 1;
  if (kind == "nofile" || kind == "cap" || kind == "exec" || kind == "exit" || kind == "exists" ||
      kind == "peak-processes" || kind == "peak-threads")
    return n == 1;
  throw std::runtime_error("unknown expectation kind '" + kind + "'");
}

int to_int(const std::string& s, const std::string& what) {
  std::size_t used = 0;
  int v = std::stoi(s, &used);
  if (used != s.size()) throw std::runtime_error("not a number in " + what + ": " + s);
  return v;
}

// Parses the tailor-* lines of a sample's source. Throws std::runtime_error naming the line.
SampleSpec parse_spec(const std::string& source) {
  SampleSpec spec;
  std::istringstream in(source);
  std::string line;
  int lineno = 0;
  bool saw_run = false;
  while (std::getline(in, line)) {
    ++lineno;
    auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line.compare(start, 2, "//") != 0) continue;
    std::string rest = line.substr(start + 2);
    rest.erase(0, rest.find_first_not_of(' '));
    auto directive = [&](const std::string& tag, std::string& value) {
      if (rest.rfind(tag, 0) != 0) return false;
      value = rest.substr(tag.size());
      return true;
    };
    std::string value;
    try {
      if (directive("tailor-expect:", value)) {
        auto words = split_words(value);
        if (words.empty()) throw std::runtime_error("empty expectation");
        Expectation e{lineno, words[0], {words.begin() + 1, words.end()}};
        if (!arity_ok(e.kind, e.args.size()))
          throw std::runtime_error("wrong number of arguments for '" + e.kind + "'");
        if (e.kind == "exit" || e.kind == "peak-processes" || e.kind == "peak-threads")
          to_int(e.args[0], e.kind);
        if (e.kind == "endpoint") to_int(e.args[3], "endpoint port");
        spec.expects.push_back(std::move(e));
      } else if (directive("tailor-run:", value)) {
        if (saw_run) throw std::runtime_error("more than one tailor-run line");
        saw_run = true;
        spec.run_args = split_words(value);
      } else if (directive("tailor-needs:", value)) {
        for (const auto& w : split_words(value)) {
          if (w != "root" && w != "m32") throw std::runtime_error("unknown need '" + w + "'");
          spec.needs.insert(w);
        }
      } else if (rest.rfind("tailor-", 0) == 0) {
        throw std::runtime_error("unknown directive");
      }
    } catch (const std::exception& ex) {
      throw std::runtime_error("line " + std::to_string(lineno) + ": " + ex.what() + ": " + line);
    }
  }
  return spec;
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

SampleSpec load_spec(const std::string& name) {
  return parse_spec(read_text(std::string(TAILOR_SOURCE_DIR) + "/samples/" + name + ".c"));
}

struct Vars {
  std::string tmp;   // $TMP
  std::string self;  // $SELF
  std::string cwd;   // $CWD: the working directory the sample starts in (the test's)
};

std::string substitute(std::string s, const Vars& v) {
  for (const auto& [key, value] :
       {std::pair{std::string("$TMP"), v.tmp}, {"$SELF", v.self}, {"$CWD", v.cwd}}) {
    for (auto pos = s.find(key); pos != std::string::npos; pos = s.find(key, pos + value.size()))
      s.replace(pos, key.size(), value);
  }
  return s;
}

std::string canonical_or_self(const std::string& p) {
  std::error_code ec;
  auto c = fs::weakly_canonical(p, ec);
  return ec ? p : c.string();
}

// Finds `path` among `keys`: exactly, else a key that resolves to the same file (merged /usr).
template <typename Map>
auto find_path(const Map& m, const std::string& path) {
  auto it = m.find(path);
  if (it != m.end()) return it;
  const std::string want = canonical_or_self(path);
  for (it = m.begin(); it != m.end(); ++it)
    if (!it->first.empty() && it->first[0] == '/' && canonical_or_self(it->first) == want) break;
  return it;
}

template <typename Range, typename Fn>
std::string join(const Range& r, Fn fn, std::size_t limit = 80) {
  std::string out;
  std::size_t n = 0;
  for (const auto& x : r) {
    if (n++ == limit) {
      out += " ...";
      break;
    }
    out += (out.empty() ? "" : " ") + fn(x);
  }
  return out.empty() ? "(none)" : out;
}

std::string recorded_syscalls(const Profile& p, const std::string& arch) {
  auto a = p.syscalls.find(arch);
  if (a == p.syscalls.end())
    return "no syscalls under arch " + arch +
           "; arches: " + join(p.syscalls, [](const auto& kv) { return kv.first; });
  return arch + ": " +
         join(
             a->second, [](const auto& kv) { return kv.first; }, 400);
}

// Recorded file paths, those under `prefix` first (they are the ones a sample is about).
std::string recorded_files(const Profile& p, const std::string& prefix) {
  std::vector<std::string> near, rest;
  for (const auto& [path, use] : p.files) {
    std::string entry = path + " {" + join(use.access, [](auto& s) { return s; }) + "}";
    if (!use.errors.empty())
      entry += " errors{" + join(use.errors, [](auto& s) { return s; }) + "}";
    (path.rfind(prefix, 0) == 0 ? near : rest).push_back(entry);
  }
  return "recorded under " + prefix + ": " + join(near, [](auto& s) { return s; }) +
         "\n    other recorded files: " +
         join(
             rest, [](auto& s) { return s; }, 30);
}

// Checks every expectation against one recording; returns one message per unmet expectation.
std::vector<std::string> check_expectations(const SampleSpec& spec, const Recorded& rec,
                                            const Vars& vars) {
  const Profile& p = rec.profile;
  std::vector<std::string> failures;
  for (const auto& e : spec.expects) {
    std::vector<std::string> a;
    for (const auto& arg : e.args) a.push_back(substitute(arg, vars));
    std::string problem;
    if (e.kind == "syscall" || e.kind == "nosyscall") {
      bool has = tailor::test::has_syscall(p, a[0], a[1]);
      if (e.kind == "syscall" && !has) problem = "not recorded; " + recorded_syscalls(p, a[0]);
      if (e.kind == "nosyscall" && has) problem = "recorded but must not be";
    } else if (e.kind == "file") {
      auto it = find_path(p.files, a[0]);
      if (it == p.files.end()) {
        problem = "path not recorded; " + recorded_files(p, vars.tmp);
      } else {
        std::vector<std::string> missing;
        for (std::size_t i = 1; i < a.size(); ++i)
          if (!it->second.access.count(a[i])) missing.push_back(a[i]);
        if (!missing.empty())
          problem = "missing access {" + join(missing, [](auto& s) { return s; }) + "}; " +
                    it->first + " has {" + join(it->second.access, [](auto& s) { return s; }) + "}";
        else if (!it->second.succeeded)
          problem = "recorded only as failing (errors {" +
                    join(it->second.errors, [](auto& s) { return s; }) + "})";
      }
    } else if (e.kind == "nofile") {
      if (p.files.count(a[0])) problem = "recorded but must not be; " + recorded_files(p, vars.tmp);
    } else if (e.kind == "socket") {
      bool found = std::any_of(p.sockets.begin(), p.sockets.end(), [&](const auto& kv) {
        return kv.first.family == a[0] && kv.first.type == a[1];
      });
      if (!found)
        problem = "recorded sockets: " + join(p.sockets, [](const auto& kv) {
                    return kv.first.family + "/" + kv.first.type + "/" +
                           std::to_string(kv.first.protocol);
                  });
    } else if (e.kind == "endpoint") {
      tailor::Endpoint want{a[0], a[1], a[2], to_int(a[3], "port")};
      if (!p.endpoints.count(want))
        problem = "recorded endpoints: " + join(p.endpoints, [](const auto& kv) {
                    const auto& ep = kv.first;
                    return ep.op + " " + ep.family + " " + ep.address + " " +
                           std::to_string(ep.port) + ";";
                  });
    } else if (e.kind == "cap") {
      if (!p.capabilities.count(a[0]))
        problem = "recorded capabilities: " +
                  join(p.capabilities, [](const auto& kv) { return kv.first; }) +
                  "; hints: " + join(p.capability_hints, [](const auto& kv) { return kv.first; });
    } else if (e.kind == "exec") {
      if (find_path(p.process.executables, a[0]) == p.process.executables.end())
        problem = "recorded executables: " +
                  join(p.process.executables, [](const auto& kv) { return kv.first; });
    } else if (e.kind == "exit") {
      if (rec.run.status != to_int(a[0], "exit"))
        problem = "tailor exited " + std::to_string(rec.run.status) + "; stderr: " + rec.run.err;
    } else if (e.kind == "type") {
      auto it = find_path(p.files, a[0]);
      if (it == p.files.end())
        problem = "path not recorded; " + recorded_files(p, vars.tmp);
      else if (!it->second.types.count(a[1]))
        problem = "types {" + join(it->second.types, [](auto& s) { return s; }) + "}";
    } else if (e.kind == "aa-rule" || e.kind == "aa-path" || e.kind == "no-aa-path") {
      // The AppArmor file rules `generate --apparmor` writes: a rule with exactly this pattern
      // (aa-rule), or the rule that stands for this recorded path, which ends in '/' for a
      // directory rule (aa-path), with exactly these permissions; or no rule for the path.
      const auto rules = tailor::apparmor_file_rules(p);
      const tailor::AppArmorFileRule* hit = nullptr;
      for (const auto& r : rules) {
        const bool match = e.kind == "aa-rule"
                               ? r.pattern == a[0] && !r.owner
                               : std::find(r.paths.begin(), r.paths.end(), a[0]) != r.paths.end();
        if (match) hit = &r;
      }
      const std::string listing = join(
          rules,
          [](const auto& r) { return (r.owner ? "owner " : "") + r.pattern + " " + r.perms; }, 200);
      if (e.kind == "no-aa-path" && hit)
        problem = "rule " + hit->pattern + " " + hit->perms + " stands for it";
      else if (e.kind != "no-aa-path" && !hit)
        problem = "no such rule; rules: " + listing;
      else if (e.kind != "no-aa-path" && hit->perms != a[1])
        problem = "rule " + hit->pattern + " has " + hit->perms;
    } else if (e.kind == "exists") {
      if (!fs::exists(a[0])) problem = "does not exist after tailor returned";
    } else if (e.kind == "peak-processes" || e.kind == "peak-threads") {
      auto got = e.kind == "peak-processes" ? p.resources.peak_processes : p.resources.peak_threads;
      if (got < static_cast<std::uint64_t>(to_int(a[0], e.kind)))
        problem = "recorded " + std::to_string(got);
    }
    if (!problem.empty())
      failures.push_back("line " + std::to_string(e.line) + ": expected `" + e.text() + "` (" +
                         join(a, [](auto& s) { return s; }) + "): " + problem);
  }
  return failures;
}

// One recording of a sample: the workload gets $TMP, the profile is written elsewhere so the
// sample's own directory holds only what the sample made.
struct SampleRun {
  TempDir work, out;
  Vars vars;
  Recorded rec;
};

std::unique_ptr<SampleRun> record_sample(const std::string& name, const SampleSpec& spec,
                                         const std::vector<std::string>& flags = {}) {
  auto r = std::make_unique<SampleRun>();
  r->vars = {r->work.path(), canonical_or_self(sample(name)), fs::current_path().string()};
  std::vector<std::string> argv = {sample(name)};
  for (const auto& arg : spec.run_args) argv.push_back(substitute(arg, r->vars));
  r->rec = record(argv, r->out / "profile.json", flags, 120);
  return r;
}

// Every way of recording must see the same facts: ptrace in seccomp mode (one stop per
// syscall, only without no-new-privileges as root), the eBPF recorder (no stops at all:
// arguments captured in the kernel, outcomes from sys_exit), the notify backend (seccomp user
// notification, no exit stops: outcomes predicted at entry) and ptrace in plain syscall-stop
// mode. They differ in exactly the places samples probe (exec, new processes, entry vs. exit).
std::vector<std::vector<std::string>> ways_to_record() {
  if (::geteuid() != 0) return {{"--mode", "syscall"}};
  std::vector<std::vector<std::string>> ways = {{"--mode", "seccomp"}};
  if (tailor::tracer::BpfBackend::unavailable_reason().empty())
    ways.push_back({"--backend", "bpf"});
  else
    WARN("eBPF recorder not compared: " << tailor::tracer::BpfBackend::unavailable_reason());
  ways.push_back({"--backend", "notify"});
  ways.push_back({"--mode", "syscall"});
  return ways;
}

std::string words(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& w : v) s += (s.empty() ? "" : " ") + w;
  return s;
}

// The facts a profile is made of, as comparable lines; $TMP of the run replaced so two runs
// in different temp dirs compare. Counts and evidence are left out: they are the same facts.
std::set<std::string> facts(const Profile& p, const std::string& tmp) {
  auto t = [&](std::string s) {
    for (auto pos = s.find(tmp); !tmp.empty() && pos != std::string::npos; pos = s.find(tmp))
      s.replace(pos, tmp.size(), "$TMP");
    return s;
  };
  std::set<std::string> f;
  // Names made fresh on every run (mkstemp, pids: the tempnames sample) are compared as the
  // AppArmor pattern that stands for them, which is the same on every run.
  std::map<std::string, std::string> pattern_of;
  for (const auto& r : tailor::apparmor_file_rules(p))
    for (auto path : r.paths) {
      if (path.size() > 1 && path.back() == '/') path.pop_back();
      if (path.rfind("/tmp/", 0) == 0 && path.rfind(tmp + "/", 0) != 0 && path != tmp)
        pattern_of.emplace(path, r.pattern);
    }
  // Whether a thread ever waits on a contended lock (futex), or a sleep gets restarted, depends
  // on scheduling, which differs between any two runs — of either backend.
  static const std::set<std::string> kTimingDependent = {"futex", "restart_syscall", "sched_yield"};
  for (const auto& [arch, names] : p.syscalls)
    for (const auto& [name, ev] : names)
      if (!kTimingDependent.count(name)) f.insert("syscall " + arch + " " + name);
  for (const auto& [path, use] : p.files) {
    // Lookups alone (stat, access, readlink) are left out: under notify a signal that reaches a
    // task before tailor has received its notification interrupts the call (EINTR where the
    // handler lacks SA_RESTART), and dash then skips that PATH entry — the workload itself did
    // something else (README, "Recording backends"), not a recording difference.
    if (use.access == std::set<std::string>{"stat"}) continue;
    // /proc/PID paths name a different pid on every run, pipe:[INODE] another inode.
    if (path.rfind("/proc/", 0) == 0 && path.size() > 6 && std::isdigit(path[6])) continue;
    if (path.find(":[") != std::string::npos) continue;
    auto pat = pattern_of.find(path);
    const std::string name = pat == pattern_of.end() ? t(path) : pat->second;
    for (const auto& a : use.access) f.insert("file " + name + " " + a);
    for (const auto& e : use.errors) f.insert("file " + name + " error " + e);
    for (const auto& ty : use.types) f.insert("file " + name + " type " + ty);
    if (use.succeeded) f.insert("file " + name + " ok");
  }
  for (const auto& [s, ev] : p.sockets)
    f.insert("socket " + s.family + " " + s.type + " " + std::to_string(s.protocol));
  for (const auto& [e, ev] : p.endpoints)
    f.insert("endpoint " + e.op + " " + e.family + " " + t(e.address) +
             (e.op == "connect" || e.op == "sendto" ? "" : " " + std::to_string(e.port)));
  for (const auto& [c, use] : p.capabilities) f.insert("cap " + c);
  for (const auto& [c, use] : p.capability_hints) f.insert("hint " + c);
  return f;
}

// tailor analyze must find statically every syscall the recording saw (recall 100 %), in the
// executables the sample ran and the libraries they loaded; execve is made by the parent.
void check_static_recall(const std::string& name, const Profile& recorded) {
  const Profile st = tailor::analyze_recorded(recorded, {});
  std::vector<std::string> missing;
  for (const auto& [arch, calls] : recorded.syscalls)
    for (const auto& [call, ev] : calls)
      if (call != "execve" && !tailor::test::has_syscall(st, arch, call))
        missing.push_back(arch + "/" + call);
  INFO(name << ": recorded but not found statically: " << join(missing, [](auto& x) { return x; })
            << "\n  static: " << tailor::distinct_syscalls(st) << " syscalls");
  CHECK(missing.empty());
}

void check_sample(const std::string& name) {
  SampleSpec spec;
  REQUIRE_NOTHROW(spec = load_spec(name));
  REQUIRE_FALSE(spec.expects.empty());
  if (spec.needs.count("root") && ::geteuid() != 0) {
    WARN("skipped: sample " << name << " needs root");
    return;
  }
  if (spec.needs.count("m32") && !fs::exists(sample(name))) {
    WARN("skipped: sample " << name << " not built (TAILOR_M32_SAMPLE=OFF)");
    return;
  }
  if (spec.needs.count("m32") && !tailor::test::i386_unavailable().empty()) {
    // What can be checked without running it: every syscall the sample states it makes is
    // found by static analysis of the binary and its i386 libraries.
    WARN("sample " << name << " not run, only analysed: " << tailor::test::i386_unavailable());
    Profile stated;
    stated.process.executables[sample(name)].ev.add(sample(name));
    for (const auto& e : spec.expects)
      if (e.kind == "syscall") stated.syscalls[e.args[0]][e.args[1]].add(sample(name));
    REQUIRE_FALSE(stated.syscalls.empty());
    check_static_recall(name, stated);
    return;
  }
  REQUIRE(fs::exists(sample(name)));
  std::vector<std::pair<std::string, std::set<std::string>>> seen;
  std::string why;
  for (const auto& way : ways_to_record()) {
    auto run = record_sample(name, spec, way);
    const auto& rec = run->rec;
    INFO("sample " << name << " " << words(way) << ": tailor exited " << rec.run.status
                   << "\nstderr: " << rec.run.err << "\nstdout: " << rec.run.out);
    REQUIRE_FALSE(rec.run.timed_out);
    REQUIRE(fs::exists(run->out / "profile.json"));
    auto failures = check_expectations(spec, rec, run->vars);
    for (const auto& f : failures) FAIL_CHECK(name << " " << words(way) << ": " << f);
    CHECK(failures.empty());
    seen.emplace_back(words(way), facts(rec.profile, run->work.path()));
    // Why each capability was counted, so that a difference below names the call and argument.
    for (const auto* caps : {&rec.profile.capabilities, &rec.profile.capability_hints})
      for (const auto& [cap, use] : *caps)
        for (const auto& r : use.reasons)
          why += "\n  " + words(way) + ": " + cap + " <- " + r.syscall + " " + r.detail;
    if (seen.size() == 1) check_static_recall(name, rec.profile);
  }
  // The backends compared fact by fact: each of the others (but plain syscall stops, the
  // slowest) against ptrace's seccomp mode.
  for (std::size_t i = 1; i < seen.size() && i < 3; ++i) {
    const auto& [a_name, a] = seen[0];
    const auto& [b_name, b] = seen[i];
    std::vector<std::string> only_a, only_b;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only_a));
    std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(only_b));
    INFO(name << ": only with " << a_name << ": " << join(only_a, [](auto& x) { return x; })
              << "\n  only with " << b_name << ": " << join(only_b, [](auto& x) { return x; })
              << why);
    CHECK(only_a.empty());
    CHECK(only_b.empty());
  }
}

}  // namespace

// One TEST_CASE per sample so ctest reports each on its own line.
#define SAMPLE_TEST(NAME)                    \
  TEST_CASE("samples: " NAME, "[samples]") { \
    check_sample(NAME);                      \
  }

SAMPLE_TEST("fileio")
SAMPLE_TEST("threads")
SAMPLE_TEST("pipeline")
SAMPLE_TEST("tcp")
SAMPLE_TEST("port80")
SAMPLE_TEST("hello32")
SAMPLE_TEST("static")
SAMPLE_TEST("thread_exec")
SAMPLE_TEST("daemon")
SAMPLE_TEST("sigsample")
SAMPLE_TEST("ci_app")
SAMPLE_TEST("dirshapes")
SAMPLE_TEST("tempnames")
SAMPLE_TEST("httpd")

TEST_CASE("samples: expectation parser rejects what it cannot check", "[samples]") {
  CHECK_THROWS(parse_spec("// tailor-expect: syscal x86_64 read\n"));
  CHECK_THROWS(parse_spec("// tailor-expect: syscall x86_64\n"));
  CHECK_THROWS(parse_spec("// tailor-expect: endpoint bind inet 127.0.0.1 eighty\n"));
  CHECK_THROWS(parse_spec("// tailor-expect: exit\n"));
  CHECK_THROWS(parse_spec("// tailor-needs: luck\n"));
  CHECK_THROWS(parse_spec("// tailor-expct: exit 0\n"));
  CHECK_THROWS(parse_spec("// tailor-run: a\n// tailor-run: b\n"));
  auto spec = parse_spec(
      "int x;\n"
      "  // tailor-run: $TMP  two\n"
      "// tailor-needs: root\n"
      "// tailor-expect: file $TMP/a b  read write\n");
  CHECK(spec.run_args == std::vector<std::string>{"$TMP", "two"});
  CHECK(spec.needs == std::set<std::string>{"root"});
  REQUIRE(spec.expects.size() == 1);
  CHECK(spec.expects[0].line == 4);
  CHECK(spec.expects[0].kind == "file");
  CHECK(spec.expects[0].args == std::vector<std::string>{"$TMP/a", "b", "read", "write"});
  CHECK(substitute("$TMP/x $SELF $TMP $CWD", {"/t", "/s", "/c"}) == "/t/x /s /t /c");
}

// The checker must not pass what the recording lacks: a real recording of `static`, checked
// first against its own expectations (all met) and then against one false fact at a time,
// each of which must come back as exactly one failure.
TEST_CASE("samples: checker reports expectations a recording does not meet", "[samples]") {
  const std::string name = "static";
  SampleSpec spec;
  REQUIRE_NOTHROW(spec = load_spec(name));
  auto run = record_sample(name, spec);
  INFO("stderr: " << run->rec.run.err);
  REQUIRE_FALSE(run->rec.run.timed_out);
  REQUIRE(fs::exists(run->out / "profile.json"));
  // Sanity: the recording is real and meets what it should, so the failures below are due to
  // the false facts alone.
  REQUIRE(tailor::test::has_syscall(run->rec.profile, "x86_64", "write"));
  REQUIRE(fs::exists(run->work / "static.txt"));

  const char* false_facts[] = {
      "syscall x86_64 kexec_load",         // never called
      "syscall x86 write",                 // right call, wrong arch
      "nosyscall x86_64 write",            // it does write
      "file $TMP/never.txt write",         // never touched
      "file $TMP/static.txt read unlink",  // touched, but only written
      "nofile $TMP/static.txt",            // it is recorded
      "socket inet stream",
      "endpoint bind inet 127.0.0.1 80",
      "cap CAP_SYS_ADMIN",
      "exec /usr/bin/true",
      "exit 1",
      "exists $TMP/never.txt",
      "peak-processes 50",
      "peak-threads 50",
  };
  // A loop, not SECTIONs: each SECTION would rerun the test case and record again.
  for (const char* fact : false_facts) {
    auto bogus = parse_spec(std::string("// tailor-expect: ") + fact + "\n");
    auto failures = check_expectations(bogus, run->rec, run->vars);
    INFO("false fact `" << fact << "` gave: " << join(failures, [](auto& s) { return s; }));
    CHECK(failures.size() == 1);
  }
}

TEST_CASE("samples: every core sample source states expectations", "[samples]") {
  for (const char* name :
       {"fileio", "threads", "pipeline", "tcp", "port80", "hello32", "static", "thread_exec",
        "daemon", "sigsample", "ci_app", "dirshapes", "tempnames"}) {
    INFO(name);
    SampleSpec spec;
    REQUIRE_NOTHROW(spec = load_spec(name));
    // Every sample pins its exit status: a sample that failed early would otherwise still meet
    // the expectations its first few syscalls satisfy.
    CHECK(std::count_if(spec.expects.begin(), spec.expects.end(),
                        [](const Expectation& e) { return e.kind == "exit"; }) == 1);
  }
}
