// tailor analyze on a Go binary (samples/go/gosample.go, built with Debian's golang-go): Go
// programs are static and make their syscalls through the Go runtime's own layer, not libc, with
// the number in a register (Go's register ABI), spilled to the stack around
// runtime.entersyscall, or passed on the stack to assembly (ABI0). Every syscall a recording of
// the sample saw must be found in the binaries themselves, and few sites may stay unresolved.
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <string>

#include "elf_file.h"
#include "support.h"
#include "syscall_sites.h"
#include "tailor/analyze.h"
#include "tailor/syscalls.h"

using tailor::test::record;
using tailor::test::sample;
using tailor::test::TempDir;

namespace {

// The Go sample, or "" (with a warning) when the build had no `go` to make it.
std::string go_sample() {
  const std::string path = sample("gosample");
  if (std::filesystem::exists(path)) return path;
  WARN("skipped: " << path << " was not built (install golang-go and re-run cmake)");
  return "";
}

bool has_site_in(const tailor::Profile& p, const std::string& name, const std::string& function) {
  const auto a = p.syscalls.find("x86_64");
  if (a == p.syscalls.end()) return false;
  const auto s = a->second.find(name);
  if (s == a->second.end()) return false;
  for (const auto& site : s->second.sites)
    if (site.function == function) return true;
  return false;
}

std::string functions_of(const tailor::Profile& p, const std::string& name) {
  std::string out;
  if (auto a = p.syscalls.find("x86_64"); a != p.syscalls.end())
    if (auto s = a->second.find(name); s != a->second.end())
      for (const auto& site : s->second.sites) out += " " + site.function;
  return out.empty() ? " (none)" : out;
}

}  // namespace

TEST_CASE("go: every syscall a recording of the Go sample saw is found statically", "[analyze]") {
  const std::string bin = go_sample();
  if (bin.empty()) return;
  {
    const auto elf = tailor::analyzer::ElfFile::load(bin);
    REQUIRE(elf.is_go());
    REQUIRE(elf.interpreter().empty());  // CGO_ENABLED=0: static, Go's syscall layer only
  }
  TempDir tmp;
  auto rec = record({bin, tmp.path()}, tmp / "p.json");
  INFO("stderr: " << rec.run.err);
  REQUIRE(rec.run.status == 0);
  REQUIRE(rec.run.out == "gosample ok\n");
  REQUIRE(rec.profile.syscalls.count("x86_64"));

  // Analyse what the recording saw run: the Go program and the /bin/true it executes (whose
  // syscalls, in libc and ld.so, are in the same recording).
  std::vector<std::string> exes;
  std::string go_path;
  for (const auto& [path, facts] : rec.profile.process.executables) {
    exes.push_back(path);
    if (std::filesystem::equivalent(path, bin)) go_path = path;
  }
  REQUIRE_FALSE(go_path.empty());
  REQUIRE(exes.size() == 2);
  tailor::AnalyzeOptions opts;
  opts.cache_dir = "";
  const tailor::Profile found = tailor::analyze_binaries(exes, opts);
  REQUIRE(found.analysis.objects.count(go_path));
  const auto& go_object = found.analysis.objects.at(go_path);
  const auto& found_names = found.syscalls.at("x86_64");

  // Sites of the Go binary itself, by syscall name.
  std::set<std::string> in_go;
  for (const auto& [name, ev] : found_names)
    for (const auto& site : ev.sites)
      if (site.object == go_path) in_go.insert(name);

  std::set<std::string> missing, missing_in_go;
  std::size_t recorded = 0;
  for (const auto& [name, ev] : rec.profile.syscalls.at("x86_64")) {
    // execve is made by whoever starts the program (tailor here), not by the program.
    // restart_syscall is made by no instruction of its own: the kernel rewrites the number of
    // a sleep that a signal interrupted (Go preempts goroutines with SIGURG) and the same
    // syscall instruction enters it again.
    if (name == "execve" || name == "restart_syscall") continue;
    ++recorded;
    if (!found_names.count(name)) missing.insert(name);
    // What the Go process itself did must be found in the Go binary's own code.
    if (ev.by.count(go_path) && !in_go.count(name)) missing_in_go.insert(name);
  }
  std::string list, list_go;
  for (const auto& m : missing) list += " " + m;
  for (const auto& m : missing_in_go) list_go += " " + m;
  const double share = go_object.sites ? static_cast<double>(go_object.unresolved) /
                                             static_cast<double>(go_object.sites)
                                       : 1.0;
  WARN("Go sample: " << recorded << " recorded syscalls (without execve, restart_syscall), "
                     << recorded - missing.size() << " found statically; " << in_go.size()
                     << " syscalls in the Go binary; sites " << go_object.sites << ", unresolved "
                     << go_object.unresolved << " (" << share * 100 << " %)");
  INFO("recorded but not found statically:" << list);
  CHECK(missing.empty());
  INFO("made by the Go process but not found in the Go binary:" << list_go);
  CHECK(missing_in_go.empty());
  // The os/exec child's execve is the Go binary's own (syscall.forkAndExecInChild1).
  CHECK(in_go.count("execve"));
  // Go's layer resolves almost everywhere: what stays unresolved is a number held in a
  // variable (syscall.fcntl64Syscall, read from data) or set at run time (runtime's
  // per-thread syscall for syscall.AllThreadsSyscall).
  CHECK(go_object.sites > 100);
  CHECK(share <= 0.05);
}

TEST_CASE("go: numbers are resolved at the call sites of Go's raw-syscall functions", "[analyze]") {
  const std::string bin = go_sample();
  if (bin.empty()) return;
  tailor::AnalyzeOptions opts;
  opts.cache_dir = "";
  const tailor::Profile p = tailor::analyze_binaries({bin}, opts);

  // prlimit64 is made only by main.rawCalls, through syscall.Syscall6 with a constant: the
  // number exists nowhere else in the binary, only at that call.
  INFO("prlimit64 sites in:" << functions_of(p, "prlimit64"));
  CHECK(has_site_in(p, "prlimit64", "main.rawCalls"));
  CHECK(functions_of(p, "prlimit64") == " main.rawCalls");
  // syscall.Syscall(SYS_GETPPID) in main.rawCalls: Syscall keeps the number in a stack slot
  // across runtime.entersyscall before it calls RawSyscall6.
  INFO("getppid sites in:" << functions_of(p, "getppid"));
  CHECK(has_site_in(p, "getppid", "main.rawCalls"));
  CHECK(has_site_in(p, "getppid", "syscall.forkAndExecInChild1"));

  // Those wrappers are found from their code, not only known by name.
  const auto elf = tailor::analyzer::ElfFile::load(bin);
  const auto a = tailor::analyzer::analyze_object(elf);
  std::set<std::string> wrappers;
  for (const auto& w : a.wrappers) wrappers.insert(w.function);
  for (const char* w :
       {"runtime/internal/syscall.Syscall6", "syscall.RawSyscall6", "syscall.Syscall",
        "syscall.Syscall6", "syscall.rawSyscallNoError.abi0", "syscall.rawVforkSyscall.abi0"}) {
    INFO("wrapper " << w);
    CHECK(wrappers.count(w));
  }
  // Through assembly that takes the number on the stack (ABI0): syscall.rawSyscallNoError
  // (syscall.Getpid and os.Getppid, inlined into the sample's main.main.func3, and the child
  // side of os/exec) and rawVforkSyscall (the clone of os/exec).
  const auto x86_64 = tailor::arch_token("x86_64");
  REQUIRE(x86_64);
  std::set<std::string> via_stack;
  for (const auto& s : a.sites)
    if (s.nr && s.kind == tailor::analyzer::SyscallSite::kWrapperCall &&
        s.wrapper.find(".abi0") != std::string::npos)
      via_stack.insert(s.wrapper + " " + tailor::syscall_name(*x86_64, *s.nr) + " in " +
                       s.function);
  std::string via;
  for (const auto& v : via_stack) via += "\n  " + v;
  INFO("resolved calls to ABI0 wrappers:" << via);
  CHECK(via_stack.count("syscall.rawSyscallNoError.abi0 getpid in main.main.func3"));
  CHECK(via_stack.count("syscall.rawSyscallNoError.abi0 getppid in main.main.func3"));
  CHECK(via_stack.count("syscall.rawSyscallNoError.abi0 getppid in syscall.forkAndExecInChild1"));
  CHECK(via_stack.count("syscall.rawVforkSyscall.abi0 clone in syscall.forkAndExecInChild1"));
  // A wrapper's own call passes the number on (it is no unresolved site).
  for (const auto& s : a.sites)
    if (s.function == "syscall.Syscall" || s.function == "syscall.Syscall6") {
      INFO(s.function << " at 0x" << std::hex << s.addr);
      CHECK(s.from_arg == 0);
    }
}
