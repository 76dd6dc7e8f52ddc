// The per-object cache (see object_cache.h).
#include "object_cache.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tailor/profile_json.h"

namespace tailor::analyzer {

namespace {

using nlohmann::json;

// Bump when what the analysis finds changes, so old entries are not reused.
constexpr int kCacheVersion = 1;

// Entries are also keyed by the analyzer's own build: a rebuilt or upgraded tailor may find
// more (or other) sites in the same library, and must not reuse what an older one found.
const std::string& analyzer_build() {
  static const std::string id = [] {
    try {
      const std::string b = identify_elf_file("/proc/self/exe").build_id;
      return b.empty() ? std::string() : "-" + b.substr(0, 16);
    } catch (const std::exception&) {
      return std::string();
    }
  }();
  return id;
}

std::string subdir(const std::string& dir) {
  return dir + "/analyze-v" + std::to_string(kCacheVersion) + analyzer_build();
}

int machine_code(Machine m) {
  return static_cast<int>(m);
}

// Reads that fail (wrong type, out of range) throw; cache_decode turns that into nullopt.
struct Invalid {};
const json& at(const json& j, const char* key) {
  if (!j.is_object()) throw Invalid{};
  auto it = j.find(key);
  if (it == j.end()) throw Invalid{};
  return *it;
}
std::uint64_t u64(const json& j) {
  if (!j.is_number_unsigned()) throw Invalid{};
  return j.get<std::uint64_t>();
}
std::int64_t i64(const json& j) {
  if (!j.is_number_integer()) throw Invalid{};
  return j.get<std::int64_t>();
}
std::string str(const json& j) {
  if (!j.is_string()) throw Invalid{};
  return j.get<std::string>();
}
const json& arr(const json& j) {
  if (!j.is_array()) throw Invalid{};
  return j;
}
std::vector<std::uint32_t> indexes(const json& j, std::size_t bound) {
  std::vector<std::uint32_t> out;
  for (const auto& x : arr(j)) {
    const std::uint64_t v = u64(x);
    if (v >= bound) throw Invalid{};
    out.push_back(static_cast<std::uint32_t>(v));
  }
  return out;
}

}  // namespace

std::string cache_key(const std::string& host_path, const ElfIdentity& id) {
  const std::string m = std::to_string(machine_code(id.machine)) + "-" + std::to_string(id.bits);
  if (!id.build_id.empty()) return id.build_id + "-" + m;
  // No build-id: FNV-1a over the bytes. Not a cryptographic hash; a cache key only.
  std::ifstream in(host_path, std::ios::binary);
  std::uint64_t h = 1469598103934665603ull, size = 0;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    const auto n = static_cast<std::size_t>(in.gcount());
    for (std::size_t i = 0; i < n; ++i) {
      h ^= static_cast<unsigned char>(buf[i]);
      h *= 1099511628211ull;
    }
    size += n;
  }
  char hex[32];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return "h" + std::string(hex) + "-" + std::to_string(size) + "-" + m;
}

std::string cache_encode(const CachedObject& obj) {
  json j = json::object();
  j["v"] = kCacheVersion;
  const DynInfo& d = obj.info;
  j["info"] = {{"machine", machine_code(d.machine)},
               {"bits", d.bits},
               {"interp", d.interpreter},
               {"soname", d.soname},
               {"rpath", d.rpath},
               {"runpath", d.runpath},
               {"needed", d.needed}};
  const ObjectAnalysis& a = obj.analysis;
  json sites = json::array();
  for (const auto& s : a.sites)
    sites.push_back({static_cast<int>(s.kind), s.addr, s.function,
                     s.nr ? static_cast<std::int64_t>(*s.nr) : -1, s.wrapper, s.from_arg});
  j["sites"] = std::move(sites);
  json wrappers = json::array();
  for (const auto& w : a.wrappers) wrappers.push_back({w.function, w.arg});
  j["wrappers"] = std::move(wrappers);
  json fns = json::array();
  for (const auto& f : a.functions) fns.push_back({f.addr, f.name, f.sites, f.callees, f.imports});
  j["functions"] = std::move(fns);
  j["imports"] = a.imports;
  j["exports"] = a.exports;
  j["roots"] = a.roots;
  j["root_imports"] = a.root_imports;
  j["dlopen"] = a.dlopen;
  j["whole"] = a.whole_object;
  j["entry"] = a.entry;
  const auto bytes = json::to_msgpack(j);
  return std::string(bytes.begin(), bytes.end());
}

std::optional<CachedObject> cache_decode(const std::string& bytes) {
  try {
    const json j = json::from_msgpack(bytes);
    if (i64(at(j, "v")) != kCacheVersion) return std::nullopt;
    CachedObject obj;
    const json& info = at(j, "info");
    const std::int64_t m = i64(at(info, "machine"));
    if (m < 0 || m > static_cast<int>(Machine::kOther)) return std::nullopt;
    obj.info.machine = static_cast<Machine>(m);
    obj.info.bits = static_cast<int>(i64(at(info, "bits")));
    obj.info.interpreter = str(at(info, "interp"));
    obj.info.soname = str(at(info, "soname"));
    obj.info.rpath = str(at(info, "rpath"));
    obj.info.runpath = str(at(info, "runpath"));
    for (const auto& n : arr(at(info, "needed"))) obj.info.needed.push_back(str(n));

    ObjectAnalysis& a = obj.analysis;
    for (const auto& s : arr(at(j, "sites"))) {
      if (arr(s).size() != 6) return std::nullopt;
      SyscallSite site;
      const std::int64_t kind = i64(s[0]);
      if (kind < 0 || kind > SyscallSite::kWrapperCall) return std::nullopt;
      site.kind = static_cast<SyscallSite::Kind>(kind);
      site.addr = u64(s[1]);
      site.function = str(s[2]);
      const std::int64_t nr = i64(s[3]);
      if (nr < -1 || nr > 0xffffffffLL) return std::nullopt;
      if (nr >= 0) site.nr = static_cast<std::uint32_t>(nr);
      site.wrapper = str(s[4]);
      site.from_arg = static_cast<int>(i64(s[5]));
      a.sites.push_back(std::move(site));
    }
    for (const auto& w : arr(at(j, "wrappers"))) {
      if (arr(w).size() != 2) return std::nullopt;
      a.wrappers.push_back({str(w[0]), static_cast<int>(i64(w[1]))});
    }
    for (const auto& n : arr(at(j, "imports"))) a.imports.push_back(str(n));
    const json& fns = arr(at(j, "functions"));
    a.functions.reserve(fns.size());
    for (const auto& f : fns) {
      if (arr(f).size() != 5) return std::nullopt;
      Function fn;
      fn.addr = u64(f[0]);
      fn.name = str(f[1]);
      fn.sites = indexes(f[2], a.sites.size());
      fn.callees = indexes(f[3], fns.size());
      fn.imports = indexes(f[4], a.imports.size());
      a.functions.push_back(std::move(fn));
    }
    const json& ex = at(j, "exports");
    if (!ex.is_object()) return std::nullopt;
    for (const auto& [name, idx] : ex.items()) {
      const std::uint64_t f = u64(idx);
      if (f >= a.functions.size()) return std::nullopt;
      a.exports.emplace(name, static_cast<std::uint32_t>(f));
    }
    a.roots = indexes(at(j, "roots"), a.functions.size());
    a.root_imports = indexes(at(j, "root_imports"), a.imports.size());
    for (const auto& d : arr(at(j, "dlopen"))) a.dlopen.push_back(str(d));
    const json& whole = at(j, "whole");
    if (!whole.is_boolean()) return std::nullopt;
    a.whole_object = whole.get<bool>();
    a.entry = i64(at(j, "entry"));
    if (a.entry < -1 || a.entry >= static_cast<std::int64_t>(a.functions.size()))
      return std::nullopt;
    return obj;
  } catch (const Invalid&) {
    return std::nullopt;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::optional<CachedObject> cache_load(const std::string& dir, const std::string& key) {
  if (dir.empty()) return std::nullopt;
  std::ifstream in(subdir(dir) + "/" + key + ".msgpack", std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return cache_decode(bytes);
}

void cache_store(const std::string& dir, const std::string& key, const CachedObject& obj) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(subdir(dir), ec);
  if (ec) return;
  try {
    write_file_atomic(subdir(dir) + "/" + key + ".msgpack", cache_encode(obj));
  } catch (const std::exception&) {
    // Best effort (see the header).
  }
}

}  // namespace tailor::analyzer
