// tailor analyze (see include/tailor/analyze.h).
//
// Three passes, mirroring what happens when the program runs:
//   1. closure: the objects ld.so would map for each binary (resolve.cpp), plus the libraries
//      named for dlopen with their own closures;
//   2. objects: each object is disassembled once into sites and a call graph (syscall_sites.cpp),
//      or read back from the per-object cache;
//   3. reachability: from the binary's entry points (entry, init arrays, exported functions,
//      functions whose address sits in data) through direct calls, tail jumps and taken
//      addresses, and across objects through imported symbols, resolved in ld.so's global
//      scope order (the first object that exports the name wins, as symbol interposition
//      does). Each library loaded also contributes its own init functions and data-held
//      function pointers, which can run whether or not the binary calls the library.
// A site reached counts with its number; unresolved sites are counted per object, never given a
// number. The function-level graph is sound only as far as the code's control flow is visible:
// calls through pointers that are computed (not loaded from a table the data holds) are not
// seen, which is why the recall against recordings is measured (bench/analyze).
#include "tailor/analyze.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "elf_file.h"
#include "object_cache.h"
#include "resolve.h"
#include "syscall_sites.h"
#include "tailor/error.h"
#include "tailor/syscalls.h"

namespace tailor {

using namespace analyzer;

namespace {

std::string arch_of(Machine m, int bits) {
  switch (m) {
    case Machine::kX86_64:
      return "x86_64";
    case Machine::kI386:
      return "x86";
    case Machine::kAarch64:
      return "aarch64";
    case Machine::kOther:
      break;
  }
  return bits == 64 ? "unknown64" : "unknown32";
}

// vDSO-backed libc functions: the kernel's vDSO usually answers them without a syscall, but
// each falls back to the real call (no vDSO, an unsupported clock), so a profile must allow it.
const std::map<std::string, std::vector<std::string>>& vdso_fallbacks() {
  static const std::map<std::string, std::vector<std::string>> m = {
      {"clock_gettime", {"clock_gettime"}},
      {"clock_gettime64", {"clock_gettime64", "clock_gettime"}},
      {"__clock_gettime", {"clock_gettime"}},
      {"clock_getres", {"clock_getres"}},
      {"gettimeofday", {"gettimeofday"}},
      {"__gettimeofday", {"gettimeofday"}},
      {"time", {"time"}},
      {"getcpu", {"getcpu"}},
      {"sched_getcpu", {"getcpu"}},
  };
  return m;
}

// One analysed object, shared by every binary whose closure holds it.
struct Object {
  std::string host_path;
  ElfIdentity id;
  std::string key;               // in the cache
  std::unique_ptr<ElfFile> elf;  // parsed, until its analysis is done
  CachedObject data;
};

// Loads objects once per host path: from the cache when it has the build-id, else by parsing
// (at once: resolution needs the dynamic section) and disassembling (later, in finish(), all
// pending objects in parallel: Capstone's decoding is most of the time of a cold analysis,
// and a closure is a handful of independent objects).
class ObjectStore {
 public:
  ObjectStore(std::string cache_dir, AnalyzeStats& stats)
      : cache_dir_(std::move(cache_dir)), stats_(stats) {}

  const Object& get(const std::string& host_path) {
    if (auto it = objects_.find(host_path); it != objects_.end()) return *it->second;
    auto obj = std::make_unique<Object>();
    obj->host_path = host_path;
    obj->id = identify_elf_file(host_path);
    obj->key = cache_dir_.empty() ? "" : cache_key(host_path, obj->id);
    if (auto cached = cache_load(cache_dir_, obj->key)) {
      obj->data = std::move(*cached);
      ++stats_.cached;
    } else {
      obj->elf = std::make_unique<ElfFile>(ElfFile::load(host_path));
      obj->data.info = dyn_info_of(*obj->elf);
      pending_.push_back(obj.get());
    }
    ++stats_.objects;
    return *objects_.emplace(host_path, std::move(obj)).first->second;
  }

  DynReader reader() {
    return [this](const std::string& host_path) { return get(host_path).data.info; };
  }

  // Disassembles every object loaded since the last call, on all CPUs, and caches the results.
  void finish() {
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex error_mutex;
    const auto work = [&] {
      for (std::size_t i; (i = next++) < pending_.size();) {
        try {
          pending_[i]->data.analysis = analyze_object(*pending_[i]->elf);
        } catch (...) {
          const std::lock_guard<std::mutex> lock(error_mutex);
          if (!error) error = std::current_exception();
        }
      }
    };
    const std::size_t n =
        std::min<std::size_t>(pending_.size(), std::max(1u, std::thread::hardware_concurrency()));
    std::vector<std::thread> threads;
    for (std::size_t t = 1; t < n; ++t) threads.emplace_back(work);
    work();
    for (auto& t : threads) t.join();
    if (error) std::rethrow_exception(error);
    for (Object* o : pending_) {
      o->elf.reset();
      cache_store(cache_dir_, o->key, o->data);
    }
    pending_.clear();
  }

 private:
  std::string cache_dir_;
  AnalyzeStats& stats_;
  std::map<std::string, std::unique_ptr<Object>> objects_;
  std::vector<Object*> pending_;
};

struct Scoped {
  const LoadedObject* loaded;
  const Object* object;
  bool interpreter = false;
  bool dlopened = false;
};

void add_site(Profile& p, const std::string& arch, std::uint32_t nr, StaticSite site) {
  const auto token = arch_token(arch);
  if (!token) return;
  p.syscalls[arch][syscall_name(*token, nr)].sites.insert(std::move(site));
}

// The arch a site's number belongs to: int 0x80 from 64-bit x86 code enters the i386 table.
std::string site_arch(const std::string& object_arch, const SyscallSite& s) {
  if (object_arch == "x86_64" && s.kind == SyscallSite::kInt80) return "x86";
  return object_arch;
}

// Reachability over the closure of one binary (see the file comment).
void reach(const std::vector<Scoped>& scope, Profile& out) {
  std::vector<std::vector<bool>> seen(scope.size());
  for (std::size_t o = 0; o < scope.size(); ++o)
    seen[o].assign(scope[o].object->data.analysis.functions.size(), false);
  std::vector<std::pair<std::size_t, std::uint32_t>> work;
  const auto push = [&](std::size_t o, std::uint32_t f) {
    if (!seen[o][f]) {
      seen[o][f] = true;
      work.emplace_back(o, f);
    }
  };
  // Symbol -> (object, function), first definition in scope order.
  std::map<std::string, std::pair<std::size_t, std::uint32_t>> defs;
  for (std::size_t o = 0; o < scope.size(); ++o)
    for (const auto& [name, f] : scope[o].object->data.analysis.exports)
      defs.emplace(name, std::make_pair(o, f));

  for (std::size_t o = 0; o < scope.size(); ++o) {
    const ObjectAnalysis& a = scope[o].object->data.analysis;
    for (auto f : a.roots) push(o, f);
    if ((o == 0 || scope[o].interpreter) && a.entry >= 0)
      push(o, static_cast<std::uint32_t>(a.entry));
    // A library loaded with dlopen is entered through dlsym: any export. So is a library
    // analysed on its own (it has a soname, or no interpreter: libc.so.6 has both).
    const DynInfo& info = scope[o].object->data.info;
    if (scope[o].dlopened || (o == 0 && (info.interpreter.empty() || !info.soname.empty())))
      for (const auto& [name, f] : a.exports) push(o, f);
  }
  std::set<std::string> vdso_done;
  const auto use_import = [&](std::size_t o, const std::string& sym) {
    if (auto d = defs.find(sym); d != defs.end()) push(d->second.first, d->second.second);
    auto v = vdso_fallbacks().find(sym);
    if (v == vdso_fallbacks().end() || !vdso_done.insert(sym).second) return;
    const DynInfo& info = scope[o].object->data.info;
    const std::string arch = arch_of(info.machine, info.bits);
    for (const auto& name : v->second)
      if (const auto token = arch_token(arch); token && syscall_number(*token, name))
        out.syscalls[arch][name].sites.insert({"[vdso]", sym, 0});
  };
  for (std::size_t o = 0; o < scope.size(); ++o) {
    const ObjectAnalysis& a = scope[o].object->data.analysis;
    for (auto i : a.root_imports) use_import(o, a.imports[i]);
  }
  while (!work.empty()) {
    auto [o, f] = work.back();
    work.pop_back();
    const ObjectAnalysis& a = scope[o].object->data.analysis;
    const Function& fn = a.functions[f];
    for (auto c : fn.callees) push(o, c);
    for (auto i : fn.imports) use_import(o, a.imports[i]);
  }
  for (std::size_t o = 0; o < scope.size(); ++o) {
    const ObjectAnalysis& a = scope[o].object->data.analysis;
    const DynInfo& info = scope[o].object->data.info;
    const std::string arch = arch_of(info.machine, info.bits);
    const std::string& path = scope[o].loaded->path;
    const auto add = [&](const SyscallSite& s) {
      if (s.nr) add_site(out, site_arch(arch, s), *s.nr, {path, s.function, s.addr});
    };
    if (a.whole_object) {
      for (const auto& s : a.sites) add(s);
      continue;
    }
    for (std::size_t f = 0; f < a.functions.size(); ++f)
      if (seen[o][f])
        for (auto si : a.functions[f].sites) add(a.sites[si]);
  }
}

void describe(const Scoped& s, Profile& out) {
  const Object& obj = *s.object;
  StaticObject so;
  so.arch = arch_of(obj.data.info.machine, obj.data.info.bits);
  so.build_id = obj.id.build_id;
  so.sites = obj.data.analysis.sites.size();
  so.unresolved = obj.data.analysis.unresolved();
  so.dlopen.insert(obj.data.analysis.dlopen.begin(), obj.data.analysis.dlopen.end());
  out.analysis.objects[s.loaded->path] = std::move(so);
}

bool is_elf_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char m[4] = {};
  return in.read(m, 4) && m[0] == 0x7f && m[1] == 'E' && m[2] == 'L' && m[3] == 'F';
}

// Passes 1 to 3 for each binary, into `out`; objects already in `store` are not read again.
void analyze_into(ObjectStore& store, const std::vector<std::string>& binaries,
                  const AnalyzeOptions& opts, Profile& out) {
  const ResolveOptions ro{opts.root, opts.library_path, opts.dlopen};
  for (const auto& bin : binaries) {
    // Pass 1: the closure, with the libraries named for dlopen after it.
    const Closure closure = resolve_closure(bin, ro, store.reader());
    store.finish();
    // Pass 2: each object once, in ld.so's scope order.
    std::vector<Scoped> scope;
    std::set<std::string> in_scope;
    const LoadedObject& binary = closure.objects.front();
    for (const auto& lo : closure.objects) {
      if (!in_scope.insert(lo.host_path).second) continue;
      Scoped s{&lo, &store.get(lo.host_path)};
      s.interpreter = &lo != &binary && lo.needed_name == binary.info.interpreter;
      s.dlopened = lo.needed_by == binary.path && std::find(opts.dlopen.begin(), opts.dlopen.end(),
                                                            lo.needed_name) != opts.dlopen.end();
      scope.push_back(s);
      describe(s, out);
    }
    for (const auto& m : closure.missing) out.analysis.missing[m.name].insert(m.needed_by);
    // Pass 3: what the binary can reach.
    reach(scope, out);
  }
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Profile analyze_recorded(const Profile& recorded, const AnalyzeOptions& opts, AnalyzeStats* stats) {
  const auto t0 = std::chrono::steady_clock::now();
  AnalyzeStats local;
  AnalyzeStats& st = stats ? *stats : local;
  ObjectStore store(opts.cache_dir, st);  // both passes below share the objects they read
  std::vector<std::string> binaries;
  // Scripts ran too, but their interpreter is an ELF executable the recording also saw.
  for (const auto& [path, exe] : recorded.process.executables)
    if (is_elf_file(path)) binaries.push_back(path);
  Profile out;
  analyze_into(store, binaries, opts, out);
  // What the run mapped executable that no closure holds was loaded with dlopen. Each such
  // library is analysed as a library on its own (every export an entry, its own closure), not
  // added to every executable's scope: one executable's plugin says nothing about another.
  std::set<std::string> known;
  for (const auto& [path, obj] : out.analysis.objects) {
    std::error_code ec;
    known.insert(std::filesystem::weakly_canonical(opts.root + path, ec).string());
  }
  std::vector<std::string> loaded;
  for (const auto& [path, ev] : recorded.process.exec_mappings) {
    if (path.empty() || path[0] != '/' || !is_elf_file(path)) continue;
    std::error_code ec;
    if (!known.count(std::filesystem::weakly_canonical(path, ec).string())) loaded.push_back(path);
  }
  analyze_into(store, loaded, opts, out);
  st.seconds = seconds_since(t0);
  return out;
}

std::string default_cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x == '/')
    return std::string(x) + "/tailor";
  if (const char* h = std::getenv("HOME"); h && *h == '/') return std::string(h) + "/.cache/tailor";
  return "";
}

Profile analyze_binaries(const std::vector<std::string>& binaries, const AnalyzeOptions& opts,
                         AnalyzeStats* stats) {
  const auto t0 = std::chrono::steady_clock::now();
  AnalyzeStats local;
  AnalyzeStats& st = stats ? *stats : local;
  ObjectStore store(opts.cache_dir, st);
  Profile out;
  analyze_into(store, binaries, opts, out);
  st.seconds = seconds_since(t0);
  return out;
}

}  // namespace tailor
