// Records real Debian programs nobody here wrote: python3, sqlite3, and make driving gcc.
//
// The samples test one feature each with code we control; these check the recorder copes with
// ordinary software (dynamic loading, interpreters, many processes, file locking) and produces
// a sane profile. The checks are about facts any correct recording must contain — the program's
// own executable, the files it was told to write, the loader opening libc — not about exact
// syscall lists, which vary with package versions. What can be exact is the comparison of two
// recorders on the same run: bpf and ptrace must name the same syscalls.
#include <sys/stat.h>  // support.h uses chmod(2) without including it
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support.h"

namespace fs = std::filesystem;
using tailor::Profile;
using tailor::test::has_syscall;
using tailor::test::read_text;
using tailor::test::record;
using tailor::test::Recorded;
using tailor::test::TempDir;

namespace {

std::string resolved(const std::string& path) {
  std::error_code ec;
  auto c = fs::canonical(path, ec);
  return ec ? path : c.string();
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The recorded FileUse for `path`, also accepting a recorded spelling of the same file
// (merged /usr: /lib/x86_64-linux-gnu/... is /usr/lib/x86_64-linux-gnu/...).
const tailor::FileUse* file_use(const Profile& p, const std::string& path) {
  if (auto it = p.files.find(path); it != p.files.end()) return &it->second;
  const std::string want = resolved(path);
  for (const auto& [recorded, use] : p.files)
    if (!recorded.empty() && recorded[0] == '/' && resolved(recorded) == want) return &use;
  return nullptr;
}

bool has_access(const Profile& p, const std::string& path, const std::string& access) {
  auto* use = file_use(p, path);
  return use && use->succeeded && use->access.count(access) > 0;
}

// Some successfully opened file whose name ends with `tail`, e.g. "/libc.so.6".
bool opened_file_ending(const Profile& p, const std::string& tail) {
  for (const auto& [path, use] : p.files)
    if (ends_with(path, tail) && use.succeeded && use.access.count("read")) return true;
  return false;
}

bool has_executable(const Profile& p, const std::string& path) {
  const std::string want = resolved(path);
  for (const auto& [exe, facts] : p.process.executables)
    if (exe == path || resolved(exe) == want) return true;
  return false;
}

bool executable_ending(const Profile& p, const std::string& tail) {
  for (const auto& [exe, facts] : p.process.executables)
    if (ends_with(exe, tail)) return true;
  return false;
}

std::string summary(const Recorded& r) {
  std::ostringstream out;
  out << "tailor exit " << r.run.status << "\nstderr: " << r.run.err << "\nexecutables:";
  for (const auto& [exe, facts] : r.profile.process.executables) out << " " << exe;
  out << "\nsyscalls:";
  for (const auto& [arch, calls] : r.profile.syscalls)
    for (const auto& [name, ev] : calls) out << " " << arch << "/" << name;
  out << "\nfiles (" << r.profile.files.size() << "):";
  std::size_t n = 0;
  for (const auto& [path, use] : r.profile.files) {
    if (n++ == 60) {
      out << " ...";
      break;
    }
    out << " " << path << "{";
    for (const auto& a : use.access) out << a << ",";
    out << "}";
  }
  return out.str();
}

// What every dynamically linked, successful run must show.
void check_common(const Recorded& r, const std::string& program) {
  INFO(summary(r));
  REQUIRE_FALSE(r.run.timed_out);
  CHECK(r.run.status == 0);
  CHECK(has_executable(r.profile, program));
  CHECK(has_syscall(r.profile, "x86_64", "execve"));
  CHECK(has_syscall(r.profile, "x86_64", "openat"));
  CHECK(has_syscall(r.profile, "x86_64", "read"));
  CHECK(has_syscall(r.profile, "x86_64", "mmap"));
  CHECK(has_syscall(r.profile, "x86_64", "exit_group"));
  CHECK(opened_file_ending(r.profile, "/libc.so.6"));
  // The dynamic loader maps libc's code PROT_EXEC; process.exec_mappings records that.
  bool libc_mapped_exec = false;
  for (const auto& [what, ev] : r.profile.process.exec_mappings)
    if (ends_with(what, "/libc.so.6")) libc_mapped_exec = true;
  CHECK(libc_mapped_exec);
  CHECK(tailor::distinct_syscalls(r.profile) > 20);
  CHECK(r.profile.resources.peak_processes >= 1);
  CHECK(r.profile.resources.wall_seconds > 0);
}

// Writes the tiny C project the make tests build: two rules, so make runs the compiler twice
// (compile, then link) one after the other.
void write_c_project(const std::string& dir, const std::string& message) {
  std::ofstream(dir + "/hello.c") << "#include <stdio.h>\n"
                                     "int main(void) { puts(\"" +
                                         message + "\"); return 0; }\n";
  std::ofstream(dir + "/Makefile") << "hello: hello.o\n"
                                      "\tcc -o hello hello.o\n"
                                      "hello.o: hello.c\n"
                                      "\tcc -c -o hello.o hello.c\n";
}

std::map<std::string, std::set<std::string>> syscall_names(const Profile& p) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& [arch, calls] : p.syscalls)
    for (const auto& [name, ev] : calls) out[arch].insert(name);
  return out;
}

std::string words(const std::set<std::string>& s) {
  std::string out;
  for (const auto& w : s) out += (out.empty() ? "" : " ") + w;
  return out.empty() ? "(none)" : out;
}

// Runs the same program under --backend bpf and --backend ptrace, each in a fresh work dir that
// `prepare` fills, and checks that both recorded the same syscall names on every architecture.
// Counts may differ (a retried call, a different buffer size); which calls were made may not:
// bpf counts in the kernel what ptrace stops for. A difference is named, side by side.
void check_same_syscalls(
    const std::function<std::vector<std::string>(const std::string&)>& argv_for,
    const std::function<void(const std::string&)>& prepare = {}, double timeout_s = 120) {
  if (const auto& why = tailor::test::bpf_unavailable(); !why.empty()) {
    WARN("bpf not compared with ptrace: " << why);
    return;
  }
  std::map<std::string, std::map<std::string, std::set<std::string>>> seen;
  for (const std::string backend : {"bpf", "ptrace"}) {
    TempDir work, out;
    if (prepare) prepare(work.path());
    const auto argv = argv_for(work.path());
    auto r = record(argv, out / "p.json", {"--backend", backend}, timeout_s);
    INFO("--backend " << backend << ": " << summary(r));
    REQUIRE_FALSE(r.run.timed_out);
    REQUIRE(r.run.status == 0);
    REQUIRE(r.profile.commands.count(argv) == 1);
    seen[backend] = syscall_names(r.profile);
  }
  std::set<std::string> arches;
  for (const auto& [backend, by_arch] : seen)
    for (const auto& [arch, names] : by_arch) arches.insert(arch);
  for (const auto& arch : arches) {
    const auto& a = seen["bpf"][arch];
    const auto& b = seen["ptrace"][arch];
    std::set<std::string> only_bpf, only_ptrace;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(),
                        std::inserter(only_bpf, only_bpf.end()));
    std::set_difference(b.begin(), b.end(), a.begin(), a.end(),
                        std::inserter(only_ptrace, only_ptrace.end()));
    INFO(arch << ": " << a.size() << " syscalls with bpf, " << b.size() << " with ptrace"
              << "\n  only with bpf:    " << words(only_bpf)
              << "\n  only with ptrace: " << words(only_ptrace));
    CHECK(only_bpf.empty());
    CHECK(only_ptrace.empty());
  }
  CHECK(arches.count("x86_64") == 1);
}

}  // namespace

TEST_CASE("real programs: python3 writes a JSON file", "[real]") {
  const std::string python = "/usr/bin/python3";
  if (!fs::exists(python)) {
    WARN("skipped: " << python << " not installed");
    return;
  }
  TempDir work, out;
  const std::string result = work / "out.json";
  const std::vector<std::string> argv = {
      python, "-c",
      "import json, os, sys\n"
      "with open(sys.argv[1], 'w') as f:\n"
      "    json.dump({'pid': os.getpid(), 'cwd': os.getcwd()}, f)\n",
      result};
  auto r = record(argv, out / "p.json");
  check_common(r, python);
  INFO(summary(r));
  CHECK(r.profile.commands.count(argv) == 1);
  CHECK(read_text(result).find("\"pid\": ") != std::string::npos);
  CHECK(has_access(r.profile, result, "write"));
  CHECK(has_access(r.profile, result, "create"));
  CHECK(has_syscall(r.profile, "x86_64", "getcwd"));
  // `import json` reads the json package from the standard library.
  bool read_json_pkg = false;
  for (const auto& [path, use] : r.profile.files)
    if (path.find("/python3") != std::string::npos && path.find("/json/") != std::string::npos &&
        use.succeeded && use.access.count("read"))
      read_json_pkg = true;
  CHECK(read_json_pkg);
}

TEST_CASE("real programs: sqlite3 creates and fills a database", "[real]") {
  const std::string sqlite = "/usr/bin/sqlite3";
  if (!fs::exists(sqlite)) {
    WARN("skipped: " << sqlite << " not installed");
    return;
  }
  TempDir work, out;
  const std::string db = work / "t.db";
  auto r = record({sqlite, db,
                   "create table t(a, b); insert into t values (1, 'x'), (2, 'y');"
                   " select count(*) from t;"},
                  out / "p.json");
  check_common(r, sqlite);
  INFO(summary(r));
  CHECK(r.run.out == "2\n");
  CHECK(has_access(r.profile, db, "read"));
  CHECK(has_access(r.profile, db, "write"));
  CHECK(has_access(r.profile, db, "create"));
  // The rollback journal is created for each write transaction and unlinked at commit.
  CHECK(has_access(r.profile, db + "-journal", "create"));
  CHECK(has_access(r.profile, db + "-journal", "unlink"));
  CHECK(opened_file_ending(r.profile, "/libsqlite3.so.0"));
  // sqlite locks with fcntl(F_SETLK) and does positioned I/O.
  CHECK(has_syscall(r.profile, "x86_64", "fcntl"));
  CHECK(has_syscall(r.profile, "x86_64", "pread64"));
  CHECK(has_syscall(r.profile, "x86_64", "pwrite64"));
  // The database did not exist before: sqlite probed it first, and the probe failed.
  auto* use = file_use(r.profile, db);
  REQUIRE(use != nullptr);
  CHECK(use->errors.count("ENOENT") == 1);
}

TEST_CASE("real programs: make builds a C program with gcc", "[real]") {
  if (!fs::exists("/usr/bin/make") || !fs::exists("/usr/bin/cc")) {
    WARN("skipped: make or cc not installed");
    return;
  }
  TempDir work, out;
  write_c_project(work.path(), "built under tailor");
  auto r = record({"make", "-C", work.path()}, out / "p.json", {}, 300);
  check_common(r, "/usr/bin/make");
  INFO(summary(r));
  // The build really happened, and its product works.
  REQUIRE(fs::exists(work / "hello"));
  CHECK(tailor::test::run({work / "hello"}, 30).out == "built under tailor\n");
  // Every stage of the toolchain ran as its own process.
  CHECK(has_executable(r.profile, "/usr/bin/cc"));  // resolves to x86_64-linux-gnu-gcc-12
  CHECK(executable_ending(r.profile, "/cc1"));
  CHECK(executable_ending(r.profile, "/collect2"));
  CHECK(executable_ending(r.profile, "as"));
  CHECK(executable_ending(r.profile, "ld.bfd"));  // /usr/bin/ld -> x86_64-linux-gnu-ld.bfd
  CHECK(r.profile.resources.peak_processes > 1);
  CHECK(has_syscall(r.profile, "x86_64", "wait4"));
  CHECK(has_access(r.profile, work / "hello.c", "read"));
  CHECK(has_access(r.profile, work / "hello.o", "write"));
  CHECK(has_access(r.profile, work / "hello.o", "create"));
  CHECK(has_access(r.profile, work / "hello.o", "read"));  // the linker reads it back
  CHECK(has_access(r.profile, work / "hello", "write"));
  CHECK(has_access(r.profile, work / "hello", "create"));
  CHECK(has_access(r.profile, work / "hello", "chmod"));  // ld makes its output executable
  CHECK(has_access(r.profile, "/usr/include/stdio.h", "read"));
  CHECK(r.profile.process.executables.size() >= 6);
  CHECK(tailor::distinct_syscalls(r.profile) > 40);
}

TEST_CASE("real programs: bpf and ptrace record the same syscalls of python3", "[real][bpf]") {
  const std::string python = "/usr/bin/python3";
  if (!fs::exists(python)) {
    WARN("skipped: " << python << " not installed");
    return;
  }
  check_same_syscalls([&](const std::string&) {
    return std::vector<std::string>{python, "-c", "import json,os; os.listdir(\"/\")"};
  });
}

TEST_CASE("real programs: bpf and ptrace record the same syscalls of sqlite3", "[real][bpf]") {
  const std::string sqlite = "/usr/bin/sqlite3";
  if (!fs::exists(sqlite)) {
    WARN("skipped: " << sqlite << " not installed");
    return;
  }
  check_same_syscalls([&](const std::string& dir) {
    return std::vector<std::string>{
        sqlite, dir + "/t.db",
        "create table t(a, b); insert into t values (1, 'x'), (2, 'y'); select count(*) from t;"};
  });
}

TEST_CASE("real programs: bpf and ptrace record the same syscalls of make and gcc", "[real][bpf]") {
  if (!fs::exists("/usr/bin/make") || !fs::exists("/usr/bin/cc")) {
    WARN("skipped: make or cc not installed");
    return;
  }
  check_same_syscalls(
      [](const std::string& dir) {
        return std::vector<std::string>{"make", "-C", dir};
      },
      [](const std::string& dir) { write_c_project(dir, "built under tailor"); }, 300);
}
