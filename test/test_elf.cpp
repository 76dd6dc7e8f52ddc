// The ELF reader against real binaries: the samples the build makes, the system's libc and
// python3, and small programs compiled here with the linker options that change the PLT layout.
// Every fact is checked against what binutils (readelf, objdump) print for the same file, so a
// wrong layout assumption shows up as a difference, not as a number copied into the test.
// Truncated and corrupted copies must be rejected with one line (this also runs under ASan).
#include <elf.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "../fuzz/elf_checks.h"
#include "elf_file.h"
#include "support.h"
#include "tailor/error.h"

using tailor::analyzer::ElfFile;
using tailor::analyzer::ElfKind;
using tailor::analyzer::ElfSymbol;
using tailor::analyzer::Machine;
using tailor::test::run;
using tailor::test::sample;
using tailor::test::TempDir;

namespace {

const char* kLibc = "/lib/x86_64-linux-gnu/libc.so.6";
const char* kPython = "/usr/bin/python3";

bool exists(const std::string& p) {
  return std::filesystem::exists(p);
}

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string tool(const std::vector<std::string>& argv) {
  const auto r = run(argv, 60);
  REQUIRE(r.status == 0);
  return r.out;
}

// `readelf -n`: "    Build ID: 82fe09..."
std::string readelf_build_id(const std::string& path) {
  static const std::regex re(R"(Build ID: ([0-9a-f]+))");
  std::smatch m;
  const std::string out = tool({"readelf", "-nW", path});
  return std::regex_search(out, m, re) ? m[1].str() : std::string();
}

// `readelf -d`: " 0x...01 (NEEDED)  Shared library: [libc.so.6]"
std::vector<std::string> readelf_needed(const std::string& path) {
  static const std::regex re(R"(\(NEEDED\)\s+Shared library: \[([^\]]+)\])");
  std::vector<std::string> out;
  for (const auto& l : lines_of(tool({"readelf", "-dW", path}))) {
    std::smatch m;
    if (std::regex_search(l, m, re)) out.push_back(m[1].str());
  }
  return out;
}

// `readelf -l`: "      [Requesting program interpreter: /lib64/ld-linux-x86-64.so.2]"
std::string readelf_interp(const std::string& path) {
  static const std::regex re(R"(Requesting program interpreter: ([^\]]+)\])");
  std::smatch m;
  const std::string out = tool({"readelf", "-lW", path});
  return std::regex_search(out, m, re) ? m[1].str() : std::string();
}

// The PLT stubs objdump names "<sym@plt>" (it derives them from the relocations itself),
// as address -> symbol (the symbol version, "puts@GLIBC_2.2.5@plt", is dropped).
std::map<std::uint64_t, std::string> objdump_plt(const std::string& path) {
  static const std::regex re(R"(^([0-9a-f]+) <([^@>+]+)(@[^>]*)?@plt>:$)");
  std::map<std::uint64_t, std::string> out;
  const auto r = run({"objdump", "-d", "-j", ".plt", "-j", ".plt.sec", "-j", ".plt.got", path});
  for (const auto& l : lines_of(r.out)) {
    std::smatch m;
    if (std::regex_match(l, m, re)) out[std::stoull(m[1].str(), nullptr, 16)] = m[2].str();
  }
  return out;
}

std::map<std::uint64_t, std::string> our_plt(const ElfFile& elf) {
  std::map<std::uint64_t, std::string> out;
  for (const auto& i : elf.imports())
    if (i.plt_addr) out[i.plt_addr] = i.symbol;
  return out;
}

// `readelf -r`: JUMP_SLOT / GLOB_DAT relocations as got address -> symbol.
std::map<std::uint64_t, std::string> readelf_slots(const std::string& path, const char* type) {
  const std::regex re(std::string(R"(^([0-9a-f]+)\s+[0-9a-f]+\s+\S*)") + type +
                      R"(\s+[0-9a-f]+\s+([^@ ]+))");
  std::map<std::uint64_t, std::string> out;
  for (const auto& l : lines_of(tool({"readelf", "-rW", path}))) {
    std::smatch m;
    if (std::regex_search(l, m, re)) out[std::stoull(m[1].str(), nullptr, 16)] = m[2].str();
  }
  return out;
}

const ElfSymbol* find_symbol(const ElfFile& elf, const std::string& name, bool dynamic) {
  for (const auto& s : elf.symbols())
    if (s.name == name && s.dynamic == dynamic && s.defined) return &s;
  return nullptr;
}

bool has_code(const ElfFile& elf, const std::string& name) {
  for (const auto& c : elf.code())
    if (c.name == name && !c.bytes.empty()) return true;
  return false;
}

// Facts every linked file must share with binutils.
void check_against_binutils(const ElfFile& elf, const std::string& path) {
  INFO(path);
  CHECK(elf.build_id() == readelf_build_id(path));
  CHECK_FALSE(elf.build_id().empty());
  CHECK(elf.needed() == readelf_needed(path));
  CHECK(elf.interpreter() == readelf_interp(path));
  CHECK(our_plt(elf) == objdump_plt(path));
  // Every JUMP_SLOT is an import with the same GOT slot.
  std::map<std::uint64_t, std::string> ours;
  for (const auto& i : elf.imports()) ours[i.got_addr] = i.symbol;
  for (const auto& [got, sym] : readelf_slots(path, "JUMP_SLOT")) {
    INFO("JUMP_SLOT " << sym << " at " << std::hex << got);
    CHECK(ours[got] == sym);
  }
  CHECK(has_code(elf, ".text"));
  // Symbols are sorted by (addr, name) and unique.
  const auto& s = elf.symbols();
  for (std::size_t i = 1; i < s.size(); ++i) {
    CHECK(std::tie(s[i - 1].addr, s[i - 1].name) <= std::tie(s[i].addr, s[i].name));
  }
}

void check_main(const ElfFile& elf) {
  const ElfSymbol* main_sym = find_symbol(elf, "main", false);
  REQUIRE(main_sym);
  CHECK(main_sym->function);
  CHECK(main_sym->global);
  REQUIRE(main_sym->size > 1);
  const ElfSymbol* f = elf.function_at(main_sym->addr);
  REQUIRE(f);
  CHECK(f->name == "main");
  f = elf.function_at(main_sym->addr + main_sym->size - 1);
  REQUIRE(f);
  CHECK(f->name == "main");
  f = elf.function_at(main_sym->addr + main_sym->size);
  CHECK((!f || f->name != "main"));
  // The entry point is _start.
  f = elf.function_at(elf.entry());
  REQUIRE(f);
  CHECK(f->name == "_start");
}

// Compiles C source with `flags` into dir; "" if the compiler or its multilib is missing.
std::string compile(const TempDir& dir, const std::string& name, const std::string& source,
                    const std::vector<std::string>& flags) {
  const std::string src = dir / (name + ".c"), out = dir / name;
  std::ofstream(src) << source;
  std::vector<std::string> argv{"cc", "-O1", "-o", out, src};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return run(argv, 120).status == 0 ? out : std::string();
}

const char* kCallsLibc = R"(
#include <stdio.h>
#include <unistd.h>
void (*volatile exit_fn)(int) = _exit;  /* address taken: a GLOB_DAT slot */
int main(void) {
  puts("hi");
  write(1, "x", 1);
  exit_fn(0);
}
)";

void expect_error(const std::vector<std::uint8_t>& bytes, const std::string& what) {
  INFO(what);
  try {
    ElfFile::parse(bytes, "copy");
    FAIL("parsed without error");
  } catch (const tailor::Error& e) {
    const std::string msg = e.what();
    CHECK(msg.rfind("copy: ", 0) == 0);
    CHECK(msg.find('\n') == std::string::npos);
  }
}

template <typename T>
void put(std::vector<std::uint8_t>& b, std::size_t off, T v) {
  REQUIRE(off + sizeof(T) <= b.size());
  std::memcpy(b.data() + off, &v, sizeof(T));  // the test host is little endian, like the file
}

}  // namespace

TEST_CASE("elf: a static sample", "[elf]") {
  const auto path = sample("static");
  const auto elf = ElfFile::load(path);
  CHECK(elf.bits() == 64);
  CHECK(elf.machine() == Machine::kX86_64);
  CHECK(elf.interpreter().empty());
  CHECK(elf.needed().empty());
  CHECK_FALSE(elf.is_go());
  check_against_binutils(elf, path);
  check_main(elf);
  // libc's write is in the binary itself.
  const ElfSymbol* w = find_symbol(elf, "write", false);
  REQUIRE(w);
  CHECK(w->function);
  // Assembly functions without a size (glibc's __restore_rt) still own the bytes after them.
  int sizeless = 0;
  for (const auto& s : elf.symbols()) {
    if (!s.function || !s.defined || s.size != 0) continue;
    const ElfSymbol* f = elf.function_at(s.addr + 1);
    INFO(s.name);
    REQUIRE(f);
    CHECK(f->addr == s.addr);
    ++sizeless;
  }
  CHECK(sizeless > 0);
  // Constructors and destructors of the C runtime are real functions of the file.
  REQUIRE_FALSE(elf.init_functions().empty());
  for (auto a : elf.init_functions()) {
    INFO(std::hex << a);
    CHECK(elf.function_at(a));
  }
}

TEST_CASE("elf: a dynamic PIE sample", "[elf]") {
  const auto path = sample("fileio");
  const auto elf = ElfFile::load(path);
  CHECK(elf.bits() == 64);
  CHECK(elf.machine() == Machine::kX86_64);
  CHECK(elf.kind() == ElfKind::kShared);  // PIE executables are ET_DYN
  CHECK(elf.needed() == std::vector<std::string>{"libc.so.6"});
  CHECK_FALSE(elf.interpreter().empty());
  check_against_binutils(elf, path);
  check_main(elf);
  bool write_stub = false;
  for (const auto& i : elf.imports())
    if (i.symbol == "write" && i.plt_addr != 0) write_stub = true;
  CHECK(write_stub);
  // The init array holds zeros in the file; the values are RELATIVE relocation addends.
  const auto& init = elf.init_functions();
  REQUIRE_FALSE(init.empty());
  std::set<std::string> names;
  for (auto a : init) {
    const ElfSymbol* f = elf.function_at(a);
    REQUIRE(f);
    CHECK(f->addr == a);
    names.insert(f->name);
  }
  CHECK(names.count("frame_dummy"));
}

TEST_CASE("elf: an i386 sample", "[elf]") {
  const auto path = sample("hello32");
  if (!exists(path)) {
    WARN("hello32 was not built (no gcc-multilib): skipped");
    return;
  }
  const auto elf = ElfFile::load(path);
  CHECK(elf.bits() == 32);
  CHECK(elf.machine() == Machine::kI386);
  check_against_binutils(elf, path);
  check_main(elf);
  for (auto a : elf.init_functions()) CHECK(elf.function_at(a));
}

TEST_CASE("elf: the system libc", "[elf]") {
  const auto elf = ElfFile::load(kLibc);
  CHECK(elf.kind() == ElfKind::kShared);
  CHECK(elf.soname() == "libc.so.6");
  check_against_binutils(elf, kLibc);
  const ElfSymbol* w = find_symbol(elf, "write", true);
  REQUIRE(w);
  CHECK(w->function);
  CHECK(w->global);
  CHECK(elf.function_at(w->addr));
  // An exported function's address resolves to a function symbol of that address.
  CHECK(elf.function_at(w->addr)->addr == w->addr);
}

TEST_CASE("elf: the system python3", "[elf]") {
  if (!exists(kPython)) {
    WARN("no " << kPython << ": skipped");
    return;
  }
  const auto elf = ElfFile::load(kPython);
  CHECK(elf.machine() == Machine::kX86_64);
  CHECK_FALSE(elf.needed().empty());
  check_against_binutils(elf, kPython);
  CHECK(our_plt(elf).size() > 100);
}

// The PLT layouts the linker chooses by option: lazy .plt, IBT .plt.sec (with and without
// -z now), i386 PIC (jmp *disp(%ebx)) and non-PIC (jmp *abs), and no PLT at all (-fno-plt).
TEST_CASE("elf: PLT stubs of every layout match objdump", "[elf]") {
  TempDir tmp;
  const std::vector<std::pair<std::string, std::vector<std::string>>> variants{
      {"lazy", {}},
      {"nopie", {"-no-pie"}},
      {"ibt", {"-fcf-protection=full", "-Wl,-z,ibtplt"}},
      {"ibt_now", {"-fcf-protection=full", "-Wl,-z,ibtplt,-z,now"}},
      {"noplt", {"-fno-plt"}},
      {"i386", {"-m32"}},
      {"i386_nopie", {"-m32", "-no-pie"}},
      {"i386_ibt", {"-m32", "-fcf-protection=full", "-Wl,-z,ibtplt"}},
  };
  for (const auto& [name, flags] : variants) {
    const std::string path = compile(tmp, name, kCallsLibc, flags);
    if (path.empty()) {
      WARN("cannot build the " << name << " variant here: skipped");
      continue;
    }
    INFO(name);
    const auto elf = ElfFile::load(path);
    check_against_binutils(elf, path);
    std::map<std::string, const tailor::analyzer::ElfImport*> by_name;
    for (const auto& i : elf.imports()) by_name[i.symbol] = &i;
    REQUIRE(by_name.count("write"));
    if (name == "noplt") {
      CHECK(by_name["write"]->plt_addr == 0);  // calls go through the GOT slot directly
    } else {
      CHECK(by_name["write"]->plt_addr != 0);
    }
    // With IBT the stubs code calls are in .plt.sec.
    if (name.find("ibt") != std::string::npos) {
      CHECK(has_code(elf, ".plt.sec"));
      const auto sec = std::find_if(elf.code().begin(), elf.code().end(),
                                    [](const auto& c) { return c.name == ".plt.sec"; });
      REQUIRE(sec != elf.code().end());
      const auto a = by_name["write"]->plt_addr;
      CHECK((a >= sec->addr && a < sec->addr + sec->bytes.size()));
    }
  }
}

TEST_CASE("elf: relocatable objects and Go markers", "[elf]") {
  TempDir tmp;
  const std::string obj = compile(tmp, "obj", kCallsLibc, {"-c"});
  REQUIRE_FALSE(obj.empty());
  const auto o = ElfFile::load(obj);
  CHECK(o.kind() == ElfKind::kRelocatable);
  const ElfSymbol* m = find_symbol(o, "main", false);
  REQUIRE(m);
  CHECK(m->function);
  bool undefined_write = false;
  for (const auto& s : o.symbols())
    if (s.name == "write" && !s.defined) undefined_write = true;
  CHECK(undefined_write);
  CHECK(has_code(o, ".text"));
  CHECK_FALSE(o.is_go());

  // What the Go linker leaves in every binary: a .go.buildinfo section, or a note owned by
  // "Go" of type 4 (the Go build id). Either marks the file as Go.
  const std::string section = compile(tmp, "gosec", R"(
__attribute__((used, section(".go.buildinfo"))) const char info[32] = "\xff Go buildinf:";
int main(void) { return 0; }
)",
                                      {});
  REQUIRE_FALSE(section.empty());
  CHECK(ElfFile::load(section).is_go());
  const std::string note = compile(tmp, "gonote", R"(
__asm__(".section .note.go.buildid,\"a\",@note\n"
        ".p2align 2\n"
        ".long 4\n.long 8\n.long 4\n"
        ".asciz \"Go\"\n.p2align 2\n"
        ".ascii \"abcdefgh\"\n"
        ".text\n");
int main(void) { return 0; }
)",
                                   {});
  REQUIRE_FALSE(note.empty());
  const auto go = ElfFile::load(note);
  CHECK(go.is_go());
  CHECK(go.build_id() == readelf_build_id(note));  // the GNU note is still found
}

TEST_CASE("elf: not an ELF file is one line", "[elf]") {
  TempDir tmp;
  std::ofstream(tmp / "empty");
  std::ofstream(tmp / "text") << "#!/bin/sh\necho hello\n";
  for (const char* name : {"empty", "text"}) {
    const std::string path = tmp / name;
    try {
      ElfFile::load(path);
      FAIL(name << " parsed");
    } catch (const tailor::Error& e) {
      const std::string msg = e.what();
      INFO(msg);
      CHECK(msg == path + (std::string(name) == "empty" ? ": not an ELF file (empty)"
                                                        : ": not an ELF file"));
    }
  }
  try {
    ElfFile::load(tmp / "missing");
    FAIL("missing file parsed");
  } catch (const tailor::Error& e) {
    CHECK(std::string(e.what()).find(tmp / "missing") != std::string::npos);
  }
}

TEST_CASE("elf: truncated and corrupted copies are errors, never crashes", "[elf]") {
  std::vector<std::string> paths{sample("fileio"), sample("static")};
  if (exists(sample("hello32"))) paths.push_back(sample("hello32"));
  for (const auto& path : paths) {
    INFO(path);
    const auto good = read_bytes(path);
    REQUIRE(good.size() > 4096);
    REQUIRE_NOTHROW(ElfFile::parse(good, "copy"));
    const bool is64 = good[EI_CLASS] == ELFCLASS64;

    // Truncated anywhere: the section header table is at the end of a linked file.
    for (std::size_t size :
         {std::size_t{1}, std::size_t{4}, std::size_t{16}, std::size_t{51}, std::size_t{63},
          std::size_t{64}, std::size_t{200}, std::size_t{4096}, good.size() / 2, good.size() - 1}) {
      expect_error(std::vector<std::uint8_t>(good.begin(), good.begin() + size),
                   "truncated at " + std::to_string(size));
    }

    auto bad = good;
    bad[EI_CLASS] = 3;
    expect_error(bad, "class 3");
    bad = good;
    bad[EI_DATA] = ELFDATA2MSB;
    expect_error(bad, "big endian");

    // Header fields that point outside the file or have impossible sizes.
    const std::size_t phoff = is64 ? offsetof(Elf64_Ehdr, e_phoff) : offsetof(Elf32_Ehdr, e_phoff);
    const std::size_t shoff = is64 ? offsetof(Elf64_Ehdr, e_shoff) : offsetof(Elf32_Ehdr, e_shoff);
    const std::size_t shentsize =
        is64 ? offsetof(Elf64_Ehdr, e_shentsize) : offsetof(Elf32_Ehdr, e_shentsize);
    const std::size_t shstrndx =
        is64 ? offsetof(Elf64_Ehdr, e_shstrndx) : offsetof(Elf32_Ehdr, e_shstrndx);
    for (std::uint32_t off : {0xfffffff0u, static_cast<std::uint32_t>(good.size() - 8)}) {
      bad = good;
      put(bad, shoff, off);
      expect_error(bad, "e_shoff");
      bad = good;
      put(bad, phoff, off);
      expect_error(bad, "e_phoff");
    }
    bad = good;
    put(bad, shentsize, std::uint16_t{7});
    expect_error(bad, "e_shentsize");
    bad = good;
    put(bad, shstrndx, std::uint16_t{0xfeff});
    expect_error(bad, "e_shstrndx");

    // A section whose data lies past the end of the file.
    std::uint64_t table = 0;
    std::memcpy(&table, good.data() + shoff, is64 ? 8 : 4);
    const std::size_t sh_size = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
    const std::size_t sh_offset =
        is64 ? offsetof(Elf64_Shdr, sh_offset) : offsetof(Elf32_Shdr, sh_offset);
    bad = good;
    put(bad, table + 1 * sh_size + sh_offset, std::uint32_t{0x7ffffff0});
    expect_error(bad, "sh_offset");

    // Random damage to the ELF header, program headers and section header table: any
    // outcome but a crash or a foreign exception is fine (ASan watches the reads).
    std::mt19937 rng(42);
    const std::size_t shnum = (good.size() - table) / sh_size;
    for (int round = 0; round < 300; ++round) {
      bad = good;
      for (int k = 0; k < 4; ++k) {
        const std::size_t where = round % 2 ? rng() % 128 : table + rng() % (shnum * sh_size);
        bad[where] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
      }
      try {
        ElfFile::parse(bad, "copy");
      } catch (const tailor::Error& e) {
        CHECK(std::string(e.what()).find('\n') == std::string::npos);
      }
    }
  }
}

TEST_CASE("elf: unwind ranges are the FDEs readelf shows", "[elf]") {
  // pc=LO..HI of every FDE, as binutils decodes .eh_frame.
  const auto fdes = [](const std::string& path) {
    std::set<std::pair<std::uint64_t, std::uint64_t>> out;
    const std::regex pc("FDE cie=[0-9a-f]+ pc=([0-9a-f]+)\\.\\.([0-9a-f]+)");
    // (readelf exits 1 on libc for want of its separate debug file; the frames print anyway.)
    for (const auto& l : lines_of(run({"readelf", "--debug-dump=frames", path}, 60).out)) {
      std::smatch m;
      if (std::regex_search(l, m, pc))
        out.emplace(std::stoull(m[1], nullptr, 16), std::stoull(m[2], nullptr, 16));
    }
    return out;
  };
  std::vector<std::string> files = {sample("static"), sample("untested")};
  if (exists(kLibc)) files.push_back(kLibc);
  if (exists(sample("hello32"))) files.push_back(sample("hello32"));
  if (exists("/usr/lib32/libc.so.6")) files.push_back("/usr/lib32/libc.so.6");
  for (const auto& f : files) {
    const auto elf = ElfFile::load(f);
    std::set<std::pair<std::uint64_t, std::uint64_t>> ours;
    for (const auto& r : elf.unwind_ranges()) ours.emplace(r.lo, r.hi);
    INFO(f);
    CHECK_FALSE(ours.empty());
    CHECK(ours == fdes(f));
    // Each range starts where the search table says a function starts.
    for (const auto& r : elf.unwind_ranges())
      CHECK(std::binary_search(elf.unwind_starts().begin(), elf.unwind_starts().end(), r.lo));
  }
}

TEST_CASE("elf: an object file's sections are laid out apart, its symbols with them", "[elf]") {
  TempDir tmp;
  const std::string obj = compile(tmp, "fs", R"(
int one(int x) { return x + 1; }
int two(int x) { return one(x) * 2; }
int main(void) { return two(3); }
)",
                                  {"-c", "-ffunction-sections"});
  REQUIRE_FALSE(obj.empty());
  const auto o = ElfFile::load(obj);
  // Every function has a section of its own, all at offset 0 in the file...
  std::map<std::string, const tailor::analyzer::ElfCode*> text;
  for (const auto& c : o.code())
    if (c.name.rfind(".text.", 0) == 0) text[c.name.substr(6)] = &c;
  REQUIRE(text.size() == 3);
  // ...and the reader gives them distinct, increasing, disjoint addresses.
  for (std::size_t i = 1; i < o.code().size(); ++i)
    CHECK(o.code()[i].addr >= o.code()[i - 1].addr + o.code()[i - 1].bytes.size());
  // Each symbol is where its section now is.
  for (const char* fn : {"one", "two", "main"}) {
    const ElfSymbol* s = find_symbol(o, fn, false);
    REQUIRE(s);
    REQUIRE(text.count(fn));
    CHECK(s->addr == text.at(fn)->addr);
    const ElfSymbol* at = o.function_at(s->addr + 1);
    REQUIRE(at);
    CHECK(at->name == fn);
  }
}

TEST_CASE("elf: every input that once failed fuzz_elf passes its checks now", "[elf][fuzz]") {
  // fuzz/regressions/elf/*.hex: the inputs as text ('#' comments, then hex), run through the
  // very checks the fuzzer makes (fuzz/elf_checks.h).
  const std::filesystem::path dir =
      std::filesystem::path(TAILOR_SOURCE_DIR) / "fuzz/regressions/elf";
  std::size_t inputs = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".hex") continue;
    std::ifstream in(e.path());
    std::string hex;
    for (std::string line; std::getline(in, line);)
      if (line.rfind("#", 0) != 0)
        for (char c : line)
          if (std::isxdigit(static_cast<unsigned char>(c))) hex += c;
    REQUIRE(hex.size() % 2 == 0);
    std::vector<std::uint8_t> bytes;
    for (std::size_t i = 0; i < hex.size(); i += 2)
      bytes.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    REQUIRE_FALSE(bytes.empty());
    INFO(e.path().filename().string() << ": " << bytes.size() << " bytes");
    CHECK(tailor::fuzz::elf_input_problem(bytes.data(), bytes.size()).empty());
    ++inputs;
  }
  CHECK(inputs >= 1);
}
