// libFuzzer target for the analyzer's ELF reader, which reads whatever binary a user points
// `tailor analyze` at: downloaded, corrupted or deliberately malformed files included.
//
// Properties checked on every input:
//   1. ElfFile::parse never crashes or reads out of bounds (ASan), and fails only with
//      tailor::Error carrying one line. Any other exception escapes and libFuzzer reports it.
//   2. What it accepts is consistent: symbols sorted by (addr, name); no section's bytes larger
//      than the input; function_at returns a defined function that contains the address (or,
//      for a size-0 symbol, starts before it).
//   3. The disassembly and call graph built from it (analyze_object) hold together: functions
//      and sites sorted, every index in range. identify_elf (the cache key reader) agrees with
//      the parser on machine and build-id.
// Seeds: written by fuzz/make_elf_seeds.py into build-fuzz/seeds/elf/ (scripts/test.sh).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <tuple>
#include <vector>

#include "elf_file.h"
#include "syscall_sites.h"
#include "tailor/error.h"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_elf: %s\n", what);
  std::abort();
}

void check_function_at(const tailor::analyzer::ElfFile& elf, std::uint64_t addr) {
  const auto* f = elf.function_at(addr);
  if (!f) return;
  if (!f->function || !f->defined) fail("function_at returned a non-function");
  // A sized function contains [addr, addr + size); a size-0 one runs on to the next function.
  if (addr < f->addr || (f->size != 0 && addr - f->addr >= f->size))
    fail("function_at returned a function that does not contain the address");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> bytes(data, data + size);
  try {
    const auto elf = tailor::analyzer::ElfFile::parse(std::move(bytes), "fuzz");
    const auto& syms = elf.symbols();
    for (std::size_t i = 1; i < syms.size(); ++i)
      if (std::tie(syms[i].addr, syms[i].name) < std::tie(syms[i - 1].addr, syms[i - 1].name))
        fail("symbols are not sorted");
    for (const auto& c : elf.code())
      if (c.bytes.size() > size) fail("code section larger than the file");
    for (const auto& s : syms) {
      check_function_at(elf, s.addr);
      check_function_at(elf, s.addr + 1);
    }
    check_function_at(elf, elf.entry());
    for (auto a : elf.init_functions()) check_function_at(elf, a);
    for (const auto& i : elf.imports()) check_function_at(elf, i.plt_addr);

    const auto a = tailor::analyzer::analyze_object(elf);
    for (std::size_t i = 1; i < a.functions.size(); ++i)
      if (a.functions[i].addr <= a.functions[i - 1].addr) fail("functions not sorted");
    for (std::size_t i = 1; i < a.sites.size(); ++i)
      if (a.sites[i].addr < a.sites[i - 1].addr) fail("sites not sorted");
    for (const auto& f : a.functions) {
      for (auto x : f.sites)
        if (x >= a.sites.size()) fail("site index out of range");
      for (auto x : f.callees)
        if (x >= a.functions.size()) fail("callee index out of range");
      for (auto x : f.imports)
        if (x >= a.imports.size()) fail("import index out of range");
    }
    for (auto r : a.roots)
      if (r >= a.functions.size()) fail("root out of range");
    for (const auto& [name, f] : a.exports)
      if (f >= a.functions.size()) fail("export out of range");
    if (a.entry >= static_cast<std::int64_t>(a.functions.size())) fail("entry out of range");

    const auto id = tailor::analyzer::identify_elf(
        [&](std::uint64_t off, std::size_t len) {
          if (off >= size) return std::vector<std::uint8_t>();
          const std::size_t n = std::min<std::size_t>(len, size - off);
          return std::vector<std::uint8_t>(data + off, data + off + n);
        },
        "fuzz");
    if (id.machine != elf.machine()) fail("identify_elf disagrees on the machine");
  } catch (const tailor::Error& e) {
    if (std::string(e.what()).find('\n') != std::string::npos) fail("multi-line error");
  }
  return 0;
}
