// scale_bench: how `tailor diff`, `merge`, `generate` and `report` grow with the number of files in
// a profile. See bench/README.md.
//
// It records one big real profile (`tailor record -- grep -r -l zzzqqq DIR...`, the recursive
// search of issue 10), then cuts it into profiles of the sizes asked for: the first N file
// entries in path order (whole directory trees, as a smaller search would give). A size beyond
// the recording is made of copies of it under renamed roots ("/usr/share" -> "/usr/share-copy1"),
// which keeps every directory's depth and shape. For each size it times, as separate processes of
// the real CLI (median of --reps), CPU time (user + system) and wall time in two tables:
//   load       read + parse the profile (in this process: profile_from_json)
//   write      serialise it (in this process: to_json)
//   diff self  `tailor diff P P`
//   diff drift `tailor diff OLD P`, OLD = P without every 20th file: the files axis has to match
//              the paths of every rule that differs against the other side's patterns
//   merge      `tailor merge P P -o M`
//   generate   `tailor generate P --seccomp S --apparmor A --flags docker --flags-output F`
//   report     `tailor report P -o R.html` (every file listed, by directory)
//   report old `tailor report P --old OLD -o R.html` (the page with the drift drawn)
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tailor/emitters.h"
#include "tailor/profile.h"
#include "tailor/profile_json.h"

namespace fs = std::filesystem;

namespace {

using Argv = std::vector<std::string>;

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "scale bench: %s\n", msg.c_str());
  std::exit(2);
}

// Wall and CPU (user + system) seconds of one measurement. The CPU time is what the work costs;
// wall time on a shared machine also holds the time other processes had the CPUs.
struct Time {
  double wall = 0, cpu = 0;
};

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double tv(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

// Runs argv with stdio on /dev/null; returns its times, or nullopt if it did not exit with one
// of `ok` (diff exits 1 on drift, grep 1 when nothing matched).
std::optional<Time> timed(const Argv& argv, std::vector<int> ok = {0}) {
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int st = 0;
  struct rusage ru {};
  ::wait4(pid, &st, 0, &ru);
  if (!WIFEXITED(st) || std::find(ok.begin(), ok.end(), WEXITSTATUS(st)) == ok.end())
    return std::nullopt;
  return Time{since(t0), tv(ru.ru_utime) + tv(ru.ru_stime)};
}

double process_cpu() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

template <typename F>
Time in_process(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = process_cpu();
  f();
  return {since(t0), process_cpu() - c0};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// "/usr/share/x" -> "/usr/share-copy1/x": same depth, another tree.
std::string copy_path(const std::string& path, int k) {
  const std::size_t second = path.find('/', path.find('/', 1) + 1);
  const std::string tag = "-copy" + std::to_string(k);
  if (path.empty() || path[0] != '/') return path;
  if (second == std::string::npos) return path + tag;
  return path.substr(0, second) + tag + path.substr(second);
}

// The first `n` file entries of `full` (copies under renamed roots beyond its size); everything
// else (syscalls, executables, capabilities) as recorded.
tailor::Profile sized(const tailor::Profile& full, std::size_t n) {
  tailor::Profile p = full;
  p.files.clear();
  for (int k = 0; p.files.size() < n; ++k) {
    for (const auto& [path, use] : full.files) {
      if (p.files.size() >= n) break;
      p.files.emplace(k == 0 ? path : copy_path(path, k), use);
    }
    if (full.files.empty()) break;
  }
  return p;
}

std::vector<std::size_t> parse_sizes(const std::string& s) {
  std::vector<std::size_t> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(std::stoul(item));
  if (out.empty()) die("--sizes: no sizes");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 3;
  std::string tailor = TAILOR_BIN, profile_in;
  std::vector<std::string> dirs;
  std::vector<std::size_t> sizes = {10000, 25000, 50000, 110000};
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--reps") {
      reps = std::max(1, std::atoi(value().c_str()));
    } else if (a == "--sizes") {
      sizes = parse_sizes(value());
    } else if (a == "--dir") {
      dirs.push_back(value());
    } else if (a == "--profile") {
      profile_in = value();
    } else if (a == "--tailor") {
      tailor = value();
    } else if (a == "--keep") {
      keep = true;
    } else if (a == "--help" || a == "-h") {
      std::printf(
          "usage: scale_bench [--reps N] [--sizes N,N,...] [--dir DIR]... [--profile P.json]\n"
          "                   [--tailor PATH] [--keep]\n"
          "Records `grep -r -l zzzqqq DIR...` (default /usr/share) or takes P.json, cuts it\n"
          "into profiles of N file entries (default 10000,25000,50000,110000) and times tailor "
          "diff,\n"
          "merge and generate on each (median of N reps, default 3). --keep leaves the\n"
          "temporary directory with the profiles.\n");
      return 0;
    } else {
      die("unknown argument " + a + " (see --help)");
    }
  }
  if (dirs.empty()) dirs = {"/usr/share"};

  char tmpl[] = "/tmp/tailor-bench-scale-XXXXXX";
  if (!::mkdtemp(tmpl)) die("mkdtemp failed");
  const std::string tmp = tmpl;

  std::string source;
  if (profile_in.empty()) {
    profile_in = tmp + "/recorded.json";
    Argv rec = {tailor, "record", "-q", "-o", profile_in, "--", "grep", "-r", "-l", "zzzqqq"};
    rec.insert(rec.end(), dirs.begin(), dirs.end());
    std::fprintf(stderr, "recording grep -r over");
    for (const auto& d : dirs) std::fprintf(stderr, " %s", d.c_str());
    std::fprintf(stderr, " ...\n");
    const auto t = timed(rec, {0, 1, 2});  // grep: 1 = no match, 2 = an unreadable file
    if (!t) die("recording failed");
    source = "grep -r -l zzzqqq";
    for (const auto& d : dirs) source += " " + d;
    source += " (recorded in " + std::to_string(static_cast<int>(t->wall + 0.5)) + " s)";
  } else {
    source = profile_in;
  }
  const tailor::Profile full = tailor::load_profile(profile_in);

  std::printf("tailor diff / merge / generate / report against profile size\n");
  std::printf("source: %s, %zu file entries; sizes beyond it add copies under renamed roots\n",
              source.c_str(), full.files.size());
  std::printf("median of %d runs; load and write in-process, the rest `tailor ...` as a process\n",
              reps);
  std::fflush(stdout);
  const char* const kCols[] = {"load",  "write",    "diff self", "diff drift",
                               "merge", "generate", "report",    "report old"};
  struct Row {
    std::size_t files = 0, rules = 0;
    double mb = 0;
    std::map<std::string, std::vector<Time>> t;
  };
  std::vector<Row> rows;
  for (const std::size_t n : sizes) {
    const tailor::Profile p = sized(full, n);
    tailor::Profile old_side = p;
    std::size_t i = 0;
    for (auto it = old_side.files.begin(); it != old_side.files.end(); ++i)
      it = i % 20 == 19 ? old_side.files.erase(it) : std::next(it);
    const std::string pj = tmp + "/p.json", oj = tmp + "/old.json", out = tmp + "/out";
    const std::string text = tailor::to_json(p);
    tailor::write_file_atomic(pj, text);
    tailor::write_file_atomic(oj, tailor::to_json(old_side));
    Row row;
    row.files = p.files.size();
    row.rules = tailor::apparmor_file_rules(p).size();
    row.mb = static_cast<double>(text.size()) / 1e6;
    auto add = [&](const char* col, std::optional<Time> t) {
      if (t) row.t[col].push_back(*t);
    };
    for (int r = 0; r < reps; ++r) {
      add("load", in_process([&] { tailor::load_profile(pj); }));
      add("write", in_process([&] { (void)tailor::to_json(p); }));
      add("diff self", timed({tailor, "diff", pj, pj, "-o", out + ".diff"}));
      add("diff drift", timed({tailor, "diff", oj, pj, "-o", out + ".diff"}, {0, 1}));
      add("merge", timed({tailor, "merge", pj, pj, "-o", out + ".merged.json"}));
      add("generate",
          timed({tailor, "generate", pj, "--seccomp", out + ".seccomp.json", "--apparmor",
                 out + ".aa", "--flags", "docker", "--flags-output", out + ".flags"}));
      add("report", timed({tailor, "report", pj, "-q", "-o", out + ".html"}));
      add("report old", timed({tailor, "report", pj, "--old", oj, "-q", "-o", out + ".html"}));
    }
    rows.push_back(std::move(row));
    std::fprintf(stderr, "%zu files done\n", n);
  }
  for (const bool cpu : {true, false}) {
    std::printf("\n%s seconds\n", cpu ? "CPU (user + system)" : "wall");
    std::printf("%8s %8s %6s", "files", "JSON MB", "rules");
    for (const char* c : kCols) std::printf(" %10s", c);
    std::printf("\n");
    for (const auto& row : rows) {
      std::printf("%8zu %8.1f %6zu", row.files, row.mb, row.rules);
      for (const char* c : kCols) {
        auto it = row.t.find(c);
        if (it == row.t.end() || it->second.size() != static_cast<std::size_t>(reps)) {
          std::printf(" %10s", "FAILED");
          continue;
        }
        std::vector<double> v;
        for (const auto& t : it->second) v.push_back(cpu ? t.cpu : t.wall);
        std::printf(" %10.3f", median(v));
      }
      std::printf("\n");
    }
  }
  if (keep)
    std::printf("\nprofiles kept in %s\n", tmp.c_str());
  else
    fs::remove_all(tmp);
  return 0;
}
