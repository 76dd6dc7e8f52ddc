// samples/ci/: the local drift-check script, run for real on the ci_app sample the way a CI job
// runs it — first to make the committed profile, then unchanged (passes), then after the app
// changed to make one new syscall (fails, naming it). The workflow files are checked to be YAML
// that runs this same script; the workflow's audit step is run as written, and its SARIF read.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support.h"
#include "tailor/profile_json.h"

namespace fs = std::filesystem;
using tailor::test::has_syscall;
using tailor::test::read_text;
using tailor::test::run;
using tailor::test::RunResult;
using tailor::test::sample;
using tailor::test::tailor_bin;
using tailor::test::TempDir;

namespace {

std::string script() {
  return std::string(TAILOR_SOURCE_DIR) + "/samples/ci/tailor-ci.sh";
}

// The script with the tailor under test (TAILOR) and the given arguments.
RunResult ci(const std::vector<std::string>& args) {
  std::vector<std::string> cmd = {"env", "TAILOR=" + tailor_bin(), "sh", script()};
  cmd.insert(cmd.end(), args.begin(), args.end());
  return run(cmd, 180);
}

// Installs `name` as the app at `app` (one path, as a rebuilt binary keeps its path).
void install(const std::string& name, const std::string& app) {
  fs::copy_file(sample(name), app, fs::copy_options::overwrite_existing);
}

}  // namespace

TEST_CASE("ci: tailor-ci.sh passes unchanged tests and fails on a new syscall", "[ci]") {
  TempDir t;
  const std::string app = t / "ci_app", work = t / "work";
  const std::string committed = t / "tailor-profile.json", recorded = t / "recorded.json";
  fs::create_directories(work);
  install("ci_app", app);

  // First run: no committed profile yet, so this recording becomes it.
  auto first = ci({"-p", committed, "-o", recorded, "--", app, work});
  INFO("first run: " << first.out << first.err);
  REQUIRE(first.status == 0);
  CHECK(first.out.find("wrote " + committed) != std::string::npos);
  const tailor::Profile base = tailor::load_profile(committed);
  REQUIRE(has_syscall(base, "x86_64", "write"));
  REQUIRE_FALSE(has_syscall(base, "x86_64", "uname"));

  // Unchanged app: passes, and says there is nothing new.
  auto same = ci({"-p", committed, "-o", recorded, "--", app, work});
  INFO("unchanged: " << same.out << same.err);
  CHECK(same.status == 0);
  CHECK(same.out.find("no drift: 0 added") != std::string::npos);

  // The app now calls uname: drift, exit 1, the new syscall named, a Markdown report written,
  // and the committed profile left alone.
  install("ci_app_drift", app);
  auto drift = ci({"-p", committed, "-o", recorded, "-r", t / "report.md", "--", app, work});
  INFO("drift: " << drift.out << drift.err);
  CHECK(drift.status == 1);
  CHECK(drift.out.find("+ syscall x86_64 uname\n") != std::string::npos);
  CHECK(drift.err.find("DRIFT") != std::string::npos);
  CHECK(read_text(t / "report.md").find("`uname`") != std::string::npos);
  CHECK(has_syscall(tailor::load_profile(recorded), "x86_64", "uname"));
  CHECK(tailor::load_profile(committed) == base);
  // Only the syscall is new: the binary kept its path, its files are the same.
  CHECK(drift.out.find("drift: 1 added") != std::string::npos);

  // Accepting the change (-u) makes the next run pass again.
  auto update = ci({"-u", "-p", committed, "-o", recorded, "--", app, work});
  CHECK(update.status == 0);
  CHECK(has_syscall(tailor::load_profile(committed), "x86_64", "uname"));
  CHECK(ci({"-p", committed, "-o", recorded, "--", app, work}).status == 0);
}

TEST_CASE("ci: tailor-ci.sh against a committed seccomp profile", "[ci]") {
  TempDir t;
  const std::string app = t / "ci_app", work = t / "work";
  const std::string seccomp = t / "seccomp.json", recorded = t / "recorded.json";
  fs::create_directories(work);
  install("ci_app", app);
  REQUIRE(ci({"-p", t / "p.json", "-o", recorded, "--", app, work}).status == 0);
  REQUIRE(run({tailor_bin(), "generate", t / "p.json", "--seccomp", seccomp}).status == 0);

  auto same = ci({"-p", seccomp, "-o", recorded, "--", app, work});
  INFO(same.out << same.err);
  CHECK(same.status == 0);

  install("ci_app_drift", app);
  auto drift = ci({"-p", seccomp, "-o", recorded, "--", app, work});
  INFO(drift.out << drift.err);
  CHECK(drift.status == 1);
  CHECK(drift.out.find("+ syscall x86_64 uname\n") != std::string::npos);

  // -u regenerates the seccomp profile (still a seccomp profile), which then allows uname.
  REQUIRE(ci({"-u", "-p", seccomp, "-o", recorded, "--", app, work}).status == 0);
  CHECK(read_text(seccomp).find("\"defaultAction\"") != std::string::npos);
  CHECK(read_text(seccomp).find("\"uname\"") != std::string::npos);
  CHECK(ci({"-p", seccomp, "-o", recorded, "--", app, work}).status == 0);
}

TEST_CASE("ci: a failing test command is reported as such, not as drift", "[ci]") {
  TempDir t;
  auto r = ci({"-p", t / "p.json", "-o", t / "r.json", "--", "sh", "-c", "exit 3"});
  CHECK(r.status == 3);
  CHECK(r.err.find("the test command failed (exit 3)") != std::string::npos);
  CHECK_FALSE(fs::exists(t / "p.json"));
  CHECK(ci({}).status == 2);  // no command: usage
}

TEST_CASE("ci: the workflow files are YAML and run the script", "[ci]") {
  const std::string dir = std::string(TAILOR_SOURCE_DIR) + "/samples/ci/";
  for (const char* f : {"github-actions.yml", "gitlab-ci.yml"}) {
    INFO(f);
    const std::string text = read_text(dir + f);
    REQUIRE_FALSE(text.empty());
    CHECK(text.find("tailor-ci.sh") != std::string::npos);
    auto has_yaml = run({"python3", "-c", "import yaml"});
    if (has_yaml.status != 0) {
      WARN("skipped YAML parse: python3 with PyYAML not installed (apt-get install python3-yaml)");
      continue;
    }
    auto parsed =
        run({"python3", "-c", "import sys, yaml; yaml.safe_load(open(sys.argv[1]))", dir + f});
    INFO(parsed.err);
    CHECK(parsed.status == 0);
  }
}

// The "Audit the deployment" steps exactly as the workflows write them (taken out of the YAML
// with PyYAML and run with sh), on the repository layout they expect: a compose file and the
// profile the drift check just recorded. What GitHub's upload-sarif reads must be SARIF 2.1.0
// with each finding at a line of compose.yml; GitLab keeps the Markdown as an artifact.
TEST_CASE("ci: the workflows' audit steps run as written", "[ci]") {
  if (run({"python3", "-c", "import yaml"}).status != 0) {
    WARN("SKIPPED: python3 with PyYAML is needed to take the step out of the workflow");
    return;
  }
  TempDir t;
  const std::string work = t / "work";
  fs::create_directories(work);
  REQUIRE(ci({"-p", t / "tailor-profile.json", "-o", t / "tailor-recorded.json", "--",
              sample("ci_app"), work})
              .status == 0);
  {
    std::ofstream(t / "compose.yml") << "services:\n"
                                        "  app:\n"
                                        "    image: registry.example/ci_app:1\n"
                                        "    privileged: true\n";
  }
  const std::string dir = std::string(TAILOR_SOURCE_DIR) + "/samples/ci/";
  const char* extract = R"(import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
jobs = doc["jobs"].values() if "jobs" in doc else [doc["tailor-drift"]]
for job in jobs:
    for step in job.get("steps", []):
        if step.get("name") == "Audit the deployment":
            print(step["run"])
    for line in job.get("after_script", []):
        if "audit" in line:
            print(line)
)";
  for (const char* f : {"github-actions.yml", "gitlab-ci.yml"}) {
    INFO(f);
    auto step = run({"python3", "-c", extract, dir + f});
    REQUIRE(step.status == 0);
    REQUIRE(step.out.find("audit") != std::string::npos);
    auto r = run({"env", "TAILOR=" + tailor_bin(), "TAILOR_PROFILE=tailor-profile.json",
                  "TAILOR_DEPLOY=compose.yml", "sh", "-c", "cd '" + t.path() + "' && " + step.out},
                 60);
    INFO(step.out << r.out << r.err);
    REQUIRE(r.status == 0);
  }
  const std::string sarif = read_text(t / "tailor-audit.sarif");
  CHECK(sarif.find("\"version\": \"2.1.0\"") != std::string::npos);
  CHECK(sarif.find("\"ruleId\": \"TL101\"") != std::string::npos);
  CHECK(sarif.find("\"uri\": \"compose.yml\"") != std::string::npos);
  CHECK(sarif.find("\"startLine\": 4") != std::string::npos);
  const std::string md = read_text(t / "tailor-audit.md");
  CHECK(md.find("TL101") != std::string::npos);
}
