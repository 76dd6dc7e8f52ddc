// `docker inspect` / `podman inspect` output for containers. The shape follows what Docker
// 20.10 and podman 4 print (test/data/deploy/: inspect.json is real Docker output,
// podman-inspect.json real podman output): HostConfig holds
// the settings as given, the top-level Mounts what was mounted. Docker stores a seccomp file's
// content, not its path, in SecurityOpt ("seccomp={...}"); that content is kept as the seccomp
// value (it starts with '{').
#include <algorithm>
#include <nlohmann/json.hpp>

#include "deploy_internal.h"
#include "tailor/deploy.h"
#include "tailor/error.h"

namespace tailor {

using namespace deploy_detail;
using nlohmann::json;

namespace {

class Reader {
 public:
  Reader(const std::string& file, std::string who) : file_(file), who_(std::move(who)) {}

  [[noreturn]] void bad(const std::string& key, const char* expected) const {
    fail_at(SourceLoc{file_, 0, 0}, who_ + ": " + key + ": expected " + expected);
  }
  // null and absent read as "not set".
  const json* get(const json& o, const char* key) const {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return nullptr;
    return &*it;
  }
  const json* object(const json& o, const char* key) const {
    const json* v = get(o, key);
    if (v && !v->is_object()) bad(key, "an object");
    return v;
  }
  const json* array(const json& o, const char* key) const {
    const json* v = get(o, key);
    if (v && !v->is_array()) bad(key, "an array");
    return v;
  }
  std::optional<std::string> str(const json& o, const char* key) const {
    const json* v = get(o, key);
    if (!v) return std::nullopt;
    if (!v->is_string()) bad(key, "a string");
    return v->get<std::string>();
  }
  std::optional<bool> boolean(const json& o, const char* key) const {
    const json* v = get(o, key);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) bad(key, "true or false");
    return v->get<bool>();
  }
  std::optional<std::int64_t> integer(const json& o, const char* key) const {
    const json* v = get(o, key);
    if (!v) return std::nullopt;
    if (v->is_number_unsigned()) {
      const auto u = v->get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(INT64_MAX)) bad(key, "an integer");
      return static_cast<std::int64_t>(u);
    }
    if (!v->is_number_integer()) bad(key, "an integer");
    return v->get<std::int64_t>();
  }
  std::vector<std::string> strings(const json& o, const char* key) const {
    std::vector<std::string> out;
    if (const json* a = array(o, key))
      for (const json& s : *a) {
        if (!s.is_string()) bad(key, "an array of strings");
        out.push_back(s.get<std::string>());
      }
    return out;
  }

 private:
  const std::string& file_;
  std::string who_;
};

Workload read_container(const std::string& file, const json& c, std::size_t index) {
  if (!c.is_object()) fail_at(SourceLoc{file, 0, 0}, "expected an array of container objects");
  const Reader first(file, "container " + std::to_string(index + 1));
  std::string name = first.str(c, "Name").value_or("");
  if (!name.empty() && name[0] == '/') name.erase(0, 1);
  if (name.empty()) name = first.str(c, "Id").value_or("").substr(0, 12);
  const Reader r(file, "container " + name);
  Workload w;
  w.name = "container " + name;
  w.service = name;
  w.engine = c.contains("OCIRuntime") || c.contains("ConmonPidFile") ? "podman" : "docker";
  const SourceLoc at{file, 0, 0};
  w.at = at;
  auto set = [&](const char* key) { w.where[key] = at; };

  if (const json* cfg = r.object(c, "Config")) {
    w.image = r.str(*cfg, "Image").value_or("");
    // podman 4 prints Entrypoint as one string ("" for none), Docker as an array.
    if (const json* ep = r.get(*cfg, "Entrypoint"); ep && ep->is_string())
      w.entrypoint = shell_words(ep->get<std::string>());
    else
      w.entrypoint = r.strings(*cfg, "Entrypoint");
    w.command = r.strings(*cfg, "Cmd");
    if (auto u = r.str(*cfg, "User"); u && !u->empty()) w.user = *u, set("user");
  }
  const json* hc = r.object(c, "HostConfig");
  if (hc) {
    const json& h = *hc;
    if (auto p = r.boolean(h, "Privileged")) w.privileged = *p, set("privileged");
    for (const std::string& cap : r.strings(h, "CapAdd")) {
      w.cap_add.insert(normalize_cap(cap));
      set("cap_add");
      w.where["cap_add " + normalize_cap(cap)] = at;
    }
    for (const std::string& cap : r.strings(h, "CapDrop")) {
      w.cap_drop.insert(normalize_cap(cap));
      set("cap_drop");
      w.where["cap_drop " + normalize_cap(cap)] = at;
    }
    for (const std::string& opt : r.strings(h, "SecurityOpt")) apply_security_opt(w, opt, at);
    if (auto ro = r.boolean(h, "ReadonlyRootfs")) w.read_only_rootfs = *ro, set("read_only_rootfs");
    // "default" is Docker's word for "no --network given" (the bridge).
    if (auto n = r.str(h, "NetworkMode"); n && !n->empty() && *n != "default")
      w.network_mode = *n, set("network_mode");
    w.host_pid = r.str(h, "PidMode").value_or("") == "host";
    w.host_ipc = r.str(h, "IpcMode").value_or("") == "host";
    w.host_uts = r.str(h, "UTSMode").value_or("") == "host";
    if (auto u = r.str(h, "UsernsMode"); u && !u->empty()) w.userns_mode = *u, set("userns_mode");
    for (const std::string& d : r.strings(h, "Binds")) {
      auto m = parse_volume_short(d);
      if (!m) r.bad("Binds", "SRC:DST[:MODE] entries");
      m->at = at;
      w.mounts.push_back(*m);
    }
    if (const json* t = r.object(h, "Tmpfs")) {
      for (const auto& [target, opts] : t->items()) {
        if (!opts.is_string()) r.bad("Tmpfs", "an object of strings");
        Mount m = parse_tmpfs(target + (opts.get<std::string>().empty() ? "" : ":") +
                              opts.get<std::string>());
        m.at = at;
        w.mounts.push_back(m);
      }
    }
    if (const json* devs = r.array(h, "Devices")) {
      for (const json& d : *devs) {
        if (!d.is_object()) r.bad("Devices", "an array of objects");
        std::string dev = r.str(d, "PathOnHost").value_or("");
        const std::string in = r.str(d, "PathInContainer").value_or("");
        const std::string perms = r.str(d, "CgroupPermissions").value_or("");
        if (!in.empty() && (in != dev || (!perms.empty() && perms != "rwm"))) dev += ":" + in;
        if (!perms.empty() && perms != "rwm") dev += ":" + perms;
        w.devices.push_back(dev);
      }
    }
    if (const json* pb = r.object(h, "PortBindings")) {
      for (const auto& [spec, binds] : pb->items()) {
        auto base = parse_port_short(spec);  // "80/udp"
        if (!base) r.bad("PortBindings", "PORT/PROTO keys");
        if (binds.is_null()) continue;
        if (!binds.is_array()) r.bad("PortBindings", "arrays of bindings");
        for (const json& b : binds) {
          if (!b.is_object()) r.bad("PortBindings", "arrays of objects");
          PortMapping p = *base;
          p.host_ip = r.str(b, "HostIp").value_or("");
          p.host_port = r.str(b, "HostPort").value_or("");
          if (p.host_port.empty()) p.host_port = "0";
          p.at = at;
          w.ports.push_back(p);
        }
      }
    }
    if (auto m = r.integer(h, "Memory"); m && *m > 0)
      w.memory_bytes = static_cast<std::uint64_t>(*m), set("memory");
    if (auto p = r.integer(h, "PidsLimit"); p && *p > 0)
      w.pids_limit = static_cast<std::uint64_t>(*p), set("pids_limit");
    if (const json* ul = r.array(h, "Ulimits")) {
      for (const json& u : *ul) {
        if (!u.is_object()) r.bad("Ulimits", "an array of objects");
        const std::string n = r.str(u, "Name").value_or("");
        if (n != "nofile" && n != "RLIMIT_NOFILE") continue;  // Docker's name, podman's
        auto soft = r.integer(u, "Soft");
        auto hard = r.integer(u, "Hard");
        if (soft && *soft >= 0) w.nofile_soft = static_cast<std::uint64_t>(*soft);
        if (hard && *hard >= 0) w.nofile_hard = static_cast<std::uint64_t>(*hard);
        set("nofile");
      }
    }
    if (auto n = r.integer(h, "NanoCpus"); n && *n > 0)
      w.cpus = static_cast<double>(*n) / 1e9, set("cpus");
    // --mount as given; the top-level Mounts below refine these when present.
    if (const json* hm = r.array(h, "Mounts")) {
      for (const json& mj : *hm) {
        if (!mj.is_object()) r.bad("HostConfig.Mounts", "an array of objects");
        Mount m;
        m.type = r.str(mj, "Type").value_or("other");
        if (m.type != "bind" && m.type != "volume" && m.type != "tmpfs") m.type = "other";
        m.source = r.str(mj, "Source").value_or("");
        m.target = r.str(mj, "Target").value_or("");
        m.read_only = r.boolean(mj, "ReadOnly").value_or(false);
        m.at = at;
        w.mounts.push_back(m);
      }
    }
  }
  // The top-level Mounts say what is mounted (binds, volumes by name, --mount tmpfs); Binds and
  // Tmpfs above said what was asked. One entry per target, the mounted one's details winning.
  if (const json* mounts = r.array(c, "Mounts")) {
    for (const json& mj : *mounts) {
      if (!mj.is_object()) r.bad("Mounts", "an array of objects");
      Mount m;
      m.type = r.str(mj, "Type").value_or("other");
      if (m.type != "bind" && m.type != "volume" && m.type != "tmpfs") m.type = "other";
      m.source = m.type == "volume" ? r.str(mj, "Name").value_or("") : "";
      if (m.type == "bind") m.source = r.str(mj, "Source").value_or("");
      m.target = r.str(mj, "Destination").value_or("");
      m.read_only = !r.boolean(mj, "RW").value_or(true);
      m.at = at;
      auto it = std::find_if(w.mounts.begin(), w.mounts.end(),
                             [&](const Mount& o) { return o.target == m.target; });
      if (it != w.mounts.end())
        *it = m;
      else
        w.mounts.push_back(m);
    }
  }
  return w;
}

}  // namespace

Deployment read_inspect(const DeployFile& f) {
  Deployment d;
  d.kind = DeployKind::kInspect;
  d.files.push_back(f.path);
  json j;
  try {
    j = json::parse(f.text);
  } catch (const json::parse_error& e) {
    // The byte offset of the error, as a line for the message.
    const std::size_t upto = std::min<std::size_t>(e.byte, f.text.size());
    const int line = 1 + static_cast<int>(std::count(
                             f.text.begin(), f.text.begin() + static_cast<long>(upto), '\n'));
    fail_at(SourceLoc{f.path, line, 0}, "invalid JSON");
  } catch (const json::exception& e) {  // a number out of range (406)
    fail_at(SourceLoc{f.path, 0, 0}, std::string("invalid JSON: ") + e.what());
  }
  try {
    if (j.is_object()) {
      d.workloads.push_back(read_container(f.path, j, 0));
    } else if (j.is_array()) {
      for (std::size_t i = 0; i < j.size(); ++i)
        d.workloads.push_back(read_container(f.path, j[i], i));
    } else {
      fail_at(SourceLoc{f.path, 1, 0}, "expected docker/podman inspect output (a JSON array)");
    }
  } catch (const json::exception& e) {
    fail_at(SourceLoc{f.path, 0, 0}, std::string("unexpected inspect JSON: ") + e.what());
  }
  return d;
}

}  // namespace tailor
