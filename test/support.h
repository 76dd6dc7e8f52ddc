// Shared helpers for tests that run real processes: a temp dir that cleans itself, and a way
// to run a command with a timeout, capturing its output and exit status.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "bpf_backend.h"
#include "tailor/profile.h"
#include "tailor/profile_json.h"

namespace tailor::test {

inline std::string tailor_bin() {
  return TAILOR_BIN;
}
inline std::string sample(const std::string& name) {
  return std::string(TAILOR_SAMPLES_DIR) + "/" + name;
}

// The whole file as text, or "" if it cannot be read (a /proc file of a process that is gone).
// The non-empty lines of `s` (stderr of a run, for instance).
inline std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string l; std::getline(ss, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

inline std::string read_text(const std::string& path) {
  // A /proc file of a process that exits while it is read fails with ESRCH mid-read, which
  // libstdc++ reports by throwing from the stream buffer.
  try {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  } catch (const std::exception&) {
    return {};
  }
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tailor-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
    ::chmod(path_.c_str(), 0755);  // tests also run workloads as other users
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct RunResult {
  int status = -1;       // shell-style: exit code or 128+signal; -1 on timeout
  std::string out, err;  // captured stdout and stderr
  bool timed_out = false;
};

// Runs argv (execvp) with stdin from /dev/null, capturing stdout/stderr. Kills the process
// group on timeout. `setup`, if given, runs in the child before exec.
inline RunResult run(const std::vector<std::string>& argv, double timeout_s = 120,
                     void (*setup)() = nullptr) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    if (setup) setup();
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    // Say why (ENOEXEC on a machine without i386 support, ENOENT...): 127 alone hides it.
    const std::string why = argv[0] + ": " + std::strerror(errno) + "\n";
    (void)!::write(2, why.data(), why.size());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  RunResult r;
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<long>(timeout_s * 1000));
  struct pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      r.timed_out = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left)) < 0) continue;
    for (auto& f : fds) {
      if (f.fd < 0 || !(f.revents & (POLLIN | POLLHUP))) continue;
      char buf[8192];
      ssize_t n = ::read(f.fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(f.fd);
        f.fd = -1;
        --open_fds;
      } else {
        (&f == &fds[0] ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  int st = 0;
  ::waitpid(pid, &st, 0);
  if (r.timed_out) return r;
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

// `tailor record -o OUT -- argv...`, returning the run and the profile it wrote.
struct Recorded {
  RunResult run;
  Profile profile;
};

inline Recorded record(const std::vector<std::string>& argv, const std::string& out,
                       const std::vector<std::string>& extra = {}, double timeout_s = 120) {
  std::vector<std::string> cmd = {tailor_bin(), "record", "-q", "-o", out};
  cmd.insert(cmd.end(), extra.begin(), extra.end());
  cmd.push_back("--");
  cmd.insert(cmd.end(), argv.begin(), argv.end());
  Recorded r;
  r.run = run(cmd, timeout_s);
  if (std::filesystem::exists(out)) r.profile = load_profile(out);
  return r;
}

// Whether `prog` is on PATH (tests that need an optional tool skip without it).
inline bool have(const std::string& prog) {
  return std::system(("command -v " + prog + " >/dev/null 2>&1").c_str()) == 0;
}

// Why this machine cannot run i386 code, or "" if it can. Some machines build -m32 programs
// (gcc-multilib) but cannot execute them (a kernel without IA32 emulation: "Exec format
// error"), so this is decided at run time, once, by running the -m32 sample that the build
// made. TAILOR_TEST_NO_I386=1 forces the answer "cannot" (to exercise the skips on a machine
// that can). Tests skip exactly their i386 parts with one WARN line giving this reason.
inline const std::string& i386_unavailable() {
  static const std::string reason = [] {
    const char* force = std::getenv("TAILOR_TEST_NO_I386");
    if (force && *force && std::string(force) != "0")
      return std::string("TAILOR_TEST_NO_I386 is set");
    const std::string exe = sample("hello32");
    if (!std::filesystem::exists(exe)) return std::string("samples/hello32 (-m32) was not built");
    char tmpl[] = "/tmp/tailor-i386-probe-XXXXXX";
    if (!::mkdtemp(tmpl)) return std::string("mkdtemp failed");
    const RunResult r = run({exe, tmpl}, 30);
    std::error_code ec;
    std::filesystem::remove_all(tmpl, ec);
    if (r.status == 0) return std::string();
    return "this machine cannot run i386 programs (samples/hello32 exited " +
           std::to_string(r.status) +
           (r.err.empty() ? "" : ": " + r.err.substr(0, r.err.find('\n'))) + ")";
  }();
  return reason;
}

// Why `tailor record --backend bpf` cannot record on this machine, or "" if it can. First what
// tailor itself checks (a build without the recorder, no BTF, no CAP_BPF/CAP_SYS_ADMIN), then one
// real recording, since a kernel can still refuse to load or attach the programs (lockdown, an
// older verifier), which tailor reports with exit 125. Any other failure of the probe is left
// for the tests to show, not turned into a skip. Decided once; tests that record with bpf skip
// exactly their bpf parts with one WARN line giving this reason.
inline const std::string& bpf_unavailable() {
  static const std::string reason = []() -> std::string {
    if (auto why = tailor::tracer::BpfBackend::unavailable_reason(); !why.empty()) return why;
    char tmpl[] = "/tmp/tailor-bpf-probe-XXXXXX";
    if (!::mkdtemp(tmpl)) return "mkdtemp failed";
    const RunResult r = run({tailor_bin(), "record", "-q", "--backend", "bpf", "-o",
                             std::string(tmpl) + "/p.json", "--", "true"},
                            60);
    std::error_code ec;
    std::filesystem::remove_all(tmpl, ec);
    if (r.status != 125) return std::string();
    return "tailor record --backend bpf exits 125 here: " + r.err.substr(0, r.err.find('\n'));
  }();
  return reason;
}

inline bool has_syscall(const Profile& p, const std::string& arch, const std::string& name) {
  auto a = p.syscalls.find(arch);
  return a != p.syscalls.end() && a->second.count(name) > 0;
}

}  // namespace tailor::test
