#include "tailor/syscalls.h"

#include <seccomp.h>

#include <array>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace tailor {
namespace {

struct ArchEntry {
  std::uint32_t token;
  const char* name;  // libseccomp's own spelling (seccomp_arch_resolve_name accepts it)
};

// The tokens are libseccomp's constants; the spelling is the one libseccomp parses back.
constexpr std::array kArches = {
    ArchEntry{SCMP_ARCH_X86_64, "x86_64"}, ArchEntry{SCMP_ARCH_X86, "x86"},
    ArchEntry{SCMP_ARCH_X32, "x32"},       ArchEntry{SCMP_ARCH_AARCH64, "aarch64"},
    ArchEntry{SCMP_ARCH_ARM, "arm"},       ArchEntry{SCMP_ARCH_PPC64LE, "ppc64le"},
    ArchEntry{SCMP_ARCH_S390X, "s390x"},   ArchEntry{SCMP_ARCH_RISCV64, "riscv64"},
    ArchEntry{SCMP_ARCH_MIPS64, "mips64"}, ArchEntry{SCMP_ARCH_MIPSEL64, "mipsel64"},
};

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};

}  // namespace

std::optional<std::string> arch_name(std::uint32_t scmp_arch) {
  for (const auto& a : kArches)
    if (a.token == scmp_arch) return std::string(a.name);
  return std::nullopt;
}

std::optional<std::uint32_t> arch_token(std::string_view name) {
  std::string n(name);
  if (n.rfind("SCMP_ARCH_", 0) == 0) {
    n = n.substr(10);
    for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (n == "i386") n = "x86";
  for (const auto& a : kArches)
    if (n == a.name) return a.token;
  return std::nullopt;
}

std::uint32_t effective_arch(std::uint32_t audit_arch, std::uint64_t nr) {
  if (audit_arch == SCMP_ARCH_X86_64 && (nr & kX32SyscallBit)) return SCMP_ARCH_X32;
  return audit_arch;
}

const std::string& syscall_name(std::uint32_t scmp_arch, std::uint64_t nr) {
  // The recorder asks for the same few hundred names millions of times; libseccomp's lookup
  // allocates, so names are interned here. The tracer is single-threaded, but analyzers may not
  // be, hence the lock (uncontended: ~20 ns).
  static std::mutex mu;
  static std::unordered_map<std::uint64_t, std::unique_ptr<std::string>> cache;
  const std::uint64_t key = (static_cast<std::uint64_t>(scmp_arch) << 32) ^ nr;
  std::lock_guard lock(mu);
  auto it = cache.find(key);
  if (it != cache.end()) return *it->second;
  std::string name;
  if (nr <= 0x7fffffffu) {
    std::unique_ptr<char, FreeDeleter> s(
        seccomp_syscall_resolve_num_arch(scmp_arch, static_cast<int>(nr)));
    if (s) name = s.get();
  }
  if (name.empty()) {
    auto base = scmp_arch == SCMP_ARCH_X32 ? (nr & ~std::uint64_t{kX32SyscallBit}) : nr;
    name = "syscall_" + std::to_string(base);
  }
  return *cache.emplace(key, std::make_unique<std::string>(std::move(name))).first->second;
}

const std::vector<std::pair<std::uint32_t, std::string>>& known_syscalls(std::uint32_t scmp_arch) {
  static std::mutex mu;
  static std::map<std::uint32_t, std::vector<std::pair<std::uint32_t, std::string>>> cache;
  std::lock_guard lock(mu);
  auto [it, fresh] = cache.try_emplace(scmp_arch);
  if (!fresh) return it->second;
  // Every table libseccomp carries ends below 1024 (x86_64's near 460); x32 numbers carry the
  // x32 bit. A name must also resolve back: libseccomp's reverse lookup answers for numbers
  // whose name it would not accept in a rule on this arch.
  const std::uint64_t base = scmp_arch == SCMP_ARCH_X32 ? kX32SyscallBit : 0;
  for (std::uint32_t nr = 0; nr < 1024; ++nr) {
    std::unique_ptr<char, FreeDeleter> s(
        seccomp_syscall_resolve_num_arch(scmp_arch, static_cast<int>(base + nr)));
    if (!s) continue;
    const int back = seccomp_syscall_resolve_name_arch(scmp_arch, s.get());
    if (back >= 0 || (back <= -100 && back > -10000)) it->second.emplace_back(nr, s.get());
  }
  return it->second;
}

std::optional<int> syscall_number(std::uint32_t scmp_arch, std::string_view name) {
  std::string n(name);
  int nr = seccomp_syscall_resolve_name_arch(scmp_arch, n.c_str());
  if (nr == __NR_SCMP_ERROR || nr < 0) return std::nullopt;
  return nr;
}

std::string errno_name(int err) {
  const char* n = strerrorname_np(err);
  return n ? std::string(n) : "E" + std::to_string(err);
}

}  // namespace tailor
