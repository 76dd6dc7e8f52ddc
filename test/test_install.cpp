// What a user installs: the man pages and shell completions tailor writes from its own command
// line (cli/docs.cpp), `tailor --version`'s git revision, `cmake --install`, and the Debian
// package installed into a fresh Debian 12 root (test/package.sh).
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "../cli/docs.h"
#include "support.h"

namespace fs = std::filesystem;
using tailor::test::has_syscall;
using tailor::test::have;
using tailor::test::lines_of;
using tailor::test::read_text;
using tailor::test::run;
using tailor::test::RunResult;
using tailor::test::tailor_bin;
using tailor::test::TempDir;

namespace {

// The subcommands `tailor --help` lists: what every page and completion is checked against.
std::vector<std::string> subcommands() {
  const RunResult r = run({tailor_bin(), "--help"});
  REQUIRE(r.status == 0);
  std::vector<std::string> out;
  bool in = false;
  for (const auto& l : lines_of(r.out)) {
    if (l.rfind("Subcommands:", 0) == 0) {
      in = true;
    } else if (in && l.rfind("  ", 0) == 0) {
      out.push_back(l.substr(2, l.find(' ', 2) - 2));
    } else if (in) {
      break;
    }
  }
  REQUIRE(out.size() >= 9);
  return out;
}

// Options and their fixed values as `tailor SUB --help` prints them: "--flags TEXT:{a,b,c}".
std::map<std::string, std::vector<std::string>> help_choices(const std::string& sub) {
  const RunResult r = run({tailor_bin(), sub, "--help"});
  std::map<std::string, std::vector<std::string>> out;
  static const std::regex opt(R"((--[a-z0-9-]+) [A-Z]+:\{([^}]*)\})");
  for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), opt);
       it != std::sregex_iterator(); ++it) {
    std::vector<std::string> values;
    std::stringstream ss((*it)[2].str());
    for (std::string v; std::getline(ss, v, ',');) values.push_back(v);
    out[(*it)[1].str()] = values;
  }
  return out;
}

std::string collapse(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool space = c == ' ' || c == '\n' || c == '\t';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  return out;
}

// A page as man shows it on an 80-column terminal (plain text: stdout is a pipe).
RunResult man(const std::string& page) {
  return run({"env", "MANWIDTH=80", "LC_ALL=C.UTF-8", "MAN_KEEP_FORMATTING=", "man", "-l", page});
}

void check_page_formats_cleanly(const std::string& page) {
  INFO(page);
  const bool gz = page.size() > 3 && page.compare(page.size() - 3, 3, ".gz") == 0;
  const RunResult g = gz ? run({"sh", "-c", "zcat \"$0\" | groff -ww -man -Tutf8", page})
                         : run({"groff", "-ww", "-man", "-Tutf8", page});
  CHECK(g.status == 0);
  CHECK(g.err == "");
  const RunResult m = man(page);
  CHECK(m.status == 0);
  CHECK(m.err == "");
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// What bash completion offers for the words typed (the last one is the word under the cursor),
// in `dir`, with the generated script sourced into a plain bash (no bash-completion package).
std::vector<std::string> complete_bash(const std::string& script,
                                       const std::vector<std::string>& words,
                                       const std::string& dir = "/") {
  std::string arr;
  for (const auto& w : words) arr += " " + quote(w);
  const std::string cmd = "cd " + quote(dir) + " && source " + quote(script) + " && COMP_WORDS=(" +
                          arr + ") && COMP_CWORD=" + std::to_string(words.size() - 1) +
                          " && _tailor && printf '%s\\n' \"${COMPREPLY[@]}\"";
  const RunResult r = run({"bash", "--norc", "--noprofile", "-c", cmd});
  INFO(cmd << "\n" << r.err);
  REQUIRE(r.status == 0);
  std::vector<std::string> out = lines_of(r.out);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("man: one page per subcommand, written from --help, formatting without warnings",
          "[man]") {
  REQUIRE(have("groff"));
  REQUIRE(have("man"));
  TempDir t;
  const RunResult w = run({tailor_bin(), "--man-dir", t / "man"});
  INFO(w.err);
  REQUIRE(w.status == 0);
  const auto subs = subcommands();
  std::set<std::string> expected = {"tailor.1"}, written;
  for (const auto& s : subs) expected.insert("tailor-" + s + ".1");
  for (const auto& e : fs::directory_iterator(t / "man")) written.insert(e.path().filename());
  CHECK(written == expected);

  for (const auto& page : expected) check_page_formats_cleanly(t / "man/" + page);

  // Each subcommand page says what `tailor SUB --help` says: its one-line description, the
  // first line of its long help, every option.
  const std::string main_page = collapse(man(t / "man/tailor.1").out);
  for (const auto& s : subs) {
    INFO("tailor " << s);
    const RunResult help = run({tailor_bin(), s, "--help"});
    REQUIRE(help.status == 0);
    const std::string page = collapse(man(t / ("man/tailor-" + s + ".1")).out);
    const auto help_lines = lines_of(help.out);
    const std::string description = help_lines.front();
    CHECK(page.find("tailor-" + s + " - " + description) != std::string::npos);
    CHECK(main_page.find("tailor-" + s + "(1)") != std::string::npos);
    CHECK(page.find("EXIT STATUS") != std::string::npos);
    static const std::regex option(R"(^  (-[a-zA-Z],)?(--[a-z0-9-]+))");
    std::size_t options = 0;
    for (const auto& l : help_lines) {
      std::smatch m;
      if (!std::regex_search(l, m, option)) continue;
      ++options;
      CHECK(page.find(m[2].str()) != std::string::npos);
    }
    CHECK(options > 0);
  }
  // The long help's sections land where man readers look for them.
  const std::string record = read_text(t / "man/tailor-record.1");
  CHECK(record.find(".SH EXAMPLES\n") != std::string::npos);
  CHECK(collapse(man(t / "man/tailor-record.1").out).find("EXIT STATUS CMD's (128+N") !=
        std::string::npos);
  CHECK(read_text(t / "man/tailor-record.1").find("bpf\\-buffer") == std::string::npos);  // hidden
}

TEST_CASE("man: text that roff would read as markup is shown literally", "[man]") {
  CLI::App app{"tool: tests \\ backslashes", "tool"};
  app.footer(
      ".leading dot and 'leading quote\n"
      "a UTF-8 arrow \u2192 and an em dash \u2014, \\fB not bold\n\n"
      "Exit status: 0 fine\n\n"
      "Examples:\n"
      "  tool sub --opt-name='x' .hidden\n"
      "  .dotted example line");
  auto* sub = app.add_subcommand("sub", "sub's description with --dashes");
  std::string v;
  sub->add_option("--opt-name", v, "value \\n with backslash")->check(CLI::IsMember({"a-b", "c"}));
  sub->add_option("hidden-opt", v, "")->group("");
  TempDir t;
  tailor::cli::write_man_pages(app, t / "man");
  for (const std::string page : {"tool.1", "tool-sub.1"})
    check_page_formats_cleanly(t / "man/" + page);
  const std::string top = collapse(man(t / "man/tool.1").out),
                    s = collapse(man(t / "man/tool-sub.1").out);
  for (const std::string literal : {"tests \\ backslashes", ".leading dot and 'leading quote",
                                    "arrow \u2192 and an em dash \u2014", "\\fB not bold",
                                    "tool sub --opt-name='x' .hidden", ".dotted example line"}) {
    INFO(literal << "\n" << top);
    CHECK(top.find(literal) != std::string::npos);
  }
  CHECK(s.find("--opt-name a-b|c") != std::string::npos);
  CHECK(s.find("value \\n with backslash") != std::string::npos);
  CHECK(s.find("sub's description with --dashes") != std::string::npos);
}

TEST_CASE("completion: bash completes commands, options, fixed values and files", "[completion]") {
  TempDir t;
  const RunResult w = run({tailor_bin(), "--completion-dir", t / "c"});
  INFO(w.err);
  REQUIRE(w.status == 0);
  const std::string script = t / "c/tailor";

  CHECK(complete_bash(script, {"tailor", "gen"}) == std::vector<std::string>{"generate"});
  CHECK(complete_bash(script, {"tailor", ""}) == sorted([] {
          auto v = subcommands();
          for (const char* o : {"-h", "--help", "--version"}) v.push_back(o);
          return v;
        }()));
  CHECK(complete_bash(script, {"tailor", "generate", "--flags", ""}) ==
        sorted({"docker", "podman", "compose", "k8s"}));
  // `--flags=d`: bash splits the word at '='.
  CHECK(complete_bash(script, {"tailor", "generate", "--flags", "=", "d"}) ==
        std::vector<std::string>{"docker"});
  CHECK(complete_bash(script, {"tailor", "audit", "--format", ""}) ==
        sorted({"text", "json", "markdown", "sarif"}));
  CHECK(complete_bash(script, {"tailor", "record", "--no-low"}) ==
        std::vector<std::string>{"--no-low-latency"});
  CHECK(complete_bash(script, {"tailor", "record", "--bpf"}).empty());           // hidden option
  CHECK(complete_bash(script, {"tailor", "record", "--duration", ""}).empty());  // a number
  // After --, a command to run, then files.
  const auto commands = complete_bash(script, {"tailor", "record", "-o", "x.json", "--", "bas"});
  CHECK(std::find(commands.begin(), commands.end(), "bash") != commands.end());
  std::ofstream(t / "profile.json") << "{}";
  fs::create_directories(t / "profiles");
  CHECK(complete_bash(script, {"tailor", "show", "pro"}, t.path()) ==
        sorted({"profile.json", "profiles"}));
  CHECK(complete_bash(script, {"tailor", "generate", "p.json", "--seccomp", "prof"}, t.path()) ==
        sorted({"profile.json", "profiles"}));
  CHECK(complete_bash(script, {"tailor", "record", "--", "ls", "pro"}, t.path()) ==
        sorted({"profile.json", "profiles"}));

  // Every option with fixed values that --help shows completes to exactly those values.
  std::size_t checked = 0;
  for (const auto& s : subcommands())
    for (const auto& [opt, values] : help_choices(s)) {
      INFO("tailor " << s << " " << opt);
      CHECK(complete_bash(script, {"tailor", s, opt, ""}) == sorted(values));
      ++checked;
    }
  CHECK(checked >= 12);
}

TEST_CASE("completion: zsh", "[completion]") {
  if (!have("zsh")) {
    WARN("SKIPPED: zsh is not installed (apt-get install zsh)");
    return;
  }
  TempDir t;
  REQUIRE(run({tailor_bin(), "--completion-dir", t / "c"}).status == 0);
  const RunResult n = run({"zsh", "-n", t / "c/_tailor"});
  INFO(n.err);
  CHECK(n.status == 0);
  CHECK(n.err == "");
  // A real completion: zsh's completion system drives the function in an interactive shell on
  // a pseudo-terminal (zpty), and what it lists is read back.
  const std::string driver = t / "drive.zsh";
  // Output is awaited, not slept for: "READY" shows once compinit is done (the echoed input
  // reads RE""ADY), then the listing is read until it holds what is expected ($3) or 20 s pass.
  std::ofstream(driver) << R"(zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z "PROMPT='> '; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D; LISTMAX=0"
zpty -w z 'print -r RE""ADY'
zpty -r -m z line '*READY*'
zpty -w -n z "$2"$'\t'
out=
for i in {1..100}; do
  while zpty -r -t z line; do out+=$line; done
  [[ $out == *$3* ]] && break
  sleep 0.2
done
print -r -- "$out"
zpty -d z
)";
  auto complete_zsh = [&](const std::string& line, const std::string& expect) {
    const RunResult r = run({"timeout", "60", "zsh", "-f", driver, t / "c", line, expect}, 70);
    INFO(r.err);
    return r.out;
  };
  const std::string flags = complete_zsh("tailor generate --flags ", "podman");
  INFO(flags);
  for (const char* v : {"docker", "podman", "compose", "k8s"})
    CHECK(flags.find(v) != std::string::npos);
  const std::string formats = complete_zsh("tailor audit --format ", "sarif");
  INFO(formats);
  for (const char* v : {"text", "json", "markdown", "sarif"})
    CHECK(formats.find(v) != std::string::npos);
  CHECK(complete_zsh("tailor gen", "generate").find("generate") != std::string::npos);
  CHECK(complete_zsh("tailor record --back", "--backend").find("--backend") != std::string::npos);
}

TEST_CASE("version: tailor --version names the git revision it was built from", "[version]") {
  const RunResult v = run({tailor_bin(), "--version"});
  REQUIRE(v.status == 0);
  std::smatch m;
  static const std::regex form(
      R"(^tailor ([0-9]+\.[0-9]+\.[0-9]+) \(git ([0-9a-f]{7,}(-dirty)?|unknown)\)\n$)");
  REQUIRE(std::regex_match(v.out, m, form));
  const std::string rev = m[2];
  const std::string src = TAILOR_SOURCE_DIR;
  if (!have("git")) {
    WARN("SKIPPED: git is not installed: the revision and GitRevision.cmake are not checked");
    return;
  }
  if (run({"git", "-C", src, "rev-parse", "--show-toplevel"}).status == 0) {
    // A commit of this checkout (HEAD when the build ran; later commits may have followed).
    CHECK(rev != "unknown");
    CHECK(run({"git", "-C", src, "cat-file", "-e", rev.substr(0, rev.find('-')) + "^{commit}"})
              .status == 0);
  }

  // cmake/GitRevision.cmake, as the build runs it: a repository's HEAD, -dirty once a tracked
  // file changes, the file untouched while the answer stays the same, "unknown" outside git.
  TempDir t;
  const std::string repo = t / "repo", out = t / "rev.cpp";
  fs::create_directories(repo);
  auto git = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t"});
    const RunResult r = run(args);
    INFO(r.err);
    REQUIRE(r.status == 0);
    return r.out;
  };
  auto revision = [&](const std::string& dir) {
    const RunResult r = run({"cmake", "-DSRC=" + dir, "-DOUT=" + out, "-DGIT=git", "-P",
                             src + "/cmake/GitRevision.cmake"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    std::smatch rm;
    const std::string text = read_text(out);
    REQUIRE(std::regex_search(text, rm, std::regex("kGitRevision = \"([^\"]*)\"")));
    return rm[1].str();
  };
  git({"init", "-q"});
  std::ofstream(repo + "/a.txt") << "a\n";
  git({"add", "a.txt"});
  git({"commit", "-q", "-m", "a"});
  const std::string head = git({"rev-parse", "HEAD"});
  const std::string clean = revision(repo);
  CHECK(clean.size() >= 7);
  CHECK(head.rfind(clean, 0) == 0);
  const auto before = fs::last_write_time(out) - std::chrono::hours(1);
  fs::last_write_time(out, before);
  CHECK(revision(repo) == clean);
  CHECK(fs::last_write_time(out) == before);  // not rewritten: nothing recompiles
  std::ofstream(repo + "/a.txt") << "b\n";
  CHECK(revision(repo) == clean + "-dirty");
  fs::create_directories(repo + "/sub");
  CHECK(revision(repo + "/sub") == "unknown");  // sources inside another project's checkout
  fs::create_directories(t / "plain");
  CHECK(revision(t / "plain") == "unknown");
}

TEST_CASE("install: cmake --install puts tailor, man pages, completions and docs in place",
          "[install]") {
  TempDir t;
  const std::string prefix = t / "prefix";
  const RunResult in = run({"cmake", "--install", TAILOR_BUILD_DIR, "--prefix", prefix});
  INFO(in.out << in.err);
  REQUIRE(in.status == 0);

  std::set<std::string> expected = {"bin/tailor",
                                    "share/man/man1/tailor.1.gz",
                                    "share/bash-completion/completions/tailor",
                                    "share/zsh/vendor-completions/_tailor",
                                    "share/doc/tailor/README.md",
                                    "share/doc/tailor/LICENSE"};
  for (const auto& s : subcommands()) expected.insert("share/man/man1/tailor-" + s + ".1.gz");
  const fs::path ci = fs::path(TAILOR_SOURCE_DIR) / "samples/ci";
  for (const auto& e : fs::directory_iterator(ci))
    expected.insert("share/doc/tailor/samples/ci/" + e.path().filename().string());
  std::set<std::string> installed;
  for (const auto& e : fs::recursive_directory_iterator(prefix))
    if (!e.is_directory()) installed.insert(fs::relative(e.path(), prefix).string());
  CHECK(installed == expected);
  CHECK((fs::status(prefix + "/share/doc/tailor/samples/ci/tailor-ci.sh").permissions() &
         fs::perms::owner_exec) != fs::perms::none);
  CHECK(read_text(prefix + "/share/doc/tailor/LICENSE") ==
        read_text(std::string(TAILOR_SOURCE_DIR) + "/LICENSE"));
  CHECK(read_text(std::string(TAILOR_SOURCE_DIR) + "/LICENSE").find("Apache License") !=
        std::string::npos);

  // The installed binary works on its own, its watchdog included (a fork of tailor itself:
  // nothing to find next to the binary), and its pages read.
  const std::string bin = prefix + "/bin/tailor";
  CHECK(run({bin, "--version"}).out == run({tailor_bin(), "--version"}).out);
  for (const std::string backend : {"notify", "ptrace"}) {
    INFO(backend);
    const RunResult r =
        run({bin, "record", "-q", "--backend", backend, "-o", t / "p.json", "--", "/bin/true"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    const auto p = tailor::load_profile(t / "p.json");
    CHECK(has_syscall(p, "x86_64", "execve"));
    CHECK(has_syscall(p, "x86_64", "exit_group"));
  }
  check_page_formats_cleanly(prefix + "/share/man/man1/tailor-record.1.gz");
}

TEST_CASE("package: the .deb installs into a fresh Debian 12 and records there", "[package]") {
#ifdef __SANITIZE_ADDRESS__
  // A sanitized tailor is not what anyone installs, and its .deb would depend on libasan: the
  // package is proven from the plain build (build/), which runs this same test.
  WARN("SKIPPED: sanitizer build: the .deb is tested from the unsanitized build");
  return;
#endif
  TempDir t;
  const RunResult r =
      run({"bash", std::string(TAILOR_SOURCE_DIR) + "/test/package.sh", TAILOR_BUILD_DIR, t.path()},
          290);
  const auto out = lines_of(r.out);
  if (r.status == 77) {
    WARN((out.empty() ? "SKIPPED: test/package.sh skipped" : out.back()));
    return;
  }
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  WARN("package.sh timings:\n" << r.out);

  const std::string version = read_text(t / "version.txt");
  CHECK(version == run({tailor_bin(), "--version"}).out);
  const std::string project = version.substr(7, version.find(' ', 7) - 7);
  CHECK(fs::exists(t / ("tailor_" + project + "_amd64.deb")));
  const RunResult depends =
      run({"dpkg-deb", "-f", t / ("tailor_" + project + "_amd64.deb"), "Depends", "Version"});
  INFO(depends.out);
  for (const char* lib : {"libseccomp2", "libelf1", "libcapstone4", "libyaml-cpp", "libc6"})
    CHECK(depends.out.find(lib) != std::string::npos);
  CHECK(depends.out.find("Version: " + project + "\n") != std::string::npos);
  CHECK(read_text(t / "help.txt").find("record") != std::string::npos);
  for (const std::string backend : {"auto", "ptrace", "notify"}) {
    INFO(backend);
    const auto p = tailor::load_profile(t / ("profile-" + backend + ".json"));
    CHECK(has_syscall(p, "x86_64", "execve"));
    CHECK(has_syscall(p, "x86_64", "exit_group"));
  }
  const std::string files = read_text(t / "files.txt");
  for (const char* f :
       {"/usr/bin/tailor\n", "/usr/share/man/man1/tailor-record.1.gz\n",
        "/usr/share/bash-completion/completions/tailor\n",
        "/usr/share/zsh/vendor-completions/_tailor\n", "/usr/share/doc/tailor/LICENSE\n"})
    CHECK(files.find(f) != std::string::npos);
  for (const auto& s : subcommands()) check_page_formats_cleanly(t / ("man/tailor-" + s + ".1.gz"));
}
