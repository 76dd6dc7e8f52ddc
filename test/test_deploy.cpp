// The deployment readers (tailor/deploy.h): Compose (with an override file, anchors, `<<`
// merge keys, interpolation), Kubernetes manifests, real `docker inspect` output and run lines,
// read into one model with the line each setting came from; malformed input is a tailor::Error
// naming the file and line.
#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "containers_support.h"
#include "support.h"
#include "tailor/deploy.h"
#include "tailor/error.h"

using namespace tailor;

namespace {

std::string data_path(const std::string& name) {
  return std::string(TAILOR_SOURCE_DIR) + "/test/data/deploy/" + name;
}

DeployFile data_file(const std::string& name) {
  DeployFile f{name, test::read_text(data_path(name))};
  REQUIRE(!f.text.empty());
  return f;
}

const Workload& find(const Deployment& d, const std::string& name) {
  for (const Workload& w : d.workloads)
    if (w.name == name) return w;
  FAIL("no workload " << name);
  throw;
}

int line_of(const Workload& w, const std::string& field) {
  auto it = w.where.find(field);
  if (it == w.where.end()) FAIL(w.name << ": no location for " << field);
  return it->second.line;
}

const Mount* mount_at(const Workload& w, const std::string& target) {
  for (const Mount& m : w.mounts)
    if (m.target == target) return &m;
  return nullptr;
}

// The message of the tailor::Error `f` throws ("" if it throws none).
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    CHECK(e.code() == kExitUsage);
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("compose: one file, anchors, merge keys, interpolation", "[deploy]") {
  const std::map<std::string, std::string> env = {{"TAG", "2.1"}};
  DeployFile f = data_file("compose.yml");
  REQUIRE(sniff_deploy_kind(f) == DeployKind::kCompose);
  const Deployment d = read_compose({f}, env);
  REQUIRE(d.kind == DeployKind::kCompose);
  REQUIRE(d.workloads.size() == 4);
  CHECK(d.workloads[0].name == "web");
  CHECK(d.workloads[3].name == "worker");

  const Workload& web = find(d, "web");
  CHECK(web.service == "web");
  CHECK(web.at == SourceLoc{"compose.yml", 16, 3});
  CHECK(web.image == "nginx:1.25");
  // From the x-hardened anchor through `<<: [*hardened, *logging]`: located at the anchor.
  CHECK(web.cap_drop == std::set<std::string>{"ALL"});
  CHECK(line_of(web, "cap_drop ALL") == 6);
  CHECK(web.no_new_privileges == true);
  CHECK(line_of(web, "no_new_privileges") == 8);
  CHECK(web.read_only_rootfs == true);
  CHECK(line_of(web, "read_only_rootfs") == 9);
  CHECK(web.cap_add == std::set<std::string>{"NET_BIND_SERVICE", "CHOWN"});
  CHECK(line_of(web, "cap_add") == 19);
  CHECK(line_of(web, "cap_add NET_BIND_SERVICE") == 20);
  CHECK(line_of(web, "cap_add CHOWN") == 21);
  REQUIRE(web.ports.size() == 3);
  CHECK(web.ports[0].host_port == "80");
  CHECK(web.ports[0].container_port == 80);
  CHECK(web.ports[0].host_ip == "");
  CHECK(web.ports[1].host_ip == "127.0.0.1");
  CHECK(web.ports[1].host_port == "8443");
  CHECK(web.ports[1].container_port == 443);
  CHECK(web.ports[1].at.line == 24);
  CHECK(web.ports[2].container_port == 9000);
  CHECK(web.ports[2].protocol == "udp");
  CHECK(web.ports[2].host_ip == "0.0.0.0");
  const Mount* cache = mount_at(web, "/var/cache/nginx");
  REQUIRE(cache);
  CHECK(cache->type == "tmpfs");
  const Mount* conf = mount_at(web, "/etc/nginx/nginx.conf");
  REQUIRE(conf);
  CHECK(conf->type == "bind");
  CHECK(conf->source == "./nginx.conf");
  CHECK(conf->read_only);
  const Mount* html = mount_at(web, "/usr/share/nginx/html");
  REQUIRE(html);
  CHECK(html->type == "volume");
  CHECK(html->source == "static");
  CHECK(web.memory_bytes == 256u << 20);
  CHECK(line_of(web, "memory") == 35);
  CHECK(web.pids_limit == 100u);
  CHECK(!web.seccomp);
  CHECK(!web.privileged);

  const Workload& app = find(d, "app");
  CHECK(app.image == "ghcr.io/acme/shop:2.1");
  CHECK(app.user == "1000:1000");
  CHECK(app.entrypoint ==
        std::vector<std::string>{"/usr/local/bin/shop", "--config", "/etc/shop/shop.toml"});
  CHECK(app.command == std::vector<std::string>{"serve", "--port", "8080"});
  CHECK(app.seccomp == "./seccomp/shop.json");
  CHECK(line_of(app, "seccomp") == 44);
  CHECK(app.apparmor == "shop-profile");
  CHECK(app.memory_bytes == 512u << 20);
  CHECK(line_of(app, "memory") == 49);
  CHECK(app.cpus == 1.5);
  CHECK(line_of(app, "cpus") == 50);
  CHECK(app.pids_limit == 200u);
  CHECK(line_of(app, "pids_limit") == 51);
  CHECK(app.nofile_soft == 1024u);
  CHECK(app.nofile_hard == 4096u);
  CHECK(line_of(app, "nofile") == 53);
  const Mount* uploads = mount_at(app, "/data/uploads");
  REQUIRE(uploads);
  CHECK(uploads->type == "bind");
  CHECK(uploads->source == "/srv/shop/uploads");
  CHECK(!uploads->read_only);
  REQUIRE(mount_at(app, "/tmp"));
  CHECK(mount_at(app, "/tmp")->type == "tmpfs");

  const Workload& db = find(d, "db");
  CHECK(db.privileged == true);
  CHECK(line_of(db, "privileged") == 68);
  CHECK(db.network_mode == "host");
  CHECK(db.host_pid);
  CHECK(line_of(db, "host_pid") == 70);
  CHECK(db.devices == std::vector<std::string>{"/dev/fuse"});
  CHECK(db.nofile_soft == 65536u);
  CHECK(db.nofile_hard == 65536u);
  // Nothing about the pids limit: where_or falls back to the service entry.
  CHECK(db.where_or("pids_limit") == db.at);

  const Workload& worker = find(d, "worker");
  CHECK(worker.read_only_rootfs == false);  // explicit key wins over the merged one
  CHECK(line_of(worker, "read_only_rootfs") == 81);
  CHECK(worker.cap_drop == std::set<std::string>{"ALL"});
  CHECK(worker.cpus == 0.5);
  CHECK(worker.host_ipc);
  CHECK(worker.userns_mode == "host");
}

TEST_CASE("compose: an override file merged as docker compose merges it", "[deploy]") {
  const Deployment d = read_deployment(
      {data_file("compose.yml"), data_file("compose.override.yml")}, {{"TAG", "2.1"}});
  CHECK(d.files == std::vector<std::string>{"compose.yml", "compose.override.yml"});
  REQUIRE(d.workloads.size() == 5);
  const Workload& web = find(d, "web");
  CHECK(web.cap_add == std::set<std::string>{"NET_BIND_SERVICE", "CHOWN", "SYS_PTRACE"});
  CHECK(web.where.at("cap_add SYS_PTRACE") == SourceLoc{"compose.override.yml", 5, 9});
  CHECK(web.where.at("cap_add CHOWN").file == "compose.yml");
  CHECK(web.ports.size() == 4);
  CHECK(web.memory_bytes == 1u << 30);
  CHECK(web.where.at("memory") == SourceLoc{"compose.override.yml", 10, 5});
  CHECK(web.pids_limit == 100u);
  CHECK(web.where.at("pids_limit").file == "compose.yml");
  // Same target: the override's mount replaces the named volume.
  const Mount* html = mount_at(web, "/usr/share/nginx/html");
  REQUIRE(html);
  CHECK(html->type == "bind");
  CHECK(html->read_only);
  CHECK(html->at.file == "compose.override.yml");

  const Workload& app = find(d, "app");
  CHECK(app.seccomp == "unconfined");
  CHECK(app.where.at("seccomp") == SourceLoc{"compose.override.yml", 13, 9});
  CHECK(app.apparmor == "shop-profile");  // security_opt merged by option
  CHECK(app.user == "root");
  CHECK(app.where.at("user").line == 14);
  const Workload& debug = find(d, "debug");
  CHECK(debug.command == std::vector<std::string>{"sleep", "infinity"});
}

TEST_CASE("compose: interpolation", "[deploy]") {
  auto image = [](const std::string& value, const std::map<std::string, std::string>& env) {
    DeployFile f{"c.yml", "services:\n  s:\n    image: \"" + value + "\"\n"};
    return read_compose({f}, env).workloads.at(0).image;
  };
  CHECK(image("${A}", {{"A", "x"}}) == "x");
  CHECK(image("$A/b", {{"A", "x"}}) == "x/b");
  CHECK(image("${A}", {}) == "");
  CHECK(image("${A:-d}", {{"A", ""}}) == "d");
  CHECK(image("${A-d}", {{"A", ""}}) == "");
  CHECK(image("${A-d}", {}) == "d");
  CHECK(image("${A:-${B:-c}}", {}) == "c");
  CHECK(image("${A:+yes}", {{"A", "1"}}) == "yes");
  CHECK(image("$$A", {{"A", "x"}}) == "$A");
  CHECK(error_of([&] { image("${A:?need A}", {}); }) ==
        "c.yml:3: required variable A is missing a value: need A");
  CHECK(error_of([&] { image("${A", {}); }).rfind("c.yml:3: invalid interpolation", 0) == 0);
}

TEST_CASE("kubernetes: workloads, containers, pod and container securityContext", "[deploy]") {
  DeployFile f = data_file("k8s.yaml");
  REQUIRE(sniff_deploy_kind(f) == DeployKind::kKubernetes);
  const Deployment d = read_deployment({f});
  REQUIRE(d.kind == DeployKind::kKubernetes);
  std::vector<std::string> names;
  for (const Workload& w : d.workloads) names.push_back(w.name);
  CHECK(names == std::vector<std::string>{"Deployment/api: init migrate", "Deployment/api: app",
                                          "StatefulSet/db: postgres", "CronJob/backup: job",
                                          "Pod/debug: shell"});

  const Workload& init = find(d, "Deployment/api: init migrate");
  CHECK(init.init);
  CHECK(init.service == "migrate");
  CHECK(init.object == "Deployment/api");
  CHECK(init.at.line == 30);
  CHECK(init.entrypoint == std::vector<std::string>{"/app/migrate"});
  CHECK(init.command == std::vector<std::string>{"--up"});
  CHECK(init.user == "0:3000");  // the container's runAsUser, the pod's runAsGroup
  CHECK(line_of(init, "user") == 35);
  CHECK(init.run_as_non_root == false);
  CHECK(line_of(init, "run_as_non_root") == 36);
  CHECK(init.seccomp == "default");  // the pod's RuntimeDefault
  CHECK(line_of(init, "seccomp") == 27);
  CHECK(line_of(init, "pod_security_context") == 23);
  CHECK(line_of(init, "security_context") == 34);
  CHECK(init.automount_service_account_token == false);
  CHECK(line_of(init, "automount_service_account_token") == 22);
  CHECK(!init.apparmor);  // the annotation names the app container only

  const Workload& app = find(d, "Deployment/api: app");
  CHECK(!app.init);
  CHECK(app.user == "1000:3000");
  CHECK(line_of(app, "user") == 24);
  CHECK(app.run_as_non_root == true);
  CHECK(app.seccomp == "localhost/profiles/api.json");
  CHECK(line_of(app, "seccomp") == 51);
  CHECK(app.apparmor == "api-profile");
  CHECK(line_of(app, "apparmor") == 20);
  CHECK(app.no_new_privileges == true);
  CHECK(line_of(app, "no_new_privileges") == 46);
  CHECK(app.read_only_rootfs == true);
  CHECK(app.cap_drop == std::set<std::string>{"ALL"});
  CHECK(app.cap_add == std::set<std::string>{"NET_BIND_SERVICE"});
  CHECK(line_of(app, "cap_add") == 50);
  CHECK(app.memory_bytes == 256u << 20);
  CHECK(app.cpus == 0.5);
  CHECK(line_of(app, "memory") == 56);
  CHECK(line_of(app, "resources") == 54);
  REQUIRE(app.ports.size() == 2);
  CHECK(app.ports[0].host_port == "");
  CHECK(app.ports[0].container_port == 8080);
  CHECK(app.ports[1].host_port == "9090");
  CHECK(app.ports[1].protocol == "udp");
  REQUIRE(app.mounts.size() == 3);
  CHECK(app.mounts[0].type == "emptyDir");
  CHECK(app.mounts[1].type == "configMap");
  CHECK(app.mounts[1].source == "api-config");
  CHECK(app.mounts[1].read_only);
  CHECK(app.mounts[2].type == "tmpfs");
  CHECK(app.mounts[2].at.line == 64);
  CHECK(!app.privileged);
  CHECK(app.where_or("privileged").line == 45);  // in the container's securityContext

  const Workload& db = find(d, "StatefulSet/db: postgres");
  CHECK(db.seccomp == "default");  // the old pod annotation
  CHECK(line_of(db, "seccomp") == 93);
  CHECK(db.network_mode == "host");
  CHECK(line_of(db, "network_mode") == 95);
  CHECK(db.host_pid);
  CHECK(db.privileged == true);
  CHECK(db.cap_add == std::set<std::string>{"SYS_ADMIN"});
  CHECK(line_of(db, "cap_add SYS_ADMIN") == 104);
  REQUIRE(db.mounts.size() == 2);
  CHECK(db.mounts[0].type == "volume");
  CHECK(db.mounts[0].source == "db-data");
  CHECK(db.mounts[1].type == "bind");
  CHECK(db.mounts[1].source == "/var/log");
  CHECK(db.mounts[1].read_only);
  CHECK(!db.automount_service_account_token);

  const Workload& job = find(d, "CronJob/backup: job");
  CHECK(job.object == "CronJob/backup");
  CHECK(job.seccomp == "unconfined");
  CHECK(job.memory_bytes == 1000000000u);  // Kubernetes' G is decimal
  CHECK(job.entrypoint ==
        std::vector<std::string>{"/bin/sh", "-c", "pg_dump | gzip > /backup/db.gz"});

  const Workload& shell = find(d, "Pod/debug: shell");
  CHECK(shell.host_ipc);
  CHECK(shell.apparmor == "unconfined");
  CHECK(!shell.seccomp);
  // No securityContext at pod level: where_or climbs to the container entry.
  CHECK(shell.where_or("user") == shell.where.at("security_context"));
}

TEST_CASE("kubernetes: kind List and JSON from kubectl", "[deploy]") {
  DeployFile f{"list.json", R"({"apiVersion": "v1", "kind": "List", "items": [
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
     "spec": {"containers": [{"name": "c", "image": "busybox",
                              "securityContext": {"privileged": true}}]}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}]})"};
  REQUIRE(sniff_deploy_kind(f) == DeployKind::kKubernetes);
  const Deployment d = read_deployment({f});
  REQUIRE(d.workloads.size() == 1);
  CHECK(d.workloads[0].name == "Pod/p: c");
  CHECK(d.workloads[0].privileged == true);
  CHECK(d.workloads[0].where.at("privileged").line == 4);
}

TEST_CASE("inspect: real docker inspect output", "[deploy]") {
  DeployFile f = data_file("inspect.json");
  REQUIRE(sniff_deploy_kind(f) == DeployKind::kInspect);
  const Deployment d = read_deployment({f});
  REQUIRE(d.kind == DeployKind::kInspect);
  REQUIRE(d.workloads.size() == 3);

  const Workload& web = d.workloads[0];
  CHECK(web.name == "container web-1");
  CHECK(web.service == "web-1");
  CHECK(web.engine == "docker");
  CHECK(web.image == "bb:1");
  CHECK(web.command == std::vector<std::string>{"/bin/busybox", "sleep", "100"});
  CHECK(web.cap_add == std::set<std::string>{"NET_ADMIN"});
  CHECK(web.cap_drop == std::set<std::string>{"ALL"});
  CHECK(web.read_only_rootfs == true);
  CHECK(web.network_mode == "none");
  // Docker keeps the profile's content, not the file name.
  CHECK(web.seccomp == R"({"defaultAction":"SCMP_ACT_ALLOW"})");
  CHECK(web.no_new_privileges == true);
  CHECK(web.apparmor == "unconfined");
  CHECK(web.user == "1000:1000");
  CHECK(web.memory_bytes == 256u << 20);
  CHECK(web.pids_limit == 100u);
  CHECK(web.nofile_soft == 1024u);
  CHECK(web.nofile_hard == 2048u);
  CHECK(web.cpus == 1.5);
  CHECK(web.devices == std::vector<std::string>{"/dev/fuse"});
  REQUIRE(web.ports.size() == 1);
  CHECK(web.ports[0].host_ip == "127.0.0.1");
  CHECK(web.ports[0].host_port == "8080");
  CHECK(web.ports[0].container_port == 80);
  CHECK(web.ports[0].protocol == "udp");
  const Mount* data = mount_at(web, "/data");
  REQUIRE(data);
  CHECK(data->type == "bind");
  CHECK(data->source == "/tmp");
  CHECK(data->read_only);
  const Mount* vol = mount_at(web, "/vol");
  REQUIRE(vol);
  CHECK(vol->type == "volume");
  CHECK(vol->source == "vol1");
  const Mount* run = mount_at(web, "/run");
  REQUIRE(run);
  CHECK(run->type == "tmpfs");
  CHECK(web.at == SourceLoc{"inspect.json", 0, 0});

  const Workload& plain = d.workloads[1];
  CHECK(plain.name == "container plain");
  CHECK(!plain.network_mode);  // "default"
  CHECK(!plain.seccomp);
  CHECK(!plain.pids_limit);
  CHECK(!plain.memory_bytes);
  CHECK(plain.cap_add.empty());
  CHECK(!plain.user);

  const Workload& priv = d.workloads[2];
  CHECK(priv.privileged == true);
  CHECK(priv.network_mode == "host");
  CHECK(priv.host_pid);
  CHECK(priv.host_ipc);
  CHECK(priv.host_uts);
  CHECK(priv.seccomp == "unconfined");
  CHECK(priv.no_new_privileges == true);
  CHECK(priv.entrypoint == std::vector<std::string>{"/bin/busybox"});
  CHECK(priv.command == std::vector<std::string>{"sh", "-c", "echo hi"});
  REQUIRE(mount_at(priv, "/host-run"));
  CHECK(mount_at(priv, "/host-run")->type == "bind");
  CHECK(mount_at(priv, "/host-run")->source == "/var/run");
  REQUIRE(mount_at(priv, "/scratch"));
  CHECK(mount_at(priv, "/scratch")->type == "tmpfs");
  REQUIRE(mount_at(priv, "/cache"));

  // Real podman 4.3 output: Entrypoint a string, Ulimits named RLIMIT_*, Binds with options.
  DeployFile pf = data_file("podman-inspect.json");
  REQUIRE(sniff_deploy_kind(pf) == DeployKind::kInspect);
  const Deployment pd = read_deployment({pf});
  REQUIRE(pd.workloads.size() == 1);
  const Workload& api = pd.workloads[0];
  CHECK(api.name == "container api");
  CHECK(api.engine == "podman");
  CHECK(api.image == "localhost/bb:latest");
  CHECK(api.entrypoint.empty());
  CHECK(api.command == std::vector<std::string>{"/bin/sleep", "1"});
  CHECK(api.cap_add == std::set<std::string>{"NET_ADMIN", "SYS_TIME"});
  CHECK(api.cap_drop == std::set<std::string>{"CHOWN"});
  CHECK(api.read_only_rootfs == true);
  CHECK(api.seccomp == "unconfined");
  CHECK(api.no_new_privileges == true);
  CHECK(api.user == "1000");
  CHECK(api.network_mode == "none");
  CHECK(!api.host_pid);
  CHECK(api.pids_limit == 50u);
  CHECK(api.memory_bytes == 128u << 20);
  CHECK(api.cpus == 0.5);
  CHECK(api.nofile_soft == 100u);
  CHECK(api.nofile_hard == 200u);
  const Mount* pdata = mount_at(api, "/data");
  REQUIRE(pdata);
  CHECK(pdata->type == "bind");
  CHECK(pdata->source == "/tmp");
  CHECK(pdata->read_only);
  REQUIRE(mount_at(api, "/run"));
  CHECK(mount_at(api, "/run")->type == "tmpfs");

  // podman's inspect has the same HostConfig, plus fields of its own.
  DeployFile pod{"p.json", R"({"Id": "abc", "Name": "db", "OCIRuntime": "crun",
                 "HostConfig": {"CapAdd": ["CAP_SYS_ADMIN"], "PidsLimit": 2048}})"};
  const Deployment p = read_inspect(pod);
  REQUIRE(p.workloads.size() == 1);
  CHECK(p.workloads[0].engine == "podman");
  CHECK(p.workloads[0].cap_add == std::set<std::string>{"SYS_ADMIN"});
  CHECK(p.workloads[0].pids_limit == 2048u);
}

TEST_CASE("run lines", "[deploy]") {
  struct Case {
    std::vector<std::string> argv;
    std::function<void(const Workload&)> check;
  };
  const std::vector<Case> cases = {
      {{"docker", "run", "--rm", "-it", "nginx:1.25"},
       [](const Workload& w) {
         CHECK(w.name == "docker run");
         CHECK(w.service == "nginx");
         CHECK(w.engine == "docker");
         CHECK(w.image == "nginx:1.25");
         CHECK(!w.privileged);
         CHECK(w.where.empty());
       }},
      {{"podman", "container", "run", "--privileged", "--name=web", "--cap-add",
        "NET_ADMIN,sys_time", "--cap-drop=ALL", "registry.io:5000/org/app:1@sha256:00", "serve",
        "-v"},
       [](const Workload& w) {
         CHECK(w.engine == "podman");
         CHECK(w.service == "web");
         CHECK(w.privileged == true);
         CHECK(w.cap_add == std::set<std::string>{"NET_ADMIN", "SYS_TIME"});
         CHECK(w.cap_drop == std::set<std::string>{"ALL"});
         CHECK(w.where.at("cap_add SYS_TIME") == SourceLoc{"", 0, 6});
         CHECK(w.image == "registry.io:5000/org/app:1@sha256:00");
         CHECK(w.command == std::vector<std::string>{"serve", "-v"});
       }},
      {{"docker", "run", "--security-opt", "seccomp=/etc/p.json",
        "--security-opt=no-new-privileges", "--security-opt", "apparmor=unconfined", "-u", "1000",
        "--read-only", "app"},
       [](const Workload& w) {
         CHECK(w.service == "app");
         CHECK(w.seccomp == "/etc/p.json");
         CHECK(w.where.at("seccomp").column == 3);
         CHECK(w.no_new_privileges == true);
         CHECK(w.apparmor == "unconfined");
         CHECK(w.user == "1000");
         CHECK(w.read_only_rootfs == true);
       }},
      {{"docker", "run", "--network", "host", "--pid=host", "--ipc", "host", "--uts=host",
        "--userns", "host", "busybox"},
       [](const Workload& w) {
         CHECK(w.network_mode == "host");
         CHECK(w.host_pid);
         CHECK(w.host_ipc);
         CHECK(w.host_uts);
         CHECK(w.userns_mode == "host");
       }},
      {{"docker", "run", "-v", "/srv:/data:ro", "-vcache:/cache", "--mount",
        "type=bind,src=/etc,dst=/host-etc,readonly", "--tmpfs", "/run:size=1m", "--device",
        "/dev/fuse", "busybox"},
       [](const Workload& w) {
         REQUIRE(w.mounts.size() == 4);
         CHECK(w.mounts[0].type == "bind");
         CHECK(w.mounts[0].read_only);
         CHECK(w.mounts[1].type == "volume");
         CHECK(w.mounts[1].source == "cache");
         CHECK(w.mounts[2].source == "/etc");
         CHECK(w.mounts[2].target == "/host-etc");
         CHECK(w.mounts[2].read_only);
         CHECK(w.mounts[3].type == "tmpfs");
         CHECK(w.devices == std::vector<std::string>{"/dev/fuse"});
       }},
      {{"docker", "run", "-p", "127.0.0.1:8080:80/udp", "-p8081:81", "--publish=82", "-m", "512m",
        "--pids-limit", "100", "--ulimit", "nofile=1024:2048", "--cpus=0.5", "--entrypoint",
        "/bin/sh", "busybox", "-c", "true"},
       [](const Workload& w) {
         REQUIRE(w.ports.size() == 3);
         CHECK(w.ports[0].host_ip == "127.0.0.1");
         CHECK(w.ports[0].host_port == "8080");
         CHECK(w.ports[0].protocol == "udp");
         CHECK(w.ports[1].host_port == "8081");
         CHECK(w.ports[1].container_port == 81);
         CHECK(w.ports[2].host_port == "0");  // an ephemeral port
         CHECK(w.ports[2].container_port == 82);
         CHECK(w.memory_bytes == 512u << 20);
         CHECK(w.pids_limit == 100u);
         CHECK(w.nofile_soft == 1024u);
         CHECK(w.nofile_hard == 2048u);
         CHECK(w.cpus == 0.5);
         CHECK(w.entrypoint == std::vector<std::string>{"/bin/sh"});
         CHECK(w.command == std::vector<std::string>{"-c", "true"});
       }},
      {{"docker", "run", "-m", "0", "--pids-limit=-1", "--cpus", "0", "busybox"},
       [](const Workload& w) {
         // "No limit" written out: unset, and where it was said.
         CHECK(!w.memory_bytes);
         CHECK(!w.pids_limit);
         CHECK(!w.cpus);
         CHECK(w.where.at("memory").column == 3);
         CHECK(w.where.at("pids_limit").column == 5);
       }},
  };
  for (const Case& c : cases) {
    INFO(c.argv.size() << " words, image or name " << c.argv.back());
    const Deployment d = read_run_line(c.argv);
    CHECK(d.kind == DeployKind::kRunLine);
    CHECK(d.argv == c.argv);
    REQUIRE(d.workloads.size() == 1);
    c.check(d.workloads[0]);
  }
  CHECK(error_of([] { read_run_line({"docker", "ps"}); }) != "");
  CHECK(error_of([] { read_run_line({"runc", "run", "x"}); }) != "");
  CHECK(error_of([] {
          read_run_line({"docker", "run", "-m", "lots", "x"});
        }) == "run line: -m lots: not a size");
  CHECK(error_of([] {
          read_run_line({"docker", "run", "--security-opt", "seccomp=", "x"});
        }) != "");
}

TEST_CASE("parse_memory_bytes", "[deploy]") {
  CHECK(parse_memory_bytes("512m") == 512u << 20);
  CHECK(parse_memory_bytes("1g") == 1u << 30);
  CHECK(parse_memory_bytes("1GiB") == 1u << 30);
  CHECK(parse_memory_bytes("256Mi") == 256u << 20);
  CHECK(parse_memory_bytes("1.5G") == 3u << 29);
  CHECK(parse_memory_bytes("1000000") == 1000000u);
  CHECK(parse_memory_bytes("100k") == 102400u);
  CHECK(parse_memory_bytes("512mb") == 512u << 20);
  CHECK(!parse_memory_bytes(""));
  CHECK(!parse_memory_bytes("m"));
  CHECK(!parse_memory_bytes("12x"));
  CHECK(!parse_memory_bytes("-1"));
  CHECK(!parse_memory_bytes("99999999999999999999999e"));
  CHECK(!parse_memory_bytes("100000000000000000000"));
  CHECK(!parse_memory_bytes("1.2.3m"));
}

TEST_CASE("malformed deployment files: one error naming file and line", "[deploy]") {
  struct Case {
    std::string text, error;
  };
  const std::vector<Case> compose = {
      {"services:\n  web:\n    image: [a\n", "c.yml:4: "},
      {"services:\n  - web\n", "c.yml:1: services: expected a mapping"},
      {"services:\n  web: 3\n", "c.yml:2: service web: expected a mapping"},
      {"services:\n  web:\n    privileged: maybe\n", "c.yml:3: privileged: expected true or false"},
      {"services:\n  web:\n    cap_add: NET_ADMIN\n", "c.yml:3: cap_add: expected a list"},
      {"services:\n  web:\n    mem_limit: lots\n", "c.yml:3: mem_limit: not a size: lots"},
      {"services:\n  web:\n    pids_limit: 99999999999999999999\n",
       "c.yml:3: pids_limit: expected an integer"},
      {"services:\n  web:\n    ports:\n      - \"a:b\"\n", "c.yml:4: ports: not a port: a:b"},
      {"services:\n  web:\n    security_opt: [\"seccomp=\"]\n", "c.yml:3: security_opt"},
      {"services:\n  web:\n    <<: 3\n", "c.yml:3: <<: expected a mapping"},
      {"services:\n  web:\n    image: a\n    image: b\n", "c.yml:4: duplicate key image"},
      {"services:\n  web:\n    ? [a]\n    : b\n", "c.yml:3: a mapping key is not a string"},
      {"- a\n", "c.yml:1: a Compose file is a mapping"},
      {"a: &x [*x]\nservices: {}\n", "c.yml:"},
      // yaml-cpp 0.7 alone would loop for ever, allocating, on these (found by fuzz_deploy).
      {"\"\",", "c.yml:1: unexpected text after a value"},
      {"services: {}\n---\n[1]\n,\n", "c.yml:4: unexpected text after a value"},
  };
  for (const Case& c : compose) {
    INFO(c.text);
    const std::string e = error_of([&] { read_compose({{"c.yml", c.text}}); });
    CHECK(e.rfind(c.error, 0) == 0);
    CHECK(e.find('\n') == std::string::npos);
  }
  const std::vector<Case> kube = {
      {"apiVersion: v1\nkind: Pod\nspec:\n  containers: {}\n",
       "k.yml:4: containers: expected a list"},
      {"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - image: x\n",
       "k.yml:5: container without a name"},
      {"apiVersion: v1\nkind: Pod\nspec:\n  hostPID: 2\n  containers: [{name: a}]\n",
       "k.yml:4: hostPID: expected true or false"},
      {"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a\n      resources:\n"
       "        limits: {memory: 12x}\n",
       "k.yml:7: memory: not a quantity"},
      {"apiVersion: v1\nkind: Pod\nspec:\n  securityContext:\n    seccompProfile: {type: Odd}\n"
       "  containers: [{name: a}]\n",
       "k.yml:5: seccompProfile: unknown type Odd"},
      {"---\napiVersion: v1\nkind: Pod\n---\n- 1\n", "k.yml:5: expected a Kubernetes object"},
      {"apiVersion: v1\nkind: Pod\nspec: {containers: [{name: a}]}\n\t- x\n", "k.yml:"},
  };
  for (const Case& c : kube) {
    INFO(c.text);
    const std::string e = error_of([&] { read_kubernetes({"k.yml", c.text}); });
    CHECK(e.rfind(c.error, 0) == 0);
  }
  const std::vector<Case> inspect = {
      {"[{\"Id\": \"a\",\n \"HostConfig\": {\"Memory\": }}]", "i.json:2: invalid JSON"},
      {"[{\"Id\": \"a\", \"Name\": \"/w\", \"HostConfig\": {\"Memory\": \"1g\"}}]",
       "i.json: container w: Memory: expected an integer"},
      {"[{\"Id\": \"a\", \"HostConfig\": {\"CapAdd\": \"ALL\"}}]", "i.json: container a: CapAdd"},
      {"[1]", "i.json: expected an array of container objects"},
      // Found by fuzz_deploy: nlohmann throws out_of_range, not parse_error, for this.
      {"[{\"Id\": 7e999, \"HostConfig\": {}}]", "i.json: invalid JSON"},
      {"\"x\"", "i.json:1: expected docker/podman inspect output"},
  };
  for (const Case& c : inspect) {
    INFO(c.text);
    const std::string e = error_of([&] { read_inspect({"i.json", c.text}); });
    CHECK(e.rfind(c.error, 0) == 0);
  }
  CHECK(error_of([] {
          sniff_deploy_kind({"x.txt", "hello: world\n"});
        }).rfind("x.txt: not a Compose file", 0) == 0);
  CHECK(error_of([] { read_deployment({}); }) != "");
}

TEST_CASE("aliases cannot blow up: nesting and expansion are bounded", "[deploy]") {
  // "Billion laughs": each level doubles the nodes an expansion would make.
  std::string text = "x-a0: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n";
  for (int i = 1; i < 30; ++i)
    text += "x-a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" +
            std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + "]\n";
  text += "services: {}\n";
  CHECK(error_of([&] {
          read_compose({{"c.yml", text}});
        }).find("too many nodes") != std::string::npos);
  std::string deep = "services: " + std::string(500, '[') + std::string(500, ']') + "\n";
  CHECK(error_of([&] { read_compose({{"c.yml", deep}}); }).rfind("c.yml:1: ", 0) == 0);
  // Deeper than yaml-cpp's own recursion limit, in YAML and in JSON.
  const std::string deeper(100000, '[');
  for (const std::string& in : {deeper, "services: " + deeper, "[{\"Id\": " + deeper}) {
    CHECK(error_of([&] { read_deployment({{"d.yml", in}}); }).rfind("d.yml", 0) == 0);
    CHECK(error_of([&] { read_inspect({"d.json", in}); }).rfind("d.json", 0) == 0);
    CHECK(error_of([&] { read_kubernetes({"d.yml", in}); }).rfind("d.yml", 0) == 0);
  }
}

// The same options read from a `docker run` line and from what a real Docker engine made of
// them (`docker create` with those options, then `docker inspect`): one model either way.
TEST_CASE("a run line and the real docker inspect of its container read the same",
          "[deploy][containers][docker]") {
  if (!test::can_run_containers()) return;
  if (!test::have("dockerd") || !test::have("docker") || !test::have("iptables")) {
    WARN("SKIPPED: dockerd, docker and iptables are needed (apt-get install docker.io)");
    return;
  }
  test::TempDir t;
  test::write_file(t / "s.json", R"({"defaultAction":"SCMP_ACT_ALLOW"})");
  // Docker rejects `--cap-add A,B` ("unknown capability: CAP_A,B"); podman takes lists.
  // clang-format off
  const std::vector<std::string> opts = {
      "--name", "web-1", "--cap-add", "NET_ADMIN", "--cap-add=sys_time", "--cap-drop=ALL",
      "--read-only", "--security-opt", "no-new-privileges",
      "--security-opt", "seccomp=" + (t / "s.json"), "-u", "1000:1000", "--network", "none",
      "--pids-limit", "100", "-m", "256m", "--cpus", "1.5", "--ulimit", "nofile=1024:2048",
      "-v", "/tmp:/data:ro", "--tmpfs", "/run:size=1m", "--device", "/dev/null:/dev/xnull",
      "-p", "127.0.0.1:8080:80/udp", "--pid", "host",
      "deploy-bb:1", "/bin/sleep", "1"};
  // clang-format on
  REQUIRE(test::ct("ct_rootfs \"$1\"", {t / "rootfs"}).status == 0);
  std::vector<std::string> args = {t / "docker", t / "rootfs"};
  args.insert(args.end(), opts.begin(), opts.end());
  const auto r = test::in_private_ns(t, "inspect", R"sh(W="$1" R="$2"; shift 2
if ! ct_dockerd_start "$W"; then
  echo "dockerd did not start:"; tail -5 "$W/dockerd.log"; ct_dockerd_stop "$W"; exit 99
fi
tar -C "$R" -cf "$W/r.tar" . && docker import "$W/r.tar" deploy-bb:1 >/dev/null &&
  id=$(docker create "$@") && docker inspect "$id" >"$W/inspect.json"
status=$?
ct_dockerd_stop "$W"
exit $status
)sh",
                                     args);
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  if (r.status == 99) {
    WARN("SKIPPED: the Docker engine cannot start here: " << r.out);
    return;
  }
  REQUIRE(r.status == 0);
  const Deployment inspected =
      read_deployment({{"inspect.json", test::read_text(t / "docker/inspect.json")}});
  std::vector<std::string> argv = {"docker", "run"};
  argv.insert(argv.end(), opts.begin(), opts.end());
  const Deployment line = read_run_line(argv);
  REQUIRE(inspected.workloads.size() == 1);
  const Workload& a = inspected.workloads[0];
  const Workload& b = line.workloads[0];
  CHECK(a.engine == "docker");
  CHECK(a.service == b.service);
  CHECK(a.image == b.image);
  CHECK(a.command == b.command);
  CHECK(a.cap_add == b.cap_add);
  CHECK(a.cap_drop == b.cap_drop);
  CHECK(a.read_only_rootfs == b.read_only_rootfs);
  CHECK(a.no_new_privileges == b.no_new_privileges);
  CHECK(a.seccomp == R"({"defaultAction":"SCMP_ACT_ALLOW"})");  // inspect: the content
  CHECK(b.seccomp == t / "s.json");                             // a run line: the path
  CHECK(a.user == b.user);
  CHECK(a.network_mode == b.network_mode);
  CHECK(a.host_pid == b.host_pid);
  CHECK(a.pids_limit == b.pids_limit);
  CHECK(a.memory_bytes == b.memory_bytes);
  CHECK(a.cpus == b.cpus);
  CHECK(a.nofile_soft == b.nofile_soft);
  CHECK(a.nofile_hard == b.nofile_hard);
  CHECK(a.devices == b.devices);
  REQUIRE(a.ports.size() == b.ports.size());
  for (std::size_t i = 0; i < a.ports.size(); ++i) {
    CHECK(a.ports[i].host_ip == b.ports[i].host_ip);
    CHECK(a.ports[i].host_port == b.ports[i].host_port);
    CHECK(a.ports[i].container_port == b.ports[i].container_port);
    CHECK(a.ports[i].protocol == b.ports[i].protocol);
  }
  auto mounts = [](const Workload& w) {
    std::set<std::tuple<std::string, std::string, std::string, bool>> out;
    for (const Mount& m : w.mounts) out.emplace(m.type, m.source, m.target, m.read_only);
    return out;
  };
  CHECK(mounts(a) == mounts(b));
}
