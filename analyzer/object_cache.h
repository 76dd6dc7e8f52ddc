// The analyzer's per-object cache: an object's DynInfo and ObjectAnalysis, keyed by its GNU
// build-id (or, without one, a hash of its bytes), so a library shared by many binaries (libc)
// is disassembled once per machine, not once per run.
//
// Files live in DIR/analyze-v<N>-<tailor's build-id>/<key>.msgpack (MessagePack: read back several
// times faster than JSON text). The cache is outside input like any file: every entry is validated
// on load (types, and every index against the size of what it indexes), and one that fails is
// ignored and rewritten, never trusted.
#pragma once

#include <optional>
#include <string>

#include "elf_file.h"
#include "resolve.h"
#include "syscall_sites.h"

namespace tailor::analyzer {

struct CachedObject {
  DynInfo info;
  ObjectAnalysis analysis;
};

// The cache key of a file: "<build-id>-<machine>" or "h<64-bit content hash>-<size>-<machine>".
std::string cache_key(const std::string& host_path, const ElfIdentity& id);

std::optional<CachedObject> cache_load(const std::string& dir, const std::string& key);
// Best effort: a cache that cannot be written (read-only home) only costs time.
void cache_store(const std::string& dir, const std::string& key, const CachedObject& obj);

// The serialized form (exposed for tests and the fuzz target).
std::string cache_encode(const CachedObject& obj);
std::optional<CachedObject> cache_decode(const std::string& bytes);

}  // namespace tailor::analyzer
