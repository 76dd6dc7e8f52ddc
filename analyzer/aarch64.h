// Syscall sites and call graph of an aarch64 object: the same ObjectAnalysis as the x86
// analysis (syscall_sites.h), from `svc` instructions with the number in x8.
#pragma once

#include <vector>

#include "elf_file.h"
#include "syscall_sites.h"

namespace tailor::analyzer {

// Disassembles an aarch64 object once (Capstone) and builds its ObjectAnalysis; analyze_object
// dispatches here for Machine::kAarch64. `imported_wrappers`: wrappers exported by the
// libraries it links (libc's "syscall" takes the number as argument 0, in x0), resolved at
// calls through the PLT.
ObjectAnalysis analyze_aarch64(const ElfFile& elf,
                               const std::vector<Wrapper>& imported_wrappers = {{"syscall", 0}});

}  // namespace tailor::analyzer
