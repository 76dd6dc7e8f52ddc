// What users deploy: Compose files, Kubernetes manifests, `docker|podman inspect` JSON and
// `docker|podman run` command lines, read into one plain model that `tailor audit` checks and
// `tailor harden` tightens. These files are outside input like a tailor profile: the readers
// never crash on them (fuzz/fuzz_deploy.cpp) and throw tailor::Error (kExitUsage) with one line
// naming the file and line for anything they cannot read.
//
// Every setting keeps where it was written (file, line, column), so a finding can point at the
// line to change (SARIF for GitHub code scanning, `file:line:` in text). A setting that is not
// written at all is an unset optional / empty container: "absent" is what many findings are
// about (no seccomp option = the engine's default profile; no pids limit = unlimited).
//
// Core part (core/deploy_*.cpp): the model and the readers. What is checked and what is written
// back lives in tailor/audit.h (emitters/audit*.cpp, emitters/harden.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tailor {

// 1-based line and column; line 0: not known (a run line, a setting implied by another, inspect
// JSON). Run lines: file "", line 0, and column the 1-based index in argv of the option word
// that set it (argv[0], the engine, is column 1), so harden can find the word to rewrite.
struct SourceLoc {
  std::string file;
  int line = 0;
  int column = 0;
  auto operator<=>(const SourceLoc&) const = default;
};

enum class DeployKind { kCompose, kKubernetes, kInspect, kRunLine };
std::string_view deploy_kind_name(DeployKind k);  // "compose", "kubernetes", "inspect", "run"

struct Mount {
  // "bind" (host path, Compose short form, k8s hostPath, -v /abs:...), "volume" (named volume,
  // k8s persistentVolumeClaim), "tmpfs" (tmpfs, k8s emptyDir with medium Memory), "emptyDir",
  // "secret", "configMap", "projected", "other" (any other k8s volume source)
  std::string type;
  std::string source;  // host path for binds, volume name, "" for tmpfs/emptyDir
  std::string target;  // path in the container
  bool read_only = false;
  SourceLoc at;
};

struct PortMapping {
  std::string host_ip;  // "" = every address
  // "" = not published on the host (k8s containerPort without hostPort, Compose expose); "0" =
  // published on a port the engine picks (Compose/-p "80", "127.0.0.1::80", inspect HostPort "").
  std::string host_port;
  int container_port = 0;  // 0: a range or a variable tailor did not expand
  std::string protocol = "tcp";
  SourceLoc at;
};

// One container as it will run: a Compose service, one container (or init container) of a
// Kubernetes workload, the container of an inspect JSON, the container of a run line.
// Pod-level Kubernetes settings (hostNetwork, the pod securityContext's runAsUser, seccomp...)
// are folded into each of its containers the way the kubelet applies them (a container's own
// setting wins), with the location of the line that set it.
struct Workload {
  // How a person names it: "web" (Compose service), "Deployment/api: app", "Deployment/api:
  // init migrate", "CronJob/backup: job", "container web-1" (inspect), "docker run" (run line).
  std::string name;
  std::string service;  // the short name profiles are matched by: Compose service, k8s
                        // container name, inspect container name, the image's base name
  std::string object;   // k8s "Deployment/api" (kind/name), "" otherwise
  bool init = false;    // a k8s init container
  std::string engine;   // "docker" / "podman" for run lines and inspect JSON, "" otherwise
  std::string image;
  std::vector<std::string> entrypoint;  // as written (Compose entrypoint, k8s command)
  std::vector<std::string> command;     // Compose command, k8s args, run-line words after image

  std::optional<bool> privileged;
  // Capability names as written, upper-cased and without "CAP_" ("NET_ADMIN", "ALL").
  std::set<std::string> cap_add, cap_drop;
  // The seccomp profile: "unconfined", "default" (the engine's/runtime's default, written out:
  // k8s RuntimeDefault, `seccomp=default`...), a file path as written (Compose/run line), or
  // "localhost/PATH" (k8s Localhost and the old annotation). Docker's inspect JSON holds the
  // profile's content instead of its path ("seccomp={...}" in HostConfig.SecurityOpt): then it is
  // that JSON text, starting with '{'. Unset: no option (Docker and podman apply their default;
  // Kubernetes runs Unconfined unless the kubelet's --seccomp-default is set).
  std::optional<std::string> seccomp;
  // "unconfined", "runtime/default" or a profile name; unset: the engine's default.
  std::optional<std::string> apparmor;
  // no-new-privileges: Compose/run `security_opt: no-new-privileges[:true]`, k8s
  // allowPrivilegeEscalation: false (stored as true here). Unset: not said (engines default off;
  // k8s allows escalation unless told otherwise).
  std::optional<bool> no_new_privileges;
  // The user as written ("1000", "1000:1000", "app", "root", k8s runAsUser[:runAsGroup]).
  std::optional<std::string> user;
  std::optional<bool> run_as_non_root;  // k8s runAsNonRoot
  std::optional<bool> read_only_rootfs;
  // "host", "none", "bridge", "service:db", "container:x", a network name; k8s hostNetwork true
  // gives "host". Unset: the engine's default network.
  std::optional<std::string> network_mode;
  bool host_pid = false, host_ipc = false, host_uts = false;  // pid/ipc/uts "host", k8s hostPID...
  std::optional<std::string> userns_mode;                     // "host", "keep-id", ...
  std::vector<Mount> mounts;         // volumes, binds, tmpfs mounts, k8s volumeMounts resolved
  std::vector<std::string> devices;  // "/dev/fuse", "/dev/sda:/dev/xvda:rwm"
  std::vector<PortMapping> ports;
  // Limits as written, parsed: bytes, a count. Unset: none written, or written as "no limit"
  // (pids_limit -1 or 0, memory 0, cpus 0 in Compose and run lines): where[...] still points at
  // the line that says so.
  std::optional<std::uint64_t> memory_bytes;
  std::optional<std::uint64_t> pids_limit;
  std::optional<std::uint64_t> nofile_soft, nofile_hard;
  std::optional<double> cpus;
  std::optional<bool> automount_service_account_token;  // k8s; unset: Kubernetes mounts it

  SourceLoc at;  // the service / container entry itself
  // Where each setting was written, by field name: "privileged", "cap_add", "cap_add NET_ADMIN"
  // (one entry per listed capability), "cap_drop", "seccomp", "apparmor", "no_new_privileges",
  // "user", "run_as_non_root", "read_only_rootfs", "network_mode", "host_pid", "host_ipc",
  // "host_uts", "userns_mode", "devices", "memory", "pids_limit", "nofile", "cpus",
  // "automount_service_account_token", "security_context" (k8s container securityContext),
  // "pod_security_context", "resources" (k8s container resources, Compose deploy.resources).
  // Also the entries lists and values are written in, for harden to add to: "image",
  // "entrypoint" (k8s command), "command" (k8s args), "security_opt" (Compose key, run line: the
  // last --security-opt), "volumes" (Compose volumes, k8s volumeMounts, -v/--mount), "tmpfs",
  // "ports", "expose". where_or(field) climbs to the nearest enclosing entry that exists
  // ("cap_add NET_ADMIN" -> "cap_add" -> "security_context" -> "pod_security_context";
  // "memory"/"cpus"/"pids_limit" -> "resources"), else gives `at`.
  std::map<std::string, SourceLoc> where;
  SourceLoc where_or(std::string_view field) const;
};

struct Deployment {
  DeployKind kind = DeployKind::kCompose;
  std::vector<std::string> files;   // as given (several for Compose -f a -f b), "" for run lines
  std::vector<Workload> workloads;  // in file order
  // The run line's argv as given (DeployKind::kRunLine), for harden to rewrite.
  std::vector<std::string> argv;
};

// A file's text with the name findings should call it by (as the user gave it).
struct DeployFile {
  std::string path;
  std::string text;
};

// Which kind of file this is, from its content: a JSON array of objects with "Id" and
// "HostConfig" (inspect), YAML with "services:" at the top (Compose), YAML documents with
// "apiVersion" and "kind" (Kubernetes). Throws tailor::Error for anything else.
DeployKind sniff_deploy_kind(const DeployFile& f);

// Compose files given together are merged as `docker compose -f a.yml -f b.yml` merges them
// (later files override scalars; cap_add, cap_drop, security_opt, ports, devices, tmpfs, dns...
// are unions; volumes merge by target), YAML anchors and `<<` merge keys resolved, `${VAR}` and
// `${VAR:-default}` interpolated from `env` (unset: the default, else ""). Each setting keeps
// the location of the file and line it finally came from.
Deployment read_compose(const std::vector<DeployFile>& files,
                        const std::map<std::string, std::string>& env = {});
// Every document of the file (`---` separated; a `kind: List` is expanded): Pod, Deployment,
// StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob (its jobTemplate);
// other kinds (Service, ConfigMap...) are skipped. Containers and init containers.
Deployment read_kubernetes(const DeployFile& f);
// `docker inspect` / `podman inspect` output for containers (a JSON array; one object is taken
// too). Each container is a workload; HostConfig and Config give the settings.
Deployment read_inspect(const DeployFile& f);
// `docker|podman [global opts] [container] run [opts] IMAGE [CMD...]` as argv (argv[0] the
// engine). Throws tailor::Error if it is not such a line.
Deployment read_run_line(const std::vector<std::string>& argv);
// Any of the file kinds above, by sniff_deploy_kind; several files only for Compose.
Deployment read_deployment(const std::vector<DeployFile>& files,
                           const std::map<std::string, std::string>& env = {});

// Capacities as Compose, Docker and Kubernetes write them, in bytes: "512m", "1g", "1GiB",
// "256Mi", "1.5G", "1000000" (bytes), "100k". nullopt if it is not one.
std::optional<std::uint64_t> parse_memory_bytes(std::string_view s);

// What the container runs, as written: entrypoint then command (empty: the image's own).
std::vector<std::string> argv_of(const Workload& w);

// The image's base name, how people and Compose name a service after its image:
// "registry:5000/org/app:1.2@sha256:..." -> "app".
std::string image_base_name(std::string_view image);

}  // namespace tailor
