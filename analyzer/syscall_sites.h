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
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "elf_file.h"

namespace tailor::analyzer {

struct SyscallSite {
  // kVsyscall: i386 glibc's `call *%gs:0x10`, the kernel's vDSO entry (__kernel_vsyscall),
  // through which 32-bit libc makes all its calls. kInt80 from 64-bit code uses the i386 table.
  enum Kind { kSyscall, kInt80, kSysenter, kVsyscall, kSvc, kWrapperCall };
  Kind kind = kSyscall;
  std::uint64_t addr = 0;           // the instruction (or, for kWrapperCall, the call)
  std::string function;             // the function containing it ("sub_<hex>" if stripped)
  std::optional<std::uint32_t> nr;  // the syscall number, if recovered
  std::string wrapper;              // kWrapperCall: the wrapper called ("syscall", ...)
  // No number here because it is an argument of `function` (0 = first): the function is a
  // wrapper, and the number is found at its callers. -1 otherwise.
  int from_arg = -1;
  bool operator==(const SyscallSite&) const = default;
};

// How a wrapper takes the syscall number: the argument index (0 = first) at its entry.
struct Wrapper {
  std::string function;
  int arg = 0;
  bool operator==(const Wrapper&) const = default;
};

struct SiteScan {
  std::vector<SyscallSite> sites;  // sorted by address
  std::vector<Wrapper> wrappers;   // functions of this object that pass an argument on
  std::size_t unresolved() const;  // sites without a number that no caller resolves
};

// One function of an object: where its code starts, the sites inside it, and what it can pass
// control to. Functions come from symbols, the unwind table (.eh_frame_hdr, which names every
// function of a stripped binary), the entry point, init arrays and direct call targets; a
// function spans the bytes up to the next start.
struct Function {
  std::uint64_t addr = 0;
  std::string name;                    // a symbol at `addr`, or "sub_<hex addr>" (stripped)
  std::vector<std::uint32_t> sites;    // indexes into ObjectAnalysis::sites
  std::vector<std::uint32_t> callees;  // indexes into ObjectAnalysis::functions: direct calls,
                                       // tail and branch jumps into other functions, and
                                       // functions whose address this one takes (lea/mov)
  std::vector<std::uint32_t> imports;  // indexes into ObjectAnalysis::imports: PLT/GOT calls
  bool operator==(const Function&) const = default;
};

// Everything the closure analysis needs from one object, independent of which binary loads it
// (so it can be cached per object).
struct ObjectAnalysis {
  std::vector<SyscallSite> sites;    // sorted by address
  std::vector<Wrapper> wrappers;     // this object's functions that pass an argument on as nr
  std::vector<Function> functions;   // sorted by address
  std::vector<std::string> imports;  // imported symbols called, sorted
  // Defined exported functions (.dynsym, global) -> index into functions.
  std::map<std::string, std::uint32_t> exports;
  // Functions reachable whenever the object is loaded: its entry (executables), init and fini
  // arrays, and functions whose address is stored in data (tables, vtables, callbacks: they
  // can be called through a pointer from anywhere). Sorted, unique.
  std::vector<std::uint32_t> roots;
  // Imported functions whose address the data holds: reachable whenever the object is loaded.
  std::vector<std::uint32_t> root_imports;  // indexes into imports
  // The function holding e_entry, -1 if none: a root for the binary and for the interpreter
  // (ld.so runs from its entry point before the program's).
  std::int64_t entry = -1;
  // Library names passed to dlopen/dlmopen as constant strings.
  std::vector<std::string> dlopen;
  // Every site counts, reachable or not: no call graph could be built (Go's runtime calls
  // through closures and interfaces; an object without function boundaries).
  bool whole_object = false;
  std::size_t unresolved() const;
  bool operator==(const ObjectAnalysis&) const = default;
};

// The syscall-wrapper functions of Go's runtime, syscall package and golang.org/x/sys/unix:
// the number is their first argument, in rax (Go's register ABI) or, for assembly functions
// (ABI0, symbol suffix ".abi0"), in the first stack word (argument index 9, see kGo).
const std::vector<Wrapper>& go_wrappers();

// Disassembles the object once and builds its ObjectAnalysis. `imported_wrappers`: wrappers
// exported by the libraries it links (libc's "syscall" takes the number as argument 0).
ObjectAnalysis analyze_object(const ElfFile& elf,
                              const std::vector<Wrapper>& imported_wrappers = {{"syscall", 0}});

// For the decoders (syscall_sites.cpp for x86, aarch64.cpp): what each collects in its pass
// over the code, turned into an ObjectAnalysis the same way by finish_object.
struct ObjectParts {
  std::vector<SyscallSite> sites;
  std::vector<std::uint32_t> site_fn;                           // the function of each site
  std::map<std::string, std::set<std::uint32_t>> import_users;  // symbol -> calling functions
  std::vector<std::set<std::uint32_t>> callees;                 // per function
};
// Sorts the sites by address (stably: an object file's sections overlap), attaches sites,
// imports (with the data-held ones as root imports) and callees to `out.functions` (already
// filled with their addresses and names), and, for linked objects, the exports, the entry and
// the roots. `func_of` gives the function holding an address, -1 if none.
void finish_object(const ElfFile& elf, ObjectParts parts,
                   const std::function<int(std::uint64_t)>& func_of, ObjectAnalysis& out);

// Disassembles the object's executable code (Capstone) and finds its syscall sites.
// `imported_wrappers`: wrappers exported by the libraries it links (libc's "syscall" takes the
// number as argument 0); calls through the PLT to them are resolved at the call site.
SiteScan find_syscall_sites(const ElfFile& elf,
                            const std::vector<Wrapper>& imported_wrappers = {{"syscall", 0}});

}  // namespace tailor::analyzer
