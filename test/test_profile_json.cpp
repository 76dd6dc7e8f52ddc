// The tailor profile format and the core helpers it rests on. These tests need no tracer: they
// pin down the JSON layout that README documents and that every later command reads, the merge
// semantics `record --append` relies on, and the rule that any bad input is one tailor::Error
// (exit 2), never a crash or a stray library exception.
#include <fcntl.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "support.h"
#include "tailor/capabilities.h"
#include "tailor/error.h"
#include "tailor/profile.h"
#include "tailor/profile_json.h"
#include "tailor/syscalls.h"

namespace {

using tailor::Profile;

// Every field of the model set to something other than its default, so that a field the writer
// forgets or the reader drops makes the round trip unequal.
Profile full_profile() {
  Profile p;
  p.commands.insert({"/bin/sh", "-c", "echo hi | cat"});
  p.commands.insert({"sqlite3", ":memory:"});
  p.containers.insert({"docker", "alpine:3", {"sh", "-c", "echo hi | cat"}});
  p.containers.insert({"runc", "", {}});
  p.syscalls["x86_64"]["read"].add("/bin/sh", 7);
  p.syscalls["x86_64"]["read"].add("/usr/bin/cat", 2);
  p.syscalls["x86_64"]["execve"].add("/bin/sh");
  p.syscalls["x86"]["read"].add("/tmp/m32", 5);
  p.syscalls["x32"]["getpid"].add("/tmp/x32");
  // Static evidence: a syscall only analysis found, and one both saw.
  p.syscalls["x86_64"]["fsync"].sites.insert({"/usr/lib/libc.so.6", "fsync", 0x11ba0});
  p.syscalls["x86_64"]["read"].sites.insert({"/usr/lib/libc.so.6", "sub_11a00", 0x11a09});
  p.analysis.objects["/usr/lib/libc.so.6"] = {"x86_64", "ab12", 526, 12, {"libidn2.so.0"}};
  p.analysis.missing["libgone.so.1"] = {"/usr/bin/app"};

  auto& libc = p.files["/lib/x86_64-linux-gnu/libc.so.6"];
  libc.access = {"read", "map-exec"};
  libc.succeeded = true;
  libc.types = {"file"};
  libc.ev.add("/bin/sh", 2);
  auto& perf = p.files["/tmp/hsperfdata_root/4711"];
  perf.access = {"create", "mktemp", "read", "write"};
  perf.succeeded = true;
  perf.types = {"file", "dir"};  // a name used as both (it happens with reused temp names)
  perf.pids = {4711, 4294967295u};
  perf.ev.add("/usr/bin/java");
  auto& probe = p.files["/usr/lib/missing.so"];
  probe.access = {"read"};
  probe.errors = {"ENOENT", "EACCES"};
  probe.succeeded = false;
  probe.ev.add("/bin/sh");
  // Paths are arbitrary bytes apart from NUL and must survive JSON escaping.
  auto& odd = p.files["/tmp/with \"quotes\"\\ and\nnewline \u00e9"];
  odd.access = {"create", "write"};
  odd.succeeded = true;
  odd.ev.add("/bin/sh");

  p.sockets[{"inet", "stream", 0}].add("/usr/sbin/server", 2);
  p.sockets[{"netlink", "raw", 9}].add("/usr/sbin/server");
  p.endpoints[{"bind", "inet", "127.0.0.1", 8080}].add("/usr/sbin/server");
  p.endpoints[{"connect", "unix", "@abstract", 0}].add("/usr/sbin/server");
  p.endpoints[{"listen", "inet6", "::1", 443}].add("/usr/sbin/server");

  auto& pf = p.process;
  pf.namespaces["CLONE_NEWNS"].add("/usr/bin/unshare");
  auto& passwd = pf.executables["/usr/bin/passwd"];
  passwd.setuid = true;
  passwd.setgid = true;
  passwd.file_caps = true;
  passwd.ev.add("/bin/sh");
  pf.executables["/bin/sh"].ev.add("", 1);
  pf.uids[0].add("/bin/sh");
  pf.uids[4294967295u].add("/usr/bin/setpriv");
  pf.gids[65534].add("/usr/bin/setpriv", 2);
  pf.ioctls[0x5401].add("/bin/sh", 3);
  pf.ioctls[0xffffffffffffffffull].add("/bin/sh");
  pf.prctl["PR_SET_NAME"].add("/usr/bin/python3");
  pf.personality[0xffffffff].add("/bin/sh");
  pf.exec_mappings["[anon]"].add("/usr/bin/python3");
  pf.exec_mappings["/lib/x86_64-linux-gnu/libc.so.6"].add("/bin/sh");

  auto& bind = p.capabilities["CAP_NET_BIND_SERVICE"];
  bind.reasons.insert({"bind", "inet 0.0.0.0:80"});
  bind.ev.add("/usr/sbin/server");
  auto& chown = p.capabilities["CAP_CHOWN"];
  chown.reasons.insert({"fchownat", "/srv/data uid 0 -> 1000"});
  chown.reasons.insert({"chown", "/srv/log uid 0 -> 1000"});
  chown.ev.add("/usr/bin/install", 2);
  auto& hint = p.capability_hints["CAP_DAC_OVERRIDE"];
  hint.reasons.insert({"openat", "/etc/shadow"});
  hint.ev.add("/usr/bin/cat");

  p.resources = {3, 5, 4096, 12, 0.125};
  return p;
}

// Every object's keys in strictly ascending order, at every depth (ordered_json keeps the order
// of the text it parsed).
void require_sorted_keys(const nlohmann::ordered_json& j, const std::string& where) {
  if (j.is_object()) {
    std::string prev;
    bool first = true;
    for (const auto& [k, v] : j.items()) {
      INFO("object " << where);
      if (!first) CHECK(prev < k);
      prev = k;
      first = false;
      require_sorted_keys(v, where + "." + k);
    }
  } else if (j.is_array()) {
    for (const auto& v : j) require_sorted_keys(v, where + "[]");
  }
}

// Expects text to be rejected with a tailor::Error meant for the user: exit code 2 and a
// one-line message. Any other exception type fails the CHECK.
void check_rejected(const std::string& text) {
  INFO("input: " << text);
  try {
    tailor::profile_from_json(text);
    FAIL_CHECK("accepted");
  } catch (const tailor::Error& e) {
    CHECK(e.code() == tailor::kExitUsage);
    const std::string msg = e.what();
    CHECK(!msg.empty());
    CHECK(msg.find('\n') == std::string::npos);
  } catch (const std::exception& e) {
    // A library exception escaping would reach the CLI as something other than a clean
    // `tailor: ...` line with exit 2.
    FAIL_CHECK("not a tailor::Error: " << e.what());
  }
}

}  // namespace

TEST_CASE("json: a fully populated profile round-trips exactly") {
  const Profile p = full_profile();
  const std::string text = tailor::to_json(p);
  const Profile back = tailor::profile_from_json(text);
  CHECK(back == p);
  // Byte-identical on every write, and a fixed point: what tailor reads back it writes the same.
  CHECK(tailor::to_json(p) == text);
  CHECK(tailor::to_json(back) == text);
  CHECK(text.back() == '\n');
}

TEST_CASE("json: object keys and set-valued arrays are sorted") {
  const std::string text = tailor::to_json(full_profile());
  const auto j = nlohmann::ordered_json::parse(text);
  require_sorted_keys(j, "");
  const auto& files = j.at("files");
  for (const auto& [path, f] : files.items()) {
    auto access = f.at("access").get<std::vector<std::string>>();
    CHECK(std::is_sorted(access.begin(), access.end()));
  }
  auto commands = j.at("commands").get<std::vector<std::vector<std::string>>>();
  CHECK(std::is_sorted(commands.begin(), commands.end()));
}

TEST_CASE("json: layout matches the documented format") {
  // README "Profile format" describes exactly these paths; other commands and users' scripts
  // read them, so a change here is a format change (bump kFormatVersion).
  const auto j = nlohmann::json::parse(tailor::to_json(full_profile()));
  CHECK(j.at("tailor") == 1);
  CHECK(j.at("commands").size() == 2);
  CHECK(j.at("commands")[0] == nlohmann::json({"/bin/sh", "-c", "echo hi | cat"}));

  const auto& read = j.at("syscalls").at("x86_64").at("read");
  CHECK(read.at("count") == 9);
  CHECK(read.at("by").at("/bin/sh") == 7);
  CHECK(read.at("by").at("/usr/bin/cat") == 2);
  CHECK(j.at("syscalls").at("x86").at("read").at("count") == 5);
  CHECK(j.at("syscalls").at("x32").contains("getpid"));

  const auto& probe = j.at("files").at("/usr/lib/missing.so");
  CHECK(probe.at("access") == nlohmann::json({"read"}));
  CHECK(probe.at("errors") == nlohmann::json({"EACCES", "ENOENT"}));
  CHECK(probe.at("succeeded") == false);
  CHECK(probe.at("count") == 1);
  // "errors" is left out when nothing failed, so ordinary files stay one short object; so are
  // "types" when nothing told what the path is and "pids" when no part of it was a pid.
  CHECK_FALSE(j.at("files").at("/lib/x86_64-linux-gnu/libc.so.6").contains("errors"));
  CHECK(j.at("files").at("/lib/x86_64-linux-gnu/libc.so.6").at("types") ==
        nlohmann::json({"file"}));
  CHECK_FALSE(j.at("files").at("/lib/x86_64-linux-gnu/libc.so.6").contains("pids"));
  CHECK_FALSE(probe.contains("types"));
  const auto& perf = j.at("files").at("/tmp/hsperfdata_root/4711");
  CHECK(perf.at("types") == nlohmann::json({"dir", "file"}));
  CHECK(perf.at("pids") == nlohmann::json({4711, 4294967295u}));
  CHECK(perf.at("access") == nlohmann::json({"create", "mktemp", "read", "write"}));

  const auto& sockets = j.at("network").at("sockets");
  REQUIRE(sockets.size() == 2);
  CHECK(sockets[0].at("family") == "inet");
  CHECK(sockets[0].at("type") == "stream");
  CHECK(sockets[0].at("protocol") == 0);
  CHECK(sockets[0].at("count") == 2);
  CHECK(sockets[1].at("protocol") == 9);
  const auto& endpoints = j.at("network").at("endpoints");
  REQUIRE(endpoints.size() == 3);
  CHECK(endpoints[0].at("op") == "bind");
  CHECK(endpoints[0].at("address") == "127.0.0.1");
  CHECK(endpoints[0].at("port") == 8080);

  const auto& proc = j.at("process");
  CHECK(proc.at("namespaces").at("CLONE_NEWNS").at("count") == 1);
  CHECK(proc.at("executables").at("/usr/bin/passwd").at("setuid") == true);
  CHECK(proc.at("executables").at("/usr/bin/passwd").at("file_caps") == true);
  CHECK(proc.at("executables").at("/bin/sh").at("setuid") == false);
  CHECK(proc.at("uids").contains("0"));
  CHECK(proc.at("uids").contains("4294967295"));
  CHECK(proc.at("gids").at("65534").at("count") == 2);
  // ioctl requests and personality values are bit patterns: written in hex.
  CHECK(proc.at("ioctls").at("0x5401").at("count") == 3);
  CHECK(proc.at("ioctls").contains("0xffffffffffffffff"));
  CHECK(proc.at("personality").contains("0xffffffff"));
  CHECK(proc.at("prctl").contains("PR_SET_NAME"));
  CHECK(proc.at("exec_mappings").contains("[anon]"));

  const auto& chown = j.at("capabilities").at("CAP_CHOWN");
  CHECK(chown.at("count") == 2);
  REQUIRE(chown.at("reasons").size() == 2);
  CHECK(chown.at("reasons")[0].at("syscall") == "chown");
  CHECK(chown.at("reasons")[0].at("detail") == "/srv/log uid 0 -> 1000");
  CHECK(j.at("capability_hints").at("CAP_DAC_OVERRIDE").at("reasons")[0].at("syscall") == "openat");

  const auto& r = j.at("resources");
  CHECK(r.at("peak_processes") == 3);
  CHECK(r.at("peak_threads") == 5);
  CHECK(r.at("peak_rss_kb") == 4096);
  CHECK(r.at("peak_fds") == 12);
  CHECK(r.at("wall_seconds") == 0.125);
}

TEST_CASE("json: an empty profile has every section and reads back empty") {
  const std::string text = tailor::to_json(Profile{});
  const auto j = nlohmann::json::parse(text);
  for (const char* key : {"tailor", "commands", "syscalls", "files", "network", "process",
                          "capabilities", "capability_hints", "resources"}) {
    INFO(key);
    CHECK(j.contains(key));
  }
  CHECK(tailor::profile_from_json(text) == Profile{});
  // Recorded outside a container: no "containers" key, as before it existed.
  CHECK_FALSE(j.contains("containers"));
  // Sections are optional on input, so a hand-written profile may be tiny.
  CHECK(tailor::profile_from_json(R"({"tailor": 1})") == Profile{});
}

TEST_CASE("json: hand-written shorthands are accepted") {
  // A count without "by" (someone editing a profile by hand) keeps the count, attributed to "".
  Profile p = tailor::profile_from_json(
      R"({"tailor": 1, "syscalls": {"x86_64": {"read": {"count": 3}, "write": {}}},
          "files": {"/etc/passwd": {"access": ["read"]}},
          "process": {"ioctls": {"21505": {}}, "uids": {"0x10": {}}},
          "resources": {"wall_seconds": 2}})");
  CHECK(p.syscalls.at("x86_64").at("read").count() == 3);
  CHECK(p.syscalls.at("x86_64").at("write").count() == 0);
  // A file entry without "succeeded" is one that worked (the common case).
  CHECK(p.files.at("/etc/passwd").succeeded);
  CHECK(p.files.at("/etc/passwd").access == std::set<std::string>{"read"});
  // Number keys may be decimal or hex.
  CHECK(p.process.ioctls.count(0x5401) == 1);
  CHECK(p.process.uids.count(16) == 1);
  CHECK(p.resources.wall_seconds == 2.0);
}

TEST_CASE("json: bad inputs are one tailor::Error, never a crash") {
  // clang-format off
  const std::vector<std::string> bad = {
      // not JSON, or not a tailor profile
      "", " ", "nul", "{", "[]", "{}", "null", "1", "\"tailor\"",
      R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": []})",  // Docker seccomp profile
      R"({"tailor": 1} trailing)",
      "{\"tailor\": 1, \"files\": {\"\xff\": {}}}",  // invalid UTF-8
      // format version
      R"({"tailor": 2})", R"({"tailor": 0})", R"({"tailor": -1})", R"({"tailor": "1"})",
      R"({"tailor": 1.0})", R"({"tailor": null})", R"({"tailor": 18446744073709551615})",
      // numbers JSON allows but no C++ type holds
      R"({"tailor": 1e400})",
      R"({"tailor": 1, "resources": {"wall_seconds": 1e400}})",
      R"({"tailor": 1, "resources": {"peak_fds": -1e400}})",
      // commands
      R"({"tailor": 1, "commands": {}})", R"({"tailor": 1, "commands": ["ls"]})",
      R"({"tailor": 1, "commands": [[1]]})", R"({"tailor": 1, "commands": [["ls", null]]})",
      // containers
      R"({"tailor": 1, "containers": {}})", R"({"tailor": 1, "containers": "docker"})",
      R"({"tailor": 1, "containers": ["docker"]})", R"({"tailor": 1, "containers": [null]})",
      R"({"tailor": 1, "containers": [{"image": "alpine"}]})",
      R"({"tailor": 1, "containers": [{"engine": 1, "image": "alpine"}]})",
      R"({"tailor": 1, "containers": [{"engine": "docker", "image": 3}]})",
      R"({"tailor": 1, "containers": [{"engine": "docker", "image": ["alpine"]}]})",
      R"({"tailor": 1, "containers": [{"engine": "docker", "command": "sh -c x"}]})",
      R"({"tailor": 1, "containers": [{"engine": "docker", "command": [["sh"]]}]})",
      R"({"tailor": 1, "containers": [{"engine": "docker", "command": ["sh", null]}]})",
      // syscalls and evidence
      R"({"tailor": 1, "syscalls": []})", R"({"tailor": 1, "syscalls": {"x86_64": []}})",
      R"({"tailor": 1, "syscalls": {"x86_64": {"read": 1}}})",
      R"({"tailor": 1, "syscalls": {"x86_64": {"read": {"by": []}}}})",
      R"({"tailor": 1, "syscalls": {"x86_64": {"read": {"by": {"/bin/sh": "1"}}}}})",
      R"({"tailor": 1, "syscalls": {"x86_64": {"read": {"by": {"/bin/sh": -5}}}}})",
      R"({"tailor": 1, "syscalls": {"x86_64": {"read": {"by": {"/bin/sh": 1.5}}}}})",
      R"({"tailor": 1, "syscalls": {"x86_64": {"read": {"count": -1}}}})",
      R"({"tailor": 1, "syscalls": {"x86_64": {"read": {"count": "3"}}}})",
      // files
      R"({"tailor": 1, "files": []})", R"({"tailor": 1, "files": {"/a": []}})",
      R"({"tailor": 1, "files": {"/a": {"access": "read"}}})",
      R"({"tailor": 1, "files": {"/a": {"access": [1]}}})",
      R"({"tailor": 1, "files": {"/a": {"errors": "ENOENT"}}})",
      R"({"tailor": 1, "files": {"/a": {"errors": [2]}}})",
      R"({"tailor": 1, "files": {"/a": {"succeeded": 1}}})",
      R"({"tailor": 1, "files": {"/a": {"count": -2}}})",
      R"({"tailor": 1, "files": {"/a": {"types": "dir"}}})",
      R"({"tailor": 1, "files": {"/a": {"types": [1]}}})",
      R"({"tailor": 1, "files": {"/a": {"types": [null]}}})",
      R"({"tailor": 1, "files": {"/a": {"pids": 4711}}})",
      R"({"tailor": 1, "files": {"/a": {"pids": ["4711"]}}})",
      R"({"tailor": 1, "files": {"/a": {"pids": [-1]}}})",
      R"({"tailor": 1, "files": {"/a": {"pids": [1.5]}}})",
      R"({"tailor": 1, "files": {"/a": {"pids": [4294967296]}}})",
      // network
      R"({"tailor": 1, "network": []})", R"({"tailor": 1, "network": {"sockets": {}}})",
      R"({"tailor": 1, "network": {"sockets": [1]}})",
      R"({"tailor": 1, "network": {"sockets": [{"family": 2, "type": "stream"}]}})",
      R"({"tailor": 1, "network": {"sockets": [{"family": "inet"}]}})",
      R"({"tailor": 1, "network": {"sockets": [{"family": "inet", "type": "raw", "protocol": -1}]}})",
      R"({"tailor": 1, "network": {"endpoints": {}}})",
      R"({"tailor": 1, "network": {"endpoints": [{"op": "bind", "family": "inet", "address": "1.2.3.4", "port": "80"}]}})",
      R"({"tailor": 1, "network": {"endpoints": [{"op": "bind", "family": "inet", "address": "1.2.3.4", "port": -1}]}})",
      R"({"tailor": 1, "network": {"endpoints": [{"op": "bind", "family": "inet", "port": 80}]}})",
      // process
      R"({"tailor": 1, "process": []})", R"({"tailor": 1, "process": {"namespaces": []}})",
      R"({"tailor": 1, "process": {"namespaces": {"CLONE_NEWNS": 1}}})",
      R"({"tailor": 1, "process": {"executables": []}})",
      R"({"tailor": 1, "process": {"executables": {"/bin/x": {"setuid": "yes"}}}})",
      R"({"tailor": 1, "process": {"executables": {"/bin/x": {"file_caps": 1}}}})",
      R"({"tailor": 1, "process": {"uids": {"abc": {}}}})",
      R"({"tailor": 1, "process": {"uids": {"-1": {}}}})",
      R"({"tailor": 1, "process": {"uids": {"4294967296": {}}}})",
      R"({"tailor": 1, "process": {"gids": {"": {}}}})",
      R"({"tailor": 1, "process": {"ioctls": {"0x": {}}}})",
      R"({"tailor": 1, "process": {"ioctls": {"99999999999999999999": {}}}})",
      R"({"tailor": 1, "process": {"personality": {"12z": {}}}})",
      R"({"tailor": 1, "process": {"prctl": {"PR_SET_NAME": 3}}})",
      R"({"tailor": 1, "process": {"exec_mappings": []}})",
      // capabilities
      R"({"tailor": 1, "capabilities": []})", R"({"tailor": 1, "capabilities": {"CAP_X": []}})",
      R"({"tailor": 1, "capabilities": {"CAP_X": {"reasons": {}}}})",
      R"({"tailor": 1, "capabilities": {"CAP_X": {"reasons": ["bind"]}}})",
      R"({"tailor": 1, "capabilities": {"CAP_X": {"reasons": [{"syscall": 1, "detail": ""}]}}})",
      R"({"tailor": 1, "capabilities": {"CAP_X": {"reasons": [{"syscall": "bind"}]}}})",
      R"({"tailor": 1, "capabilities": {"CAP_X": {"count": -1}}})",
      R"({"tailor": 1, "capability_hints": {"CAP_X": {"reasons": [{"detail": "x"}]}}})",
      R"({"tailor": 1, "capability_hints": []})",
      // resources
      R"({"tailor": 1, "resources": []})", R"({"tailor": 1, "resources": {"peak_fds": "3"}})",
      R"({"tailor": 1, "resources": {"peak_fds": -3}})",
      R"({"tailor": 1, "resources": {"peak_rss_kb": 1.5}})",
      R"({"tailor": 1, "resources": {"peak_processes": true}})",
      R"({"tailor": 1, "resources": {"wall_seconds": "1"}})",
      R"({"tailor": 1, "resources": {"wall_seconds": -1}})",
  };
  // clang-format on
  for (const auto& text : bad) check_rejected(text);
}

// "types" and "pids" were added to format 1 after it was published (README, "The profile
// format"): a profile without them reads as before, with nothing known about either, and a type
// this version does not know is kept as it is (the AppArmor emitter treats it as "not a
// directory") rather than refused, so a newer recorder's profile still loads.
TEST_CASE("json: files without types or pids, and types this version does not know") {
  const Profile old = tailor::profile_from_json(
      R"({"tailor": 1, "files": {"/srv": {"access": ["readdir"], "succeeded": true}}})");
  REQUIRE(old.files.count("/srv"));
  CHECK(old.files.at("/srv").types.empty());
  CHECK(old.files.at("/srv").pids.empty());
  CHECK(old.files.at("/srv").access == std::set<std::string>{"readdir"});
  const Profile newer = tailor::profile_from_json(
      R"({"tailor": 1, "files": {"/x": {"types": ["door", "dir"], "pids": [7, 7]}}})");
  CHECK(newer.files.at("/x").types == std::set<std::string>{"dir", "door"});
  CHECK(newer.files.at("/x").pids == std::set<std::uint32_t>{7});
}

// "containers" was added to format 1 after it was published, like "types": written only for
// recordings made in a container, so every other profile reads and writes as before.
TEST_CASE("json: the containers a recording ran in") {
  const auto j = nlohmann::json::parse(tailor::to_json(full_profile()));
  CHECK(j.at("containers") ==
        nlohmann::json::parse(R"([{"command": ["sh", "-c", "echo hi | cat"], "engine": "docker",
                                   "image": "alpine:3"},
                                  {"command": [], "engine": "runc", "image": ""}])"));
  // Hand-written: image and command may be left out (a bundle, the image's own CMD); the same
  // container twice is one.
  const Profile p = tailor::profile_from_json(R"({"tailor": 1, "containers": [
      {"engine": "podman", "image": "localhost/app", "command": ["serve"]},
      {"engine": "crun"}, {"engine": "podman", "image": "localhost/app", "command": ["serve"]}]})");
  CHECK(p.containers == std::set<tailor::ContainerOrigin>{{"crun", "", {}},
                                                          {"podman", "localhost/app", {"serve"}}});
  // An engine this version does not know is kept (generate then allows every engine's needs).
  CHECK(tailor::profile_from_json(R"({"tailor": 1, "containers": [{"engine": "nerdctl"}]})")
            .containers.begin()
            ->engine == "nerdctl");
  try {
    tailor::profile_from_json(R"({"tailor": 1, "containers": [{"engine": "docker", "image": 3}]})");
    FAIL("accepted");
  } catch (const tailor::Error& e) {
    CHECK(std::string(e.what()) ==
          "malformed tailor profile: containers[].image: expected a string");
  }
}

TEST_CASE("json: every truncation of a real profile is rejected") {
  // A profile cut short (a full disk, an interrupted copy) must never load as a smaller profile.
  const std::string text = tailor::to_json(full_profile());
  const auto end = text.rfind('}');
  REQUIRE(end != std::string::npos);
  for (std::size_t n = 0; n < end; ++n) check_rejected(text.substr(0, n));
}

TEST_CASE("json: load_profile names the file in its errors") {
  tailor::test::TempDir dir;
  const std::string path = dir / "docker-seccomp.json";
  std::ofstream(path) << R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": []})";
  try {
    tailor::load_profile(path);
    FAIL("a Docker seccomp profile loaded as a recording");
  } catch (const tailor::Error& e) {
    CHECK(std::string(e.what()).find(path) != std::string::npos);
    CHECK(e.code() == tailor::kExitUsage);
  }
  CHECK_THROWS_AS(tailor::load_profile(dir / "missing.json"), tailor::Error);
  CHECK_THROWS_AS(tailor::read_file(dir / "missing.json"), tailor::Error);
}

TEST_CASE("json: a profile with non-UTF-8 paths can be written and read back") {
  // Linux paths are bytes; a workload that touches a file named in Latin-1 must still get a
  // profile written, not lose the whole recording to a JSON encoding exception.
  Profile p;
  p.files["/tmp/caf\xe9"].access = {"create"};
  p.files["/tmp/caf\xe9"].ev.add("/bin/sh");
  p.process.executables["/tmp/\xff\xfe"].ev.add("/bin/sh");
  std::string text;
  REQUIRE_NOTHROW(text = tailor::to_json(p));
  Profile back;
  REQUIRE_NOTHROW(back = tailor::profile_from_json(text));
  CHECK(back.files.size() == 1);
  CHECK(back.process.executables.size() == 1);
  CHECK(tailor::to_json(back) == text);
}

// ---- merge ------------------------------------------------------------------------------------

TEST_CASE("merge: counts add, sets union, peaks take the maximum") {
  Profile a;
  a.commands.insert({"make", "-j2"});
  a.syscalls["x86_64"]["read"].add("/bin/sh", 2);
  a.syscalls["x86_64"]["openat"].add("/bin/sh", 1);
  a.files["/etc/hosts"].access = {"read"};
  a.files["/etc/hosts"].errors = {"ENOENT"};
  a.files["/etc/hosts"].succeeded = false;
  a.files["/etc/hosts"].ev.add("/bin/sh");
  a.files["/etc/hosts"].types = {"file"};
  a.files["/etc/hosts"].pids = {12};
  a.sockets[{"inet", "stream", 0}].add("/bin/sh");
  a.endpoints[{"connect", "inet", "127.0.0.1", 53}].add("/bin/sh");
  a.process.namespaces["CLONE_NEWNS"].add("/bin/sh");
  a.process.executables["/bin/su"].setuid = true;
  a.process.executables["/bin/su"].ev.add("/bin/sh");
  a.process.uids[0].add("/bin/sh");
  a.process.ioctls[0x5401].add("/bin/sh", 4);
  a.capabilities["CAP_CHOWN"].reasons.insert({"chown", "/a"});
  a.capabilities["CAP_CHOWN"].ev.add("/bin/sh");
  a.capability_hints["CAP_KILL"].reasons.insert({"kill", "pid 1"});
  a.resources = {4, 2, 9000, 10, 1.5};
  a.containers.insert({"docker", "app:1", {}});

  Profile b;
  b.commands.insert({"make", "-j2"});  // the same run recorded again: still one command
  b.commands.insert({"make", "check"});
  b.syscalls["x86_64"]["read"].add("/bin/sh", 3);
  b.syscalls["x86_64"]["read"].add("/usr/bin/cc", 1);
  b.syscalls["x86"]["read"].add("/tmp/m32", 1);
  b.files["/etc/hosts"].access = {"read", "stat"};
  b.files["/etc/hosts"].errors = {"EACCES"};
  b.files["/etc/hosts"].succeeded = true;
  b.files["/etc/hosts"].ev.add("/bin/sh", 2);
  b.files["/etc/hosts"].types = {"symlink"};
  b.files["/etc/hosts"].pids = {34};
  b.files["/tmp/out"].access = {"write", "create"};
  b.files["/tmp/out"].succeeded = true;
  b.sockets[{"inet", "stream", 0}].add("/bin/sh", 2);
  b.sockets[{"unix", "dgram", 0}].add("/bin/sh");
  b.endpoints[{"connect", "inet", "127.0.0.1", 53}].add("/usr/bin/cc");
  b.process.executables["/bin/su"].file_caps = true;
  b.process.executables["/bin/su"].ev.add("/bin/sh");
  b.process.uids[1000].add("/bin/sh");
  b.process.ioctls[0x5401].add("/bin/sh", 1);
  b.capabilities["CAP_CHOWN"].reasons.insert({"fchown", "/b"});
  b.capabilities["CAP_CHOWN"].ev.add("/bin/sh", 2);
  b.capabilities["CAP_SETUID"].reasons.insert({"setuid", "1000"});
  b.resources = {2, 8, 100, 64, 0.5};
  b.containers.insert({"docker", "app:1", {}});
  b.containers.insert({"podman", "app:1", {"selftest"}});

  const Profile m = tailor::merge(a, b);

  struct Row {
    const char* what;
    bool ok;
  };
  const auto& hosts = m.files.at("/etc/hosts");
  const auto& su = m.process.executables.at("/bin/su");
  const Row rows[] = {
      {"commands union, duplicates once", m.commands.size() == 2},
      {"containers union, duplicates once",
       m.containers == std::set<tailor::ContainerOrigin>{{"docker", "app:1", {}},
                                                         {"podman", "app:1", {"selftest"}}}},
      {"syscall counts add per executable",
       m.syscalls.at("x86_64").at("read").by ==
           std::map<std::string, std::uint64_t>{{"/bin/sh", 5}, {"/usr/bin/cc", 1}}},
      {"syscall total", m.syscalls.at("x86_64").at("read").count() == 6},
      {"syscall only in a kept", m.syscalls.at("x86_64").at("openat").count() == 1},
      {"arch only in b added", m.syscalls.at("x86").at("read").count() == 1},
      {"file access union", hosts.access == std::set<std::string>{"read", "stat"}},
      {"file errors union", hosts.errors == std::set<std::string>{"EACCES", "ENOENT"}},
      {"file succeeded is or", hosts.succeeded},
      {"file types union", hosts.types == std::set<std::string>{"file", "symlink"}},
      {"file pids union", hosts.pids == std::set<std::uint32_t>{12, 34}},
      {"file evidence adds", hosts.ev.count() == 3},
      {"file only in b added", m.files.at("/tmp/out").access.size() == 2},
      {"socket evidence adds", m.sockets.at({"inet", "stream", 0}).count() == 3},
      {"socket only in b added", m.sockets.count({"unix", "dgram", 0}) == 1},
      {"endpoint evidence by exe",
       m.endpoints.at({"connect", "inet", "127.0.0.1", 53}).by.size() == 2},
      {"namespace kept", m.process.namespaces.at("CLONE_NEWNS").count() == 1},
      {"executable bits or", su.setuid && su.file_caps && !su.setgid},
      {"executable evidence adds", su.ev.count() == 2},
      {"uids union", m.process.uids.size() == 2},
      {"ioctl counts add", m.process.ioctls.at(0x5401).count() == 5},
      {"cap reasons union", m.capabilities.at("CAP_CHOWN").reasons.size() == 2},
      {"cap evidence adds", m.capabilities.at("CAP_CHOWN").ev.count() == 3},
      {"cap only in b added", m.capabilities.count("CAP_SETUID") == 1},
      {"hints kept", m.capability_hints.count("CAP_KILL") == 1},
      {"peak processes max", m.resources.peak_processes == 4},
      {"peak threads max", m.resources.peak_threads == 8},
      {"peak rss max", m.resources.peak_rss_kb == 9000},
      {"peak fds max", m.resources.peak_fds == 64},
      {"wall time max", m.resources.wall_seconds == 1.5},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    CHECK(row.ok);
  }

  // Order does not matter, the empty profile is the identity, and merge_into agrees with merge.
  CHECK(tailor::merge(b, a) == m);
  CHECK(tailor::merge(a, Profile{}) == a);
  CHECK(tailor::merge(Profile{}, a) == a);
  Profile into = a;
  tailor::merge_into(into, b);
  CHECK(into == m);
  // Merging a profile with itself doubles the counts but adds no new facts.
  const Profile twice = tailor::merge(a, a);
  CHECK(twice.syscalls.at("x86_64").at("read").count() == 4);
  CHECK(twice.files.at("/etc/hosts").access == a.files.at("/etc/hosts").access);
  CHECK(twice.commands == a.commands);
  CHECK(tailor::distinct_syscalls(twice) == tailor::distinct_syscalls(a));
  CHECK(tailor::distinct_syscalls(m) == 3);
  // What --append writes: the merged profile survives the format.
  CHECK(tailor::profile_from_json(tailor::to_json(m)) == m);
}

// ---- syscall, arch, capability and errno names --------------------------------------------

TEST_CASE("core: syscall names and numbers come from libseccomp") {
  struct Row {
    std::uint32_t arch;
    std::uint64_t nr;
    const char* name;
  };
  const Row rows[] = {
      {SCMP_ARCH_X86_64, 0, "read"},
      {SCMP_ARCH_X86_64, 59, "execve"},
      {SCMP_ARCH_X86_64, 257, "openat"},
      {SCMP_ARCH_X86, 3, "read"},
      {SCMP_ARCH_X86, 11, "execve"},
      {SCMP_ARCH_X86, 102, "socketcall"},
      // x32 numbers carry __X32_SYSCALL_BIT, as the kernel passes them.
      {SCMP_ARCH_X32, tailor::kX32SyscallBit | 0, "read"},
      {SCMP_ARCH_X32, tailor::kX32SyscallBit | 520, "execve"},
      // Unknown numbers get a stable synthetic name instead of being dropped.
      {SCMP_ARCH_X86_64, 100000, "syscall_100000"},
      {SCMP_ARCH_X32, tailor::kX32SyscallBit | 5000, "syscall_5000"},
      {SCMP_ARCH_X86_64, 0xffffffffffffffffull, "syscall_18446744073709551615"},
  };
  for (const auto& r : rows) {
    INFO("arch " << r.arch << " nr " << r.nr);
    CHECK(tailor::syscall_name(r.arch, r.nr) == r.name);
  }
  // Interned: the same object on every call (the recorder keeps references).
  CHECK(&tailor::syscall_name(SCMP_ARCH_X86_64, 0) == &tailor::syscall_name(SCMP_ARCH_X86_64, 0));

  CHECK(tailor::syscall_number(SCMP_ARCH_X86_64, "openat") == 257);
  CHECK(tailor::syscall_number(SCMP_ARCH_X86, "socketcall") == 102);
  CHECK(tailor::syscall_number(SCMP_ARCH_X32, "read") == static_cast<int>(tailor::kX32SyscallBit));
  // libseccomp answers a negative pseudo-number for calls an arch lacks: that is "unknown".
  CHECK_FALSE(tailor::syscall_number(SCMP_ARCH_X86_64, "socketcall").has_value());
  CHECK_FALSE(tailor::syscall_number(SCMP_ARCH_X86_64, "no_such_call").has_value());
  CHECK_FALSE(tailor::syscall_number(SCMP_ARCH_X86_64, "").has_value());

  // Name and number are inverse over the whole x86_64 and i386 tables.
  for (std::uint32_t arch : std::vector<std::uint32_t>{SCMP_ARCH_X86_64, SCMP_ARCH_X86}) {
    int known = 0, multiplexed = 0;
    for (std::uint64_t nr = 0; nr < 600; ++nr) {
      const std::string& name = tailor::syscall_name(arch, nr);
      if (name.rfind("syscall_", 0) == 0) continue;
      // On i386 the socket and SysV IPC calls exist twice: as direct syscalls (socket = 359)
      // and multiplexed through socketcall(2)/ipc(2). libseccomp resolves such a name to a
      // negative pseudo-number covering both, which syscall_number reports as unknown.
      if (seccomp_syscall_resolve_name_arch(arch, name.c_str()) < 0) {
        ++multiplexed;
        continue;
      }
      ++known;
      INFO(name);
      CHECK(tailor::syscall_number(arch, name) == static_cast<int>(nr));
    }
    CHECK(known > 300);
    CHECK(multiplexed < 30);
  }
}

TEST_CASE("core: architecture names and tokens") {
  CHECK(tailor::arch_name(SCMP_ARCH_X86_64) == "x86_64");
  CHECK(tailor::arch_name(SCMP_ARCH_X86) == "x86");
  CHECK(tailor::arch_name(SCMP_ARCH_X32) == "x32");
  CHECK(tailor::arch_name(SCMP_ARCH_AARCH64) == "aarch64");
  CHECK_FALSE(tailor::arch_name(0).has_value());

  struct Row {
    const char* name;
    std::uint32_t token;
  };
  const Row rows[] = {
      {"x86_64", SCMP_ARCH_X86_64},
      {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
      {"x86", SCMP_ARCH_X86},
      {"SCMP_ARCH_X86", SCMP_ARCH_X86},
      {"i386", SCMP_ARCH_X86},
      {"x32", SCMP_ARCH_X32},
      {"SCMP_ARCH_X32", SCMP_ARCH_X32},
      {"aarch64", SCMP_ARCH_AARCH64},
      {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    CHECK(tailor::arch_token(r.name) == r.token);
  }
  for (const char* unknown : {"", "amd64x", "X86_64x", "SCMP_ARCH_", "SCMP_ARCH_BOGUS"}) {
    INFO(unknown);
    CHECK_FALSE(tailor::arch_token(unknown).has_value());
  }
  // Every name tailor writes reads back to the same token.
  for (std::uint32_t t : std::vector<std::uint32_t>{SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32,
                                                    SCMP_ARCH_AARCH64})
    CHECK(tailor::arch_token(*tailor::arch_name(t)) == t);
}

TEST_CASE("core: x32 syscalls are told apart from x86_64 by the x32 bit") {
  CHECK(tailor::effective_arch(SCMP_ARCH_X86_64, 1) == SCMP_ARCH_X86_64);
  CHECK(tailor::effective_arch(SCMP_ARCH_X86_64, tailor::kX32SyscallBit | 1) == SCMP_ARCH_X32);
  CHECK(tailor::effective_arch(SCMP_ARCH_X86_64, tailor::kX32SyscallBit) == SCMP_ARCH_X32);
  // Only x86_64 has the x32 ABI: the bit means nothing on i386.
  CHECK(tailor::effective_arch(SCMP_ARCH_X86, tailor::kX32SyscallBit | 1) == SCMP_ARCH_X86);
  CHECK(tailor::effective_arch(SCMP_ARCH_X86, 11) == SCMP_ARCH_X86);
}

TEST_CASE("core: capability names come from libcap") {
  CHECK(tailor::cap_name(CAP_CHOWN) == "CAP_CHOWN");
  CHECK(tailor::cap_name(CAP_NET_BIND_SERVICE) == "CAP_NET_BIND_SERVICE");
  CHECK(tailor::cap_name(CAP_SYS_ADMIN) == "CAP_SYS_ADMIN");
  for (const char* spelling :
       {"CAP_NET_BIND_SERVICE", "NET_BIND_SERVICE", "cap_net_bind_service", "net_bind_service"}) {
    INFO(spelling);
    CHECK(tailor::cap_number(spelling) == CAP_NET_BIND_SERVICE);
  }
  for (const char* unknown : {"", "CAP_", "CAP_BOGUS", "NET_BIND"}) {
    INFO(unknown);
    CHECK_FALSE(tailor::cap_number(unknown).has_value());
  }
  // Inverse over every capability this libcap knows.
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    const std::string name = tailor::cap_name(cap);
    INFO(cap << " " << name);
    CHECK(name.rfind("CAP_", 0) == 0);
    CHECK(tailor::cap_number(name) == cap);
  }
  // A capability newer than libcap still gets a name of the CAP_ form.
  CHECK(tailor::cap_name(63).rfind("CAP_", 0) == 0);
}

TEST_CASE("core: errno names") {
  CHECK(tailor::errno_name(EPERM) == "EPERM");
  CHECK(tailor::errno_name(ENOENT) == "ENOENT");
  CHECK(tailor::errno_name(EACCES) == "EACCES");
  CHECK(tailor::errno_name(ENOSYS) == "ENOSYS");
  CHECK(tailor::errno_name(9999) == "E9999");
}

// ---- write_file_atomic ------------------------------------------------------------------------

namespace {

// Sets the umask for one scope; tests in this binary run one at a time (ctest runs each
// TEST_CASE in its own process), so changing the process-wide umask is safe here.
class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t m) : old_(::umask(m)) {}
  ~UmaskGuard() { ::umask(old_); }
  UmaskGuard(const UmaskGuard&) = delete;
  UmaskGuard& operator=(const UmaskGuard&) = delete;

 private:
  mode_t old_;
};

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("core: write_file_atomic writes, replaces and leaves no temp file") {
  tailor::test::TempDir dir;
  const std::string path = dir / "profile.json";
  tailor::write_file_atomic(path, "first\n");
  CHECK(tailor::read_file(path) == "first\n");
  tailor::write_file_atomic(path, "second, longer content\n");
  CHECK(tailor::read_file(path) == "second, longer content\n");
  tailor::write_file_atomic(path, "");
  CHECK(tailor::read_file(path).empty());
  CHECK(names_in(dir.path()) == std::vector<std::string>{"profile.json"});

  // A profile written and loaded back is the same profile.
  const Profile p = full_profile();
  tailor::write_file_atomic(path, tailor::to_json(p));
  CHECK(tailor::load_profile(path) == p);
  CHECK(names_in(dir.path()) == std::vector<std::string>{"profile.json"});
}

TEST_CASE("core: write_file_atomic writes into a device or FIFO instead of replacing it") {
  tailor::test::TempDir dir;
  // A FIFO: the reader sees the data, and the node is still a FIFO afterwards.
  const std::string fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  REQUIRE(reader >= 0);
  tailor::write_file_atomic(fifo, "through the pipe\n");
  char buf[64] = {};
  CHECK(::read(reader, buf, sizeof buf) == 17);
  ::close(reader);
  CHECK(std::string(buf) == "through the pipe\n");
  struct stat st {};
  REQUIRE(::lstat(fifo.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  // `-o /dev/null`: a copy of the node (making one needs root), which must stay a device.
  const std::string null = dir / "null";
  if (::mknod(null.c_str(), S_IFCHR | 0666, ::makedev(1, 3)) != 0) {
    WARN("mknod needs root: the /dev/null case is skipped");
  } else {
    tailor::write_file_atomic(null, "gone\n");
    REQUIRE(::lstat(null.c_str(), &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(tailor::read_file(null).empty());
  }
  CHECK(names_in(dir.path()) == (::lstat(null.c_str(), &st) == 0
                                     ? std::vector<std::string>{"fifo", "null"}
                                     : std::vector<std::string>{"fifo"}));
}

TEST_CASE("core: write_file_atomic gives the file the umask's mode") {
  tailor::test::TempDir dir;
  // mkstemp creates 0600; the result must look like any file the user creates.
  {
    UmaskGuard g(022);
    tailor::write_file_atomic(dir / "a.json", "{}");
    CHECK(mode_of(dir / "a.json") == 0644);
  }
  {
    UmaskGuard g(027);
    tailor::write_file_atomic(dir / "b.json", "{}");
    CHECK(mode_of(dir / "b.json") == 0640);
  }
  {
    UmaskGuard g(0);
    tailor::write_file_atomic(dir / "c.json", "{}");
    CHECK(mode_of(dir / "c.json") == 0666);
  }
}

TEST_CASE("core: write_file_atomic fails cleanly when it cannot write") {
  tailor::test::TempDir dir;
  CHECK_THROWS_AS(tailor::write_file_atomic(dir / "no/such/dir/profile.json", "x"), tailor::Error);
  // The target is a directory: the rename fails, and the temp file must not stay behind.
  std::filesystem::create_directory(dir / "taken");
  std::filesystem::create_directory(dir / "taken/sub");
  CHECK_THROWS_AS(tailor::write_file_atomic(dir / "taken", "x"), tailor::Error);
  CHECK(names_in(dir.path()) == std::vector<std::string>{"taken"});
}
