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

// ---- writing the file entries -----------------------------------------------------------------
//
// A big profile is mostly file entries (100k files: 25 MB of JSON), and building a document of
// them only to print it took most of to_json()'s time and memory. They are printed directly,
// byte for byte as nlohmann's dump(2) prints the document to_json() used to build for them (the
// test "json: file entries are written as the document would print them" compares the two).

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

// A member of an entry (6 spaces deep) holding a set of strings or numbers.
template <typename T>
void append_array(std::string& out, const char* key, const std::set<T>& values) {
  out += ",\n      \"";
  out += key;
  out += "\": ";
  if (values.empty()) {
    out += "[]";
    return;
  }
  out += '[';
  for (const auto& v : values) {
    out += v == *values.begin() ? "\n        " : ",\n        ";
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
    if (use.access.empty()) {
      out += "[]";
    } else {
      out += '[';
      for (const auto& a : use.access) {
        out += &a == &*use.access.begin() ? "\n        " : ",\n        ";
        append_string(out, a);
      }
      out += "\n      ]";
    }
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
    if (!use.errors.empty()) append_array(out, "errors", use.errors);
    if (!use.pids.empty()) append_array(out, "pids", use.pids);
    out += use.succeeded ? ",\n      \"succeeded\": true" : ",\n      \"succeeded\": false";
    if (!use.types.empty()) append_array(out, "types", use.types);
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
// `streamed_files`: the file entries ProfileSax already took out of the document.
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
    // The entries ProfileSax read: then the document's "files" is empty (see ProfileSax).
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

// The file entries of a big profile are most of it (100k files: 25 MB), and a JSON document
// holding them costs several times more to build and take apart again than the parsing itself.
// So ProfileSax reads them from the parser's events straight into FileUse values, and builds a
// document (as json::parse would) of everything else, where "files" is an empty object.
//
// Only entries of the shape to_json() writes are read that way: an object of the known keys
// (any others skipped) with values of the right types. Anything else (an entry that is not an
// object, a value of another type, a key twice, "static" evidence) stops the fast path, and
// the text is parsed again the plain way: profile_from_document() then meets the entry in the
// document and reports (or reads) it exactly as it always did, first key first. So the errors
// and results of odd input do not depend on this optimisation.
class ProfileSax {
 public:
  ProfileSax(json& doc, std::map<std::string, FileUse>& files, bool allow_exceptions)
      : dom_(doc, allow_exceptions), files_(files), allow_exceptions_(allow_exceptions) {}

  bool again() const { return again_; }
  bool errored() const { return errored_; }

  // Values that are not containers: in the document, or one of the entry's.
  bool null() {
    if (mode_ != Mode::kDom) return scalar(Kind::kNull, 0);
    pending_files_ = false;
    return dom_.null();
  }
  bool boolean(bool v) {
    if (mode_ != Mode::kDom) return scalar(Kind::kBool, v);
    pending_files_ = false;
    return dom_.boolean(v);
  }
  bool number_integer(json::number_integer_t v) {
    // The lexer gives non-negative integers as unsigned; only "-0" comes here as a zero.
    if (mode_ != Mode::kDom)
      return scalar(v < 0 ? Kind::kOther : Kind::kUint, static_cast<std::uint64_t>(v));
    pending_files_ = false;
    return dom_.number_integer(v);
  }
  bool number_unsigned(json::number_unsigned_t v) {
    if (mode_ != Mode::kDom) return scalar(Kind::kUint, v);
    pending_files_ = false;
    return dom_.number_unsigned(v);
  }
  bool number_float(json::number_float_t v, const std::string& s) {
    if (mode_ != Mode::kDom) return scalar(Kind::kOther, 0);
    pending_files_ = false;
    return dom_.number_float(v, s);
  }
  bool string(std::string& v) {
    if (mode_ == Mode::kList && list_) {
      list_->insert(v);
      return true;
    }
    if (mode_ != Mode::kDom) return scalar(Kind::kOther, 0);
    pending_files_ = false;
    return dom_.string(v);
  }
  bool binary(json::binary_t& v) { return mode_ == Mode::kDom ? dom_.binary(v) : stop(); }

  bool key(std::string& k) {
    switch (mode_) {
      case Mode::kDom:
        if (depth_ == 1 && k == "files") {
          if (seen_files_) return stop();  // the document keeps the last one
          seen_files_ = pending_files_ = true;
        }
        return dom_.key(k);
      case Mode::kFiles: {
        const std::size_t before = files_.size();
        entry_ = &files_.emplace_hint(files_.end(), k, FileUse{})->second;
        if (files_.size() == before) return stop();  // a path twice: the document keeps the last
        seen_ = 0;
        has_by_ = false;
        count_ = 0;
        succeeded_ = true;
        return true;
      }
      case Mode::kEntry:
        field_ = field(k);
        if (field_ == Field::kStatic) return stop();
        if (field_ != Field::kOther) {
          if (seen_ & (1u << static_cast<unsigned>(field_))) return stop();
          seen_ |= 1u << static_cast<unsigned>(field_);
        }
        return true;
      case Mode::kBy:
        exe_ = k;
        return true;
      default:
        return true;  // kList cannot hold keys; kSkip ignores them
    }
  }

  bool start_object(std::size_t len) {
    ++depth_;
    switch (mode_) {
      case Mode::kDom:
        if (pending_files_) {
          // The document gets "files": {}; the entries go to `files_`.
          pending_files_ = false;
          dom_.start_object(len);
          dom_.end_object();
          mode_ = Mode::kFiles;
          return true;
        }
        return dom_.start_object(len);
      case Mode::kFiles:
        mode_ = Mode::kEntry;
        return true;
      case Mode::kEntry:
        if (field_ == Field::kBy) {
          mode_ = Mode::kBy;
          has_by_ = true;
          return true;
        }
        return field_ == Field::kOther ? skip() : stop();
      case Mode::kSkip:
        return true;
      default:
        return stop();
    }
  }
  bool end_object() {
    --depth_;
    switch (mode_) {
      case Mode::kDom:
        return dom_.end_object();
      case Mode::kFiles:
        mode_ = Mode::kDom;
        return true;
      case Mode::kEntry:
        // As read_ev(): "by" when present, else a positive "count" by an unknown executable.
        if (!has_by_ && count_ > 0) entry_->ev.by[""] += count_;
        entry_->succeeded = succeeded_;
        mode_ = Mode::kFiles;
        return true;
      case Mode::kBy:
        mode_ = Mode::kEntry;
        return true;
      default:
        return end_skip();
    }
  }
  bool start_array(std::size_t len) {
    ++depth_;
    switch (mode_) {
      case Mode::kDom:
        pending_files_ = false;  // not an object: the document reports it
        return dom_.start_array(len);
      case Mode::kEntry:
        list_ = field_ == Field::kAccess   ? &entry_->access
                : field_ == Field::kErrors ? &entry_->errors
                : field_ == Field::kTypes  ? &entry_->types
                                           : nullptr;
        if (list_ || field_ == Field::kPids) {
          mode_ = Mode::kList;
          return true;
        }
        return field_ == Field::kOther ? skip() : stop();
      case Mode::kSkip:
        return true;
      default:
        return stop();
    }
  }
  bool end_array() {
    --depth_;
    switch (mode_) {
      case Mode::kDom:
        return dom_.end_array();
      case Mode::kList:
        mode_ = Mode::kEntry;
        return true;
      default:
        return end_skip();
    }
  }

  template <typename Exception>
  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const Exception& ex) {
    errored_ = true;
    if (allow_exceptions_) throw ex;
    return false;
  }

 private:
  enum class Mode { kDom, kFiles, kEntry, kBy, kList, kSkip };
  enum class Field { kAccess, kErrors, kTypes, kPids, kBy, kCount, kSucceeded, kStatic, kOther };
  enum class Kind { kNull, kBool, kUint, kOther };

  static unsigned bit(Field f) { return 1u << static_cast<unsigned>(f); }
  static Field field(const std::string& k) {
    static const std::pair<const char*, Field> kFields[] = {
        {"access", Field::kAccess}, {"by", Field::kBy},      {"count", Field::kCount},
        {"errors", Field::kErrors}, {"pids", Field::kPids},  {"succeeded", Field::kSucceeded},
        {"static", Field::kStatic}, {"types", Field::kTypes}};
    for (const auto& [name, f] : kFields)
      if (k == name) return f;
    return Field::kOther;
  }

  bool stop() {
    again_ = true;
    return false;
  }
  bool skip() {
    mode_ = Mode::kSkip;
    skip_depth_ = depth_ - 1;
    return true;
  }
  bool end_skip() {
    if (mode_ == Mode::kSkip && depth_ == skip_depth_) mode_ = Mode::kEntry;
    return true;
  }

  // A value that is not a container, in the "files" object. `n`: the number or the boolean.
  bool scalar(Kind kind, std::uint64_t n) {
    switch (mode_) {
      case Mode::kEntry:
        if (kind == Kind::kNull) return true;  // as if absent
        if (field_ == Field::kCount && kind == Kind::kUint) {
          count_ = n;
          return true;
        }
        if (field_ == Field::kSucceeded && kind == Kind::kBool) {
          succeeded_ = n != 0;
          return true;
        }
        return field_ == Field::kOther || stop();
      case Mode::kBy:
        if (kind != Kind::kUint) return stop();
        entry_->ev.by[exe_] = n;  // the document keeps the last of a repeated key
        return true;
      case Mode::kList:
        if (kind != Kind::kUint || field_ != Field::kPids || n > 0xffffffffu) return stop();
        entry_->pids.insert(static_cast<std::uint32_t>(n));
        return true;
      case Mode::kSkip:
        return true;
      default:
        return stop();  // an entry that is not an object
    }
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  std::map<std::string, FileUse>& files_;
  const bool allow_exceptions_;
  bool again_ = false, errored_ = false;
  Mode mode_ = Mode::kDom;
  std::size_t depth_ = 0, skip_depth_ = 0;
  bool seen_files_ = false, pending_files_ = false;
  // the entry being read
  FileUse* entry_ = nullptr;
  unsigned seen_ = 0;  // fields seen, by bit()
  Field field_ = Field::kOther;
  std::set<std::string>* list_ = nullptr;
  std::string exe_;
  bool has_by_ = false;
  std::uint64_t count_ = 0;
  bool succeeded_ = true;
};

// Parses `text` with its file entries read into `files`. Returns the document of the rest
// (discarded on a syntax error without exceptions), or sets `again` when the text has to be
// parsed the plain way (see ProfileSax).
json parse_profile_text(std::string_view text, std::map<std::string, FileUse>& files, bool& again,
                        bool allow_exceptions) {
  json doc;
  ProfileSax sax(doc, files, allow_exceptions);
  json::sax_parse(text.begin(), text.end(), &sax);
  if (sax.again()) {
    again = true;
    files.clear();
    return json(json::value_t::discarded);
  }
  if (sax.errored()) return json(json::value_t::discarded);
  return doc;
}

}  // namespace

Profile profile_from_json(std::string_view text) {
  json j;
  std::map<std::string, FileUse> files;
  try {
    bool again = false;
    j = parse_profile_text(text, files, again, true);
    if (again) j = json::parse(text.begin(), text.end());
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
  bool again = false;
  json j = parse_profile_text(text, files, again, false);
  if (again) j = json::parse(text, nullptr, false);
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
