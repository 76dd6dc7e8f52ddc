// analyze: how complete and how tight `tailor analyze` is on real Debian programs nobody here
// wrote, and how fast. See bench/README.md.
//
// For each program:
//   recorded  distinct syscalls (x86_64) a recording of one run saw (execve left out: the
//             parent makes it);
//   static    distinct syscalls analysis finds reachable in every executable the run started
//             and the libraries it loaded (what `record --static` adds);
//   recall    recorded ∩ static / recorded — the bar is >= 99 %;
//   vs moby   static set size against the container default (moby's profile as Debian ships
//             it for podman, /usr/share/containers/seccomp.json, resolved for Docker's default
//             capabilities), about 300 allowed names on x86_64;
//   cold/warm `tailor analyze BINARY` wall time with an empty cache and again with the cache
//             (the binary and its whole library closure), median of --reps.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tailor/profile.h"
#include "tailor/profile_json.h"
#include "tailor/seccomp.h"
#include "tailor/syscalls.h"

namespace fs = std::filesystem;

namespace {

using Argv = std::vector<std::string>;

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "analyze bench: %s\n", msg.c_str());
  std::exit(2);
}

// Runs argv with stdio on /dev/null and `env` added; returns its wall time, or nullopt if it
// failed.
std::optional<double> timed(const Argv& argv, const std::vector<std::string>& env = {}) {
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return std::nullopt;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::string find_program(const std::string& name) {
  for (const char* dir : {"/usr/bin", "/bin", "/usr/sbin", "/sbin"}) {
    const std::string p = std::string(dir) + "/" + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

// Names the container default allows on x86_64 (unconditionally or for Docker's default caps).
std::optional<std::size_t> moby_default_size() {
  const std::string path = "/usr/share/containers/seccomp.json";
  if (!fs::exists(path)) return std::nullopt;
  const std::set<std::string> docker_caps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  const auto policy = tailor::resolve_seccomp_policy(
      tailor::seccomp_policy_from_json(tailor::read_file(path)), docker_caps);
  const auto arch = tailor::arch_token("x86_64");
  std::set<std::string> names;
  for (const auto& rule : policy.syscalls)
    if (rule.action == "SCMP_ACT_ALLOW")
      for (const auto& n : rule.names)
        if (tailor::syscall_number(*arch, n)) names.insert(n);
  return names.size();
}

struct Workload {
  std::string label;
  Argv argv;  // argv[0] is resolved to a path
};

}  // namespace

int main(int argc, char** argv) {
  int reps = 3;
  std::string tailor = TAILOR_BIN;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--help" || a == "-h") {
      std::printf("usage: analyze [--reps N]\n");
      return 0;
    } else {
      die("unknown argument " + a);
    }
  }
  char tmpl[] = "/tmp/tailor-bench-analyze-XXXXXX";
  if (!::mkdtemp(tmpl)) die("mkdtemp failed");
  const std::string tmp = tmpl;
  std::ofstream(tmp + "/in.txt") << "hello analyzer\n";
  fs::create_directories(tmp + "/tree/a/b");
  std::ofstream(tmp + "/tree/a/b/f") << "x";

  const std::vector<Workload> all = {
      {"ls -la", {"ls", "-la", "/usr/bin"}},
      {"cp -r", {"cp", "-r", tmp + "/tree", tmp + "/tree2"}},
      {"find", {"find", tmp, "-name", "f"}},
      {"grep -r", {"grep", "-r", "hello", tmp}},
      {"sed -i", {"sed", "-i", "s/hello/bye/", tmp + "/in.txt"}},
      {"tar czf", {"tar", "czf", tmp + "/a.tgz", "-C", tmp, "tree"}},
      {"gzip", {"gzip", "-k", "-f", tmp + "/in.txt"}},
      {"bash script", {"bash", "-c", "for i in 1 2 3; do echo $i; done | sort -r > /dev/null"}},
      {"perl", {"perl", "-e", "opendir(D,'/'); my @x=readdir(D); system('true')"}},
      {"python3",
       {"python3", "-c",
        "import os,socket,threading,json,tempfile\n"
        "s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen()\n"
        "c=socket.create_connection(s.getsockname()); a,_=s.accept(); a.send(b'x')\n"
        "c.recv(1); t=threading.Thread(target=lambda: None); t.start(); t.join()\n"
        "d=tempfile.mkdtemp(); open(d+'/f','w').write('x'); os.unlink(d+'/f')\n"
        "os.rmdir(d); print(json.dumps(os.listdir('/')))\n"}},
      {"sqlite3",
       {"sqlite3", tmp + "/db",
        "create table t(a); insert into t values(1); select count(*) from t;"}},
      {"curl file://", {"curl", "-s", "-o", tmp + "/out", "file://" + tmp + "/in.txt"}},
      {"openssl sha256", {"openssl", "sha256", tmp + "/in.txt"}},
      {"git init", {"git", "init", "-q", tmp + "/repo"}},
  };

  const auto moby = moby_default_size();
  std::printf(
      "tailor analyze on Debian programs (x86_64; recall = recorded syscalls found "
      "statically)\n");
  std::printf("container default (moby's, /usr/share/containers/seccomp.json): %s syscalls\n\n",
              moby ? std::to_string(*moby).c_str() : "n/a");
  std::printf("%-15s %8s %7s %8s %8s %9s %9s %s\n", "program", "recorded", "static", "recall",
              "vs moby", "cold s", "warm ms", "not found");
  std::size_t rec_total = 0, found_total = 0;
  for (Workload w : all) {
    const std::string path = find_program(w.argv[0]);
    if (path.empty()) {
      std::printf("%-15s %8s (not installed)\n", w.label.c_str(), "-");
      continue;
    }
    w.argv[0] = path;
    // Record one run with --static: both evidences in one profile.
    const std::string out = tmp + "/p.json", cache = tmp + "/cache";
    Argv rec = {tailor, "record", "-q", "--static", "-o", out, "--"};
    rec.insert(rec.end(), w.argv.begin(), w.argv.end());
    fs::remove_all(cache);
    if (!timed(rec, {"XDG_CACHE_HOME=" + cache})) {
      std::printf("%-15s recording failed\n", w.label.c_str());
      continue;
    }
    const tailor::Profile p = tailor::load_profile(out);
    std::size_t recorded = 0, found = 0, reach = 0;
    std::string missing;
    if (auto a = p.syscalls.find("x86_64"); a != p.syscalls.end()) {
      for (const auto& [name, ev] : a->second) {
        if (!ev.sites.empty()) ++reach;
        if (ev.by.empty() || name == "execve") continue;
        ++recorded;
        if (!ev.sites.empty()) {
          ++found;
        } else {
          missing += (missing.empty() ? "" : ",") + name;
        }
      }
    }
    rec_total += recorded;
    found_total += found;
    // Speed: the program's binary and its closure, cold then warm.
    std::vector<double> cold, warm;
    for (int r = 0; r < reps; ++r) {
      fs::remove_all(cache);
      const Argv an = {tailor, "analyze", "-q", "-o", tmp + "/s.json", path};
      if (auto t = timed(an, {"XDG_CACHE_HOME=" + cache})) cold.push_back(*t);
      if (auto t = timed(an, {"XDG_CACHE_HOME=" + cache})) warm.push_back(*t);
    }
    char vs[16] = "n/a";
    if (moby)
      std::snprintf(vs, sizeof vs, "%.0f%%",
                    100.0 * static_cast<double>(reach) / static_cast<double>(*moby));
    std::printf(
        "%-15s %8zu %7zu %7.1f%% %8s %9.3f %9.1f %s\n", w.label.c_str(), recorded, reach,
        recorded ? 100.0 * static_cast<double>(found) / static_cast<double>(recorded) : 100.0, vs,
        median(cold), 1000 * median(warm), missing.empty() ? "-" : missing.c_str());
  }
  std::printf("\nall programs: %zu of %zu recorded syscalls found statically (%.2f%%)\n",
              found_total, rec_total,
              rec_total ? 100.0 * static_cast<double>(found_total) / static_cast<double>(rec_total)
                        : 100.0);
  fs::remove_all(tmp);
  return 0;
}
