// What only `tailor record --backend bpf` has to get right: the workload is never stopped, so
// when the kernel has no room for a record it is dropped, and tailor must then refuse to write a
// profile (exit 124) rather than write an incomplete one; and how bpf goes with the record
// options that change what is recorded or written (--since, --append, --static).
#include <sys/stat.h>  // support.h uses chmod(2) without including it
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "support.h"
#include "tailor/error.h"

namespace fs = std::filesystem;
using tailor::Profile;
using tailor::test::bpf_unavailable;
using tailor::test::has_syscall;
using tailor::test::lines_of;
using tailor::test::read_text;
using tailor::test::run;
using tailor::test::RunResult;
using tailor::test::sample;
using tailor::test::tailor_bin;
using tailor::test::TempDir;

namespace {

// True, after one WARN line saying why, when this machine cannot record with bpf.
bool bpf_skipped() {
  if (bpf_unavailable().empty()) return false;
  WARN("bpf backend not tested: " << bpf_unavailable());
  return true;
}

RunResult record_bpf(const std::string& out, const std::vector<std::string>& options,
                     const std::vector<std::string>& argv, double timeout_s = 120) {
  std::vector<std::string> cmd = {tailor_bin(), "record", "-q", "--backend", "bpf", "-o", out};
  cmd.insert(cmd.end(), options.begin(), options.end());
  cmd.push_back("--");
  cmd.insert(cmd.end(), argv.begin(), argv.end());
  return run(cmd, timeout_s);
}

std::uint64_t count_of(const Profile& p, const std::string& name) {
  auto a = p.syscalls.find("x86_64");
  if (a == p.syscalls.end()) return 0;
  auto s = a->second.find(name);
  return s == a->second.end() ? 0 : s->second.count();
}

// dash runs this without a single fork: `[` is a builtin, and each iteration makes one stat and
// one open of a real file, both calls whose arguments bpf sends through the ring buffer (a
// record of about 400 bytes each). 8000 iterations are 16000 records, about 7 MB: ten pages'
// worth arrive while a 4 KiB buffer holds ten records, and yet they fit the default 16 MiB
// buffer even if the drain thread never ran until the workload ended.
constexpr int kLoops = 8000;
const std::vector<std::string> kFactHeavy = {
    "sh", "-c",
    "i=0; while [ $i -lt " + std::to_string(kLoops) +
        " ]; do [ -e /etc/passwd ]; : < /etc/hostname; i=$((i+1)); done"};

}  // namespace

TEST_CASE("bpf: records the ring buffer had no room for fail the recording loudly", "[bpf]") {
  if (bpf_skipped()) return;
  // Several runs: the loss must be certain with a one-page buffer, not a matter of luck.
  for (int attempt = 0; attempt < 3; ++attempt) {
    TempDir tmp;
    const std::string out = tmp / "p.json";
    auto r = record_bpf(out, {"--bpf-buffer", "4096"}, kFactHeavy);
    INFO("attempt " << attempt << "; stderr: " << r.err);
    REQUIRE_FALSE(r.timed_out);
    CHECK(r.status == tailor::kExitIncomplete);
    const auto err = lines_of(r.err);
    REQUIRE(err.size() == 1);
    CHECK(err[0].rfind("tailor: the eBPF recorder lost ", 0) == 0);
    CHECK(err[0].find("no profile written") != std::string::npos);
    // The workload ran to its end (it is never stopped), and its status is named.
    CHECK(err[0].find("the workload exited with status 0") != std::string::npos);
    // No profile, and no temporary file beside where it would have been.
    CHECK_FALSE(fs::exists(out));
    CHECK(fs::is_empty(tmp.path()));
  }
}

TEST_CASE("bpf: the same workload fits the default ring buffer", "[bpf]") {
  if (bpf_skipped()) return;
  TempDir tmp;
  const std::string out = tmp / "p.json";
  auto r = record_bpf(out, {}, kFactHeavy);
  INFO("stderr: " << r.err);
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.status == 0);
  CHECK(r.err.empty());
  REQUIRE(fs::exists(out));
  const Profile p = tailor::load_profile(out);
  // Counted in the kernel, so exact: every iteration's stat and open (and a few of dash's own).
  CHECK(count_of(p, "newfstatat") >= kLoops);
  CHECK(count_of(p, "openat") >= kLoops);
  auto hostname = p.files.find("/etc/hostname");
  REQUIRE(hostname != p.files.end());
  CHECK(hostname->second.access.count("read") == 1);
  CHECK(p.files.count("/etc/passwd") == 1);
}

TEST_CASE("bpf: --since is refused with bpf, and auto records it with ptrace", "[bpf]") {
  if (bpf_skipped()) return;
  TempDir tmp, work;
  const std::string known = tmp / "known.json", out = tmp / "new.json";
  REQUIRE(record_bpf(known, {}, {sample("fileio"), work.path()}).status == 0);

  // bpf counts every call in the kernel anyway; a --since filter has nothing to spare it.
  auto r = record_bpf(out, {"--since", known}, {"touch", tmp / "ran"});
  INFO("stderr: " << r.err);
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.status == tailor::kExitUsage);
  const auto err = lines_of(r.err);
  REQUIRE(err.size() == 1);
  CHECK(err[0] ==
        "tailor: --backend bpf cannot record --since (it counts every call in the kernel "
        "anyway): use --backend ptrace");
  CHECK_FALSE(fs::exists(out));
  CHECK_FALSE(fs::exists(tmp / "ran"));  // refused before anything ran

  // The default backend takes --since to ptrace rather than refusing it.
  TempDir work2;
  auto a = run({tailor_bin(), "record", "-q", "--since", known, "-o", out, "--", sample("fileio"),
                work2.path()},
               120);
  INFO("auto --since stderr: " << a.err);
  CHECK(a.status == 0);
  REQUIRE(fs::exists(out));
  CHECK(has_syscall(tailor::load_profile(out), "x86_64", "openat"));
}

TEST_CASE("bpf: --append merges a second bpf recording into the file", "[bpf]") {
  if (bpf_skipped()) return;
  TempDir tmp;
  const std::string dir = tmp / "d", both = tmp / "both.json";
  const std::vector<std::string> first = {"mkdir", dir}, second = {"rmdir", dir};
  auto r1 = record_bpf(both, {"--append"}, first);  // no file yet: --append just creates it
  INFO("first stderr: " << r1.err);
  REQUIRE(r1.status == 0);
  auto r2 = record_bpf(both, {"--append"}, second);
  INFO("second stderr: " << r2.err);
  REQUIRE(r2.status == 0);
  CHECK_FALSE(fs::exists(dir));
  const Profile p = tailor::load_profile(both);
  CHECK(p.commands.count(first) == 1);
  CHECK(p.commands.count(second) == 1);
  CHECK(has_syscall(p, "x86_64", "mkdir"));
  CHECK(has_syscall(p, "x86_64", "rmdir"));
  CHECK(p.process.executables.size() >= 2);  // mkdir's and rmdir's
}

TEST_CASE("bpf: --static adds static findings to a bpf recording", "[bpf]") {
  if (bpf_skipped()) return;
  TempDir t;
  fs::create_directory(t / "w");
  auto r = record_bpf(t / "both.json", {"--static"}, {sample("untested"), t / "w"});
  INFO("stderr: " << r.err);
  REQUIRE(r.status == 0);
  const Profile both = tailor::load_profile(t / "both.json");
  REQUIRE(both.syscalls.count("x86_64"));
  const auto& calls = both.syscalls.at("x86_64");
  // fsync: on a path the run never took, so found by the analysis alone.
  REQUIRE(calls.count("fsync"));
  CHECK(calls.at("fsync").by.empty());
  CHECK_FALSE(calls.at("fsync").sites.empty());
  // openat: recorded and found.
  REQUIRE(calls.count("openat"));
  CHECK_FALSE(calls.at("openat").by.empty());
  CHECK_FALSE(calls.at("openat").sites.empty());
  CHECK(both.analysis.objects.count(fs::canonical(sample("untested")).string()));
}
