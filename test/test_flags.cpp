// Hardening flags (emitters/flags.cpp): rule by rule for each format, golden files from
// hand-written profiles, and one real recording.
//
// Outputs are checked the way their consumers read them: docker/podman commands are run by bash
// with `docker`/`podman` defined as functions that print their argv (so quoting and `\`
// continuations are what a shell makes of them), and compose/k8s YAML is loaded by PyYAML and
// inspected as data. `bash -n` and the YAML load also prove every output is valid.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "golden.h"
#include "support.h"
#include "tailor/emitters.h"
#include "tailor/profile_json.h"

using namespace tailor;
using namespace tailor::test;
using nlohmann::json;

namespace {

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// A python3 that has PyYAML (Debian: python3-yaml), or nothing.
std::optional<std::string> yaml_python() {
  static const std::optional<std::string> found = []() -> std::optional<std::string> {
    for (const char* py : {"python3", "/usr/bin/python3"}) {
      auto r = run({py, "-c", "import yaml"}, 30);
      if (r.status == 0) return std::string(py);
    }
    return std::nullopt;
  }();
  return found;
}

// Loads YAML with a real parser (safe_load: plain data only) and returns it as JSON.
json parse_yaml(const std::string& text) {
  auto py = yaml_python();
  REQUIRE(py);
  TempDir t;
  write_file(t / "in.yaml", text);
  auto r = run({*py, "-c",
                "import sys, json, yaml\n"
                "json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
                t / "in.yaml"},
               30);
  INFO("YAML:\n" << text << "\nparser: " << r.err);
  REQUIRE(r.status == 0);
  return json::parse(r.out);
}

// The argv a shell passes to docker/podman when it runs the emitted text; also `bash -n` first.
std::vector<std::string> shell_argv(const std::string& text) {
  TempDir t;
  write_file(t / "cmd.sh", text);
  auto syntax = run({"bash", "-n", t / "cmd.sh"}, 30);
  INFO("script:\n" << text << "\nbash -n: " << syntax.err);
  REQUIRE(syntax.status == 0);
  auto r = run({"bash", "-c",
                "docker() { printf '%s\\n' docker \"$@\"; }\n"
                "podman() { printf '%s\\n' podman \"$@\"; }\n"
                ". \"$1\"",
                "sh", t / "cmd.sh"},
               30);
  REQUIRE(r.status == 0);
  std::vector<std::string> argv;
  std::string word;
  for (char c : r.out) {
    if (c == '\n') {
      argv.push_back(word);
      word.clear();
    } else {
      word += c;
    }
  }
  return argv;
}

// Does argv hold `flag value` as consecutive words (value empty: the flag alone)?
bool has_flag(const std::vector<std::string>& argv, const std::string& flag,
              const std::string& value = "") {
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] != flag) continue;
    if (value.empty() || (i + 1 < argv.size() && argv[i + 1] == value)) return true;
  }
  return false;
}
std::size_t count_word(const std::vector<std::string>& argv, const std::string& w) {
  return static_cast<std::size_t>(std::count(argv.begin(), argv.end(), w));
}

// Everything a row looks at: each format emitted for one profile, in its parsed form.
struct Views {
  std::string docker_text, podman_text, compose_text, k8s_text;
  std::vector<std::string> docker, podman;  // argv
  json compose, k8s;                        // services.app / containers[0] (null without PyYAML)
  json k8s_doc;                             // the whole k8s document
  bool yaml = false;
};

Views emit_all(const Profile& p, FlagsOptions o = {}) {
  Views v;
  o.format = FlagsFormat::kDocker;
  v.docker_text = emit_flags(p, o);
  o.format = FlagsFormat::kPodman;
  v.podman_text = emit_flags(p, o);
  o.format = FlagsFormat::kCompose;
  v.compose_text = emit_flags(p, o);
  o.format = FlagsFormat::kK8s;
  v.k8s_text = emit_flags(p, o);
  // Every text ends with its newline: printed to a terminal, whatever comes next (tailor's own
  // summary on stderr) starts on a line of its own.
  for (const auto* text : {&v.docker_text, &v.podman_text, &v.compose_text, &v.k8s_text}) {
    REQUIRE_FALSE(text->empty());
    CHECK(text->back() == '\n');
    CHECK(text->find("\n\n\n") == std::string::npos);
  }
  v.docker = shell_argv(v.docker_text);
  v.podman = shell_argv(v.podman_text);
  REQUIRE(v.docker.at(0) == "docker");
  REQUIRE(v.docker.at(1) == "run");
  // The image, then the command that replaces its CMD, each word as given.
  REQUIRE(v.docker.size() > o.command.size() + 2);
  REQUIRE(v.docker[v.docker.size() - o.command.size() - 1] == o.image);
  REQUIRE(std::vector<std::string>(v.docker.end() - static_cast<long>(o.command.size()),
                                   v.docker.end()) == o.command);
  REQUIRE(std::vector<std::string>(v.podman.end() - static_cast<long>(o.command.size()) - 1,
                                   v.podman.end()) ==
          std::vector<std::string>(v.docker.end() - static_cast<long>(o.command.size()) - 1,
                                   v.docker.end()));
  REQUIRE(v.podman.at(0) == "podman");
  if (yaml_python()) {
    v.yaml = true;
    json c = parse_yaml(v.compose_text);
    REQUIRE(c["services"].size() == 1);
    v.compose = c["services"][o.service];
    REQUIRE(v.compose.is_object());
    v.k8s_doc = parse_yaml(v.k8s_text);
    REQUIRE(v.k8s_doc["containers"].size() == 1);
    v.k8s = v.k8s_doc["containers"][0];
    REQUIRE(v.k8s["name"] == o.service);
    // Docker's CMD is compose's `command` and Kubernetes' `args` (its `command` is ENTRYPOINT).
    CHECK_FALSE(v.k8s.contains("command"));
    if (o.command.empty()) {
      CHECK_FALSE(v.compose.contains("command"));
      CHECK_FALSE(v.k8s.contains("args"));
    } else {
      CHECK(v.compose["command"] == json(o.command));
      CHECK(v.k8s["args"] == json(o.command));
    }
  }
  return v;
}

void warn_no_yaml() {
  WARN("PyYAML not available (Debian package python3-yaml): compose/k8s YAML not parsed");
}

Profile with_exe(const std::string& path, bool setuid, bool setgid, bool file_caps) {
  Profile p;
  Executable e;
  e.setuid = setuid;
  e.setgid = setgid;
  e.file_caps = file_caps;
  e.ev.add(path);
  p.process.executables[path] = e;
  return p;
}

void add_file(Profile& p, const std::string& path, std::set<std::string> access,
              bool succeeded = true) {
  FileUse f;
  f.access = std::move(access);
  f.succeeded = succeeded;
  f.ev.add("/app");
  p.files[path] = f;
}

void add_cap(Profile& p, const std::string& cap, const std::string& syscall,
             const std::string& detail) {
  p.capabilities[cap].reasons.insert({syscall, detail});
  p.capabilities[cap].ev.add("/app");
}

void add_socket(Profile& p, const std::string& family, const std::string& type) {
  p.sockets[{family, type, 0}].add("/app");
}

void add_endpoint(Profile& p, const std::string& op, const std::string& family,
                  const std::string& address, int port) {
  p.endpoints[{op, family, address, port}].add("/app");
}

// A TCP server as the recorder sees one: socket, bind, listen on address:port.
void add_listener(Profile& p, const std::string& family, const std::string& address, int port) {
  add_socket(p, family, "stream");
  add_endpoint(p, "bind", family, address, port);
  add_endpoint(p, "listen", family, address, port);
}

// The values of every `-p` in argv.
std::vector<std::string> published(const std::vector<std::string>& argv) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == "-p") out.push_back(argv[i + 1]);
  return out;
}

struct Row {
  std::string name;
  std::function<Profile()> profile;
  std::function<void(const Views&)> check;
};

bool json_has(const json& j, const std::string& key) {
  return j.is_object() && j.contains(key);
}

}  // namespace

TEST_CASE("flags: format names", "[flags]") {
  CHECK(flags_format_from_name("docker") == FlagsFormat::kDocker);
  CHECK(flags_format_from_name("podman") == FlagsFormat::kPodman);
  CHECK(flags_format_from_name("compose") == FlagsFormat::kCompose);
  CHECK(flags_format_from_name("k8s") == FlagsFormat::kK8s);
  CHECK_FALSE(flags_format_from_name("Docker"));
  CHECK_FALSE(flags_format_from_name(""));
}

TEST_CASE("flags: no-new-privileges unless a privileged executable ran", "[flags]") {
  CHECK(wants_no_new_privileges(Profile{}));
  CHECK(wants_no_new_privileges(with_exe("/bin/true", false, false, false)));
  CHECK_FALSE(wants_no_new_privileges(with_exe("/usr/bin/su", true, false, false)));
  CHECK_FALSE(wants_no_new_privileges(with_exe("/usr/bin/wall", false, true, false)));
  CHECK_FALSE(wants_no_new_privileges(with_exe("/usr/bin/ping", false, false, true)));
  // One privileged program among ordinary ones is enough.
  Profile p = with_exe("/bin/sh", false, false, false);
  merge_into(p, with_exe("/usr/bin/sudo", true, false, false));
  CHECK_FALSE(wants_no_new_privileges(p));
}

TEST_CASE("flags: each rule in each format", "[flags]") {
  if (!yaml_python()) warn_no_yaml();
  const std::vector<Row> rows = {
      {"exercised capability -> cap-add, hints only a comment",
       [] {
         Profile p;
         add_cap(p, "CAP_NET_BIND_SERVICE", "bind", "inet 0.0.0.0:80");
         p.capability_hints["CAP_SYS_ADMIN"].reasons.insert({"mount", "proc /x"});
         return p;
       },
       [](const Views& v) {
         for (const auto* argv : {&v.docker, &v.podman}) {
           CHECK(has_flag(*argv, "--cap-drop", "ALL"));
           CHECK(has_flag(*argv, "--cap-add", "NET_BIND_SERVICE"));
           CHECK(count_word(*argv, "--cap-add") == 1);
           CHECK(count_word(*argv, "SYS_ADMIN") == 0);
         }
         CHECK(v.docker_text.find("# not added: SYS_ADMIN, refused") != std::string::npos);
         if (!v.yaml) return;
         CHECK(v.compose["cap_drop"] == json({"ALL"}));
         CHECK(v.compose["cap_add"] == json({"NET_BIND_SERVICE"}));
         CHECK(v.k8s["securityContext"]["capabilities"]["drop"] == json({"ALL"}));
         CHECK(v.k8s["securityContext"]["capabilities"]["add"] == json({"NET_BIND_SERVICE"}));
       }},
      {"no capability -> drop ALL, add nothing", [] { return Profile{}; },
       [](const Views& v) {
         CHECK(has_flag(v.docker, "--cap-drop", "ALL"));
         CHECK(count_word(v.docker, "--cap-add") == 0);
         if (!v.yaml) return;
         CHECK_FALSE(json_has(v.compose, "cap_add"));
         CHECK_FALSE(json_has(v.k8s["securityContext"]["capabilities"], "add"));
       }},
      {"no seccomp file written -> no seccomp option, said in a comment", [] { return Profile{}; },
       [](const Views& v) {
         for (const auto* argv : {&v.docker, &v.podman}) {
           for (const auto& w : *argv) CHECK(w.rfind("seccomp=", 0) == std::string::npos);
           CHECK(count_word(*argv, "apparmor=tailor-x") == 0);  // empty name: no option
         }
         CHECK(v.docker_text.find("# no --security-opt seccomp=: no profile was written") !=
               std::string::npos);
         CHECK(v.compose_text.find("# no seccomp profile written") != std::string::npos);
         if (!v.yaml) return;
         CHECK(v.k8s["securityContext"]["seccompProfile"] == json({{"type", "RuntimeDefault"}}));
         CHECK_FALSE(json_has(v.k8s["securityContext"], "appArmorProfile"));
       }},
      {"plain executables -> no-new-privileges",
       [] { return with_exe("/usr/bin/app", false, false, false); },
       [](const Views& v) {
         CHECK(has_flag(v.docker, "--security-opt", "no-new-privileges"));
         CHECK(has_flag(v.podman, "--security-opt", "no-new-privileges"));
         if (!v.yaml) return;
         CHECK(v.compose["security_opt"] == json({"no-new-privileges:true"}));
         CHECK(v.k8s["securityContext"]["allowPrivilegeEscalation"] == false);
       }},
      {"setuid executable -> no no-new-privileges",
       [] { return with_exe("/usr/bin/su", true, false, false); },
       [](const Views& v) {
         CHECK(count_word(v.docker, "no-new-privileges") == 0);
         CHECK(count_word(v.podman, "no-new-privileges") == 0);
         CHECK(v.docker_text.find("/usr/bin/su (setuid)") != std::string::npos);
         if (!v.yaml) return;
         CHECK_FALSE(json_has(v.compose, "security_opt"));  // nothing to put in it
         CHECK(v.k8s["securityContext"]["allowPrivilegeEscalation"] == true);
       }},
      {"file-caps executable -> no no-new-privileges",
       [] { return with_exe("/usr/bin/ping", false, false, true); },
       [](const Views& v) {
         CHECK(count_word(v.docker, "no-new-privileges") == 0);
         if (!v.yaml) return;
         CHECK(v.k8s["securityContext"]["allowPrivilegeEscalation"] == true);
       }},
      {"SYS_ADMIN added -> k8s cannot forbid privilege escalation",
       [] {
         Profile p;
         add_cap(p, "CAP_SYS_ADMIN", "mount", "tmpfs /mnt");
         return p;
       },
       [](const Views& v) {
         CHECK(has_flag(v.docker, "--security-opt", "no-new-privileges"));
         if (!v.yaml) return;
         CHECK(v.k8s["securityContext"]["allowPrivilegeEscalation"] == true);
       }},
      {"written /tmp -> read-only + tmpfs /tmp",
       [] {
         Profile p;
         add_file(p, "/tmp/app-Xy12/part", {"create", "write"});
         add_file(p, "/tmp/app-Xy12", {"mkdir"});
         add_file(p, "/etc/hosts", {"read"});
         return p;
       },
       [](const Views& v) {
         for (const auto* argv : {&v.docker, &v.podman}) {
           CHECK(has_flag(*argv, "--read-only"));
           CHECK(has_flag(*argv, "--tmpfs", "/tmp"));
           CHECK(count_word(*argv, "--tmpfs") == 1);
         }
         // podman would otherwise mount /run, /tmp and /var/tmp writable on its own.
         CHECK(has_flag(v.podman, "--read-only-tmpfs=false"));
         CHECK(v.docker_text.find("HOSTDIR") == std::string::npos);
         if (!v.yaml) return;
         CHECK(v.compose["read_only"] == true);
         CHECK(v.compose["tmpfs"] == json({"/tmp"}));
         CHECK(v.k8s["securityContext"]["readOnlyRootFilesystem"] == true);
         REQUIRE(v.k8s["volumeMounts"].size() == 1);
         CHECK(v.k8s["volumeMounts"][0]["mountPath"] == "/tmp");
         const json& vol = v.k8s_doc["volumes"][0];
         CHECK(vol["name"] == v.k8s["volumeMounts"][0]["name"]);
         CHECK(vol["emptyDir"]["medium"] == "Memory");
       }},
      {"runtime, cache and shm dirs -> one tmpfs each; /var/run is /run",
       [] {
         Profile p;
         add_file(p, "/var/run/app.pid", {"create", "write"});
         add_file(p, "/run/lock/app.lock", {"create"});
         add_file(p, "/var/tmp/x/y", {"rename"});
         add_file(p, "/var/cache/app/blob", {"write"});
         add_file(p, "/home/bob/.cache/app/idx", {"create"});
         add_file(p, "/root/.cache/pip", {"mkdir"});
         add_file(p, "/dev/shm/sem.x", {"create", "unlink"});
         add_file(p, "/dev/null", {"write"});                 // runtime's /dev: no flag
         add_file(p, "/proc/self/oom_score_adj", {"write"});  // procfs: no flag
         return p;
       },
       [](const Views& v) {
         std::vector<std::string> tmpfs;
         for (std::size_t i = 0; i + 1 < v.docker.size(); ++i)
           if (v.docker[i] == "--tmpfs") tmpfs.push_back(v.docker[i + 1]);
         CHECK(tmpfs == std::vector<std::string>{"/dev/shm", "/home/bob/.cache", "/root/.cache",
                                                 "/run", "/var/cache", "/var/tmp"});
         CHECK(v.docker_text.find("HOSTDIR") == std::string::npos);
         if (!v.yaml) return;
         CHECK(v.compose["tmpfs"].size() == 6);
         CHECK(v.k8s["volumeMounts"].size() == 6);
         CHECK(v.k8s_doc["volumes"].size() == 6);
       }},
      {"written /var/lib/app -> a named volume that runs as printed, no tmpfs",
       [] {
         Profile p;
         p.commands.insert({"/usr/sbin/appd", "--serve"});
         add_file(p, "/var/lib/app/db/main.db", {"write", "truncate"});
         add_file(p, "/var/lib/app/state", {"create"});
         return p;
       },
       [](const Views& v) {
         for (const auto* argv : {&v.docker, &v.podman}) {
           CHECK(count_word(*argv, "--tmpfs") == 0);
           CHECK(has_flag(*argv, "--read-only"));
           // One named volume for the outermost written dir: the engine creates it on first use,
           // so the line runs without editing (a placeholder host path would not).
           CHECK(has_flag(*argv, "-v", "tailor-appd-var-lib-app:/var/lib/app"));
           CHECK(count_word(*argv, "-v") == 1);
         }
         CHECK(v.docker_text.find("HOSTDIR") == std::string::npos);
         if (!v.yaml) return;
         CHECK(v.compose["volumes"] == json({"tailor-appd-var-lib-app:/var/lib/app"}));
         CHECK_FALSE(json_has(v.compose, "tmpfs"));
         // A named volume in a compose file must be declared at the top level.
         json c = parse_yaml(v.compose_text);
         CHECK(c["volumes"] == json({{"tailor-appd-var-lib-app", json::object()}}));
         REQUIRE(v.k8s["volumeMounts"].size() == 1);
         CHECK(v.k8s["volumeMounts"][0]["mountPath"] == "/var/lib/app");
         const json& vol = v.k8s_doc["volumes"][0];
         CHECK(vol["name"] == v.k8s["volumeMounts"][0]["name"]);
         CHECK(vol["emptyDir"] == json::object());  // on disk, not RAM: it is data
       }},
      {"failed write -> nothing to mount",
       [] {
         Profile p;
         add_file(p, "/var/lib/app/x", {"write"}, false);
         add_file(p, "/tmp/y", {"create"}, false);
         return p;
       },
       [](const Views& v) {
         CHECK(count_word(v.docker, "--tmpfs") == 0);
         CHECK(v.docker_text.find("HOSTDIR") == std::string::npos);
       }},
      {"write to /proc/sys -> comment that containers refuse it",
       [] {
         Profile p;
         add_file(p, "/proc/sys/net/core/somaxconn", {"write"});
         return p;
       },
       [](const Views& v) {
         CHECK(v.docker_text.find("/proc/sys/net/core/somaxconn") != std::string::npos);
         CHECK(count_word(v.docker, "--tmpfs") == 0);
       }},
      {"inet socket -> network kept",
       [] {
         Profile p;
         add_socket(p, "inet", "stream");
         add_socket(p, "unix", "stream");
         return p;
       },
       [](const Views& v) {
         CHECK(count_word(v.docker, "--network") == 0);
         CHECK(count_word(v.podman, "--network") == 0);
         if (!v.yaml) return;
         CHECK_FALSE(json_has(v.compose, "network_mode"));
       }},
      {"inet6 socket -> network kept",
       [] {
         Profile p;
         add_socket(p, "inet6", "dgram");
         return p;
       },
       [](const Views& v) { CHECK(count_word(v.docker, "--network") == 0); }},
      {"netlink socket -> network kept",
       [] {
         Profile p;
         add_socket(p, "netlink", "raw");
         return p;
       },
       [](const Views& v) { CHECK(count_word(v.docker, "--network") == 0); }},
      {"packet socket -> network kept",
       [] {
         Profile p;
         add_socket(p, "packet", "raw");
         return p;
       },
       [](const Views& v) { CHECK(count_word(v.docker, "--network") == 0); }},
      {"unknown family -> network kept (safe side)",
       [] {
         Profile p;
         add_socket(p, "AF_99", "stream");
         return p;
       },
       [](const Views& v) { CHECK(count_word(v.docker, "--network") == 0); }},
      {"unix sockets only -> network none",
       [] {
         Profile p;
         add_socket(p, "unix", "stream");
         add_socket(p, "unix", "dgram");
         return p;
       },
       [](const Views& v) {
         CHECK(has_flag(v.docker, "--network", "none"));
         CHECK(has_flag(v.podman, "--network", "none"));
         if (!v.yaml) return;
         CHECK(v.compose["network_mode"] == "none");
       }},
      {"inet only to loopback (connect, sendto, bind) -> network none",
       [] {
         Profile p;
         add_socket(p, "inet", "stream");
         add_socket(p, "inet6", "dgram");
         add_endpoint(p, "connect", "inet", "127.0.0.1", 5432);
         add_endpoint(p, "sendto", "inet6", "::1", 53);
         add_endpoint(p, "bind", "inet", "0.0.0.0", 0);  // an ephemeral port: a client
         add_endpoint(p, "connect", "inet6", "::ffff:127.0.0.1", 6379);
         return p;
       },
       [](const Views& v) {
         for (const auto* argv : {&v.docker, &v.podman}) {
           CHECK(has_flag(*argv, "--network", "none"));
           CHECK(published(*argv).empty());
         }
         if (!v.yaml) return;
         CHECK(v.compose["network_mode"] == "none");
         CHECK_FALSE(json_has(v.compose, "ports"));
       }},
      {"inet to another host -> network kept, named in the comment",
       [] {
         Profile p;
         add_socket(p, "inet", "stream");
         add_endpoint(p, "connect", "inet", "127.0.0.1", 5432);
         add_endpoint(p, "connect", "inet", "10.0.0.6", 5432);
         return p;
       },
       [](const Views& v) {
         CHECK(count_word(v.docker, "--network") == 0);
         CHECK(v.docker_text.find("# network kept: inet connect 10.0.0.6:5432.") !=
               std::string::npos);
         if (!v.yaml) return;
         CHECK_FALSE(json_has(v.compose, "network_mode"));
       }},
      {"listened on 0.0.0.0 -> published on the same port, IPv4",
       [] {
         Profile p;
         add_listener(p, "inet", "0.0.0.0", 8080);
         return p;
       },
       [](const Views& v) {
         for (const auto* argv : {&v.docker, &v.podman}) {
           CHECK(published(*argv) == std::vector<std::string>{"0.0.0.0:8080:8080"});
           CHECK(count_word(*argv, "--network") == 0);  // a published port needs the network
         }
         if (!v.yaml) return;
         CHECK(v.compose["ports"] == json({"0.0.0.0:8080:8080"}));
         CHECK_FALSE(json_has(v.compose, "network_mode"));
         CHECK(v.k8s["ports"] == json({{{"containerPort", 8080}, {"protocol", "TCP"}}}));
       }},
      {"listened on :: (and 0.0.0.0) -> one -p, every host address",
       [] {
         Profile p;
         add_listener(p, "inet6", "::", 8443);
         add_listener(p, "inet", "0.0.0.0", 8443);  // v6only sockets: both families, one port
         return p;
       },
       [](const Views& v) {
         // The engine refuses to publish one host port twice: :: covers 0.0.0.0.
         CHECK(published(v.docker) == std::vector<std::string>{"8443:8443"});
         if (!v.yaml) return;
         CHECK(v.compose["ports"] == json({"8443:8443"}));
         CHECK(v.k8s["ports"].size() == 1);
       }},
      {"listened on loopback only -> network none, not published, says how to",
       [] {
         Profile p;
         add_listener(p, "inet", "127.0.0.1", 8081);
         return p;
       },
       [](const Views& v) {
         for (const auto* argv : {&v.docker, &v.podman}) {
           CHECK(has_flag(*argv, "--network", "none"));
           CHECK(published(*argv).empty());  // no port can reach the container's own lo
         }
         CHECK(v.docker_text.find("It listened on 127.0.0.1:8081/tcp (loopback only)") !=
               std::string::npos);
         CHECK(v.docker_text.find("add -p 127.0.0.1:PORT:PORT") != std::string::npos);
         CHECK(v.compose_text.find("listened on 127.0.0.1:8081/tcp") != std::string::npos);
         if (!v.yaml) return;
         CHECK(v.compose["network_mode"] == "none");
         CHECK_FALSE(json_has(v.k8s, "ports"));
       }},
      {"a loopback listener next to a public one -> only the public one published",
       [] {
         Profile p;
         add_listener(p, "inet", "0.0.0.0", 80);
         add_listener(p, "inet", "127.0.0.1", 9000);  // an admin port
         return p;
       },
       [](const Views& v) {
         CHECK(published(v.docker) == std::vector<std::string>{"0.0.0.0:80:80"});
         CHECK(v.docker_text.find("# not published: 127.0.0.1:9000/tcp (loopback only") !=
               std::string::npos);
       }},
      {"listened on an address of the recording host -> published there, with a note",
       [] {
         Profile p;
         add_listener(p, "inet", "192.168.7.2", 8000);
         add_listener(p, "inet6", "fd00::2", 8001);
         return p;
       },
       [](const Views& v) {
         CHECK(published(v.docker) ==
               std::vector<std::string>{"192.168.7.2:8000:8000", "[fd00::2]:8001:8001"});
         CHECK(v.docker_text.find("in the container the app must listen on 0.0.0.0") !=
               std::string::npos);
       }},
      {"a UDP server (bind without listen, datagram socket) -> /udp",
       [] {
         Profile p;
         add_socket(p, "inet", "dgram");
         add_endpoint(p, "bind", "inet", "0.0.0.0", 5353);
         return p;
       },
       [](const Views& v) {
         CHECK(published(v.docker) == std::vector<std::string>{"0.0.0.0:5353:5353/udp"});
         if (!v.yaml) return;
         CHECK(v.k8s["ports"] == json({{{"containerPort", 5353}, {"protocol", "UDP"}}}));
       }},
      {"listened on a port chosen at run time -> network kept, nothing to publish",
       [] {
         Profile p;
         add_listener(p, "inet", "0.0.0.0", 0);
         return p;
       },
       [](const Views& v) {
         CHECK(count_word(v.docker, "--network") == 0);
         CHECK(published(v.docker).empty());
         CHECK(v.docker_text.find("only a fixed port can be published") != std::string::npos);
       }},
      {"a written dir whose path has ':' -> --mount (-v would split it)",
       [] {
         Profile p;
         add_file(p, "/srv/a:b/data.db", {"write"});
         return p;
       },
       [](const Views& v) {
         CHECK(has_flag(v.docker, "--mount",
                        "type=volume,source=tailor-srv-a-b,\"target=/srv/a:b\""));
         CHECK(count_word(v.docker, "-v") == 0);
       }},
      {"root without capabilities -> run as nobody",
       [] {
         Profile p;
         p.process.uids[0].add("/app");
         p.process.gids[0].add("/app");
         return p;
       },
       [](const Views& v) {
         CHECK(has_flag(v.docker, "--user", "65534:65534"));
         CHECK(has_flag(v.podman, "--user", "65534:65534"));
         CHECK(v.docker_text.find("file ownership") != std::string::npos);
         if (!v.yaml) return;
         CHECK(v.compose["user"] == "65534:65534");
         CHECK(v.k8s["securityContext"]["runAsNonRoot"] == true);
         CHECK(v.k8s["securityContext"]["runAsUser"] == 65534);
         CHECK(v.k8s["securityContext"]["runAsGroup"] == 65534);
       }},
      {"root with a capability -> stays root",
       [] {
         Profile p;
         p.process.uids[0].add("/app");
         add_cap(p, "CAP_CHOWN", "chown", "/x 65534:65534");
         return p;
       },
       [](const Views& v) {
         CHECK(count_word(v.docker, "--user") == 0);
         if (!v.yaml) return;
         CHECK_FALSE(json_has(v.compose, "user"));
         CHECK_FALSE(json_has(v.k8s["securityContext"], "runAsUser"));
         CHECK_FALSE(json_has(v.k8s["securityContext"], "runAsNonRoot"));
       }},
      {"non-root run -> no --user, k8s refuses a root image user",
       [] {
         Profile p;
         p.process.uids[1000].add("/app");
         p.process.gids[1000].add("/app");
         return p;
       },
       [](const Views& v) {
         CHECK(count_word(v.docker, "--user") == 0);
         CHECK(v.docker_text.find("--user 1000:1000") != std::string::npos);  // as a hint
         if (!v.yaml) return;
         CHECK(v.k8s["securityContext"]["runAsNonRoot"] == true);
         CHECK_FALSE(json_has(v.k8s["securityContext"], "runAsUser"));
       }},
      {"large peaks -> limits with headroom",
       [] {
         Profile p;
         p.resources.peak_processes = 3;
         p.resources.peak_threads = 40;
         p.resources.peak_rss_kb = 51200;  // 50 MiB
         p.resources.peak_fds = 700;
         return p;
       },
       [](const Views& v) {
         for (const auto* argv : {&v.docker, &v.podman}) {
           CHECK(has_flag(*argv, "--pids-limit", "80"));       // 2 x 40 tasks
           CHECK(has_flag(*argv, "--memory", "300m"));         // 50 MiB x 3 processes x 2
           CHECK(has_flag(*argv, "--ulimit", "nofile=1400"));  // 2 x 700
         }
         if (!v.yaml) return;
         CHECK(v.compose["pids_limit"] == 80);
         CHECK(v.compose["mem_limit"] == "300m");
         CHECK(v.compose["ulimits"]["nofile"] == json({{"soft", 1400}, {"hard", 1400}}));
         CHECK(v.k8s["resources"]["limits"]["memory"] == "300Mi");
       }},
      {"small peaks -> floors",
       [] {
         Profile p;
         p.resources.peak_processes = 1;
         p.resources.peak_threads = 1;
         p.resources.peak_rss_kb = 1500;
         p.resources.peak_fds = 4;
         return p;
       },
       [](const Views& v) {
         CHECK(has_flag(v.docker, "--pids-limit", "17"));  // peak + 16
         CHECK(has_flag(v.docker, "--memory", "64m"));     // floor
         CHECK(has_flag(v.docker, "--ulimit", "nofile=1024"));
         if (!v.yaml) return;
         CHECK(v.k8s["resources"]["limits"]["memory"] == "64Mi");
       }},
      {"no recorded peaks -> no limits", [] { return Profile{}; },
       [](const Views& v) {
         CHECK(count_word(v.docker, "--pids-limit") == 0);
         CHECK(count_word(v.docker, "--memory") == 0);
         CHECK(count_word(v.docker, "--ulimit") == 0);
         if (!v.yaml) return;
         CHECK_FALSE(json_has(v.compose, "pids_limit"));
         CHECK_FALSE(json_has(v.compose, "mem_limit"));
         CHECK_FALSE(json_has(v.k8s, "resources"));
       }},
  };
  for (const auto& row : rows) {
    SECTION(row.name) {
      Views v = emit_all(row.profile());
      row.check(v);
    }
  }
}

TEST_CASE("flags: the seccomp file, and the nnp-only variant's need for no-new-privileges",
          "[flags]") {
  if (!yaml_python()) warn_no_yaml();
  Profile p = with_exe("/usr/bin/su", true, false, false);
  FlagsOptions o;
  o.seccomp_file = "/etc/tailor/s.json";
  Views v = emit_all(p, o);
  for (const auto* argv : {&v.docker, &v.podman}) {
    CHECK(has_flag(*argv, "--security-opt", "seccomp=/etc/tailor/s.json"));
    CHECK(count_word(*argv, "no-new-privileges") == 0);  // su ran: left off
  }
  // The nnp-only variant cannot start a container without no-new-privileges: the flags carry it
  // whatever the profile says (the CLI refuses --nnp-only for this profile; the emitter stays
  // consistent with its options anyway).
  o.seccomp_nnp_only = true;
  Views w = emit_all(p, o);
  for (const auto* argv : {&w.docker, &w.podman})
    CHECK(has_flag(*argv, "--security-opt", "no-new-privileges"));
  CHECK(w.docker_text.find("It is the nnp-only variant (--nnp-only)") != std::string::npos);
  if (!w.yaml) return;
  CHECK(w.compose["security_opt"] ==
        json({"seccomp=/etc/tailor/s.json", "no-new-privileges:true"}));
  CHECK(w.k8s["securityContext"]["allowPrivilegeEscalation"] == false);
  CHECK(w.k8s["securityContext"]["seccompProfile"]["localhostProfile"] == "s.json");
}

TEST_CASE("flags: names and paths that need quoting survive", "[flags]") {
  Profile p;
  p.commands.insert({"/bin/app", "line1\nline2 # not a comment"});
  add_file(p, "/tmp/x", {"create"});
  FlagsOptions o;
  o.seccomp_file = "/etc/my profiles/it's #1.json";
  o.apparmor_name = "tailor app";
  o.image = "registry.example/app:1.0 $(reboot)";
  o.command = {"sh", "-c", "echo it's $HOME; true # not a comment", "", "tab\there", "yes", "--"};
  o.service = "web: api";
  Views v = emit_all(p, o);
  CHECK(has_flag(v.docker, "--security-opt", "seccomp=/etc/my profiles/it's #1.json"));
  CHECK(has_flag(v.docker, "--security-opt", "apparmor=tailor app"));
  CHECK(v.docker.back() == "--");
  // A newline in recorded argv must not end the comment and become a command.
  CHECK(v.docker_text.find("\nline2") == std::string::npos);
  if (!v.yaml) return;
  CHECK(v.compose["image"] == o.image);
  CHECK(v.compose["security_opt"][0] == "seccomp=/etc/my profiles/it's #1.json");
  CHECK(v.compose["security_opt"][1] == "apparmor=tailor app");
  CHECK(v.k8s["image"] == o.image);
  // Kubernetes wants the profile relative to the kubelet's seccomp dir: the file name.
  CHECK(v.k8s["securityContext"]["seccompProfile"]["localhostProfile"] == "it's #1.json");
  CHECK(v.k8s["securityContext"]["appArmorProfile"]["localhostProfile"] == "tailor app");
  // A name YAML 1.1 would read as a boolean stays a string (emit_all checks the names).
  o.service = "no";
  emit_all(p, o);
}

TEST_CASE("flags: golden files from hand-written profiles", "[flags]") {
  if (!yaml_python()) warn_no_yaml();
  for (const std::string name :
       {"flags_webserver", "flags_batch_root_nocaps", "flags_setuid_helper", "flags_empty"}) {
    SECTION(name) {
      Profile p = load_profile(golden_path("input/" + name + ".json"));
      FlagsOptions o;
      o.seccomp_file = "profiles/" + name + ".seccomp.json";
      if (name != "flags_empty") o.apparmor_name = "tailor-" + name;
      o.image = "example/" + name + ":latest";
      // A command recorded after the image (tailor record -- docker run IMAGE CMD...).
      if (name == "flags_webserver") o.command = {"serve", "--port", "8080"};
      // Valid shell / YAML first, so a broken golden can never be written.
      Views v = emit_all(p, o);
      const std::string base = "flags/" + name.substr(6);
      check_golden(base + ".docker.sh", v.docker_text);
      check_golden(base + ".podman.sh", v.podman_text);
      check_golden(base + ".compose.yaml", v.compose_text);
      check_golden(base + ".k8s.yaml", v.k8s_text);
      // Deterministic: the same profile gives the same bytes.
      o.format = FlagsFormat::kCompose;
      CHECK(emit_flags(p, o) == v.compose_text);
    }
  }
}

// A real recording: the emitter must agree with what the recorder saw, whatever the machine.
TEST_CASE("flags: from a real recording", "[flags]") {
  if (!yaml_python()) warn_no_yaml();
  TempDir t;
  auto rec = record({sample("tcp"), t.path()}, t / "tcp.json");
  REQUIRE(rec.run.status == 0);
  const Profile& p = rec.profile;
  FlagsOptions o;
  o.seccomp_file = t / "seccomp.json";
  Views v = emit_all(p, o);

  // tcp uses inet sockets, but only on 127.0.0.1: a container's own lo does, so no network.
  // Its listener was loopback only: nothing to publish (a published port cannot reach it).
  CHECK(has_flag(v.docker, "--network", "none"));
  CHECK(count_word(v.docker, "-p") == 0);
  CHECK(v.docker_text.find("It listened on 127.0.0.1:47123/tcp (loopback only)") !=
        std::string::npos);
  CHECK(has_flag(v.docker, "--cap-drop", "ALL"));
  CHECK(count_word(v.docker, "--cap-add") == p.capabilities.size());
  CHECK(has_flag(v.docker, "--security-opt", "no-new-privileges"));
  CHECK(has_flag(v.docker, "--security-opt", "seccomp=" + o.seccomp_file));
  // It bound a unix socket in the temp dir: that dir's area gets a tmpfs.
  if (t.path().rfind("/tmp/", 0) == 0) CHECK(has_flag(v.docker, "--tmpfs", "/tmp"));
  const bool as_root = p.process.uids.count(0) > 0;
  CHECK(as_root == (::geteuid() == 0));
  CHECK(has_flag(v.docker, "--user", "65534:65534") == (as_root && p.capabilities.empty()));
  // Limits from the recorded peaks, with the documented headroom.
  const auto tasks = std::max(p.resources.peak_threads, p.resources.peak_processes);
  REQUIRE(tasks >= 2);  // server and forked client
  CHECK(has_flag(v.docker, "--pids-limit", std::to_string(std::max(2 * tasks, tasks + 16))));
  REQUIRE(p.resources.peak_fds > 0);
  CHECK(has_flag(
      v.docker, "--ulimit",
      "nofile=" + std::to_string(std::max<std::uint64_t>(2 * p.resources.peak_fds, 1024))));
  REQUIRE(p.resources.peak_rss_kb > 0);
  CHECK(has_flag(v.docker, "--memory", "64m"));  // a small C program: the floor
  if (!v.yaml) return;
  CHECK(v.compose["pids_limit"] == std::max(2 * tasks, tasks + 16));
  CHECK(v.k8s["securityContext"]["allowPrivilegeEscalation"] == false);
  CHECK(v.k8s["securityContext"]["seccompProfile"]["localhostProfile"] == "seccomp.json");
}

TEST_CASE("flags: from a real recording needing capabilities", "[flags]") {
  if (::geteuid() != 0) {
    WARN("skipped: port80 binds port 80 and chowns, which needs root");
    return;
  }
  TempDir t;
  auto rec = record({sample("port80"), t.path()}, t / "port80.json");
  REQUIRE(rec.run.status == 0);
  REQUIRE(rec.profile.capabilities.count("CAP_NET_BIND_SERVICE"));
  Views v = emit_all(rec.profile);
  CHECK(has_flag(v.docker, "--cap-add", "NET_BIND_SERVICE"));
  CHECK(has_flag(v.docker, "--cap-add", "CHOWN"));
  CHECK(count_word(v.docker, "--user") == 0);      // the capabilities need root
  CHECK(has_flag(v.docker, "--network", "none"));  // its inet socket was bound on 127.0.0.1
  if (!v.yaml) return;
  CHECK(v.compose["cap_add"] == json({"CHOWN", "NET_BIND_SERVICE"}));
}

// The emitted podman command, run for real: podman must accept every flag, and inside the
// container each one must have the effect the comment promises. scripts/containers.sh holds this
// machine's podman recipe (private storage, ulimits podman can set). The seccomp file here allows
// everything: the generated filters are proven by the seccomp tests; this is about the flags.
TEST_CASE("flags: podman runs the emitted command", "[flags][podman]") {
  const std::string lib = std::string(TAILOR_SOURCE_DIR) + "/scripts/containers.sh";
  if (::geteuid() != 0 || run({"sh", "-c", "command -v podman"}, 30).status != 0 ||
      !std::filesystem::exists(lib)) {
    WARN(
        "skipped: needs root, podman and scripts/containers.sh (apt-get install podman crun "
        "busybox-static ...)");
    return;
  }
  TempDir t;
  write_file(t / "allow.json", R"({"defaultAction": "SCMP_ACT_ALLOW"})");
  FlagsOptions o;
  o.format = FlagsFormat::kPodman;
  o.seccomp_file = t / "allow.json";
  o.image = "localhost/tailor-flags:latest";

  // A: root, no capability, unix sockets only, wrote /tmp -> nobody, no network, tmpfs /tmp.
  Profile a;
  a.process.uids[0].add("/app");
  add_socket(a, "unix", "stream");
  add_file(a, "/tmp/app.sock", {"bind"});
  a.resources.peak_processes = 2;
  a.resources.peak_threads = 4;
  a.resources.peak_rss_kb = 2000;
  a.resources.peak_fds = 10;
  write_file(t / "a.sh", emit_flags(a, o));
  // B: root with CAP_NET_BIND_SERVICE, inet, ran a setuid program -> network, no nnp, /tmp ro.
  Profile b = with_exe("/bin/su", true, false, false);
  b.process.uids[0].add("/app");
  add_cap(b, "CAP_NET_BIND_SERVICE", "bind", "port 80");
  add_socket(b, "inet", "stream");
  // Real recordings always carry peaks; here they also keep podman from choosing a nofile limit
  // of its own that it cannot set on this machine.
  b.resources.peak_fds = 600;
  write_file(t / "b.sh", emit_flags(b, o));

  const std::string check =
      "echo uid=$(id -u); echo nofile=$(ulimit -n);"
      "touch /tmp/t 2>/dev/null && echo tmp=rw || echo tmp=ro;"
      "touch /etc/t 2>/dev/null && echo root=rw || echo root=ro;"
      "echo nnp=$(grep NoNewPrivs /proc/self/status | tr -dc 0-9);"
      "echo capeff=$(grep CapEff /proc/self/status | cut -f2);"
      "echo net=$(ls /sys/class/net | tr '\\n' ,);"
      "echo pids=$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max);"
      "echo mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null ||"
      " cat /sys/fs/cgroup/memory.max)";
  // podman() replaces the binary: the emitted argv runs unchanged, followed by the check command.
  // nproc: podman resets it to a value it cannot set here once any --ulimit is given.
  const std::string script =
      ". \"$1\"; D=\"$2\"; R=\"$3\"; shift 3\n"
      "ct_podman_setup \"$D\" && ct_rootfs \"$R\" && ct_podman_import \"$D\" \"$R\" tailor-flags "
      "|| { ct_podman_cleanup \"$D\"; exit 99; }\n"
      // containers.sh defaults to no network; a user-mode one (slirp4netns: a tap device in the
      // container, nothing on the host) shows whether the emitted flags keep the network.
      "sed -i 's/^netns = .*/netns = \"slirp4netns\"/' \"$D/containers.conf\"\n"
      "podman() { shift; ct_podman \"$D\" run --rm --ulimit nproc=32768:32768 \"$@\" /bin/sh -c "
      "\"$CHECK\"; }\n"
      "for f in \"$@\"; do echo \"== $f\"; . \"$f\" || echo \"status=$?\"; done\n"
      "ct_podman_cleanup \"$D\"\n";
  ::setenv("CHECK", check.c_str(), 1);
  auto r = run(
      {"bash", "-c", script, "sh", lib, t / "podman", t / "rootfs", t / "a.sh", t / "b.sh"}, 240);
  ::unsetenv("CHECK");
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  if (r.status == 99) {
    WARN("skipped: podman cannot run containers here: " << r.err);
    return;
  }
  REQUIRE(r.status == 0);
  std::map<std::string, std::map<std::string, std::string>> seen;  // a/b -> key -> value
  std::string section;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("== ", 0) == 0) {
      section = line.substr(line.size() - 4, 1);  // ".../a.sh" -> "a"
    } else if (auto eq = line.find('='); eq != std::string::npos) {
      seen[section][line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  auto& sa = seen["a"];
  CHECK_FALSE(sa.count("status"));
  CHECK(sa["uid"] == "65534");
  CHECK(sa["nofile"] == "1024");
  CHECK(sa["tmp"] == "rw");
  CHECK(sa["root"] == "ro");
  CHECK(sa["nnp"] == "1");
  CHECK(sa["capeff"] == "0000000000000000");
  CHECK(sa["net"] == "lo,");
  CHECK(sa["pids"] == "20");  // 4 tasks: max(8, 4 + 16)
  CHECK(sa["mem"] == std::to_string(64ull << 20));
  auto& sb = seen["b"];
  CHECK_FALSE(sb.count("status"));
  CHECK(sb["uid"] == "0");
  CHECK(sb["nofile"] == "1200");
  CHECK(sb["tmp"] == "ro");  // nothing written there: no tmpfs, and podman adds none of its own
  CHECK(sb["root"] == "ro");
  CHECK(sb["nnp"] == "0");
  CHECK(sb["capeff"] == "0000000000000400");  // CAP_NET_BIND_SERVICE = bit 10
  CHECK(sb["net"] != "lo,");
}
