// `tailor record --since P`: syscalls P already has pass in the kernel and never reach tailor;
// what is new is recorded and named; file and socket facts keep being recorded.
//
// That allowed syscalls really stay in the kernel is visible in the evidence counts: the output
// is P merged with the new recording, and merging sums counts, so a syscall that was let through
// keeps exactly P's count while one that still reaches tailor (openat) ends up with more.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "support.h"

using tailor::Profile;
using tailor::test::has_syscall;
using tailor::test::record;
using tailor::test::run;
using tailor::test::sample;
using tailor::test::tailor_bin;
using tailor::test::TempDir;

namespace {

std::uint64_t count_of(const Profile& p, const std::string& name) {
  auto a = p.syscalls.find("x86_64");
  if (a == p.syscalls.end()) return 0;
  auto s = a->second.find(name);
  return s == a->second.end() ? 0 : s->second.count();
}

tailor::test::RunResult record_since(const std::string& since, const std::string& out,
                                     const std::string& backend,
                                     const std::vector<std::string>& argv) {
  std::vector<std::string> cmd = {tailor_bin(), "record", "--backend", backend, "--since",
                                  since,        "-o",     out,         "--"};
  cmd.insert(cmd.end(), argv.begin(), argv.end());
  return run(cmd, 120);
}

}  // namespace

TEST_CASE("record --since: known syscalls stay in the kernel, new ones are named", "[since]") {
  if (::geteuid() != 0) {
    WARN("skipped: --since needs a seccomp filter without no-new-privileges (root)");
    return;
  }
  const std::string backend = GENERATE(as<std::string>{}, "notify", "ptrace");
  INFO("backend " << backend);
  TempDir tmp, work;
  const std::string known = tmp / "known.json", again = tmp / "again.json";
  auto base = record({sample("fileio"), work.path()}, known);
  REQUIRE(base.run.status == 0);
  REQUIRE(has_syscall(base.profile, "x86_64", "openat"));

  SECTION("the same program: nothing new, files still recorded") {
    TempDir work2;
    auto r = record_since(known, again, backend, {sample("fileio"), work2.path()});
    INFO("stderr: " << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.find("0 syscalls new since") != std::string::npos);
    Profile p = tailor::load_profile(again);
    // No syscall appeared or vanished.
    for (const auto& [arch, names] : base.profile.syscalls)
      for (const auto& [name, ev] : names) CHECK(has_syscall(p, arch, name));
    // Files of the second run are there: their syscalls kept reaching tailor.
    bool saw_work2 = false;
    for (const auto& [path, use] : p.files)
      if (path.rfind(work2.path(), 0) == 0) saw_work2 = true;
    CHECK(saw_work2);
    // write/read were allowed in the kernel: their counts are exactly the known profile's.
    for (const char* passed : {"write", "read", "close"}) {
      INFO(passed);
      CHECK(count_of(p, passed) == count_of(base.profile, passed));
    }
    // openat names files: it still reaches tailor, so its count grew.
    CHECK(count_of(p, "openat") > count_of(base.profile, "openat"));
    // mmap reaches tailor only when it maps something executable (the loader's libraries).
    CHECK(count_of(p, "mmap") > count_of(base.profile, "mmap"));
    CHECK(count_of(p, "mmap") < 2 * count_of(base.profile, "mmap"));
    // Lookups are no profile fact any policy uses: a known newfstatat stays in the kernel.
    CHECK(count_of(p, "newfstatat") == count_of(base.profile, "newfstatat"));
  }

  SECTION("another program: its new syscalls are named and added") {
    auto r = record_since(known, again, backend, {sample("tcp"), work.path()});
    INFO("stderr: " << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.find("x86_64/socket") != std::string::npos);
    CHECK(r.err.find("x86_64/listen") != std::string::npos);
    CHECK(r.err.find("x86_64/openat,") == std::string::npos);
    Profile p = tailor::load_profile(again);
    CHECK(has_syscall(p, "x86_64", "socket"));
    CHECK(has_syscall(p, "x86_64", "mkdirat"));  // kept from the known profile
    CHECK_FALSE(p.sockets.empty());
  }
}

TEST_CASE("record --since: an unreadable profile is a one-line error", "[since]") {
  TempDir tmp;
  {
    std::FILE* f = std::fopen((tmp / "bad.json").c_str(), "w");
    std::fputs("{\"tailor\": 1, \"syscalls\": [", f);
    std::fclose(f);
  }
  auto r = record_since(tmp / "bad.json", tmp / "out.json", "auto", {"true"});
  CHECK(r.status == 2);
  CHECK(r.err.find("tailor: ") == 0);
  CHECK(r.err.find('\n') == r.err.size() - 1);
  CHECK_FALSE(std::filesystem::exists(tmp / "out.json"));
}
