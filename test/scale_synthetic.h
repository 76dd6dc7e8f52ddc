// Synthetic profiles shaped like big real recordings, for test_scale.cpp. A header of its own so
// that any version of the emitter can write test_scale.cpp's golden files from the same input
// (the golden rules were written by the collapse() before its one-pass rewrite).
//
// Each random draw is a statement of its own: the order in which the operands of `+` (or the
// arguments of a call) are evaluated is unspecified, and gcc and clang pick differently.
#pragma once

#include <cstdint>
#include <random>
#include <set>
#include <string>

#include "tailor/profile.h"

namespace tailor::test::scale {

// std::mt19937's sequence is fixed by the standard (the distributions are not), so the same
// seed builds the same profile everywhere.
struct Rng {
  std::mt19937 g;
  explicit Rng(unsigned seed) : g(seed) {}
  std::size_t below(std::size_t n) { return n ? g() % n : 0; }
  std::string num(std::size_t n) { return std::to_string(below(n)); }
  bool one_in(std::size_t n) { return below(n) == 0; }
  std::string random_name(std::size_t len) {
    static const char kAlnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::string s;
    for (std::size_t i = 0; i < len; ++i) s += kAlnum[below(sizeof kAlnum - 1)];
    return s;
  }
};

inline void add(Profile& p, const std::string& path, std::set<std::string> access, bool ok = true) {
  auto& u = p.files[path];
  u.access.insert(access.begin(), access.end());
  u.succeeded = u.succeeded || ok;
  if (!ok) u.errors.insert("ENOENT");
  u.ev.add("/usr/bin/app");
}

// About `n` file entries in the shapes a recording has. Directory sizes are spread around the
// collapsing thresholds (8 files per directory, 16 per tree), perms and owners vary inside one
// directory, and a few paths are both a file and the prefix of other paths.
inline Profile synthetic(std::size_t n, unsigned seed) {
  Rng r(seed);
  Profile p;
  p.syscalls["x86_64"]["read"].add("/usr/bin/app");
  p.syscalls["x86_64"]["openat"].add("/usr/bin/app");
  const std::size_t pkgs = n / 60 + 2, areas = n / 150 + 4;
  while (p.files.size() < n) {
    const std::size_t kind = r.below(100);
    if (kind < 55) {
      // /usr/share/<area>/<pkg>[/<sub>...]/<file>, read; some map-exec, some readdir. Areas
      // are skewed: the first ones get whole trees of files, the last ones a few files each.
      std::string dir = "/usr/share/a" + r.num(1 + r.below(areas));
      if (!r.one_in(5)) dir += "/pkg" + r.num(1 + r.below(pkgs));
      const std::size_t depth = r.below(4);
      for (std::size_t d = 0; d < depth; ++d) dir += "/s" + r.num(3);
      const std::string file = dir + "/f" + r.num(12 + r.below(12)) + ".txt";
      if (r.one_in(25))
        add(p, file, {"read", "map-exec"});
      else
        add(p, file, {"read", "stat"});
      if (r.one_in(10)) add(p, dir, {"read", "readdir", "stat"});
    } else if (kind < 60) {
      // flat directories (/usr/share/<d>/<file>: too shallow for a tree), around 8 files each
      const std::size_t d = r.below(pkgs / 4 + 2);
      const std::size_t f = r.below(4 + r.below(12));
      add(p, "/usr/share/flat" + std::to_string(d) + "/g" + std::to_string(f),
          d % 4 == 3 && f % 2 ? std::set<std::string>{"read", "write"}
                              : std::set<std::string>{"read"});
    } else if (kind < 65) {
      // python packages: modules and their __pycache__
      const std::string pkg = "/usr/lib/python3/dist-packages/mod" + r.num(pkgs / 3 + 1);
      const std::string m = "m" + r.num(30);
      add(p, pkg + "/" + m + ".py", {"read"});
      if (r.one_in(2)) add(p, pkg + "/__pycache__/" + m + ".cpython-311.pyc", {"read"});
    } else if (kind < 70) {
      // /etc: a few files read, some written; lookups that only failed (not rules)
      const std::string f = "/etc/app" + r.num(40) + ".conf";
      if (r.one_in(4))
        add(p, f, {"read", "write"});
      else if (r.one_in(5))
        add(p, f, {"read"}, false);
      else
        add(p, f, {"read"});
      if (r.one_in(6)) add(p, "/etc/probe" + r.num(50), {"stat"}, false);
    } else if (kind < 76) {
      // data written, locked, created and renamed
      const std::string db = r.num(3);
      const std::string f = "/var/lib/app/db" + db + "/t" + r.num(40);
      if (r.one_in(3))
        add(p, f, {"read", "write", "lock"});
      else
        add(p, f, {"write", "create", "rename"});
    } else if (kind < 83) {
      // temp names under /tmp, /var/tmp and /dev/shm, and pytest-style temp trees
      const std::size_t where = r.below(4);
      if (where == 0) {
        add(p, "/tmp/tmp" + r.random_name(8), {"write", "create", "unlink"});
      } else if (where == 1) {
        add(p, "/var/tmp/sess_" + r.random_name(10), {"read", "write", "create"});
      } else if (where == 2) {
        add(p, "/dev/shm/sem." + r.random_name(6), {"read", "write", "create", "unlink"});
      } else {
        const std::string run = r.num(4);
        const std::string test = r.num(12);
        const std::string out = r.num(9);
        add(p, "/tmp/pytest-of-root/pytest-" + run + "/t" + test + "/out" + out,
            {"write", "create"});
      }
    } else if (kind < 88) {
      // per-process /proc files (owner @{pid}) and global ones
      const char* self[] = {"self", "thread-self", "1234", "77"};
      const char* leaf[] = {"status", "maps", "stat", "cmdline", "environ", "mountinfo"};
      const std::size_t which = r.below(4);
      if (which == 0) {
        const std::string pid = self[r.below(4)];
        const std::string file = leaf[r.below(6)];
        add(p, "/proc/" + pid + "/" + file, {"read"});
      } else if (which == 1) {
        add(p, "/proc/self/fd/" + r.num(50), {"read", "write"});
      } else if (which == 2) {
        add(p, "/proc/1234/task/" + std::to_string(1234 + r.below(9)) + "/stat", {"read"});
      } else {
        add(p, "/proc/sys/kernel/k" + r.num(12), {"read"});
      }
    } else if (kind < 91) {
      const char* dev[] = {"/dev/null", "/dev/urandom", "/dev/tty", "/dev/pts/3", "/dev/pts/7"};
      add(p, dev[r.below(5)], {"read", "write"});
    } else if (kind < 94) {
      const std::string cpu = r.num(20);
      const std::string index = r.num(4);
      add(p, "/sys/devices/system/cpu/cpu" + cpu + "/cache/index" + index + "/size", {"read"});
    } else if (kind < 96) {
      // programs run (ix, kept one by one) and libraries mapped executable
      const std::string exe = "/usr/bin/tool" + r.num(30);
      add(p, exe, {"exec", "read"});
      p.process.executables[exe].ev.add("/usr/bin/app");
      add(p, "/usr/lib/x86_64-linux-gnu/lib" + r.num(40) + ".so.1", {"read", "map-exec"});
    } else if (kind < 98) {
      // names that need escaping or quoting
      const char* odd[] = {"a b", "x*y", "br{a,c}e", "@at", "comma,name", "q\"uote", "[set]"};
      const std::string name = odd[r.below(7)];
      add(p, "/srv/odd/" + name + r.num(3), {"read", "write"});
    } else {
      // a path used as a file that is also the prefix of deeper paths
      const std::string base = "/opt/x" + r.num(3) + "/data";
      add(p, base, {"read"});
      const std::string y = r.num(20);
      const std::string z = r.num(20);
      add(p, base + "/y" + y + "/z" + z, {"read"});
    }
  }
  return p;
}

// synthetic() plus the kinds of path it lacks, for the rules' recorded paths: paths recorded as
// directories or as both a directory and a file (types), pid-named and fresh ("mktemp") temp
// names, a run as root that the flags turn into nobody (temp names with "root" in them),
// /proc/self next to the pid it resolves to, paths that normalise onto another's rule ("..",
// "//", " (deleted)"), programs that are also file entries, flock and hard links, creations
// that failed, a relative path and "/" itself.
inline Profile mixed(std::size_t n, unsigned seed) {
  Profile p = synthetic(n, seed);
  Rng r(seed + 1000);
  p.syscalls["x86_64"]["flock"].add("/usr/bin/app");
  p.process.uids[0].add("/usr/bin/app");
  std::size_t i = 0;
  for (auto& [path, use] : p.files) {
    ++i;
    if (use.access.count("readdir"))
      use.types = i % 5 == 0 ? std::set<std::string>{"dir", "file"} : std::set<std::string>{"dir"};
    else if (i % 7 == 0)
      use.types = {"file"};
    else if (i % 97 == 0)
      use.types = {"dir", "symlink"};
  }
  for (const std::uint32_t pid : {4711u, 4712u, 99u, 123456u}) {
    const std::string num = std::to_string(pid);
    for (const std::string& path : {"/tmp/hsperfdata_root/" + num, "/run/app/" + num + ".sock",
                                    "/var/tmp/job-" + num + "-x/out", "/tmp/pid" + num + ".lock"}) {
      add(p, path, {"read", "write", "create"});
      p.files[path].pids.insert(pid);
    }
  }
  for (int k = 0; k < 12; ++k) {
    const std::string name = r.random_name(6 + r.below(4));
    add(p, "/tmp/" + name, {"write", "create", "mktemp"});
    add(p, "/tmp/" + name + "/inner" + std::to_string(k), {"write", "create"});
    add(p, "/dev/shm/" + std::string(k % 2 ? "lowercase" : "report_2024"), {"write", "mktemp"});
  }
  for (const char* path : {"/proc/self/status", "/proc/1/status", "/proc/thread-self/stat",
                           "/proc/1/task/1/stat", "/proc/self", "/proc/self/fd/3", "/proc/1/fd/3"})
    add(p, path, {"read"});
  add(p, "/proc/1/task/1/stat", {"write"});
  add(p, "/usr/share/a1/../a1/./x.txt", {"read"});
  add(p, "/usr/share//a1/x.txt", {"write"});
  add(p, "/usr/lib/libgone.so (deleted)", {"read", "map-exec"});
  add(p, "/usr/lib/libgone.so", {"read"});
  for (const char* exe : {"/usr/bin/tool1", "/usr/bin/tool2", "/proc/self/exe", "/opt/x1/data"}) {
    add(p, exe, {"exec", "read"});
    p.process.executables[exe].ev.add("/usr/bin/app");
  }
  p.process.executables["/usr/bin/never-a-file"].ev.add("/usr/bin/app");
  add(p, "/var/lib/app/db1/src", {"link", "read"});
  add(p, "/var/lib/app/db1/new", {"create", "write"});
  add(p, "/var/lib/app/db1/lockfile", {"write", "read"});
  add(p, "/dev/ttyS0", {"write"});
  add(p, "/var/lib/app/db2/made", {"create"}, false);
  add(p, "/var/lib/app/db2/probe", {"read"}, false);
  add(p, "/var/lib/app/db2/dir", {"mkdir"}, false);
  add(p, "relative/file", {"read"});
  add(p, "/", {"readdir"});
  return p;
}

// Deterministic changes between two runs of the same workload: some files gone, some new ones
// in new and existing directories, more permission on others, other temp names and pids.
inline Profile drifted(const Profile& base, unsigned seed) {
  Rng r(seed);
  Profile p = base;
  std::size_t i = 0;
  for (auto it = p.files.begin(); it != p.files.end(); ++i) {
    if (i % 13 == 5) {
      it = p.files.erase(it);
      continue;
    }
    if (i % 97 == 3) it->second.access.insert("write");
    ++it;
  }
  for (int k = 0; k < 40; ++k) {
    add(p, "/opt/new" + std::to_string(k % 3) + "/n" + std::to_string(k), {"read"});
    add(p, "/usr/share/doc/pkg0/extra" + std::to_string(k), {"read"});
    add(p, "/tmp/tmp" + r.random_name(8), {"write", "create", "unlink"});
    add(p, "/proc/" + std::to_string(4000 + k) + "/status", {"read"});
  }
  add(p, "/etc/shadow", {"read"});
  add(p, "/srv/odd/x*y9", {"read"});
  return p;
}

}  // namespace tailor::test::scale
