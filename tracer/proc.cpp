#include "proc.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace tailor::tracer {

namespace {

std::string proc_path(pid_t tid, const std::string& what) {
  return "/proc/" + std::to_string(tid) + "/" + what;
}

// Reads a small /proc file with one read(2): these files are generated per read, and a
// single syscall is both the cheapest and the most consistent snapshot.
std::optional<std::string> slurp(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace

std::optional<Creds> read_creds(pid_t tid) {
  auto text = slurp(proc_path(tid, "status"));
  if (!text) return std::nullopt;
  Creds c;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    std::istringstream v(line.substr(colon + 1));
    if (key == "Uid") {
      v >> c.ruid >> c.euid >> c.suid >> c.fsuid;
    } else if (key == "Gid") {
      v >> c.rgid >> c.egid >> c.sgid >> c.fsgid;
    } else if (key == "Groups") {
      gid_t g;
      while (v >> g) c.groups.push_back(g);
    } else if (key == "CapEff") {
      v >> std::hex >> c.cap_eff;
    } else if (key == "CapPrm") {
      v >> std::hex >> c.cap_prm;
    } else if (key == "CapBnd") {
      v >> std::hex >> c.cap_bnd;
    } else if (key == "Tgid") {
      v >> c.tgid;
    }
  }
  return c;
}

std::optional<std::uint64_t> read_status_kb(pid_t tid, const std::string& key) {
  auto text = slurp(proc_path(tid, "status"));
  if (!text) return std::nullopt;
  auto pos = text->find("\n" + key + ":");
  if (pos == std::string::npos) return std::nullopt;
  return std::strtoull(text->c_str() + pos + key.size() + 2, nullptr, 10);
}

unsigned pid_ns_level(pid_t tid) {
  auto text = slurp(proc_path(tid, "status"));
  if (!text) return 0;
  auto pos = text->find("\nNSpid:");
  if (pos == std::string::npos) return 0;
  unsigned fields = 0;
  bool in = false;
  for (std::size_t i = pos + 7; i < text->size() && (*text)[i] != '\n'; ++i) {
    const bool digit = (*text)[i] >= '0' && (*text)[i] <= '9';
    if (digit && !in) ++fields;
    in = digit;
  }
  return fields ? fields - 1 : 0;
}

pid_t read_tgid(pid_t tid) {
  auto text = slurp(proc_path(tid, "status"));
  if (!text) return 0;
  auto pos = text->find("\nTgid:");
  if (pos == std::string::npos) return 0;
  return static_cast<pid_t>(std::strtol(text->c_str() + pos + 6, nullptr, 10));
}

std::optional<std::string> proc_link(pid_t tid, const std::string& what) {
  char buf[4096];
  ssize_t n = ::readlink(proc_path(tid, what).c_str(), buf, sizeof buf);
  if (n < 0 || static_cast<std::size_t>(n) >= sizeof buf) return std::nullopt;
  return std::string(buf, static_cast<std::size_t>(n));
}

std::optional<struct stat> stat_in(pid_t tid, const std::string& abs_path, bool follow) {
  struct stat st;
  std::string p = proc_path(tid, "root") + abs_path;
  int rc = follow ? ::stat(p.c_str(), &st) : ::lstat(p.c_str(), &st);
  if (rc != 0) return std::nullopt;
  return st;
}

std::optional<struct stat> stat_fd(pid_t tid, int fd) {
  struct stat st;
  if (::stat(proc_path(tid, "fd/" + std::to_string(fd)).c_str(), &st) != 0) return std::nullopt;
  return st;
}

bool read_mem(pid_t tid, std::uint64_t addr, void* buf, std::size_t len) {
  if (len == 0) return true;
  if (addr == 0) return false;
  struct iovec local {
    buf, len
  };
  struct iovec remote {
    reinterpret_cast<void*>(addr), len
  };
  ssize_t n = ::process_vm_readv(tid, &local, 1, &remote, 1, 0);
  return n == static_cast<ssize_t>(len);
}

std::optional<std::string> read_cstring(pid_t tid, std::uint64_t addr, std::size_t max) {
  if (addr == 0) return std::nullopt;
  std::string out;
  char chunk[256];
  while (out.size() < max) {
    // Never read across a page boundary in one go: the next page may be unmapped while the
    // string itself ends before it.
    std::size_t to_page = 4096 - (addr % 4096);
    std::size_t n = std::min({sizeof chunk, to_page, max - out.size()});
    if (!read_mem(tid, addr, chunk, n)) return out.empty() ? std::nullopt : std::optional(out);
    if (auto* z = static_cast<char*>(std::memchr(chunk, 0, n))) {
      out.append(chunk, static_cast<std::size_t>(z - chunk));
      return out;
    }
    out.append(chunk, n);
    addr += n;
  }
  return out;
}

std::string join_path(const std::string& base, const std::string& path) {
  std::string full = (!path.empty() && path[0] == '/') ? path : base + "/" + path;
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i <= full.size()) {
    std::size_t j = full.find('/', i);
    if (j == std::string::npos) j = full.size();
    std::string part = full.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(std::move(part));
    }
    i = j + 1;
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

bool dac_allows(const Creds& c, const struct stat& st, int want) {
  int bits;
  if (st.st_uid == c.fsuid) {
    bits = (st.st_mode >> 6) & 7;
  } else if (st.st_gid == c.fsgid ||
             std::find(c.groups.begin(), c.groups.end(), st.st_gid) != c.groups.end()) {
    bits = (st.st_mode >> 3) & 7;
  } else {
    bits = st.st_mode & 7;
  }
  return (bits & want) == want;
}

}  // namespace tailor::tracer

namespace tailor::tracer {
std::optional<int> socket_domain(pid_t tid, int fd) {
  const pid_t tgid = read_tgid(tid);
  if (tgid <= 0) return std::nullopt;
  const long pidfd = ::syscall(SYS_pidfd_open, tgid, 0);
  if (pidfd < 0) return std::nullopt;
  const long copy = ::syscall(SYS_pidfd_getfd, static_cast<int>(pidfd), fd, 0);
  ::close(static_cast<int>(pidfd));
  if (copy < 0) return std::nullopt;
  int domain = 0;
  socklen_t len = sizeof domain;
  const int rc = ::getsockopt(static_cast<int>(copy), SOL_SOCKET, SO_DOMAIN, &domain, &len);
  ::close(static_cast<int>(copy));
  if (rc != 0) return std::nullopt;
  return domain;
}
}  // namespace tailor::tracer
