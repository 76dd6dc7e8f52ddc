// Where an object makes syscalls, and which: every `syscall`, `int 0x80` and `sysenter`
// instruction (x86_64 and i386) with its number recovered by backward constant propagation
// inside the function that contains it.
//
// A number is often not a constant at the instruction itself: libc's `syscall(long nr, ...)`
// and small internal wrappers move it from an argument register. A site whose number comes from
// an argument of its function makes that function a *wrapper*; every direct call to it in the
// same object (and, for exported wrappers such as libc's `syscall`, every call through the PLT
// of an importing object) is then resolved the same way at the call site.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "elf_file.h"

namespace tailor::analyzer {

struct SyscallSite {
  enum Kind { kSyscall, kInt80, kSysenter, kWrapperCall };
  Kind kind = kSyscall;
  std::uint64_t addr = 0;           // the instruction (or, for kWrapperCall, the call)
  std::string function;             // the function containing it ("" if no symbol covers it)
  std::optional<std::uint32_t> nr;  // the syscall number, if recovered
  std::string wrapper;              // kWrapperCall: the wrapper called ("syscall", ...)
};

// How a wrapper takes the syscall number: the argument index (0 = first) at its entry.
struct Wrapper {
  std::string function;
  int arg = 0;
};

struct SiteScan {
  std::vector<SyscallSite> sites;  // sorted by address
  std::vector<Wrapper> wrappers;   // functions of this object that pass an argument on
  std::size_t unresolved() const;  // sites without a number (wrapper sites excluded)
};

// Disassembles the object's executable code (Capstone) and finds its syscall sites.
// `imported_wrappers`: wrappers exported by the libraries it links (libc's "syscall" takes the
// number as argument 0); calls through the PLT to them are resolved at the call site.
SiteScan find_syscall_sites(const ElfFile& elf,
                            const std::vector<Wrapper>& imported_wrappers = {{"syscall", 0}});

}  // namespace tailor::analyzer
