// Big profiles (issue 10: a recursive search over /usr/share records ~100k files): `tailor diff`,
// `merge` and `generate` must give exactly what the straightforward algorithms give, only
// faster. Profiles are built here from synthetic paths shaped like real recordings (package
// trees, python modules, temp names, /proc, devices, executables, special characters), so each
// check covers the collapsing thresholds and the pattern kinds the emitter writes. How fast is
// measured by bench/scale_bench (bench/README.md), never asserted here.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "golden.h"
#include "scale_synthetic.h"
#include "support.h"
#include "tailor/diff.h"
#include "tailor/emitters.h"
#include "tailor/error.h"
#include "tailor/profile_json.h"

using tailor::Profile;
using tailor::test::scale::add;
using tailor::test::scale::drifted;
using tailor::test::scale::mixed;
using tailor::test::scale::synthetic;

namespace {

tailor::Surface side(const Profile& p) {
  return tailor::surface_from_profile(p, tailor::SeccompOptions{});
}

std::set<std::string> file_entries(const std::vector<tailor::DiffEntry>& v) {
  std::set<std::string> out;
  for (const auto& e : v)
    if (e.kind == "file") out.insert(e.subject + " | " + e.detail);
  return out;
}

const tailor::AxisDiff& files_axis(const tailor::DiffResult& d) {
  for (const auto& a : d.axes)
    if (a.axis == "files") return a;
  FAIL("no files axis");
  return d.axes.front();
}

unsigned perm_bits(const std::string& perms) {
  unsigned bits = 0;
  for (char c : perms) bits |= 1u << (static_cast<unsigned char>(c) & 31);
  return bits;
}

// The files axis as include/tailor/diff.h defines it, computed the plain way: every recorded
// path of every rule of `to` against every rule of `from`, AppArmor grants being the union of
// all matching rules.
std::set<std::string> reference_uncovered(const std::vector<tailor::AppArmorFileRule>& from,
                                          const std::vector<tailor::AppArmorFileRule>& to) {
  std::set<std::string> out;
  for (const auto& r : to) {
    const unsigned need = perm_bits(r.perms);
    std::vector<std::string> paths = r.paths;
    if (paths.empty()) paths.push_back(r.pattern);
    bool covered = true;
    for (const auto& path : paths) {
      unsigned have = 0;
      for (const auto& o : from) {
        if (o.owner && !r.owner) continue;
        if (o.pattern == r.pattern || tailor::apparmor_pattern_matches(o.pattern, path))
          have |= perm_bits(o.perms);
      }
      if ((have & need) != need) {
        covered = false;
        break;
      }
    }
    if (!covered) out.insert((r.owner ? "owner " : "") + r.pattern + " | " + r.perms);
  }
  return out;
}

nlohmann::json rules_json(const std::vector<tailor::AppArmorFileRule>& rules) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& r : rules)
    j.push_back(
        {{"pattern", r.pattern}, {"owner", r.owner}, {"perms", r.perms}, {"paths", r.paths}});
  return j;
}

}  // namespace

TEST_CASE("scale: collapsing a synthetic 4000-file profile gives the golden rules", "[scale]") {
  const Profile p = synthetic(4000, 1);
  REQUIRE(p.files.size() == 4000);
  tailor::AppArmorOptions o;
  o.name = "scale";
  tailor::test::check_golden("apparmor/scale_synthetic.profile", tailor::emit_apparmor(p, o));
  tailor::test::check_golden("apparmor/scale_synthetic.rules.json",
                             rules_json(tailor::apparmor_file_rules(p)).dump(1) + "\n");
}

// The rules are built from one key string per grant since issue 10's second round; the golden
// files were written by the emitter before that (the one of commit 539a457, from this same
// profile): rules, permissions and the recorded paths each stands for must not have moved.
TEST_CASE("scale: rules of a profile with every kind of path equal the golden (pre-rewrite)",
          "[scale]") {
  const Profile p = mixed(3000, 7);
  tailor::AppArmorOptions o;
  o.name = "scale";
  tailor::test::check_golden("apparmor/scale_mixed.profile", tailor::emit_apparmor(p, o));
  tailor::test::check_golden("apparmor/scale_mixed.rules.json",
                             rules_json(tailor::apparmor_file_rules(p)).dump(1) + "\n");
}

TEST_CASE("scale: the files axis equals the pairwise reference on a drifted profile", "[scale]") {
  const Profile base = synthetic(3000, 2);
  const Profile next = drifted(base, 3);
  const auto base_rules = tailor::apparmor_file_rules(base);
  const auto next_rules = tailor::apparmor_file_rules(next);
  const tailor::DiffResult d = tailor::diff_surfaces(side(base), side(next));
  const auto want_added = reference_uncovered(base_rules, next_rules);
  const auto want_removed = reference_uncovered(next_rules, base_rules);
  // The drift is real in both directions, so the comparison is not between two empty sets.
  CHECK(want_added.size() > 10);
  CHECK(want_removed.size() > 10);
  CHECK(file_entries(files_axis(d).added) == want_added);
  CHECK(file_entries(files_axis(d).removed) == want_removed);
  // Against itself nothing is added or removed.
  const tailor::DiffResult same = tailor::diff_surfaces(side(next), side(next));
  CHECK(files_axis(same).added.empty());
  CHECK(files_axis(same).removed.empty());
}

TEST_CASE("scale: AppArmorPatternSet answers as apparmor_pattern_matches", "[scale]") {
  const Profile p = synthetic(2000, 4);
  std::vector<std::string> patterns;
  std::vector<std::string> paths = {
      "",     "/",     "//", "/proc/123/maps", "/proc/self/maps", "/tmp/x/@odd", "/a/b",
      "/a/x", "foo\\", "x"};
  for (const auto& r : tailor::apparmor_file_rules(p)) {
    patterns.push_back(r.pattern);
    for (std::size_t i = 0; i < r.paths.size(); i += 3) {
      const std::string& path = r.paths[i];
      paths.push_back(path);
      paths.push_back(path + "x");
      paths.push_back(path.substr(0, path.size() - 1));
      paths.push_back(path.substr(0, path.rfind('/') + 1));
    }
  }
  // What the emitter never writes but the matcher reads: alternations, classes, escapes,
  // variables, unterminated brackets and braces, globs at the very start.
  for (const char* extra : {"",
                            "*",
                            "**",
                            "/",
                            "/*",
                            "/**",
                            "?",
                            "/a/[",
                            "/a/[bx]",
                            "/a/[^b]",
                            "/a/[a-c]",
                            "foo\\",
                            "{/a/b,/a/x}",
                            "/{a,tmp}/**",
                            "/a/{b,{x,y}}",
                            "/a/{b",
                            "/tmp/x/\\@odd",
                            "@{PROC}/@{pid}/maps",
                            "@{PROC}/*/maps",
                            "\\@{PROC}/x",
                            "/proc/{[^1-9/],[^1-9/][^0-9/]}/**",
                            "/usr/share/**",
                            "/usr/share/a1/*",
                            "/usr/share/a1/pkg*/f?.txt",
                            "/etc/app[0-9]*.conf",
                            "x"})
    patterns.push_back(extra);
  const tailor::AppArmorPatternSet set(patterns);
  std::size_t matched = 0;
  for (const auto& path : paths) {
    std::vector<std::size_t> want;
    for (std::size_t i = 0; i < patterns.size(); ++i)
      if (tailor::apparmor_pattern_matches(patterns[i], path)) want.push_back(i);
    INFO("path " << path);
    REQUIRE(set.matching(path) == want);
    matched += !want.empty();
  }
  CHECK(matched > paths.size() / 2);  // most paths match something: the check has teeth
}

TEST_CASE("scale: a 50,000-file profile against itself and against known changes", "[scale]") {
  const Profile base = synthetic(50000, 5);
  // Files in new directories (each its own rule) and one more permission inside a tree.
  Profile more = base;
  std::set<std::string> want;
  for (int k = 0; k < 5; ++k) {
    add(more, "/opt/fresh" + std::to_string(k) + "/file", {"read"});
    want.insert("/opt/fresh" + std::to_string(k) + "/file | r");
  }
  for (auto& [path, use] : more.files)
    if (path.rfind("/usr/share/a0/pkg0/", 0) == 0 &&
        use.access == std::set<std::string>{"read", "stat"}) {
      use.access.insert("write");
      want.insert(path + " | rw");
      break;
    }
  REQUIRE(want.size() == 6);
  const tailor::Surface base_side = side(base), more_side = side(more);
  const tailor::DiffResult same = tailor::diff_surfaces(base_side, base_side);
  CHECK(same.added() == 0);
  CHECK(same.removed() == 0);
  const tailor::DiffResult d = tailor::diff_surfaces(base_side, more_side);
  CHECK(file_entries(files_axis(d).added) == want);
  CHECK(files_axis(d).removed.empty());
  const tailor::DiffResult back = tailor::diff_surfaces(more_side, base_side);
  CHECK(files_axis(back).added.empty());
  CHECK(file_entries(files_axis(back).removed) == want);

  // The same through the real CLI: the files as written and read back, diff, merge, generate.
  tailor::test::TempDir t;
  const std::string a = t / "a.json", b = t / "b.json";
  tailor::write_file_atomic(a, tailor::to_json(base));
  tailor::write_file_atomic(b, tailor::to_json(more));
  const auto r = tailor::test::run(
      {tailor::test::tailor_bin(), "diff", a, b, "--format", "json", "-o", t / "d.json"});
  INFO(r.err);
  CHECK(r.status == 1);  // drift
  const auto j = nlohmann::json::parse(tailor::test::read_text(t / "d.json"));
  std::set<std::string> cli_added;
  for (const auto& e : j["axes"]["files"]["added"])
    cli_added.insert(e["name"].get<std::string>() + " | " + e["detail"].get<std::string>());
  CHECK(cli_added == want);
  CHECK(j["axes"]["files"]["removed"].empty());

  CHECK(tailor::test::run({tailor::test::tailor_bin(), "merge", a, b, "-o", t / "m.json"}).status ==
        0);
  CHECK(tailor::test::read_text(t / "m.json") == tailor::to_json(tailor::merge(base, more)));
  CHECK(tailor::test::run({tailor::test::tailor_bin(), "generate", b, "--apparmor", t / "b.aa",
                           "--name", "scale"})
            .status == 0);
  tailor::AppArmorOptions o;
  o.name = "scale";
  CHECK(tailor::test::read_text(t / "b.aa") == tailor::emit_apparmor(more, o));
}

TEST_CASE("scale: a file rule for / itself is listed, not a crash", "[scale]") {
  // collapse() used to build the parent directory of every collapsible rule, and "/" has none.
  Profile p;
  add(p, "/", {"read"});
  for (int i = 0; i < 10; ++i) add(p, "/f" + std::to_string(i), {"read"});
  std::vector<tailor::AppArmorFileRule> rules;
  REQUIRE_NOTHROW(rules = tailor::apparmor_file_rules(p));
  std::set<std::string> patterns;
  for (const auto& r : rules) patterns.insert(r.pattern + " " + r.perms);
  CHECK(patterns == std::set<std::string>{"/ r", "/* r"});
}

TEST_CASE("scale: file entries read while parsing keep the document's rules", "[scale]") {
  // The reader takes each file entry out of the JSON document as soon as it is parsed. What a
  // document means must not change: the last of repeated keys wins, the first bad entry in key
  // order is the one reported, the format version is checked before any entry.
  struct Case {
    const char* json;
    const char* files_or_error;  // "/path=access,..." per file, or the error text
  };
  const Case cases[] = {
      {R"({"files": {"/x": {"access": ["read"]}, "/x": {"access": ["write"]}}, "tailor": 1})",
       "/x=write"},
      {R"({"files": {"/x": 5, "/x": {"access": ["read"]}}, "tailor": 1})", "/x=read"},
      {R"({"files": {"/x": {"access": ["read"]}, "/x": 5}, "tailor": 1})",
       "malformed tailor profile: files./x: expected an object"},
      {R"({"files": {"/x": {"access": ["read"]}}, "files": {"/y": {}}, "tailor": 1})", "/y="},
      {R"({"files": {"/x": {"access": ["read"]}}, "files": 3, "tailor": 1})",
       "malformed tailor profile: files: expected an object"},
      {R"({"files": [1], "files": {"/y": {"access": ["write"]}}, "tailor": 1})", "/y=write"},
      {R"({"files": {"/b": {"access": [1]}, "/a": {"succeeded": 1}}, "tailor": 1})",
       "malformed tailor profile: files./a.succeeded: expected true or false"},
      {R"({"files": {"/a": {"access": ["read"]}, "/b": {"succeeded": 1}}, "tailor": 1})",
       "malformed tailor profile: files./b.succeeded: expected true or false"},
      {R"({"files": {"/x": 5}, "tailor": 2})",
       "unsupported tailor profile format version 2 (this tailor reads 1)"},
      {R"({"files": {"/x": [{"access": ["read"]}], "/x": {"access": ["mkdir"]}}, "tailor": 1})",
       "/x=mkdir"},
      {R"({"files": {"/x": {"access": ["read"]}}, "syscalls": {"x86_64": []}, "tailor": 1})",
       "malformed tailor profile: syscalls.x86_64: expected an object"},
      {R"({"a": {"files": {"/q": {}}}, "files": {"/x": {"nested": {"files": {"/r": {}}}}},
          "tailor": 1})",
       "/x="},
  };
  tailor::test::TempDir t;
  for (const auto& c : cases) {
    auto describe = [](const Profile& p) {
      std::string s;
      for (const auto& [path, use] : p.files) {
        s += (s.empty() ? "" : " ") + path + "=";
        std::string acc;
        for (const auto& a : use.access) acc += (acc.empty() ? "" : ",") + a;
        s += acc;
      }
      return s;
    };
    INFO(c.json);
    std::string got;
    try {
      got = describe(tailor::profile_from_json(c.json));
    } catch (const tailor::Error& e) {
      got = e.what();
    }
    CHECK(got == c.files_or_error);
    // load_profile_or_policy parses once and reads the entries the same way.
    const std::string file = t / "p.json";
    tailor::write_file_atomic(file, c.json);
    try {
      const auto in = tailor::load_profile_or_policy(file);
      REQUIRE(in.profile);
      got = describe(*in.profile);
    } catch (const tailor::Error& e) {
      got = std::string(e.what()).substr(file.size() + 2);
    }
    CHECK(got == c.files_or_error);
  }
}

// File entries are read by a parser of their own, which takes only what to_json() writes and
// leaves anything else to the plain JSON parser. Each text on the left must read as its plain
// spelling on the right; each bad one must fail as the document reader reports it.
TEST_CASE("scale: file entries the fast reader leaves to the document read as the document does",
          "[scale]") {
  auto with_files = [](const std::string& files) {
    return R"({"tailor": 1, "files": )" + files + "}";
  };
  const std::pair<std::string, std::string> same[] = {
      // keys it does not know, with values of every kind
      {R"({"/x": {"access": ["read"], "future": {"a": [-1, 2.5, "s", null, true]}}})",
       R"({"/x": {"access": ["read"]}})"},
      {R"({"/x": {"access": ["read"], "static": []}})", R"({"/x": {"access": ["read"]}})"},
      // "count" is not read when "by" is there, whatever it holds; null is as if absent
      {R"({"/x": {"by": {"/a": 2}, "count": "x"}})", R"({"/x": {"by": {"/a": 2}}})"},
      {R"({"/x": {"by": {"/a": 2}, "count": 1.5}})", R"({"/x": {"by": {"/a": 2}}})"},
      {R"({"/x": {"by": null, "count": 3}})", R"({"/x": {"count": 3}})"},
      {R"({"/x": {"count": 18446744073709551615}})",
       R"({"/x": {"by": {"": 18446744073709551615}}})"},
      {R"({"/x": {"succeeded": null, "types": null, "errors": null, "pids": null, "access": null}})",
       R"({"/x": {}})"},
      // the last of a repeated key
      {R"({"/x": {"access": ["read"], "access": ["write"]}})", R"({"/x": {"access": ["write"]}})"},
      {R"({"/x": {"by": {"/a": 1, "/a": 5}}})", R"({"/x": {"by": {"/a": 5}}})"},
      // "-0" is a zero
      {R"({"/x": {"pids": [-0], "count": -0}})", R"({"/x": {"pids": [0]}})"},
      // escapes and UTF-8, other white space
      {R"({"/x\u00e9\ud83d\ude00\t\"\\\/": {"access": ["r\u00e9"]}})",
       "{\"/x\xc3\xa9\xf0\x9f\x98\x80\\t\\\"\\\\/\": {\"access\": [\"r\xc3\xa9\"]}}"},
      {"{\t\"/x\" :\r\n{ \"access\" : [ ] } }", R"({"/x": {"access": []}})"},
  };
  tailor::test::TempDir t;
  auto load_both = [&](const std::string& text) {
    const Profile p = tailor::profile_from_json(text);
    tailor::write_file_atomic(t / "p.json", text);
    const auto in = tailor::load_profile_or_policy(t / "p.json");
    REQUIRE(in.profile);
    CHECK(*in.profile == p);
    return p;
  };
  for (const auto& [odd, plain] : same) {
    INFO(odd);
    CHECK(load_both(with_files(odd)) == load_both(with_files(plain)));
  }
  // The "files" key spelled with an escape, a byte order mark, "files" inside other members.
  const std::string plain = with_files(R"({"/x": {"access": ["read"]}})");
  CHECK(load_both(R"({"tailor": 1, "fil\u0065s": {"/x": {"access": ["read"]}}})") ==
        load_both(plain));
  CHECK(load_both("\xef\xbb\xbf" + plain) == load_both(plain));
  CHECK(load_both(R"({"a": {"files": 1}, "files": {"/x": {"access": ["read"]}}, "tailor": 1})") ==
        load_both(plain));
  // Static evidence on a file entry: kept.
  const Profile st = load_both(
      with_files(R"({"/x": {"static": [{"object": "/o", "function": "f", "address": "0x10"}]}})"));
  CHECK(st.files.at("/x").ev.sites.size() == 1);

  const std::pair<std::string, std::string> bad[] = {
      {R"({"/x": {"pids": [4294967296]}})",
       "malformed tailor profile: files./x.pids[]: out of range"},
      {R"({"/x": {"count": 18446744073709551616}})",
       "malformed tailor profile: files./x.count: expected a non-negative integer"},
      {R"({"/x": {"by": {"/a": -1}}})",
       "malformed tailor profile: files./x.by./a: expected a non-negative integer"},
      {R"({"/x": {"static": [{"object": 1}]}})",
       "malformed tailor profile: files./x.static[].address: expected a string"},
      {R"({"/x": {"succeeded": "yes"}})",
       "malformed tailor profile: files./x.succeeded: expected true or false"},
      {R"({"/x": {"types": ["dir", 1]}})",
       "malformed tailor profile: files./x.types[]: expected a string"},
      {R"({"/x\ud800": {}})",
       "not valid JSON: [json.exception.parse_error.101] parse error at line 1, column 34: syntax "
       "error while parsing object key - invalid string: surrogate U+D800..U+DBFF must be "
       "followed by U+DC00..U+DFFF; last read: '\"/x\\ud800\"'; expected string literal"},
      {"{\"/x\xff\": {}}",
       "not valid JSON: [json.exception.parse_error.101] parse error at line 1, column 28: syntax "
       "error while parsing object key - invalid string: ill-formed UTF-8 byte; last read: "
       "'\"/x\xff'; expected string literal"},
      {R"({"/x": {"access": ["read",]}})",
       "not valid JSON: [json.exception.parse_error.101] parse error at line 1, column 50: syntax "
       "error while parsing value - unexpected ']'; expected '[', '{', or a literal"},
      {R"({"/x": {"count": 01}})",
       "not valid JSON: [json.exception.parse_error.101] parse error at line 1, column 42: syntax "
       "error while parsing object - unexpected number literal; expected '}'"},
  };
  for (const auto& [files, error] : bad) {
    INFO(files);
    std::string got;
    try {
      tailor::profile_from_json(with_files(files));
    } catch (const tailor::Error& e) {
      got = e.what();
    }
    CHECK(got == error);
  }
}

// to_json() prints the file entries itself, as nlohmann's dump(2) printed the document it used to
// build for them: the text is the dump of its own parse, and reads back as the profile.
TEST_CASE("scale: to_json prints file entries as the JSON document printed them", "[scale]") {
  Profile p = mixed(1500, 3);
  auto& odd = p.files["/srv/\"quoted\"\\back\x01\x7f/\xc3\xa9\xf0\x9f\x98\x80"];
  odd.access = {"read", "we\"ird"};
  odd.ev.add("/usr/bin/\\tab\t");
  odd.types = {"dir", "file", "symlink"};
  odd.errors = {"EACCES", "ENOENT"};
  odd.pids = {0, 7, 4294967295u};
  p.files["/srv/empty"];  // no access, no evidence
  auto& st = p.files["/srv/static"];
  st.access = {"read"};
  st.ev.sites.insert({"/lib/x.so", "f", 0x10});
  const std::string text = tailor::to_json(p);
  CHECK(text ==
        nlohmann::json::parse(text).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
            "\n");
  CHECK(tailor::profile_from_json(text) == p);
  // Bytes that are not UTF-8 are written as U+FFFD, as the document's dump wrote them.
  Profile bad;
  bad.files["/srv/\xff\xfe"].access = {"read"};
  bad.files["/srv/ok"].ev.add("/bin/\xc3");
  const std::string bad_text = tailor::to_json(bad);
  CHECK(bad_text == nlohmann::json::parse(bad_text).dump(2) + "\n");
  CHECK(tailor::profile_from_json(bad_text).files.count("/srv/\xef\xbf\xbd\xef\xbf\xbd") == 1);
}

// merge and generate move their first input into the (empty) result instead of merging it
// entry by entry; the result must be what merge_into() gives, -0.0 seconds of wall time included.
TEST_CASE("scale: merging into nothing gives what merge_into gives", "[scale]") {
  tailor::test::TempDir t;
  const Profile a = mixed(800, 9);
  std::string text = tailor::to_json(a);
  const std::string wall = "\"wall_seconds\": 0.0";
  REQUIRE(text.find(wall) != std::string::npos);
  text.replace(text.find(wall), wall.size(), "\"wall_seconds\": -0.0");
  tailor::write_file_atomic(t / "a.json", text);
  const Profile loaded = tailor::load_profile(t / "a.json");
  REQUIRE(std::signbit(loaded.resources.wall_seconds));
  Profile want;
  tailor::merge_into(want, loaded);
  const std::string bin = tailor::test::tailor_bin();
  REQUIRE(tailor::test::run({bin, "merge", t / "a.json", "-o", t / "m.json"}).status == 0);
  CHECK(tailor::read_file(t / "m.json") == tailor::to_json(want));
  REQUIRE(
      tailor::test::run({bin, "merge", t / "a.json", t / "a.json", "-o", t / "m2.json"}).status ==
      0);
  CHECK(tailor::read_file(t / "m2.json") == tailor::to_json(tailor::merge(want, loaded)));
}

TEST_CASE("scale: diff and merge read inputs concurrently, errors still in argument order",
          "[scale]") {
  tailor::test::TempDir t;
  tailor::write_file_atomic(t / "ok.json", tailor::to_json(synthetic(2000, 6)));
  tailor::write_file_atomic(t / "broken.json", "{\"tailor\": 1, \"files\": [");
  tailor::write_file_atomic(t / "newer.json", "{\"tailor\": 2}");
  const std::string bin = tailor::test::tailor_bin();
  auto first_line = [](const tailor::test::RunResult& r) {
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find('\n') == r.err.size() - 1);
    return r.err;
  };
  // Both sides bad: OLD's error, whichever side finished first.
  CHECK(first_line(tailor::test::run({bin, "diff", t / "broken.json", t / "newer.json"}))
            .find(t / "broken.json: not JSON") != std::string::npos);
  CHECK(first_line(tailor::test::run({bin, "diff", t / "newer.json", t / "broken.json"}))
            .find(t / "newer.json: unsupported") != std::string::npos);
  CHECK(first_line(tailor::test::run({bin, "diff", t / "ok.json", t / "newer.json"}))
            .find(t / "newer.json: unsupported") != std::string::npos);
  // merge: the first bad input in argument order, and no output.
  CHECK(first_line(tailor::test::run({bin, "merge", t / "ok.json", t / "newer.json",
                                      t / "broken.json", "-o", t / "m.json"}))
            .find(t / "newer.json: unsupported") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(t / "m.json"));
  CHECK(tailor::test::run(
            {bin, "merge", t / "ok.json", t / "ok.json", t / "ok.json", "-o", t / "m.json"})
            .status == 0);
  const Profile ok = tailor::load_profile(t / "ok.json");
  CHECK(tailor::load_profile(t / "m.json") == tailor::merge(tailor::merge(ok, ok), ok));
}
