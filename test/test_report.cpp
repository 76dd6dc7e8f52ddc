// `tailor report`: the HTML page of a profile. Checked from the outside: a real parser from
// Debian (python3-html5lib, strict) says the page is valid HTML, headless Chromium renders it,
// the text a reader sees is compared with golden files, and the grid's cells are read back from
// the page and checked against libseccomp's tables and the filters, cell by cell.
#include <seccomp.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "golden.h"
#include "support.h"
#include "tailor/diff.h"
#include "tailor/emitters.h"
#include "tailor/profile_json.h"
#include "tailor/report.h"
#include "tailor/syscalls.h"

using namespace tailor;
using namespace tailor::test;

namespace {

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Strict HTML5 parsing: html5lib raises on the first parse error (a stray '<', a bad entity,
// invalid nesting, a control character). Returns "" when the page is valid, else the error.
std::string html_errors(const std::string& file) {
  const RunResult r = run({"/usr/bin/python3", "-c",
                           "import sys, html5lib\n"
                           "p = html5lib.HTMLParser(strict=True)\n"
                           "p.parse(open(sys.argv[1], 'rb'), transport_encoding='utf-8')\n"
                           "print('ok')\n",
                           file},
                          60);
  return r.status == 0 && r.out == "ok\n" ? "" : r.err + r.out;
}

// What a reader sees: the text of the page (not the style sheet), one non-empty piece a line.
std::string page_text(const std::string& file) {
  const RunResult r = run({"/usr/bin/python3", "-c",
                           "import sys\n"
                           "from html.parser import HTMLParser\n"
                           "class T(HTMLParser):\n"
                           "    def __init__(self):\n"
                           "        super().__init__(convert_charrefs=True)\n"
                           "        self.skip = 0\n"
                           "        self.out = []\n"
                           "    def handle_starttag(self, tag, attrs):\n"
                           "        if tag == 'style': self.skip += 1\n"
                           "    def handle_endtag(self, tag):\n"
                           "        if tag == 'style': self.skip -= 1\n"
                           "    def handle_data(self, data):\n"
                           "        if self.skip: return\n"
                           "        for line in data.split('\\n'):\n"
                           "            line = ' '.join(line.split())\n"
                           "            if line: self.out.append(line)\n"
                           "t = T()\n"
                           "t.feed(open(sys.argv[1], encoding='utf-8').read())\n"
                           "sys.stdout.write('\\n'.join(t.out) + '\\n')\n",
                           file},
                          60);
  REQUIRE(r.status == 0);
  return r.out;
}

struct PageCell {
  std::set<std::string> classes;
  std::string title, label;  // the tooltip; the second line (count or class word)
};

// The grid as written: arch -> syscall -> cell, read back from the page by its markup.
std::map<std::string, std::map<std::string, PageCell>> page_cells(const std::string& html) {
  static const std::regex kCell(
      "<div class=\"c ([a-z ]+)\" title=\"([a-z0-9_]+) \\(([a-z0-9_]+) #([0-9]+)\\)([^\"]*)\">"
      "<b>.*?</b><i>(.*?)</i></div>");
  std::map<std::string, std::map<std::string, PageCell>> out;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), kCell);
       it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    PageCell c;
    std::istringstream ss(m[1].str());
    for (std::string w; ss >> w;) c.classes.insert(w);
    c.title = m[5].str();
    c.label = m[6].str();
    const bool fresh = out[m[3].str()].emplace(m[2].str(), c).second;
    CHECK(fresh);  // one cell per syscall
  }
  return out;
}

// Every syscall libseccomp knows on `arch`, asked directly (not through tailor's tables).
std::set<std::string> libseccomp_table(std::uint32_t arch) {
  std::set<std::string> out;
  const int base = arch == SCMP_ARCH_X32 ? 0x40000000 : 0;
  for (int nr = 0; nr < 4096; ++nr)
    if (char* n = seccomp_syscall_resolve_num_arch(arch, base + nr)) {
      out.insert(n);
      std::free(n);
    }
  return out;
}

// The class a cell must have, decided here from the filters themselves.
std::string expected_class(
    const Profile& p, const std::string& arch, const std::string& name,
    const std::map<std::string, std::map<std::string, SyscallAllowance>>& f,
    const std::map<std::string, std::map<std::string, SyscallAllowance>>& b) {
  auto in = [&](const auto& m) { return m.count(arch) && m.at(arch).count(name); };
  if (has_syscall(p, arch, name)) {
    const Evidence& ev = p.syscalls.at(arch).at(name);
    return ev.by.empty() && !ev.sites.empty() ? "static" : "used";
  }
  if (in(f)) return "runtime";
  return in(b) ? "removed" : "denied";
}

SeccompOptions docker_runtime() {
  SeccompOptions so;
  so.runtime = Runtime::kDocker;
  return so;
}

ReportOptions golden_options(const std::string& input) {
  ReportOptions o;
  o.inputs = {input};
  o.seccomp = docker_runtime();
  o.flags.seccomp_file = "seccomp.json";
  o.baseline.name = "Docker's default";
  o.baseline.description = "Docker's default seccomp profile (built in)";
  o.baseline.policy = seccomp_policy_from_json(docker_default_seccomp_json());
  o.baseline.caps = docker_default_capabilities();
  // Fixed, so the golden page does not depend on the kernel of the machine running the test.
  o.baseline.kernel_release = "6.1.0";
  return o;
}

// No reference to anything outside the page: no URL, no fetched resource.
void check_self_contained(const std::string& html) {
  CHECK(html.find("http") == std::string::npos);
  CHECK(html.find("//") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("href=") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
}

// PNG: 8-byte signature, then the IHDR chunk: length, "IHDR", width and height big-endian.
std::pair<std::uint32_t, std::uint32_t> png_size(const std::string& png) {
  REQUIRE(png.size() > 24);
  REQUIRE(png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  REQUIRE(png.compare(12, 4, "IHDR") == 0);
  auto be32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(png[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
}

}  // namespace

TEST_CASE("report: a recorded sample as a page: valid, one cell per syscall, the right classes",
          "[report]") {
  TempDir dir;
  const std::string prof = dir / "pipeline.json", page = dir / "report.html";
  const auto rec = record({sample("pipeline"), dir.path()}, prof);
  REQUIRE(rec.run.status == 0);
  const RunResult r = run({tailor_bin(), "report", prof, "-o", page});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.err.find("wrote " + page) != std::string::npos);
  const std::string html = read_text(page);

  CHECK(html_errors(page) == "");
  check_self_contained(html);

  // One cell per syscall libseccomp knows on x86_64, and on no other arch (the sample is 64-bit).
  const auto cells = page_cells(html);
  REQUIRE(cells.count("x86_64"));
  CHECK(cells.size() == 1);
  std::set<std::string> names;
  for (const auto& [name, c] : cells.at("x86_64")) names.insert(name);
  CHECK(names == libseccomp_table(SCMP_ARCH_X86_64));
  CHECK(names.size() > 300);

  // Every cell's class, from the filter generate writes and Docker's default resolved here.
  const Profile& p = rec.profile;
  const auto filter = seccomp_allowed_syscalls(seccomp_policy_for(p, docker_runtime()), {});
  const auto docker = seccomp_allowed_syscalls(
      seccomp_policy_from_json(docker_default_seccomp_json()), docker_default_capabilities());
  std::map<std::string, std::size_t> per_class;
  for (const auto& [name, c] : cells.at("x86_64")) {
    const std::string want = expected_class(p, "x86_64", name, filter, docker);
    INFO(name);
    CHECK(c.classes.count(want));
    ++per_class[want];
    CHECK(c.classes.count("risky") == !risky_syscall_reason(name).empty());
  }
  // Each class occurs, and the known cases are what they must be.
  for (const char* k : {"used", "runtime", "removed", "denied"}) CHECK(per_class[k] > 0);
  const PageCell& write = cells.at("x86_64").at("write");
  CHECK(write.classes.count("used"));
  CHECK(write.label == std::to_string(p.syscalls.at("x86_64").at("write").count()) + "&times;");
  CHECK(write.title.find("used " + std::to_string(p.syscalls.at("x86_64").at("write").count()) +
                         " time") != std::string::npos);
  // ptrace: Docker's default allows it (kernel >= 4.8), the sample never called it.
  const PageCell& ptrace = cells.at("x86_64").at("ptrace");
  CHECK(ptrace.classes == std::set<std::string>{"removed", "risky"});
  CHECK(ptrace.title.find("Risky: ") != std::string::npos);
  // bpf and mount need CAP_SYS_ADMIN in Docker's default: denied by both.
  CHECK(cells.at("x86_64").at("bpf").classes == std::set<std::string>{"denied", "risky"});
  CHECK(cells.at("x86_64").at("mount").classes == std::set<std::string>{"denied", "risky"});
  // The counts table says what the grid shows.
  CHECK(html.find("<td>x86_64</td><td class=\"n\">" + std::to_string(names.size()) +
                  "</td><td class=\"n\">" + std::to_string(per_class["used"]) + "</td>") !=
        std::string::npos);
  // Docker's default admits i386 and x32 too; tailor's filter does not.
  CHECK(html.find("also admits the x86 table") != std::string::npos);
  CHECK(html.find("also admits the x32 table") != std::string::npos);
  // The hardening flags are the ones generate prints.
  FlagsOptions fo;
  fo.seccomp_file = "seccomp.json";
  std::string flags;
  for (char ch : emit_flags(p, fo))
    flags += ch == '&'    ? "&amp;"
             : ch == '<'  ? "&lt;"
             : ch == '>'  ? "&gt;"
             : ch == '"'  ? "&quot;"
             : ch == '\'' ? "&#39;"
                          : std::string(1, ch);
  CHECK(html.find("<pre>" + flags + "</pre>") != std::string::npos);
  CHECK(html.find("--cap-drop ALL") != std::string::npos);
  CHECK(html.find("--security-opt seccomp=seccomp.json") != std::string::npos);

  SECTION("headless Chromium renders it") {
    std::string browser;
    for (const char* b : {"chromium", "chromium-browser"})
      if (have(b)) browser = b;
    if (browser.empty()) {
      WARN("SKIP: chromium is not installed (Debian package chromium): page not rendered");
      return;
    }
    const std::string png = dir / "shot.png";
    const RunResult c =
        run({browser, "--headless", "--no-sandbox", "--disable-gpu",
             "--user-data-dir=" + dir.path() + "/chromium-profile", "--screenshot=" + png,
             "--window-size=1280,2200", "--hide-scrollbars", "file://" + page},
            120);
    INFO(c.err);
    REQUIRE(c.status == 0);
    const std::string shot = read_text(png);
    const auto [w, h] = png_size(shot);
    CHECK(w == 1280);
    CHECK(h == 2200);
    // A blank page compresses to almost nothing; the grid of colours and text does not.
    CHECK(shot.size() > 50000);
  }
}

TEST_CASE("report: golden page text from hand-written profiles, escaping, drift", "[report]") {
  TempDir dir;
  const std::string in = golden_path("input/report_app.json");
  const Profile p = load_profile(in);

  SECTION("the page of one profile") {
    const std::string html = emit_report(p, golden_options("report_app.json"));
    write_text(dir / "app.html", html);
    CHECK(html_errors(dir / "app.html") == "");
    check_self_contained(html);
    check_golden("report/app.txt", page_text(dir / "app.html"));
    // Profile strings are escaped wherever they appear: no raw markup from a path or argv.
    CHECK(html.find("<b>hi</b>") == std::string::npos);
    CHECK(html.find("&lt;b&gt;hi&lt;/b&gt; &amp; &#39;bye&#39;") != std::string::npos);
    CHECK(html.find("a&amp;b &lt;x&gt;.conf") != std::string::npos);
    CHECK(html.find("&quot;quoted&quot;") != std::string::npos);
    // Same determinism as every emitter: the same input gives the same bytes.
    CHECK(emit_report(p, golden_options("report_app.json")) == html);
    // i386 has its own grid, with libseccomp's whole i386 table.
    const auto cells = page_cells(html);
    REQUIRE(cells.count("x86"));
    std::set<std::string> x86;
    for (const auto& [name, c] : cells.at("x86")) x86.insert(name);
    CHECK(x86 == libseccomp_table(SCMP_ARCH_X86));
    const auto& x64 = cells.at("x86_64");
    CHECK(x64.at("fsync").classes.count("static"));
    CHECK(x64.at("ptrace").classes == std::set<std::string>{"used", "risky"});
    // unshare: used, but Docker's default refuses it without CAP_SYS_ADMIN.
    CHECK(x64.at("unshare").classes == std::set<std::string>{"used", "risky", "beyond"});
    CHECK(x64.at("read").label == "2.5M&times;");
    CHECK(x64.at("accept4").label == "1.5k&times;");
  }

  SECTION("paths that are not UTF-8 or hold control characters still make a valid page") {
    Profile q = p;
    q.files["/tmp/bad\xff\xfe-\x01-\x7f-\xc0\xaf-\xed\xa0\x80-\xc2\x85name"].access = {"read"};
    q.commands.insert({"/bin/x", "\x1b[31m"});
    const std::string html = emit_report(q, golden_options("q.json"));
    write_text(dir / "q.html", html);
    CHECK(html_errors(dir / "q.html") == "");
    CHECK(html.find("bad\xef\xbf\xbd\xef\xbf\xbd-?-?-") != std::string::npos);
  }

  SECTION("drift from an older profile, on the grid and as lists") {
    ReportOptions o = golden_options("report_app.json");
    o.old_side =
        surface_from_profile(load_profile(golden_path("input/report_old.json")), o.seccomp);
    o.old_name = "report_old.json";
    const std::string html = emit_report(p, o);
    write_text(dir / "drift.html", html);
    CHECK(html_errors(dir / "drift.html") == "");
    check_golden("report/drift.txt", page_text(dir / "drift.html"));
    const auto cells = page_cells(html);
    const auto& x64 = cells.at("x86_64");
    // New since OLD: ptrace, unshare, fsync (static); gone: mount and chroot.
    for (const char* s : {"ptrace", "unshare", "fsync"}) {
      INFO(s);
      CHECK(x64.at(s).classes.count("added"));
      CHECK_FALSE(x64.at(s).classes.count("gone"));
    }
    for (const char* s : {"mount", "chroot"}) {
      INFO(s);
      CHECK(x64.at(s).classes.count("gone"));
    }
    CHECK_FALSE(x64.at("write").classes.count("added"));
    CHECK_FALSE(x64.at("write").classes.count("gone"));
    std::size_t marked = 0;
    for (const auto& [name, c] : x64) marked += c.classes.count("added") + c.classes.count("gone");
    // Exactly the syscall entries tailor diff lists, no more.
    const DiffResult d = diff_surfaces(*o.old_side, surface_from_profile(p, o.seccomp));
    std::size_t listed = 0;
    for (const auto& a : d.axes)
      if (a.axis == "syscalls")
        for (const auto* side : {&a.added, &a.removed})
          for (const auto& e : *side) listed += e.arch == "x86_64";
    CHECK(marked == listed);
    CHECK(html.find("+ capability CAP_SYS_PTRACE") != std::string::npos);
    CHECK(html.find("&minus; capability CAP_SYS_CHROOT") != std::string::npos);
    CHECK(html.find("&minus; file /srv/old/data.db") != std::string::npos);
  }
}

TEST_CASE("report cli: merged inputs, --old, --baseline FILE, bad input", "[report]") {
  TempDir dir;
  const std::string app = golden_path("input/report_app.json");
  const std::string old = golden_path("input/report_old.json");

  SECTION("--old through the command line marks the grid") {
    const RunResult r =
        run({tailor_bin(), "report", app, "--old", old, "-q", "-o", dir / "d.html"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());
    const std::string html = read_text(dir / "d.html");
    CHECK(html.find("c used risky added") != std::string::npos);
    CHECK(html.find("Drift since") != std::string::npos);
  }

  SECTION("two profiles merge as generate merges them") {
    const RunResult r = run({tailor_bin(), "report", app, old, "-q", "-o", dir / "m.html"});
    REQUIRE(r.status == 0);
    const auto cells = page_cells(read_text(dir / "m.html"));
    // mount came only from the second profile.
    CHECK(cells.at("x86_64").at("mount").classes.count("used"));
    CHECK(cells.at("x86_64").at("ptrace").classes.count("used"));
  }

  SECTION("--static takes one file: the profile may come after it") {
    const RunResult a =
        run({tailor_bin(), "report", app, "--static", old, "-q", "-o", dir / "after.html"});
    const RunResult b =
        run({tailor_bin(), "report", "--static", old, app, "-q", "-o", dir / "before.html"});
    INFO(a.err << b.err);
    REQUIRE(a.status == 0);
    REQUIRE(b.status == 0);
    CHECK(read_text(dir / "before.html") == read_text(dir / "after.html"));
    // mount is only in the input given to --static: it was read.
    const auto cells = page_cells(read_text(dir / "before.html"));
    CHECK(cells.at("x86_64").at("mount").classes.count("used"));
  }

  SECTION("--baseline FILE: tailor's own filter as the baseline removes nothing") {
    const RunResult g = run(
        {tailor_bin(), "generate", app, "-q", "--runtime", "docker", "--seccomp", dir / "s.json"});
    REQUIRE(g.status == 0);
    const RunResult r =
        run({tailor_bin(), "report", app, "--baseline", dir / "s.json", "-o", dir / "b.html"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    const std::string html = read_text(dir / "b.html");
    CHECK(html_errors(dir / "b.html") == "");
    std::size_t removed = 0, total = 0;
    for (const auto& [arch, calls] : page_cells(html))
      for (const auto& [name, c] : calls) {
        removed += c.classes.count("removed");
        ++total;
      }
    CHECK(total > 300);
    CHECK(removed == 0);
    CHECK(html.find("s.json") != std::string::npos);
  }

  SECTION("bad input: one line, exit 2, nothing written") {
    write_text(dir / "bad.json", "{\"tailor\": 1, \"syscalls\": 3}");
    for (const auto& argv : std::vector<std::vector<std::string>>{
             {tailor_bin(), "report", dir / "bad.json", "-o", dir / "x.html"},
             {tailor_bin(), "report", dir / "missing.json", "-o", dir / "x.html"},
             {tailor_bin(), "report", app, "--baseline", app, "-o", dir / "x.html"},
             {tailor_bin(), "report", app, "--old", dir / "bad.json", "-o", dir / "x.html"},
             {tailor_bin(), "report", app, "-o", dir / "no/such/dir/x.html"}}) {
      const RunResult r = run(argv);
      INFO(argv[2] << " " << argv[3] << ": " << r.err);
      CHECK(r.status == 2);
      CHECK(lines_of(r.err).size() == 1);
      CHECK(r.err.rfind("tailor: ", 0) == 0);
      CHECK_FALSE(std::filesystem::exists(dir / "x.html"));
    }
  }
}

TEST_CASE("report: the built-in Docker default is Debian's file, byte for byte", "[report]") {
  const std::string committed =
      read_text(std::string(TAILOR_SOURCE_DIR) + "/emitters/data/docker-default-seccomp.json");
  REQUIRE(!committed.empty());
  CHECK(std::string(docker_default_seccomp_json()) == committed);
  CHECK(docker_default_seccomp_provenance().package == "golang-github-docker-docker-dev");
  // It reads as a Docker profile, with the capability conditions the page resolves.
  const SeccompPolicy pol = seccomp_policy_from_json(committed);
  CHECK_FALSE(pol.arch_map.empty());
  CHECK(std::any_of(pol.syscalls.begin(), pol.syscalls.end(),
                    [](const SeccompRule& r) { return !r.includes.caps.empty(); }));

  // The committed copy against the file in Debian's package, when apt can download it.
  const RunResult r =
      run({"bash", std::string(TAILOR_SOURCE_DIR) + "/scripts/update-docker-default.sh", "--check"},
          300);
  if (r.status == 3) {
    WARN(
        "SKIP: cannot compare with Debian's golang-github-docker-docker-dev (apt-get download "
        "failed, offline?): "
        << r.err.substr(0, r.err.find('\n')));
    return;
  }
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(r.out.find("matches") != std::string::npos);
}
