// Compose files: each file's services are read into workloads on their own (with the file's
// locations), then merged service by service the way `docker compose -f a -f b` merges them.
// Merging the models rather than the YAML keeps every setting's location with the file it came
// from without a second, location-aware YAML merge.
#include <algorithm>

#include "deploy_internal.h"
#include "tailor/deploy.h"
#include "tailor/error.h"

namespace tailor {

using namespace deploy_detail;

namespace {

bool name_char(char c, bool first) {
  return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (!first && c >= '0' && c <= '9');
}

// ${VAR}, ${VAR:-def}, ${VAR-def}, ${VAR:?err}, ${VAR?err}, ${VAR:+alt}, ${VAR+alt}, $VAR, $$,
// as compose-go's template package reads them (nested defaults included).
std::string interpolate(std::string_view s, const std::map<std::string, std::string>& env,
                        const SourceLoc& at, int depth) {
  if (depth > 8) fail_at(at, "interpolation nested too deeply");
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '$' || i + 1 >= s.size()) {
      out += s[i];
      continue;
    }
    const char n = s[i + 1];
    if (n == '$') {
      out += '$';
      ++i;
    } else if (name_char(n, true)) {
      std::size_t j = i + 1;
      while (j < s.size() && name_char(s[j], false)) ++j;
      auto it = env.find(std::string(s.substr(i + 1, j - i - 1)));
      if (it != env.end()) out += it->second;
      i = j - 1;
    } else if (n == '{') {
      std::size_t j = i + 2, level = 1;
      for (; j < s.size(); ++j) {
        if (s[j] == '{') ++level;
        if (s[j] == '}' && --level == 0) break;
      }
      if (j >= s.size()) fail_at(at, "invalid interpolation: " + std::string(s.substr(i)));
      std::string_view inner = s.substr(i + 2, j - i - 2);
      std::size_t k = 0;
      while (k < inner.size() && name_char(inner[k], k == 0)) ++k;
      if (k == 0) fail_at(at, "invalid interpolation: ${" + std::string(inner) + "}");
      const std::string name(inner.substr(0, k));
      std::string_view op = inner.substr(k);
      const bool colon = !op.empty() && op[0] == ':';
      if (colon) op.remove_prefix(1);
      auto it = env.find(name);
      const bool set = it != env.end() && (!colon || !it->second.empty());
      if (op.empty() && !colon) {
        if (it != env.end()) out += it->second;
      } else if (!op.empty() && op[0] == '-') {
        out += set ? it->second : interpolate(op.substr(1), env, at, depth + 1);
      } else if (!op.empty() && op[0] == '?') {
        if (!set)
          fail_at(at, "required variable " + name + " is missing a value" +
                          (op.size() > 1 ? ": " + std::string(op.substr(1)) : ""));
        out += it->second;
      } else if (!op.empty() && op[0] == '+') {
        if (set) out += interpolate(op.substr(1), env, at, depth + 1);
      } else {
        fail_at(at, "invalid interpolation: ${" + std::string(inner) + "}");
      }
      i = j;
    } else {
      out += '$';
    }
  }
  return out;
}

// A string is split as a shell would (Compose does the same); a list is taken word by word.
std::vector<std::string> command_words(const YNode& n, std::string_view what) {
  std::vector<std::string> out;
  if (n.is_scalar()) return shell_words(n.text);
  need_seq(n, what);
  for (const YNode& item : n.items) out.push_back(need_scalar(item, what));
  return out;
}

std::optional<std::uint64_t> memory_of(const YNode& n, std::string_view what) {
  auto v = parse_memory_bytes(need_scalar(n, what));
  if (!v) fail_at(n.at, std::string(what) + ": not a size: " + n.text);
  if (*v == 0) return std::nullopt;  // 0: no limit, as for the engines
  return v;
}

// pids_limit: -1 and 0 mean no limit (left unset; the location is kept so harden can replace it).
void read_pids(Workload& w, const YEntry& e) {
  const std::int64_t v = need_i64(e.value, e.key);
  if (v > 0) w.pids_limit = static_cast<std::uint64_t>(v);
  w.where["pids_limit"] = e.key_at;
}

void read_cpus(Workload& w, const YEntry& e) {
  const double v = need_number(e.value, e.key);
  if (v < 0) fail_at(e.value.at, "cpus: negative");
  if (v > 0) w.cpus = v;  // 0: no limit
  w.where["cpus"] = e.key_at;
}

void read_caps(const YEntry& e, std::set<std::string>& caps,
               std::map<std::string, SourceLoc>& where, const std::string& field) {
  need_seq(e.value, e.key);
  where[field] = e.key_at;
  for (const YNode& item : e.value.items) {
    std::string c = normalize_cap(need_scalar(item, e.key));
    caps.insert(c);
    where[field + " " + c] = item.at;
  }
}

Mount long_volume(const YNode& v, std::string_view what) {
  Mount m;
  if (const YNode* t = v.get("type")) m.type = need_scalar(*t, "volumes: type");
  if (const YNode* s = v.get("source")) m.source = need_scalar(*s, "volumes: source");
  if (const YNode* t = v.get("target")) m.target = need_scalar(*t, "volumes: target");
  if (const YNode* r = v.get("read_only")) m.read_only = need_bool(*r, "volumes: read_only");
  if (m.type.empty()) m.type = "volume";
  if (m.type != "bind" && m.type != "volume" && m.type != "tmpfs") m.type = "other";
  if (m.target.empty()) fail_at(v.at, std::string(what) + ": no target");
  m.at = v.at;
  return m;
}

PortMapping long_port(const YNode& v) {
  PortMapping p;
  p.at = v.at;
  const YNode* t = v.get("target");
  if (!t) fail_at(v.at, "ports: no target");
  const std::uint64_t cp = need_u64(*t, "ports: target");
  if (cp == 0 || cp > 65535) fail_at(t->at, "ports: target: not a port");
  p.container_port = static_cast<int>(cp);
  if (const YNode* h = v.get("published")) p.host_port = need_scalar(*h, "ports: published");
  if (p.host_port.empty()) p.host_port = "0";
  if (const YNode* h = v.get("host_ip")) p.host_ip = need_scalar(*h, "ports: host_ip");
  if (const YNode* h = v.get("protocol")) p.protocol = need_scalar(*h, "ports: protocol");
  return p;
}

void add_mount(Workload& w, Mount m) {
  // Volumes are keyed by their target (a later one for the same path replaces it).
  auto same = [&](const Mount& o) { return o.target == m.target; };
  auto it = std::find_if(w.mounts.begin(), w.mounts.end(), same);
  if (it != w.mounts.end())
    *it = std::move(m);
  else
    w.mounts.push_back(std::move(m));
}

void read_limits(Workload& w, const YNode& limits) {
  need_map(limits, "limits");
  for (const YEntry& e : limits.entries) {
    if (e.key == "memory") {
      w.memory_bytes = memory_of(e.value, "memory");
      w.where["memory"] = e.key_at;
    } else if (e.key == "pids") {
      read_pids(w, e);
    } else if (e.key == "cpus") {
      read_cpus(w, e);
    }
  }
}

Workload read_service(const YEntry& s) {
  Workload w;
  w.name = w.service = s.key;
  w.at = s.key_at;
  const YNode& svc = s.value;
  need_map(svc, "service " + s.key);
  for (const YEntry& e : svc.entries) {
    const std::string& k = e.key;
    const YNode& v = e.value;
    const SourceLoc& at = e.key_at;
    if (k == "image") {
      w.image = need_scalar(v, k);
      w.where["image"] = at;
    } else if (k == "entrypoint") {
      w.entrypoint = command_words(v, k);
      w.where["entrypoint"] = at;
    } else if (k == "command") {
      w.command = command_words(v, k);
      w.where["command"] = at;
    } else if (k == "privileged") {
      w.privileged = need_bool(v, k);
      w.where["privileged"] = at;
    } else if (k == "cap_add") {
      read_caps(e, w.cap_add, w.where, "cap_add");
    } else if (k == "cap_drop") {
      read_caps(e, w.cap_drop, w.where, "cap_drop");
    } else if (k == "security_opt") {
      need_seq(v, k);
      w.where["security_opt"] = at;
      for (const YNode& item : v.items)
        if (!apply_security_opt(w, need_scalar(item, k), item.at))
          fail_at(item.at, "security_opt: invalid value " + item.text);
    } else if (k == "user") {
      w.user = need_scalar(v, k);
      w.where["user"] = at;
    } else if (k == "read_only") {
      w.read_only_rootfs = need_bool(v, k);
      w.where["read_only_rootfs"] = at;
    } else if (k == "network_mode") {
      w.network_mode = need_scalar(v, k);
      w.where["network_mode"] = at;
    } else if (k == "pid" || k == "ipc" || k == "uts") {
      const bool host = need_scalar(v, k) == "host";
      (k == "pid" ? w.host_pid : k == "ipc" ? w.host_ipc : w.host_uts) = host;
      w.where["host_" + k] = at;
    } else if (k == "userns_mode") {
      w.userns_mode = need_scalar(v, k);
      w.where["userns_mode"] = at;
    } else if (k == "volumes") {
      need_seq(v, k);
      w.where["volumes"] = at;
      for (const YNode& item : v.items) {
        Mount m;
        if (item.is_map()) {
          m = long_volume(item, k);
        } else {
          auto sm = parse_volume_short(need_scalar(item, k));
          if (!sm) fail_at(item.at, "volumes: not a volume: " + item.text);
          m = *sm;
          m.at = item.at;
        }
        add_mount(w, std::move(m));
      }
    } else if (k == "tmpfs") {
      w.where["tmpfs"] = at;
      std::vector<const YNode*> items;
      if (v.is_seq()) {
        for (const YNode& item : v.items) items.push_back(&item);
      } else {
        items.push_back(&v);
      }
      for (const YNode* item : items) {
        Mount m = parse_tmpfs(need_scalar(*item, k));
        m.at = item->at;
        add_mount(w, std::move(m));
      }
    } else if (k == "devices") {
      need_seq(v, k);
      w.where["devices"] = at;
      for (const YNode& item : v.items) {
        if (item.is_map()) {  // long syntax: {source, target, permissions}
          const YNode* src = item.get("source");
          if (!src) fail_at(item.at, "devices: no source");
          std::string d = need_scalar(*src, "devices: source");
          if (const YNode* t = item.get("target")) d += ":" + need_scalar(*t, "devices: target");
          w.devices.push_back(d);
        } else {
          w.devices.push_back(need_scalar(item, k));
        }
      }
    } else if (k == "ports" || k == "expose") {
      need_seq(v, k);
      w.where[k] = at;
      for (const YNode& item : v.items) {
        PortMapping p;
        if (item.is_map() && k == "ports") {
          p = long_port(item);
        } else {
          auto sp = parse_port_short(need_scalar(item, k));
          if (!sp) fail_at(item.at, k + ": not a port: " + item.text);
          p = *sp;
          if (k == "expose") p.host_port.clear(), p.host_ip.clear();
          p.at = item.at;
        }
        if (std::find_if(w.ports.begin(), w.ports.end(), [&](const PortMapping& o) {
              return o.host_ip == p.host_ip && o.host_port == p.host_port &&
                     o.container_port == p.container_port && o.protocol == p.protocol;
            }) == w.ports.end())
          w.ports.push_back(p);
      }
    } else if (k == "mem_limit") {
      w.memory_bytes = memory_of(v, k);
      w.where["memory"] = at;
    } else if (k == "pids_limit") {
      read_pids(w, e);
    } else if (k == "cpus") {
      read_cpus(w, e);
    } else if (k == "ulimits") {
      need_map(v, k);
      if (const YEntry* nf = v.find("nofile")) {
        w.where["nofile"] = nf->key_at;
        if (nf->value.is_map()) {
          const YNode* soft = nf->value.get("soft");
          const YNode* hard = nf->value.get("hard");
          if (!soft || !hard) fail_at(nf->value.at, "ulimits: nofile: needs soft and hard");
          w.nofile_soft = need_u64(*soft, "nofile: soft");
          w.nofile_hard = need_u64(*hard, "nofile: hard");
        } else {
          w.nofile_soft = w.nofile_hard = need_u64(nf->value, "ulimits: nofile");
        }
      }
    } else if (k == "deploy") {
      need_map(v, k);
      if (const YEntry* r = v.find("resources")) {
        need_map(r->value, "resources");
        w.where["resources"] = r->key_at;
        if (const YNode* limits = r->value.get("limits")) read_limits(w, *limits);
      }
    }
  }
  return w;
}

// `over` (a later file's service) into `base`: what `over` wrote wins; lists are unions.
void merge_service(Workload& base, const Workload& over) {
  auto written = [&](const char* key) { return over.where.count(key) != 0; };
  auto take_loc = [&](const char* key) { base.where[key] = over.where.at(key); };
  if (written("image")) base.image = over.image, take_loc("image");
  if (written("entrypoint")) base.entrypoint = over.entrypoint, take_loc("entrypoint");
  if (written("command")) base.command = over.command, take_loc("command");
  if (over.privileged) base.privileged = over.privileged, take_loc("privileged");
  if (over.seccomp) base.seccomp = over.seccomp, take_loc("seccomp");
  if (over.apparmor) base.apparmor = over.apparmor, take_loc("apparmor");
  if (over.no_new_privileges)
    base.no_new_privileges = over.no_new_privileges, take_loc("no_new_privileges");
  if (over.user) base.user = over.user, take_loc("user");
  if (over.read_only_rootfs)
    base.read_only_rootfs = over.read_only_rootfs, take_loc("read_only_rootfs");
  if (over.network_mode) base.network_mode = over.network_mode, take_loc("network_mode");
  if (written("host_pid")) base.host_pid = over.host_pid, take_loc("host_pid");
  if (written("host_ipc")) base.host_ipc = over.host_ipc, take_loc("host_ipc");
  if (written("host_uts")) base.host_uts = over.host_uts, take_loc("host_uts");
  if (over.userns_mode) base.userns_mode = over.userns_mode, take_loc("userns_mode");
  if (written("memory")) base.memory_bytes = over.memory_bytes, take_loc("memory");
  if (written("pids_limit")) base.pids_limit = over.pids_limit, take_loc("pids_limit");
  if (written("cpus")) base.cpus = over.cpus, take_loc("cpus");
  if (written("nofile")) {
    base.nofile_soft = over.nofile_soft;
    base.nofile_hard = over.nofile_hard;
    take_loc("nofile");
  }
  // Lists: unions (the later file's entries and locations added).
  base.cap_add.insert(over.cap_add.begin(), over.cap_add.end());
  base.cap_drop.insert(over.cap_drop.begin(), over.cap_drop.end());
  for (const auto& [k, at] : over.where)
    if (k.rfind("cap_add", 0) == 0 || k.rfind("cap_drop", 0) == 0 || k == "security_opt" ||
        k == "volumes" || k == "tmpfs" || k == "devices" || k == "ports" || k == "expose" ||
        k == "resources")
      base.where[k] = at;
  for (const std::string& d : over.devices)
    if (std::find(base.devices.begin(), base.devices.end(), d) == base.devices.end())
      base.devices.push_back(d);
  for (const PortMapping& p : over.ports)
    if (std::find_if(base.ports.begin(), base.ports.end(), [&](const PortMapping& o) {
          return o.host_ip == p.host_ip && o.host_port == p.host_port &&
                 o.container_port == p.container_port && o.protocol == p.protocol;
        }) == base.ports.end())
      base.ports.push_back(p);
  for (const Mount& m : over.mounts) add_mount(base, m);
}

}  // namespace

Deployment read_compose(const std::vector<DeployFile>& files,
                        const std::map<std::string, std::string>& env) {
  Deployment d;
  d.kind = DeployKind::kCompose;
  ScalarHook hook = [&env](const std::string& s, const SourceLoc& at) {
    return s.find('$') == std::string::npos ? s : interpolate(s, env, at, 0);
  };
  for (const DeployFile& f : files) {
    d.files.push_back(f.path);
    std::vector<YNode> docs = load_yaml(f.path, f.text, hook);
    if (docs.empty() || docs[0].is_null()) fail_at(SourceLoc{f.path, 0, 0}, "empty Compose file");
    if (docs.size() > 1) fail_at(docs[1].at, "a Compose file is one YAML document");
    const YNode& root = docs[0];
    if (!root.is_map()) fail_at(root.at, "a Compose file is a mapping (services:, volumes:...)");
    const YEntry* services = root.find("services");
    if (!services) continue;
    if (!services->value.is_map() && !services->value.is_null())
      fail_at(services->key_at, "services: expected a mapping of service names");
    for (const YEntry& s : services->value.entries) {
      Workload w = read_service(s);
      auto it = std::find_if(d.workloads.begin(), d.workloads.end(),
                             [&](const Workload& o) { return o.service == w.service; });
      if (it == d.workloads.end())
        d.workloads.push_back(std::move(w));
      else
        merge_service(*it, w);
    }
  }
  return d;
}

}  // namespace tailor
