// record_overhead: how much slower programs run under `tailor record` (both backends) than
// natively and than under strace, and how little `tailor record --since` and `tailor run`
// (enforce, complain) cost for a program that stays inside its profile; three workloads, pinned
// to one CPU and unpinned. See bench/README.md.
//
// Every configuration of a workload runs in the same interleaved loop (rep 1 of every column,
// then rep 2, ...) so that drift in machine load affects all columns alike; the table shows the
// median wall time of the reps.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
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
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Config {
  int reps = 5;
  long syscalls = 1000000;  // workload (a)
  long io = 100000;         // workload (b)
  int files = 6;            // workload (c)
  double timeout_s = 1200;  // per run; a hung tracer must not hang the benchmark
  bool pinned = true, unpinned = true;
  std::string tailor = TAILOR_BIN;
  std::string only;  // run only workloads whose key (a, b, c) is listed
  std::string tables = "re";
};

using Argv = std::vector<std::string>;

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "record_overhead: %s\n", msg.c_str());
  std::exit(2);
}

// Runs argv with stdio on /dev/null (stderr to `err_file`) and returns its wall time in seconds,
// or nullopt if it failed or timed out (then `why` says how).
std::optional<double> timed_run(const Argv& argv, const std::string& err_file, double timeout_s,
                                std::string& why) {
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    ::setpgid(0, 0);
    int null = ::open("/dev/null", O_RDWR);
    int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(err, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  // A pidfd makes the wait both exact (no polling granularity) and bounded.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  bool timed_out = false;
  if (pidfd >= 0) {
    struct pollfd p = {pidfd, POLLIN, 0};
    int r;
    do r = ::poll(&p, 1, static_cast<int>(timeout_s * 1000));
    while (r < 0 && errno == EINTR);
    timed_out = r == 0;
    ::close(pidfd);
  }
  if (timed_out) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (timed_out) {
    why = "timed out";
    return std::nullopt;
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    std::ifstream in(err_file);
    std::string line;
    std::getline(in, line);
    why = (WIFEXITED(st) ? "exit " + std::to_string(WEXITSTATUS(st))
                         : "signal " + std::to_string(WTERMSIG(st))) +
          (line.empty() ? "" : ": " + line);
    return std::nullopt;
  }
  return secs;
}

struct Workload {
  std::string key, name;
  Argv argv;
  Argv reset;  // run (untimed, untraced) before every timed run, e.g. `make clean`
  // Made once before the timed runs by recording the workload: its tailor profile and the
  // seccomp profile `tailor generate --runtime none` writes from it ({profile} and {seccomp} in
  // a column's prefix).
  std::string profile, seccomp;
};

struct Column {
  std::string name;
  Argv prefix;  // put before the workload's argv
};

Argv expand(const Argv& prefix, const Workload& w) {
  Argv out;
  for (const auto& a : prefix)
    out.push_back(a == "{profile}" ? w.profile : a == "{seccomp}" ? w.seccomp : a);
  return out;
}

int column_named(const std::vector<Column>& columns, const std::string& name) {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == name) return static_cast<int>(i);
  return -1;
}

bool have(const std::string& prog) {
  return std::system(("command -v " + prog + " >/dev/null 2>&1").c_str()) == 0;
}

// Six small translation units (the cost is mostly in starting cc, cc1, as and reading headers,
// which is where a tracer adds its overhead) and a Makefile, so that `make -j2` runs the
// whole cc -> cc1 -> as chain a few times, and a link.
void write_compile_job(const fs::path& dir, int files) {
  fs::create_directories(dir);
  std::ofstream mk(dir / "Makefile");
  std::string objs;
  for (int i = 0; i < files; ++i) objs += " u" + std::to_string(i) + ".o";
  mk << "OBJS =" << objs << "\n"
     << "prog: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n"
     << "%.o: %.c\n\t$(CC) -O2 -c -o $@ $<\n"
     << "clean:\n\trm -f prog $(OBJS)\n";
  for (int i = 0; i < files; ++i) {
    std::ofstream c(dir / ("u" + std::to_string(i) + ".c"));
    c << "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n";
    for (int f = 0; f < 2; ++f) {
      c << "int u" << i << "_f" << f << "(const char* s, int n) {\n"
        << "  int h = " << f << ";\n"
        << "  for (int i = 0; i < n; i++) h = h * 31 + s[i % (strlen(s) + 1)];\n"
        << "  char buf[64]; snprintf(buf, sizeof buf, \"%d\", h);\n"
        << "  return (int)strtol(buf, 0, 10) ^ " << i << ";\n}\n";
    }
    if (i == 0) {
      c << "int main(void) { return 0; }\n";
    }
  }
}

std::string fmt(double v, const char* spec) {
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, v);
  return buf;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Other work on the machine skews the unpinned figures most; the table says how busy it was.
std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string one, five;
  in >> one >> five;
  return one + " " + five;
}

void run_section(const Config& cfg, bool pinned, const std::vector<Workload>& workloads,
                 const std::vector<Column>& columns, const fs::path& tmp,
                 const std::string& title) {
  std::printf("\n== %s, %s: median of %d runs, wall seconds (ratio vs native) ==\n", title.c_str(),
              pinned ? "pinned (`taskset -c 0` around the whole command, tracer included)"
                     : "unpinned (2 CPUs, scheduler decides)",
              cfg.reps);
  const int mine = column_named(columns, "tailor record");
  const int strace = column_named(columns, "strace -f");
  const int notify = column_named(columns, "tailor record --backend notify");
  const int filter = column_named(columns, "filter alone");
  const int run = column_named(columns, "tailor run");
  std::printf("%-30s", "workload");
  for (const auto& c : columns) std::printf("  %-26s", c.name.c_str());
  if (mine > 0 && strace > 0) std::printf("  %s", "tailor vs strace -f");
  if (notify > 0 && strace > 0) std::printf("  %s", "notify vs strace -f");
  if (filter > 0 && run > 0) std::printf("  %s", "tailor run vs filter alone");
  std::printf("\n");
  std::fflush(stdout);

  for (const auto& w : workloads) {
    std::vector<std::vector<double>> times(columns.size());
    std::vector<std::string> failure(columns.size());
    Argv pin = pinned ? Argv{"taskset", "-c", "0"} : Argv{};
    std::string why;
    // Warm-up: page cache, dynamic loader caches, the compiler's files.
    Argv warm = pin;
    warm.insert(warm.end(), w.argv.begin(), w.argv.end());
    if (!w.reset.empty()) timed_run(w.reset, tmp / "reset.err", cfg.timeout_s, why);
    if (!timed_run(warm, tmp / "warm.err", cfg.timeout_s, why))
      die("workload " + w.name + " fails natively: " + why);
    for (int rep = 0; rep < cfg.reps; ++rep) {
      for (size_t c = 0; c < columns.size(); ++c) {
        if (!failure[c].empty()) continue;
        if (!w.reset.empty()) timed_run(w.reset, tmp / "reset.err", cfg.timeout_s, why);
        Argv cmd = pin;
        const Argv prefix = expand(columns[c].prefix, w);
        cmd.insert(cmd.end(), prefix.begin(), prefix.end());
        cmd.insert(cmd.end(), w.argv.begin(), w.argv.end());
        auto t = timed_run(cmd, tmp / "run.err", cfg.timeout_s, why);
        if (t)
          times[c].push_back(*t);
        else
          failure[c] = why;
      }
    }
    std::printf("%-30s", w.name.c_str());
    double native = median(times[0]);
    std::vector<double> med(columns.size(), 0);
    for (size_t c = 0; c < columns.size(); ++c) {
      std::string cell;
      if (!failure[c].empty()) {
        cell = "FAILED";
        std::fprintf(stderr, "record_overhead: %s under %s: %s\n", w.name.c_str(),
                     columns[c].name.c_str(), failure[c].c_str());
      } else {
        med[c] = median(times[c]);
        cell = fmt(med[c], "%.3f s");
        if (c > 0) cell += " (" + fmt(med[c] / native, "%.1fx") + ")";
      }
      std::printf("  %-26s", cell.c_str());
    }
    if (mine > 0 && strace > 0 && med[mine] > 0 && med[strace] > 0)
      std::printf("  %s faster", fmt(med[strace] / med[mine], "%.1fx").c_str());
    if (notify > 0 && strace > 0 && med[notify] > 0 && med[strace] > 0)
      std::printf("  %s faster", fmt(med[strace] / med[notify], "%.1fx").c_str());
    if (filter > 0 && run > 0 && med[filter] > 0 && med[run] > 0)
      std::printf("  %s", fmt(med[run] / med[filter], "%.2fx").c_str());
    std::printf("\n");
    std::fflush(stdout);
  }
  std::printf("(load average at end of section: %s)\n", loadavg().c_str());
}

long env_long(const char* name, long dflt) {
  const char* v = std::getenv(name);
  return v && *v ? std::atol(v) : dflt;
}

void usage() {
  std::printf(
      "usage: record_overhead [--quick] [--reps N] [--syscalls N] [--io N] [--only abc]\n"
      "                       [--tables re] [--pinned-only | --unpinned-only] [--tailor PATH]\n"
      "  --quick        reps 5, 100000 syscalls, 20000 I/O iterations (about a minute or two)\n"
      "  --only abc     which workloads: a = getppid loop, b = small I/O loop, c = make -j2\n"
      "  --tables re    r = recording (backends vs strace), e = inside a known profile\n"
      "                 (record --since, run enforce/complain); default both\n"
      "Environment: TAILOR_BENCH_REPS, TAILOR_BENCH_SYSCALLS, TAILOR_BENCH_IO (flags win).\n");
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  cfg.reps = static_cast<int>(env_long("TAILOR_BENCH_REPS", cfg.reps));
  cfg.syscalls = env_long("TAILOR_BENCH_SYSCALLS", cfg.syscalls);
  cfg.io = env_long("TAILOR_BENCH_IO", cfg.io);
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--quick") {
      cfg.syscalls = 100000;
      cfg.io = 20000;
    } else if (a == "--reps") {
      cfg.reps = std::atoi(next().c_str());
    } else if (a == "--syscalls") {
      cfg.syscalls = std::atol(next().c_str());
    } else if (a == "--io") {
      cfg.io = std::atol(next().c_str());
    } else if (a == "--only") {
      cfg.only = next();
    } else if (a == "--tables") {
      cfg.tables = next();
    } else if (a == "--pinned-only") {
      cfg.unpinned = false;
    } else if (a == "--unpinned-only") {
      cfg.pinned = false;
    } else if (a == "--tailor") {
      cfg.tailor = next();
    } else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else {
      usage();
      die("unknown argument " + a);
    }
  }
  if (cfg.reps < 1) die("--reps must be at least 1");
  if (!fs::exists(cfg.tailor)) die(cfg.tailor + " does not exist; build the `tailor` target");

  char tmpl[] = "/tmp/tailor-bench-XXXXXX";
  if (!::mkdtemp(tmpl)) die("mkdtemp failed");
  const fs::path tmp = tmpl;

  std::vector<Workload> workloads;
  auto want = [&](const std::string& k) {
    return cfg.only.empty() || cfg.only.find(k) != std::string::npos;
  };
  if (want("a"))
    workloads.push_back({"a",
                         "(a) getppid x" + std::to_string(cfg.syscalls),
                         {BENCH_GETPPID, std::to_string(cfg.syscalls)},
                         {}});
  if (want("b")) {
    std::ofstream(tmp / "small.txt") << std::string(200, 'x') << "\n";
    workloads.push_back({"b",
                         "(b) open/read/close x" + std::to_string(cfg.io),
                         {BENCH_SMALLIO, std::to_string(cfg.io), (tmp / "small.txt").string()},
                         {}});
  }
  if (want("c")) {
    write_compile_job(tmp / "job", cfg.files);
    const std::string dir = (tmp / "job").string();
    workloads.push_back({"c",
                         "(c) make -j2, " + std::to_string(cfg.files) + " cc",
                         {"make", "-s", "-j2", "-C", dir},
                         {"make", "-s", "-C", dir, "clean"}});
  }

  const std::string profile = (tmp / "profile.json").string();
  std::vector<Column> recording = {
      {"native", {}},
      {"tailor record", {cfg.tailor, "record", "-q", "-o", profile, "--"}},
  };
  if (have("strace")) {
    recording.push_back({"strace -f", {"strace", "-f", "-qq", "-o", "/dev/null"}});
    recording.push_back(
        {"strace -f --seccomp-bpf", {"strace", "-f", "--seccomp-bpf", "-qq", "-o", "/dev/null"}});
  } else {
    std::printf("strace is not installed: its columns are left out (apt-get install strace)\n");
  }
  recording.push_back({"tailor record --backend notify",
                       {cfg.tailor, "record", "-q", "--backend", "notify", "-o", profile, "--"}});
  // A program that stays inside its profile: re-recording against it, and enforcing it.
  const std::vector<Column> inside = {
      {"native", {}},
      {"filter alone", {BENCH_SECCOMP_EXEC, "{seccomp}"}},
      {"tailor record --since",
       {cfg.tailor, "record", "-q", "--since", "{profile}", "-o", profile, "--"}},
      {"tailor run", {cfg.tailor, "run", "-q", "--seccomp", "{seccomp}", "--"}},
      {"tailor run --complain",
       {cfg.tailor, "run", "-q", "--complain", "--seccomp", "{seccomp}", "--"}},
  };
  if (cfg.tables.find('e') != std::string::npos) {
    // One untimed recording per workload makes the profiles the `inside` columns use.
    for (auto& w : workloads) {
      w.profile = (tmp / ("known-" + w.key + ".json")).string();
      w.seccomp = (tmp / ("seccomp-" + w.key + ".json")).string();
      std::string why;
      if (!w.reset.empty()) timed_run(w.reset, tmp / "reset.err", cfg.timeout_s, why);
      Argv rec = {cfg.tailor,  "record",  "-q",        "-o",   w.profile,
                  "--seccomp", w.seccomp, "--runtime", "none", "--"};
      rec.insert(rec.end(), w.argv.begin(), w.argv.end());
      if (!timed_run(rec, tmp / "known.err", cfg.timeout_s, why))
        die("recording " + w.name + " for its profile failed: " + why);
    }
  }

  std::printf("record_overhead: %s, %ld CPUs online, load average %s\n", cfg.tailor.c_str(),
              ::sysconf(_SC_NPROCESSORS_ONLN), loadavg().c_str());
  for (bool pinned : {true, false}) {
    if (!(pinned ? cfg.pinned : cfg.unpinned)) continue;
    if (cfg.tables.find('r') != std::string::npos)
      run_section(cfg, pinned, workloads, recording, tmp, "recording");
    if (cfg.tables.find('e') != std::string::npos)
      run_section(cfg, pinned, workloads, inside, tmp, "inside a known profile");
  }

  std::error_code ec;
  fs::remove_all(tmp, ec);
  return 0;
}
