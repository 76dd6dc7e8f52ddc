// scale_bench: how `tailor diff`, `merge` and `generate` grow with the number of files in a
// profile. See bench/README.md.
//
// It records one big real profile (`tailor record -- grep -r -l zzzqqq DIR...`, the recursive
// search of issue 10), then cuts it into profiles of the sizes asked for: the first N file
// entries in path order (whole directory trees, as a smaller search would give). A size beyond
// the recording is made of copies of it under renamed roots ("/usr/share" -> "/usr/share-copy1"),
// which keeps every directory's depth and shape. For each size it times, as separate processes of
// the real CLI (median of --reps):
//   load       read + parse the profile (in this process: profile_from_json)
//   write      serialise it (in this process: to_json)
//   diff self  `tailor diff P P`
//   diff drift `tailor diff OLD P`, OLD = P without every 20th file: the files axis has to match
//              the paths of every rule that differs against the other side's patterns
//   merge      `tailor merge P P -o M`
//   generate   `tailor generate P --seccomp S --apparmor A --flags docker --flags-output F`
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
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

// Runs argv with stdio on /dev/null; returns its wall time, or nullopt if it did not exit with
// one of `ok` (diff exits 1 on drift, grep 1 when nothing matched).
std::optional<double> timed(const Argv& argv, std::vector<int> ok = {0}) {
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
  ::waitpid(pid, &st, 0);
  if (!WIFEXITED(st) || std::find(ok.begin(), ok.end(), WEXITSTATUS(st)) == ok.end())
    return std::nullopt;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <typename F>
double seconds(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? -1 : v[v.size() / 2];
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
  std::vector<std::size_t> sizes = {10000, 50000, 100000};
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
          "into profiles of N file entries (default 10000,50000,100000) and times tailor diff,\n"
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
    source += " (recorded in " + std::to_string(static_cast<int>(*t + 0.5)) + " s)";
  } else {
    source = profile_in;
  }
  const tailor::Profile full = tailor::load_profile(profile_in);

  std::printf("tailor diff / merge / generate against profile size\n");
  std::printf("source: %s, %zu file entries; sizes beyond it add copies under renamed roots\n",
              source.c_str(), full.files.size());
  std::printf(
      "median of %d runs, wall seconds; load and write in-process, the rest `tailor ...`\n\n",
      reps);
  std::printf("%8s %8s %6s %7s %7s %10s %11s %8s %9s\n", "files", "JSON MB", "rules", "load",
              "write", "diff self", "diff drift", "merge", "generate");
  for (const std::size_t n : sizes) {
    const tailor::Profile p = sized(full, n);
    tailor::Profile old_side = p;
    std::size_t i = 0;
    for (auto it = old_side.files.begin(); it != old_side.files.end(); ++i)
      it = i % 20 == 19 ? old_side.files.erase(it) : std::next(it);
    const std::string pj = tmp + "/p.json", oj = tmp + "/old.json";
    const std::string text = tailor::to_json(p);
    tailor::write_file_atomic(pj, text);
    tailor::write_file_atomic(oj, tailor::to_json(old_side));
    const std::size_t rules = tailor::apparmor_file_rules(p).size();

    std::vector<double> load, write, self, drift, merge, gen;
    for (int r = 0; r < reps; ++r) {
      load.push_back(seconds([&] { tailor::load_profile(pj); }));
      write.push_back(seconds([&] { (void)tailor::to_json(p); }));
      const std::string out = tmp + "/out";
      if (auto t = timed({tailor, "diff", pj, pj, "-o", out + ".diff"})) self.push_back(*t);
      if (auto t = timed({tailor, "diff", oj, pj, "-o", out + ".diff"}, {0, 1}))
        drift.push_back(*t);
      if (auto t = timed({tailor, "merge", pj, pj, "-o", out + ".merged.json"}))
        merge.push_back(*t);
      if (auto t = timed({tailor, "generate", pj, "--seccomp", out + ".seccomp.json", "--apparmor",
                          out + ".aa", "--flags", "docker", "--flags-output", out + ".flags"}))
        gen.push_back(*t);
    }
    auto cell = [](const std::vector<double>& v) {
      char buf[32];
      if (v.empty()) return std::string("FAILED");
      std::snprintf(buf, sizeof buf, "%.3f", median(v));
      return std::string(buf);
    };
    std::printf("%8zu %8.1f %6zu %7s %7s %10s %11s %8s %9s\n", p.files.size(),
                static_cast<double>(text.size()) / 1e6, rules, cell(load).c_str(),
                cell(write).c_str(), cell(self).c_str(), cell(drift).c_str(), cell(merge).c_str(),
                cell(gen).c_str());
    std::fflush(stdout);
  }
  if (keep)
    std::printf("\nprofiles kept in %s\n", tmp.c_str());
  else
    fs::remove_all(tmp);
  return 0;
}
