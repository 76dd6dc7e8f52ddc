// record_overhead: how much slower programs run under `tailor record` (each backend: ptrace,
// notify, bpf) than natively and than under `strace -f`, what tailor's own start-up costs, and
// how little `tailor record --since` and `tailor run` (enforce, complain) cost for a program that
// stays inside its profile; four workloads, pinned to one CPU and unpinned. See bench/README.md.
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
  int files = 3;            // workload (c)
  long forks = 500;         // workload (d)
  // The recorders that stop the workload at every syscall (ptrace, notify, strace -f) run 1/N of
  // the loops (a) and (b), and their time is scaled up (see `scaled`): at 5-40 us a stop, the
  // whole loops under them would take longer than the rest of the table together, and their
  // cost per iteration is what it is whatever the count.
  long fraction = 10;
  double timeout_s = 1200;  // per run; a hung tracer must not hang the benchmark
  bool pinned = true, unpinned = true;
  std::string tailor = TAILOR_BIN;
  std::string only;  // run only workloads whose key (a, b, c, d; s = start-up) is listed
  std::string tables = "re";
  std::string markdown;  // also write the recording tables here, as markdown
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
  // 1/reduced_factor of the same work, for the columns too slow for the whole
  // (`Column::reduced`); their time is scaled up by `scaled`. Empty: those columns run `argv`.
  Argv reduced;
  long reduced_factor = 1;
};

struct Column {
  std::string name;
  Argv prefix;              // put before the workload's argv
  bool vs_strace = false;   // gets a "NAME vs strace -f" column: strace's time / this one's
  bool reduced = false;     // runs the workload's reduced form where it has one
  bool has_target = false;  // the targets apply to this column (bpf)
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

// A C++ build: `files` translation units that each include <algorithm>, <map>, <regex>,
// <sstream>, <string> and <vector> and instantiate std::map, std::istringstream and std::sort on
// types of their own, compiled by `make -j2` with g++ -O1 and linked. Most of its time is the
// compiler's CPU (parsing the library headers, instantiating templates); its syscalls are the
// header opens and mmaps and the make/sh/g++/cc1plus/as/collect2/ld processes: a job a recorder
// should barely slow down. (Instantiating std::regex itself would triple each unit's time
// without adding a syscall.)
void write_compile_job(const fs::path& dir, int files) {
  fs::create_directories(dir);
  std::ofstream mk(dir / "Makefile");
  std::string objs;
  for (int i = 0; i < files; ++i) objs += " u" + std::to_string(i) + ".o";
  mk << "CXX = g++\nOBJS =" << objs << "\n"
     << "prog: $(OBJS)\n\t$(CXX) -o $@ $(OBJS)\n"
     << "%.o: %.cpp\n\t$(CXX) -std=c++17 -O1 -c -o $@ $<\n"
     << "clean:\n\trm -f prog $(OBJS)\n";
  for (int i = 0; i < files; ++i) {
    const std::string ns = "u" + std::to_string(i), n = "count" + std::to_string(i);
    std::ofstream c(dir / (ns + ".cpp"));
    c << "#include <algorithm>\n#include <map>\n#include <regex>\n#include <sstream>\n"
      << "#include <string>\n#include <vector>\n"
      << "namespace " << ns << " {\n"
      << "struct Word { std::string text; int " << n << "; };\n"
      << "std::vector<Word> words(const std::string& text) {\n"
      << "  std::map<std::string, int> m;\n"
      << "  std::istringstream in(text);\n"
      << "  for (std::string w; in >> w;) ++m[w];\n"
      << "  std::vector<Word> v;\n"
      << "  for (const auto& [k, n] : m) v.push_back({k, n});\n"
      << "  std::sort(v.begin(), v.end(), [](const Word& a, const Word& b) {\n"
      << "    return a." << n << " > b." << n << " || (a." << n << " == b." << n
      << " && a.text < b.text);\n"
      << "  });\n"
      << "  return v;\n}\n"
      << "}  // namespace " << ns << "\n";
    if (i == 0)
      c << "int main(int argc, char** argv) { return argc > 1 && u0::words(argv[1]).empty(); }\n";
  }
}

std::string fmt(double v, const char* spec) {
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, v);
  return buf;
}

// Two decimals where a target like 1.1x has to be read off, fewer for the large ratios.
std::string ratio(double r) {
  return fmt(r, r < 10 ? "%.2fx" : r < 100 ? "%.1fx" : "%.0fx");
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

// The targets for the bpf backend (issue 11), printed beside the figures, not asserted.
struct Target {
  double max_native = 0;     // bpf time / native time at most this
  double min_vs_strace = 0;  // strace -f time / bpf time at least this (0: none)
};

std::optional<Target> target_for(const std::string& key) {
  if (key == "a") return Target{1.5, 20};
  if (key == "b") return Target{2.0, 0};
  if (key == "c") return Target{1.1, 0};
  if (key == "d") return Target{1.2, 0};
  return std::nullopt;
}

// What a recorder costs before and after the workload: `RECORDER -- true` minus native `true`,
// per column; median of the reps. Index = column index; 0 where not measured.
struct Startup {
  std::vector<double> cost;       // seconds
  std::vector<double> true_time;  // `RECORDER -- true` itself (index 0: native `true`)
};

// A column that ran 1/N of the loop took t = S + L/N, S being what a run costs whatever the
// loop's length (the recorder's start-up and exit, starting the workload's process under it) and
// L the whole loop; `true` under the same recorder measures S. So the whole run would take
// S + L = N*t - (N-1)*S. Without S (start-up not measured), N*t: slightly more.
double scaled(double t, long n, double s) {
  return static_cast<double>(n) * t - (n - 1) * s;
}

// Markdown copy of the recording tables (--markdown), for the README.
struct Markdown {
  std::string text;
};

void interleaved_reps(const Config& cfg, int reps, const Workload& w,
                      const std::vector<Column>& columns, const Argv& pin, const fs::path& tmp,
                      std::vector<std::vector<double>>& times, std::vector<std::string>& failure) {
  std::string why;
  for (int rep = 0; rep < reps; ++rep) {
    for (size_t c = 0; c < columns.size(); ++c) {
      if (!failure[c].empty()) continue;
      if (!w.reset.empty()) timed_run(w.reset, tmp / "reset.err", cfg.timeout_s, why);
      const bool reduced = columns[c].reduced && !w.reduced.empty();
      const Argv& body = reduced ? w.reduced : w.argv;
      Argv cmd = pin;
      const Argv prefix = expand(columns[c].prefix, w);
      cmd.insert(cmd.end(), prefix.begin(), prefix.end());
      cmd.insert(cmd.end(), body.begin(), body.end());
      auto t = timed_run(cmd, tmp / "run.err", cfg.timeout_s, why);
      if (t)
        times[c].push_back(*t);
      else
        failure[c] = why;
    }
  }
}

// The start-up line: `true` natively and under every recorder of the recording table.
Startup measure_startup(const Config& cfg, bool pinned, const std::vector<Column>& columns,
                        const fs::path& tmp, Markdown* md) {
  Startup st;
  st.cost.assign(columns.size(), 0);
  st.true_time.assign(columns.size(), 0);
  Workload w;
  w.argv = {"true"};
  Argv pin = pinned ? Argv{"taskset", "-c", "0"} : Argv{};
  std::vector<std::vector<double>> times(columns.size());
  std::vector<std::string> failure(columns.size());
  // It is cheap and its differences are small: more reps than the workloads.
  interleaved_reps(cfg, std::max(cfg.reps, 11), w, columns, pin, tmp, times, failure);
  if (!failure[0].empty()) die("`true` fails natively: " + failure[0]);
  st.true_time[0] = median(times[0]);
  std::string line = "start-up, `RECORDER -- true` minus native `true` (" +
                     fmt(st.true_time[0] * 1000, "%.1f ms") + "), median of " +
                     std::to_string(std::max(cfg.reps, 11)) + ":";
  for (size_t i = 1; i < columns.size(); ++i) {
    if (!failure[i].empty()) {
      std::fprintf(stderr, "record_overhead: start-up under %s: %s\n", columns[i].name.c_str(),
                   failure[i].c_str());
      line += " " + columns[i].name + " FAILED";
      continue;
    }
    st.true_time[i] = median(times[i]);
    st.cost[i] = st.true_time[i] - st.true_time[0];
    line += " " + columns[i].name + " " + fmt(st.cost[i] * 1000, "%.0f ms") +
            (i + 1 < columns.size() ? "," : "");
  }
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  if (md) md->text += "\n" + line + "\n";
  return st;
}

void run_section(const Config& cfg, bool pinned, const std::vector<Workload>& workloads,
                 const std::vector<Column>& columns, const fs::path& tmp, const std::string& title,
                 bool startup, Markdown* md) {
  const std::string placement =
      pinned ? "pinned (`taskset -c 0` around the whole command, tracer included)"
             : "unpinned (2 CPUs, scheduler decides)";
  std::printf("\n== %s, %s: median of %d runs, wall seconds (ratio vs native) ==\n", title.c_str(),
              placement.c_str(), cfg.reps);
  if (md)
    md->text += "\n**" + title + ", " + placement + "**, median of " + std::to_string(cfg.reps) +
                " runs, wall seconds (ratio vs native)\n";
  // First, so that the markdown table below stays one block and the rows can use it.
  Startup st;
  if (startup) st = measure_startup(cfg, pinned, columns, tmp, md);
  const int strace = column_named(columns, "strace -f");
  const int filter = column_named(columns, "filter alone");
  const int run = column_named(columns, "tailor run");
  int target_col = -1;
  for (size_t c = 0; c < columns.size(); ++c)
    if (columns[c].has_target) target_col = static_cast<int>(c);
  const int width = title == "recording" ? 20 : 26;
  std::printf("%-30s", "workload");
  for (const auto& c : columns) std::printf("  %-*s", width, c.name.c_str());
  if (strace > 0)
    for (const auto& c : columns)
      if (c.vs_strace) std::printf("  %-18s", (c.name + " vs strace").c_str());
  if (filter > 0 && run > 0) std::printf("  %s", "tailor run vs filter alone");
  if (target_col > 0) std::printf("  %s target (issue 11)", columns[target_col].name.c_str());
  std::printf("\n");
  std::fflush(stdout);
  if (md) {
    md->text += "\n| workload |";
    std::string rule = "|---|";
    for (const auto& c : columns) {
      md->text += " " + c.name + " |";
      rule += "---|";
    }
    if (strace > 0)
      for (const auto& c : columns)
        if (c.vs_strace) {
          md->text += " " + c.name + " vs strace -f |";
          rule += "---|";
        }
    if (target_col > 0) {
      md->text += " " + columns[target_col].name + " target |";
      rule += "---|";
    }
    md->text += "\n" + rule + "\n";
  }

  bool any_reduced = false;
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
    interleaved_reps(cfg, cfg.reps, w, columns, pin, tmp, times, failure);

    std::printf("%-30s", w.name.c_str());
    std::string mdrow = "| " + w.name + " |";
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
        const bool reduced = columns[c].reduced && !w.reduced.empty();
        if (reduced)
          med[c] = scaled(med[c], w.reduced_factor, st.true_time.empty() ? 0 : st.true_time[c]);
        any_reduced |= reduced;
        cell = fmt(med[c], "%.3f s") + (reduced ? "*" : "");
        if (c > 0) cell += " (" + ratio(med[c] / native) + ")";
      }
      std::printf("  %-*s", width, cell.c_str());
      mdrow += " " + cell + " |";
    }
    if (strace > 0)
      for (size_t c = 0; c < columns.size(); ++c) {
        if (!columns[c].vs_strace) continue;
        std::string cell =
            med[c] > 0 && med[strace] > 0 ? ratio(med[strace] / med[c]) + " faster" : "-";
        std::printf("  %-18s", cell.c_str());
        mdrow += " " + cell + " |";
      }
    if (filter > 0 && run > 0 && med[filter] > 0 && med[run] > 0)
      std::printf("  %s", fmt(med[run] / med[filter], "%.2fx").c_str());
    if (target_col > 0) {
      std::string cell = "-";
      if (auto t = target_for(w.key)) {
        const std::string native_part = "<= " + fmt(t->max_native, "%.1f") + "x native";
        const std::string strace_part =
            ">= " + fmt(t->min_vs_strace, "%.0f") + "x faster than strace -f";
        cell = native_part;
        if (med[target_col] > 0) {
          cell += med[target_col] / native <= t->max_native ? ": met" : ": missed";
          // The fixed start-up is paid once per command, not per unit of work; the ratio
          // without it says what the workload itself pays.
          if (st.cost.size() > static_cast<size_t>(target_col) && st.cost[target_col] > 0)
            cell += " (" + ratio((med[target_col] - st.cost[target_col]) / native) +
                    " without start-up)";
        }
        if (t->min_vs_strace > 0) {
          cell += "; " + strace_part;
          if (strace > 0 && med[strace] > 0 && med[target_col] > 0)
            cell += med[strace] / med[target_col] >= t->min_vs_strace ? ": met" : ": missed";
        }
      }
      std::printf("  %s", cell.c_str());
      mdrow += " " + cell + " |";
    }
    std::printf("\n");
    std::fflush(stdout);
    if (md) md->text += mdrow + "\n";
  }
  if (any_reduced) {
    std::string who;
    for (const auto& c : columns)
      if (c.reduced) who += (who.empty() ? "" : ", ") + c.name;
    for (const auto& w : workloads)
      if (!w.reduced.empty()) {
        const std::string n = std::to_string(w.reduced_factor);
        std::string note = "* " + who + ": ran 1/" + n + " of " + w.name + "; shown: " + n +
                           " x that time" +
                           (st.true_time.empty() ? ""
                                                 : " - " + std::to_string(w.reduced_factor - 1) +
                                                       " x the same recorder's `true` (start-up)");
        std::printf("%s\n", note.c_str());
        if (md) md->text += "\n" + note + "\n";
      }
  }
  std::printf("(load average at end of section: %s)\n", loadavg().c_str());
  if (md) md->text += "\n(load average at end of section: " + loadavg() + ")\n";
}

long env_long(const char* name, long dflt) {
  const char* v = std::getenv(name);
  return v && *v ? std::atol(v) : dflt;
}

void usage() {
  std::printf(
      "usage: record_overhead [--quick] [--reps N] [--syscalls N] [--io N] [--files N]\n"
      "                       [--forks N] [--fraction N] [--only abcds] [--tables re]\n"
      "                       [--pinned-only | --unpinned-only] [--tailor PATH]\n"
      "                       [--markdown FILE]\n"
      "  --quick        reps 5, 100000 syscalls, 20000 I/O iterations, 2 C++ files, 100 forks\n"
      "  --only abcds   which workloads: a = getppid loop, b = small I/O loop, c = C++ build\n"
      "                 (make -j2), d = fork+exec loop (sh -c true); s = tailor's start-up line\n"
      "  --tables re    r = recording (backends vs strace), e = inside a known profile\n"
      "                 (record --since, run enforce/complain); default both\n"
      "  --fraction N   ptrace, notify and strace -f run 1/N of loops (a) and (b), time scaled\n"
      "                 up (default 10; 1 = the whole loops)\n"
      "  --markdown FILE      also write the recording tables to FILE as markdown\n"
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
      cfg.files = 2;
      cfg.forks = 100;
    } else if (a == "--reps") {
      cfg.reps = std::atoi(next().c_str());
    } else if (a == "--syscalls") {
      cfg.syscalls = std::atol(next().c_str());
    } else if (a == "--io") {
      cfg.io = std::atol(next().c_str());
    } else if (a == "--files") {
      cfg.files = std::atoi(next().c_str());
    } else if (a == "--forks") {
      cfg.forks = std::atol(next().c_str());
    } else if (a == "--fraction") {
      cfg.fraction = std::atol(next().c_str());
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
    } else if (a == "--markdown") {
      cfg.markdown = next();
    } else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else {
      usage();
      die("unknown argument " + a);
    }
  }
  if (cfg.reps < 1) die("--reps must be at least 1");
  if (cfg.files < 1 || cfg.forks < 1 || cfg.fraction < 1)
    die("--files, --forks and --fraction must be at least 1");
  if (!fs::exists(cfg.tailor)) die(cfg.tailor + " does not exist; build the `tailor` target");

  char tmpl[] = "/tmp/tailor-bench-XXXXXX";
  if (!::mkdtemp(tmpl)) die("mkdtemp failed");
  const fs::path tmp = tmpl;

  std::vector<Workload> workloads;
  auto want = [&](const std::string& k) {
    return cfg.only.empty() || cfg.only.find(k) != std::string::npos;
  };
  auto add = [&](const std::string& key, const std::string& name, Argv args) -> Workload& {
    Workload w;
    w.key = key;
    w.name = name;
    w.argv = std::move(args);
    workloads.push_back(std::move(w));
    return workloads.back();
  };
  const std::string io_file = (tmp / "small.txt").string();
  if (want("a")) {
    auto& w = add("a", "(a) getppid x" + std::to_string(cfg.syscalls),
                  {BENCH_GETPPID, std::to_string(cfg.syscalls)});
    if (cfg.fraction > 1) {
      w.reduced = {BENCH_GETPPID, std::to_string(cfg.syscalls / cfg.fraction)};
      w.reduced_factor = cfg.fraction;
    }
  }
  if (want("b")) {
    std::ofstream(io_file) << std::string(200, 'x') << "\n";
    auto& w = add("b", "(b) open/read/close x" + std::to_string(cfg.io),
                  {BENCH_SMALLIO, std::to_string(cfg.io), io_file});
    if (cfg.fraction > 1) {
      w.reduced = {BENCH_SMALLIO, std::to_string(cfg.io / cfg.fraction), io_file};
      w.reduced_factor = cfg.fraction;
    }
  }
  if (want("c")) {
    write_compile_job(tmp / "job", cfg.files);
    const std::string dir = (tmp / "job").string();
    add("c", "(c) make -j2, " + std::to_string(cfg.files) + " g++ -O1",
        {"make", "-s", "-j2", "-C", dir})
        .reset = {"make", "-s", "-C", dir, "clean"};
  }
  if (want("d")) {
    // sh forks and execs /bin/sh, which runs the builtin `true` and exits: one fork, one exec,
    // one dynamic-linker start-up and one exit per iteration.
    const std::string n = std::to_string(cfg.forks);
    add("d", "(d) fork+exec x" + n + " sh -c true",
        {"sh", "-c", "i=0; while [ $i -lt " + n + " ]; do sh -c true; i=$((i+1)); done"});
  }

  const std::string profile = (tmp / "profile.json").string();
  auto record = [&](const std::string& backend) {
    return Argv{cfg.tailor, "record", "-q", "--backend", backend, "-o", profile, "--"};
  };
  std::vector<Column> recording = {
      {"native", {}},
      {"ptrace", record("ptrace"), true, true},
      {"notify", record("notify"), true, true},
      {"bpf", record("bpf"), true, false, true},
  };
  if (have("strace")) {
    recording.push_back({"strace -f", {"strace", "-f", "-qq", "-o", "/dev/null"}, false, true});
  } else {
    std::printf("strace is not installed: its column is left out (apt-get install strace)\n");
  }
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
  Markdown md;
  for (bool pinned : {true, false}) {
    if (!(pinned ? cfg.pinned : cfg.unpinned)) continue;
    if (cfg.tables.find('r') != std::string::npos)
      run_section(cfg, pinned, workloads, recording, tmp, "recording", want("s"),
                  cfg.markdown.empty() ? nullptr : &md);
    if (cfg.tables.find('e') != std::string::npos)
      run_section(cfg, pinned, workloads, inside, tmp, "inside a known profile", false, nullptr);
  }
  if (!cfg.markdown.empty()) {
    std::ofstream out(cfg.markdown);
    out << md.text;
    if (!out) die("cannot write " + cfg.markdown);
  }

  std::error_code ec;
  fs::remove_all(tmp, ec);
  return 0;
}
