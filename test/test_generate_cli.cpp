// `tailor generate` and `tailor record --seccomp/--apparmor/--flags` as a user runs them: the
// real binary, real files, exit codes, and outputs that the real readers accept.
#include <sys/stat.h>

#include <algorithm>
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

TEST_CASE("generate cli: names each file written on stderr; -q keeps quiet", "[generate]") {
  TempDir t;
  std::ofstream(t / "ok.json") << R"({"tailor": 1, "commands": [["/bin/app"]]})";
  auto r = run({tailor_bin(), "generate", t / "ok.json", "--seccomp", t / "s.json", "--oci",
                t / "o.json", "--spo", t / "spo.yaml", "--apparmor", t / "a.aa", "--flags", "k8s",
                "--flags-output", t / "k8s.yaml"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.empty());
  const std::string variant =
      "for docker, podman, runc and crun, with or without "
      "no-new-privileges)\n";
  CHECK(r.err == "tailor: wrote " + (t / "s.json") + " (Docker/podman seccomp profile, " + variant +
                     "tailor: wrote " + (t / "o.json") + " (OCI linux.seccomp object, " + variant +
                     "tailor: wrote " + (t / "spo.yaml") +
                     " (Security Profiles Operator SeccompProfile \"tailor-app\", " + variant +
                     "tailor: wrote " + (t / "a.aa") + " (AppArmor profile \"tailor-app\")\n" +
                     "tailor: wrote " + (t / "k8s.yaml") + " (Kubernetes pod spec fragment)\n");
  // Flags on stdout are not a file: no line for them.
  r = run({tailor_bin(), "generate", t / "ok.json", "--flags", "docker"});
  CHECK(r.err.empty());
  r = run({tailor_bin(), "generate", "-q", t / "ok.json", "--seccomp", t / "s.json"});
  CHECK(r.status == 0);
  CHECK(r.err.empty());
  // record passes its -q on, and without it names the files after its summary.
  fs::create_directories(t / "w");
  r = run({tailor_bin(), "record", "-o", t / "p.json", "--seccomp", t / "s2.json", "--",
           sample("fileio"), t / "w"});
  CHECK(r.err.find("distinct syscalls") < r.err.find("tailor: wrote " + (t / "s2.json")));
  r = run({tailor_bin(), "record", "-q", "-o", t / "p.json", "--seccomp", t / "s2.json", "--",
           sample("fileio"), t / "w"});
  CHECK(r.err.empty());
}

TEST_CASE("generate cli: unknown syscall names warn, an unknown architecture is an error",
          "[generate]") {
  TempDir t;
  std::ofstream(t / "names.json") << R"({"tailor": 1, "syscalls": {"x86_64": {
      "read": {"count": 1}, "syscall_999": {"count": 1}, "frobnicate": {"count": 2}}}})";
  std::ofstream(t / "arch.json") << R"({"tailor": 1, "syscalls": {"x86_64": {
      "read": {"count": 1}}, "armv9": {"read": {"count": 1}}}})";
  // Warnings go to stderr even with -q (they are problems, not progress), once per name even
  // with three seccomp outputs.
  auto r = run({tailor_bin(), "generate", "-q", t / "names.json", "--seccomp", t / "s.json",
                "--oci", t / "o.json", "--spo", t / "s.yaml"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.err ==
        "tailor: warning: syscall frobnicate (x86_64) is unknown to libseccomp: left out of the "
        "seccomp filter, so the workload's calls to it will fail with EPERM\n"
        "tailor: warning: syscall syscall_999 (x86_64) is unknown to libseccomp: left out of the "
        "seccomp filter, so the workload's calls to it will fail with EPERM\n");
  // An architecture libseccomp does not know: exit 2, nothing written, no SCMP_ARCH_ARMV9.
  const std::size_t before = count_files(t.path());
  r = run({tailor_bin(), "generate", t / "arch.json", "--seccomp", t / "a.json", "--flags",
           "docker", "--flags-output", t / "f.sh"});
  CHECK(r.status == 2);
  CHECK(r.err.rfind("tailor: seccomp: the profile has syscalls of architecture \"armv9\"", 0) == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(count_files(t.path()) == before);
  // Outputs that do not name architectures do not care.
  r = run({tailor_bin(), "generate", t / "arch.json", "--apparmor", t / "x.aa"});
  CHECK(r.status == 0);
}

TEST_CASE("generate cli: the runtime baseline follows --runtime, then --flags, then all",
          "[generate]") {
  TempDir t;
  std::ofstream(t / "ok.json") << R"({"tailor": 1})";
  auto comment = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {tailor_bin(),  "generate",  "-q",
                                     t / "ok.json", "--seccomp", t / "s.json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = run(argv);
    INFO(r.err);
    REQUIRE(r.status == 0);
    return tailor::seccomp_policy_from_json(read_text(t / "s.json")).comment;
  };
  const std::string pre = "Generated by tailor from a recorded profile, for ";
  CHECK(comment({}) == pre + "docker, podman, runc and crun, with or without no-new-privileges.");
  CHECK(comment({"--flags", "podman"}) ==
        pre + "podman with crun or runc, with or without no-new-privileges.");
  CHECK(comment({"--flags", "docker"}) == pre + "docker, with or without no-new-privileges.");
  CHECK(comment({"--flags", "compose"}) ==
        pre + "docker, podman, runc and crun, with or without no-new-privileges.");
  CHECK(comment({"--flags", "podman", "--runtime", "all"}) ==
        pre + "docker, podman, runc and crun, with or without no-new-privileges.");
  CHECK(comment({"--runtime", "crun", "--nnp-only"})
            .rfind(pre + "crun, ONLY with no-new-privileges", 0) == 0);
  // The podman baseline really is in the file --flags podman wrote: podman+crun's setresgid.
  (void)comment({"--flags", "podman"});
  CHECK(read_text(t / "s.json").find("\"setresgid\"") != std::string::npos);
}

TEST_CASE("generate cli: --nnp-only is refused where no-new-privileges cannot be used",
          "[generate]") {
  TempDir t;
  std::ofstream(t / "setuid.json") << R"({"tailor": 1, "process": {"executables": {
      "/usr/bin/sudo": {"count": 1, "setuid": true, "setgid": false, "file_caps": false}}}})";
  std::ofstream(t / "sysadmin.json") << R"({"tailor": 1, "capabilities": {"CAP_SYS_ADMIN":
      {"count": 1, "reasons": [{"syscall": "mount", "detail": "tmpfs /mnt"}]}}})";
  const std::size_t before = count_files(t.path());
  auto r =
      run({tailor_bin(), "generate", t / "setuid.json", "--seccomp", t / "s.json", "--nnp-only"});
  CHECK(r.status == 2);
  CHECK(r.err.find("--nnp-only: the workload ran programs that gain privileges on execve "
                   "(/usr/bin/sudo)") != std::string::npos);
  r = run({tailor_bin(), "generate", t / "sysadmin.json", "--seccomp", t / "s.json", "--flags",
           "k8s", "--nnp-only"});
  CHECK(r.status == 2);
  CHECK(r.err.find("allowPrivilegeEscalation") != std::string::npos);
  CHECK(count_files(t.path()) == before);
  // Docker and podman take SYS_ADMIN with no-new-privileges: allowed there, and printed.
  r = run({tailor_bin(), "generate", t / "sysadmin.json", "--seccomp", t / "s.json", "--flags",
           "podman", "--nnp-only"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out.find("  --security-opt no-new-privileges \\\n") != std::string::npos);
  CHECK(r.out.find("It is the nnp-only variant") != std::string::npos);
}

TEST_CASE(
    "generate cli: the printed command names the seccomp file by absolute path, and no "
    "file that was not written",
    "[generate]") {
  TempDir t;
  std::ofstream(t / "ok.json") << R"({"tailor": 1})";
  auto r = run({"bash", "-c",
                "cd \"$1\" && exec \"$2\" generate -q ok.json --seccomp ./s.json "
                "--flags podman",
                "bash", t.path(), tailor_bin()});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("  --security-opt seccomp=" + (t / "s.json") + " \\\n") != std::string::npos);
  r = run({tailor_bin(), "generate", t / "ok.json", "--flags", "podman"});
  CHECK(r.status == 0);
  CHECK(r.out.find("  --security-opt seccomp=") == std::string::npos);
  CHECK(r.out.find("# no --security-opt seccomp=: no profile was written") != std::string::npos);
}

TEST_CASE("generate cli: flags on stdout end with a newline before anything on stderr",
          "[generate]") {
  TempDir t;
  fs::create_directories(t / "w");
  // stdout and stderr on one pipe, as on a terminal: the summary comes first, on its own line,
  // and the command ends with its newline.
  auto r =
      run({"bash", "-c", "exec \"$@\" 2>&1", "bash", tailor_bin(), "record", "-o", t / "p.json",
           "--flags", "podman", "--image", "localhost/app", "--", sample("fileio"), t / "w"});
  INFO(r.out);
  REQUIRE(r.status == 0);
  CHECK(r.out.rfind("tailor: ", 0) == 0);
  CHECK(r.out.size() > 16);
  CHECK(r.out.substr(r.out.size() - 16) == "  localhost/app\n");
}

TEST_CASE("generate cli: the image, command and runtime come from the container recorded in",
          "[generate]") {
  TempDir t;
  std::ofstream(t / "docker.json") << R"({"tailor": 1, "containers": [
      {"engine": "docker", "image": "alpine:3", "command": ["sh", "-c", "echo hi"]}]})";
  std::ofstream(t / "podman.json") << R"({"tailor": 1, "containers": [
      {"engine": "podman", "image": "localhost/app", "command": []}]})";
  std::ofstream(t / "nerdctl.json") << R"({"tailor": 1, "containers": [{"engine": "nerdctl"}]})";
  auto gen = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {tailor_bin(), "generate"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = run(argv);
    INFO(r.err);
    REQUIRE(r.status == 0);
    return r;
  };
  auto comment = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), {"-q", "--seccomp", t / "s.json"});
    gen(extra);
    return tailor::seccomp_policy_from_json(read_text(t / "s.json")).comment;
  };
  const std::string pre = "Generated by tailor from a recorded profile, for ";
  const std::string any_nnp = ", with or without no-new-privileges.";
  auto ends_with = [](const std::string& s, const std::string& end) {
    return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
  };

  // The printed command is the one that was recorded, ready to run.
  auto r = gen({t / "docker.json", "--flags", "docker"});
  CHECK(r.err.empty());
  CHECK(ends_with(r.out, "  alpine:3 sh -c 'echo hi'\n"));
  r = gen({t / "podman.json", "--flags", "podman"});
  CHECK(ends_with(r.out, " \\\n  localhost/app\n"));
  r = gen({t / "docker.json", "--flags", "compose"});
  CHECK(r.out.find("    image: \"alpine:3\"") != std::string::npos);
  CHECK(r.out.find("    command: [\"sh\", \"-c\", \"echo hi\"]") != std::string::npos);
  r = gen({t / "docker.json", "--flags", "k8s"});
  CHECK(r.out.find("    args: [\"sh\", \"-c\", \"echo hi\"]") != std::string::npos);
  // --image names another image, whose CMD is its own.
  r = gen({t / "docker.json", "--flags", "docker", "--image", "registry.example/app:2"});
  CHECK(ends_with(r.out, " \\\n  registry.example/app:2\n"));

  // The filter allows what the recorded engine needs, not every engine's: unless --runtime or
  // the printed flags' engine say otherwise.
  CHECK(comment({t / "docker.json"}) == pre + "docker" + any_nnp);
  CHECK(comment({t / "podman.json"}) == pre + "podman with crun or runc" + any_nnp);
  CHECK(comment({t / "docker.json", "--flags", "compose"}) == pre + "docker" + any_nnp);
  CHECK(comment({t / "docker.json", "--flags", "podman"}) ==
        pre + "podman with crun or runc" + any_nnp);
  CHECK(comment({t / "docker.json", "--runtime", "all"}) ==
        pre + "docker, podman, runc and crun" + any_nnp);
  CHECK(comment({t / "podman.json", "--runtime", "crun"}) == pre + "crun" + any_nnp);
  // An engine tailor has measured nothing for: every engine's needs.
  CHECK(comment({t / "nerdctl.json"}) == pre + "docker, podman, runc and crun" + any_nnp);

  // Recordings from two containers: both engines' needs, and no one image to name.
  CHECK(comment({t / "docker.json", t / "podman.json"}) ==
        pre + "docker and podman with crun or runc" + any_nnp);
  r = gen({t / "docker.json", t / "podman.json", "--flags", "docker"});
  CHECK(ends_with(r.out, "  IMAGE\n"));
  CHECK(r.err ==
        "tailor: generate: the profile was recorded in 2 containers (docker alpine:3, podman "
        "localhost/app): the printed flags say IMAGE; name it with --image\n");
  r = gen({t / "docker.json", t / "podman.json", "--flags", "docker", "-q"});
  CHECK(r.err.empty());
  r = gen({t / "docker.json", t / "podman.json", "--flags", "docker", "--image", "app"});
  CHECK(r.err.empty());
  CHECK(ends_with(r.out, "  app\n"));
}
