// The disassembler's syscall sites on real binaries the build makes: what a recording of a
// static binary saw must be found statically (recall), and the libc `syscall()` convention and
// unresolved sites must be handled, not guessed.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <string>

#include "elf_file.h"
#include "support.h"
#include "syscall_sites.h"
#include "tailor/syscalls.h"

using tailor::analyzer::ElfFile;
using tailor::analyzer::find_syscall_sites;
using tailor::analyzer::SyscallSite;
using tailor::test::record;
using tailor::test::sample;
using tailor::test::TempDir;

namespace {

std::set<std::string> static_names(const tailor::analyzer::SiteScan& scan) {
  std::set<std::string> names;
  const auto arch = tailor::arch_token("x86_64");
  for (const auto& s : scan.sites)
    if (s.nr) names.insert(tailor::syscall_name(*arch, *s.nr));
  return names;
}

}  // namespace

TEST_CASE("syscall sites: a static binary's recorded syscalls are all found", "[analyze]") {
  const auto elf = ElfFile::load(sample("static"));
  const auto scan = find_syscall_sites(elf);
  REQUIRE_FALSE(scan.sites.empty());
  const auto found = static_names(scan);

  TempDir tmp;
  auto rec = record({sample("static"), tmp.path()}, tmp / "p.json");
  REQUIRE(rec.run.status == 0);
  const auto& seen = rec.profile.syscalls.at("x86_64");
  std::set<std::string> missing;
  for (const auto& [name, ev] : seen) {
    // execve is made by whoever starts the program, not by the program.
    if (name == "execve") continue;
    if (!found.count(name)) missing.insert(name);
  }
  std::string list;
  for (const auto& m : missing) list += " " + m;
  INFO("recorded but not found statically:" << list << "\nunresolved sites: " << scan.unresolved()
                                            << " of " << scan.sites.size());
  CHECK(missing.empty());
  // Far more than the run used: a static binary carries libc's error paths too.
  CHECK(found.size() > seen.size());
}

TEST_CASE("syscall sites: every site is inside a function and sorted", "[analyze]") {
  const auto elf = ElfFile::load(sample("static"));
  const auto scan = find_syscall_sites(elf);
  std::uint64_t prev = 0;
  for (const auto& s : scan.sites) {
    CHECK(s.addr >= prev);
    prev = s.addr;
    CHECK_FALSE(s.function.empty());
  }
  // Unresolved sites are reported as such, not dropped or given a number.
  CHECK(scan.unresolved() <= scan.sites.size());
}

TEST_CASE("syscall sites: libc's syscall() is a wrapper taking the number first", "[analyze]") {
  const std::string libc = "/lib/x86_64-linux-gnu/libc.so.6";
  if (!std::filesystem::exists(libc)) {
    WARN("skipped: no " << libc);
    return;
  }
  const auto scan = find_syscall_sites(ElfFile::load(libc));
  bool found = false;
  for (const auto& w : scan.wrappers)
    if (w.function == "syscall" && w.arg == 0) found = true;
  CHECK(found);
  // Most of libc's sites have a constant number.
  CHECK(scan.unresolved() * 4 < scan.sites.size());
}

TEST_CASE("syscall sites: a table in .text that decodes as int 0x80 is no site", "[analyze]") {
  // samples/text_table.c: b0 fc cd 80 (mov $0xfc,%al; int $0x80) between two functions, its
  // address taken by a lea. Stripped or not, no function holds it.
  TempDir tmp;
  const std::string stripped = tmp / "text_table.stripped";
  REQUIRE(tailor::test::run({"strip", "-o", stripped, sample("text_table")}).status == 0);
  for (const auto& path : {sample("text_table"), stripped}) {
    const auto scan = find_syscall_sites(ElfFile::load(path));
    INFO(path);
    for (const auto& s : scan.sites) {
      CHECK(s.kind != SyscallSite::kInt80);
      CHECK(s.nr != 252u);
    }
  }
}

TEST_CASE("syscall sites: code that an FDE leaves out but control flow reaches counts",
          "[analyze]") {
  // glibc's clone3 ends its FDE right before `syscall` ("in the child the unwind info will be
  // wrong"): the instruction lies between two FDEs, reached by falling through.
  const std::string libc = "/lib/x86_64-linux-gnu/libc.so.6";
  if (!std::filesystem::exists(libc)) {
    WARN("skipped: no " << libc);
    return;
  }
  const auto elf = ElfFile::load(libc);
  const auto scan = find_syscall_sites(elf);
  const auto clone3 = tailor::syscall_number(*tailor::arch_token("x86_64"), "clone3");
  REQUIRE(clone3);
  std::uint64_t at = 0;
  for (const auto& s : scan.sites)
    if (s.kind == SyscallSite::kSyscall && s.nr == static_cast<std::uint32_t>(*clone3)) at = s.addr;
  REQUIRE(at != 0);
  bool in_fde = false;
  for (const auto& r : elf.unwind_ranges()) in_fde |= at >= r.lo && at < r.hi;
  CHECK_FALSE(in_fde);  // what makes this case: the site is outside every FDE

  // i386 glibc's signal restorers (`movl $119,%eax; int $0x80`) have neither FDE nor symbol;
  // sigaction takes their address.
  const std::string libc32 = "/usr/lib32/libc.so.6";
  if (!std::filesystem::exists(libc32)) {
    WARN("skipped: no " << libc32);
    return;
  }
  const auto x86 = *tailor::arch_token("x86");
  std::set<std::string> names;
  for (const auto& s : find_syscall_sites(ElfFile::load(libc32)).sites)
    if (s.nr) names.insert(tailor::syscall_name(x86, *s.nr));
  CHECK(names.count("sigreturn"));
  CHECK(names.count("rt_sigreturn"));
}
