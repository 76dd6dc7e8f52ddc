// `tailor run` as a user runs it: the real binary applies real filters to real samples, and
// every check looks at what the workload itself saw (its exit status, the errno text it
// printed, its /proc/self/status) as well as at tailor's report.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "support.h"

namespace fs = std::filesystem;
using nlohmann::json;
using tailor::test::read_text;
using tailor::test::run;
using tailor::test::RunResult;
using tailor::test::sample;
using tailor::test::tailor_bin;
using tailor::test::TempDir;

namespace {

// One recording of the fileio sample, shared by the tests: the tailor profile and the Docker
// seccomp profile `record --seccomp` generated from it.
struct Recording {
  TempDir dir;
  std::string profile = dir / "p.json";
  std::string seccomp = dir / "s.json";
};

const Recording& fileio_recording() {
  static Recording rec;  // removed with its temp dir when the test binary exits
  static bool recorded = false;
  if (!recorded) {
    fs::create_directories(rec.dir / "work");
    auto res = tailor::test::record({sample("fileio"), rec.dir / "work"}, rec.profile,
                                    {"--seccomp", rec.seccomp});
    INFO(res.run.err);
    REQUIRE(res.run.status == 0);
    REQUIRE(fs::exists(rec.seccomp));
    recorded = true;
  }
  return rec;
}

json read_json(const std::string& path) {
  return json::parse(read_text(path));
}

void write_json(const std::string& path, const json& j) {
  std::ofstream(path) << j.dump(2);
}

// The generated seccomp profile with `name` taken out of every allow rule.
json without(json policy, const std::string& name) {
  for (auto& rule : policy["syscalls"]) {
    auto& names = rule["names"];
    names.erase(std::remove(names.begin(), names.end(), json(name)), names.end());
  }
  return policy;
}

// `tailor run [flags] --report R -- fileio DIR` on a fresh DIR.
struct FileioRun {
  RunResult run;
  json report;
  std::string dir;
};

FileioRun run_fileio(const TempDir& t, const std::string& profile,
                     const std::vector<std::string>& flags = {}) {
  static int n = 0;
  FileioRun r;
  r.dir = t / ("work" + std::to_string(++n));
  fs::create_directories(r.dir);
  const std::string report = t / ("report" + std::to_string(n) + ".json");
  std::vector<std::string> cmd = {tailor_bin(), "run", "--seccomp", profile, "--report", report};
  cmd.insert(cmd.end(), flags.begin(), flags.end());
  cmd.insert(cmd.end(), {"--", sample("fileio"), r.dir});
  r.run = run(cmd, 60);
  if (fs::exists(report)) r.report = read_json(report);
  return r;
}

const json* row_of(const json& report, const char* list, const std::string& syscall) {
  if (!report.is_object() || !report.contains(list)) return nullptr;
  for (const auto& d : report[list])
    if (d["syscall"] == syscall) return &d;
  return nullptr;
}

// A violation row of the report, and a row the profile's own rules answered.
const json* denial(const json& report, const std::string& syscall) {
  return row_of(report, "denied", syscall);
}
const json* by_design(const json& report, const std::string& syscall) {
  return row_of(report, "by_design", syscall);
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string canonical(const std::string& p) {
  return fs::canonical(p).string();
}

}  // namespace

TEST_CASE("run: a generated profile enforced on its own sample denies nothing", "[run]") {
  const auto& rec = fileio_recording();
  TempDir t;
  auto r = run_fileio(t, rec.seccomp);
  INFO(r.run.err);
  CHECK(r.run.status == 0);
  REQUIRE(r.report.is_object());
  CHECK(r.report["mode"] == "enforce");
  CHECK(r.report["profile"] == rec.seccomp);
  CHECK(r.report["exit_status"] == 0);
  CHECK(r.report["denied"].empty());
  CHECK(r.report["denied_calls"] == 0);
  // fileio did its work: the renamed file and the one written last are there.
  CHECK(fs::exists(r.dir + "/d.txt"));
  CHECK(r.run.err.find("tailor: enforce: no call was denied") != std::string::npos);
}

TEST_CASE("run: a syscall removed from the profile fails with EPERM and is reported", "[run]") {
  const auto& rec = fileio_recording();
  TempDir t;
  const std::string profile = t / "no-mkdirat.json";
  write_json(profile, without(read_json(rec.seccomp), "mkdirat"));
  auto r = run_fileio(t, profile);
  INFO(r.run.err);
  // The sample saw the denial: perror("mkdirat") and exit 1, nothing created after it.
  CHECK(r.run.status == 1);
  CHECK(r.run.err.find("mkdirat: Operation not permitted") != std::string::npos);
  CHECK_FALSE(fs::exists(r.dir + "/sub"));
  REQUIRE(r.report.is_object());
  CHECK(r.report["exit_status"] == 1);
  const json* d = denial(r.report, "mkdirat");
  REQUIRE(d);
  CHECK((*d)["arch"] == "x86_64");
  CHECK((*d)["count"] == 1);
  CHECK((*d)["action"] == "SCMP_ACT_ERRNO");
  CHECK((*d)["errno"] == EPERM);
  CHECK((*d)["enforced"] == true);
  CHECK((*d)["first_executable"] == canonical(sample("fileio")));
  // The summary table on stderr names it too.
  bool row = false;
  for (const auto& l : lines_of(r.run.err))
    row |= l.find("mkdirat") != std::string::npos && l.find("EPERM") != std::string::npos &&
           l.find(canonical(sample("fileio"))) != std::string::npos;
  CHECK(row);

  SECTION("-q silences the summary but still writes the report") {
    auto q = run_fileio(t, profile, {"-q"});
    CHECK(q.run.status == 1);
    CHECK(q.run.err.find("tailor:") == std::string::npos);
    CHECK(denial(q.report, "mkdirat"));
  }
  SECTION("--fail-on-violation exits 3 in enforce mode too") {
    CHECK(run_fileio(t, profile, {"--fail-on-violation"}).run.status == 3);
  }
}

TEST_CASE("run: complain mode lets the workload run and reports what would fail", "[run]") {
  const auto& rec = fileio_recording();
  TempDir t;
  const std::string profile = t / "no-mkdirat.json";
  write_json(profile, without(without(read_json(rec.seccomp), "mkdirat"), "rmdir"));
  auto r = run_fileio(t, profile, {"--complain"});
  INFO(r.run.err);
  CHECK(r.run.status == 0);
  CHECK(r.run.err.find("Operation not permitted") == std::string::npos);
  CHECK(fs::exists(r.dir + "/d.txt"));
  CHECK(r.report["mode"] == "complain");
  for (const char* name : {"mkdirat", "rmdir"}) {
    const json* d = denial(r.report, name);
    REQUIRE(d);
    CHECK((*d)["count"] == 1);
    CHECK((*d)["action"] == "SCMP_ACT_ERRNO");
    CHECK((*d)["errno"] == EPERM);
    CHECK((*d)["enforced"] == false);
    CHECK((*d)["first_executable"] == canonical(sample("fileio")));
  }
  CHECK(r.report["denied"].size() == 2);
  CHECK(r.report["denied_calls"] == 2);
  CHECK(r.run.err.find("would have been denied") != std::string::npos);

  SECTION("--fail-on-violation exits 3 when anything would have been denied") {
    CHECK(run_fileio(t, profile, {"--complain", "--fail-on-violation"}).run.status == 3);
  }
  SECTION("--fail-on-violation keeps the workload's status when nothing would be denied") {
    CHECK(run_fileio(t, rec.seccomp, {"--complain", "--fail-on-violation"}).run.status == 0);
  }
}

TEST_CASE("run: defaultErrnoRet and a rule's errnoRet are what the workload sees", "[run]") {
  const auto& rec = fileio_recording();
  TempDir t;
  json policy = without(read_json(rec.seccomp), "mkdirat");

  SECTION("defaultErrnoRet 38") {
    policy["defaultErrnoRet"] = ENOSYS;
    write_json(t / "p.json", policy);
    auto r = run_fileio(t, t / "p.json");
    INFO(r.run.err);
    CHECK(r.run.status == 1);
    CHECK(r.run.err.find("mkdirat: Function not implemented") != std::string::npos);
    const json* d = denial(r.report, "mkdirat");
    REQUIRE(d);
    CHECK((*d)["errno"] == ENOSYS);
    CHECK((*d)["errno_name"] == "ENOSYS");
  }
  SECTION("a rule with errnoRet whose argument comparison matches") {
    // fileio calls mkdirat(dfd, "sub", 0755): the mode is argument 2.
    policy["syscalls"].push_back(
        {{"names", {"mkdirat"}},
         {"action", "SCMP_ACT_ERRNO"},
         {"errnoRet", EACCES},
         {"args", {{{"index", 2}, {"value", 0755}, {"op", "SCMP_CMP_EQ"}}}}});
    write_json(t / "p.json", policy);
    auto r = run_fileio(t, t / "p.json");
    INFO(r.run.err);
    CHECK(r.run.status == 1);
    CHECK(r.run.err.find("mkdirat: Permission denied") != std::string::npos);
    // The rule says so on purpose: an answer by design, not a violation.
    CHECK_FALSE(denial(r.report, "mkdirat"));
    const json* d = by_design(r.report, "mkdirat");
    REQUIRE(d);
    CHECK((*d)["errno"] == EACCES);
    CHECK((*d)["cause"] == "rule");
    CHECK((*d)["enforced"] == true);
    CHECK(r.report["by_design_calls"] == 1);
  }
  SECTION("a rule with errnoRet whose argument comparison does not match") {
    policy["syscalls"].push_back(
        {{"names", {"mkdirat"}},
         {"action", "SCMP_ACT_ERRNO"},
         {"errnoRet", EACCES},
         {"args", {{{"index", 2}, {"value", 0700}, {"op", "SCMP_CMP_EQ"}}}}});
    write_json(t / "p.json", policy);
    auto r = run_fileio(t, t / "p.json");
    INFO(r.run.err);
    CHECK(r.run.err.find("mkdirat: Operation not permitted") != std::string::npos);
    const json* d = denial(r.report, "mkdirat");
    REQUIRE(d);
    CHECK((*d)["errno"] == EPERM);
    CHECK((*d)["cause"] == "default");
    CHECK(r.report["by_design"].empty());
  }
}

TEST_CASE("run: rule denials under an allowing default are counted in a child process", "[run]") {
  TempDir t;
  write_json(t / "p.json",
             {{"defaultAction", "SCMP_ACT_ALLOW"},
              {"syscalls",
               {{{"names", {"mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", EROFS}}}}});
  fs::create_directories(t / "w");
  // The denial happens in sh's child: the report names fileio, not sh.
  auto r = run({tailor_bin(), "run", "--seccomp", t / "p.json", "--report", t / "r.json", "--",
                "sh", "-c", "\"$0\" \"$1\"; echo status=$?", sample("fileio"), t / "w"},
               60);
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out.find("status=1") != std::string::npos);
  CHECK(r.err.find("mkdirat: Read-only file system") != std::string::npos);
  auto report = read_json(t / "r.json");
  // A deny-list profile: every denial is a rule its author wrote, so none is a violation.
  CHECK(report["denied"].empty());
  REQUIRE(report["by_design"].size() == 1);
  CHECK(report["by_design"][0]["syscall"] == "mkdirat");
  CHECK(report["by_design"][0]["errno"] == EROFS);
  CHECK(report["by_design"][0]["first_executable"] == canonical(sample("fileio")));
}

TEST_CASE("run: LOG is allowed and reported, KILL stays in the kernel", "[run]") {
  const auto& rec = fileio_recording();
  TempDir t;
  json policy = without(read_json(rec.seccomp), "mkdirat");
  policy.erase("defaultErrnoRet");

  SECTION("default SCMP_ACT_LOG: the call runs, the report lists it, no violation") {
    policy["defaultAction"] = "SCMP_ACT_LOG";
    write_json(t / "p.json", policy);
    auto r = run_fileio(t, t / "p.json", {"--fail-on-violation"});
    INFO(r.run.err);
    CHECK(r.run.status == 0);
    CHECK(fs::exists(r.dir + "/d.txt"));
    const json* d = denial(r.report, "mkdirat");
    REQUIRE(d);
    CHECK((*d)["action"] == "SCMP_ACT_LOG");
    CHECK(r.report["denied_calls"] == 0);
  }
  SECTION("default SCMP_ACT_KILL_PROCESS: the workload dies of SIGSYS") {
    policy["defaultAction"] = "SCMP_ACT_KILL_PROCESS";
    write_json(t / "p.json", policy);
    auto r = run_fileio(t, t / "p.json");
    INFO(r.run.err);
    CHECK(r.run.status == 128 + SIGSYS);
    CHECK(r.report["exit_status"] == 128 + SIGSYS);
    CHECK(r.report["signal"] == SIGSYS);
    CHECK(r.report["denied"].empty());
    CHECK(r.report["not_counted"].size() == 1);
    CHECK(r.run.err.find("SIGSYS") != std::string::npos);

    // Complain mode names the call the kernel would have killed for.
    auto c = run_fileio(t, t / "p.json", {"--complain"});
    CHECK(c.run.status == 0);
    const json* d = denial(c.report, "mkdirat");
    REQUIRE(d);
    CHECK((*d)["action"] == "SCMP_ACT_KILL_PROCESS");
  }
}

TEST_CASE("run: --caps sets the workload's capability sets and no-new-privileges", "[run]") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root to hand out capabilities");
    return;
  }
  TempDir t;
  write_json(t / "allow.json", {{"defaultAction", "SCMP_ACT_ALLOW"}});
  auto status_of = [&](const std::vector<std::string>& caps_flag) {
    std::vector<std::string> cmd = {tailor_bin(), "run", "-q", "--seccomp", t / "allow.json"};
    cmd.insert(cmd.end(), caps_flag.begin(), caps_flag.end());
    cmd.insert(cmd.end(), {"--", "cat", "/proc/self/status"});
    auto r = run(cmd, 30);
    INFO(r.err);
    REQUIRE(r.status == 0);
    std::map<std::string, std::string> fields;
    for (const auto& l : lines_of(r.out)) {
      auto colon = l.find(':');
      if (colon == std::string::npos) continue;
      auto v = l.substr(colon + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      fields[l.substr(0, colon)] = v;
    }
    return fields;
  };
  // CAP_CHOWN is 0, CAP_NET_RAW 13: docker's spellings, mixed.
  auto f = status_of({"--caps", "cap_net_raw,CHOWN"});
  const std::string want = "0000000000002001";
  CHECK(f["CapBnd"] == want);
  CHECK(f["CapEff"] == want);
  CHECK(f["CapPrm"] == want);
  CHECK(f["CapInh"] == want);
  CHECK(f["NoNewPrivs"] == "1");
  CHECK(f["Seccomp"] == "2");

  // A Docker profile without --caps: nothing at all, like --cap-drop ALL.
  auto none = status_of({});
  CHECK(none["CapBnd"] == "0000000000000000");
  CHECK(none["CapEff"] == "0000000000000000");
  CHECK(none["CapPrm"] == "0000000000000000");
  CHECK(none["NoNewPrivs"] == "1");

  // An unknown name is a one-line usage error before anything runs.
  auto bad = run(
      {tailor_bin(), "run", "--seccomp", t / "allow.json", "--caps", "CAP_NOPE", "--", "true"}, 30);
  CHECK(bad.status == 2);
  CHECK(lines_of(bad.err).size() == 1);
  CHECK(bad.err.rfind("tailor: ", 0) == 0);
  CHECK(bad.err.find("CAP_NOPE") != std::string::npos);
}

TEST_CASE("run: a moby-style profile's includes.caps follow --caps", "[run]") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root to hand out capabilities");
    return;
  }
  const auto& rec = fileio_recording();
  TempDir t;
  // As moby writes its default: archMap, and a rule that only applies with a capability.
  json policy = without(read_json(rec.seccomp), "mkdirat");
  policy.erase("architectures");
  policy["archMap"] = {{{"architecture", "SCMP_ARCH_X86_64"},
                        {"subArchitectures", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}}}};
  policy["syscalls"].push_back({{"names", {"mkdirat"}},
                                {"action", "SCMP_ACT_ALLOW"},
                                {"includes", {{"caps", {"CAP_SYS_ADMIN"}}}}});
  write_json(t / "moby.json", policy);

  auto without_cap = run_fileio(t, t / "moby.json");
  INFO(without_cap.run.err);
  CHECK(without_cap.run.status == 1);
  CHECK(denial(without_cap.report, "mkdirat"));

  auto with_cap = run_fileio(t, t / "moby.json", {"--caps", "SYS_ADMIN"});
  INFO(with_cap.run.err);
  CHECK(with_cap.run.status == 0);
  CHECK(with_cap.report["denied"].empty());
  CHECK(with_cap.report["capabilities"] == json::array({"CAP_SYS_ADMIN"}));
}

TEST_CASE("run: a tailor profile is applied as the filter generate would write", "[run]") {
  const auto& rec = fileio_recording();
  TempDir t;
  auto ok = run_fileio(t, rec.profile);
  INFO(ok.run.err);
  CHECK(ok.run.status == 0);
  CHECK(ok.report["denied"].empty());
  // fileio needs no capabilities, and the recording found none: the workload gets none.
  CHECK(ok.report["capabilities"].empty());

  json p = read_json(rec.profile);
  REQUIRE(p["syscalls"]["x86_64"].contains("rmdir"));
  p["syscalls"]["x86_64"].erase("rmdir");
  write_json(t / "p.json", p);
  auto denied = run_fileio(t, t / "p.json");
  INFO(denied.run.err);
  CHECK(denied.run.status == 1);
  CHECK(denied.run.err.find("rmdir: Operation not permitted") != std::string::npos);
  CHECK(denial(denied.report, "rmdir"));
}

// The threads sample recorded once: glibc 2.36 starts its threads with clone3, which the
// generated profile answers with ENOSYS on purpose (glibc falls back to clone).
const Recording& threads_recording() {
  static Recording rec;
  static bool recorded = false;
  if (!recorded) {
    auto res = tailor::test::record({sample("threads")}, rec.profile, {"--seccomp", rec.seccomp});
    INFO(res.run.err);
    REQUIRE(res.run.status == 0);
    recorded = true;
  }
  return rec;
}

// `tailor run [flags] --report R -- CMD...`: the run and its report.
FileioRun run_cmd(const TempDir& t, const std::vector<std::string>& flags,
                  const std::vector<std::string>& cmd) {
  static int n = 0;
  FileioRun r;
  const std::string report = t / ("cmd-report" + std::to_string(++n) + ".json");
  std::vector<std::string> argv = {tailor_bin(), "run", "--report", report};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back("--");
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  r.run = run(argv, 60);
  if (fs::exists(report)) r.report = read_json(report);
  return r;
}

TEST_CASE("run: a threaded program under its own profile: clone3 ENOSYS is by design", "[run]") {
  const auto& rec = threads_recording();
  // The premise: the generated profile has an explicit clone3 -> ENOSYS rule.
  bool rule = false;
  const json generated = read_json(rec.seccomp);
  for (const auto& r : generated["syscalls"])
    rule |= r["names"] == json::array({"clone3"}) && r["action"] == "SCMP_ACT_ERRNO" &&
            r["errnoRet"] == ENOSYS;
  REQUIRE(rule);
  TempDir t;
  for (const std::string& profile : {rec.seccomp, rec.profile}) {
    for (const char* mode : {"--complain", ""}) {
      std::vector<std::string> flags = {"--seccomp", profile, "--fail-on-violation"};
      if (*mode) flags.push_back(mode);
      auto r = run_cmd(t, flags, {sample("threads")});
      INFO(profile << " " << mode << "\n" << r.run.err);
      // The recorded workload passes the CI recipe: no violation, the workload's status.
      CHECK(r.run.status == 0);
      REQUIRE(r.report.is_object());
      CHECK(r.report["denied"].empty());
      CHECK(r.report["denied_calls"] == 0);
      const json* d = by_design(r.report, "clone3");
      REQUIRE(d);
      CHECK((*d)["action"] == "SCMP_ACT_ERRNO");
      CHECK((*d)["errno_name"] == "ENOSYS");
      CHECK((*d)["cause"] == "rule");
      CHECK((*d)["count"].get<int>() >= 1);
      CHECK(r.report["by_design_calls"] == (*d)["count"]);
      // stderr: no violation, the rule's answers listed apart.
      const std::string m = *mode ? "complain" : "enforce";
      CHECK(r.run.err.find("tailor: " + m + ": no violation") != std::string::npos);
      CHECK(r.run.err.find("answered by the profile's own rules, by design") != std::string::npos);
      CHECK(r.run.err.find("denied\n") == std::string::npos);
    }
  }
}

TEST_CASE("run: a real violation still fails next to the by-design answers", "[run]") {
  const auto& rec = threads_recording();
  TempDir t;
  // Every thread of the sample calls gettid: take it out of the allow list.
  json policy = read_json(rec.seccomp);
  bool had = false;
  for (const auto& r : policy["syscalls"])
    for (const auto& n : r["names"]) had |= n == "gettid";
  REQUIRE(had);
  write_json(t / "no-gettid.json", without(policy, "gettid"));
  auto r = run_cmd(t, {"--seccomp", t / "no-gettid.json", "--complain", "--fail-on-violation"},
                   {sample("threads")});
  INFO(r.run.err);
  CHECK(r.run.status == 3);
  const json* d = denial(r.report, "gettid");
  REQUIRE(d);
  CHECK((*d)["cause"] == "default");
  CHECK((*d)["errno_name"] == "EPERM");
  CHECK(r.report["denied_calls"] == (*d)["count"]);
  CHECK(by_design(r.report, "clone3"));
  CHECK_FALSE(denial(r.report, "clone3"));
  CHECK(r.run.err.find("would have been denied") != std::string::npos);
}

TEST_CASE("run: a hand-written rule is by design, even one that repeats the default", "[run]") {
  const auto& rec = fileio_recording();
  TempDir t;
  // As moby's default does: defaultAction ERRNO (EPERM) and explicit rules besides the allow
  // list. A rule with the default's own action compiles to nothing (runtimes drop it), but its
  // author wrote it on purpose.
  json policy = without(without(read_json(rec.seccomp), "mkdirat"), "rmdir");
  policy["syscalls"].push_back({{"names", {"mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}});

  SECTION("an errno rule is by design, the default's denial a violation") {
    write_json(t / "p.json", policy);
    auto r = run_fileio(t, t / "p.json", {"--complain", "--fail-on-violation"});
    INFO(r.run.err);
    CHECK(r.run.status == 3);  // rmdir: never recorded... here, taken out of the allow list
    const json* m = by_design(r.report, "mkdirat");
    REQUIRE(m);
    CHECK((*m)["cause"] == "rule");
    CHECK((*m)["errno"] == EPERM);
    CHECK_FALSE(denial(r.report, "mkdirat"));
    const json* d = denial(r.report, "rmdir");
    REQUIRE(d);
    CHECK((*d)["cause"] == "default");
    CHECK(r.report["denied_calls"] == 1);
    CHECK(r.report["by_design_calls"] == 1);
  }
  SECTION("only the errno rule: --fail-on-violation keeps the workload's status") {
    policy["syscalls"].push_back({{"names", {"rmdir"}}, {"action", "SCMP_ACT_ERRNO"}});
    write_json(t / "p.json", policy);
    auto r = run_fileio(t, t / "p.json", {"--complain", "--fail-on-violation"});
    INFO(r.run.err);
    CHECK(r.run.status == 0);
    CHECK(r.report["denied"].empty());
    CHECK(r.report["by_design"].size() == 2);
  }
  SECTION("a rule that kills is a violation") {
    policy["syscalls"].push_back({{"names", {"rmdir"}}, {"action", "SCMP_ACT_KILL_PROCESS"}});
    write_json(t / "p.json", policy);
    auto r = run_fileio(t, t / "p.json", {"--complain", "--fail-on-violation"});
    INFO(r.run.err);
    CHECK(r.run.status == 3);
    const json* d = denial(r.report, "rmdir");
    REQUIRE(d);
    CHECK((*d)["action"] == "SCMP_ACT_KILL_PROCESS");
    CHECK((*d)["cause"] == "rule");
  }
}

TEST_CASE("run: a workload that fails for want of a capability is told so", "[run][caps]") {
  if (::geteuid() != 0) {
    WARN("skipped: the recording needs root to exercise CAP_SETGID");
    return;
  }
  TempDir t;
  const std::string profile = t / "p.json", seccomp = t / "s.json";
  // The caps sample as root: setgid(65534) needs CAP_SETGID, and the recording says so.
  auto rec =
      tailor::test::record({sample("caps"), "setgid", "65534"}, profile, {"--seccomp", seccomp});
  INFO(rec.run.err);
  REQUIRE(rec.run.status == 0);
  REQUIRE(rec.profile.capabilities.count("CAP_SETGID"));
  const std::vector<std::string> cmd = {sample("caps"), "setgid", "65534"};

  SECTION("a seccomp JSON with --profile and no capabilities") {
    auto r = run_cmd(t, {"--seccomp", seccomp, "--profile", profile}, cmd);
    INFO(r.run.err);
    // The workload failed in a call seccomp allowed.
    CHECK(r.run.status == 1);
    CHECK(r.run.err.find("caps setgid: setgid: Operation not permitted") != std::string::npos);
    CHECK(r.run.err.find("tailor: enforce: no call was denied") != std::string::npos);
    CHECK(r.run.err.find("capabilities, not seccomp, are the likely reason") != std::string::npos);
    CHECK(r.run.err.find("Its recording needed CAP_SETGID") != std::string::npos);
    REQUIRE(r.report.is_object());
    CHECK(r.report["denied_calls"] == 0);
    REQUIRE(r.report["capability_failures"].size() == 1);
    const json& f = r.report["capability_failures"][0];
    CHECK(f["syscall"] == "setgid");
    CHECK(f["capability"] == "CAP_SETGID");
    CHECK(f["count"] == 1);
    CHECK(f["first_executable"] == canonical(sample("caps")));
    CHECK(r.report["recorded_capabilities"] == json::array({"CAP_SETGID"}));
    CHECK(r.report["missing_capabilities"] == json::array({"CAP_SETGID"}));
    CHECK(r.report["capability_hint"].get<std::string>().find("not seccomp") != std::string::npos);
  }
  SECTION("the tailor profile with --caps withholding it, in complain mode") {
    auto r = run_cmd(t, {"--seccomp", profile, "--caps", "", "--complain"}, cmd);
    INFO(r.run.err);
    CHECK(r.run.status == 1);
    REQUIRE(r.report["capability_failures"].size() == 1);
    CHECK(r.report["capability_failures"][0]["capability"] == "CAP_SETGID");
    CHECK(r.run.err.find("CAP_SETGID") != std::string::npos);
  }
  SECTION("given the capability, nothing fails and nothing is said") {
    auto r = run_cmd(t, {"--seccomp", profile}, cmd);  // default: the recorded capabilities
    INFO(r.run.err);
    CHECK(r.run.status == 0);
    CHECK(r.report["capability_failures"].empty());
    CHECK_FALSE(r.report.contains("capability_hint"));
    CHECK(r.report["missing_capabilities"].empty());
    CHECK(r.run.err.find("capabilit") == std::string::npos);
  }
  SECTION("without the recording tailor says only what it knows") {
    auto r = run_cmd(t, {"--seccomp", seccomp}, cmd);
    INFO(r.run.err);
    CHECK(r.run.status == 1);
    CHECK(r.report["capability_failures"].empty());
    CHECK_FALSE(r.report.contains("recorded_capabilities"));
    CHECK(r.run.err.find("ran with no capabilities") != std::string::npos);
    CHECK(r.run.err.find("--profile") != std::string::npos);
  }
}

TEST_CASE("run: a bind below 1024 without CAP_NET_BIND_SERVICE is named", "[run][caps]") {
  if (::geteuid() != 0) {
    WARN("skipped: the recording needs root to bind a port below 1024");
    return;
  }
  TempDir t;
  const std::string profile = t / "p.json";
  // UDP with SO_REUSEADDR: other tests may bind the same low port at the same time.
  const std::vector<std::string> cmd = {sample("caps"), "bind", "1021"};
  auto rec = tailor::test::record(cmd, profile);
  INFO(rec.run.err);
  REQUIRE(rec.run.status == 0);
  REQUIRE(rec.profile.capabilities.count("CAP_NET_BIND_SERVICE"));
  auto r = run_cmd(t, {"--seccomp", profile, "--caps", ""}, cmd);
  INFO(r.run.err);
  // (The sample's own message is lost: the recording never wrote to stderr, so write is denied.)
  CHECK(r.run.status == 1);
  REQUIRE(r.report["capability_failures"].size() == 1);
  const json& f = r.report["capability_failures"][0];
  CHECK(f["syscall"] == "bind");
  CHECK(f["capability"] == "CAP_NET_BIND_SERVICE");
  CHECK(f["first_detail"] == "port 1021");
}

TEST_CASE("run: bad input and a missing command are one-line errors", "[run]") {
  TempDir t;
  auto one_line = [](const RunResult& r) {
    auto lines = lines_of(r.err);
    return lines.size() == 1 && lines[0].rfind("tailor: ", 0) == 0;
  };
  std::ofstream(t / "bad.json") << "{\"defaultAction\": ";
  auto bad = run({tailor_bin(), "run", "--seccomp", t / "bad.json", "--", "true"}, 30);
  CHECK(bad.status == 2);
  CHECK(one_line(bad));
  CHECK(bad.err.find(t / "bad.json") != std::string::npos);

  std::ofstream(t / "foreign.json") << "{\"hello\": 1}";
  auto foreign = run({tailor_bin(), "run", "--seccomp", t / "foreign.json", "--", "true"}, 30);
  CHECK(foreign.status == 2);
  CHECK(one_line(foreign));

  write_json(t / "notify.json", {{"defaultAction", "SCMP_ACT_NOTIFY"}});
  auto notify = run({tailor_bin(), "run", "--seccomp", t / "notify.json", "--", "true"}, 30);
  CHECK(notify.status == 2);
  CHECK(one_line(notify));
  CHECK(notify.err.find("SCMP_ACT_NOTIFY") != std::string::npos);

  write_json(t / "allow.json", {{"defaultAction", "SCMP_ACT_ALLOW"}});
  auto missing = run(
      {tailor_bin(), "run", "--seccomp", t / "allow.json", "--", "tailor-no-such-command-xyz"}, 30);
  CHECK(missing.status == 127);
  CHECK(one_line(missing));

  auto no_file = run({tailor_bin(), "run", "--seccomp", t / "nope.json", "--", "true"}, 30);
  CHECK(no_file.status == 2);
  CHECK(one_line(no_file));

  // Options after `--` belong to the command: say so instead of only "--seccomp is required".
  auto after = run({tailor_bin(), "run", "--", "true", "--seccomp", t / "allow.json"}, 30);
  CHECK(after.status == 2);
  CHECK(one_line(after));
  CHECK(after.err.find("--seccomp is required") != std::string::npos);
  CHECK(after.err.find("options go before `--`") != std::string::npos);
  auto missing_opt = run({tailor_bin(), "run", "--", "true"}, 30);
  CHECK(missing_opt.status == 2);
  CHECK(one_line(missing_opt));
  CHECK(missing_opt.err.find("--seccomp is required") != std::string::npos);

  // --profile takes the recording, not a seccomp profile.
  auto wrong = run({tailor_bin(), "run", "--seccomp", t / "allow.json", "--profile",
                    t / "allow.json", "--", "true"},
                   30);
  CHECK(wrong.status == 2);
  CHECK(one_line(wrong));
  CHECK(wrong.err.find("--profile") != std::string::npos);
}

TEST_CASE("run: exit status is the workload's, 128+N for a signal", "[run]") {
  TempDir t;
  write_json(t / "allow.json", {{"defaultAction", "SCMP_ACT_ALLOW"}});
  CHECK(run({tailor_bin(), "run", "-q", "--seccomp", t / "allow.json", "--", "sh", "-c", "exit 7"},
            30)
            .status == 7);
  CHECK(run({tailor_bin(), "run", "-q", "--seccomp", t / "allow.json", "--", "sh", "-c",
             "kill -TERM $$"},
            30)
            .status == 128 + SIGTERM);
}

TEST_CASE("run: SIGKILL of tailor takes the whole workload down", "[run]") {
  TempDir t;
  // Nothing here is ever denied: tailor hears of no process but the first, so the watchdog
  // must find the others itself.
  write_json(t / "allow.json",
             {{"defaultAction", "SCMP_ACT_ALLOW"},
              {"syscalls", {{{"names", {"mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}}}}});
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::execl(tailor_bin().c_str(), "tailor", "run", "-q", "--seccomp", (t / "allow.json").c_str(),
            "--", "sh", "-c", "sleep 30 & (sleep 31 &); sleep 32; wait", nullptr);
    ::_exit(127);
  }
  REQUIRE(pid > 0);
  // The workload: every process whose parent chain leads to tailor.
  auto tree = [&] {
    std::map<pid_t, pid_t> parent;
    std::map<pid_t, std::string> comm;
    for (const auto& e : fs::directory_iterator("/proc")) {
      const std::string name = e.path().filename().string();
      if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
      const std::string s = read_text("/proc/" + name + "/stat");
      const auto close = s.rfind(')');
      if (close == std::string::npos || s.size() < close + 4) continue;
      const pid_t p = std::stoi(name);
      parent[p] = std::stoi(s.substr(close + 4));
      comm[p] = s.substr(s.find('(') + 1, close - s.find('(') - 1);
    }
    std::set<pid_t> in = {pid};
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& [p, pp] : parent)
        if (in.count(pp) && in.insert(p).second) grew = true;
    }
    in.erase(pid);
    std::vector<std::pair<pid_t, std::string>> out;
    for (pid_t p : in)
      if (comm[p] == "sleep" || comm[p] == "sh") out.emplace_back(p, comm[p]);
    return out;
  };
  std::vector<std::pair<pid_t, std::string>> procs;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    procs = tree();
    if (std::count_if(procs.begin(), procs.end(), [](auto& p) { return p.second == "sleep"; }) == 3)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(procs.size() == 4);  // sh and three sleeps (one an orphan re-parented to tailor)
  // tailor looks for orphans re-parented to it every 100 ms (nothing tells it at once); an
  // orphan made in the last moment before tailor dies is the one case the watchdog can miss.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  REQUIRE(::kill(pid, SIGKILL) == 0);
  int st = 0;
  REQUIRE(::waitpid(pid, &st, 0) == pid);

  auto alive = [](pid_t p) {
    const std::string s = read_text("/proc/" + std::to_string(p) + "/stat");
    const auto close = s.rfind(')');
    return close != std::string::npos && s.size() > close + 2 && s[close + 2] != 'Z';
  };
  std::vector<pid_t> left;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    left.clear();
    for (const auto& [p, c] : procs)
      if (alive(p)) left.push_back(p);
    if (!left.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (!left.empty() && std::chrono::steady_clock::now() < until);
  for (pid_t p : left) ::kill(p, SIGKILL);  // don't leave them behind for the rest of the suite
  CHECK(left.empty());
}
