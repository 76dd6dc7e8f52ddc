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
#include <functional>
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
  std::string name;  // what the profile calls it (Analysis::name_of)
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
    const std::string& path = scope[o].name;
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
  out.analysis.objects[s.name] = std::move(so);
}

bool is_elf_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char m[4] = {};
  return in.read(m, 4) && m[0] == 0x7f && m[1] == 'E' && m[2] == 'L' && m[3] == 'F';
}

// One run of the analysis: the objects read, and the profile written. An object is one file,
// identified by its host path (every symlink resolved, inside the root), not by the path a
// closure found it under: on a merged-/usr system /lib/x86_64-linux-gnu/libc.so.6 and
// /usr/lib/x86_64-linux-gnu/libc.so.6 are one library, and /lib64/ld-linux-x86-64.so.2 is the
// same ld.so as the one libc's DT_NEEDED finds. Each file is reported under the first path it
// was found by (binaries in the order given, each closure in ld.so's order), everywhere: its
// entry in "objects", its sites, the libraries it misses.
class Analysis {
 public:
  Analysis(ObjectStore& store, Profile& out) : store_(store), out_(out) {}

  const std::string& name_of(const LoadedObject& lo) {
    return names_.emplace(lo.host_path, lo.path).first->second;
  }
  bool seen(const std::string& host_path) const { return names_.count(host_path) > 0; }

  // Passes 1 to 3 for each binary; objects already in the store are not read again.
  void run(const std::vector<std::string>& binaries, const AnalyzeOptions& opts) {
    const ResolveOptions ro{opts.root, opts.library_path, opts.dlopen};
    for (const auto& bin : binaries) {
      // Pass 1: the closure, with the libraries named for dlopen after it.
      const Closure closure = resolve_closure(bin, ro, store_.reader());
      store_.finish();
      // Pass 2: each object once, in ld.so's scope order.
      std::vector<Scoped> scope;
      std::set<std::string> in_scope;
      const LoadedObject& binary = closure.objects.front();
      for (const auto& lo : closure.objects) {
        if (!in_scope.insert(lo.host_path).second) continue;
        Scoped s{&lo, &store_.get(lo.host_path), name_of(lo)};
        s.interpreter = &lo != &binary && lo.needed_name == binary.info.interpreter;
        s.dlopened =
            lo.needed_by == binary.path &&
            std::find(opts.dlopen.begin(), opts.dlopen.end(), lo.needed_name) != opts.dlopen.end();
        scope.push_back(s);
        describe(s, out_);
      }
      for (const auto& m : closure.missing) {
        std::string by = m.needed_by;
        for (const auto& lo : closure.objects)
          if (lo.path == m.needed_by) by = name_of(lo);
        out_.analysis.missing[m.name].insert(by);
      }
      // Pass 3: what the binary can reach.
      reach(scope, out_);
    }
  }

 private:
  ObjectStore& store_;
  Profile& out_;
  std::map<std::string, std::string> names_;  // host path -> reported path
};

// The host path of `path` inside `root` (its identity), or "" if it does not resolve.
std::string identity(const std::string& root, const std::string& path) {
  return host_path_in_root(root, path).value_or("");
}

// Of the libraries a run loaded with dlopen (`mapped`, none in the startup closure), those it
// dlopen'd itself: a library that another of them needs (and that does not need that one in
// turn) was mapped as that one's dependency, and is reached only through what that one calls
// — not through every export, as a dlopen'd library is. `deps_of(lib)` gives the host paths
// loading `lib` brings in besides itself.
std::vector<std::string> dlopen_roots(
    const std::vector<std::string>& mapped, const std::string& root,
    const std::function<std::set<std::string>(const std::string&)>& deps_of) {
  std::vector<std::set<std::string>> deps;
  std::vector<std::string> ids;
  for (const auto& lib : mapped) {
    deps.push_back(deps_of(lib));
    ids.push_back(identity(root, lib));
  }
  std::vector<std::string> out;
  for (std::size_t c = 0; c < mapped.size(); ++c) {
    bool dependency = false;
    for (std::size_t d = 0; d < mapped.size() && !dependency; ++d)
      dependency = d != c && deps[d].count(ids[c]) && !deps[c].count(ids[d]);
    if (!dependency) out.push_back(mapped[c]);
  }
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Profile analyze_recorded(const Profile& recorded, const AnalyzeOptions& opts, AnalyzeStats* stats) {
  const auto t0 = std::chrono::steady_clock::now();
  AnalyzeStats local;
  AnalyzeStats& st = stats ? *stats : local;
  ObjectStore store(opts.cache_dir, st);
  Profile out;
  Analysis analysis(store, out);
  const ResolveOptions startup{opts.root, opts.library_path, {}};

  // Every ELF executable the recording saw run. Scripts ran too, but their interpreter is an
  // ELF executable the recording also saw.
  std::vector<std::string> binaries;
  std::map<std::string, std::string> binary_by_id;
  for (const auto& [path, exe] : recorded.process.executables) {
    if (!is_elf_file(path)) continue;
    const std::string id = identity(opts.root, path);
    if (id.empty() || !binary_by_id.emplace(id, path).second) continue;
    binaries.push_back(path);
  }
  // What the run mapped executable, by the executables that mapped it (the recording's
  // evidence names them): loaded with dlopen, or as what a dlopen'd library needs.
  std::map<std::string, std::vector<std::string>> mapped_by;  // executable -> libraries
  std::vector<std::string> unattributed;
  for (const auto& [path, ev] : recorded.process.exec_mappings) {
    if (path.empty() || path[0] != '/' || !is_elf_file(path)) continue;
    bool attributed = false;
    for (const auto& [exe, n] : ev.by) {
      auto b = binary_by_id.find(identity(opts.root, exe));
      if (b == binary_by_id.end()) continue;
      mapped_by[b->second].push_back(path);
      attributed = true;
    }
    if (!attributed) unattributed.push_back(path);
  }
  // Each executable with what it loaded at run time, in its own scope: as ld.so loads a
  // dlopen'd library, with the executable's search path (its DT_RPATH finds what the library
  // needs) and its symbols first. One executable's plugins say nothing about another's.
  for (const auto& bin : binaries) {
    const Closure base = resolve_closure(bin, startup, store.reader());
    std::set<std::string> known;  // the startup closure, then each library once
    for (const auto& lo : base.objects) known.insert(lo.host_path);
    std::vector<std::string> mapped;
    for (const auto& lib : mapped_by[bin])
      if (const std::string id = identity(opts.root, lib); !id.empty() && known.insert(id).second)
        mapped.push_back(lib);
    AnalyzeOptions o = opts;
    o.dlopen = dlopen_roots(mapped, opts.root, [&](const std::string& lib) {
      // What dlopen(lib) adds to this executable's startup closure, besides lib itself.
      const ResolveOptions one{opts.root, opts.library_path, {lib}};
      std::set<std::string> deps;
      for (const auto& lo : resolve_closure(bin, one, store.reader()).objects)
        deps.insert(lo.host_path);
      for (const auto& lo : base.objects) deps.erase(lo.host_path);
      deps.erase(identity(opts.root, lib));
      return deps;
    });
    analysis.run({bin}, o);
  }
  // Mapped libraries that no analysed executable accounts for: each analysed as a library on
  // its own (every export an entry, its own closure), unless it is already part of what was
  // analysed or another of them needs it.
  std::vector<std::string> rest;
  std::set<std::string> rest_ids;
  for (const auto& lib : unattributed)
    if (const std::string id = identity(opts.root, lib);
        !id.empty() && !analysis.seen(id) && rest_ids.insert(id).second)
      rest.push_back(lib);
  analysis.run(dlopen_roots(rest, opts.root,
                            [&](const std::string& lib) {
                              std::set<std::string> deps;
                              const Closure own = resolve_closure(lib, startup, store.reader());
                              for (std::size_t i = 1; i < own.objects.size(); ++i)
                                deps.insert(own.objects[i].host_path);
                              return deps;
                            }),
               opts);
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
  Analysis(store, out).run(binaries, opts);
  st.seconds = seconds_since(t0);
  return out;
}

}  // namespace tailor
