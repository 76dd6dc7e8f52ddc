// `tailor harden` (emitters/harden.cpp): the user's Compose file, Kubernetes manifest or run line
// tightened to a recorded profile. Outputs are checked the way their consumers read them: the
// Compose override merged with its base by the real docker-compose (`config`), manifests loaded
// by PyYAML, run lines split by bash. The real engines run in test_harden_engines below.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "containers_support.h"
#include "support.h"
#include "tailor/audit.h"
#include "tailor/deploy.h"
#include "tailor/diff.h"
#include "tailor/emitters.h"
#include "tailor/profile_json.h"

using namespace tailor;
using namespace tailor::test;
using nlohmann::json;

namespace {

void put(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

bool have_pyyaml() {
  static const bool yes = run({"python3", "-c", "import yaml"}, 30).status == 0;
  return yes;
}

// Every document of a YAML text as JSON (PyYAML safe_load_all).
json yaml_docs(const std::string& text) {
  TempDir t;
  put(t / "in.yaml", text);
  auto r = run({"python3", "-c",
                "import sys, json, yaml\n"
                "json.dump(list(yaml.safe_load_all(open(sys.argv[1]))), sys.stdout)",
                t / "in.yaml"},
               30);
  INFO("YAML:\n" << text << "\nparser: " << r.err);
  REQUIRE(r.status == 0);
  return json::parse(r.out);
}

// The words bash makes of one line.
std::vector<std::string> words(const std::string& line) {
  auto r = run({"bash", "-c", "eval \"set -- $1\"; printf '%s\\n' \"$@\"", "sh", line}, 30);
  REQUIRE(r.status == 0);
  std::vector<std::string> out;
  std::string w;
  for (char c : r.out) {
    if (c == '\n') {
      out.push_back(w);
      w.clear();
    } else {
      w += c;
    }
  }
  return out;
}

bool has_pair(const std::vector<std::string>& v, const std::string& a, const std::string& b) {
  for (std::size_t i = 0; i + 1 < v.size(); ++i)
    if (v[i] == a && v[i + 1] == b) return true;
  return false;
}
std::string notes_of(const HardenResult& r) {
  std::string all;
  for (const auto& n : r.notes) all += n + "\n";
  return all;
}
bool has_note(const HardenResult& r, const std::string& part) {
  return std::any_of(r.notes.begin(), r.notes.end(),
                     [&](const std::string& n) { return n.find(part) != std::string::npos; });
}
bool contains(const json& list, const std::string& v) {
  if (!list.is_array()) return false;
  return std::find(list.begin(), list.end(), json(v)) != list.end();
}

// A web server: root, NET_BIND_SERVICE, listens on 0.0.0.0:80, writes /tmp and /srv/data.
Profile web_profile() {
  Profile p;
  p.capabilities["CAP_NET_BIND_SERVICE"].reasons.insert({"bind", "inet port 80"});
  p.process.uids[0].add("/bin/app");
  p.process.gids[0].add("/bin/app");
  p.process.executables["/bin/app"];
  for (const char* f : {"/tmp/web/cache.bin", "/srv/data/state.db"}) {
    p.files[f].access = {"write", "create"};
    p.files[f].succeeded = true;
  }
  p.sockets[{"inet", "stream", 6}].add("/bin/app");
  p.endpoints[{"bind", "inet", "0.0.0.0", 80}].add("/bin/app");
  p.endpoints[{"listen", "inet", "0.0.0.0", 80}].add("/bin/app");
  p.resources = {2, 3, 10000, 20, 1.0};
  p.commands.insert({"/bin/app", "--port", "80"});
  return p;
}

// A worker: root but no capability (so nobody will do), unix sockets only, writes /run.
Profile worker_profile() {
  Profile p;
  p.process.uids[0].add("/bin/worker");
  p.process.executables["/bin/worker"];
  p.files["/run/worker.pid"].access = {"write", "create"};
  p.files["/run/worker.pid"].succeeded = true;
  p.sockets[{"unix", "stream", 0}].add("/bin/worker");
  p.resources = {1, 10, 5000, 8, 1.0};
  p.commands.insert({"/bin/worker"});
  return p;
}

SourceLoc at(int line) {
  return {"compose.yml", line, 5};
}

// The base Compose file and the Deployment the reader makes of it (built by hand here; the
// reader's own tests check that it reads it so).
const char* kCompose = R"(x-common: &common
  restart: "no"
  logging: {driver: json-file}
services:
  web:
    <<: *common
    image: busybox:1.36
    command: ["/bin/app", "--port", "80"]
    ports: ["8080:80"]
    cap_add: [SYS_ADMIN, NET_BIND_SERVICE]
    cap_drop: [NET_BIND_SERVICE]
    security_opt: ["seccomp=unconfined"]
    privileged: true
    volumes: ["./html:/srv/html:ro"]
    mem_limit: 1g
  worker:
    <<: *common
    image: busybox:1.36
    user: root
    read_only: true
    pids_limit: 4
  db:
    image: postgres:16
    networks: [back]
  api:
    image: busybox:1.36
    networks: [back]
networks:
  back: {}
)";

Deployment compose_deployment() {
  Deployment d;
  d.kind = DeployKind::kCompose;
  d.files = {"compose.yml"};
  Workload web;
  web.name = web.service = "web";
  web.image = "busybox:1.36";
  web.at = at(5);
  web.privileged = true;
  web.where["privileged"] = at(13);
  web.cap_add = {"SYS_ADMIN", "NET_BIND_SERVICE"};
  web.where["cap_add"] = at(10);
  web.where["cap_add SYS_ADMIN"] = at(10);
  web.where["cap_add NET_BIND_SERVICE"] = at(10);
  web.cap_drop = {"NET_BIND_SERVICE"};
  web.where["cap_drop"] = at(11);
  web.seccomp = "unconfined";
  web.where["seccomp"] = at(12);
  web.mounts.push_back({"bind", "./html", "/srv/html", true, at(14)});
  web.ports.push_back({"", "8080", 80, "tcp", at(9)});
  web.memory_bytes = 1ull << 30;
  web.where["memory"] = at(15);
  Workload worker;
  worker.name = worker.service = "worker";
  worker.image = "busybox:1.36";
  worker.at = at(16);
  worker.user = "root";
  worker.where["user"] = at(19);
  worker.read_only_rootfs = true;
  worker.where["read_only_rootfs"] = at(20);
  worker.pids_limit = 4;
  worker.where["pids_limit"] = at(21);
  Workload db;
  db.name = db.service = "db";
  db.image = "postgres:16";
  // `networks: [back]`: the model has no network mode for it; harden reads the file's text
  Workload api = db;
  api.name = api.service = "api";
  api.image = "busybox:1.36";
  d.workloads = {web, worker, db, api};
  return d;
}

AuditInput compose_input() {
  AuditInput in;
  in.deployment = compose_deployment();
  in.profiles.push_back({"web.json", "web", web_profile()});
  in.profiles.push_back({"worker.json", "worker", worker_profile()});
  in.profiles.push_back({"api.json", "api", worker_profile()});
  return in;
}

// `docker-compose -f compose.yml -f compose.tailor.yml config` as JSON: what Compose will run.
std::optional<json> compose_config(const TempDir& t, const std::string& base,
                                   const std::string& override_text) {
  put(t / "compose.yml", base);
  put(t / "compose.tailor.yml", override_text);
  auto r = run({"docker-compose", "--project-directory", t.path(), "-f", t / "compose.yml", "-f",
                t / "compose.tailor.yml", "config"},
               60);
  INFO("override:\n" << override_text << "\ndocker-compose: " << r.err);
  REQUIRE(r.status == 0);
  return yaml_docs(r.out).at(0);
}

}  // namespace

TEST_CASE("harden: format names", "[harden]") {
  CHECK(harden_format_from_name("auto") == HardenFormat::kAuto);
  CHECK(harden_format_from_name("override") == HardenFormat::kOverride);
  CHECK(harden_format_from_name("manifest") == HardenFormat::kManifest);
  CHECK(harden_format_from_name("kustomize") == HardenFormat::kKustomize);
  CHECK(harden_format_from_name("run") == HardenFormat::kRunLine);
  CHECK_FALSE(harden_format_from_name("yaml"));
  AuditInput in = compose_input();
  HardenOptions o;
  o.format = HardenFormat::kManifest;
  CHECK_THROWS_AS(harden(in, o), Error);
}

TEST_CASE("harden: Compose override, merged by the real docker-compose", "[harden]") {
  if (!have("docker-compose") || !have_pyyaml()) {
    WARN("SKIPPED: docker-compose or python3-yaml is not installed");
    return;
  }
  TempDir t;
  put(t / "seccomp-web.json", R"({"defaultAction": "SCMP_ACT_ERRNO"})");
  put(t / "seccomp-worker.json", R"({"defaultAction": "SCMP_ACT_ERRNO"})");
  AuditInput in = compose_input();
  HardenOptions o;
  o.seccomp_files = {{"web", t / "seccomp-web.json"}, {"worker", t / "seccomp-worker.json"}};
  o.sources = {{"compose.yml", kCompose}};
  const HardenResult r = harden(in, o);
  const HardeningPlan web_plan = hardening_plan(web_profile());
  const HardeningPlan worker_plan = hardening_plan(worker_profile());
  auto merged = compose_config(t, kCompose, r.text);
  INFO(r.text);
  const json& web = (*merged)["services"]["web"];
  const json& worker = (*merged)["services"]["worker"];
  const json& db = (*merged)["services"]["db"];

  // web: what generate says, in the user's file
  CHECK(web["cap_drop"].size() == 2);
  CHECK(contains(web["cap_drop"], "ALL"));
  CHECK(contains(web["cap_add"], "NET_BIND_SERVICE"));
  CHECK(web["privileged"] == false);
  CHECK(web["read_only"] == true);
  CHECK(contains(web["tmpfs"], "/tmp"));
  bool data_volume = false;
  for (const auto& v : web["volumes"])
    if (v.is_string() && v.get<std::string>().find(":/srv/data") != std::string::npos)
      data_volume = true;
  CHECK(data_volume);
  CHECK(merged->at("volumes").contains(web_plan.volume_names.at("/srv/data")));
  CHECK(web["pids_limit"] == web_plan.pids);
  CHECK(web["mem_limit"] == std::to_string(web_plan.memory_mib) + "m");  // 1g was looser
  CHECK(web["ulimits"]["nofile"]["soft"] == web_plan.nofile);
  CHECK_FALSE(web.contains("network_mode"));  // it listens on 0.0.0.0:80
  CHECK_FALSE(web.contains("user"));          // it exercised a capability as root
  bool seccomp = false, nnp = false;
  for (const auto& s : web["security_opt"]) {
    if (s.get<std::string>().find("seccomp-web.json") != std::string::npos) seccomp = true;
    if (s == "no-new-privileges:true") nnp = true;
  }
  CHECK(seccomp);
  CHECK(nnp);
  // ...and what an override cannot take away is a note pointing at the line
  CHECK(contains(web["cap_add"], "SYS_ADMIN"));
  CHECK(has_note(r, "compose.yml:10: web: cap_add SYS_ADMIN"));
  CHECK(has_note(r, "compose.yml:12: web: security_opt seccomp=unconfined"));
  CHECK(has_note(r, "compose.yml:11: web: cap_drop NET_BIND_SERVICE: the app needs it"));
  CHECK_FALSE(has_note(r, "web: cap_add NET_BIND_SERVICE"));

  // worker: ran as root without capabilities, unix sockets only
  CHECK(worker["user"] == "65534:65534");
  CHECK(worker["network_mode"] == "none");
  CHECK(worker["read_only"] == true);
  CHECK(contains(worker["tmpfs"], "/run"));
  CHECK(worker["pids_limit"] == worker_plan.pids);  // 4 was below the peak of 10 tasks
  CHECK(has_note(r, "compose.yml:21: worker: pids_limit 4 is below the recorded peak"));
  CHECK(has_note(r, "compose.yml:20: worker: read_only without a writable /run"));
  CHECK_FALSE(worker.contains("cap_add"));

  // api: on a network of its own; Compose refuses network_mode beside networks
  const json& api = (*merged)["services"]["api"];
  CHECK_FALSE(api.contains("network_mode"));
  CHECK(has_note(r, "api: networks: the app used no network"));

  // db: no profile, untouched
  CHECK_FALSE(db.contains("cap_drop"));
  CHECK_FALSE(db.contains("read_only"));
  CHECK(r.text.find("\n  db:") == std::string::npos);

  // Every setting says why, on its line or above it.
  CHECK(r.text.find("- ALL") != std::string::npos);
  CHECK(r.text.find("# start from no capabilities") != std::string::npos);
  CHECK(r.text.find("# exercised: bind inet port 80") != std::string::npos);
}

TEST_CASE("harden: Compose keeps what is tighter and enough, and loosens only with a note",
          "[harden]") {
  AuditInput in;
  in.deployment.kind = DeployKind::kCompose;
  in.deployment.files = {"compose.yml"};
  Workload w;
  w.name = w.service = "worker";
  w.at = at(2);
  w.user = "1000:1000";  // non-root already
  w.pids_limit = 12;     // tighter than the plan (26), above the peak (10)
  w.memory_bytes = 32ull << 20;
  w.where["memory"] = at(7);
  w.read_only_rootfs = true;
  w.mounts.push_back({"tmpfs", "", "/run", false, at(8)});
  w.no_new_privileges = true;
  w.network_mode = "none";
  in.deployment.workloads = {w};
  in.profiles.push_back({"w.json", "", worker_profile()});
  const HardenResult r = harden(in, {});
  INFO(r.text);
  INFO("notes:\n" << notes_of(r));
  CHECK(r.text.find("user:") == std::string::npos);
  CHECK(r.text.find("pids_limit") == std::string::npos);
  CHECK(r.text.find("network_mode") == std::string::npos);
  CHECK(r.text.find("read_only") == std::string::npos);
  CHECK(r.text.find("tmpfs:") == std::string::npos);  // /run is mounted already
  // 32 MiB is above the 5000 kB peak: kept
  CHECK(r.text.find("mem_limit") == std::string::npos);

  // An app that ran as uid 1000 gets that user where the base names none.
  Profile as_user = worker_profile();
  as_user.process.uids.clear();
  as_user.process.uids[1000].add("/bin/worker");
  as_user.process.gids[1000].add("/bin/worker");
  AuditInput user_in = in;
  user_in.deployment.workloads[0].user.reset();
  user_in.profiles[0].profile = as_user;
  CHECK(harden(user_in, {}).text.find("user: \"1000:1000\"") != std::string::npos);

  // A memory limit below the peak is raised, and said.
  in.deployment.workloads[0].memory_bytes = 1u << 20;
  const HardenResult raised = harden(in, {});
  CHECK(raised.text.find("mem_limit: \"64m\"") != std::string::npos);
  CHECK(has_note(raised, "compose.yml:7: worker: memory limit 1 MiB is below the recorded peak"));

  // no-new-privileges breaks an app that ran a setuid program: said, as the override cannot
  // remove it.
  Profile setuid = worker_profile();
  setuid.process.executables["/bin/ping"].setuid = true;
  in.profiles[0].profile = setuid;
  const HardenResult nnp = harden(in, {});
  CHECK(nnp.text.find("no-new-privileges:true") == std::string::npos);
  CHECK(has_note(nnp, "no-new-privileges: the app ran /bin/ping (setuid)"));
}

TEST_CASE("harden: docker and podman run lines keep the user's words", "[harden]") {
  AuditInput in;
  in.deployment.kind = DeployKind::kRunLine;
  in.deployment.argv = {"docker",
                        "run",
                        "--rm",
                        "--name",
                        "web",
                        "--privileged",
                        "--cap-add",
                        "SYS_ADMIN",
                        "--cap-add=NET_BIND_SERVICE",
                        "--security-opt",
                        "seccomp=unconfined",
                        "-v",
                        "/srv/html:/srv/html:ro",
                        "-p",
                        "8080:80",
                        "-e",
                        "GREETING=hello world",
                        "--memory",
                        "2g",
                        "--entrypoint",
                        "/bin/app",
                        "busybox:1.36",
                        "--port",
                        "80"};
  in.deployment.workloads.push_back({});
  in.deployment.workloads[0].service = "busybox";
  in.profiles.push_back({"web.json", "web", web_profile()});
  HardenOptions o;
  o.seccomp_files = {{"busybox", "/etc/tailor/seccomp web.json"}};
  const HardenResult r = harden(in, o);
  INFO(r.text);
  INFO("notes:\n" << notes_of(r));
  REQUIRE(std::count(r.text.begin(), r.text.end(), '\n') == 1);
  const auto v = words(r.text);
  const HardeningPlan plan = hardening_plan(web_profile());
  CHECK(v.at(0) == "docker");
  CHECK(v.at(1) == "run");
  CHECK(std::vector<std::string>(v.end() - 3, v.end()) ==
        std::vector<std::string>{"busybox:1.36", "--port", "80"});
  CHECK(has_pair(v, "--name", "web"));
  CHECK(has_pair(v, "-v", "/srv/html:/srv/html:ro"));
  CHECK(has_pair(v, "-p", "8080:80"));
  CHECK(has_pair(v, "-e", "GREETING=hello world"));
  CHECK(has_pair(v, "--entrypoint", "/bin/app"));
  CHECK(std::count(v.begin(), v.end(), "--privileged") == 0);
  CHECK(std::count(v.begin(), v.end(), "SYS_ADMIN") == 0);
  CHECK(std::count(v.begin(), v.end(), "seccomp=unconfined") == 0);
  CHECK(has_pair(v, "--cap-drop", "ALL"));
  CHECK(has_pair(v, "--cap-add", "NET_BIND_SERVICE"));
  CHECK(has_pair(v, "--security-opt", "seccomp=/etc/tailor/seccomp web.json"));
  CHECK(has_pair(v, "--security-opt", "no-new-privileges"));
  CHECK(std::count(v.begin(), v.end(), "--read-only") == 1);
  CHECK(has_pair(v, "--tmpfs", "/tmp"));
  CHECK(has_pair(v, "-v", plan.volume_names.at("/srv/data") + ":/srv/data"));
  CHECK(has_pair(v, "--memory", std::to_string(plan.memory_mib) + "m"));
  CHECK(has_pair(v, "--pids-limit", std::to_string(plan.pids)));
  CHECK(has_pair(v, "--ulimit", "nofile=" + std::to_string(plan.nofile)));
  CHECK(std::count(v.begin(), v.end(), "--network") == 0);  // it needs one; the default stays
  CHECK(has_note(r, "--privileged removed"));
  CHECK(has_note(r, "--cap-add SYS_ADMIN removed"));

  // podman, and an app that needs no network and no root
  in.deployment.argv = {"podman", "run",     "--rm", "-it", "--network=host", "-u",
                        "0",      "busybox", "sh",   "-c",  "echo 'hi there'"};
  in.profiles[0].profile = worker_profile();
  const HardenResult p = harden(in, {});
  const auto pv = words(p.text);
  CHECK(pv.at(0) == "podman");
  CHECK(std::vector<std::string>(pv.end() - 4, pv.end()) ==
        std::vector<std::string>{"busybox", "sh", "-c", "echo 'hi there'"});
  CHECK(has_pair(pv, "--network", "none"));
  CHECK(std::count(pv.begin(), pv.end(), "--network=host") == 0);
  CHECK(has_pair(pv, "--user", "65534:65534"));
  CHECK(std::count(pv.begin(), pv.end(), "0") == 0);
  CHECK(std::count(pv.begin(), pv.end(), "--read-only-tmpfs=false") == 1);
  CHECK(std::count(pv.begin(), pv.end(), "-it") == 1);
  CHECK(has_note(p, "--network host replaced by none"));
}

namespace {

// A realistic manifest: a Deployment with an init container and a sidecar, a Service, a
// CronJob, and an anchor shared by two documents' labels.
const char* kManifest = R"(# the shop's web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  labels: &labels {app: shop, tier: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop}
    spec:
      initContainers:
        - name: migrate
          image: shop:1.4
          command: ["/bin/migrate"]
      containers:
        - name: web
          image: shop:1.4
          ports:
            - containerPort: 80
          securityContext:
            privileged: true
            capabilities:
              add: [NET_ADMIN, SYS_ADMIN]
          resources:
            requests: {cpu: 100m}
            limits: {cpu: 500m, memory: 2Gi}
          volumeMounts:
            - name: html
              mountPath: /srv/html
              readOnly: true
        - name: log-shipper
          image: fluent-bit:3
      volumes:
        - name: html
          configMap: {name: html}
---
apiVersion: v1
kind: Service
metadata:
  name: shop
spec:
  selector: {app: shop}
  ports:
    - port: 80
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: cleanup
  namespace: shop
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          hostNetwork: true
          hostPID: true
          containers:
            - name: worker
              image: shop-worker:1.4
)";

AuditInput k8s_input() {
  AuditInput in;
  in.deployment.kind = DeployKind::kKubernetes;
  in.deployment.files = {"shop.yaml"};
  in.profiles.push_back({"web.json", "web", web_profile()});
  in.profiles.push_back({"worker.json", "worker", worker_profile()});
  return in;
}

}  // namespace

TEST_CASE("harden: Kubernetes manifest, everything else kept", "[harden]") {
  if (!have_pyyaml()) {
    WARN("SKIPPED: python3-yaml is not installed");
    return;
  }
  AuditInput in = k8s_input();
  HardenOptions o;
  o.sources = {{"shop.yaml", kManifest}};
  o.seccomp_files = {{"web", "/tmp/out/seccomp-web.json"}, {"worker", "seccomp-worker.json"}};
  const HardenResult r = harden(in, o);
  INFO(r.text);
  INFO("notes:\n" << notes_of(r));
  const json before = yaml_docs(kManifest), after = yaml_docs(r.text);
  REQUIRE(after.size() == 3);
  CHECK(after[1] == before[1]);  // the Service
  CHECK(after[0]["spec"]["replicas"] == 2);
  CHECK(after[0]["metadata"]["labels"] == before[0]["metadata"]["labels"]);
  const json& pod = after[0]["spec"]["template"]["spec"];
  const json& web = pod["containers"][0];
  CHECK(web["name"] == "web");
  const json& sc = web["securityContext"];
  CHECK(sc["capabilities"]["drop"] == json::array({"ALL"}));
  CHECK(sc["capabilities"]["add"] == json::array({"NET_BIND_SERVICE"}));
  CHECK(sc["privileged"] == false);
  CHECK(sc["allowPrivilegeEscalation"] == false);
  CHECK(sc["readOnlyRootFilesystem"] == true);
  CHECK_FALSE(sc.contains("runAsUser"));  // it exercised a capability as root
  // The sidecar and the init container have no profile: the pod-level seccomp profile would
  // apply to them too, so web's is its own.
  CHECK(sc["seccompProfile"] ==
        json({{"type", "Localhost"}, {"localhostProfile", "seccomp-web.json"}}));
  CHECK_FALSE(pod.contains("securityContext"));
  CHECK(pod["containers"][1] == before[0]["spec"]["template"]["spec"]["containers"][1]);
  CHECK(pod["initContainers"] == before[0]["spec"]["template"]["spec"]["initContainers"]);
  const HardeningPlan plan = hardening_plan(web_profile());
  CHECK(web["resources"]["limits"]["memory"] == std::to_string(plan.memory_mib) + "Mi");
  CHECK(web["resources"]["limits"]["cpu"] == "500m");
  CHECK(web["resources"]["requests"]["cpu"] == "100m");
  // /tmp and /srv/data get emptyDirs; /srv/html keeps its configMap.
  std::map<std::string, std::string> mounts;
  for (const auto& m : web["volumeMounts"]) mounts[m["mountPath"]] = m["name"];
  REQUIRE(mounts.count("/tmp"));
  REQUIRE(mounts.count("/srv/data"));
  CHECK(mounts["/srv/html"] == "html");
  std::map<std::string, json> vols;
  for (const auto& v : pod["volumes"]) vols[v["name"]] = v;
  CHECK(vols[mounts["/tmp"]]["emptyDir"]["medium"] == "Memory");
  CHECK(vols[mounts["/srv/data"]].contains("emptyDir"));
  CHECK(vols["html"]["configMap"]["name"] == "html");
  CHECK(has_note(r, "shop.yaml:27: Deployment/shop: web: capabilities.add NET_ADMIN removed"));
  CHECK(has_note(r, "comments in the manifest are not kept"));

  // The CronJob's one container: pod-level seccomp, nobody, its own limits.
  const json& cpod = after[2]["spec"]["jobTemplate"]["spec"]["template"]["spec"];
  CHECK(cpod["restartPolicy"] == "Never");
  CHECK(cpod["hostNetwork"] == false);  // the worker used unix sockets only
  CHECK(cpod["hostPID"] == true);
  CHECK(has_note(r, "CronJob/cleanup: hostNetwork: true set to false"));
  CHECK(has_note(r, "CronJob/cleanup: hostPID: true kept"));
  CHECK(cpod["securityContext"]["seccompProfile"]["localhostProfile"] == "seccomp-worker.json");
  const json& wsc = cpod["containers"][0]["securityContext"];
  CHECK(wsc["runAsUser"] == 65534);
  CHECK(wsc["runAsNonRoot"] == true);
  CHECK_FALSE(wsc["capabilities"].contains("add"));
  CHECK_FALSE(wsc.contains("seccompProfile"));

  // kustomize: one strategic-merge patch per object hardened
  o.format = HardenFormat::kKustomize;
  const HardenResult k = harden(in, o);
  INFO(k.text);
  const json patches = yaml_docs(k.text);
  REQUIRE(patches.size() == 2);
  CHECK(patches[0]["kind"] == "Deployment");
  CHECK(patches[0]["metadata"]["name"] == "shop");
  const json& pc = patches[0]["spec"]["template"]["spec"]["containers"];
  REQUIRE(pc.size() == 1);  // only what changed: the sidecar is not named
  CHECK(pc[0]["name"] == "web");
  CHECK(pc[0]["securityContext"] == sc);
  CHECK(pc[0]["volumeMounts"].size() == 2);
  CHECK(patches[0]["spec"]["template"]["spec"]["volumes"].size() == 2);
  CHECK(patches[1]["kind"] == "CronJob");
  CHECK(patches[1]["metadata"]["namespace"] == "shop");
  CHECK(patches[1]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["securityContext"]
               ["seccompProfile"]["type"] == "Localhost");
}

TEST_CASE("harden: kubectl kustomize applies the patch and gets the hardened manifest",
          "[harden]") {
  if (!have("kubectl") || !have_pyyaml()) {
    WARN("SKIPPED: kubectl (kustomize) or python3-yaml is not installed");
    return;
  }
  TempDir t;
  put(t / "shop.yaml", kManifest);
  put(t / "kustomization.yaml", "resources:\n- shop.yaml\npatches:\n- path: patch.yaml\n");
  AuditInput in = k8s_input();
  HardenOptions o;
  o.sources = {{"shop.yaml", kManifest}};
  o.seccomp_files = {{"web", "seccomp-web.json"}, {"worker", "seccomp-worker.json"}};
  o.format = HardenFormat::kKustomize;
  put(t / "patch.yaml", harden(in, o).text);
  o.format = HardenFormat::kManifest;
  const std::string manifest = harden(in, o).text;
  auto k = run({"kubectl", "kustomize", t.path()}, 60);
  INFO("patch:\n" << slurp(t / "patch.yaml") << "kustomize: " << k.err);
  REQUIRE(k.status == 0);
  // Strategic merge puts the patch's list entries first; name-keyed lists compare as sets.
  auto by_kind = [](const json& docs) {
    std::map<std::string, json> out;
    std::function<void(json&)> norm = [&](json& j) {
      if (j.is_object()) {
        for (auto& [key, v] : j.items()) norm(v);
      } else if (j.is_array()) {
        for (auto& v : j) norm(v);
        if (!j.empty() && j[0].is_object() && j[0].contains("name"))
          std::sort(j.begin(), j.end(), [](const json& a, const json& b) {
            return a.value("name", "") < b.value("name", "");
          });
      }
    };
    for (json d : docs) {
      norm(d);
      out[d["kind"].get<std::string>() + "/" + d["metadata"]["name"].get<std::string>()] = d;
    }
    return out;
  };
  const auto built = by_kind(yaml_docs(k.out)), want = by_kind(yaml_docs(manifest));
  REQUIRE(built.size() == want.size());
  for (const auto& [name, doc] : want) {
    INFO(name);
    CHECK(built.at(name) == doc);
  }
}

// What harden fixes in every deployment kind; each may stay only where harden's notes say why.
const std::set<std::string> kFixed = {"TL101", "TL103", "TL104", "TL105", "TL107", "TL109", "TL118",
                                      "TL202", "TL203", "TL205", "TL207", "TL208", "TL209", "TL210",
                                      "TL211", "TL212", "TL213", "TL214", "TL215"};

// ---- real engines -------------------------------------------------------------------------------

namespace {

// Skips (WARN, false) unless this machine can record a container and run Compose.
bool can_run_engines() {
  if (!can_run_printed_lines()) return false;
  if (const auto& why = bpf_unavailable(); !why.empty()) {
    WARN("SKIPPED: recording a container needs the bpf backend: " << why);
    return false;
  }
  return true;
}

RunResult engines(const TempDir& t, const std::string& phase, double timeout = 150) {
  return in_private_ns(t, "harden-" + phase,
                       ". \"" + std::string(TAILOR_SOURCE_DIR) + "/test/harden_engines.sh\"\n",
                       {t.path(), tailor_bin(), phase}, timeout);
}

// The project the test hardens: the recorded app with more than it needs (SYS_ADMIN, no
// seccomp option, writable root, root user, no limits), and a sidecar without a profile.
const char* kEngineCompose = R"(# an app and its sidecar, as a team might have written them
services:
  app:
    image: tailor-hd-app
    command: ["/bin/app", "/data"]
    privileged: false
    cap_add:
      - SYS_ADMIN
    restart: "no"
  sidecar:
    image: tailor-hd-app
    command: ["sh", "-c", "echo sidecar ok"]
    network_mode: none
)";

// The Pod the test hardens for podman kube play.
const char* kEnginePod = R"(apiVersion: v1
kind: Pod
metadata:
  name: shop
spec:
  restartPolicy: Never
  containers:
    - name: app
      image: localhost/tailor-hd-app:latest
      command: ["/bin/app", "/data"]
      securityContext:
        capabilities:
          add: [SYS_ADMIN, NET_ADMIN]
)";

}  // namespace

TEST_CASE("harden: a recorded app runs from its hardened Compose project and Pod",
          "[harden][containers]") {
  if (!can_run_engines()) return;
  if (!have("docker-compose") || !have("podman") || !have_pyyaml()) {
    WARN("SKIPPED: docker-compose, podman or python3-yaml is not installed");
    return;
  }
  TempDir t;
  auto root = ct(
      "ct_rootfs \"$1\" && ct_add_program \"$1\" \"$2\" /bin/app && chown 65534:65534 \"$1/data\"",
      {t / "rootfs", sample("fileio")});
  REQUIRE(root.status == 0);
  auto rec = engines(t, "record");
  INFO("record: " << rec.out << rec.err << slurp(t / "record.err"));
  if (rec.status == 99) {
    WARN("SKIPPED: " << rec.out);
    return;
  }
  REQUIRE(field(rec.out, "record-status=") == "0");
  const Profile p = load_profile(t / "app.json");
  const HardeningPlan plan = hardening_plan(p);
  Profile broken = p;
  broken.syscalls["x86_64"].erase("mkdirat");
  put(t / "seccomp-broken.json", emit_seccomp_docker(broken, {}));

  {  // Compose: docker-compose up with the override (not a SECTION: one recording for both)
    put(t / "compose.yml", kEngineCompose);
    auto h = run(
        {tailor_bin(), "harden", t / "app.json", t / "compose.yml", "-o", t / "compose.tailor.yml"},
        60);
    INFO("override:\n" << slurp(t / "compose.tailor.yml") << "stderr:\n" << h.err);
    REQUIRE(h.status == 0);
    CHECK(h.err.find("compose.yml:8: app: cap_add SYS_ADMIN: the app never used it") !=
          std::string::npos);
    CHECK(h.err.find("sidecar: no profile: left as it is") != std::string::npos);
    REQUIRE(std::filesystem::exists(t / "seccomp-app.json"));  // next to the override
    // `tailor audit` of the project as it will run (base + override): of what harden fixes,
    // only what an override cannot remove is left (SYS_ADMIN: the note above names the line),
    // and root, which the app needs (it exercised DAC_OVERRIDE as root).
    auto audited = run({tailor_bin(), "audit", "--format", "json", "--fail-on", "none", "--profile",
                        "app=" + t / "app.json", "--", t / "compose.yml", t / "compose.tailor.yml"},
                       60);
    INFO("audit: " << audited.out << audited.err);
    REQUIRE(audited.status == 0);
    // Named: a range-for over a member of a temporary would read freed memory.
    const auto report = json::parse(audited.out);
    for (const auto& f : report["findings"]) {
      if (f["workload"] != "app") continue;
      const std::string rule = f["rule"];
      INFO(rule << " " << f["message"]);
      if (rule == "TL102" || rule == "TL201") {
        const std::string msg = f["message"];
        CHECK((msg.find("SYS_ADMIN") != std::string::npos ||
               (rule == "TL102" && msg.find("DAC_OVERRIDE") != std::string::npos)));
        continue;
      }
      CHECK_FALSE(kFixed.count(rule));
      CHECK((rule != "TL108" || plan.ran_as_root));
    }
    // The run line, hardened the same way, runs in the same engine.
    auto line = run({tailor_bin(), "harden", t / "app.json", "-o", t / "run.sh", "--", "docker",
                     "run", "--name", "tlr-run", "--privileged", "--cap-add", "SYS_ADMIN",
                     "--security-opt", "seccomp=unconfined", "tailor-hd-app", "/bin/app", "/data"},
                    60);
    INFO("run line: " << slurp(t / "run.sh") << line.err);
    REQUIRE(line.status == 0);
    auto up = engines(t, "compose");
    INFO("compose: " << up.out << up.err << slurp(t / "up-hardened.out"));
    REQUIRE(up.status == 0);
    CHECK(field(up.out, "up-hardened-status=") == "0");
    CHECK(field(up.out, "app-hardened-exit=") == "0");
    CHECK(field(up.out, "sidecar-hardened-exit=") == "0");
    CHECK(field(up.out, "wrote=") == "d");  // fileio's d.txt, in the override's /data volume
    const json app = json::parse(slurp(t / "app-hardened.json")).at(0);
    const json& hc = app["HostConfig"];
    CHECK(hc["CapDrop"] == json::array({"ALL"}));
    // What the app needs, and SYS_ADMIN, which the override cannot take away (the note above)
    for (const auto& [cap, why] : plan.caps) CHECK(contains(hc["CapAdd"], cap));
    CHECK(contains(hc["CapAdd"], "SYS_ADMIN"));
    CHECK(hc["Privileged"] == false);
    CHECK(hc["ReadonlyRootfs"] == true);
    CHECK(hc["NetworkMode"] == "none");
    CHECK(hc["PidsLimit"] == plan.pids);
    CHECK(hc["Memory"] == plan.memory_mib * 1024 * 1024);
    CHECK(hc["Ulimits"][0]["Name"] == "nofile");
    CHECK(hc["Ulimits"][0]["Soft"] == plan.nofile);
    bool seccomp = false, nnp = false;
    for (const auto& s : hc["SecurityOpt"]) {
      const std::string v = s.get<std::string>();
      // docker-compose 1.29 passes the file's content: the profile harden wrote
      if (v.rfind("seccomp=", 0) == 0 && v.find("SCMP_ACT_") != std::string::npos) seccomp = true;
      if (v == "no-new-privileges:true") nnp = true;
    }
    CHECK(seccomp);
    CHECK(nnp == plan.nnp);
    const json side = json::parse(slurp(t / "sidecar-hardened.json")).at(0);
    CHECK(side["HostConfig"]["CapDrop"].is_null());
    CHECK(side["HostConfig"]["ReadonlyRootfs"] == false);
    // The seccomp profile in force is the one the override names: without mkdirat, the app
    // fails (fileio exits 1 on the refused call).
    CHECK(field(up.out, "up-broken-status=") == "0");
    CHECK(field(up.out, "app-broken-exit=") != "0");
    CHECK(field(up.out, "sidecar-broken-exit=") == "0");
    // The hardened run line, as printed
    CHECK(field(up.out, "run-line-status=") == "0");
    const json rl = json::parse(slurp(t / "run-line.json")).at(0);
    CHECK(rl["HostConfig"]["Privileged"] == false);
    CHECK(rl["HostConfig"]["CapDrop"] == json::array({"ALL"}));
    CHECK_FALSE(contains(rl["HostConfig"]["CapAdd"], "SYS_ADMIN"));
    CHECK(rl["HostConfig"]["ReadonlyRootfs"] == true);
    CHECK(rl["HostConfig"]["NetworkMode"] == "none");
  }

  {  // Kubernetes: podman kube play of the hardened Pod
    put(t / "pod.yaml", kEnginePod);
    std::filesystem::create_directories(t / "kubelet-seccomp");
    auto h = run({tailor_bin(), "harden", t / "app.json", t / "pod.yaml", "-o",
                  t / "pod.hardened.yaml", "--seccomp-dir", t / "kubelet-seccomp"},
                 60);
    const std::string hardened = slurp(t / "pod.hardened.yaml");
    INFO("manifest:\n" << hardened << "stderr:\n" << h.err);
    REQUIRE(h.status == 0);
    REQUIRE(std::filesystem::exists(t / "kubelet-seccomp/seccomp-app.json"));
    // The same Pod with the seccomp annotation that podman 4.3 reads (and a kubelet before 1.27
    // required to equal the field).
    std::string annotated = hardened;
    const std::string meta = "metadata:\n  name: shop\n";
    REQUIRE(annotated.find(meta) != std::string::npos);
    annotated.replace(annotated.find(meta), meta.size(),
                      meta +
                          "  annotations:\n    seccomp.security.alpha.kubernetes.io/pod: "
                          "localhost/seccomp-app.json\n");
    put(t / "pod.annotated.yaml", annotated);
    auto play = engines(t, "kube");
    INFO("kube: " << play.out << play.err << slurp(t / "play-hardened.out")
                  << slurp(t / "kube-hardened.log"));
    if (play.status == 99) {
      WARN("SKIPPED: podman: " << play.out);
      return;
    }
    REQUIRE(play.status == 0);
    CHECK(field(play.out, "play-hardened-status=") == "0");
    CHECK(field(play.out, "kube-hardened-exit=") == "0");
    const json c = json::parse(slurp(t / "kube-hardened.json")).at(0);
    const json& hc = c["HostConfig"];
    // podman turns drop ALL + add into the default set minus what is not added
    CHECK(hc["CapAdd"].empty());
    for (const char* cap : {"CAP_CHOWN", "CAP_NET_RAW", "CAP_SETUID", "CAP_SYS_CHROOT"})
      CHECK(contains(hc["CapDrop"], cap));
    for (const auto& [cap, why] : plan.caps) CHECK_FALSE(contains(hc["CapDrop"], "CAP_" + cap));
    CHECK(hc["ReadonlyRootfs"] == true);
    CHECK(hc["Memory"] == plan.memory_mib * 1024 * 1024);
    CHECK(contains(hc["SecurityOpt"], "no-new-privileges") == plan.nnp);
    // podman 4.3.1 reads the Localhost profile from the seccomp annotations only, not from
    // securityContext.seccompProfile: the hardened Pod runs under podman's default profile
    // (the profile missing mkdirat changes nothing), which this test states rather than hides.
    // The same Pod with the equivalent annotation proves the profile file itself: the app runs
    // under it, and fails without mkdirat.
    if (field(play.out, "kube-hardened-broken-exit=") == "0")
      WARN(
          "NOT PROVEN here: securityContext.seccompProfile (Localhost): podman "
          "kube play 4.3 ignores the field (it reads the seccomp annotations); proven with the "
          "equivalent annotation instead");
    CHECK(field(play.out, "kube-annotated-exit=") == "0");
    CHECK(field(play.out, "kube-annotated-broken-exit=") != "0");
    WARN(
        "NOT PROVEN here: the emptyDir medium and the kubelet's seccomp directory on a node "
        "(podman runs the Pod, not a kubelet)");
  }
}

// ---- audit agrees
// --------------------------------------------------------------------------------

namespace {

// Rule ids of audit's findings, by workload name.
std::map<std::string, std::set<std::string>> rules_by_workload(const AuditResult& r) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& f : r.findings) out[f.workload].insert(f.rule);
  return out;
}

std::string findings_text(const AuditResult& r) {
  std::string s;
  for (const auto& f : r.findings)
    s += f.rule + " " + f.workload + ": " + f.message + " (" + f.at.file + ":" +
         std::to_string(f.at.line) + ")\n";
  return s;
}

// The seccomp surfaces of the files a deployment names, read as `tailor audit` reads them.
void add_seccomp_surfaces(AuditInput& in, const std::set<std::string>& caps) {
  for (const auto& w : in.deployment.workloads) {
    if (!w.seccomp || (*w.seccomp)[0] != '/') continue;
    const ProfileOrPolicy p = load_profile_or_policy(*w.seccomp);
    REQUIRE(p.policy);
    in.seccomp_files[*w.seccomp] = surface_from_seccomp(*p.policy, caps);
  }
}

}  // namespace

TEST_CASE("harden: tailor audit of the hardened Compose project finds nothing harden fixes",
          "[harden]") {
  TempDir t;
  put(t / "compose.yml", kCompose);
  // The files harden names, written as the CLI writes them.
  put(t / "seccomp-web.json", emit_seccomp_docker(web_profile(), {}));
  put(t / "seccomp-worker.json", emit_seccomp_docker(worker_profile(), {}));
  put(t / "seccomp-api.json", emit_seccomp_docker(worker_profile(), {}));
  AuditInput before;
  before.deployment = read_compose({{t / "compose.yml", kCompose}});
  before.profiles = compose_input().profiles;
  const AuditResult a = audit(before);
  INFO("before:\n" << findings_text(a));

  HardenOptions o;
  o.seccomp_files = {{"web", t / "seccomp-web.json"},
                     {"worker", t / "seccomp-worker.json"},
                     {"api", t / "seccomp-api.json"}};
  o.sources = {{t / "compose.yml", kCompose}};
  const HardenResult h = harden(before, o);
  INFO("override:\n" << h.text << "notes:\n" << notes_of(h));

  AuditInput after;
  after.deployment =
      read_compose({{t / "compose.yml", kCompose}, {t / "compose.tailor.yml", h.text}});
  after.profiles = before.profiles;
  add_seccomp_surfaces(after, {"CAP_NET_BIND_SERVICE"});
  const AuditResult b = audit(after);
  INFO("after:\n" << findings_text(b));
  auto was = rules_by_workload(a), is = rules_by_workload(b);
  CHECK(was["web"].count("TL101"));  // the base is as risky as it looks
  CHECK(was["worker"].count("TL212"));
  for (const std::string w : {"web", "worker", "api"}) {
    for (const auto& rule : is[w]) {
      INFO(w << " " << rule);
      // web: SYS_ADMIN and seccomp=unconfined stay in the base (Compose unions them): the notes
      // name the lines to delete. web needs root (NET_BIND_SERVICE exercised as root).
      if (w == "web" && (rule == "TL102" || rule == "TL201")) {
        CHECK(has_note(h, "web: cap_add SYS_ADMIN"));
        continue;
      }
      if (w == "web" && rule == "TL104") {
        CHECK(has_note(h, "web: security_opt seccomp=unconfined"));
        continue;
      }
      if (w == "web" && rule == "TL108") continue;
      // api is on a network of its own that an override cannot leave (network_mode refused)
      if (w == "api" && rule == "TL209") {
        CHECK(has_note(h, "api: networks: the app used no network"));
        continue;
      }
      CHECK_FALSE(kFixed.count(rule));
      CHECK(rule != "TL108");
      CHECK(rule != "TL119");
      CHECK(rule != "TL120");
    }
  }
  // db has no profile: its findings are what they were
  CHECK(is["db"] == was["db"]);
}

TEST_CASE("harden: tailor audit of the hardened manifest finds nothing harden fixes", "[harden]") {
  TempDir t;
  put(t / "shop.yaml", kManifest);
  AuditInput before = k8s_input();
  before.deployment = read_kubernetes({t / "shop.yaml", kManifest});
  const AuditResult a = audit(before);
  INFO("before:\n" << findings_text(a));
  HardenOptions o;
  o.sources = {{t / "shop.yaml", kManifest}};
  o.seccomp_files = {{"web", t / "seccomp-web.json"}, {"worker", t / "seccomp-worker.json"}};
  {
    const HardenResult h = harden(before, o);
    INFO("manifest:\n" << h.text << "notes:\n" << notes_of(h));
    AuditInput after = k8s_input();
    after.deployment = read_kubernetes({t / "shop.hardened.yaml", h.text});
    const AuditResult b = audit(after);
    INFO("after:\n" << findings_text(b));
    auto was = rules_by_workload(a), is = rules_by_workload(b);
    for (const auto& [w, rules] : is) {
      const bool matched =
          w.find(": web") != std::string::npos || w.find(": worker") != std::string::npos;
      if (!matched) {
        CHECK(rules == was[w]);  // the sidecar and the init container: untouched
        continue;
      }
      for (const auto& rule : rules) {
        INFO(w << " " << rule);
        if (w.find(": web") != std::string::npos && rule == "TL108") continue;  // needs root
        // Kubernetes has no per-container pids or nofile limit (the notes say so)
        if (rule == "TL119" || rule == "TL120") {
          CHECK(has_note(h, "pids limit"));
          continue;
        }
        CHECK_FALSE(kFixed.count(rule));
        CHECK(rule != "TL102");
        CHECK(rule != "TL201");
      }
    }
  }
}

TEST_CASE("harden: the command line writes the override and a seccomp profile per service",
          "[harden]") {
  TempDir t;
  put(t / "compose.yml", kCompose);
  put(t / "web.json", to_json(web_profile()));
  put(t / "worker.json", to_json(worker_profile()));
  put(t / "other.json", to_json(worker_profile()));
  std::filesystem::create_directories(t / "out");
  auto r = run({tailor_bin(), "harden", t / "web.json", t / "worker.json", "--profile",
                "api=" + t / "other.json", t / "compose.yml", "-o", t / "out/compose.tailor.yml"},
               60);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.empty());
  for (const char* s : {"web", "worker", "api"})
    CHECK(std::filesystem::exists(t / ("out/seccomp-" + std::string(s) + ".json")));
  CHECK_FALSE(std::filesystem::exists(t / "out/seccomp-db.json"));
  const std::string text = slurp(t / "out/compose.tailor.yml");
  CHECK(text.find("seccomp=" + t / "out/seccomp-web.json") != std::string::npos);
  CHECK(text.find("-f compose.tailor.yml up") != std::string::npos);
  CHECK(r.err.find("compose.yml:10: web: cap_add SYS_ADMIN") != std::string::npos);
  CHECK(r.err.find("db: no profile: left as it is") != std::string::npos);

  // --seccomp-dir, stdout, and the errors: exit 2 with one line
  std::filesystem::create_directories(t / "sec");
  auto k = run(
      {tailor_bin(), "harden", t / "web.json", t / "compose.yml", "--seccomp-dir", t / "sec", "-q"},
      60);
  CHECK(k.status == 0);
  CHECK(k.out.find("services:") != std::string::npos);
  CHECK(std::filesystem::exists(t / "sec/seccomp-web.json"));
  for (const auto& bad : std::vector<std::vector<std::string>>{
           {t / "compose.yml"},                                     // no profile
           {t / "web.json"},                                        // nothing to harden
           {t / "web.json", t / "compose.yml", "--format", "run"},  // does not fit
           {t / "web.json", "--", "ls", "-l"},                      // not a run line
       }) {
    std::vector<std::string> argv = {tailor_bin(), "harden"};
    argv.insert(argv.end(), bad.begin(), bad.end());
    auto e = run(argv, 60);
    INFO(e.err);
    CHECK(e.status == 2);
    CHECK(e.err.rfind("tailor: ", 0) == 0);
  }
}
