// libFuzzer target for the analyzer's ELF reader, which reads whatever binary a user points
// `tailor analyze` at: downloaded, corrupted or deliberately malformed files included.
//
// The properties it checks on every input are in elf_checks.h, shared with the test suite,
// which runs every input that once failed them (fuzz/regressions/elf/*.hex) the same way.
// Seeds: written by fuzz/make_elf_seeds.py into build-fuzz/seeds/elf/ (scripts/test.sh), the
// regression inputs among them.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "elf_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (const std::string problem = tailor::fuzz::elf_input_problem(data, size); !problem.empty()) {
    std::fprintf(stderr, "fuzz_elf: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
