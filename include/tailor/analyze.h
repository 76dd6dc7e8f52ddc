// tailor analyze: the syscalls a binary and its libraries can make, found in their code.
//
// A recording sees only the paths a test run took. The analyzer reads the ELF objects
// themselves: the binary, the library closure the dynamic loader would map (resolved as ld.so
// does, optionally inside a container's root filesystem), and libraries named for dlopen. For
// each object it finds the syscall instructions and their numbers, and a call graph; the
// syscalls of a binary are those of the sites reachable from its entry points through its own
// code and the exported functions of its libraries that it calls.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tailor/profile.h"

namespace tailor {

struct AnalyzeOptions {
  std::string root;                       // "" = this machine; else a root filesystem
  std::vector<std::string> library_path;  // LD_LIBRARY_PATH entries, in order
  std::vector<std::string> dlopen;        // libraries loaded at run time (names or paths)
  std::string cache_dir;                  // per-object cache; "" = none
};

struct AnalyzeStats {
  std::size_t objects = 0;  // ELF objects analysed (each once, however many binaries use it)
  std::size_t cached = 0;   // of which were read from the cache
  double seconds = 0;
};

// The syscalls of each binary, as a profile: every syscall carries static evidence (object,
// function, address of each reachable site); `analysis` says which objects were read, their
// unresolved sites, their dlopen names and the libraries that could not be found. Throws
// tailor::Error (one line) for a binary that is missing, not ELF, or malformed.
Profile analyze_binaries(const std::vector<std::string>& binaries, const AnalyzeOptions& opts,
                         AnalyzeStats* stats = nullptr);

// What `record --static` analyses: every ELF executable the recording saw run, each with the
// libraries it mapped executable that its closure does not hold (loaded with dlopen: Python's
// extension modules, plugins) in its own scope, as --dlopen adds them; a mapped library that
// another one needs counts as that one's dependency. Mappings no analysed executable accounts
// for are analysed as libraries on their own. Objects are identified by file, not path.
Profile analyze_recorded(const Profile& recorded, const AnalyzeOptions& opts,
                         AnalyzeStats* stats = nullptr);

// $XDG_CACHE_HOME/tailor, else $HOME/.cache/tailor; "" if neither is set.
std::string default_cache_dir();

}  // namespace tailor
