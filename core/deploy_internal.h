// Shared by the deployment readers (core/deploy_*.cpp): a YAML tree of tailor's own with 1-based
// locations, `<<` merge keys resolved and aliases expanded under a budget, and the small parsers
// of the notations Compose, Kubernetes, inspect JSON and run lines have in common
// (`seccomp=...`, "SRC:DST:ro", "127.0.0.1:8080:80/udp", "nofile=1024:2048").
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tailor/deploy.h"

namespace tailor::deploy_detail {

[[noreturn]] void fail_at(const SourceLoc& at, const std::string& what);

struct YNode;
struct YEntry;

struct YNode {
  enum Kind { kNull, kScalar, kSeq, kMap };
  Kind kind = kNull;
  std::string text;  // kScalar
  std::vector<YNode> items;
  std::vector<YEntry> entries;  // kMap, in file order, merge keys resolved
  SourceLoc at;

  bool is_map() const { return kind == kMap; }
  bool is_seq() const { return kind == kSeq; }
  bool is_scalar() const { return kind == kScalar; }
  bool is_null() const { return kind == kNull; }
  const YEntry* find(std::string_view key) const;
  const YNode* get(std::string_view key) const;
};

struct YEntry {
  std::string key;
  SourceLoc key_at;
  YNode value;
};

// Scalars are rewritten by this before they are stored (Compose interpolation); may throw.
using ScalarHook = std::function<std::string(const std::string&, const SourceLoc&)>;

// Every document of `text` (one for Compose). Throws tailor::Error "FILE:LINE: ..." for YAML
// errors, nesting deeper than a limit, alias expansion beyond a budget, non-scalar keys.
std::vector<YNode> load_yaml(const std::string& file, const std::string& text,
                             const ScalarHook& hook = {});

// Typed access that throws "FILE:LINE: KEY: expected ..." on the wrong type.
const std::string& need_scalar(const YNode& n, std::string_view what);
bool need_bool(const YNode& n, std::string_view what);
std::uint64_t need_u64(const YNode& n, std::string_view what);
std::int64_t need_i64(const YNode& n, std::string_view what);
double need_number(const YNode& n, std::string_view what);
void need_map(const YNode& n, std::string_view what);  // null passes (an empty map)
void need_seq(const YNode& n, std::string_view what);  // null passes (an empty list)

// Overflow-safe number parsing; nullopt unless all of `s` is the number.
std::optional<std::uint64_t> parse_u64(std::string_view s);
std::optional<std::int64_t> parse_i64(std::string_view s);
std::optional<double> parse_double(std::string_view s);
std::optional<bool> parse_bool(std::string_view s);  // true/false/yes/no/on/off, any case

std::string normalize_cap(std::string_view s);  // "cap_net_admin" -> "NET_ADMIN"
std::vector<std::string> split(std::string_view s, char sep);
// Words as a POSIX shell splits a simple command: blanks, '...' and "..." quotes, backslashes.
std::vector<std::string> shell_words(std::string_view s);

// One `security_opt` / `--security-opt` / HostConfig.SecurityOpt entry into w (seccomp,
// apparmor, no_new_privileges, with `at` in w.where). Others (label, systempaths...) ignored.
// False if it is one of those three with a value that is not one (`seccomp=`, `...:maybe`).
bool apply_security_opt(Workload& w, std::string_view opt, const SourceLoc& at);
// "SRC:DST[:MODE]" (Compose short syntax, -v, HostConfig.Binds); nullopt if empty.
std::optional<Mount> parse_volume_short(std::string_view s);
// "/run[:OPTS]" (Compose tmpfs, --tmpfs).
Mount parse_tmpfs(std::string_view s);
// "[[IP:]HOST:]CONTAINER[/PROTO]"; nullopt if it is not one.
std::optional<PortMapping> parse_port_short(std::string_view s);
// "1024" or "1024:2048" (soft[:hard]).
bool parse_nofile(std::string_view s, Workload& w);

}  // namespace tailor::deploy_detail
