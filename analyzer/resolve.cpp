// Library closure resolution modelled on glibc's elf/dl-load.c (_dl_map_object, open_verify,
// fillin_rpath, _dl_dst_substitute), elf/dl-deps.c (breadth-first DT_NEEDED) and
// elf/dl-cache.c (the ld.so.cache lookup). Where this file differs from ld.so on purpose, the
// comment says so.
#include "resolve.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "tailor/error.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace tailor::analyzer {

namespace {

// $PLATFORM for x86_64 programs. The kernel says "x86_64" (AT_PLATFORM), but glibc's ld.so
// replaces it on Intel CPUs (sysdeps/x86/cpu-features.c, init_cpu_features): "xeon_phi" when
// AVX512CD, AVX512ER and AVX512PF are usable, else "haswell" when AVX2, FMA, BMI1, BMI2, LZCNT,
// MOVBE and POPCNT are. "Usable" means the CPU has the feature and the kernel saves its
// registers (XCR0). So the answer depends on the CPU the binary will run on: the host's, which
// is also where a container root analysed with --root runs. (GLIBC_TUNABLES can mask features
// and is not followed.) Seen here: `ld.so --list-diagnostics` says dl_platform="haswell".
std::string x86_64_platform() {
#if defined(__x86_64__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return "x86_64";
  const unsigned max_leaf = a;
  const bool intel = b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e;  // GenuineIntel
  if (!intel || max_leaf < 7) return "x86_64";
  unsigned c1 = 0, b7 = 0, c81 = 0;
  __get_cpuid(1, &a, &b, &c1, &d);
  __get_cpuid_count(7, 0, &a, &b7, &c, &d);
  if (__get_cpuid(0x80000001, &a, &b, &c81, &d) == 0) c81 = 0;
  const auto bit = [](unsigned reg, int n) { return ((reg >> n) & 1u) != 0; };
  std::uint64_t xcr0 = 0;
  if (bit(c1, 27)) {  // OSXSAVE: xgetbv may be executed
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = (static_cast<std::uint64_t>(hi) << 32) | lo;
  }
  const bool avx = bit(c1, 28) && (xcr0 & 0x6) == 0x6;              // XMM and YMM state
  const bool avx512 = avx && bit(b7, 16) && (xcr0 & 0xe0) == 0xe0;  // + opmask, ZMM state
  if (avx512 && bit(b7, 28) && bit(b7, 27) && bit(b7, 26)) return "xeon_phi";  // CD, ER, PF
  const bool haswell = avx && bit(b7, 5) && bit(c1, 12) && bit(b7, 3) && bit(b7, 8) &&
                       bit(c81, 5) && bit(c1, 22) && bit(c1, 23);
  // AVX2, FMA, BMI1, BMI2, LZCNT, MOVBE, POPCNT
  return haswell ? "haswell" : "x86_64";
#else
  return "x86_64";
#endif
}

// The kernel's limit on symlinks followed in one lookup (MAXSYMLINKS).
constexpr int kMaxSymlinks = 40;
// A real ld.so.cache is well under a megabyte; anything far larger is not one, and reading it
// whole would only cost memory.
constexpr std::uintmax_t kMaxCacheSize = 64u << 20;

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

// "" for the host's "/", else the root without trailing slashes ("/" itself is the host).
std::string normal_root(const std::string& root) {
  std::string r = root;
  while (!r.empty() && r.back() == '/') r.pop_back();
  return r;
}

std::string strip_trailing_slashes(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

std::string join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// The directory part as ld.so computes l_origin: everything before the last '/', "/" for a
// file in "/".
std::string dirname_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Per-architecture conventions of Debian's glibc (checked on Debian 12 with `ld.so --help`
// and an RPATH of '$LIB/$PLATFORM' under LD_DEBUG=libs): the default directories after the
// cache, what $LIB and $PLATFORM expand to, and which ld.so.cache flags the loader accepts.
struct ArchConv {
  std::string lib;       // $LIB
  std::string platform;  // $PLATFORM (AT_PLATFORM); "" = unknown, paths using it are dropped
  std::vector<std::string> dirs;
  std::vector<std::int32_t> cache_flags;  // empty: do not use the cache
};

ArchConv arch_conv(Machine machine, int bits, const std::string& interpreter_canonical) {
  static const std::string x86_64 = x86_64_platform();
  if (machine == Machine::kX86_64 && bits == 64)
    return {"lib/x86_64-linux-gnu",
            x86_64,
            {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"},
            {0x0303}};  // FLAG_ELF_LIBC6 | FLAG_X8664_LIB64
  if (machine == Machine::kAarch64 && bits == 64)
    return {"lib/aarch64-linux-gnu",
            "aarch64",
            {"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib", "/usr/lib"},
            {0x0a03}};  // FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64
  if (machine == Machine::kI386 && bits == 32) {
    // Two i386 loaders exist on Debian: the multiarch one (libc6:i386, a native i386 system or
    // a multiarch install) and the biarch one of libc6-i386 on amd64, installed as
    // /usr/lib32/ld-linux.so.2, built with slibdir /lib32. Both are named /lib/ld-linux.so.2 in
    // PT_INTERP; where that link really points tells which one will run the binary.
    // The 64-bit kernel reports AT_PLATFORM "i686" to 32-bit processes.
    const bool biarch = interpreter_canonical.find("/lib32/") != std::string::npos;
    if (biarch) return {"lib32", "i686", {"/lib32", "/usr/lib32", "/lib", "/usr/lib"}, {1, 3}};
    return {"lib/i386-linux-gnu",
            "i686",
            {"/lib/i386-linux-gnu", "/usr/lib/i386-linux-gnu", "/lib", "/usr/lib"},
            {1, 3}};  // generic dl-cache.h: FLAG_ELF or FLAG_ELF_LIBC6, no required bits
  }
  // Another machine or class (x32, arm, riscv, ...): glibc's generic defaults. Which cache
  // flags its loader wants is not known here, so the cache is not used rather than misused.
  return {"lib", "", {"/lib", "/usr/lib"}, {}};
}

// Whether input[pos..] (just after a '$') is the dynamic string token `ref`, by the ELF gABI
// rules ld.so's is_dst applies: "$REF" not followed by an identifier character, or "${REF}".
// Returns the token's length without the '$', or 0.
std::size_t dst_length(const std::string& input, std::size_t pos, const std::string& ref) {
  const bool curly = pos < input.size() && input[pos] == '{';
  const std::size_t start = pos + (curly ? 1 : 0);
  if (input.compare(start, ref.size(), ref) != 0) return 0;
  const std::size_t after = start + ref.size();
  const char next = after < input.size() ? input[after] : '\0';
  if (curly) return next == '}' ? ref.size() + 2 : 0;
  if (std::isalnum(static_cast<unsigned char>(next)) || next == '_') return 0;
  return ref.size();
}

// $ORIGIN/${ORIGIN}, $LIB and $PLATFORM substituted. A known token without a value discards the
// whole string (nullopt), as ld.so does; an unknown "$X" stays as it is.
std::optional<std::string> expand_dst(const std::string& input, const std::string& origin,
                                      const ArchConv& conv) {
  std::string out;
  for (std::size_t i = 0; i < input.size();) {
    if (input[i] != '$') {
      out += input[i++];
      continue;
    }
    const std::size_t pos = i + 1;
    std::size_t len = 0;
    const std::string* repl = nullptr;
    if ((len = dst_length(input, pos, "ORIGIN")) != 0)
      repl = &origin;
    else if ((len = dst_length(input, pos, "PLATFORM")) != 0)
      repl = &conv.platform;
    else if ((len = dst_length(input, pos, "LIB")) != 0)
      repl = &conv.lib;
    if (!repl) {
      out += '$';
      ++i;
      continue;
    }
    if (repl->empty()) return std::nullopt;
    out += *repl;
    i = pos + len;
  }
  return out;
}

// What ld.so's open_verify decides from a file's ELF header, before it maps anything.
struct Probe {
  enum Result { kAbsent, kOtherArch, kBad, kElf } result = kAbsent;
  std::string reason;  // kBad
  int elf_class = 0;   // ELFCLASS32 / ELFCLASS64
  std::uint16_t machine = 0;
};

// `want_class` 0: accept any class and machine (the binary itself sets them).
Probe probe_elf(const std::string& host, int want_class, std::uint16_t want_machine) {
  Probe p;
  struct stat st {};
  // A directory or device where a library is expected: treat it as absent. (ld.so would open
  // it and fail to read; nothing sensible could be analysed there either way.)
  if (::stat(host.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return p;
  const int fd = ::open(host.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return p;
  unsigned char buf[sizeof(Elf64_Ehdr)] = {};
  std::size_t len = 0;
  while (len < sizeof buf) {
    const ssize_t n = ::read(fd, buf + len, sizeof buf - len);
    if (n <= 0) break;
    len += static_cast<std::size_t>(n);
  }
  ::close(fd);
  p.result = Probe::kBad;
  if (len < EI_NIDENT || std::memcmp(buf, ELFMAG, SELFMAG) != 0) {
    p.reason = len < EI_NIDENT ? "file too short" : "invalid ELF header";
    return p;
  }
  p.elf_class = buf[EI_CLASS];
  if (want_class != 0 && p.elf_class != want_class) {
    // The one mismatch ld.so searches past: 32- and 64-bit libraries share directories.
    p.result = Probe::kOtherArch;
    return p;
  }
  const std::size_t ehdr_size = p.elf_class == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
  if ((p.elf_class != ELFCLASS32 && p.elf_class != ELFCLASS64) || len < ehdr_size) {
    p.reason = len < ehdr_size ? "file too short" : "invalid ELF class";
    return p;
  }
  if (buf[EI_DATA] != ELFDATA2LSB) {
    p.reason = "ELF file data encoding not little-endian";
    return p;
  }
  // e_type and e_machine sit at the same offsets in both classes.
  const std::uint16_t type = static_cast<std::uint16_t>(buf[16] | (buf[17] << 8));
  p.machine = static_cast<std::uint16_t>(buf[18] | (buf[19] << 8));
  if (want_class != 0 && p.machine != want_machine) {
    p.result = Probe::kOtherArch;  // elf_machine_matches_host: skipped, not an error
    return p;
  }
  if (type != ET_DYN && type != ET_EXEC) {
    p.reason = "only ET_DYN and ET_EXEC can be loaded";
    return p;
  }
  p.result = Probe::kElf;
  return p;
}

std::vector<std::uint8_t> read_small_file(const std::string& host) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(host, ec);
  if (ec || size > kMaxCacheSize) return {};
  std::ifstream in(host, std::ios::binary);
  if (!in) return {};
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::uint32_t read_u32(const std::vector<std::uint8_t>& b, std::size_t off) {
  return static_cast<std::uint32_t>(b[off]) | static_cast<std::uint32_t>(b[off + 1]) << 8 |
         static_cast<std::uint32_t>(b[off + 2]) << 16 |
         static_cast<std::uint32_t>(b[off + 3]) << 24;
}

std::uint64_t read_u64(const std::vector<std::uint8_t>& b, std::size_t off) {
  return static_cast<std::uint64_t>(read_u32(b, off)) |
         static_cast<std::uint64_t>(read_u32(b, off + 4)) << 32;
}

// The NUL-terminated string at `off`, or nullopt if it does not end inside the file.
std::optional<std::string> string_at(const std::vector<std::uint8_t>& b, std::uint64_t off) {
  if (off >= b.size()) return std::nullopt;
  const auto* start = b.data() + off;
  const void* nul = std::memchr(start, '\0', b.size() - off);
  if (!nul) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(start),
                     static_cast<const std::uint8_t*>(nul) - start);
}

std::optional<std::string> cache_lookup(const std::vector<LdCacheEntry>& cache,
                                        const std::string& name,
                                        const std::vector<std::int32_t>& flags) {
  for (const auto& e : cache) {
    if (e.name != name) continue;
    if (std::find(flags.begin(), flags.end(), e.flags) == flags.end()) continue;
    // Entries with hwcap bits are builds for a CPU feature level (glibc-hwcaps/x86-64-v3, legacy
    // tls/ and x86_64/ subdirectories). Which one ld.so takes depends on the CPU that will run
    // the program, not on the files; the baseline build, which every CPU can run and which has
    // the same interface, stands for them all.
    if (e.hwcap != 0) continue;
    // Only an absolute path can be searched inside a root.
    if (e.path[0] != '/') continue;
    return e.path;
  }
  return std::nullopt;
}

class Resolver {
 public:
  Resolver(const ResolveOptions& opts, const DynReader& read)
      : root_(normal_root(opts.root)),
        library_path_(opts.library_path),
        dlopen_(opts.dlopen),
        read_(read) {}

  Closure run(const std::string& binary);

 private:
  struct Node {
    std::string path, host_path, origin;
    std::set<std::string> names;  // the names a later DT_NEEDED finds it by
    bool has_id = false;
    dev_t dev = 0;
    ino_t ino = 0;
    int loader = -1;                          // node whose DT_NEEDED loaded it
    std::vector<std::string> rpath, runpath;  // expanded search dirs
    LoadedObject object;
    bool placed = false;  // in the closure yet (the interpreter waits until something needs it)
  };

  struct Candidate {
    Probe::Result result = Probe::kAbsent;
    std::string reason, host;
    bool has_id = false;
    dev_t dev = 0;
    ino_t ino = 0;
    DynInfo info;
  };

  std::string absolute(const std::string& p) const;
  std::vector<std::string> search_dirs(const std::string& list, const std::string& origin) const;
  const Candidate& try_path(const std::string& path);
  int load(const std::string& name, int loader);
  int add(const std::string& path, const Candidate& c, const std::string& name, int loader);
  // A node for the object `c` found at `path` (inside the root) under DT_NEEDED `name`.
  Node make_node(const std::string& path, const std::string& origin, const Candidate& c,
                 const std::string& name, const std::string& needed_by) const;
  void place(int node);
  const std::vector<LdCacheEntry>& cache();

  std::string root_;
  std::vector<std::string> library_path_;
  std::vector<std::string> dlopen_;
  const DynReader& read_;
  ArchConv conv_;
  int want_class_ = 0;
  std::uint16_t want_machine_ = 0;
  std::vector<std::string> env_dirs_;  // LD_LIBRARY_PATH, expanded
  std::vector<Node> nodes_;
  std::vector<int> order_;  // nodes in closure order
  std::set<std::string> missing_names_;
  std::map<std::string, Candidate> tried_;  // by path inside the root
  std::optional<std::vector<LdCacheEntry>> cache_;
  Closure out_;
};

// ld.so resolves a relative path against its cwd; inside a root there is no cwd but "/".
std::string Resolver::absolute(const std::string& p) const {
  if (!p.empty() && p[0] == '/') return p;
  if (!root_.empty()) return "/" + p;
  return join(std::filesystem::current_path().string(), p);
}

// A DT_RPATH/DT_RUNPATH string as ld.so's fillin_rpath decomposes it: split at ':', tokens
// expanded, trailing slashes dropped. Empty elements would mean ld.so's cwd, which says nothing
// about where the binary will run: skipped.
std::vector<std::string> Resolver::search_dirs(const std::string& list,
                                               const std::string& origin) const {
  std::vector<std::string> out;
  if (list.empty()) return out;
  for (const auto& element : split(list, ':')) {
    if (element.empty()) continue;
    const auto dir = expand_dst(element, origin, conv_);
    if (!dir || dir->empty()) continue;
    auto abs = strip_trailing_slashes(absolute(*dir));
    if (std::find(out.begin(), out.end(), abs) == out.end()) out.push_back(std::move(abs));
  }
  return out;
}

const Resolver::Candidate& Resolver::try_path(const std::string& path) {
  auto it = tried_.find(path);
  if (it != tried_.end()) return it->second;
  Candidate c;
  if (auto host = host_path_in_root(root_, path)) {
    const Probe p = probe_elf(*host, want_class_, want_machine_);
    c.result = p.result;
    c.reason = p.reason;
    c.host = *host;
    if (c.result == Probe::kElf) {
      struct stat st {};
      if (::stat(host->c_str(), &st) == 0) {
        c.has_id = true;
        c.dev = st.st_dev;
        c.ino = st.st_ino;
      }
      try {
        c.info = read_(*host);
      } catch (const Error& e) {
        c.result = Probe::kBad;
        c.reason = e.what();
      }
    }
  }
  return tried_.emplace(path, std::move(c)).first->second;
}

const std::vector<LdCacheEntry>& Resolver::cache() {
  if (!cache_) {
    cache_.emplace();
    if (!conv_.cache_flags.empty())
      if (auto host = host_path_in_root(root_, "/etc/ld.so.cache"))
        *cache_ = parse_ld_cache(read_small_file(*host));
  }
  return *cache_;
}

void Resolver::place(int node) {
  Node& n = nodes_[static_cast<std::size_t>(node)];
  if (n.placed) return;
  n.placed = true;
  order_.push_back(node);
}

int Resolver::add(const std::string& path, const Candidate& c, const std::string& name,
                  int loader) {
  // The same file under another name (a symlink, another directory of the same merged /usr)
  // is the object already loaded: ld.so compares st_dev/st_ino before mapping.
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (c.has_id && nodes_[i].has_id && nodes_[i].dev == c.dev && nodes_[i].ino == c.ino) {
      nodes_[i].names.insert(name);
      place(static_cast<int>(i));
      return static_cast<int>(i);
    }
  }
  Node n = make_node(path, dirname_of(path), c, name,
                     loader >= 0 ? nodes_[static_cast<std::size_t>(loader)].path : "");
  n.loader = loader;
  nodes_.push_back(std::move(n));
  const int id = static_cast<int>(nodes_.size() - 1);
  place(id);
  return id;
}

Resolver::Node Resolver::make_node(const std::string& path, const std::string& origin,
                                   const Candidate& c, const std::string& name,
                                   const std::string& needed_by) const {
  Node n;
  n.path = path;
  n.host_path = c.host;
  n.origin = origin;
  n.names = {name, path};
  if (!c.info.soname.empty()) n.names.insert(c.info.soname);
  n.has_id = c.has_id;
  n.dev = c.dev;
  n.ino = c.ino;
  // An object with DT_RUNPATH has its DT_RPATH ignored (glibc's get-dynamic-info.h).
  if (c.info.runpath.empty()) n.rpath = search_dirs(c.info.rpath, n.origin);
  n.runpath = search_dirs(c.info.runpath, n.origin);
  n.object.path = path;
  n.object.host_path = c.host;
  n.object.needed_name = name;
  n.object.needed_by = needed_by;
  n.object.info = c.info;
  return n;
}

// _dl_map_object for one DT_NEEDED `name` of node `loader`.
int Resolver::load(const std::string& name, int loader) {
  if (missing_names_.count(name)) return -1;  // reported once, as ldd does
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].names.count(name)) {
      place(static_cast<int>(i));
      return static_cast<int>(i);
    }
  }
  // Copies: add() grows nodes_, which would leave references into it dangling.
  const std::string from_path = nodes_[static_cast<std::size_t>(loader)].path;
  const std::string from_origin = nodes_[static_cast<std::size_t>(loader)].origin;
  const bool from_has_runpath =
      !nodes_[static_cast<std::size_t>(loader)].object.info.runpath.empty();
  const std::vector<std::string> from_runpath = nodes_[static_cast<std::size_t>(loader)].runpath;
  const auto missing = [&](const std::string& reason) {
    missing_names_.insert(name);
    out_.missing.push_back({name, from_path, reason});
    return -1;
  };

  if (name.find('/') != std::string::npos) {
    // A path: used as it is, after token expansion (only such names are expanded).
    const auto expanded = expand_dst(name, from_origin, conv_);
    if (!expanded) return missing("cannot expand dynamic string token");
    const std::string path = absolute(*expanded);
    const Candidate& c = try_path(path);
    if (c.result == Probe::kElf) return add(path, c, name, loader);
    if (c.result == Probe::kOtherArch) return missing("wrong ELF class or machine");
    return missing(c.result == Probe::kBad ? c.reason : "not found");
  }

  // The search order of _dl_map_object. in_dirs returns true when the search is over (found, or
  // a file ld.so would refuse), with the node or -1 in `result`. It takes the list by value: the
  // lists live in nodes_, which add() grows.
  int result = -1;
  const auto in_dirs = [&](const std::vector<std::string> dirs) {
    for (const auto& dir : dirs) {
      const std::string path = join(dir, name);
      const Candidate& c = try_path(path);
      if (c.result == Probe::kElf) {
        result = add(path, c, name, loader);
        return true;
      }
      if (c.result == Probe::kBad) {
        result = missing(c.reason);
        return true;
      }
    }
    return false;
  };
  // DT_RPATH of the loading object and of its loaders up to the executable, unless the loading
  // object has DT_RUNPATH.
  if (!from_has_runpath) {
    for (int l = loader; l >= 0; l = nodes_[static_cast<std::size_t>(l)].loader)
      if (in_dirs(nodes_[static_cast<std::size_t>(l)].rpath)) return result;
  }
  if (in_dirs(env_dirs_)) return result;
  if (in_dirs(from_runpath)) return result;
  if (const auto cached = cache_lookup(cache(), name, conv_.cache_flags)) {
    const Candidate& c = try_path(*cached);
    if (c.result == Probe::kElf) return add(*cached, c, name, loader);
    if (c.result == Probe::kBad) return missing(c.reason);
    // The cached file is gone or of another class: ld.so goes on to the default directories.
  }
  if (in_dirs(conv_.dirs)) return result;
  return missing("not found");
}

Closure Resolver::run(const std::string& binary) {
  const std::string where = root_.empty() ? "" : " in root " + root_;
  const std::string path = absolute(binary);
  const auto canonical = canonical_in_root(root_, path);
  if (!canonical) throw Error(binary + ": no such file" + where);
  const std::string host = root_ + (*canonical == "/" ? "" : *canonical);
  const Probe p = probe_elf(host, 0, 0);
  if (p.result == Probe::kAbsent) throw Error(binary + ": not a regular file" + where);
  if (p.result != Probe::kElf) throw Error(binary + ": " + p.reason);
  Candidate self;
  self.result = Probe::kElf;
  self.host = host;
  try {
    self.info = read_(host);
  } catch (const Error& e) {
    throw Error(binary + ": " + e.what());
  }
  struct stat st {};
  if (::stat(host.c_str(), &st) == 0) {
    self.has_id = true;
    self.dev = st.st_dev;
    self.ino = st.st_ino;
  }
  want_class_ = p.elf_class;
  want_machine_ = p.machine;

  // The interpreter decides the conventions (see arch_conv), so it is looked at first.
  const std::string& interp = self.info.interpreter;
  std::optional<std::string> interp_canonical;
  if (!interp.empty()) interp_canonical = canonical_in_root(root_, absolute(interp));
  conv_ = arch_conv(self.info.machine, self.info.bits, interp_canonical.value_or(""));

  // The binary: $ORIGIN is the directory of its real path, as the kernel reports it to ld.so
  // through /proc/self/exe.
  Node bin;
  bin.path = path;
  bin.host_path = host;
  bin.origin = dirname_of(*canonical);
  if (!self.info.soname.empty()) bin.names.insert(self.info.soname);
  bin.has_id = self.has_id;
  bin.dev = self.dev;
  bin.ino = self.ino;
  if (self.info.runpath.empty()) bin.rpath = search_dirs(self.info.rpath, bin.origin);
  bin.runpath = search_dirs(self.info.runpath, bin.origin);
  bin.object.path = path;
  bin.object.host_path = host;
  bin.object.info = self.info;
  nodes_.push_back(std::move(bin));
  place(0);
  for (const auto& dir : library_path_) {
    if (dir.empty()) continue;
    const auto e = expand_dst(dir, nodes_[0].origin, conv_);
    if (!e || e->empty()) continue;
    auto abs = strip_trailing_slashes(absolute(*e));
    if (std::find(env_dirs_.begin(), env_dirs_.end(), abs) == env_dirs_.end())
      env_dirs_.push_back(std::move(abs));
  }

  // ld.so is in the namespace from the start under its PT_INTERP name and its soname, so a
  // DT_NEEDED of "ld-linux-x86-64.so.2" finds it instead of a second copy from the cache. It
  // joins the load order where something first needs it, else at the end.
  int interp_node = -1;
  if (!interp.empty()) {
    const std::string ipath = absolute(interp);
    const Candidate& c = try_path(ipath);
    if (c.result == Probe::kElf) {
      Node n = make_node(interp, dirname_of(ipath), c, interp, path);
      n.names.insert(ipath);
      nodes_.push_back(std::move(n));
      interp_node = static_cast<int>(nodes_.size() - 1);
    } else {
      out_.missing.push_back({interp, path,
                              c.result == Probe::kAbsent      ? "not found"
                              : c.result == Probe::kOtherArch ? "wrong ELF class or machine"
                                                              : c.reason});
    }
  }

  // Breadth-first over DT_NEEDED, in the order each object lists them (elf/dl-deps.c).
  std::size_t next = 0;
  const auto load_needed = [&] {
    for (; next < order_.size(); ++next) {
      const int node = order_[next];
      const auto needed = nodes_[static_cast<std::size_t>(node)].object.info.needed;
      for (const auto& name : needed) load(name, node);
    }
  };
  load_needed();
  if (interp_node >= 0) {
    place(interp_node);
    load_needed();
  }
  // Then what the program loads with dlopen, each with its own dependencies.
  for (const auto& name : dlopen_) {
    load(name, 0);
    load_needed();
  }
  for (const int node : order_)
    out_.objects.push_back(std::move(nodes_[static_cast<std::size_t>(node)].object));
  return std::move(out_);
}

}  // namespace

DynInfo read_dyn_info(const std::string& host_path) {
  return dyn_info_of(ElfFile::load(host_path));
}

DynInfo dyn_info_of(const ElfFile& f) {
  DynInfo d;
  d.machine = f.machine();
  d.bits = f.bits();
  d.interpreter = f.interpreter();
  d.soname = f.soname();
  d.rpath = f.rpath();
  d.runpath = f.runpath();
  d.needed = f.needed();
  return d;
}

Closure resolve_closure(const std::string& binary, const ResolveOptions& opts,
                        const DynReader& read) {
  return Resolver(opts, read).run(binary);
}

std::optional<std::string> canonical_in_root(const std::string& root_in, const std::string& path) {
  const std::string root = normal_root(root_in);
  std::vector<std::string> done;  // resolved components, none a symlink
  std::deque<std::string> todo;
  for (auto& c : split(path, '/'))
    if (!c.empty()) todo.push_back(std::move(c));
  int links = 0;
  const auto current = [&] {
    std::string s;
    for (const auto& c : done) s += "/" + c;
    return s;
  };
  while (!todo.empty()) {
    std::string c = std::move(todo.front());
    todo.pop_front();
    if (c == ".") continue;
    if (c == "..") {
      if (!done.empty()) done.pop_back();  // at the root, ".." is the root (as in a chroot)
      continue;
    }
    const std::string host = root + current() + "/" + c;
    struct stat st {};
    if (::lstat(host.c_str(), &st) != 0) return std::nullopt;
    if (S_ISLNK(st.st_mode)) {
      if (++links > kMaxSymlinks) return std::nullopt;
      std::string target(PATH_MAX, '\0');
      const ssize_t n = ::readlink(host.c_str(), target.data(), target.size());
      if (n <= 0 || static_cast<std::size_t>(n) >= target.size()) return std::nullopt;
      target.resize(static_cast<std::size_t>(n));
      // The target's components replace the link's; an absolute target starts at the root.
      if (target[0] == '/') done.clear();
      const auto parts = split(target, '/');
      for (auto it = parts.rbegin(); it != parts.rend(); ++it)
        if (!it->empty()) todo.push_front(*it);
      continue;
    }
    // Only a directory may have components after it ("file/x", "file/.." fail with ENOTDIR).
    if (!S_ISDIR(st.st_mode) && !todo.empty()) return std::nullopt;
    done.push_back(std::move(c));
  }
  const std::string out = current();
  return out.empty() ? "/" : out;
}

std::optional<std::string> host_path_in_root(const std::string& root, const std::string& path) {
  const auto c = canonical_in_root(root, path);
  if (!c) return std::nullopt;
  const std::string r = normal_root(root);
  if (r.empty()) return c;
  return *c == "/" ? r : r + *c;
}

std::vector<LdCacheEntry> parse_ld_cache(const std::vector<std::uint8_t>& b) {
  static constexpr char kOldMagic[] = "ld.so-1.7.0";
  static constexpr char kNewMagic[] = "glibc-ld.so.cache1.1";
  constexpr std::size_t kOldHeader = 16;  // magic[11], padding, uint32 nlibs
  constexpr std::size_t kOldEntry = 12;   // int32 flags, uint32 key, value
  constexpr std::size_t kNewHeader = 48;  // struct cache_file_new (static_assert'ed in glibc)
  constexpr std::size_t kNewEntry = 24;   // flags, key, value, osversion, uint64 hwcap
  std::vector<LdCacheEntry> out;
  // All arithmetic in 64 bits on values of at most 32 bits: no overflow.
  std::uint64_t base = 0;
  if (b.size() >= kOldHeader && std::memcmp(b.data(), kOldMagic, sizeof kOldMagic - 1) == 0) {
    // The compat format: the old table first, the new header after it, 8-byte aligned.
    base = kOldHeader + std::uint64_t{read_u32(b, 12)} * kOldEntry;
    base = (base + 7) & ~std::uint64_t{7};
  }
  if (base > b.size() || b.size() - base < kNewHeader ||
      std::memcmp(b.data() + base, kNewMagic, sizeof kNewMagic - 1) != 0)
    return out;
  const std::uint64_t nlibs = read_u32(b, base + 20);
  // Endianness bits: 0 unknown (older ldconfig), 2 little; 1 is "invalid", 3 big-endian.
  const unsigned endian = b[base + 28] & 3u;
  if (endian == 1 || endian == 3) return out;
  if (nlibs > (b.size() - base - kNewHeader) / kNewEntry) return out;
  out.reserve(static_cast<std::size_t>(nlibs));
  for (std::uint64_t i = 0; i < nlibs; ++i) {
    const std::size_t e = static_cast<std::size_t>(base + kNewHeader + i * kNewEntry);
    LdCacheEntry entry;
    entry.flags = static_cast<std::int32_t>(read_u32(b, e));
    entry.hwcap = read_u64(b, e + 16);
    // String offsets count from the new header (the file's start in the new-only format).
    auto key = string_at(b, base + read_u32(b, e + 4));
    auto value = string_at(b, base + read_u32(b, e + 8));
    if (!key || !value || key->empty() || value->empty()) continue;
    entry.name = std::move(*key);
    entry.path = std::move(*value);
    out.push_back(std::move(entry));
  }
  return out;
}

std::optional<std::string> ld_cache_lookup(const std::vector<LdCacheEntry>& cache,
                                           const std::string& name, Machine machine, int bits) {
  return cache_lookup(cache, name, arch_conv(machine, bits, "").cache_flags);
}

}  // namespace tailor::analyzer
