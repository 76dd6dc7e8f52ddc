// Kubernetes manifests: every workload object's pod template, one workload per container and
// init container, with the pod's settings folded in the way the kubelet applies them (the
// container's own securityContext wins over the pod's, fields over the old annotations).
#include <cctype>
#include <cmath>

#include "deploy_internal.h"
#include "tailor/deploy.h"
#include "tailor/error.h"

namespace tailor {

using namespace deploy_detail;

namespace {

// A resource.Quantity: "256Mi", "1G" (decimal, unlike Docker's), "500m", "1e3", "0.5".
std::optional<long double> quantity(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  auto num = parse_double(s.substr(0, i));
  if (!num || *num < 0) return std::nullopt;
  std::string_view suf = s.substr(i);
  long double mult = 1;
  static const std::pair<std::string_view, long double> kSuffixes[] = {
      {"", 1},
      {"Ki", 1024.0L},
      {"Mi", 1024.0L * 1024},
      {"Gi", 1024.0L * 1024 * 1024},
      {"Ti", 1024.0L * 1024 * 1024 * 1024},
      {"Pi", 1024.0L * 1024 * 1024 * 1024 * 1024},
      {"Ei", 1024.0L * 1024 * 1024 * 1024 * 1024 * 1024},
      {"n", 1e-9L},
      {"u", 1e-6L},
      {"m", 1e-3L},
      {"k", 1e3L},
      {"M", 1e6L},
      {"G", 1e9L},
      {"T", 1e12L},
      {"P", 1e15L},
      {"E", 1e18L},
  };
  bool found = false;
  for (const auto& [name, m] : kSuffixes)
    if (suf == name) mult = m, found = true;
  if (!found && suf.size() > 1 && (suf[0] == 'e' || suf[0] == 'E')) {
    auto exp = parse_i64(suf.substr(1));
    if (!exp || *exp < -30 || *exp > 30) return std::nullopt;
    mult = std::pow(10.0L, static_cast<long double>(*exp));
    found = true;
  }
  if (!found) return std::nullopt;
  return static_cast<long double>(*num) * mult;
}

std::string scalar_or_number(const YNode& n, std::string_view what) {
  return need_scalar(n, what);
}

std::string seccomp_of_profile(const YNode& p, std::string_view what) {
  need_map(p, what);
  const YNode* type = p.get("type");
  if (!type) fail_at(p.at, std::string(what) + ": no type");
  const std::string& t = need_scalar(*type, "seccompProfile: type");
  if (t == "RuntimeDefault") return "default";
  if (t == "Unconfined") return "unconfined";
  if (t == "Localhost") {
    const YNode* lp = p.get("localhostProfile");
    if (!lp) fail_at(p.at, std::string(what) + ": type Localhost needs localhostProfile");
    return "localhost/" + need_scalar(*lp, "localhostProfile");
  }
  fail_at(type->at, std::string(what) + ": unknown type " + t);
}

std::string apparmor_of_profile(const YNode& p, std::string_view what) {
  need_map(p, what);
  const YNode* type = p.get("type");
  if (!type) fail_at(p.at, std::string(what) + ": no type");
  const std::string& t = need_scalar(*type, "appArmorProfile: type");
  if (t == "RuntimeDefault") return "runtime/default";
  if (t == "Unconfined") return "unconfined";
  if (t == "Localhost") {
    const YNode* lp = p.get("localhostProfile");
    if (!lp) fail_at(p.at, std::string(what) + ": type Localhost needs localhostProfile");
    return need_scalar(*lp, "localhostProfile");
  }
  fail_at(type->at, std::string(what) + ": unknown type " + t);
}

std::string seccomp_of_annotation(const std::string& v) {
  if (v == "runtime/default" || v == "docker/default") return "default";
  return v;  // "unconfined", "localhost/PATH"
}

struct Volume {
  std::string type, source;
};

// The settings a securityContext (pod or container level) can give; applied in order, so the
// container's overrides the pod's.
void apply_security_context(Workload& w, const YEntry& sc, bool pod,
                            std::optional<std::string>& uid, std::optional<std::string>& gid) {
  need_map(sc.value, sc.key);
  w.where[pod ? "pod_security_context" : "security_context"] = sc.key_at;
  for (const YEntry& e : sc.value.entries) {
    const std::string& k = e.key;
    if (k == "runAsUser") {
      uid = std::to_string(need_i64(e.value, k));
      w.where["user"] = e.key_at;
    } else if (k == "runAsGroup") {
      gid = std::to_string(need_i64(e.value, k));
      if (!w.where.count("user")) w.where["user"] = e.key_at;
    } else if (k == "runAsNonRoot") {
      w.run_as_non_root = need_bool(e.value, k);
      w.where["run_as_non_root"] = e.key_at;
    } else if (k == "seccompProfile") {
      w.seccomp = seccomp_of_profile(e.value, k);
      w.where["seccomp"] = e.key_at;
    } else if (k == "appArmorProfile") {
      w.apparmor = apparmor_of_profile(e.value, k);
      w.where["apparmor"] = e.key_at;
    } else if (pod) {
      continue;  // fsGroup, supplementalGroups, sysctls...: not in the model
    } else if (k == "privileged") {
      w.privileged = need_bool(e.value, k);
      w.where["privileged"] = e.key_at;
    } else if (k == "allowPrivilegeEscalation") {
      w.no_new_privileges = !need_bool(e.value, k);
      w.where["no_new_privileges"] = e.key_at;
    } else if (k == "readOnlyRootFilesystem") {
      w.read_only_rootfs = need_bool(e.value, k);
      w.where["read_only_rootfs"] = e.key_at;
    } else if (k == "capabilities") {
      need_map(e.value, k);
      for (const YEntry& c : e.value.entries) {
        if (c.key != "add" && c.key != "drop") continue;
        const std::string field = c.key == "add" ? "cap_add" : "cap_drop";
        auto& caps = c.key == "add" ? w.cap_add : w.cap_drop;
        need_seq(c.value, "capabilities: " + c.key);
        w.where[field] = c.key_at;
        for (const YNode& item : c.value.items) {
          std::string cap = normalize_cap(need_scalar(item, "capabilities: " + c.key));
          caps.insert(cap);
          w.where[field + " " + cap] = item.at;
        }
      }
    }
  }
}

struct PodContext {
  std::string object;
  const YNode* annotations = nullptr;
  const YNode* spec = nullptr;
  std::map<std::string, Volume> volumes;
};

Workload read_container(const PodContext& pod, const YNode& c, bool init) {
  need_map(c, init ? "initContainers" : "containers");
  const YNode* name = c.get("name");
  if (!name) fail_at(c.at, "container without a name");
  Workload w;
  w.service = need_scalar(*name, "name");
  w.object = pod.object;
  w.init = init;
  w.name = pod.object + ": " + (init ? "init " : "") + w.service;
  w.at = c.at;
  std::optional<std::string> uid, gid;

  // Old annotations first: any field overrides them.
  if (pod.annotations) {
    need_map(*pod.annotations, "annotations");
    for (const YEntry& a : pod.annotations->entries) {
      if (!a.value.is_scalar()) continue;
      if (a.key == "seccomp.security.alpha.kubernetes.io/pod" ||
          a.key == "container.seccomp.security.alpha.kubernetes.io/" + w.service) {
        w.seccomp = seccomp_of_annotation(a.value.text);
        w.where["seccomp"] = a.key_at;
      } else if (a.key == "container.apparmor.security.beta.kubernetes.io/" + w.service) {
        const std::string& v = a.value.text;
        w.apparmor = v.rfind("localhost/", 0) == 0 ? v.substr(10) : v;
        w.where["apparmor"] = a.key_at;
      }
    }
  }
  // The annotation for the container is more specific than the one for the pod, whatever their
  // order in the file.
  if (pod.annotations) {
    if (const YEntry* a =
            pod.annotations->find("container.seccomp.security.alpha.kubernetes.io/" + w.service);
        a && a->value.is_scalar()) {
      w.seccomp = seccomp_of_annotation(a->value.text);
      w.where["seccomp"] = a->key_at;
    }
  }
  const YNode& spec = *pod.spec;
  if (const YEntry* psc = spec.find("securityContext"))
    apply_security_context(w, *psc, true, uid, gid);
  for (const YEntry& e : spec.entries) {
    if (e.key == "hostNetwork") {
      if (need_bool(e.value, e.key)) {
        w.network_mode = "host";
        w.where["network_mode"] = e.key_at;
      }
    } else if (e.key == "hostPID") {
      w.host_pid = need_bool(e.value, e.key);
      w.where["host_pid"] = e.key_at;
    } else if (e.key == "hostIPC") {
      w.host_ipc = need_bool(e.value, e.key);
      w.where["host_ipc"] = e.key_at;
    } else if (e.key == "automountServiceAccountToken") {
      w.automount_service_account_token = need_bool(e.value, e.key);
      w.where["automount_service_account_token"] = e.key_at;
    }
  }

  for (const YEntry& e : c.entries) {
    const std::string& k = e.key;
    const YNode& v = e.value;
    if (k == "image") {
      w.image = need_scalar(v, k);
      w.where["image"] = e.key_at;
    } else if (k == "command" || k == "args") {
      need_seq(v, k);
      auto& words = k == "command" ? w.entrypoint : w.command;
      for (const YNode& item : v.items) words.push_back(scalar_or_number(item, k));
      w.where[k == "command" ? "entrypoint" : "command"] = e.key_at;
    } else if (k == "securityContext") {
      apply_security_context(w, e, false, uid, gid);
    } else if (k == "ports") {
      need_seq(v, k);
      w.where["ports"] = e.key_at;
      for (const YNode& item : v.items) {
        need_map(item, k);
        PortMapping p;
        p.at = item.at;
        const YNode* cp = item.get("containerPort");
        if (!cp) fail_at(item.at, "ports: no containerPort");
        const std::uint64_t port = need_u64(*cp, "containerPort");
        if (port == 0 || port > 65535) fail_at(cp->at, "containerPort: not a port");
        p.container_port = static_cast<int>(port);
        if (const YNode* hp = item.get("hostPort"))
          p.host_port = std::to_string(need_u64(*hp, "hostPort"));
        if (const YNode* ip = item.get("hostIP")) p.host_ip = need_scalar(*ip, "hostIP");
        if (const YNode* pr = item.get("protocol")) {
          p.protocol.clear();
          for (char ch : need_scalar(*pr, "protocol"))
            p.protocol += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }
        w.ports.push_back(p);
      }
    } else if (k == "volumeMounts") {
      need_seq(v, k);
      w.where["volumes"] = e.key_at;
      for (const YNode& item : v.items) {
        need_map(item, k);
        const YNode* vn = item.get("name");
        const YNode* path = item.get("mountPath");
        if (!vn || !path) fail_at(item.at, "volumeMounts: needs name and mountPath");
        Mount m;
        const std::string& volume = need_scalar(*vn, "name");
        auto it = pod.volumes.find(volume);
        m.type = it != pod.volumes.end() ? it->second.type : "other";
        m.source = it != pod.volumes.end() ? it->second.source : volume;
        m.target = need_scalar(*path, "mountPath");
        if (const YNode* ro = item.get("readOnly")) m.read_only = need_bool(*ro, "readOnly");
        m.at = item.at;
        w.mounts.push_back(m);
      }
    } else if (k == "resources") {
      need_map(v, k);
      w.where["resources"] = e.key_at;
      if (const YNode* limits = v.get("limits")) {
        need_map(*limits, "limits");
        for (const YEntry& l : limits->entries) {
          if (l.key != "memory" && l.key != "cpu") continue;
          auto q = quantity(need_scalar(l.value, l.key));
          if (!q) fail_at(l.value.at, l.key + ": not a quantity: " + l.value.text);
          if (l.key == "memory") {
            if (*q >= 18446744073709551615.0L) fail_at(l.value.at, "memory: too large");
            w.memory_bytes = static_cast<std::uint64_t>(std::ceil(*q));
            w.where["memory"] = l.key_at;
          } else {
            w.cpus = static_cast<double>(*q);
            w.where["cpus"] = l.key_at;
          }
        }
      }
    }
  }
  if (uid) w.user = *uid + (gid ? ":" + *gid : "");
  return w;
}

std::map<std::string, Volume> pod_volumes(const YNode& spec) {
  std::map<std::string, Volume> out;
  const YNode* vols = spec.get("volumes");
  if (!vols) return out;
  need_seq(*vols, "volumes");
  for (const YNode& v : vols->items) {
    need_map(v, "volumes");
    const YNode* name = v.get("name");
    if (!name) fail_at(v.at, "volume without a name");
    Volume vol{"other", ""};
    auto str = [](const YNode* src, const char* key) -> std::string {
      if (!src || !src->is_map()) return "";
      const YNode* n = src->get(key);
      return n && n->is_scalar() ? n->text : "";
    };
    if (const YNode* hp = v.get("hostPath")) {
      vol = {"bind", str(hp, "path")};
    } else if (const YNode* ed = v.get("emptyDir")) {
      vol = {str(ed, "medium") == "Memory" ? "tmpfs" : "emptyDir", ""};
    } else if (const YNode* pvc = v.get("persistentVolumeClaim")) {
      vol = {"volume", str(pvc, "claimName")};
    } else if (const YNode* s = v.get("secret")) {
      vol = {"secret", str(s, "secretName")};
    } else if (const YNode* cm = v.get("configMap")) {
      vol = {"configMap", str(cm, "name")};
    } else if (v.get("projected")) {
      vol = {"projected", ""};
    }
    out[need_scalar(*name, "name")] = vol;
  }
  return out;
}

void read_object(const YNode& obj, Deployment& d, int depth) {
  if (obj.is_null()) return;
  if (!obj.is_map()) fail_at(obj.at, "expected a Kubernetes object (a mapping)");
  const YNode* kind_n = obj.get("kind");
  if (!kind_n) fail_at(obj.at, "a Kubernetes object without kind");
  const std::string& kind = need_scalar(*kind_n, "kind");
  if (kind.size() >= 4 && kind.compare(kind.size() - 4, 4, "List") == 0) {
    // `kind: List`, and kubectl's PodList, DeploymentList...
    if (depth > 4) fail_at(obj.at, "lists nested too deeply");
    const YNode* items = obj.get("items");
    if (!items) return;
    need_seq(*items, "items");
    for (const YNode& item : items->items) read_object(item, d, depth + 1);
    return;
  }
  // Where the pod template is, by kind.
  std::vector<std::string_view> path;
  if (kind == "Pod") {
    path = {};
  } else if (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" ||
             kind == "ReplicaSet" || kind == "ReplicationController" || kind == "Job") {
    path = {"spec", "template"};
  } else if (kind == "CronJob") {
    path = {"spec", "jobTemplate", "spec", "template"};
  } else {
    return;  // Service, ConfigMap...
  }
  const YNode* tmpl = &obj;
  for (std::string_view p : path) {
    need_map(*tmpl, p);
    tmpl = tmpl->get(p);
    if (!tmpl) return;  // no template: nothing runs
  }
  need_map(*tmpl, "template");
  PodContext pod;
  std::string name;
  if (const YNode* meta = obj.get("metadata")) {
    need_map(*meta, "metadata");
    if (const YNode* n = meta->get("name")) name = need_scalar(*n, "name");
  }
  pod.object = kind + "/" + name;
  if (const YNode* meta = tmpl->get("metadata")) {
    need_map(*meta, "metadata");
    pod.annotations = meta->get("annotations");
  }
  const YNode* spec = tmpl->get("spec");
  if (!spec || spec->is_null()) return;
  need_map(*spec, "spec");
  pod.spec = spec;
  pod.volumes = pod_volumes(*spec);
  for (const char* list : {"initContainers", "containers"}) {
    const YNode* cs = spec->get(list);
    if (!cs) continue;
    need_seq(*cs, list);
    for (const YNode& c : cs->items) d.workloads.push_back(read_container(pod, c, list[0] == 'i'));
  }
}

}  // namespace

Deployment read_kubernetes(const DeployFile& f) {
  Deployment d;
  d.kind = DeployKind::kKubernetes;
  d.files.push_back(f.path);
  for (const YNode& doc : load_yaml(f.path, f.text)) read_object(doc, d, 0);
  return d;
}

}  // namespace tailor
