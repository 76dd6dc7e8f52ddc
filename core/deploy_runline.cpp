// `docker|podman run` command lines. parse_engine_run (core/engine_cmd.cpp) already knows which
// options take a value; this reads the ones the model has. Locations: no file and no line, the
// column is the 1-based argv index of the option word (harden rewrites that word).
#include <algorithm>

#include "deploy_internal.h"
#include "tailor/deploy.h"
#include "tailor/engine_cmd.h"
#include "tailor/error.h"

namespace tailor {

using namespace deploy_detail;

namespace {

[[noreturn]] void bad(const EngineOption& o, const std::string& why) {
  throw Error("run line: " + o.name + (o.value ? " " + *o.value : "") + ": " + why, kExitUsage);
}

bool flag_value(const EngineOption& o) {
  if (!o.value) return true;
  auto b = parse_bool(*o.value);
  if (!b) bad(o, "expected true or false");
  return *b;
}

// --mount type=bind,source=/a,target=/b,readonly
Mount parse_mount_option(const EngineOption& o) {
  Mount m;
  m.type = "volume";
  for (const std::string& kv : split(*o.value, ',')) {
    auto eq = kv.find('=');
    const std::string k = kv.substr(0, eq);
    const std::string v = eq == std::string::npos ? "" : kv.substr(eq + 1);
    if (k == "type") {
      m.type = v == "bind" || v == "volume" || v == "tmpfs" ? v : "other";
    } else if (k == "src" || k == "source") {
      m.source = v;
    } else if (k == "dst" || k == "destination" || k == "target") {
      m.target = v;
    } else if (k == "ro" || k == "readonly") {
      auto b = eq == std::string::npos ? std::optional<bool>(true) : parse_bool(v);
      if (!b) bad(o, "readonly: expected true or false");
      m.read_only = *b;
    }
  }
  if (m.target.empty()) bad(o, "no target");
  return m;
}

}  // namespace

Deployment read_run_line(const std::vector<std::string>& argv) {
  auto run = parse_engine_run(argv);
  if (!run || (run->engine != "docker" && run->engine != "podman"))
    throw Error("not a `docker run` or `podman run` command line", kExitUsage);
  Deployment d;
  d.kind = DeployKind::kRunLine;
  d.files.push_back("");
  d.argv = argv;
  Workload w;
  w.engine = run->engine;
  w.name = run->engine + " run";
  w.image = run->image;
  w.command = run->command;
  w.at = SourceLoc{"", 0, static_cast<int>(run->run_at) + 1};
  std::string container_name;
  for (const EngineOption& o : run->options) {
    const SourceLoc at{"", 0, static_cast<int>(o.at) + 1};
    const std::string& n = o.name;
    auto need = [&]() -> const std::string& {
      if (!o.value) bad(o, "expected a value");
      return *o.value;
    };
    if (n == "--privileged") {
      w.privileged = flag_value(o);
      w.where["privileged"] = at;
    } else if (n == "--cap-add" || n == "--cap-drop") {
      const std::string field = n == "--cap-add" ? "cap_add" : "cap_drop";
      auto& caps = n == "--cap-add" ? w.cap_add : w.cap_drop;
      w.where[field] = at;
      for (const std::string& c : split(need(), ',')) {
        if (c.empty()) continue;
        caps.insert(normalize_cap(c));
        w.where[field + " " + normalize_cap(c)] = at;
      }
    } else if (n == "--security-opt") {
      if (!apply_security_opt(w, need(), at)) bad(o, "invalid value");
      w.where["security_opt"] = at;
    } else if (n == "-u" || n == "--user") {
      w.user = need();
      w.where["user"] = at;
    } else if (n == "--read-only") {
      w.read_only_rootfs = flag_value(o);
      w.where["read_only_rootfs"] = at;
    } else if (n == "--network" || n == "--net") {
      w.network_mode = need();
      w.where["network_mode"] = at;
    } else if (n == "--pid" || n == "--ipc" || n == "--uts") {
      const bool host = need() == "host";
      (n == "--pid" ? w.host_pid : n == "--ipc" ? w.host_ipc : w.host_uts) = host;
      w.where["host_" + n.substr(2)] = at;
    } else if (n == "--userns") {
      w.userns_mode = need();
      w.where["userns_mode"] = at;
    } else if (n == "-v" || n == "--volume") {
      auto m = parse_volume_short(need());
      if (!m) bad(o, "expected [SRC:]DST[:MODE]");
      m->at = at;
      w.mounts.push_back(*m);
      w.where["volumes"] = at;
    } else if (n == "--mount") {
      need();
      Mount m = parse_mount_option(o);
      m.at = at;
      w.mounts.push_back(m);
      w.where["volumes"] = at;
    } else if (n == "--tmpfs") {
      Mount m = parse_tmpfs(need());
      if (m.target.empty()) bad(o, "expected a path");
      m.at = at;
      w.mounts.push_back(m);
      w.where["tmpfs"] = at;
    } else if (n == "--device") {
      w.devices.push_back(need());
      w.where["devices"] = at;
    } else if (n == "-p" || n == "--publish") {
      auto p = parse_port_short(need());
      if (!p) bad(o, "expected [[IP:]HOST:]PORT[/PROTO]");
      p->at = at;
      w.ports.push_back(*p);
      w.where["ports"] = at;
    } else if (n == "-m" || n == "--memory") {
      auto b = parse_memory_bytes(need());
      if (!b) bad(o, "not a size");
      if (*b > 0) w.memory_bytes = b;  // 0: no limit
      w.where["memory"] = at;
    } else if (n == "--pids-limit") {
      auto v = parse_i64(need());
      if (!v) bad(o, "expected an integer");
      if (*v > 0) w.pids_limit = static_cast<std::uint64_t>(*v);
      w.where["pids_limit"] = at;
    } else if (n == "--ulimit") {
      const std::string& v = need();
      if (v.rfind("nofile=", 0) == 0) {
        if (!parse_nofile(std::string_view(v).substr(7), w)) bad(o, "expected nofile=SOFT[:HARD]");
        w.where["nofile"] = at;
      }
    } else if (n == "--cpus") {
      auto c = parse_double(need());
      if (!c || *c < 0) bad(o, "expected a number");
      if (*c > 0) w.cpus = c;
      w.where["cpus"] = at;
    } else if (n == "--entrypoint") {
      // Both CLIs take the whole value as the program (no splitting); "" resets it.
      w.entrypoint.clear();
      if (!need().empty()) w.entrypoint.push_back(need());
      w.where["entrypoint"] = at;
    } else if (n == "--name") {
      container_name = need();
    }
  }
  w.service = container_name.empty() ? image_base_name(w.image) : container_name;
  d.workloads.push_back(std::move(w));
  return d;
}

}  // namespace tailor
