// The properties fuzz_elf checks on every input, as one function, so that the Catch2 suite
// runs the inputs the fuzzer once failed on (fuzz/regressions/elf/) through exactly the same
// code (test/test_elf.cpp). Header-only: the fuzz build compiles the analyzer a second time
// with instrumentation, and the test links the regular one.
//
//   1. ElfFile::parse never crashes or reads out of bounds (ASan), and fails only with
//      tailor::Error carrying one line. Any other exception escapes to the caller.
//   2. What it accepts is consistent: symbols sorted by (addr, name); code sections sorted by
//      address, disjoint, and no larger than the input; function_at returns a defined function
//      that contains the address (or, for a size-0 symbol, starts before it).
//   3. The disassembly and call graph built from it (analyze_object) hold together: functions
//      sorted by address and unique, sites sorted, every index in range. identify_elf (the
//      cache key reader) agrees with the parser on the machine.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "elf_file.h"
#include "syscall_sites.h"
#include "tailor/error.h"

namespace tailor::fuzz {

// "" if every property holds for `data`, else the first one that does not.
inline std::string elf_input_problem(const std::uint8_t* data, std::size_t size) {
  using namespace tailor::analyzer;
  const auto function_at_problem = [](const ElfFile& elf, std::uint64_t addr) -> std::string {
    const auto* f = elf.function_at(addr);
    if (!f) return "";
    if (!f->function || !f->defined) return "function_at returned a non-function";
    // A sized function contains [addr, addr + size); a size-0 one runs on to the next function.
    if (addr < f->addr || (f->size != 0 && addr - f->addr >= f->size))
      return "function_at returned a function that does not contain the address";
    return "";
  };
  try {
    const auto elf = ElfFile::parse(std::vector<std::uint8_t>(data, data + size), "fuzz");
    const auto& syms = elf.symbols();
    for (std::size_t i = 1; i < syms.size(); ++i)
      if (std::tie(syms[i].addr, syms[i].name) < std::tie(syms[i - 1].addr, syms[i - 1].name))
        return "symbols are not sorted";
    const auto& code = elf.code();
    for (std::size_t i = 0; i < code.size(); ++i) {
      if (code[i].bytes.size() > size) return "code section larger than the file";
      if (code[i].bytes.size() > ~std::uint64_t{0} - code[i].addr)
        return "code section past the end of the address space";
      if (i > 0 && !code[i].bytes.empty() &&
          code[i].addr < code[i - 1].addr + code[i - 1].bytes.size())
        return "code sections overlap or are not sorted";
    }
    std::vector<std::uint64_t> probes = {elf.entry()};
    for (const auto& s : syms) probes.insert(probes.end(), {s.addr, s.addr + 1});
    probes.insert(probes.end(), elf.init_functions().begin(), elf.init_functions().end());
    for (const auto& i : elf.imports()) probes.push_back(i.plt_addr);
    for (auto a : probes)
      if (auto p = function_at_problem(elf, a); !p.empty()) return p;
    for (const auto& r : elf.unwind_ranges())
      if (r.hi <= r.lo) return "empty or inverted unwind range";

    const auto a = analyze_object(elf);
    for (std::size_t i = 1; i < a.functions.size(); ++i)
      if (a.functions[i].addr <= a.functions[i - 1].addr) return "functions not sorted";
    for (std::size_t i = 1; i < a.sites.size(); ++i)
      if (a.sites[i].addr < a.sites[i - 1].addr) return "sites not sorted";
    for (const auto& f : a.functions) {
      for (auto x : f.sites)
        if (x >= a.sites.size()) return "site index out of range";
      for (auto x : f.callees)
        if (x >= a.functions.size()) return "callee index out of range";
      for (auto x : f.imports)
        if (x >= a.imports.size()) return "import index out of range";
    }
    for (auto r : a.roots)
      if (r >= a.functions.size()) return "root out of range";
    for (const auto& [name, f] : a.exports)
      if (f >= a.functions.size()) return "export out of range";
    if (a.entry >= static_cast<std::int64_t>(a.functions.size())) return "entry out of range";

    const auto id = identify_elf(
        [&](std::uint64_t off, std::size_t len) {
          if (off >= size) return std::vector<std::uint8_t>();
          const std::size_t n = std::min<std::size_t>(len, size - off);
          return std::vector<std::uint8_t>(data + off, data + off + n);
        },
        "fuzz");
    if (id.machine != elf.machine()) return "identify_elf disagrees on the machine";
  } catch (const tailor::Error& e) {
    if (std::string(e.what()).find('\n') != std::string::npos) return "multi-line error";
  }
  return "";
}

}  // namespace tailor::fuzz
