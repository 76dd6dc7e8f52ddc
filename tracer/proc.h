// What the tracer learns about a task from /proc and from its memory.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tailor::tracer {

// A task's credentials as /proc/PID/status shows them.
struct Creds {
  uid_t ruid = 0, euid = 0, suid = 0, fsuid = 0;
  gid_t rgid = 0, egid = 0, sgid = 0, fsgid = 0;
  std::vector<gid_t> groups;
  std::uint64_t cap_eff = 0, cap_prm = 0, cap_bnd = 0;
  pid_t tgid = 0;
  bool has_cap(int cap) const { return cap >= 0 && cap < 64 && ((cap_eff >> cap) & 1); }
};

std::optional<Creds> read_creds(pid_t tid);
// Thread group id of a task, or 0 if it is gone.
pid_t read_tgid(pid_t tid);
// How deep the task's pid namespace is (0: the initial one): NSpid's entries in its status, - 1.
unsigned pid_ns_level(pid_t tid);

// A "Key:   N kB" line of /proc/TID/status, in kB.
std::optional<std::uint64_t> read_status_kb(pid_t tid, const std::string& key);

// readlink() of /proc/TID/cwd, /proc/TID/fd/FD, /proc/TID/exe.
std::optional<std::string> proc_link(pid_t tid, const std::string& what);

// stat()/lstat() of an absolute path as the task sees it: through /proc/TID/root, so chroots and
// mount namespaces are honoured.
std::optional<struct stat> stat_in(pid_t tid, const std::string& abs_path, bool follow = true);
std::optional<struct stat> stat_fd(pid_t tid, int fd);

// Tracee memory through process_vm_readv (works for the ptrace tracer and, later, for a
// seccomp-notify supervisor with ptrace access). Returns false if any byte is unreadable.
bool read_mem(pid_t tid, std::uint64_t addr, void* buf, std::size_t len);
// NUL-terminated string of at most `max` bytes; nullopt for a NULL or unreadable pointer.
std::optional<std::string> read_cstring(pid_t tid, std::uint64_t addr, std::size_t max = 4096);

// Joins a possibly relative `path` onto `base` and normalises "." and ".." lexically (the
// tracer records what the program asked for; it does not resolve symlinks).
std::string join_path(const std::string& base, const std::string& path);

// Would `c` be allowed `want` (bitmask of 4=read, 2=write, 1=exec/search) on a file with `st`
// by ordinary permission bits alone, i.e. without CAP_DAC_*?
bool dac_allows(const Creds& c, const struct stat& st, int want);

}  // namespace tailor::tracer

namespace tailor::tracer {
// The address family of socket `fd` in task `tid`, read with SO_DOMAIN from a copy of the fd
// taken with pidfd_getfd (needs ptrace access to the task). nullopt if it cannot be read.
// Backends without exit stops use it where the result of socket() was never seen.
std::optional<int> socket_domain(pid_t tid, int fd);
}  // namespace tailor::tracer
