// aarch64 analysis (analyzer/aarch64.cpp) on objects cross-built from samples/aarch64/
// (samples/aarch64.cmake): `svc` sites with x8 followed backwards, wrappers, paths, unresolved
// sites (object files from clang), the call graph of a shared library linked by ld.lld, a Go
// program built with GOARCH=arm64, and malformed input. A sample this build could not make
// (no clang, ld.lld or go) is skipped with a warning.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "elf_file.h"
#include "support.h"
#include "syscall_sites.h"
#include "tailor/error.h"
#include "tailor/syscalls.h"

using tailor::analyzer::analyze_object;
using tailor::analyzer::ElfFile;
using tailor::analyzer::ElfKind;
using tailor::analyzer::Machine;
using tailor::analyzer::ObjectAnalysis;
using tailor::analyzer::SyscallSite;
using tailor::analyzer::Wrapper;
using tailor::test::sample;

namespace {

// The built sample, or "" (with a warning) when this build could not make it.
std::string built(const std::string& name, const char* needs) {
  const std::string path = sample(name);
  if (std::filesystem::exists(path)) return path;
  WARN("skipped: " << path << " was not built (needs " << needs << ")");
  return {};
}

std::string name_of(std::uint32_t nr) {
  return tailor::syscall_name(*tailor::arch_token("aarch64"), nr);
}

// function -> names of the syscalls its sites make (wrapper calls included).
std::map<std::string, std::set<std::string>> names_by_function(const ObjectAnalysis& a) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& s : a.sites)
    if (s.nr) out[s.function].insert(name_of(*s.nr));
  return out;
}

// "fn: a b; fn2: c" for failure messages (Catch cannot print a map of sets).
std::string describe(const std::map<std::string, std::set<std::string>>& m) {
  std::string out;
  for (const auto& [fn, names] : m) {
    out += fn + ":";
    for (const auto& n : names) out += " " + n;
    out += "; ";
  }
  return out;
}

const tailor::analyzer::Function* function(const ObjectAnalysis& a, const std::string& name) {
  for (const auto& f : a.functions)
    if (f.name == name) return &f;
  return nullptr;
}

// The analysis invariants every result keeps, whatever the input.
void check_shape(const ObjectAnalysis& a) {
  CHECK(std::is_sorted(a.sites.begin(), a.sites.end(),
                       [](const auto& x, const auto& y) { return x.addr < y.addr; }));
  CHECK(std::is_sorted(a.functions.begin(), a.functions.end(),
                       [](const auto& x, const auto& y) { return x.addr < y.addr; }));
  std::size_t attached = 0;
  for (const auto& f : a.functions) {
    attached += f.sites.size();
    for (auto s : f.sites) {
      REQUIRE(s < a.sites.size());
      CHECK(a.sites[s].function == f.name);
    }
    for (auto c : f.callees) CHECK(c < a.functions.size());
    for (auto i : f.imports) CHECK(i < a.imports.size());
  }
  CHECK(attached == a.sites.size());
  for (auto r : a.roots) CHECK(r < a.functions.size());
  CHECK(a.entry < static_cast<std::int64_t>(a.functions.size()));
}

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("aarch64: svc sites of an object file, its wrapper, two paths, unresolved",
          "[analyze][aarch64]") {
  const std::string path = built("aarch64_sites.o", "clang");
  if (path.empty()) return;
  const auto elf = ElfFile::load(path);
  CHECK(elf.machine() == Machine::kAarch64);
  CHECK(elf.bits() == 64);
  CHECK(elf.kind() == ElfKind::kRelocatable);

  const ObjectAnalysis a = analyze_object(elf);
  check_shape(a);
  // An object file has no linked call graph: every site counts.
  CHECK(a.whole_object);
  for (const auto& s : a.sites)
    CHECK(s.kind == (s.wrapper.empty() ? SyscallSite::kSvc : SyscallSite::kWrapperCall));

  // Every number of samples/aarch64/sites.c, each in its function, and nothing else.
  const std::map<std::string, std::set<std::string>> want{
      {"do_write", {"write"}},           {"do_getpid", {"getpid"}},
      {"do_exit_group", {"exit_group"}}, {"wrapped_read", {"read"}},
      {"wrapped_close", {"close"}},      {"two_paths", {"openat", "faccessat"}},
  };
  INFO("found: " << describe(names_by_function(a)));
  CHECK(names_by_function(a) == want);

  // my_syscall moves its first argument to x8: a wrapper on argument 0, resolved at its two
  // callers' (tail) calls.
  CHECK(a.wrappers == std::vector<Wrapper>{{"my_syscall", 0}});
  int calls = 0;
  for (const auto& s : a.sites) {
    if (s.kind != SyscallSite::kWrapperCall) continue;
    CHECK(s.wrapper == "my_syscall");
    CHECK(s.nr);
    ++calls;
  }
  CHECK(calls == 2);
  bool wrapper_site = false;
  for (const auto& s : a.sites)
    if (s.function == "my_syscall" && s.kind == SyscallSite::kSvc) {
      CHECK(s.from_arg == 0);
      CHECK_FALSE(s.nr);
      wrapper_site = true;
    }
  CHECK(wrapper_site);

  // two_paths has one svc, reached with openat on one path and faccessat on the other.
  std::set<std::uint64_t> addrs;
  for (const auto& s : a.sites)
    if (s.function == "two_paths") addrs.insert(s.addr);
  CHECK(addrs.size() == 1);

  // from_memory loads x8: counted as unresolved, not given a number.
  CHECK(a.unresolved() == 1);
  int from_memory = 0;
  for (const auto& s : a.sites)
    if (s.function == "from_memory") {
      CHECK_FALSE(s.nr);
      CHECK(s.from_arg == -1);
      ++from_memory;
    }
  CHECK(from_memory == 1);
}

TEST_CASE("aarch64: an object file with one section per function", "[analyze][aarch64]") {
  const std::string path = built("aarch64_sites_fs.o", "clang");
  if (path.empty()) return;
  const auto elf = ElfFile::load(path);
  std::size_t text_sections = 0;
  for (const auto& c : elf.code()) text_sections += c.name.rfind(".text.", 0) == 0;
  REQUIRE(text_sections >= 7);  // every section starts at offset 0

  const ObjectAnalysis a = analyze_object(elf);
  check_shape(a);
  CHECK(a.whole_object);
  // Functions are named after their sections' symbols, and each section is searched on its
  // own: the constants are found where they are. The calls to my_syscall from other sections
  // are relocations in an object file (not read), so read and close are not resolved here,
  // and a branch that names itself (an unrelocated call) is no edge.
  const auto got = names_by_function(a);
  INFO("found: " << describe(got));
  const auto in = [&](const std::string& fn) {
    auto it = got.find(fn);
    return it == got.end() ? std::set<std::string>{} : it->second;
  };
  CHECK(in("do_write") == std::set<std::string>{"write"});
  CHECK(in("do_getpid") == std::set<std::string>{"getpid"});
  CHECK(in("do_exit_group") == std::set<std::string>{"exit_group"});
  CHECK(in("two_paths") == std::set<std::string>{"openat", "faccessat"});
  CHECK_FALSE(got.count("wrapped_read"));
  CHECK(a.wrappers == std::vector<Wrapper>{{"my_syscall", 0}});
  CHECK(a.unresolved() == 1);
  for (const auto& f : a.functions) CHECK(f.callees.empty());
}

TEST_CASE("aarch64: hand-written ways of setting x8", "[analyze][aarch64]") {
  const std::string path = built("aarch64_cases.o", "clang");
  if (path.empty()) return;
  const ObjectAnalysis a = analyze_object(ElfFile::load(path));
  check_shape(a);
  // See samples/aarch64/cases.S.
  const std::map<std::string, std::set<std::string>> want{
      {"orr_form", {"write"}},
      {"callee_saved", {"getpid"}},
      {"movz_copy", {"exit_group"}},
  };
  INFO("found: " << describe(names_by_function(a)));
  CHECK(names_by_function(a) == want);
  CHECK(a.wrappers == std::vector<Wrapper>{{"second_arg", 1}});
  // clobbered (x8 across a call) and writeback (x8 changed by a post-indexed load).
  CHECK(a.unresolved() == 2);
  std::set<std::string> unresolved;
  for (const auto& s : a.sites)
    if (!s.nr && s.from_arg < 0) unresolved.insert(s.function);
  CHECK(unresolved == std::set<std::string>{"clobbered", "writeback"});
  // The call in callee_saved and clobbered names itself (a relocation): not a function start.
  CHECK(a.functions.size() == 6);
}

TEST_CASE("aarch64: a shared library's exports, PLT calls to syscall() and dlopen",
          "[analyze][aarch64]") {
  const std::string path = built("aarch64_lib.so", "clang and ld.lld");
  if (path.empty()) return;
  const auto elf = ElfFile::load(path);
  CHECK(elf.machine() == Machine::kAarch64);
  CHECK(elf.kind() == ElfKind::kShared);
  CHECK(elf.soname() == "libtailor-aarch64.so");

  const ObjectAnalysis a = analyze_object(elf);
  check_shape(a);
  CHECK_FALSE(a.whole_object);
  CHECK(a.imports == std::vector<std::string>{"dlopen", "syscall"});

  // Direct sites and calls to libc's syscall() through its PLT stub, resolved at the call.
  const std::map<std::string, std::set<std::string>> want{
      {"raw_getpid", {"getpid"}},
      {"lib_kill", {"kill"}},
      {"lib_ids", {"getppid", "gettid"}},
      {"yield_callback", {"sched_yield"}},
  };
  INFO("found: " << describe(names_by_function(a)));
  CHECK(names_by_function(a) == want);
  for (const auto& s : a.sites)
    if (s.function == "lib_kill" || s.function == "lib_ids") {
      CHECK(s.kind == SyscallSite::kWrapperCall);
      CHECK(s.wrapper == "syscall");
    }
  CHECK(a.unresolved() == 0);
  CHECK(a.wrappers.empty());

  // Exports: the global functions, not the static ones.
  std::set<std::string> exports;
  for (const auto& [name, f] : a.exports) {
    exports.insert(name);
    CHECK(a.functions.at(f).name == name);
  }
  CHECK(exports ==
        std::set<std::string>{"lib_callback", "lib_getpid", "lib_ids", "lib_kill", "lib_plugin"});

  // The call graph: a `bl` to a local function, an address taken with adrp+add, and imports
  // used through `bl`/`b` to the PLT.
  const auto index = [&](const std::string& name) {
    const auto* f = function(a, name);
    REQUIRE(f);
    return static_cast<std::uint32_t>(f - a.functions.data());
  };
  const auto callees = [&](const std::string& name) {
    std::set<std::string> out;
    for (auto c : a.functions[index(name)].callees) out.insert(a.functions[c].name);
    return out;
  };
  const auto imports = [&](const std::string& name) {
    std::set<std::string> out;
    for (auto i : a.functions[index(name)].imports) out.insert(a.imports[i]);
    return out;
  };
  CHECK(callees("lib_getpid") == std::set<std::string>{"raw_getpid"});
  CHECK(callees("lib_callback") == std::set<std::string>{"yield_callback"});
  CHECK(callees("lib_kill").empty());
  CHECK(imports("lib_kill") == std::set<std::string>{"syscall"});
  CHECK(imports("lib_ids") == std::set<std::string>{"syscall"});
  CHECK(imports("lib_plugin") == std::set<std::string>{"dlopen"});
  CHECK(imports("lib_getpid").empty());

  // The file name passed to dlopen is a constant (adrp+add into x0).
  CHECK(a.dlopen == std::vector<std::string>{"libtailor-plugin.so.1"});
  // A library is loaded, not started: no entry; no init arrays or data-held pointers here.
  CHECK(a.entry == -1);
  CHECK(a.roots.empty());
}

TEST_CASE("aarch64: a Go program's own syscall layer", "[analyze][aarch64]") {
  const std::string path = built("aarch64_go", "go");
  if (path.empty()) return;
  const auto elf = ElfFile::load(path);
  CHECK(elf.machine() == Machine::kAarch64);
  CHECK(elf.kind() == ElfKind::kExecutable);
  REQUIRE(elf.is_go());

  const ObjectAnalysis a = analyze_object(elf);
  check_shape(a);
  CHECK(a.whole_object);  // Go reaches its code through closures and interface tables
  std::set<std::string> found;
  for (const auto& s : a.sites)
    if (s.nr) found.insert(name_of(*s.nr));
  // The runtime's own sites (every Go program starts threads, maps memory, waits on futexes,
  // writes its panics and exits).
  for (const char* name : {"clone", "mmap", "futex", "write", "exit_group", "rt_sigaction"})
    CHECK(found.count(name));
  // getppid is only made through syscall.Syscall, with the number in x0 at main's call.
  bool getppid = false;
  for (const auto& s : a.sites)
    if (s.nr && name_of(*s.nr) == "getppid" && s.kind == SyscallSite::kWrapperCall) {
      CHECK(s.wrapper == "syscall.Syscall");
      CHECK(s.function == "main.main");
      getppid = true;
    }
  CHECK(getppid);
  INFO("unresolved " << a.unresolved() << " of " << a.sites.size());
  CHECK(a.unresolved() * 4 < a.sites.size());
}

TEST_CASE("aarch64: malformed objects are an error or a result, never a crash",
          "[analyze][aarch64]") {
  const std::string path = built("aarch64_sites.o", "clang");
  if (path.empty()) return;
  const std::vector<std::uint8_t> good = read_bytes(path);
  REQUIRE(good.size() > 512);
  int parsed = 0, rejected = 0;
  const auto feed = [&](std::vector<std::uint8_t> bytes) {
    try {
      const auto elf = ElfFile::parse(std::move(bytes), "mutant.o");
      check_shape(analyze_object(elf));
      ++parsed;
    } catch (const tailor::Error&) {
      ++rejected;  // any other exception fails the test
    }
  };

  // Truncated at several sizes: the header, the section headers (at the end of the file).
  for (std::size_t size : {std::size_t{0}, std::size_t{4}, std::size_t{52}, std::size_t{64},
                           std::size_t{200}, good.size() / 2, good.size() - 64, good.size() - 1})
    feed(std::vector<std::uint8_t>(good.begin(), good.begin() + static_cast<long>(size)));
  CHECK(rejected >= 6);

  // Bytes flipped at pseudo-random places (a fixed seed: the same mutants on every run).
  std::uint64_t seed = 0x9e3779b97f4a7c15u;
  const auto next = [&] {
    seed = seed * 6364136223846793005u + 1442695040888963407u;
    return static_cast<std::uint32_t>(seed >> 33);
  };
  for (int round = 0; round < 300; ++round) {
    std::vector<std::uint8_t> bytes = good;
    const int flips = 1 + static_cast<int>(next() % 8);
    for (int k = 0; k < flips; ++k)
      bytes[next() % bytes.size()] ^= static_cast<std::uint8_t>(1u << (next() % 8));
    feed(std::move(bytes));
  }

  // Random instructions in place of .text: a well-formed file whose code branches anywhere
  // (outside its section, into itself, to every kind of register write), through the whole
  // analysis rather than the ELF reader's checks.
  const auto elf = ElfFile::load(path);
  const auto text = std::find_if(elf.code().begin(), elf.code().end(),
                                 [](const auto& c) { return c.name == ".text"; });
  REQUIRE(text != elf.code().end());
  const auto at = std::search(good.begin(), good.end(), text->bytes.begin(), text->bytes.end());
  REQUIRE(at != good.end());
  const auto offset = static_cast<std::size_t>(at - good.begin());
  const int before = parsed;
  for (int round = 0; round < 50; ++round) {
    std::vector<std::uint8_t> bytes = good;
    for (std::size_t i = 0; i < text->bytes.size(); ++i)
      bytes[offset + i] = static_cast<std::uint8_t>(next());
    // Keep the svc, x8 and branch opcodes common (branches mostly near, so that they land in
    // the same function), so that sites, paths and calls are exercised.
    for (std::size_t i = 0; i + 4 <= text->bytes.size(); i += 4) {
      const auto near = [&](std::uint32_t mask) {
        return static_cast<std::uint32_t>(static_cast<int>(next() % 64) - 32) & mask;
      };
      std::uint32_t word = 0;
      switch (next() % 10) {
        case 0:
          word = 0xd4000001;
          break;  // svc #0
        case 1:
          word = 0x52800008 | ((next() % 512) << 5);
          break;  // mov w8, #imm
        case 2:
          word = 0xaa0003e8 | ((next() % 31) << 16);
          break;  // mov x8, xN
        case 3:
          word = 0x14000000 | near(0x03ffffff);
          break;  // b
        case 4:
          word = 0x94000000 | near(0x03ffffff);
          break;  // bl
        case 5:
          word = 0x34000000 | (near(0x7ffff) << 5);
          break;  // cbz w0
        case 6:
          word = 0x14000000 | (next() & 0x03ffffff);
          break;  // b anywhere
        default:
          break;
      }
      if (word)
        for (int b = 0; b < 4; ++b)
          bytes[offset + i + static_cast<std::size_t>(b)] =
              static_cast<std::uint8_t>(word >> 8 * b);
    }
    feed(std::move(bytes));
  }
  CHECK(parsed - before == 50);
}
