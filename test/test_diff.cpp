// `tailor diff` and `tailor merge`: the comparison on constructed policies and profiles (table
// driven), the three renderings, and the real binary on real recordings of the samples.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "support.h"
#include "tailor/diff.h"
#include "tailor/emitters.h"
#include "tailor/profile_json.h"
#include "tailor/seccomp.h"

namespace fs = std::filesystem;
using tailor::DiffEntry;
using tailor::DiffResult;
using tailor::FailOn;
using tailor::Profile;
using tailor::SeccompOptions;
using tailor::Surface;
using tailor::test::read_text;
using tailor::test::record;
using tailor::test::run;
using tailor::test::sample;
using tailor::test::tailor_bin;
using tailor::test::TempDir;

namespace {

std::string line(const DiffEntry& e) {
  std::string s = e.kind;
  if (!e.arch.empty()) s += " " + e.arch;
  s += " " + e.subject;
  if (!e.detail.empty()) s += " | " + e.detail;
  return s;
}

// Every entry of the result as "kind arch subject | detail", added and removed apart.
struct Lines {
  std::set<std::string> added, removed;
};
Lines lines(const DiffResult& d) {
  Lines l;
  for (const auto& a : d.axes) {
    for (const auto& e : a.added) l.added.insert(line(e));
    for (const auto& e : a.removed) l.removed.insert(line(e));
  }
  return l;
}

Surface seccomp_side(const std::string& json,
                     const std::optional<std::set<std::string>>& caps = std::nullopt) {
  return tailor::surface_from_seccomp(tailor::seccomp_policy_from_json(json), caps);
}

Surface profile_side(const Profile& p) {
  SeccompOptions o;
  return tailor::surface_from_profile(p, o);
}

const tailor::AxisDiff& axis(const DiffResult& d, const std::string& name) {
  for (const auto& a : d.axes)
    if (a.axis == name) return a;
  FAIL("no axis " << name);
  return d.axes.front();
}

// A profile with the given x86_64 syscalls.
Profile with_calls(std::initializer_list<const char*> calls) {
  Profile p;
  for (const char* c : calls) p.syscalls["x86_64"][c].add("/app");
  return p;
}

}  // namespace

// ---- seccomp policies ---------------------------------------------------------------------------

TEST_CASE("diff: seccomp policies compared per syscall, arch and argument filter", "[diff]") {
  struct Case {
    const char* what;
    const char* old_json;
    const char* new_json;
    std::set<std::string> added, removed;
  };
  // clang-format off
  const Case cases[] = {
    {"same policy",
     R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"}]})",
     R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["write","read"],"action":"SCMP_ACT_ALLOW"}]})",
     {}, {}},
    {"a new syscall is added, a dropped one removed",
     R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"}]})",
     R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","ptrace"],"action":"SCMP_ACT_ALLOW"}]})",
     {"syscall x86_64 ptrace"}, {"syscall x86_64 write"}},
    {"a second architecture allows every listed name there too",
     R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]})",
     R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]})",
     {"syscall x86 read"}, {}},
    {"names are per arch: socketcall exists on x86, not on x86_64",
     R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["x86_64","x86"],"syscalls":[]})",
     R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["x86_64","x86"],"syscalls":[{"names":["socketcall"],"action":"SCMP_ACT_ALLOW"}]})",
     {"syscall x86 socketcall"}, {}},
    {"names libseccomp does not know are skipped, as runtimes skip them",
     R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]})",
     R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","no_such_call"],"action":"SCMP_ACT_ALLOW"}]})",
     {}, {}},
    {"LOG, NOTIFY and TRACE let a call through; ERRNO, KILL and TRAP do not",
     R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]})",
     R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"},
        {"names":["uname"],"action":"SCMP_ACT_LOG"},{"names":["ptrace"],"action":"SCMP_ACT_NOTIFY"},
        {"names":["kill"],"action":"SCMP_ACT_TRACE"},{"names":["mount"],"action":"SCMP_ACT_ERRNO","errnoRet":38},
        {"names":["reboot"],"action":"SCMP_ACT_KILL"},{"names":["swapon"],"action":"SCMP_ACT_TRAP"}]})",
     {"syscall x86_64 uname", "syscall x86_64 ptrace", "syscall x86_64 kill"}, {}},
    {"a new argument alternative is added",
     R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2,"op":"SCMP_CMP_EQ"}]}]})",
     R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2,"op":"SCMP_CMP_EQ"}]},
        {"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":10,"op":"SCMP_CMP_EQ"}]}]})",
     {"filter x86_64 socket | arg0 == 10"}, {}},
    {"unconditional in NEW where OLD had conditions: any arguments added",
     R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2,"op":"SCMP_CMP_EQ"}]}]})",
     R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["socket"],"action":"SCMP_ACT_ALLOW"}]})",
     {"filter x86_64 socket | any arguments"}, {}},
    {"conditions in NEW where OLD allowed any arguments: a removal, not drift",
     R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["socket"],"action":"SCMP_ACT_ALLOW"}]})",
     R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2,"op":"SCMP_CMP_EQ"}]}]})",
     {}, {"filter x86_64 socket | any arguments"}},
    {"a narrower NEW alternative is covered by OLD's broader one",
     R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2114060288,"op":"SCMP_CMP_MASKED_EQ"}]}]})",
     R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2114060288,"op":"SCMP_CMP_MASKED_EQ"},{"index":1,"value":0,"op":"SCMP_CMP_EQ"}]}]})",
     {}, {"filter x86_64 clone | arg0 & 0x7e020000 == 0"}},
    {"the same index twice is an OR (as runc and crun install it)",
     R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"},{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]}]})",
     R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},
        {"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]}]})",
     {}, {}},
    {"a deny list: what its rules stop is what is missing",
     R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ptrace","reboot"],"action":"SCMP_ACT_ERRNO"}]})",
     R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["reboot","kexec_load"],"action":"SCMP_ACT_KILL"}]})",
     {"syscall x86_64 ptrace"}, {"syscall x86_64 kexec_load"}},
    {"a deny list refusing under conditions allows the call unless they hold",
     R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["socket"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":16,"op":"SCMP_CMP_EQ"}]}]})",
     R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]})",
     {"filter x86_64 socket | any arguments"}, {}},
    {"an allow list against a deny list",
     R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]})",
     R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]})",
     {"syscall x86_64 write", "syscall x86_64 ptrace", "syscall x86_64 openat"}, {}},
  };
  // clang-format on
  for (const auto& c : cases) {
    INFO(c.what);
    const DiffResult d = tailor::diff_surfaces(seccomp_side(c.old_json), seccomp_side(c.new_json));
    const Lines l = lines(d);
    if (std::string(c.what) == "an allow list against a deny list") {
      // Hundreds of names: check a few, and that nothing is wrongly called removed.
      for (const auto& a : c.added) CHECK(l.added.count(a));
      CHECK(l.removed.empty());
      CHECK(l.added.size() > 300);
      continue;
    }
    CHECK(l.added == c.added);
    CHECK(l.removed == c.removed);
    CHECK(d.drift(FailOn::kAdded) == !c.added.empty());
    CHECK(d.drift(FailOn::kRemoved) == !c.removed.empty());
    CHECK(d.drift(FailOn::kAny) == (!c.added.empty() || !c.removed.empty()));
  }
}

TEST_CASE("diff: Docker-format conditions resolve with --caps, which is also the caps axis",
          "[diff]") {
  const char* moby = R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
      {"names":["read"],"action":"SCMP_ACT_ALLOW"},
      {"names":["mount"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}},
      {"names":["chroot"],"action":"SCMP_ACT_ALLOW","excludes":{"caps":["CAP_SYS_ADMIN"]}}]})";
  const Surface none = seccomp_side(moby);
  const Surface admin = seccomp_side(moby, std::set<std::string>{"CAP_SYS_ADMIN"});
  CHECK_FALSE(none.capabilities.has_value());
  REQUIRE(admin.capabilities.has_value());
  CHECK(*admin.capabilities == std::set<std::string>{"CAP_SYS_ADMIN"});
  CHECK(none.syscalls.at("x86_64").count("chroot"));
  CHECK_FALSE(none.syscalls.at("x86_64").count("mount"));
  CHECK(admin.syscalls.at("x86_64").count("mount"));
  CHECK_FALSE(admin.syscalls.at("x86_64").count("chroot"));

  // A tailor profile that needs CAP_SYS_ADMIN against the file given the container's caps.
  Profile p = with_calls({"read"});
  p.capabilities["CAP_SYS_ADMIN"].reasons.insert({"mount", "mounting"});
  SeccompOptions o;
  o.runtime = tailor::Runtime::kNone;
  const Surface tailor_side = tailor::surface_from_profile(p, o);
  CHECK_FALSE(axis(tailor::diff_surfaces(none, tailor_side), "capabilities").compared);
  const auto with_caps =
      tailor::diff_surfaces(seccomp_side(moby, std::set<std::string>{}), tailor_side);
  CHECK(lines(with_caps).added.count("capability CAP_SYS_ADMIN"));
  CHECK(lines(tailor::diff_surfaces(admin, tailor_side)).added.count("capability CAP_SYS_ADMIN") ==
        0);
}

// ---- tailor profiles
// ------------------------------------------------------------------------------

TEST_CASE("diff: tailor profiles compared on every axis", "[diff]") {
  Profile base = with_calls({"read", "write", "openat", "close", "socket", "bind", "listen"});
  base.sockets[{"inet", "stream", 0}].add("/app");
  base.endpoints[{"listen", "inet", "0.0.0.0", 8080}].add("/app");
  base.endpoints[{"connect", "inet", "10.0.0.5", 5432}].add("/app");
  for (const char* f : {"/etc/app.conf", "/etc/hosts"}) {
    auto& u = base.files[f];
    u.access = {"read"};
    u.succeeded = true;
  }
  // Nine zoneinfo files: the AppArmor emitter collapses them into /usr/share/zoneinfo/*.
  for (int i = 0; i < 9; ++i) {
    auto& u = base.files["/usr/share/zoneinfo/zone" + std::to_string(i)];
    u.access = {"read"};
    u.succeeded = true;
  }
  auto& tmp = base.files["/tmp/tmpAb3dE9xQ"];
  tmp.access = {"write", "create"};
  tmp.succeeded = true;
  auto& maps = base.files["/proc/4242/maps"];
  maps.access = {"read"};
  maps.succeeded = true;
  base.process.uids[1000].add("/app");

  SECTION("a rerun with other temp names, pids, peers and one more zone file: no drift") {
    Profile again = base;
    again.files.erase("/tmp/tmpAb3dE9xQ");
    again.files.erase("/proc/4242/maps");
    auto& t2 = again.files["/tmp/tmpZq81LmW0"];
    t2.access = {"write", "create"};
    t2.succeeded = true;
    auto& m2 = again.files["/proc/self/maps"];
    m2.access = {"read"};
    m2.succeeded = true;
    auto& z = again.files["/usr/share/zoneinfo/zone9"];
    z.access = {"read"};
    z.succeeded = true;
    again.endpoints.erase({"connect", "inet", "10.0.0.5", 5432});
    again.endpoints[{"connect", "inet", "10.0.0.6", 5432}].add("/app");
    const DiffResult d = tailor::diff_surfaces(profile_side(base), profile_side(again));
    const Lines l = lines(d);
    CHECK(l.added == std::set<std::string>{"peer connect inet 10.0.0.6 5432"});
    CHECK(l.removed == std::set<std::string>{"peer connect inet 10.0.0.5 5432"});
    CHECK_FALSE(d.drift(FailOn::kAny));  // peers are reported, never drift
    CHECK(d.added() == 0);
    CHECK(d.skipped_note.empty());
  }

  SECTION("every axis reports what NEW needs more") {
    Profile more = base;
    more.syscalls["x86_64"]["ptrace"].add("/app");
    more.capabilities["CAP_NET_ADMIN"].reasons.insert({"setsockopt", "SO_MARK"});
    more.files["/etc/hosts"].access.insert("write");  // same file, more permission
    auto& shadow = more.files["/etc/shadow"];
    shadow.access = {"read"};
    shadow.succeeded = true;
    more.sockets[{"inet6", "dgram", 0}].add("/app");
    more.endpoints[{"bind", "inet", "0.0.0.0", 9090}].add("/app");
    more.process.executables["/usr/bin/ping"].setuid = true;
    auto& data = more.files["/srv/data/db"];
    data.access = {"write", "create"};
    data.succeeded = true;
    const DiffResult d = tailor::diff_surfaces(profile_side(base), profile_side(more));
    const Lines l = lines(d);
    for (const char* want :
         {"syscall x86_64 ptrace", "capability CAP_NET_ADMIN", "file /etc/hosts | rw",
          "file /etc/shadow | r", "file /srv/data/db | w", "file /usr/bin/ping | ix",
          "socket inet6 dgram", "endpoint bind inet 0.0.0.0 9090"}) {
      INFO(want);
      CHECK(l.added.count(want));
    }
    // Flags: the setuid program turns no-new-privileges off; the new socket family needs a
    // network; a data directory needs a volume.
    const auto& flags = axis(d, "flags");
    std::set<std::string> flag_names;
    for (const auto& e : flags.added) flag_names.insert(e.subject);
    CHECK(flag_names.count("no-new-privileges off"));
    CHECK(flag_names.count("network inet6"));
    CHECK(flag_names.count("volume /srv/data"));
    // The runtime's calls without no-new-privileges (capset, setuid, ...) are in the filter
    // either way (generate's default works with and without it): no syscall drift from that.
    CHECK_FALSE(l.added.count("syscall x86_64 capset"));
    CHECK(l.removed.empty());
    CHECK(d.drift(FailOn::kAdded));
    CHECK_FALSE(d.drift(FailOn::kRemoved));
    CHECK(d.drift(FailOn::kAny));

    // The other way round every one of them is a removal, and nothing is added.
    const DiffResult back = tailor::diff_surfaces(profile_side(more), profile_side(base));
    CHECK(back.added() == 0);
    CHECK(back.removed() == d.added());
    CHECK(back.drift(FailOn::kRemoved));
    CHECK_FALSE(back.drift(FailOn::kAdded));
  }

  SECTION("another container is reported with the flags, never drift") {
    Profile in_docker = base;
    in_docker.containers.insert({"docker", "app:1", {"sh", "-c", "make test"}});
    Profile in_podman = base;
    in_podman.containers.insert({"podman", "app:2", {}});
    const DiffResult d = tailor::diff_surfaces(profile_side(in_docker), profile_side(in_podman));
    const Lines l = lines(d);
    CHECK(l.added == std::set<std::string>{"container podman app:2"});
    CHECK(l.removed == std::set<std::string>{"container docker app:1 sh -c 'make test'"});
    CHECK_FALSE(d.drift(FailOn::kAny));
    const std::string text = tailor::render_diff_text(d, {});
    CHECK(text.find("+ container podman app:2 [reported, not drift]\n") != std::string::npos);
    // A profile recorded outside any container against one recorded in one: the same.
    CHECK_FALSE(
        tailor::diff_surfaces(profile_side(base), profile_side(in_docker)).drift(FailOn::kAny));
  }

  SECTION("a file outside the collapsed directory is not covered by its glob") {
    Profile other = base;
    auto& u = other.files["/usr/share/zoneinfo/posix/UTC"];
    u.access = {"read"};
    u.succeeded = true;
    CHECK(lines(tailor::diff_surfaces(profile_side(base), profile_side(other))).added ==
          std::set<std::string>{"file /usr/share/zoneinfo/posix/UTC | r"});
  }

  SECTION("against a seccomp file the other axes are skipped, said once") {
    const std::string json = tailor::emit_seccomp_docker(base, SeccompOptions{});
    const DiffResult d = tailor::diff_surfaces(seccomp_side(json), profile_side(base));
    CHECK(d.added() == 0);
    CHECK(d.removed() == 0);
    for (const char* a : {"capabilities", "files", "network", "flags"})
      CHECK_FALSE(axis(d, a).compared);
    CHECK(d.skipped_note.find("OLD is a seccomp profile") != std::string::npos);
  }
}

TEST_CASE("diff: unix socket paths in temp dirs and ports line up across runs", "[diff]") {
  Profile a = with_calls({"socket", "bind"});
  a.endpoints[{"bind", "unix", "/tmp/tailor-test-Ab12Cd/sock", 0}].add("/app");
  Profile b = with_calls({"socket", "bind"});
  b.endpoints[{"bind", "unix", "/tmp/tailor-test-Zz98Yx/sock", 0}].add("/app");
  CHECK(tailor::diff_surfaces(profile_side(a), profile_side(b)).added() == 0);
  Profile c = with_calls({"socket", "bind"});
  c.endpoints[{"bind", "unix", "/run/app.sock", 0}].add("/app");
  CHECK(lines(tailor::diff_surfaces(profile_side(a), profile_side(c)))
            .added.count("endpoint bind unix /run/app.sock"));
}

TEST_CASE("diff: AppArmor file rules and pattern matching used for the files axis", "[diff]") {
  using tailor::apparmor_pattern_matches;
  CHECK(apparmor_pattern_matches("@{PROC}/@{pid}/maps", "/proc/1/maps"));
  CHECK(apparmor_pattern_matches("/usr/share/zoneinfo/*", "/usr/share/zoneinfo/UTC"));
  CHECK_FALSE(apparmor_pattern_matches("/usr/share/zoneinfo/*", "/usr/share/zoneinfo/posix/UTC"));
  CHECK(apparmor_pattern_matches("/usr/lib/python3/**", "/usr/lib/python3/a/b.py"));
  CHECK_FALSE(apparmor_pattern_matches("/etc/hosts", "/etc/hostname"));
  CHECK(apparmor_pattern_matches("/tmp/x/\\@odd", "/tmp/x/@odd"));

  Profile p;
  auto& f = p.files["/proc/self/status"];
  f.access = {"read"};
  f.succeeded = true;
  auto& d = p.files["/var/lib/app"];
  d.access = {"mkdir"};
  d.succeeded = true;
  const auto rules = tailor::apparmor_file_rules(p);
  REQUIRE(rules.size() == 2);
  CHECK(rules[0].pattern == "/var/lib/app/");
  CHECK(rules[0].paths == std::vector<std::string>{"/var/lib/app/"});
  CHECK(rules[0].perms == "w");
  CHECK(rules[1].pattern == "@{PROC}/@{pid}/status");
  CHECK(rules[1].owner);
  CHECK(rules[1].paths == std::vector<std::string>{"/proc/1/status"});
}

TEST_CASE("diff: renderings (text with and without colour, JSON, Markdown)", "[diff]") {
  Profile a = with_calls({"read", "socket"});
  a.sockets[{"inet", "stream", 0}].add("/app");
  Profile b = with_calls({"read", "socket", "ptrace"});
  b.sockets[{"inet", "stream", 0}].add("/app");
  b.sockets[{"inet6", "stream", 0}].add("/app");
  DiffResult d = tailor::diff_surfaces(profile_side(a), profile_side(b));
  d.old_name = "old.json";
  d.new_name = "new|.json";
  tailor::DiffRenderOptions o;

  const std::string text = tailor::render_diff_text(d, o);
  CHECK(text.find("+ syscall x86_64 ptrace\n") != std::string::npos);
  CHECK(text.find("+ filter x86_64 socket arg0 == 10\n") != std::string::npos);
  CHECK(text.find("+ socket inet6 stream\n") != std::string::npos);
  CHECK(text.find("capabilities: no change\n") != std::string::npos);
  CHECK(text.find("\033[") == std::string::npos);
  CHECK(text.substr(text.rfind('\n', text.size() - 2) + 1).rfind("drift: ", 0) == 0);
  o.color = true;
  const std::string colored = tailor::render_diff_text(d, o);
  CHECK(colored.find("\033[32m+ syscall x86_64 ptrace\033[0m") != std::string::npos);

  o.color = false;
  const auto j = nlohmann::json::parse(tailor::render_diff_json(d, o));
  CHECK(j["drift"] == true);
  CHECK(j["fail_on"] == "added");
  CHECK(j["added"] == d.added());
  CHECK(j["old"]["file"] == "old.json");
  bool found = false;
  for (const auto& e : j["axes"]["syscalls"]["added"])
    found |= e["name"] == "ptrace" && e["arch"] == "x86_64";
  CHECK(found);
  CHECK(j["not_compared"].empty());

  o.fail_on = FailOn::kRemoved;
  const std::string md = tailor::render_diff_markdown(d, o);
  CHECK(md.rfind("## tailor diff: no drift\n", 0) == 0);  // nothing removed
  CHECK(md.find("| + | syscall | x86_64 | `ptrace` |") != std::string::npos);
  CHECK(md.find("`new\\|.json`") != std::string::npos);  // a pipe cannot break the table
}

// ---- the CLI on real recordings
// -------------------------------------------------------------------

namespace {

// Records `name` with a fresh work dir; returns the profile path.
std::string record_sample(const TempDir& t, const std::string& name) {
  const std::string work = t / (name + "-work");
  fs::create_directories(work);
  const std::string out = t / (name + ".json");
  auto r = record({sample(name), work}, out);
  INFO(name << ": " << r.run.err);
  REQUIRE(r.run.status == 0);
  return out;
}

}  // namespace

TEST_CASE("diff cli: real recordings, drift and no drift, every format", "[diff]") {
  TempDir t;
  const std::string fileio = record_sample(t, "fileio");
  const std::string stat = record_sample(t, "static");
  const Profile pf = tailor::load_profile(fileio);
  const Profile ps = tailor::load_profile(stat);

  // Same profile both sides: nothing, exit 0.
  auto same = run({tailor_bin(), "diff", fileio, fileio});
  INFO(same.out << same.err);
  CHECK(same.status == 0);
  CHECK(same.out.find("no drift: 0 added, 0 removed") != std::string::npos);

  // static's syscalls that fileio's filter does not allow must be named, one line each.
  const auto allowed =
      tailor::seccomp_allowed_syscalls(tailor::seccomp_policy_for(pf, SeccompOptions{}), {});
  std::vector<std::string> expected;
  for (const auto& [name, ev] : ps.syscalls.at("x86_64"))
    if (!allowed.at("x86_64").count(name)) expected.push_back(name);
  REQUIRE_FALSE(expected.empty());
  auto drift = run({tailor_bin(), "diff", fileio, stat});
  INFO(drift.out << drift.err);
  CHECK(drift.status == 1);
  for (const auto& name : expected)
    CHECK(drift.out.find("+ syscall x86_64 " + name + "\n") != std::string::npos);
  CHECK(drift.out.find("\033[") == std::string::npos);  // not a terminal: no colour

  // --fail-on: removals alone do not fail by default, do with removed/any.
  auto rev = run({tailor_bin(), "diff", stat, fileio, "--fail-on", "removed"});
  CHECK(rev.status == 1);
  auto forced =
      run({tailor_bin(), "diff", fileio, fileio, "--color", "always", "--fail-on", "any"});
  CHECK(forced.status == 0);

  // JSON parses and names the same syscalls; -o writes the file and nothing to stdout.
  auto json = run({tailor_bin(), "diff", fileio, stat, "--format", "json", "-o", t / "d.json"});
  CHECK(json.status == 1);
  CHECK(json.out.empty());
  const auto j = nlohmann::json::parse(read_text(t / "d.json"));
  CHECK(j["drift"] == true);
  std::set<std::string> names;
  for (const auto& e : j["axes"]["syscalls"]["added"]) names.insert(e["name"].get<std::string>());
  for (const auto& name : expected) CHECK(names.count(name));

  auto md = run({tailor_bin(), "diff", fileio, stat, "--format", "markdown"});
  CHECK(md.status == 1);
  CHECK(md.out.rfind("## tailor diff: drift", 0) == 0);
  CHECK(md.out.find("`" + expected.front() + "`") != std::string::npos);

  auto colour = run({tailor_bin(), "diff", fileio, stat, "--color", "always"});
  CHECK(colour.out.find("\033[32m+ syscall") != std::string::npos);
}

TEST_CASE("diff cli: a generated seccomp profile lines up with its tailor profile", "[diff]") {
  TempDir t;
  const std::string fileio = record_sample(t, "fileio");
  for (const char* runtime : {"docker", "crun"}) {
    INFO(runtime);
    const std::string s = t / (std::string(runtime) + "-seccomp.json");
    REQUIRE(run({tailor_bin(), "generate", fileio, "--seccomp", s, "--runtime", runtime}).status ==
            0);
    for (auto args : {std::vector<std::string>{s, fileio}, std::vector<std::string>{fileio, s}}) {
      std::vector<std::string> cmd = {tailor_bin(), "diff",      "--fail-on",
                                      "any",        "--runtime", runtime};
      cmd.insert(cmd.end(), args.begin(), args.end());
      auto r = run(cmd);
      INFO(r.out << r.err);
      CHECK(r.status == 0);
      CHECK(r.out.find("not compared: capabilities, files, network, flags") != std::string::npos);
    }
  }
  // With another runtime's baseline the same pair differs (and says what).
  auto r = run({tailor_bin(), "diff", "--fail-on", "any", t / "crun-seccomp.json", fileio});
  CHECK(r.status == 1);
}

TEST_CASE("diff cli: broken and foreign input is one line and exit 2", "[diff]") {
  TempDir t;
  const std::string fileio = record_sample(t, "fileio");
  std::ofstream(t / "foreign.json") << R"({"apiVersion": "v1", "kind": "Pod"})";
  std::ofstream(t / "broken.json") << R"({"tailor": 1, "syscalls": [)";
  std::ofstream(t / "badprofile.json") << R"({"tailor": 1, "syscalls": 7})";
  std::ofstream(t / "badseccomp.json") << R"({"defaultAction": "SCMP_ACT_MAYBE"})";
  for (const char* f :
       {"foreign.json", "broken.json", "badprofile.json", "badseccomp.json", "missing.json"}) {
    for (bool as_new : {false, true}) {
      auto r = as_new ? run({tailor_bin(), "diff", fileio, t / f})
                      : run({tailor_bin(), "diff", t / f, fileio});
      INFO(f << ": " << r.err);
      CHECK(r.status == 2);
      CHECK(r.out.empty());
      CHECK(r.err.rfind("tailor: ", 0) == 0);
      CHECK(r.err.find('\n') == r.err.size() - 1);
      CHECK(r.err.find(t / f) != std::string::npos);
    }
  }
  CHECK(run({tailor_bin(), "diff", fileio}).status == 2);
  CHECK(run({tailor_bin(), "diff", fileio, fileio, "--format", "yaml"}).status == 2);
  CHECK(run({tailor_bin(), "diff", fileio, fileio, "--caps", "CAP_NOPE"}).status == 2);
}

TEST_CASE("merge cli: union of recordings with the evidence of both", "[diff]") {
  TempDir t;
  const std::string fileio = record_sample(t, "fileio");
  const std::string stat = record_sample(t, "static");
  const Profile a = tailor::load_profile(fileio);
  const Profile b = tailor::load_profile(stat);

  auto r = run({tailor_bin(), "merge", fileio, stat, "-o", t / "merged.json"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const Profile m = tailor::load_profile(t / "merged.json");
  CHECK(m.commands.size() == 2);
  for (const Profile* p : {&a, &b}) {
    for (const auto& [name, ev] : p->syscalls.at("x86_64"))
      CHECK(m.syscalls.at("x86_64").count(name));
    for (const auto& [path, use] : p->files) CHECK(m.files.count(path));
  }
  // Evidence adds up: a call both made counts both runs.
  const auto& w = m.syscalls.at("x86_64").at("write");
  CHECK(w.count() ==
        a.syscalls.at("x86_64").at("write").count() + b.syscalls.at("x86_64").at("write").count());
  CHECK(w.by.size() == 2);  // by both executables
  CHECK(m == tailor::merge(a, b));

  // The merged profile allows both: neither recording drifts against it.
  CHECK(run({tailor_bin(), "diff", t / "merged.json", fileio}).status == 0);
  CHECK(run({tailor_bin(), "diff", t / "merged.json", stat}).status == 0);

  // stdout by default; a seccomp input is refused, and nothing is written.
  auto out = run({tailor_bin(), "merge", fileio});
  CHECK(out.status == 0);
  CHECK(tailor::profile_from_json(out.out) == a);
  REQUIRE(run({tailor_bin(), "generate", fileio, "--seccomp", t / "s.json"}).status == 0);
  auto bad = run({tailor_bin(), "merge", fileio, t / "s.json", "-o", t / "m2.json"});
  CHECK(bad.status == 2);
  CHECK(bad.err.find("merge takes tailor profiles") != std::string::npos);
  CHECK_FALSE(fs::exists(t / "m2.json"));
}
