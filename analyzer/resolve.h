// The library closure of a binary, found the way glibc's dynamic loader (ld.so) finds it: the
// interpreter, then DT_NEEDED breadth-first, each name searched in DT_RPATH (of the loading
// object and its loaders), LD_LIBRARY_PATH, DT_RUNPATH, /etc/ld.so.cache and the default
// directories, with $ORIGIN, $LIB and $PLATFORM expanded. With a root directory (a container's
// filesystem) every path, symlinks included, resolves inside that root, as after chroot(2).
//
// Resolution reads only ELF headers and the dynamic section (through a DynReader); the
// analysis of each object's code is separate.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "elf_file.h"

namespace tailor::analyzer {

struct DynInfo {  // what resolution needs from one ELF object
  Machine machine = Machine::kOther;
  int bits = 0;
  std::string interpreter, soname, rpath, runpath;  // unexpanded, as in the file
  std::vector<std::string> needed;
};

// Reads DynInfo from a file on this machine (host path). Throws tailor::Error for non-ELF.
using DynReader = std::function<DynInfo(const std::string& host_path)>;
DynInfo read_dyn_info(const std::string& host_path);  // default reader: ElfFile::load
DynInfo dyn_info_of(const ElfFile& elf);

struct ResolveOptions {
  std::string root;                       // "" = this machine; else a root filesystem (container)
  std::vector<std::string> library_path;  // LD_LIBRARY_PATH entries, in order (caller splits env)
  // Libraries the binary loads with dlopen (names or paths): searched as the binary's own
  // DT_NEEDED entries are (dlopen from the executable uses its RPATH/RUNPATH), and added with
  // their dependencies after the startup closure, as dlopen adds objects to a running program.
  std::vector<std::string> dlopen;
};

struct LoadedObject {
  std::string path;       // absolute path inside the root, as ld.so would name it after search
  std::string host_path;  // where this machine reads it: root + path with symlinks resolved INSIDE
                          // root
  std::string needed_name;  // the DT_NEEDED string that found it ("" for the binary itself,
                            // the PT_INTERP string for the interpreter)
  std::string needed_by;    // `path` of the object whose DT_NEEDED named it ("" for the binary;
                            // for the interpreter: the binary, whose PT_INTERP names it)
  DynInfo info;
};

struct Closure {
  std::vector<LoadedObject> objects;  // objects[0] is the binary; then ld.so's load order
                                      // (breadth-first over DT_NEEDED); the interpreter last
                                      // unless already loaded (it is also a DT_NEEDED of libc)
  struct Missing {
    std::string name, needed_by;
    // Why: "not found", or why ld.so would refuse the file it found ("invalid ELF header",
    // a reader error, ...). ld.so stops at a file that is not ELF instead of searching on.
    std::string reason;
  };
  std::vector<Missing> missing;  // not found anywhere: reported, not fatal (one entry per name)
};

// `binary` is a path inside the root (or on this machine when root is ""). Throws tailor::Error
// (one line naming it) if the binary cannot be found or is not ELF.
Closure resolve_closure(const std::string& binary, const ResolveOptions& opts,
                        const DynReader& read = read_dyn_info);

// `path` resolved the way the kernel resolves it for a process chrooted to `root`: an absolute
// symlink target starts again at `root`, ".." never climbs above it. Returns the canonical path
// inside the root (absolute, no symlinks, no "." or ".." components), or nullopt if a component
// does not exist, is not a directory where one is needed, or symlinks loop (more than 40, as
// the kernel's limit). A relative `path` starts at the root's "/". `root` "" is this machine's
// "/".
std::optional<std::string> canonical_in_root(const std::string& root, const std::string& path);
// The same, as a path this machine can open: root + canonical_in_root(root, path).
std::optional<std::string> host_path_in_root(const std::string& root, const std::string& path);

// One entry of /etc/ld.so.cache ("glibc-ld.so.cache1.1" format, alone or after the old
// "ld.so-1.7.0" table).
struct LdCacheEntry {
  std::string name;  // the key: a soname such as "libc.so.6"
  std::string path;  // where ldconfig found it: "/lib/x86_64-linux-gnu/libc.so.6"
  std::int32_t flags = 0;
  std::uint64_t hwcap = 0;
};
// Parses a cache file's bytes. The file comes from outside (a container image may hold
// anything): every offset is checked, entries whose strings fall outside the file are dropped,
// and a file that is not a well-formed cache gives no entries (ld.so ignores it too).
std::vector<LdCacheEntry> parse_ld_cache(const std::vector<std::uint8_t>& bytes);
// The cache's path for `name` for objects of this machine and class (the flags ld.so accepts:
// x86_64 libc6,x86-64; i386 libc6; aarch64 libc6,AArch64), or nullopt.
std::optional<std::string> ld_cache_lookup(const std::vector<LdCacheEntry>& cache,
                                           const std::string& name, Machine machine, int bits);

}  // namespace tailor::analyzer
