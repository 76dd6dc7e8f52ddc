#include "tailor/profile_json.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "tailor/error.h"

namespace tailor {

using nlohmann::json;

namespace {

// ---- writing ---------------------------------------------------------------------------------

std::string hex(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

json ev_json(const Evidence& ev) {
  json j = json::object();
  j["count"] = ev.count();
  j["by"] = json::object();
  for (const auto& [exe, n] : ev.by) j["by"][exe] = n;
  if (!ev.sites.empty()) {
    // "source" says at a glance whether a test run ever made the call.
    j["source"] = ev.by.empty() ? "static" : "recorded+static";
    j["static"] = json::array();
    for (const auto& s : ev.sites)
      j["static"].push_back(
          {{"object", s.object}, {"function", s.function}, {"address", hex(s.address)}});
  }
  return j;
}

template <typename K, typename KeyFn>
json ev_map(const std::map<K, Evidence>& m, KeyFn key) {
  json j = json::object();
  for (const auto& [k, ev] : m) j[key(k)] = ev_json(ev);
  return j;
}

json caps_json(const std::map<std::string, CapUse>& caps) {
  json j = json::object();
  for (const auto& [name, use] : caps) {
    json c = ev_json(use.ev);
    c["reasons"] = json::array();
    for (const auto& r : use.reasons)
      c["reasons"].push_back({{"syscall", r.syscall}, {"detail", r.detail}});
    j[name] = std::move(c);
  }
  return j;
}

// ---- reading: every access is checked, every failure is one tailor::Error line ---------------

// Keys come from the input: quote them so a hostile profile cannot put newlines or terminal
// escapes into the one-line error.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  return out.size() > 200 ? out.substr(0, 200) + "..." : out;
}

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw Error("malformed tailor profile: " + printable(where) + ": " + printable(what));
}

const json& member(const json& obj, const char* key, const std::string& /*where*/) {
  static const json null_json;
  auto it = obj.find(key);
  return it == obj.end() ? null_json : *it;
}

const json& need_object(const json& j, const std::string& where) {
  if (!j.is_object()) bad(where, "expected an object");
  return j;
}

const json& object_or_empty(const json& j, const std::string& where) {
  static const json empty = json::object();
  if (j.is_null()) return empty;
  return need_object(j, where);
}

const json& array_or_empty(const json& j, const std::string& where) {
  static const json empty = json::array();
  if (j.is_null()) return empty;
  if (!j.is_array()) bad(where, "expected an array");
  return j;
}

std::string get_string(const json& j, const std::string& where) {
  if (!j.is_string()) bad(where, "expected a string");
  return j.get<std::string>();
}

std::uint64_t get_uint(const json& j, const std::string& where) {
  if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<std::int64_t>() >= 0))
    bad(where, "expected a non-negative integer");
  return j.get<std::uint64_t>();
}

bool get_bool(const json& j, const std::string& where, bool dflt = false) {
  if (j.is_null()) return dflt;
  if (!j.is_boolean()) bad(where, "expected true or false");
  return j.get<bool>();
}

std::uint64_t parse_number_key(const std::string& s, const std::string& where) {
  if (s.empty() || !std::isdigit(static_cast<unsigned char>(s[0])))
    bad(where, "not a number: " + s);
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (errno != 0 || end == s.c_str() || *end != '\0' || s[0] == '-')
    bad(where, "not a number: " + s);
  return v;
}

Evidence read_ev(const json& j, const std::string& where) {
  need_object(j, where);
  Evidence ev;
  const json& by = member(j, "by", where);
  if (!by.is_null()) {
    for (const auto& [exe, n] : need_object(by, where + ".by").items())
      ev.by[exe] += get_uint(n, where + ".by." + exe);
  } else if (const json& c = member(j, "count", where); !c.is_null()) {
    if (auto n = get_uint(c, where + ".count"); n > 0) ev.by[""] += n;
  }
  for (const auto& s : array_or_empty(member(j, "static", where), where + ".static")) {
    const std::string w = where + ".static[]";
    need_object(s, w);
    const std::string addr = get_string(member(s, "address", w), w + ".address");
    ev.sites.insert({get_string(member(s, "object", w), w + ".object"),
                     get_string(member(s, "function", w), w + ".function"),
                     parse_number_key(addr, w + ".address")});
  }
  return ev;
}

template <typename K, typename KeyFn>
void read_ev_map(const json& j, const std::string& where, std::map<K, Evidence>& out, KeyFn key) {
  for (const auto& [k, v] : object_or_empty(j, where).items()) {
    auto& dst = out[key(k, where + "." + k)];
    Evidence ev = read_ev(v, where + "." + k);
    for (const auto& [exe, n] : ev.by) dst.by[exe] += n;
    dst.sites.insert(ev.sites.begin(), ev.sites.end());
  }
}

void read_caps(const json& j, const std::string& where, std::map<std::string, CapUse>& out) {
  for (const auto& [name, v] : object_or_empty(j, where).items()) {
    const std::string w = where + "." + name;
    CapUse use;
    use.ev = read_ev(v, w);
    for (const auto& r : array_or_empty(member(v, "reasons", w), w + ".reasons")) {
      need_object(r, w + ".reasons[]");
      use.reasons.insert({get_string(member(r, "syscall", w), w + ".reasons[].syscall"),
                          get_string(member(r, "detail", w), w + ".reasons[].detail")});
    }
    out[name] = std::move(use);
  }
}

auto string_key = [](const std::string& k, const std::string&) { return k; };
auto number_key = [](const std::string& k, const std::string& where) {
  return parse_number_key(k, where);
};
auto id_key = [](const std::string& k, const std::string& where) {
  auto v = parse_number_key(k, where);
  if (v > 0xffffffffu) bad(where, "id out of range");
  return static_cast<std::uint32_t>(v);
};

}  // namespace

std::string to_json(const Profile& p) {
  json j = json::object();
  j["tailor"] = kFormatVersion;

  j["commands"] = json::array();
  for (const auto& argv : p.commands) j["commands"].push_back(argv);

  j["syscalls"] = json::object();
  for (const auto& [arch, calls] : p.syscalls)
    j["syscalls"][arch] = ev_map(calls, [](const std::string& s) { return s; });

  j["files"] = json::object();
  for (const auto& [path, use] : p.files) {
    json f = ev_json(use.ev);
    f["access"] = use.access;
    if (!use.errors.empty()) f["errors"] = use.errors;
    if (!use.pids.empty()) f["pids"] = use.pids;
    f["succeeded"] = use.succeeded;
    if (!use.types.empty()) f["types"] = use.types;
    j["files"][path] = std::move(f);
  }

  json net = json::object();
  net["sockets"] = json::array();
  for (const auto& [s, ev] : p.sockets) {
    json e = ev_json(ev);
    e["family"] = s.family;
    e["type"] = s.type;
    e["protocol"] = s.protocol;
    net["sockets"].push_back(std::move(e));
  }
  net["endpoints"] = json::array();
  for (const auto& [ep, ev] : p.endpoints) {
    json e = ev_json(ev);
    e["op"] = ep.op;
    e["family"] = ep.family;
    e["address"] = ep.address;
    e["port"] = ep.port;
    net["endpoints"].push_back(std::move(e));
  }
  j["network"] = std::move(net);

  const auto& pf = p.process;
  json proc = json::object();
  proc["namespaces"] = ev_map(pf.namespaces, [](const std::string& s) { return s; });
  proc["executables"] = json::object();
  for (const auto& [path, exe] : pf.executables) {
    json e = ev_json(exe.ev);
    e["setuid"] = exe.setuid;
    e["setgid"] = exe.setgid;
    e["file_caps"] = exe.file_caps;
    proc["executables"][path] = std::move(e);
  }
  proc["uids"] = ev_map(pf.uids, [](std::uint32_t v) { return std::to_string(v); });
  proc["gids"] = ev_map(pf.gids, [](std::uint32_t v) { return std::to_string(v); });
  proc["ioctls"] = ev_map(pf.ioctls, hex);
  proc["prctl"] = ev_map(pf.prctl, [](const std::string& s) { return s; });
  proc["personality"] = ev_map(pf.personality, hex);
  proc["exec_mappings"] = ev_map(pf.exec_mappings, [](const std::string& s) { return s; });
  j["process"] = std::move(proc);

  j["capabilities"] = caps_json(p.capabilities);
  j["capability_hints"] = caps_json(p.capability_hints);

  const auto& r = p.resources;
  j["resources"] = {{"peak_processes", r.peak_processes},
                    {"peak_threads", r.peak_threads},
                    {"peak_rss_kb", r.peak_rss_kb},
                    {"peak_fds", r.peak_fds},
                    {"wall_seconds", r.wall_seconds}};
  if (!p.analysis.objects.empty() || !p.analysis.missing.empty()) {
    json st = json::object();
    st["objects"] = json::object();
    for (const auto& [path, o] : p.analysis.objects)
      st["objects"][path] = {{"arch", o.arch},
                             {"build_id", o.build_id},
                             {"sites", o.sites},
                             {"unresolved", o.unresolved},
                             {"dlopen", o.dlopen}};
    st["missing"] = json::object();
    for (const auto& [name, by] : p.analysis.missing) st["missing"][name] = by;
    j["static"] = std::move(st);
  }
  // Paths are bytes, JSON strings are UTF-8: a file name that is not valid UTF-8 is written with
  // U+FFFD in place of the bad bytes rather than losing the whole recording.
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

namespace {

FileUse read_file_use(const json& v, const std::string& w) {
  FileUse use;
  use.ev = read_ev(v, w);
  for (const auto& a : array_or_empty(member(v, "access", w), w + ".access"))
    use.access.insert(get_string(a, w + ".access[]"));
  for (const auto& e : array_or_empty(member(v, "errors", w), w + ".errors"))
    use.errors.insert(get_string(e, w + ".errors[]"));
  use.succeeded = get_bool(member(v, "succeeded", w), w + ".succeeded", true);
  // "types" and "pids" came after format 1 was published: absent keys read as unknown (the
  // emitters then go by the access kinds, as before), and older readers skip them.
  for (const auto& t : array_or_empty(member(v, "types", w), w + ".types"))
    use.types.insert(get_string(t, w + ".types[]"));
  for (const auto& n : array_or_empty(member(v, "pids", w), w + ".pids")) {
    const std::uint64_t pid = get_uint(n, w + ".pids[]");
    if (pid > 0xffffffffu) bad(w + ".pids[]", "out of range");
    use.pids.insert(static_cast<std::uint32_t>(pid));
  }
  return use;
}

// A parsed document to a Profile. Separate from the text so that load_profile_or_policy, which
// has to parse a file to learn what it is, does not parse a 20 MB profile twice.
// `streamed_files`: the file entries parse_streaming() already took out of the document.
Profile profile_from_document(const json& j,
                              std::map<std::string, FileUse>* streamed_files = nullptr) {
  if (!j.is_object() || !j.contains("tailor"))
    throw Error(
        "not a tailor profile (no \"tailor\" format key; Docker/OCI seccomp JSON is not a "
        "recording)");
  const json& ver = j["tailor"];
  if (!ver.is_number_integer()) bad("tailor", "format version must be an integer");
  if (ver.get<std::int64_t>() != kFormatVersion)
    throw Error("unsupported tailor profile format version " + ver.dump() + " (this tailor reads " +
                std::to_string(kFormatVersion) + ")");

  Profile p;
  try {
    for (const auto& argv : array_or_empty(member(j, "commands", ""), "commands")) {
      std::vector<std::string> a;
      for (const auto& s : array_or_empty(argv, "commands[]"))
        a.push_back(get_string(s, "commands[][]"));
      p.commands.insert(std::move(a));
    }
    for (const auto& [arch, calls] : object_or_empty(member(j, "syscalls", ""), "syscalls").items())
      read_ev_map(calls, "syscalls." + arch, p.syscalls[arch], string_key);

    for (const auto& [path, v] : object_or_empty(member(j, "files", ""), "files").items())
      p.files[path] = read_file_use(v, "files." + path);
    if (streamed_files) p.files.merge(*streamed_files);  // disjoint: a repeated key is no stream

    const json& net = object_or_empty(member(j, "network", ""), "network");
    for (const auto& s : array_or_empty(member(net, "sockets", "network"), "network.sockets")) {
      const std::string w = "network.sockets[]";
      need_object(s, w);
      const json& proto = member(s, "protocol", w);
      const std::uint64_t protocol = proto.is_null() ? 0 : get_uint(proto, w + ".protocol");
      if (protocol > 0x7fffffff) bad(w + ".protocol", "out of range");
      Socket key{get_string(member(s, "family", w), w + ".family"),
                 get_string(member(s, "type", w), w + ".type"), static_cast<int>(protocol)};
      for (const auto& [exe, n] : read_ev(s, w).by) p.sockets[key].by[exe] += n;
    }
    for (const auto& e : array_or_empty(member(net, "endpoints", "network"), "network.endpoints")) {
      const std::string w = "network.endpoints[]";
      need_object(e, w);
      const json& port = member(e, "port", w);
      const std::uint64_t port_num = port.is_null() ? 0 : get_uint(port, w + ".port");
      if (port_num > 65535) bad(w + ".port", "out of range");
      Endpoint key{get_string(member(e, "op", w), w + ".op"),
                   get_string(member(e, "family", w), w + ".family"),
                   get_string(member(e, "address", w), w + ".address"), static_cast<int>(port_num)};
      for (const auto& [exe, n] : read_ev(e, w).by) p.endpoints[key].by[exe] += n;
    }

    const json& proc = object_or_empty(member(j, "process", ""), "process");
    auto& pf = p.process;
    read_ev_map(member(proc, "namespaces", ""), "process.namespaces", pf.namespaces, string_key);
    for (const auto& [path, v] :
         object_or_empty(member(proc, "executables", ""), "process.executables").items()) {
      const std::string w = "process.executables." + path;
      Executable exe;
      exe.ev = read_ev(v, w);
      exe.setuid = get_bool(member(v, "setuid", w), w + ".setuid");
      exe.setgid = get_bool(member(v, "setgid", w), w + ".setgid");
      exe.file_caps = get_bool(member(v, "file_caps", w), w + ".file_caps");
      pf.executables[path] = std::move(exe);
    }
    read_ev_map(member(proc, "uids", ""), "process.uids", pf.uids, id_key);
    read_ev_map(member(proc, "gids", ""), "process.gids", pf.gids, id_key);
    read_ev_map(member(proc, "ioctls", ""), "process.ioctls", pf.ioctls, number_key);
    read_ev_map(member(proc, "prctl", ""), "process.prctl", pf.prctl, string_key);
    read_ev_map(member(proc, "personality", ""), "process.personality", pf.personality, number_key);
    read_ev_map(member(proc, "exec_mappings", ""), "process.exec_mappings", pf.exec_mappings,
                string_key);

    read_caps(member(j, "capabilities", ""), "capabilities", p.capabilities);
    read_caps(member(j, "capability_hints", ""), "capability_hints", p.capability_hints);

    const json& st = object_or_empty(member(j, "static", ""), "static");
    for (const auto& [path, v] :
         object_or_empty(member(st, "objects", "static"), "static.objects").items()) {
      const std::string w = "static.objects." + path;
      need_object(v, w);
      StaticObject o;
      const json& arch = member(v, "arch", w);
      if (!arch.is_null()) o.arch = get_string(arch, w + ".arch");
      const json& id = member(v, "build_id", w);
      if (!id.is_null()) o.build_id = get_string(id, w + ".build_id");
      const json& sites = member(v, "sites", w);
      if (!sites.is_null()) o.sites = get_uint(sites, w + ".sites");
      const json& unresolved = member(v, "unresolved", w);
      if (!unresolved.is_null()) o.unresolved = get_uint(unresolved, w + ".unresolved");
      for (const auto& d : array_or_empty(member(v, "dlopen", w), w + ".dlopen"))
        o.dlopen.insert(get_string(d, w + ".dlopen[]"));
      p.analysis.objects[path] = std::move(o);
    }
    for (const auto& [name, v] :
         object_or_empty(member(st, "missing", "static"), "static.missing").items())
      for (const auto& by : array_or_empty(v, "static.missing." + name))
        p.analysis.missing[name].insert(get_string(by, "static.missing." + name + "[]"));

    const json& r = object_or_empty(member(j, "resources", ""), "resources");
    auto u = [&](const char* k) {
      const json& v = member(r, k, "resources");
      return v.is_null() ? 0 : get_uint(v, std::string("resources.") + k);
    };
    p.resources.peak_processes = u("peak_processes");
    p.resources.peak_threads = u("peak_threads");
    p.resources.peak_rss_kb = u("peak_rss_kb");
    p.resources.peak_fds = u("peak_fds");
    const json& wall = member(r, "wall_seconds", "resources");
    if (!wall.is_null()) {
      if (!wall.is_number() || wall.get<double>() < 0)
        bad("resources.wall_seconds", "expected a number");
      p.resources.wall_seconds = wall.get<double>();
    }
  } catch (const json::exception& e) {
    // Defensive: every access above is type-checked, but a library exception must still become
    // one clean line rather than a crash.
    throw Error(std::string("malformed tailor profile: ") + e.what());
  }
  return p;
}

// The file entries of a big profile are most of it (100k files: 25 MB), and a JSON document
// holding them costs as much to take apart again as to build. So they are read while the text
// is parsed: each entry is turned into a FileUse as soon as its object is complete, and left out
// of the document. Only entries that convert cleanly are taken; anything else (not an object,
// wrong types) stays in the document, where profile_from_document() meets it and reports it
// exactly as it always did, first key first. A key seen twice (the document keeps the last) or
// a second "files" member leaves nothing to the stream: the caller parses again without it.
struct Streamed {
  std::map<std::string, FileUse> files;
  bool again = false;  // parse once more without streaming
};

json parse_streaming(std::string_view text, Streamed& out, bool allow_exceptions) {
  std::string top_key, path;
  bool in_files = false, seen_files = false;
  std::set<std::string> kept;  // entries left in the document
  auto cb = [&](int depth, json::parse_event_t ev, json& parsed) {
    using E = json::parse_event_t;
    if (out.again) return true;
    if (depth == 1 && ev == E::key) {
      top_key = parsed.get<std::string>();
    } else if (depth == 1 && ev == E::object_start && top_key == "files") {
      if (seen_files) out.again = true;
      in_files = seen_files = true;
    } else if (depth == 1 && ev == E::object_end) {
      in_files = false;
    } else if (in_files && depth == 2 && ev == E::key) {
      path = parsed.get<std::string>();
      if (out.files.count(path) || kept.count(path)) out.again = true;
    } else if (in_files && depth == 2 && ev == E::object_end) {
      try {
        out.files.emplace(path, read_file_use(parsed, "files." + path));
        return false;
      } catch (const Error&) {
      } catch (const json::exception&) {
      }
      kept.insert(path);
    } else if (in_files && depth == 2 && (ev == E::value || ev == E::array_end)) {
      kept.insert(path);
    }
    return true;
  };
  return json::parse(text.begin(), text.end(), cb, allow_exceptions);
}

}  // namespace

Profile profile_from_json(std::string_view text) {
  json j;
  Streamed streamed;
  try {
    j = parse_streaming(text, streamed, true);
    if (streamed.again) {
      streamed.files.clear();
      j = json::parse(text.begin(), text.end());
    }
  } catch (const json::exception& e) {  // parse_error, and out_of_range for 1e400
    throw Error(std::string("not valid JSON: ") + e.what());
  }
  return profile_from_document(j, &streamed.files);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error("cannot read " + path + ": " + std::strerror(errno));
  return ss.str();
}

void write_file_atomic(const std::string& path, std::string_view data) {
  if (path == "-") {
    std::cout.write(data.data(), static_cast<std::streamsize>(data.size()));
    std::cout.flush();
    return;
  }
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = mkstemp(tmp.data());
  if (fd < 0) throw Error("cannot create " + tmp + ": " + std::strerror(errno));
  auto fail = [&](const char* what) {
    int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw Error(std::string("cannot ") + what + " " + path + ": " + std::strerror(e));
  };
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write");
    }
    off += static_cast<std::size_t>(n);
  }
  // mkstemp creates 0600; a profile is not secret, give it the usual umask-derived mode.
  mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd, 0666 & ~mask) != 0) fail("chmod");
  if (::fsync(fd) != 0) fail("sync");
  if (::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw Error("cannot write " + path + ": " + std::strerror(e));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw Error("cannot write " + path + ": " + std::strerror(e));
  }
}

ProfileOrPolicy load_profile_or_policy(const std::string& path) {
  const std::string text = read_file(path);  // its error names the path already
  Streamed streamed;
  json j = parse_streaming(text, streamed, false);
  if (streamed.again) {
    streamed.files.clear();
    j = json::parse(text, nullptr, false);
  }
  if (j.is_discarded())
    throw Error(path + ": not JSON (expected a tailor profile or a Docker/OCI seccomp profile)");
  ProfileOrPolicy out;
  try {
    if (j.is_object() && j.contains("tailor"))
      out.profile = profile_from_document(j, &streamed.files);
    else
      out.policy = seccomp_policy_from_json(text);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what(), e.code());
  }
  return out;
}

Profile load_profile(const std::string& path) {
  try {
    return profile_from_json(read_file(path));
  } catch (const Error& e) {
    throw Error(path + ": " + e.what(), e.code());
  }
}

}  // namespace tailor
