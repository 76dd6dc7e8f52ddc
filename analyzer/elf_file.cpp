// The ELF reader (see elf_file.h).
//
// libelf does the structure decoding (headers, symbol, relocation, dynamic and note entries for
// both classes) and checks that each section's data lies inside the image it was given. This
// file adds what libelf leaves to its callers: the section and segment tables are validated up
// front (so a truncated file fails at once with one line instead of silently losing sections),
// and every read this file does itself — PT_INTERP, init arrays, PLT stub bytes — goes through
// `Bytes`, which checks offset and length against the buffer before touching it.
#include "elf_file.h"

#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "tailor/error.h"

namespace tailor::analyzer {

namespace {

// Relocation types the reader interprets (from <elf.h>, named here for the three machines).
struct RelocTypes {
  std::uint32_t jump_slot = 0, glob_dat = 0, relative = 0, absolute = 0;
};

RelocTypes reloc_types(Machine m) {
  switch (m) {
    case Machine::kX86_64:
      return {R_X86_64_JUMP_SLOT, R_X86_64_GLOB_DAT, R_X86_64_RELATIVE, R_X86_64_64};
    case Machine::kI386:
      return {R_386_JMP_SLOT, R_386_GLOB_DAT, R_386_RELATIVE, R_386_32};
    case Machine::kAarch64:
      return {R_AARCH64_JUMP_SLOT, R_AARCH64_GLOB_DAT, R_AARCH64_RELATIVE, R_AARCH64_ABS64};
    case Machine::kOther:
      break;
  }
  return {};
}

Machine machine_of(unsigned e_machine) {
  switch (e_machine) {
    case EM_X86_64:
      return Machine::kX86_64;
    case EM_386:
      return Machine::kI386;
    case EM_AARCH64:
      return Machine::kAarch64;
    default:
      return Machine::kOther;
  }
}

// libelf must be told once which ELF version the caller speaks before any other call.
void init_libelf() {
  static const bool ok = elf_version(EV_CURRENT) != EV_NONE;
  if (!ok) throw Error(std::string("libelf: ") + elf_errmsg(-1));
}

// Owns an Elf* (elf_end).
class ElfHandle {
 public:
  explicit ElfHandle(Elf* e) : e_(e) {}
  ~ElfHandle() {
    if (e_) elf_end(e_);
  }
  ElfHandle(const ElfHandle&) = delete;
  ElfHandle& operator=(const ElfHandle&) = delete;
  Elf* get() const { return e_; }

 private:
  Elf* e_;
};

// Bounds-checked little-endian reads from the file image.
class Bytes {
 public:
  explicit Bytes(const std::vector<std::uint8_t>& b) : b_(b) {}
  bool has(std::uint64_t off, std::uint64_t len) const {
    return off <= b_.size() && len <= b_.size() - off;
  }
  // A pointer to `len` bytes at `off`, or nullptr if they are not all inside the file.
  const std::uint8_t* at(std::uint64_t off, std::uint64_t len) const {
    return has(off, len) ? b_.data() + off : nullptr;
  }
  std::optional<std::uint64_t> uint(std::uint64_t off, int size) const {
    const std::uint8_t* p = at(off, size);
    if (!p) return std::nullopt;
    std::uint64_t v = 0;
    for (int i = size - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
  }

 private:
  const std::vector<std::uint8_t>& b_;
};

struct Section {
  std::size_t index = 0;
  std::string name;
  GElf_Shdr shdr{};
  Elf_Scn* scn = nullptr;
};

std::string hex(const std::uint8_t* p, std::size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

// A string from a string table section, or "" if the offset is invalid (libelf checks that the
// offset is inside the section and the string is NUL-terminated within it).
std::string str_at(Elf* elf, std::size_t strtab, std::size_t off) {
  const char* s = elf_strptr(elf, strtab, off);
  return s ? std::string(s) : std::string();
}

}  // namespace

// Everything parse() needs while it walks the file; the results land in the ElfFile (whose
// friend it is).
class ElfParser {
 public:
  ElfParser(const std::vector<std::uint8_t>& bytes, const std::string& name)
      : bytes_(bytes), raw_(bytes), name_(name) {}

  // One line: section names come from the file and may hold any byte.
  [[noreturn]] void fail(const std::string& what) const {
    std::string msg = name_ + ": " + what;
    for (char& c : msg)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    throw Error(msg);
  }
  // `err`: an elf_errno() value already taken (taking it clears it); -1: the current one.
  [[noreturn]] void fail_libelf(const std::string& what, int err = -1) const {
    fail("malformed ELF file: " + what + ": " + elf_errmsg(err));
  }

  void check_ident() {
    if (bytes_.empty()) fail("not an ELF file (empty)");
    if (bytes_.size() < SELFMAG || std::memcmp(bytes_.data(), ELFMAG, SELFMAG) != 0)
      fail("not an ELF file");
    if (bytes_.size() < EI_NIDENT) fail("truncated ELF header");
    const unsigned cls = bytes_[EI_CLASS], data = bytes_[EI_DATA];
    if (cls != ELFCLASS32 && cls != ELFCLASS64)
      fail("unsupported ELF class " + std::to_string(cls));
    if (data != ELFDATA2LSB)
      fail(data == ELFDATA2MSB ? "unsupported ELF byte order (big endian)"
                               : "unsupported ELF byte order " + std::to_string(data));
    bits_ = cls == ELFCLASS64 ? 64 : 32;
    const std::size_t ehdr = bits_ == 64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    if (bytes_.size() < ehdr) fail("truncated ELF header");
  }

  void run(ElfFile& out, Elf* elf) {
    elf_ = elf;
    if (elf_kind(elf) != ELF_K_ELF) fail("not an ELF file");
    GElf_Ehdr eh;
    if (!gelf_getehdr(elf, &eh)) fail_libelf("ELF header");
    machine_ = machine_of(eh.e_machine);
    switch (eh.e_type) {
      case ET_EXEC:
        kind_ = ElfKind::kExecutable;
        break;
      case ET_DYN:
        kind_ = ElfKind::kShared;
        break;
      case ET_REL:
        kind_ = ElfKind::kRelocatable;
        break;
      default:
        kind_ = ElfKind::kOther;
    }
    out.bits_ = bits_;
    out.machine_ = machine_;
    out.kind_ = kind_;
    out.entry_ = eh.e_entry;

    read_segments(eh, out);
    read_sections(eh);
    for (const auto& s : sections_) {
      if (s.name == ".go.buildinfo") out.is_go_ = true;
      switch (s.shdr.sh_type) {
        case SHT_NOTE:
          read_notes(data_of(s), out);
          break;
        case SHT_DYNAMIC:
          has_dynamic_ = true;
          read_dynamic(s, out);
          break;
        case SHT_SYMTAB:
        case SHT_DYNSYM:
          read_symbols(s, out.symbols_);
          break;
        default:
          break;
      }
      if ((s.shdr.sh_flags & SHF_EXECINSTR) && s.shdr.sh_type != SHT_NOBITS) read_code(s, out);
    }
    // A file without section headers still has its notes in PT_NOTE segments.
    if (sections_.empty()) {
      for (const auto& n : note_segments_) {
        Elf_Data* d =
            elf_getdata_rawchunk(elf, n.offset, n.size, n.align8 ? ELF_T_NHDR8 : ELF_T_NHDR);
        if (d) read_notes(d, out);
      }
    }
    finish_code(out);
    finish_symbols(out);
    read_relocations(out);
    read_init_arrays(out);
    read_unwind_starts(out);
    read_eh_frame(out);
    finish_unwind(out);
    read_data(out);
  }

 private:
  // Program headers: PT_INTERP's path, PT_NOTE locations; every segment must lie in the file.
  void read_segments(const GElf_Ehdr& eh, ElfFile& out) {
    std::size_t n = 0;
    if (elf_getphdrnum(elf_, &n) != 0) fail_libelf("program headers");
    if (eh.e_phnum != PN_XNUM && n != eh.e_phnum) fail("inconsistent program header count");
    if (n == 0) return;
    const std::size_t entsize = bits_ == 64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    if (eh.e_phentsize != entsize)
      fail("bad program header size " + std::to_string(eh.e_phentsize));
    if (!raw_.has(eh.e_phoff, std::uint64_t{n} * entsize))
      fail("program header table extends past the end of the file");
    for (std::size_t i = 0; i < n; ++i) {
      GElf_Phdr ph;
      if (!gelf_getphdr(elf_, static_cast<int>(i), &ph)) fail_libelf("program header");
      if (ph.p_type == PT_NULL) continue;
      if (!raw_.has(ph.p_offset, ph.p_filesz))
        fail("segment " + std::to_string(i) + " extends past the end of the file");
      if (ph.p_type == PT_INTERP) {
        const auto* p = reinterpret_cast<const char*>(raw_.at(ph.p_offset, ph.p_filesz));
        out.interpreter_ = std::string(p, strnlen(p, ph.p_filesz));
      } else if (ph.p_type == PT_NOTE) {
        note_segments_.push_back({ph.p_offset, ph.p_filesz, ph.p_align == 8});
      }
    }
  }

  // Section headers and names. A bad table is an error, not "no sections": the analysis of a
  // file that silently lost its symbols would be wrong, not just incomplete.
  void read_sections(const GElf_Ehdr& eh) {
    std::size_t n = 0;
    if (elf_getshdrnum(elf_, &n) != 0) fail_libelf("section headers");
    const std::size_t entsize = bits_ == 64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
    // libelf reports 0 sections when the table does not fit in the file; the header's own
    // count says whether there should be some (0 with an offset: the count is in section 0).
    if (n == 0 && eh.e_shoff != 0 && (eh.e_shnum != 0 || !raw_.has(eh.e_shoff, entsize)))
      fail("section header table extends past the end of the file");
    if (eh.e_shnum != 0 && n != eh.e_shnum) fail("inconsistent section count");
    if (n == 0) return;
    if (eh.e_shentsize != entsize)
      fail("bad section header size " + std::to_string(eh.e_shentsize));
    if (!raw_.has(eh.e_shoff, std::uint64_t{n} * entsize))
      fail("section header table extends past the end of the file");
    std::size_t shstrndx = 0;
    if (elf_getshdrstrndx(elf_, &shstrndx) != 0) fail_libelf("section name table");
    if (shstrndx != SHN_UNDEF && shstrndx >= n) fail("section name table index out of range");
    for (std::size_t i = 1; i < n; ++i) {
      Section s;
      s.index = i;
      s.scn = elf_getscn(elf_, i);
      if (!s.scn || !gelf_getshdr(s.scn, &s.shdr)) fail_libelf("section " + std::to_string(i));
      if (s.shdr.sh_type != SHT_NOBITS && !raw_.has(s.shdr.sh_offset, s.shdr.sh_size))
        fail("section " + std::to_string(i) + " extends past the end of the file");
      if (shstrndx != SHN_UNDEF) {
        const char* nm = elf_strptr(elf_, shstrndx, s.shdr.sh_name);
        if (!nm) fail_libelf("name of section " + std::to_string(i));
        s.name = nm;
      }
      sections_.push_back(std::move(s));
    }
    if (kind_ == ElfKind::kRelocatable) lay_out_sections();
  }

  // An object file's sections all say address 0: each is placed where a linker would put it,
  // after the previous allocated one at its alignment, so that code, symbols and sites of
  // different sections get different addresses. The first section stays at 0, so a
  // single-section object keeps its offsets. A layout past 2^48 (sizes no real object has) is
  // not continued: the later sections stay where they are, and code() drops what overlaps.
  void lay_out_sections() {
    constexpr std::uint64_t kLimit = std::uint64_t{1} << 48;
    std::uint64_t next = 0;
    for (auto& s : sections_) {
      if (!(s.shdr.sh_flags & SHF_ALLOC)) continue;
      const std::uint64_t align = s.shdr.sh_addralign;
      // Alignment is a power of two; anything else (or absurdly large) counts as 1.
      if (align > 1 && (align & (align - 1)) == 0 && align <= 4096)
        next = (next + align - 1) & ~(align - 1);
      if (next >= kLimit || s.shdr.sh_size >= kLimit - next) break;
      s.shdr.sh_addr = next;
      next += s.shdr.sh_size;
    }
  }

  const Section* section(const std::string& name) const {
    for (const auto& s : sections_)
      if (s.name == name) return &s;
    return nullptr;
  }
  const Section* section_at(std::size_t index) const {
    if (index == 0 || index > sections_.size()) return nullptr;
    return &sections_[index - 1];
  }

  Elf_Data* data_of(const Section& s) const {
    elf_errno();  // clear a stale error: a null result without one means "no data"
    Elf_Data* d = elf_getdata(s.scn, nullptr);
    if (!d) {
      if (const int err = elf_errno(); err != 0) fail_libelf("data of section " + s.name, err);
    }
    return d;
  }

  void read_notes(Elf_Data* d, ElfFile& out) {
    if (!d) return;
    GElf_Nhdr nh;
    std::size_t name_off = 0, desc_off = 0;
    for (std::size_t off = 0; off < d->d_size;) {
      const std::size_t next = gelf_getnote(d, off, &nh, &name_off, &desc_off);
      if (next == 0) break;  // malformed or last note: libelf refuses to read past the data
      const auto* base = static_cast<const char*>(d->d_buf);
      const std::string_view owner(base + name_off, strnlen(base + name_off, nh.n_namesz));
      if (owner == "GNU" && nh.n_type == NT_GNU_BUILD_ID && out.build_id_.empty())
        out.build_id_ = hex(reinterpret_cast<const std::uint8_t*>(base + desc_off), nh.n_descsz);
      if (owner == "Go" && nh.n_type == 4) out.is_go_ = true;  // Go's NT_GO_BUILDID
      off = next;
    }
  }

  void read_dynamic(const Section& s, ElfFile& out) {
    Elf_Data* d = data_of(s);
    if (!d) return;
    const std::size_t entsize = gelf_fsize(elf_, ELF_T_DYN, 1, EV_CURRENT);
    if (entsize == 0) return;
    for (std::size_t i = 0; i < d->d_size / entsize; ++i) {
      GElf_Dyn dyn;
      if (!gelf_getdyn(d, static_cast<int>(i), &dyn)) break;
      if (dyn.d_tag == DT_NULL) break;
      const auto str = [&] { return str_at(elf_, s.shdr.sh_link, dyn.d_un.d_val); };
      switch (dyn.d_tag) {
        case DT_NEEDED:
          out.needed_.push_back(str());
          break;
        case DT_SONAME:
          out.soname_ = str();
          break;
        case DT_RPATH:
          out.rpath_ = str();
          break;
        case DT_RUNPATH:
          out.runpath_ = str();
          break;
        case DT_PLTGOT:
          pltgot_ = dyn.d_un.d_ptr;
          out.got_base_ = dyn.d_un.d_ptr;
          break;
        default:
          break;
      }
    }
  }

  static std::size_t count(Elf* elf, Elf_Data* d, Elf_Type t) {
    const std::size_t entsize = gelf_fsize(elf, t, 1, EV_CURRENT);
    return d && entsize ? d->d_size / entsize : 0;
  }

  void read_symbols(const Section& s, std::vector<ElfSymbol>& out) {
    Elf_Data* d = data_of(s);
    const std::size_t n = count(elf_, d, ELF_T_SYM);
    for (std::size_t i = 1; i < n; ++i) {  // entry 0 is the reserved null symbol
      GElf_Sym sym;
      if (!gelf_getsym(d, static_cast<int>(i), &sym)) break;
      const int type = GELF_ST_TYPE(sym.st_info), bind = GELF_ST_BIND(sym.st_info);
      if (type == STT_SECTION || type == STT_FILE) continue;
      ElfSymbol e;
      e.name = str_at(elf_, s.shdr.sh_link, sym.st_name);
      if (e.name.empty()) continue;
      e.addr = sym.st_value;
      // An object file's symbol values are offsets in their section, which the reader laid out.
      if (kind_ == ElfKind::kRelocatable && sym.st_shndx != SHN_UNDEF &&
          sym.st_shndx < SHN_LORESERVE)
        if (const Section* in = section_at(sym.st_shndx); in && (in->shdr.sh_flags & SHF_ALLOC))
          e.addr += in->shdr.sh_addr;
      e.size = sym.st_size;
      e.function = type == STT_FUNC || type == STT_GNU_IFUNC;
      e.defined = sym.st_shndx != SHN_UNDEF;
      e.global = bind == STB_GLOBAL || bind == STB_WEAK || bind == STB_GNU_UNIQUE;
      e.dynamic = s.shdr.sh_type == SHT_DYNSYM;
      out.push_back(std::move(e));
    }
  }

  // Sorted by (addr, name); a symbol listed in both .symtab and .dynsym becomes one entry that
  // keeps the facts of both (it is dynamic because it is exported).
  void finish_symbols(ElfFile& out) {
    auto& v = out.symbols_;
    std::sort(v.begin(), v.end(), [](const ElfSymbol& a, const ElfSymbol& b) {
      return std::tie(a.addr, a.name, a.defined) < std::tie(b.addr, b.name, b.defined);
    });
    std::vector<ElfSymbol> merged;
    for (auto& s : v) {
      if (!merged.empty() && merged.back().addr == s.addr && merged.back().name == s.name &&
          merged.back().defined == s.defined) {
        auto& m = merged.back();
        m.size = std::max(m.size, s.size);
        m.function |= s.function;
        m.global |= s.global;
        m.dynamic |= s.dynamic;
        continue;
      }
      merged.push_back(std::move(s));
    }
    v = std::move(merged);
    for (const auto& s : v)
      if (s.function && s.defined)
        out.max_function_size_ = std::max(out.max_function_size_, s.size);
  }

  void read_code(const Section& s, ElfFile& out) {
    Elf_Data* d = data_of(s);
    ElfCode c;
    c.name = s.name;
    c.addr = s.shdr.sh_addr;
    if (d && d->d_buf && d->d_size) {
      const auto* p = static_cast<const std::uint8_t*>(d->d_buf);
      c.bytes.assign(p, p + d->d_size);
    }
    out.code_.push_back(std::move(c));
  }

  // Code sections in address order, none overlapping another or running past the end of the
  // address space: the decoders walk them as one increasing sequence of addresses, and their
  // functions and sites are sorted and unique because of it. In file order on equal addresses,
  // the first one kept.
  void finish_code(ElfFile& out) {
    auto& v = out.code_;
    std::stable_sort(v.begin(), v.end(),
                     [](const ElfCode& a, const ElfCode& b) { return a.addr < b.addr; });
    std::vector<ElfCode> kept;
    std::uint64_t end = 0;  // of the last kept section
    for (auto& c : v) {
      const std::uint64_t size = c.bytes.size();
      if (size > ~std::uint64_t{0} - c.addr) continue;  // wraps around
      if (!kept.empty() && c.addr < end && size != 0) continue;
      if (size != 0) end = c.addr + size;
      kept.push_back(std::move(c));
    }
    v = std::move(kept);
    for (const auto& c : v) {
      if (c.bytes.empty()) continue;
      code_lo_ = std::min<std::uint64_t>(code_lo_, c.addr);
      code_hi_ = std::max<std::uint64_t>(code_hi_, c.addr + c.bytes.size());
    }
  }

  // One relocation, whichever of REL/RELA it came from (REL addends are implicit in place).
  struct Reloc {
    std::uint64_t offset = 0;
    std::uint32_t type = 0, sym = 0;
    std::int64_t addend = 0;
    bool rela = false;
  };

  std::vector<Reloc> relocs_of(const Section& s) const {
    std::vector<Reloc> out;
    Elf_Data* d = data_of(s);
    const bool rela = s.shdr.sh_type == SHT_RELA;
    const std::size_t n = count(elf_, d, rela ? ELF_T_RELA : ELF_T_REL);
    for (std::size_t i = 0; i < n; ++i) {
      Reloc r;
      r.rela = rela;
      if (rela) {
        GElf_Rela x;
        if (!gelf_getrela(d, static_cast<int>(i), &x)) break;
        r.offset = x.r_offset;
        r.type = GELF_R_TYPE(x.r_info);
        r.sym = GELF_R_SYM(x.r_info);
        r.addend = x.r_addend;
      } else {
        GElf_Rel x;
        if (!gelf_getrel(d, static_cast<int>(i), &x)) break;
        r.offset = x.r_offset;
        r.type = GELF_R_TYPE(x.r_info);
        r.sym = GELF_R_SYM(x.r_info);
      }
      out.push_back(r);
    }
    return out;
  }

  // The i-th symbol of a symbol table section (for relocations), or nullopt.
  std::optional<GElf_Sym> symbol(const Section& symtab, std::uint32_t i) const {
    Elf_Data* d = data_of(symtab);
    GElf_Sym sym;
    if (i == 0 || i >= count(elf_, d, ELF_T_SYM) || !gelf_getsym(d, static_cast<int>(i), &sym))
      return std::nullopt;
    return sym;
  }

  // The GOT slot an x86 PLT stub jumps through, decoded from its indirect jump:
  //   x86_64: `ff 25 rel32` = jmp *rel32(%rip), optionally with a `f2` (bnd) prefix; the slot
  //           is the address after the instruction plus rel32.
  //   i386:   `ff 25 abs32` = jmp *abs32 (non-PIC executables), or `ff a3 disp32` =
  //           jmp *disp32(%ebx), where PIC code holds the GOT address (DT_PLTGOT) in %ebx.
  // The first such jump inside the entry counts (IBT entries start with endbr64/endbr32).
  std::optional<std::uint64_t> stub_target(const std::uint8_t* p, std::size_t len,
                                           std::uint64_t addr) const {
    for (std::size_t i = 0; i + 6 <= len; ++i) {
      if (p[i] != 0xff) continue;
      std::uint32_t imm = 0;
      for (int k = 5; k >= 2; --k) imm = (imm << 8) | p[i + k];
      if (machine_ == Machine::kX86_64 && p[i + 1] == 0x25) {
        const auto rel = static_cast<std::int64_t>(static_cast<std::int32_t>(imm));
        return addr + i + 6 + rel;
      }
      if (machine_ == Machine::kI386 && p[i + 1] == 0x25) return imm;
      if (machine_ == Machine::kI386 && p[i + 1] == 0xa3 && pltgot_)
        return static_cast<std::uint32_t>(*pltgot_ + imm);
    }
    return std::nullopt;
  }

  // Decodes every stub of one PLT section: `header` bytes first (the lazy resolver's PLT0),
  // then entries of `entsize` bytes. Maps GOT slot -> stub address, and remembers the stubs in
  // order (for the layout fallback).
  void scan_plt(const Section* s, std::uint64_t header, std::uint64_t entsize,
                std::map<std::uint64_t, std::uint64_t>& by_got,
                std::vector<std::pair<std::uint64_t, bool>>* in_order) const {
    if (!s || s->shdr.sh_type == SHT_NOBITS || entsize == 0) return;
    const std::uint8_t* p = raw_.at(s->shdr.sh_offset, s->shdr.sh_size);
    if (!p) return;
    for (std::uint64_t off = header; off + entsize <= s->shdr.sh_size; off += entsize) {
      const std::uint64_t addr = s->shdr.sh_addr + off;
      const auto got = stub_target(p + off, entsize, addr);
      if (got) by_got.emplace(*got, addr);
      if (in_order) in_order->emplace_back(addr, got.has_value());
    }
  }

  // Imports from JUMP_SLOT and GLOB_DAT relocations against the dynamic symbol table, and the
  // RELATIVE relocations' addends (for init arrays).
  //
  // PLT layouts (GNU ld), which give plt_addr:
  //   x86_64 and i386: `.plt` = a 16-byte PLT0 header, then one 16-byte stub per .rela.plt /
  //     .rel.plt entry in that order. With IBT or `-z now` plus `-z ibtplt`, the stubs that code
  //     calls move to `.plt.sec` (16 bytes each, no header, same order) and .plt keeps only the
  //     lazy-binding trampolines. `.plt.got` holds stubs for symbols that only have a GLOB_DAT
  //     slot (8 bytes each, 16 with IBT). Since each x86 stub is an indirect jump through its
  //     GOT slot, the stubs are decoded (stub_target) and matched by slot; the position in the
  //     relocation table is only used for a stub whose jump could not be decoded at all.
  //   aarch64: `.plt` = a 32-byte header, then 16-byte stubs in .rela.plt order (adrp/ldr/add/br,
  //     not decoded here).
  void read_relocations(ElfFile& out) {
    const RelocTypes rt = reloc_types(machine_);
    if (machine_ == Machine::kOther || kind_ == ElfKind::kRelocatable) return;

    std::map<std::uint64_t, std::uint64_t> stub_by_got;
    std::vector<std::pair<std::uint64_t, bool>> layout;  // stubs in relocation order
    const Section* plt = section(".plt");
    const Section* plt_sec = section(".plt.sec");
    if (machine_ == Machine::kAarch64) {
      if (plt && plt->shdr.sh_type != SHT_NOBITS)
        for (std::uint64_t off = 32; off + 16 <= plt->shdr.sh_size; off += 16)
          layout.emplace_back(plt->shdr.sh_addr + off, false);
    } else {
      // Static binaries have a .plt for IRELATIVE slots without the lazy-binding PLT0.
      const std::uint64_t plt0 = has_dynamic_ ? 16 : 0;
      if (plt_sec) {
        scan_plt(plt_sec, 0, 16, stub_by_got, &layout);
      } else {
        scan_plt(plt, plt0, 16, stub_by_got, &layout);
      }
      const Section* plt_got = section(".plt.got");
      if (plt_got && plt_got->shdr.sh_type != SHT_NOBITS) {
        // 8-byte stubs (jmp; 2-byte nop), or 16 bytes when IBT puts an endbr in front.
        const std::uint8_t* p = raw_.at(plt_got->shdr.sh_offset, 4);
        const bool ibt =
            p && p[0] == 0xf3 && p[1] == 0x0f && p[2] == 0x1e && (p[3] == 0xfa || p[3] == 0xfb);
        scan_plt(plt_got, 0, ibt ? 16 : 8, stub_by_got, nullptr);
      }
    }

    for (const auto& s : sections_) {
      if (s.shdr.sh_type != SHT_RELA && s.shdr.sh_type != SHT_REL) continue;
      const Section* symtab = section_at(s.shdr.sh_link);
      const bool dynsym = symtab && symtab->shdr.sh_type == SHT_DYNSYM;
      const bool is_plt_relocs = s.name == ".rela.plt" || s.name == ".rel.plt";
      const auto relocs = relocs_of(s);
      for (std::size_t i = 0; i < relocs.size(); ++i) {
        const Reloc& r = relocs[i];
        if (r.type == rt.relative && r.rela)
          relative_[r.offset] = static_cast<std::uint64_t>(r.addend);
        if ((r.type == rt.absolute || r.type == rt.glob_dat) && symtab && r.sym != 0) {
          // A function's address stored in data or the GOT: a pointer the code may call.
          const auto sym = symbol(*symtab, r.sym);
          const int type = sym ? GELF_ST_TYPE(sym->st_info) : STT_NOTYPE;
          if (sym && sym->st_shndx != SHN_UNDEF && type == STT_FUNC)
            pointers_.push_back(sym->st_value + static_cast<std::uint64_t>(r.addend));
          if (sym && sym->st_shndx == SHN_UNDEF && r.type == rt.absolute &&
              (type == STT_FUNC || type == STT_NOTYPE)) {
            std::string name = str_at(elf_, symtab->shdr.sh_link, sym->st_name);
            if (!name.empty()) out.data_imports_.push_back(std::move(name));
          }
        }
        if (!dynsym || (r.type != rt.jump_slot && r.type != rt.glob_dat)) continue;
        const auto sym = symbol(*symtab, r.sym);
        if (!sym) continue;
        const int type = GELF_ST_TYPE(sym->st_info);
        // GLOB_DAT slots also serve data (stdout, environ): only code can be called.
        if (r.type == rt.glob_dat && type != STT_FUNC && type != STT_GNU_IFUNC &&
            type != STT_NOTYPE)
          continue;
        ElfImport imp;
        imp.symbol = str_at(elf_, symtab->shdr.sh_link, sym->st_name);
        if (imp.symbol.empty()) continue;
        imp.got_addr = r.offset;
        if (auto it = stub_by_got.find(r.offset); it != stub_by_got.end()) {
          imp.plt_addr = it->second;
        } else if (r.type == rt.jump_slot && is_plt_relocs && i < layout.size() &&
                   !layout[i].second) {
          imp.plt_addr = layout[i].first;  // undecodable stub: trust the documented layout
        }
        out.imports_.push_back(std::move(imp));
      }
    }
    std::sort(out.data_imports_.begin(), out.data_imports_.end());
    out.data_imports_.erase(std::unique(out.data_imports_.begin(), out.data_imports_.end()),
                            out.data_imports_.end());
    std::sort(out.imports_.begin(), out.imports_.end(), [](const ElfImport& a, const ElfImport& b) {
      return std::tie(a.got_addr, a.symbol, a.plt_addr) <
             std::tie(b.got_addr, b.symbol, b.plt_addr);
    });
  }

  // .preinit_array, .init_array, .fini_array: pointer-sized entries. In PIE files and shared
  // libraries the stored value is 0 and the real one is the addend of the R_*_RELATIVE
  // relocation at that address (RELA); with REL (i386) the stored value is the addend.
  void read_init_arrays(ElfFile& out) {
    const int ptr = bits_ / 8;
    for (const auto& s : sections_) {
      const auto t = s.shdr.sh_type;
      if (t != SHT_INIT_ARRAY && t != SHT_FINI_ARRAY && t != SHT_PREINIT_ARRAY) continue;
      for (std::uint64_t off = 0; off + ptr <= s.shdr.sh_size; off += ptr) {
        auto v = raw_.uint(s.shdr.sh_offset + off, ptr);
        if (!v) break;
        if (auto it = relative_.find(s.shdr.sh_addr + off); it != relative_.end()) v = it->second;
        const std::uint64_t all_ones = ptr == 8 ? ~std::uint64_t{0} : 0xffffffffu;
        if (*v != 0 && *v != all_ones) out.init_functions_.push_back(*v);  // -1: old terminator
      }
    }
    auto& f = out.init_functions_;
    std::sort(f.begin(), f.end());
    f.erase(std::unique(f.begin(), f.end()), f.end());
  }

  // .eh_frame_hdr (version 1): eh_frame_ptr and fde_count in their stated encodings, then a
  // table of (initial location, FDE address) pairs. GNU ld always writes the table as
  // DW_EH_PE_datarel|DW_EH_PE_sdata4 (relative to the header's start); another encoding is
  // left alone: the function list then comes from symbols only.
  void read_unwind_starts(ElfFile& out) {
    const Section* hdr = section(".eh_frame_hdr");
    if (!hdr || hdr->shdr.sh_type == SHT_NOBITS || hdr->shdr.sh_size < 4) return;
    const std::uint64_t base = hdr->shdr.sh_offset, size = hdr->shdr.sh_size;
    const std::uint8_t* p = raw_.at(base, 4);
    if (!p || p[0] != 1) return;
    const std::uint8_t ptr_enc = p[1], count_enc = p[2], table_enc = p[3];
    std::uint64_t off = 4;
    // Only the value forms GNU ld uses for these two fields are decoded.
    const auto skip = [&](std::uint8_t enc) -> bool {
      switch (enc & 0x0f) {
        case 0x03:  // udata4
        case 0x0b:  // sdata4
          off += 4;
          return true;
        case 0x04:  // udata8
        case 0x0c:  // sdata8
          off += 8;
          return true;
        case 0x00:  // absptr
          off += static_cast<std::uint64_t>(bits_ / 8);
          return true;
        default:
          return enc == 0xff;  // DW_EH_PE_omit
      }
    };
    if (!skip(ptr_enc)) return;
    if ((count_enc & 0x0f) != 0x03 || off + 4 > size) return;
    const auto count = raw_.uint(base + off, 4);
    off += 4;
    if (!count || table_enc != 0x3b) return;
    const std::uint64_t fit = (size - off) / 8;
    const std::uint64_t n = std::min<std::uint64_t>(*count, fit);
    const auto datarel = [&](std::uint64_t word) {
      const auto rel = static_cast<std::int64_t>(static_cast<std::int32_t>(word));
      std::uint64_t a = hdr->shdr.sh_addr + static_cast<std::uint64_t>(rel);
      if (bits_ == 32) a &= 0xffffffffu;
      return a;
    };
    for (std::uint64_t i = 0; i < n; ++i) {
      const auto loc = raw_.uint(base + off + 8 * i, 4);
      if (!loc) break;
      out.unwind_starts_.push_back(datarel(*loc));
    }
  }

  void finish_unwind(ElfFile& out) {
    auto& v = out.unwind_starts_;
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    auto& r = out.unwind_ranges_;
    std::sort(r.begin(), r.end());
    r.erase(std::unique(r.begin(), r.end()), r.end());
  }

  // Reads DWARF call-frame values from a bounded buffer; any read past its end clears ok.
  struct Cursor {
    const std::uint8_t* p = nullptr;
    std::uint64_t size = 0, at = 0;
    bool ok = true;
    std::uint64_t u(int bytes) {
      if (!ok || at > size || static_cast<std::uint64_t>(bytes) > size - at) {
        ok = false;
        return 0;
      }
      std::uint64_t v = 0;
      for (int k = bytes - 1; k >= 0; --k) v = (v << 8) | p[at + static_cast<std::uint64_t>(k)];
      at += static_cast<std::uint64_t>(bytes);
      return v;
    }
    std::uint64_t leb(bool is_signed) {
      std::uint64_t v = 0;
      int shift = 0;
      for (;;) {
        const std::uint64_t b = u(1);
        if (!ok) return 0;
        if (shift < 64) v |= (b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) {
          if (is_signed && shift < 64 && (b & 0x40)) v |= ~std::uint64_t{0} << shift;
          return v;
        }
        if (shift > 70) {  // longer than any 64-bit value
          ok = false;
          return 0;
        }
      }
    }
    // A value in pointer encoding `enc` (DW_EH_PE_*), its format only: where it applies (pcrel,
    // datarel) does not matter for a length. nullopt for a format that does not exist.
    std::optional<std::int64_t> encoded(std::uint8_t enc, int ptr_size) {
      switch (enc & 0x0f) {
        case 0x00:
          return static_cast<std::int64_t>(u(ptr_size));
        case 0x01:
          return static_cast<std::int64_t>(leb(false));
        case 0x02:
          return static_cast<std::int64_t>(u(2));
        case 0x03:
          return static_cast<std::int64_t>(u(4));
        case 0x04:
          return static_cast<std::int64_t>(u(8));
        case 0x09:
          return static_cast<std::int64_t>(leb(true));
        case 0x0a:
          return static_cast<std::int16_t>(u(2));
        case 0x0b:
          return static_cast<std::int32_t>(u(4));
        case 0x0c:
          return static_cast<std::int64_t>(u(8));
        default:
          return std::nullopt;
      }
    }
  };

  // Every FDE of .eh_frame, walked from the section itself (a static binary has no
  // .eh_frame_hdr): [pc_begin, pc_begin + pc_range) of each, in the pointer encoding its CIE
  // states ('R' augmentation; absptr without one). pc_begin is decoded for the forms toolchains
  // write (absptr, pcrel); an FDE in another form, or one that does not parse, is passed over.
  // An object file's FDEs wait for relocations and are not read.
  void read_eh_frame(ElfFile& out) {
    const Section* eh = section(".eh_frame");
    if (!eh || eh->shdr.sh_type == SHT_NOBITS || kind_ == ElfKind::kRelocatable) return;
    const std::uint8_t* p = raw_.at(eh->shdr.sh_offset, eh->shdr.sh_size);
    if (!p) return;
    const std::uint64_t size = eh->shdr.sh_size, base = eh->shdr.sh_addr;
    const int ptr = bits_ / 8;
    const std::uint64_t mask = bits_ == 32 ? 0xffffffffu : ~std::uint64_t{0};
    std::map<std::uint64_t, std::optional<std::uint8_t>> cies;  // CIE offset -> FDE encoding
    for (std::uint64_t at = 0; at + 4 <= size;) {
      Cursor c{p, size, at};
      std::uint64_t length = c.u(4);
      if (length == 0) break;  // the terminator
      if (length == 0xffffffffu) length = c.u(8);
      const std::uint64_t body = c.at;
      if (!c.ok || length < 4 || length > size - body) break;  // the rest cannot be framed
      at = body + length;
      const std::uint64_t cie_ptr = c.u(4);
      if (cie_ptr == 0 || cie_ptr > body) continue;  // a CIE, or a pointer out of the section
      const std::uint64_t cie = body - cie_ptr;
      auto it = cies.find(cie);
      if (it == cies.end()) it = cies.emplace(cie, cie_encoding(p, size, cie)).first;
      if (!it->second) continue;
      const std::uint8_t enc = *it->second;
      if ((enc & 0x80) || ((enc & 0x70) != 0x00 && (enc & 0x70) != 0x10)) continue;
      Cursor f{p, at, c.at};  // the FDE's own bytes only
      const std::uint64_t field = base + f.at;
      const auto begin = f.encoded(enc, ptr);
      const auto range = f.encoded(enc, ptr);
      if (!f.ok || !begin || !range || *range <= 0) continue;
      std::uint64_t lo = static_cast<std::uint64_t>(*begin);
      if ((enc & 0x70) == 0x10) lo += field;
      lo &= mask;
      const auto len = static_cast<std::uint64_t>(*range);
      if (len > mask - lo) continue;
      out.unwind_ranges_.push_back({lo, lo + len});
      out.unwind_starts_.push_back(lo);
    }
  }

  // The FDE pointer encoding of the CIE at offset `cie` (its 'R' augmentation), or nullopt.
  std::optional<std::uint8_t> cie_encoding(const std::uint8_t* p, std::uint64_t size,
                                           std::uint64_t cie) const {
    Cursor c{p, size, cie};
    std::uint64_t length = c.u(4);
    if (length == 0xffffffffu) length = c.u(8);
    if (!c.ok || length > c.size - c.at) return std::nullopt;
    c.size = c.at + length;
    if (c.u(4) != 0 || !c.ok) return std::nullopt;  // the CIE id (4 bytes in .eh_frame)
    const std::uint64_t version = c.u(1);
    if (version != 1 && version != 3) return std::nullopt;
    std::string aug;
    for (std::uint64_t b; (b = c.u(1)) != 0 && c.ok;) {
      if (aug.size() == 16) return std::nullopt;  // no augmentation string is that long
      aug += static_cast<char>(b);
    }
    if (!c.ok) return std::nullopt;
    const int ptr = bits_ / 8;
    if (aug.find("eh") != std::string::npos) c.u(ptr);  // the old GCC eh_ptr
    c.leb(false);                                       // code alignment
    c.leb(true);                                        // data alignment
    if (version == 1) {
      c.u(1);  // return address register
    } else {
      c.leb(false);
    }
    std::uint8_t enc = 0;  // DW_EH_PE_absptr
    if (!aug.empty() && aug[0] == 'z') {
      c.leb(false);  // augmentation data length
      for (std::size_t k = 1; k < aug.size() && c.ok; ++k) {
        switch (aug[k]) {
          case 'R':
            enc = static_cast<std::uint8_t>(c.u(1));
            break;
          case 'L':
            c.u(1);
            break;
          case 'P': {
            const auto penc = static_cast<std::uint8_t>(c.u(1));
            if (!c.encoded(penc, ptr)) return std::nullopt;
            break;
          }
          case 'S':
          case 'B':
          case 'G':
            break;
          default:
            return std::nullopt;  // unknown: the rest of the data cannot be located
        }
      }
    }
    if (!c.ok) return std::nullopt;
    return enc;
  }

  // The file word at virtual address `addr` (the implicit addend of a REL/RELR relocation).
  std::optional<std::uint64_t> word_at(std::uint64_t addr) const {
    for (const auto& s : sections_) {
      const auto& h = s.shdr;
      if (h.sh_type == SHT_NOBITS || !(h.sh_flags & SHF_ALLOC)) continue;
      if (addr >= h.sh_addr && addr - h.sh_addr < h.sh_size)
        return raw_.uint(h.sh_offset + (addr - h.sh_addr), bits_ / 8);
    }
    return std::nullopt;
  }

  // DT_RELR (".relr.dyn", SHT_RELR = 19): packed relative relocations. An even entry is an
  // address to relocate; an odd entry is a bitmap of the next 63 (31) words after the last
  // address, bit i+1 set meaning "relocate word i". The addends are the words in the file.
  void read_relr() {
    const int ptr = bits_ / 8;
    for (const auto& s : sections_) {
      if (s.shdr.sh_type != 19 || !raw_.has(s.shdr.sh_offset, s.shdr.sh_size)) continue;
      std::uint64_t where = 0;
      std::vector<std::uint64_t> addrs;
      for (std::uint64_t off = 0; off + ptr <= s.shdr.sh_size; off += ptr) {
        const auto e = raw_.uint(s.shdr.sh_offset + off, ptr);
        if (!e) break;
        if ((*e & 1) == 0) {
          addrs.push_back(*e);
          where = *e + ptr;
        } else {
          for (int i = 0; i < bits_ - 1; ++i)
            if ((*e >> (i + 1)) & 1) addrs.push_back(where + static_cast<std::uint64_t>(i) * ptr);
          where += static_cast<std::uint64_t>(bits_ - 1) * ptr;
        }
        if (addrs.size() > (std::uint64_t{1} << 24)) break;  // a hostile bitmap stream
      }
      for (std::uint64_t a : addrs)
        if (auto v = word_at(a); v && *v >= code_lo_ && *v < code_hi_) pointers_.push_back(*v);
    }
  }

  // Read-only data (for string constants) and the code addresses the data holds.
  void read_data(ElfFile& out) {
    for (const auto& [at, value] : relative_) pointers_.push_back(value);
    read_relr();
    // Where the file holds link-time addresses in place (position-dependent executables, and
    // REL-style objects whose RELATIVE addends sit in the data), scan the data words too.
    const bool words_hold_addresses = kind_ == ElfKind::kExecutable || bits_ == 32;
    const int ptr = bits_ / 8;
    for (const auto& s : sections_) {
      const auto& h = s.shdr;
      if (!(h.sh_flags & SHF_ALLOC) || (h.sh_flags & SHF_EXECINSTR)) continue;
      if (h.sh_type == SHT_NOBITS || h.sh_type == SHT_NOTE) continue;
      if (s.name.rfind(".eh_frame", 0) == 0 || s.name == ".gcc_except_table") continue;
      if (h.sh_type == SHT_PROGBITS && !(h.sh_flags & SHF_WRITE)) {
        if (const std::uint8_t* p = raw_.at(h.sh_offset, h.sh_size))
          out.rodata_.push_back({h.sh_addr, std::vector<std::uint8_t>(p, p + h.sh_size)});
      }
      if (!words_hold_addresses || h.sh_addr % ptr != 0) continue;
      const std::uint8_t* p = raw_.at(h.sh_offset, h.sh_size);
      if (!p) continue;
      for (std::uint64_t o = 0; o + ptr <= h.sh_size; o += ptr) {
        std::uint64_t v = 0;
        for (int k = ptr - 1; k >= 0; --k) v = (v << 8) | p[o + k];
        if (v >= code_lo_ && v < code_hi_) pointers_.push_back(v);
      }
    }
    for (std::uint64_t v : pointers_)
      if (out.in_code(v)) out.code_pointers_.push_back(v);
    auto& v = out.code_pointers_;
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    std::sort(out.rodata_.begin(), out.rodata_.end(),
              [](const auto& a, const auto& b) { return a.addr < b.addr; });
  }

  const std::vector<std::uint8_t>& bytes_;
  Bytes raw_;
  std::vector<std::uint64_t> pointers_;  // candidate code pointers, checked in read_data
  std::uint64_t code_lo_ = ~std::uint64_t{0}, code_hi_ = 0;  // span of executable sections
  std::string name_;
  Elf* elf_ = nullptr;
  int bits_ = 0;
  Machine machine_ = Machine::kOther;
  ElfKind kind_ = ElfKind::kOther;
  std::vector<Section> sections_;
  struct NoteSegment {
    std::uint64_t offset = 0, size = 0;
    bool align8 = false;
  };
  std::vector<NoteSegment> note_segments_;
  bool has_dynamic_ = false;
  std::optional<std::uint64_t> pltgot_;
  std::map<std::uint64_t, std::uint64_t> relative_;  // r_offset -> addend
};

ElfFile ElfFile::parse(std::vector<std::uint8_t> bytes, const std::string& name) {
  init_libelf();
  ElfParser p(bytes, name);
  p.check_ident();
  ElfFile out;
  out.name_ = name;
  // elf_memory wants a mutable image (it may convert in place); `bytes` is ours and outlives
  // the handle.
  ElfHandle elf(elf_memory(reinterpret_cast<char*>(bytes.data()), bytes.size()));
  if (!elf.get()) p.fail_libelf("cannot open");
  p.run(out, elf.get());
  return out;
}

ElfFile ElfFile::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path + ": " + std::strerror(errno));
  std::vector<std::uint8_t> bytes;
  try {
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::exception& e) {
    throw Error("cannot read " + path + ": " + e.what());
  }
  if (in.bad()) throw Error("cannot read " + path);
  return parse(std::move(bytes), path);
}

bool ElfFile::in_code(std::uint64_t addr) const {
  for (const auto& c : code_)
    if (addr >= c.addr && addr - c.addr < c.bytes.size()) return true;
  return false;
}

std::optional<std::string> ElfFile::string_at(std::uint64_t addr) const {
  auto it = std::upper_bound(rodata_.begin(), rodata_.end(), addr,
                             [](std::uint64_t a, const ReadOnly& r) { return a < r.addr; });
  if (it == rodata_.begin()) return std::nullopt;
  const ReadOnly& r = *--it;
  if (addr - r.addr >= r.bytes.size()) return std::nullopt;
  const auto* b = r.bytes.data() + (addr - r.addr);
  const std::size_t room = r.bytes.size() - (addr - r.addr);
  const auto* end = static_cast<const std::uint8_t*>(std::memchr(b, 0, room));
  if (!end) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(b), static_cast<std::size_t>(end - b));
}

namespace {
std::uint64_t le(const std::vector<std::uint8_t>& b, std::size_t off, int size) {
  std::uint64_t v = 0;
  for (int i = size - 1; i >= 0; --i) v = (v << 8) | b[off + static_cast<std::size_t>(i)];
  return v;
}
}  // namespace

ElfIdentity identify_elf(
    const std::function<std::vector<std::uint8_t>(std::uint64_t, std::size_t)>& read,
    const std::string& name) {
  const auto h = read(0, 64);
  if (h.size() < EI_NIDENT || std::memcmp(h.data(), ELFMAG, SELFMAG) != 0)
    throw Error(name + ": not an ELF file");
  const bool is64 = h[EI_CLASS] == ELFCLASS64;
  if ((!is64 && h[EI_CLASS] != ELFCLASS32) || h[EI_DATA] != ELFDATA2LSB ||
      h.size() < (is64 ? 64u : 52u))
    throw Error(name + ": unsupported or truncated ELF header");
  ElfIdentity id;
  id.bits = is64 ? 64 : 32;
  id.machine = machine_of(static_cast<unsigned>(le(h, 18, 2)));
  const std::uint64_t phoff = is64 ? le(h, 32, 8) : le(h, 28, 4);
  const std::uint64_t phentsize = le(h, is64 ? 54 : 42, 2), phnum = le(h, is64 ? 56 : 44, 2);
  if (phentsize != (is64 ? 56u : 32u) || phnum == 0) return id;
  const auto ph = read(phoff, static_cast<std::size_t>(phentsize * phnum));
  for (std::uint64_t i = 0; i < phnum && (i + 1) * phentsize <= ph.size(); ++i) {
    const std::size_t e = static_cast<std::size_t>(i * phentsize);
    if (le(ph, e, 4) != PT_NOTE) continue;
    const std::uint64_t off = is64 ? le(ph, e + 8, 8) : le(ph, e + 4, 4);
    const std::uint64_t size = std::min<std::uint64_t>(is64 ? le(ph, e + 32, 8) : le(ph, e + 16, 4),
                                                       std::uint64_t{1} << 16);
    const std::uint64_t align = (is64 ? le(ph, e + 48, 8) : le(ph, e + 28, 4)) == 8 ? 8 : 4;
    const auto n = read(off, static_cast<std::size_t>(size));
    const auto pad = [align](std::uint64_t x) { return (x + align - 1) / align * align; };
    for (std::uint64_t o = 0; o + 12 <= n.size();) {
      const std::uint64_t namesz = le(n, o, 4), descsz = le(n, o + 4, 4), type = le(n, o + 8, 4);
      const std::uint64_t name_at = o + 12, desc_at = name_at + pad(namesz);
      if (namesz > n.size() || descsz > n.size() || desc_at + descsz > n.size()) break;
      if (type == NT_GNU_BUILD_ID && namesz == 4 && std::memcmp(&n[name_at], "GNU", 4) == 0) {
        id.build_id = hex(&n[desc_at], descsz);
        return id;
      }
      o = desc_at + pad(descsz);
    }
  }
  return id;
}

ElfIdentity identify_elf_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path + ": " + std::strerror(errno));
  return identify_elf(
      [&in](std::uint64_t off, std::size_t len) {
        std::vector<std::uint8_t> b(len);
        in.clear();
        in.seekg(static_cast<std::streamoff>(off));
        in.read(reinterpret_cast<char*>(b.data()), static_cast<std::streamsize>(len));
        b.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
        return b;
      },
      path);
}

const ElfSymbol* ElfFile::function_at(std::uint64_t addr) const {
  // Walk back from the last symbol starting at or before addr; a sized function containing addr
  // starts at most max_function_size_ bytes earlier. A function of size 0 (assembly without
  // .size, such as glibc's __restore_rt) covers addr only if it is the closest function start
  // before addr in the same code section. Among aliases of the containing function (write,
  // __write, __libc_write) the global one without leading underscores wins.
  const auto section_of = [this](std::uint64_t a) -> const ElfCode* {
    for (const auto& c : code_)
      if (a >= c.addr && a - c.addr < c.bytes.size()) return &c;
    return nullptr;
  };
  const auto rank = [](const ElfSymbol& s) {
    return std::make_tuple(!s.global, s.name.empty() || s.name[0] == '_', s.name);
  };
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), addr,
                             [](std::uint64_t a, const ElfSymbol& s) { return a < s.addr; });
  const ElfSymbol* best = nullptr;
  std::optional<std::uint64_t> nearest;  // start of the closest function at or before addr
  while (it != symbols_.begin()) {
    const ElfSymbol& s = *--it;
    if (best && s.addr != best->addr) break;
    if (!s.function || !s.defined) continue;
    if (!nearest) nearest = s.addr;
    if (!best && s.addr != *nearest && addr - s.addr > max_function_size_) break;
    const bool contains = s.size ? addr - s.addr < s.size
                                 : s.addr == addr || (s.addr == *nearest && section_of(addr) &&
                                                      section_of(addr) == section_of(s.addr));
    if (!contains) continue;
    if (!best || rank(s) < rank(*best)) best = &s;
  }
  return best;
}

}  // namespace tailor::analyzer
