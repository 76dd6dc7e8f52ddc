#include "tailor/profile_json.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <type_traits>

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

// ---- writing the file entries -----------------------------------------------------------------
//
// A big profile is mostly file entries (100k files: 25 MB of JSON), and building a document of
// them only to print it took most of to_json()'s time and memory. They are printed directly,
// byte for byte as nlohmann's dump(2) prints the document to_json() used to build for them (the
// test "scale: to_json prints file entries as the JSON document printed them" compares them).

// Paths are bytes, JSON strings are UTF-8: a file name that is not valid UTF-8 is written with
// U+FFFD in place of the bad bytes rather than losing the whole recording. Strings of printable
// ASCII without quotes or backslashes print as they are; others go through nlohmann's escaping.
void append_string(std::string& out, const std::string& s) {
  const bool plain = std::all_of(
      s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
  if (plain) {
    out += '"';
    out += s;
    out += '"';
  } else {
    out += json(s).dump(-1, ' ', false, json::error_handler_t::replace);
  }
}

// A value dump(2) printed at the top level, as it prints it `indent` spaces deeper: every line
// but the first moves right (a string never holds a raw newline: dump() escapes it).
void append_indented(std::string& out, const std::string& dumped, std::size_t indent) {
  std::size_t at = 0;
  for (std::size_t nl = dumped.find('\n'); nl != std::string::npos; nl = dumped.find('\n', at)) {
    out.append(dumped, at, nl + 1 - at);
    out.append(indent, ' ');
    at = nl + 1;
  }
  out.append(dumped, at);
}

void append_number(std::string& out, std::uint64_t n) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, r.ptr);
}

// A set of strings or numbers as a member of an entry (6 spaces deep) prints.
template <typename T>
void append_list(std::string& out, const std::set<T>& values) {
  if (values.empty()) {
    out += "[]";
    return;
  }
  out += '[';
  bool first = true;
  for (const auto& v : values) {
    out += first ? "\n        " : ",\n        ";
    first = false;
    if constexpr (std::is_same_v<T, std::string>)
      append_string(out, v);
    else
      append_number(out, v);
  }
  out += "\n      ]";
}

// The "files" object, as the document's "files" member (2 spaces deep) prints.
void write_files(std::string& out, const std::map<std::string, FileUse>& files) {
  if (files.empty()) {
    out += "{}";
    return;
  }
  out += '{';
  for (const auto& [path, use] : files) {
    out += &path == &files.begin()->first ? "\n    " : ",\n    ";
    append_string(out, path);
    out += ": ";
    if (!use.ev.sites.empty()) {
      // Static evidence on a file (not something tailor records): the document's way.
      json f = ev_json(use.ev);
      f["access"] = use.access;
      if (!use.errors.empty()) f["errors"] = use.errors;
      if (!use.pids.empty()) f["pids"] = use.pids;
      f["succeeded"] = use.succeeded;
      if (!use.types.empty()) f["types"] = use.types;
      append_indented(out, f.dump(2, ' ', false, json::error_handler_t::replace), 4);
      continue;
    }
    // The keys in the document's (sorted) order: access, by, count, errors, pids, succeeded,
    // types; "access", "by" and "count" always, the sets when not empty.
    out += "{\n      \"access\": ";
    append_list(out, use.access);
    out += ",\n      \"by\": ";
    if (use.ev.by.empty()) {
      out += "{}";
    } else {
      out += '{';
      for (const auto& [exe, n] : use.ev.by) {
        out += &exe == &use.ev.by.begin()->first ? "\n        " : ",\n        ";
        append_string(out, exe);
        out += ": ";
        append_number(out, n);
      }
      out += "\n      }";
    }
    out += ",\n      \"count\": ";
    append_number(out, use.ev.count());
    if (!use.errors.empty()) {
      out += ",\n      \"errors\": ";
      append_list(out, use.errors);
    }
    if (!use.pids.empty()) {
      out += ",\n      \"pids\": ";
      append_list(out, use.pids);
    }
    out += use.succeeded ? ",\n      \"succeeded\": true" : ",\n      \"succeeded\": false";
    if (!use.types.empty()) {
      out += ",\n      \"types\": ";
      append_list(out, use.types);
    }
    out += "\n    }";
  }
  out += "\n  }";
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
  // Only for recordings made in a container: profiles of everything else read and write as
  // before, and older readers, which skip keys they do not know, still read these.
  if (!p.containers.empty()) {
    j["containers"] = json::array();
    for (const auto& c : p.containers)
      j["containers"].push_back({{"engine", c.engine}, {"image", c.image}, {"command", c.command}});
  }

  j["syscalls"] = json::object();
  for (const auto& [arch, calls] : p.syscalls)
    j["syscalls"][arch] = ev_map(calls, [](const std::string& s) { return s; });

  j["files"] = nullptr;  // its place: written by write_files()

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
  // The document as j.dump(2) writes it, member by member, with the file entries written
  // straight from the profile (see write_files()).
  std::string out;
  out.reserve(p.files.size() * 256 + 4096);
  out += "{\n";
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it != j.begin()) out += ",\n";
    out += "  ";
    append_string(out, it.key());
    out += ": ";
    if (it.key() == "files")
      write_files(out, p.files);
    else
      append_indented(out, it->dump(2, ' ', false, json::error_handler_t::replace), 2);
  }
  out += "\n}\n";
  return out;
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
// `streamed_files`: the file entries FilesReader already took out of the document.
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
    // "containers" came after format 1 was published: absent, the recording ran outside one.
    for (const auto& c : array_or_empty(member(j, "containers", ""), "containers")) {
      const std::string w = "containers[]";
      need_object(c, w);
      ContainerOrigin o;
      o.engine = get_string(member(c, "engine", w), w + ".engine");
      if (const json& image = member(c, "image", w); !image.is_null())
        o.image = get_string(image, w + ".image");
      for (const auto& a : array_or_empty(member(c, "command", w), w + ".command"))
        o.command.push_back(get_string(a, w + ".command[]"));
      p.containers.insert(std::move(o));
    }
    for (const auto& [arch, calls] : object_or_empty(member(j, "syscalls", ""), "syscalls").items())
      read_ev_map(calls, "syscalls." + arch, p.syscalls[arch], string_key);

    for (const auto& [path, v] : object_or_empty(member(j, "files", ""), "files").items())
      p.files[path] = read_file_use(v, "files." + path);
    // The entries FilesReader read: then the document's "files" is empty.
    if (streamed_files && p.files.empty())
      p.files.swap(*streamed_files);
    else if (streamed_files)
      p.files.merge(*streamed_files);

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

// ---- the file entries, read fast ---------------------------------------------------------------
//
// The file entries of a big profile are most of it (100k files: 25 MB), and a JSON document
// holding them costs several times more to build and take apart again than reading them; even
// nlohmann's lexer alone, going byte by byte, costs more than all the rest of loading. So the
// "files" member is read by FilesReader, a strict parser for exactly the shape to_json() writes
// (an object of path -> {access, by, count, errors, pids, succeeded, types} with values of those
// types, or null), straight into FileUse values; the rest of the text, with "files": {} in their
// place, is parsed as usual. Anything else at all (a key it does not know, a value of another
// type, a key twice, a number with a fraction, text that is not JSON) and the whole text is
// parsed the plain way, where profile_from_document() meets it and reads or reports it as it
// always did. So what a file means, and what is wrong with a bad one, do not depend on this.

class FilesReader {
 public:
  FilesReader(std::string_view text, std::map<std::string, FileUse>& files)
      : t_(text), files_(files) {}

  // The object at `at`, read into the map; `at` is left after it. False: not of that shape.
  bool read_files(std::size_t& at) {
    i_ = at;
    if (!eat('{')) return false;
    ws();
    if (!eat('}')) {
      do {
        ws();
        if (!string(str_)) return false;
        ws();
        if (!eat(':')) return false;
        ws();
        const std::size_t before = files_.size();
        FileUse& use = files_.emplace_hint(files_.end(), str_, FileUse{})->second;
        if (files_.size() == before || !entry(use)) return false;  // a path twice, or not simple
        ws();
      } while (eat(','));
      if (!eat('}')) return false;
    }
    at = i_;
    return true;
  }

 private:
  bool entry(FileUse& use) {
    if (!eat('{')) return false;
    unsigned seen = 0;
    bool has_by = false, succeeded = true;
    std::uint64_t count = 0;
    ws();
    if (!eat('}')) {
      do {
        ws();
        if (!string(str_)) return false;
        ws();
        if (!eat(':')) return false;
        ws();
        const unsigned f = field(str_);
        if (!f || (seen & f)) return false;  // a key this does not read, or a key twice
        seen |= f;
        if (literal("null")) {
          // as if absent, which for "by" means "count" counts
        } else if (f == kAccess || f == kErrors || f == kTypes) {
          if (!strings(f == kAccess ? use.access : f == kErrors ? use.errors : use.types))
            return false;
        } else if (f == kPids) {
          if (!pids(use.pids)) return false;
        } else if (f == kBy) {
          if (!by(use.ev.by)) return false;
          has_by = true;
        } else if (f == kCount) {
          if (!number(count)) return false;
        } else if (literal("true")) {
          succeeded = true;
        } else if (literal("false")) {
          succeeded = false;
        } else {
          return false;
        }
        ws();
      } while (eat(','));
      if (!eat('}')) return false;
    }
    // As read_ev(): "by" when present, else a positive "count" by an unknown executable.
    if (!has_by && count > 0) use.ev.by[""] += count;
    use.succeeded = succeeded;
    return true;
  }

  static constexpr unsigned kAccess = 1, kBy = 2, kCount = 4, kErrors = 8, kPids = 16,
                            kSucceeded = 32, kTypes = 64;
  static unsigned field(const std::string& k) {
    static const std::pair<std::string_view, unsigned> kFields[] = {
        {"access", kAccess}, {"by", kBy},       {"count", kCount},        {"errors", kErrors},
        {"pids", kPids},     {"types", kTypes}, {"succeeded", kSucceeded}};
    for (const auto& [name, f] : kFields)
      if (k == name) return f;
    return 0;
  }

  bool strings(std::set<std::string>& out) {
    if (!eat('[')) return false;
    ws();
    if (eat(']')) return true;
    do {
      ws();
      if (!string(str_)) return false;
      out.insert(str_);
      ws();
    } while (eat(','));
    return eat(']');
  }
  bool pids(std::set<std::uint32_t>& out) {
    if (!eat('[')) return false;
    ws();
    if (eat(']')) return true;
    do {
      ws();
      std::uint64_t n = 0;
      if (!number(n) || n > 0xffffffffu) return false;
      out.insert(static_cast<std::uint32_t>(n));
      ws();
    } while (eat(','));
    return eat(']');
  }
  bool by(std::map<std::string, std::uint64_t>& out) {
    if (!eat('{')) return false;
    ws();
    if (eat('}')) return true;
    do {
      ws();
      if (!string(str_)) return false;
      ws();
      if (!eat(':')) return false;
      ws();
      std::uint64_t n = 0;
      if (!number(n)) return false;
      out[str_] = n;  // the document keeps the last of a repeated key
      ws();
    } while (eat(','));
    return eat('}');
  }

  // A non-negative integer as JSON writes it ("0" or no leading zero) that fits 64 bits; not
  // one followed by a fraction or an exponent, which the document would hold as a float.
  bool number(std::uint64_t& out) {
    if (i_ >= t_.size() || !digit(t_[i_])) return false;
    if (t_[i_] == '0') {
      ++i_;
      out = 0;
    } else {
      std::uint64_t v = 0;
      for (; i_ < t_.size() && digit(t_[i_]); ++i_) {
        const auto d = static_cast<std::uint64_t>(t_[i_] - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
      }
      out = v;
    }
    return i_ >= t_.size() || !(digit(t_[i_]) || t_[i_] == '.' || t_[i_] == 'e' || t_[i_] == 'E');
  }

  // A string as JSON allows it: no raw control characters, well-formed UTF-8 (RFC 3629, as the
  // document's reader checks it), escapes decoded (\u ones with their surrogate pairs).
  bool string(std::string& out) {
    if (!eat('"')) return false;
    out.clear();
    std::size_t plain = i_;
    for (;;) {
      if (i_ >= t_.size()) return false;
      const auto c = static_cast<unsigned char>(t_[i_]);
      if (c == '"') {
        out.append(t_.data() + plain, i_ - plain);
        ++i_;
        return true;
      }
      if (c < 0x20) return false;
      if (c < 0x80 && c != '\\') {
        ++i_;
        continue;
      }
      if (c >= 0x80) {
        const std::size_t n = utf8_length(i_);
        if (!n) return false;
        i_ += n;
        continue;
      }
      out.append(t_.data() + plain, i_ - plain);
      if (++i_ >= t_.size()) return false;
      const char e = t_[i_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u':
          if (!unicode_escape(out)) return false;
          break;
        default:
          return false;
      }
      plain = i_;
    }
  }

  // After "\u": 4 hex digits, a surrogate pair's second half after a first, as UTF-8.
  bool unicode_escape(std::string& out) {
    auto hex4 = [&](std::uint32_t& v) {
      if (i_ + 4 > t_.size()) return false;
      v = 0;
      for (int k = 0; k < 4; ++k) {
        const char h = t_[i_++];
        const int d = digit(h)                 ? h - '0'
                      : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                      : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                               : -1;
        if (d < 0) return false;
        v = v * 16 + static_cast<std::uint32_t>(d);
      }
      return true;
    };
    std::uint32_t cp = 0;
    if (!hex4(cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a second half alone
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      std::uint32_t low = 0;
      if (i_ + 2 > t_.size() || t_[i_] != '\\' || t_[i_ + 1] != 'u') return false;
      i_ += 2;
      if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return true;
  }

  // Length of the well-formed UTF-8 sequence at `at` (Unicode 3-7), 0 if there is none.
  std::size_t utf8_length(std::size_t at) const {
    auto byte = [&](std::size_t k) {
      return at + k < t_.size() ? static_cast<unsigned char>(t_[at + k]) : 0u;
    };
    auto in = [](unsigned b, unsigned lo, unsigned hi) { return b >= lo && b <= hi; };
    const unsigned b0 = byte(0), b1 = byte(1);
    if (in(b0, 0xC2, 0xDF)) return in(b1, 0x80, 0xBF) ? 2 : 0;
    const unsigned lo = b0 == 0xE0 ? 0xA0 : b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned hi = b0 == 0xED ? 0x9F : b0 == 0xF4 ? 0x8F : 0xBF;
    if (in(b0, 0xE0, 0xEF)) return in(b1, lo, hi) && in(byte(2), 0x80, 0xBF) ? 3 : 0;
    if (in(b0, 0xF0, 0xF4))
      return in(b1, lo, hi) && in(byte(2), 0x80, 0xBF) && in(byte(3), 0x80, 0xBF) ? 4 : 0;
    return 0;
  }

  static bool digit(char c) { return c >= '0' && c <= '9'; }
  void ws() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\r' || t_[i_] == '\t'))
      ++i_;
  }
  bool eat(char c) {
    if (i_ >= t_.size() || t_[i_] != c) return false;
    ++i_;
    return true;
  }
  bool literal(std::string_view word) {
    if (t_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  std::string_view t_;
  std::map<std::string, FileUse>& files_;
  std::size_t i_ = 0;
  std::string str_;
};

// The text without its top-level "files" member's value, which is read into `files`; nullopt if
// the fast way does not apply (see FilesReader) and the text has to be parsed the plain way.
// The top level is only walked here (strings skipped, brackets counted) to find that member:
// the rest of the text is checked by the parser, and replacing one well-formed object by `{}`
// changes nothing else about it.
std::optional<std::string> without_files(std::string_view t,
                                         std::map<std::string, FileUse>& files) {
  auto ws = [&](std::size_t i) {
    while (i < t.size() && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t')) ++i;
    return i;
  };
  std::size_t i = ws(0), begin = 0, end = 0;
  if (i >= t.size() || t[i] != '{') return std::nullopt;
  FilesReader reader(t, files);
  for (int depth = 0; i < t.size();) {
    const char c = t[i];
    if (c == '"') {
      std::size_t e = i + 1;
      while (e < t.size() && t[e] != '"') e += t[e] == '\\' ? 2 : 1;
      if (e >= t.size()) return std::nullopt;
      const std::string_view s = t.substr(i + 1, e - i - 1);
      const std::size_t after = ws(e + 1);
      if (depth == 1 && after < t.size() && t[after] == ':') {
        // A key of the top-level object: one spelled with escapes could be "files" too.
        if (s.find('\\') != std::string_view::npos) return std::nullopt;
        if (s == "files") {
          if (end) return std::nullopt;  // twice: the document keeps the last
          begin = ws(after + 1);
          end = begin;
          if (!reader.read_files(end)) return std::nullopt;
          i = end;
          continue;
        }
      }
      i = e + 1;
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    if ((c == '}' || c == ']') && --depth == 0) break;
    ++i;
  }
  if (!end) return std::nullopt;
  std::string rest;
  rest.reserve(t.size() - (end - begin) + 2);
  rest.append(t.substr(0, begin));
  rest += "{}";
  rest.append(t.substr(end));
  return rest;
}

// Parses a profile's text, its file entries into `files` (the document's "files" is then {});
// as json::parse otherwise: a discarded value for text that is not JSON, or a json::exception
// with `allow_exceptions`.
json parse_profile_text(std::string_view text, std::map<std::string, FileUse>& files,
                        bool allow_exceptions) {
  if (const auto rest = without_files(text, files)) {
    json j = json::parse(*rest, nullptr, false);
    if (!j.is_discarded()) return j;
  }
  files.clear();
  return json::parse(text.begin(), text.end(), nullptr, allow_exceptions);
}

}  // namespace

Profile profile_from_json(std::string_view text) {
  json j;
  std::map<std::string, FileUse> files;
  try {
    j = parse_profile_text(text, files, true);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for 1e400
    throw Error(std::string("not valid JSON: ") + e.what());
  }
  return profile_from_document(j, &files);
}

// One read into a string of the file's size (a stream through an ostringstream copied a 25 MB
// profile twice); pipes and /proc files, whose size says nothing, are read until EOF.
std::string read_file(const std::string& path) {
  auto fail = [&] { throw Error("cannot read " + path + ": " + std::strerror(errno)); };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail();
  struct stat st {};
  std::string out;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
    out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t have = 0;
  char chunk[65536];  // beyond the size fstat gave
  for (;;) {
    const bool in_place = have < out.size();
    const ssize_t n = in_place ? ::read(fd, out.data() + have, out.size() - have)
                               : ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      errno = e;
      fail();
    }
    if (n == 0) break;
    if (!in_place) out.append(chunk, static_cast<std::size_t>(n));
    have += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(have);
  return out;
}

void write_file_atomic(const std::string& path, std::string_view data) {
  if (path == "-") {
    std::cout.write(data.data(), static_cast<std::streamsize>(data.size()));
    std::cout.flush();
    return;
  }
  // `-o /dev/null`, a FIFO, /dev/stderr: renaming a file over them would replace the device
  // node (every later writer to /dev/null then fills a regular file, and reads of it are no
  // longer empty). A target that exists and is not a regular file is written in place: it has no
  // half-written state for anyone to read.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode)) throw Error("cannot write " + path + ": Is a directory");
    const int out = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (out < 0) throw Error("cannot write " + path + ": " + std::strerror(errno));
    for (std::size_t off = 0; off < data.size();) {
      const ssize_t n = ::write(out, data.data() + off, data.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int e = errno;
        ::close(out);
        throw Error("cannot write " + path + ": " + std::strerror(e));
      }
      off += static_cast<std::size_t>(n);
    }
    ::close(out);
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
  std::map<std::string, FileUse> files;
  const json j = parse_profile_text(text, files, false);
  if (j.is_discarded())
    throw Error(path + ": not JSON (expected a tailor profile or a Docker/OCI seccomp profile)");
  ProfileOrPolicy out;
  try {
    if (j.is_object() && j.contains("tailor"))
      out.profile = profile_from_document(j, &files);
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
