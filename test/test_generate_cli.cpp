// `tailor generate` and `tailor record --seccomp/--apparmor/--flags` as a user runs them: the
// real binary, real files, exit codes, and outputs that the real readers accept.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "support.h"
#include "tailor/profile_json.h"
#include "tailor/seccomp.h"

namespace fs = std::filesystem;
using tailor::test::read_text;
using tailor::test::run;
using tailor::test::sample;
using tailor::test::tailor_bin;
using tailor::test::TempDir;

namespace {

std::size_t count_files(const std::string& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST_CASE("generate cli: record shortcut writes every output, and they parse", "[generate]") {
  TempDir t;
  fs::create_directories(t / "work");
  auto r = run({tailor_bin(),     "record",         "-q",           "-o",
                t / "p.json",     "--seccomp",      t / "s.json",   "--oci",
                t / "oci.json",   "--spo",          t / "spo.yaml", "--apparmor",
                t / "app.aa",     "--name",         "myapp",        "--flags",
                "docker",         "--flags-output", t / "flags.sh", "--",
                sample("fileio"), t / "work"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  for (const char* f : {"p.json", "s.json", "oci.json", "spo.yaml", "app.aa", "flags.sh"})
    CHECK(fs::exists(t / f));

  // The seccomp outputs are real filters: they compile, and allow what the recording saw.
  for (const char* f : {"s.json", "oci.json"}) {
    auto policy = tailor::seccomp_policy_from_json(read_text(t / f));
    std::vector<std::string> skipped;
    auto filter = tailor::SeccompFilter::compile(policy, {}, &skipped);
    CHECK(skipped.empty());
    CHECK_FALSE(filter.bpf().empty());
  }
  const std::string docker = read_text(t / "s.json");
  CHECK(docker.find("\"mkdirat\"") != std::string::npos);
  CHECK(read_text(t / "app.aa").find("profile \"myapp\" flags=") != std::string::npos);
  const std::string flags = read_text(t / "flags.sh");
  CHECK(flags.find("--security-opt seccomp=" + (t / "s.json")) != std::string::npos);
  CHECK(flags.find("--security-opt apparmor=myapp") != std::string::npos);
  CHECK(flags.find("--cap-drop ALL") != std::string::npos);
}

TEST_CASE("generate cli: merges profiles and prints flags to stdout", "[generate]") {
  TempDir t;
  fs::create_directories(t / "w");
  REQUIRE(run({tailor_bin(), "record", "-q", "-o", t / "a.json", "--", sample("fileio"), t / "w"})
              .status == 0);
  REQUIRE(run({tailor_bin(), "record", "-q", "-o", t / "b.json", "--", sample("tcp"), t / "w"})
              .status == 0);
  auto r = run({tailor_bin(), "generate", t / "a.json", t / "b.json", "--seccomp", t / "s.json",
                "--flags", "compose"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::string s = read_text(t / "s.json");
  CHECK(s.find("\"mkdirat\"") != std::string::npos);  // from fileio
  CHECK(s.find("\"listen\"") != std::string::npos);   // from tcp
  CHECK(r.out.find("cap_drop") != std::string::npos);
}

TEST_CASE("generate cli: bad input is one line and a documented exit code", "[generate]") {
  TempDir t;
  std::ofstream(t / "docker.json") << R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[]})";
  std::ofstream(t / "broken.json") << R"({"tailor": 1, "syscalls": )";
  std::ofstream(t / "ok.json") << R"({"tailor": 1})";
  struct Case {
    std::vector<std::string> args;
    int status;
    const char* says;
  };
  const std::vector<Case> cases = {
      {{"generate", t / "docker.json", "--seccomp", t / "o.json"}, 2, "not a tailor profile"},
      {{"generate", t / "broken.json", "--seccomp", t / "o.json"}, 2, "not valid JSON"},
      {{"generate", t / "missing.json", "--seccomp", t / "o.json"}, 2, "cannot read"},
      {{"generate", t / "ok.json"}, 2, "nothing to write"},
      {{"generate", t / "ok.json", "--seccomp", t / "nodir/o.json"}, 2, "does not exist"},
      {{"generate", t / "ok.json", "--flags", "swarm"}, 2, "swarm"},
      {{"generate", t / "ok.json", "--seccomp", t / "o.json", "--runtime", "lxc"}, 2, "lxc"},
  };
  const std::size_t before = count_files(t.path());
  for (const auto& c : cases) {
    std::vector<std::string> argv = {tailor_bin()};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto r = run(argv);
    INFO(c.args[0] << " " << c.args[1] << " ...: " << r.err);
    CHECK(r.status == c.status);
    CHECK(r.err.find(c.says) != std::string::npos);
  }
  CHECK(count_files(t.path()) == before);  // no output, no temp file left behind
  CHECK_FALSE(fs::exists(t / "o.json"));
}

TEST_CASE("generate cli: an empty profile still gives a loadable filter", "[generate]") {
  TempDir t;
  std::ofstream(t / "ok.json") << R"({"tailor": 1})";
  auto r = run(
      {tailor_bin(), "generate", t / "ok.json", "--seccomp", t / "s.json", "--runtime", "none"});
  REQUIRE(r.status == 0);
  auto policy = tailor::seccomp_policy_from_json(read_text(t / "s.json"));
  auto filter = tailor::SeccompFilter::compile(policy);
  CHECK_FALSE(filter.bpf().empty());
  const std::string s = read_text(t / "s.json");
  for (const char* name : {"exit", "exit_group", "rt_sigreturn", "restart_syscall"})
    CHECK(s.find(std::string("\"") + name + "\"") != std::string::npos);
}
