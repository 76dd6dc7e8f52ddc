// Syscall and architecture names. All numbers and names come from libseccomp: tailor never
// carries its own syscall tables.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tailor {

// libseccomp's architecture tokens are the kernel's AUDIT_ARCH_* values, except x32, which the
// kernel reports as AUDIT_ARCH_X86_64 with __X32_SYSCALL_BIT set in the syscall number.
inline constexpr std::uint32_t kX32SyscallBit = 0x40000000u;

// "x86_64", "x86", "x32", "aarch64", ... for a libseccomp arch token; nullopt if unknown.
std::optional<std::string> arch_name(std::uint32_t scmp_arch);
// Inverse of arch_name (also accepts Docker's "SCMP_ARCH_X86_64" spelling).
std::optional<std::uint32_t> arch_token(std::string_view name);
// The arch token a syscall really belongs to, given the AUDIT_ARCH the kernel reported and the
// raw number (x32 calls arrive as x86_64 with the x32 bit set).
std::uint32_t effective_arch(std::uint32_t audit_arch, std::uint64_t nr);

// Name of syscall `nr` on `scmp_arch` (nr as the kernel passes it, x32 bit included). Unknown
// numbers get a stable synthetic name "syscall_<nr>" so that nothing is ever dropped. Cached.
const std::string& syscall_name(std::uint32_t scmp_arch, std::uint64_t nr);
// Every syscall libseccomp knows on `scmp_arch`, by number (x32: without the x32 bit), ascending:
// the architecture's whole table, as the runtime's filter sees it. Cached.
const std::vector<std::pair<std::uint32_t, std::string>>& known_syscalls(std::uint32_t scmp_arch);
// Number for a name on an arch, or nullopt if libseccomp does not know it there.
std::optional<int> syscall_number(std::uint32_t scmp_arch, std::string_view name);

// "EPERM" for 1, etc. (glibc's strerrorname_np), "E<n>" if unknown.
std::string errno_name(int err);

}  // namespace tailor
