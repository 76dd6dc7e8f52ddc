// A bounds-checked view of one ELF object (executable, shared library, static binary, object
// file) as the analyzer needs it: architecture, dynamic-linking facts, symbols, executable code,
// PLT slots and init arrays. Parsed from an in-memory copy with libelf; every offset and size
// the file states is checked against the buffer before it is used, so a malformed or truncated
// file is a tailor::Error with one line, never a crash or a read out of bounds.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tailor::analyzer {

enum class Machine { kX86_64, kI386, kAarch64, kOther };
enum class ElfKind { kExecutable, kShared, kRelocatable, kOther };  // ET_EXEC, ET_DYN, ET_REL

struct ElfSymbol {
  std::string name;
  std::uint64_t addr = 0;  // st_value (for ET_REL: offset in its section)
  std::uint64_t size = 0;
  bool function = false;  // STT_FUNC or STT_GNU_IFUNC
  bool defined = false;   // st_shndx != SHN_UNDEF
  bool global = false;    // STB_GLOBAL or STB_WEAK
  bool dynamic = false;   // from .dynsym (exported/imported), else .symtab
};

// An executable section (SHF_EXECINSTR) with its bytes (SHT_NOBITS sections are skipped).
struct ElfCode {
  std::string name;        // ".text", ".plt", ".init", ...
  std::uint64_t addr = 0;  // sh_addr (ET_REL: where the reader laid the section out, see code())
  std::vector<std::uint8_t> bytes;
};

// A half-open address range [lo, hi).
struct CodeRange {
  std::uint64_t lo = 0, hi = 0;
  auto operator<=>(const CodeRange&) const = default;
};

// A PLT/GOT import: calls to `plt_addr` (the stub) reach `symbol` in another object.
struct ElfImport {
  std::string symbol;          // "write", "syscall", ...
  std::uint64_t got_addr = 0;  // r_offset of the JUMP_SLOT / GLOB_DAT relocation
  std::uint64_t plt_addr = 0;  // address of the PLT stub that jumps through got_addr; 0 if none
};

// What identifies an object for the analyzer's cache, read from the ELF and program headers and
// the PT_NOTE segments only (a few hundred bytes, not the whole file).
struct ElfIdentity {
  Machine machine = Machine::kOther;
  int bits = 0;
  std::string build_id;  // hex, "" if the file has none
};
// `read(offset, length)` returns up to `length` bytes of the file at `offset` (fewer at its
// end). Throws tailor::Error (naming `name`) if the header is not a supported ELF header.
ElfIdentity identify_elf(
    const std::function<std::vector<std::uint8_t>(std::uint64_t, std::size_t)>& read,
    const std::string& name);
ElfIdentity identify_elf_file(const std::string& path);

class ElfFile {
 public:
  // Parses `bytes` (the whole file). `name` is used in error messages. Throws tailor::Error
  // (exit 2) with one line for anything that is not a well-formed ELF file of a supported class.
  static ElfFile parse(std::vector<std::uint8_t> bytes, const std::string& name);
  // Reads and parses a file. Throws tailor::Error naming the path.
  static ElfFile load(const std::string& path);

  const std::string& name() const { return name_; }
  int bits() const { return bits_; }  // 32 or 64
  Machine machine() const { return machine_; }
  ElfKind kind() const { return kind_; }
  std::uint64_t entry() const { return entry_; }
  // PT_INTERP ("/lib64/ld-linux-x86-64.so.2"); empty for static binaries and libraries.
  const std::string& interpreter() const { return interpreter_; }
  const std::vector<std::string>& needed() const { return needed_; }  // DT_NEEDED, in order
  const std::string& soname() const { return soname_; }
  const std::string& rpath() const { return rpath_; }        // DT_RPATH, unexpanded
  const std::string& runpath() const { return runpath_; }    // DT_RUNPATH, unexpanded
  const std::string& build_id() const { return build_id_; }  // NT_GNU_BUILD_ID, hex; or ""
  bool is_go() const { return is_go_; }  // has .go.buildinfo or a Go build id note
  // Defined and undefined symbols of .symtab and .dynsym, sorted by (addr, name), deduplicated.
  const std::vector<ElfSymbol>& symbols() const { return symbols_; }
  // Sorted by address and disjoint: every address names at most one byte of code, whatever the
  // file says. A linked object whose executable sections overlap (no linker writes that) keeps
  // the lowest of them and loses the others. An object file's sections all start at 0 in the
  // file: the reader lays its allocated sections out one after another, as a linker would, and
  // moves its symbols with their sections, so a relocatable object is addressed like a linked
  // one (a single-section object keeps its offsets).
  const std::vector<ElfCode>& code() const { return code_; }
  const std::vector<ElfImport>& imports() const { return imports_; }
  // Function addresses in .init_array / .fini_array / .preinit_array (relocated values where
  // the file holds them as R_*_RELATIVE addends).
  const std::vector<std::uint64_t>& init_functions() const { return init_functions_; }

  // Function start addresses from the unwind table: .eh_frame_hdr's search table and the FDEs
  // of .eh_frame itself (a static binary has no .eh_frame_hdr). gcc and clang give every
  // function an FDE, so this lists the functions of a stripped binary too. Sorted, unique.
  const std::vector<std::uint64_t>& unwind_starts() const { return unwind_starts_; }
  // The extents of those functions: each FDE's [pc_begin, pc_begin + pc_range), in the pointer
  // encoding its CIE states. Sorted, unique. (An object file's FDEs still wait for their
  // relocations: none.)
  const std::vector<CodeRange>& unwind_ranges() const { return unwind_ranges_; }
  // Addresses inside executable code that the file stores as data: R_*_RELATIVE addends,
  // absolute and GLOB_DAT relocations against defined functions, and (for position-dependent
  // and REL-style objects, whose data holds link-time addresses) aligned pointer-sized words
  // of the data sections. These are the function pointers of tables, vtables and callbacks.
  // Sorted, unique.
  const std::vector<std::uint64_t>& code_pointers() const { return code_pointers_; }
  // Imported functions whose address the data holds (absolute relocations against undefined
  // symbols: a table of libc functions, as SQLite's aSyscall[]). Sorted, unique.
  const std::vector<std::string>& data_imports() const { return data_imports_; }
  // The NUL-terminated string at `addr` in a read-only data section, if there is one there.
  std::optional<std::string> string_at(std::uint64_t addr) const;
  // DT_PLTGOT (the GOT's base, which i386 PIC code keeps in %ebx); 0 if none.
  std::uint64_t got_base() const { return got_base_; }
  // True if `addr` lies in an executable section.
  bool in_code(std::uint64_t addr) const;

  // The defined function symbol containing `addr`, if any. A function symbol of size 0 covers
  // the bytes up to the next function symbol of its section.
  const ElfSymbol* function_at(std::uint64_t addr) const;

 private:
  friend class ElfParser;  // elf_file.cpp: fills the members while it walks the file
  std::string name_;
  int bits_ = 0;
  Machine machine_ = Machine::kOther;
  ElfKind kind_ = ElfKind::kOther;
  std::uint64_t entry_ = 0;
  std::string interpreter_, soname_, rpath_, runpath_, build_id_;
  bool is_go_ = false;
  std::vector<std::string> needed_;
  std::vector<ElfSymbol> symbols_;
  std::vector<ElfCode> code_;
  std::vector<ElfImport> imports_;
  std::vector<std::uint64_t> init_functions_;
  std::vector<std::uint64_t> unwind_starts_;
  std::vector<CodeRange> unwind_ranges_;
  std::uint64_t got_base_ = 0;
  std::vector<std::uint64_t> code_pointers_;
  std::vector<std::string> data_imports_;
  struct ReadOnly {
    std::uint64_t addr = 0;
    std::vector<std::uint8_t> bytes;
  };
  std::vector<ReadOnly> rodata_;
  std::uint64_t max_function_size_ = 0;  // bounds function_at's backward walk
};

}  // namespace tailor::analyzer
