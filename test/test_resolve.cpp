// Library closure resolution against the real dynamic loader. The oracle is glibc's ld.so
// itself in trace mode (LD_TRACE_LOADED_OBJECTS=1, what ldd runs): for every binary, the paths
// resolve_closure finds must be the paths ld.so prints, in its load order, and the names ld.so
// cannot find must be the closure's `missing`. For --root the oracle is ld.so run chrooted into
// the same root; for the cache parser it is `ldconfig -p`. Broken caches and escaping symlinks
// must neither crash (this also runs under ASan) nor leave the root.
#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "resolve.h"
#include "support.h"
#include "tailor/error.h"

using tailor::analyzer::canonical_in_root;
using tailor::analyzer::Closure;
using tailor::analyzer::host_path_in_root;
using tailor::analyzer::ld_cache_lookup;
using tailor::analyzer::LdCacheEntry;
using tailor::analyzer::Machine;
using tailor::analyzer::parse_ld_cache;
using tailor::analyzer::read_dyn_info;
using tailor::analyzer::resolve_closure;
using tailor::analyzer::ResolveOptions;
using tailor::test::run;
using tailor::test::sample;
using tailor::test::TempDir;
namespace fs = std::filesystem;

namespace {

bool exists(const std::string& p) {
  return fs::exists(p);
}

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& b) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// What ld.so in trace mode reports for one binary.
struct Trace {
  int status = -1;
  std::string err;
  std::vector<std::string> found;  // "=> PATH" and bare "/PATH" lines, in its order
  std::set<std::string> not_found;
};

// Read by trace_setup in the forked child (run() takes a plain function pointer).
std::string g_chroot, g_library_path;

void trace_setup() {
  if (!g_chroot.empty() && (::chroot(g_chroot.c_str()) != 0 || ::chdir("/") != 0)) ::_exit(125);
  ::setenv("LD_TRACE_LOADED_OBJECTS", "1", 1);
  if (g_library_path.empty())
    ::unsetenv("LD_LIBRARY_PATH");
  else
    ::setenv("LD_LIBRARY_PATH", g_library_path.c_str(), 1);
}

// Runs the binary's own interpreter (the i386 one for i386 binaries) in trace mode, optionally
// chrooted into `root` (then `binary` and `interp` are paths inside it).
Trace ld_trace(const std::string& interp, const std::string& binary,
               const std::string& library_path = "", const std::string& root = "") {
  g_chroot = root;
  g_library_path = library_path;
  const auto r = run({interp, binary}, 60, trace_setup);
  Trace t;
  t.status = r.status;
  t.err = r.err;
  for (std::string line : lines_of(r.out)) {
    line.erase(0, line.find_first_not_of(" \t"));
    const auto addr = line.rfind(" (0x");
    if (addr != std::string::npos) line.erase(addr);
    const auto arrow = line.find(" => ");
    if (arrow != std::string::npos) {
      const std::string target = line.substr(arrow + 4);
      if (target == "not found")
        t.not_found.insert(line.substr(0, arrow));
      else
        t.found.push_back(target);
    } else if (!line.empty() && line[0] == '/') {
      t.found.push_back(line);  // the interpreter, or a DT_NEEDED that is a path
    }
  }
  return t;
}

std::string interpreter_of(const std::string& binary) {
  return read_dyn_info(binary).interpreter;
}

std::string canon(const std::string& p) {
  std::error_code ec;
  auto c = fs::canonical(p, ec);
  return ec ? "<" + p + ": " + ec.message() + ">" : c.string();
}

std::string describe(const Closure& c) {
  std::string s;
  for (const auto& o : c.objects)
    s += "  " + o.path + " (" + o.needed_name + " <- " + o.needed_by + ")\n";
  for (const auto& m : c.missing)
    s += "  missing " + m.name + " <- " + m.needed_by + ": " + m.reason + "\n";
  return s;
}

std::string describe(const Trace& t) {
  std::string s = "  status " + std::to_string(t.status) + "\n";
  for (const auto& f : t.found) s += "  " + f + "\n";
  for (const auto& n : t.not_found) s += "  not found " + n + "\n";
  return s + t.err;
}

// The structure every closure must have, whatever the binary: the binary first, every other
// object named by a DT_NEEDED of an object before it (or by the binary's PT_INTERP).
void check_shape(const Closure& c, const std::string& root = "") {
  REQUIRE_FALSE(c.objects.empty());
  CHECK(c.objects[0].needed_name.empty());
  CHECK(c.objects[0].needed_by.empty());
  std::set<std::string> before = {c.objects[0].path}, seen_host;
  for (std::size_t i = 0; i < c.objects.size(); ++i) {
    const auto& o = c.objects[i];
    INFO(o.path);
    CHECK(seen_host.insert(canon(o.host_path)).second);  // no object twice
    if (root.empty()) CHECK(canon(o.host_path) == canon(o.path));
    if (i == 0) continue;
    CHECK(before.count(o.needed_by));
    if (o.needed_name == c.objects[0].info.interpreter) {
      CHECK(o.needed_by == c.objects[0].path);
    } else {
      const auto by = std::find_if(c.objects.begin(), c.objects.end(),
                                   [&](const auto& x) { return x.path == o.needed_by; });
      REQUIRE(by != c.objects.end());
      CHECK(std::count(by->info.needed.begin(), by->info.needed.end(), o.needed_name) == 1);
    }
    before.insert(o.path);
  }
}

// resolve_closure against ld.so: the same paths in the same order, the same missing names,
// and (realpath'd) the same files.
void check_like_ld_so(const std::string& binary,
                      const std::vector<std::string>& library_path = {}) {
  INFO("binary " << binary);
  std::string joined;
  for (const auto& d : library_path) joined += (joined.empty() ? "" : ":") + d;
  const Trace t = ld_trace(interpreter_of(binary), binary, joined);
  ResolveOptions opts;
  opts.library_path = library_path;
  const Closure c = resolve_closure(binary, opts);
  INFO("ld.so:\n" << describe(t) << "resolve_closure:\n" << describe(c));
  REQUIRE_FALSE(t.found.empty());  // the oracle ran
  std::vector<std::string> ours;
  std::set<std::string> ours_real, theirs_real, missing;
  for (std::size_t i = 1; i < c.objects.size(); ++i) {
    ours.push_back(c.objects[i].path);
    ours_real.insert(canon(c.objects[i].host_path));
  }
  for (const auto& f : t.found) theirs_real.insert(canon(f));
  for (const auto& m : c.missing) missing.insert(m.name);
  CHECK(ours == t.found);
  CHECK(ours_real == theirs_real);
  CHECK(missing == t.not_found);
  check_shape(c);
}

// dl_platform as the loader reports it (`ld.so --list-diagnostics`, glibc 2.33+).
std::string ld_so_platform(const std::string& interpreter) {
  const auto r = run({interpreter, "--list-diagnostics"}, 30);
  const std::string key = "dl_platform=\"";
  const auto at = r.out.find(key);
  REQUIRE(at != std::string::npos);
  const auto end = r.out.find('"', at + key.size());
  return r.out.substr(at + key.size(), end - at - key.size());
}

// Compiles C source into dir/name with `flags`; "" if the compiler or its multilib is missing.
std::string compile(const std::string& dir, const std::string& name, const std::string& source,
                    const std::vector<std::string>& flags) {
  const std::string src = dir + "/" + name + ".c", out = dir + "/" + name;
  std::ofstream(src) << source;
  std::vector<std::string> argv{"cc", "-O1", "-o", out, src};
  argv.insert(argv.end(), flags.begin(), flags.end());
  const auto r = run(argv, 120);
  INFO(r.err);
  return r.status == 0 ? out : std::string();
}

// ldconfig lives in /sbin, which a non-root PATH on Debian may not include.
std::string ldconfig() {
  if (tailor::test::have("ldconfig")) return "ldconfig";
  return exists("/sbin/ldconfig") ? "/sbin/ldconfig" : "";
}

std::string readelf_dynamic(const std::string& path) {
  return run({"readelf", "-d", path}, 60).out;
}

}  // namespace

TEST_CASE("resolve: paths resolve inside the root like a chroot", "[resolve]") {
  TempDir tmp;
  const std::string root = tmp / "root";
  fs::create_directories(root + "/usr/lib/deep");
  fs::create_directories(root + "/etc");
  std::ofstream(root + "/usr/lib/deep/libx.so") << "x";
  std::ofstream(root + "/etc/passwd") << "in root";
  fs::create_symlink("/usr/lib", root + "/lib");              // absolute: must stay in root
  fs::create_symlink("../../../../../../etc", root + "/up");  // climbs far beyond the root
  fs::create_symlink("deep/libx.so", root + "/usr/lib/rel");  // relative to its directory
  fs::create_symlink("loop2", root + "/loop1");
  fs::create_symlink("loop1", root + "/loop2");
  fs::create_symlink("/nonexistent", root + "/dangling");
  fs::create_symlink("/lib/rel", root + "/chain");  // link -> link (absolute) -> link (relative)

  CHECK(canonical_in_root(root, "/lib/deep/libx.so") == "/usr/lib/deep/libx.so");
  CHECK(host_path_in_root(root, "/lib/deep/libx.so") == root + "/usr/lib/deep/libx.so");
  CHECK(canonical_in_root(root, "/up/passwd") == "/etc/passwd");  // not the host's /etc
  CHECK(canonical_in_root(root, "/../../etc/passwd") == "/etc/passwd");
  CHECK(canonical_in_root(root, "/lib/../etc/passwd") == std::nullopt);      // /usr/etc: absent
  CHECK(canonical_in_root(root, "/lib/../../etc/passwd") == "/etc/passwd");  // .. of /usr/lib
  CHECK(canonical_in_root(root, "/chain") == "/usr/lib/deep/libx.so");
  CHECK(canonical_in_root(root, "usr/lib/./deep//libx.so") == "/usr/lib/deep/libx.so");
  CHECK(canonical_in_root(root, "/") == "/");
  CHECK(host_path_in_root(root, "/") == root);
  CHECK(host_path_in_root(root + "///", "/etc") == root + "/etc");
  CHECK(canonical_in_root(root, "/loop1") == std::nullopt);
  CHECK(canonical_in_root(root, "/loop1/x") == std::nullopt);
  CHECK(canonical_in_root(root, "/dangling") == std::nullopt);
  CHECK(canonical_in_root(root, "/etc/passwd/x") == std::nullopt);   // file as a directory
  CHECK(canonical_in_root(root, "/etc/passwd/..") == std::nullopt);  // ENOTDIR, as the kernel
  // Every answer is really inside the root: the host's /etc/passwd is never reached.
  std::ifstream in(*host_path_in_root(root, "/up/passwd"));
  std::string content;
  std::getline(in, content);
  CHECK(content == "in root");

  // Root "" (and "/") is this machine; the answer agrees with realpath.
  CHECK(canonical_in_root("", "/bin/sh") == canon("/bin/sh"));
  CHECK(host_path_in_root("/", "/bin/sh") == canon("/bin/sh"));
  CHECK(host_path_in_root("", root + "/usr/lib/rel") == root + "/usr/lib/deep/libx.so");
  // On the host, the absolute link leaves the temp root for the host's /usr/lib.
  CHECK(host_path_in_root("", root + "/lib/rel") == std::nullopt);
  CHECK(host_path_in_root("", root + "/lib/deep/libx.so") == std::nullopt);
}

TEST_CASE("resolve: ld.so.cache parser agrees with ldconfig -p", "[resolve]") {
  if (!exists("/etc/ld.so.cache") || ldconfig().empty()) {
    WARN("no /etc/ld.so.cache or ldconfig: skipped");
    return;
  }
  const auto cache = parse_ld_cache(read_bytes("/etc/ld.so.cache"));
  const auto r = run({ldconfig(), "-p"}, 60);
  REQUIRE(r.status == 0);
  const auto lines = lines_of(r.out);
  REQUIRE_FALSE(lines.empty());
  // "712 libs found in cache `/etc/ld.so.cache'"
  std::smatch m;
  REQUIRE(std::regex_search(lines[0], m, std::regex(R"(^(\d+) libs found)")));
  CHECK(cache.size() == std::stoul(m[1]));
  // "\tlibz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1": the first line for a
  // name and flag set is the entry ld.so uses.
  const std::regex entry(R"(^\s+(\S+) \(([^)]*)\) => (\S+)$)");
  std::set<std::pair<std::string, std::string>> done;
  std::size_t checked64 = 0, checked32 = 0;
  for (const auto& line : lines) {
    if (!std::regex_match(line, m, entry)) continue;
    const std::string name = m[1], flags = m[2], path = m[3];
    if (!done.insert({name, flags}).second) continue;
    INFO(line);
    if (flags == "libc6,x86-64") {
      CHECK(ld_cache_lookup(cache, name, Machine::kX86_64, 64) == path);
      ++checked64;
    } else if (flags == "libc6") {
      CHECK(ld_cache_lookup(cache, name, Machine::kI386, 32) == path);
      ++checked32;
    }
  }
  CHECK(checked64 > 10);
  // An i386 loader never takes an x86_64 entry, and the reverse.
  const auto libc64 = ld_cache_lookup(cache, "libc.so.6", Machine::kX86_64, 64);
  const auto libc32 = ld_cache_lookup(cache, "libc.so.6", Machine::kI386, 32);
  CHECK(libc64.has_value());
  if (libc32) CHECK(libc32 != libc64);
  CHECK(ld_cache_lookup(cache, "libc.so.6", Machine::kOther, 64) == std::nullopt);
  CHECK(ld_cache_lookup(cache, "libdoesnotexist.so.9", Machine::kX86_64, 64) == std::nullopt);
}

TEST_CASE("resolve: a broken ld.so.cache gives no entries and no crash", "[resolve]") {
  if (!exists("/etc/ld.so.cache")) return;
  const auto real = read_bytes("/etc/ld.so.cache");
  REQUIRE(real.size() > 48);
  const std::size_t full = parse_ld_cache(real).size();
  REQUIRE(full > 0);
  // Truncated anywhere inside the entry table: the whole cache is refused (entries would be
  // read past the end). Inside the string table: only entries whose strings are cut go.
  const std::size_t table_end = 48 + 24 * full;
  for (std::size_t len = 0; len < real.size(); len += (len < table_end + 64 ? 7 : 997)) {
    std::vector<std::uint8_t> cut(real.begin(), real.begin() + static_cast<long>(len));
    const auto entries = parse_ld_cache(cut);
    INFO("truncated to " << len);
    if (len < table_end)
      CHECK(entries.empty());
    else
      CHECK(entries.size() <= full);
    for (const auto& e : entries) CHECK(e.name.size() + e.path.size() < len);
  }
  // Header fields that point outside the file.
  auto huge = real;
  huge[20] = huge[21] = huge[22] = huge[23] = 0xff;  // nlibs = 4294967295
  CHECK(parse_ld_cache(huge).empty());
  auto wild = real;
  for (std::size_t e = 48; e + 24 <= table_end; e += 24)
    for (std::size_t k = 4; k < 12; ++k) wild[e + k] = 0xfe;  // key and value far beyond the end
  CHECK(parse_ld_cache(wild).empty());
  auto big_endian = real;
  big_endian[28] = 3;
  CHECK(parse_ld_cache(big_endian).empty());
  // Random bytes, with and without the right magic in front.
  std::mt19937 rng(5);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::uint8_t> junk(rng() % 4096);
    for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
    if (round % 2 && junk.size() >= 20) std::copy(real.begin(), real.begin() + 20, junk.begin());
    for (const auto& e : parse_ld_cache(junk)) CHECK(e.path.size() < junk.size());
  }
  // Random byte flips in the real cache.
  for (int round = 0; round < 200; ++round) {
    auto flipped = real;
    for (int i = 0; i < 8; ++i) flipped[rng() % flipped.size()] = static_cast<std::uint8_t>(rng());
    CHECK(parse_ld_cache(flipped).size() <= full);
  }
}

TEST_CASE("resolve: closures of system binaries and samples match ld.so", "[resolve]") {
  std::vector<std::string> binaries = {"/usr/bin/python3", "/usr/bin/sqlite3", "/bin/ls",
                                       sample("fileio"),   sample("threads"),  sample("hello32")};
  std::size_t checked = 0;
  for (const auto& b : binaries) {
    if (!exists(b)) {
      WARN(b << " is not here: skipped");
      continue;
    }
    if (b == sample("hello32") && !tailor::test::i386_unavailable().empty()) {
      // ld.so cannot be asked; the closure is still checked against what Debian's biarch
      // layout holds: the i386 libc and the interpreter, nothing missing.
      WARN("hello32 not compared with its ld.so: " << tailor::test::i386_unavailable());
      const Closure c = resolve_closure(b, {});
      INFO(describe(c));
      CHECK(c.missing.empty());
      check_shape(c);
      std::set<std::string> real;
      for (const auto& o : c.objects) real.insert(canon(o.host_path));
      CHECK(real.count(canon(interpreter_of(b))));
      if (exists("/lib32/libc.so.6")) CHECK(real.count(canon("/lib32/libc.so.6")));
      continue;
    }
    check_like_ld_so(b);
    ++checked;
  }
  CHECK(checked >= 3);
  // The interpreter is part of the closure, once, under its PT_INTERP name, although libc
  // names it in its DT_NEEDED too.
  const Closure c = resolve_closure("/bin/ls", {});
  const auto interp = interpreter_of("/bin/ls");
  CHECK(std::count_if(c.objects.begin(), c.objects.end(),
                      [&](const auto& o) { return o.path == interp; }) == 1);
  // A static binary is its own closure.
  const Closure s = resolve_closure(sample("static"), {});
  CHECK(s.objects.size() == 1);
  CHECK(s.missing.empty());
}

TEST_CASE("resolve: LD_LIBRARY_PATH, other-class decoys and non-ELF files", "[resolve]") {
  const std::string bin = "/usr/bin/python3";
  const Closure plain = resolve_closure(bin, {});
  const auto libz = std::find_if(plain.objects.begin(), plain.objects.end(),
                                 [](const auto& o) { return o.needed_name == "libz.so.1"; });
  if (libz == plain.objects.end()) {
    WARN("python3 without libz.so.1: skipped");
    return;
  }
  TempDir tmp;
  const std::string copies = tmp / "copies", decoys = tmp / "decoys", text = tmp / "text";
  fs::create_directories(copies);
  fs::create_directories(decoys);
  fs::create_directories(text);
  fs::copy_file(libz->host_path, copies + "/libz.so.1");
  // Both pick the copy.
  check_like_ld_so(bin, {copies});
  const Closure with_copy = resolve_closure(bin, {"", {copies}});
  CHECK(std::count_if(with_copy.objects.begin(), with_copy.objects.end(),
                      [&](const auto& o) { return o.path == copies + "/libz.so.1"; }) == 1);

  // A 32-bit library of the same name earlier in the path is passed over, by both.
  if (exists("/usr/lib32/libc.so.6")) {
    fs::copy_file("/usr/lib32/libc.so.6", decoys + "/libc.so.6");
    check_like_ld_so(bin, {decoys, copies});
    const Closure c = resolve_closure(bin, {"", {decoys, copies}});
    for (const auto& o : c.objects) CHECK(o.path.rfind(decoys, 0) != 0);
  }

  // A file that is not ELF stops ld.so with an error instead of a search further on; what it
  // says is the reason we give. Shorter than an ELF header, ld.so says "file too short".
  for (const std::string& content : {std::string("not a library\n"), std::string(200, 'x')}) {
    std::ofstream(text + "/libz.so.1") << content;
    const Trace t = ld_trace(interpreter_of(bin), bin, text);
    CHECK(t.status != 0);
    const std::string prefix = text + "/libz.so.1: ";
    const auto at = t.err.find(prefix);
    REQUIRE(at != std::string::npos);
    const std::string reason = lines_of(t.err.substr(at + prefix.size()))[0];
    const Closure c = resolve_closure(bin, {"", {text}});
    INFO(describe(c));
    REQUIRE(c.missing.size() == 1);
    CHECK(c.missing[0].name == "libz.so.1");
    CHECK(c.missing[0].reason == reason);
    CHECK(c.missing[0].needed_by == bin);
  }
}

TEST_CASE("resolve: RPATH and RUNPATH with $ORIGIN, and the transitive case", "[resolve]") {
  for (const char* name : {"res_rpath", "res_runpath", "res_rpath_chain", "res_runpath_chain"}) {
    INFO(name);
    REQUIRE(exists(sample(name)));
  }
  // The samples are what they claim to be.
  CHECK(readelf_dynamic(sample("res_rpath")).find("(RPATH)") != std::string::npos);
  CHECK(readelf_dynamic(sample("res_runpath")).find("(RUNPATH)") != std::string::npos);
  CHECK(readelf_dynamic(sample("res_runpath")).find("(RPATH)") == std::string::npos);
  CHECK(readelf_dynamic(sample("res_runpath_chain")).find("(RUNPATH)") != std::string::npos);

  const std::string reslib = canon(tailor::test::sample("reslib"));
  for (const char* name : {"res_rpath", "res_runpath", "res_rpath_chain"}) {
    INFO(name);
    // The real program loads and runs.
    CHECK(run({sample(name)}, 60).status == 0);
    check_like_ld_so(sample(name));
    const Closure c = resolve_closure(sample(name), {});
    CHECK(c.missing.empty());
    REQUIRE(c.objects.size() >= 2);
    CHECK(canon(fs::path(c.objects[1].path).parent_path()) == reslib);
    CHECK(c.objects[1].needed_by == c.objects[0].path);
  }
  // libtailorresb.so comes through the executable's RPATH although libtailorresa.so needs it.
  const Closure chain = resolve_closure(sample("res_rpath_chain"), {});
  const auto b = std::find_if(chain.objects.begin(), chain.objects.end(),
                              [](const auto& o) { return o.needed_name == "libtailorresb.so"; });
  REQUIRE(b != chain.objects.end());
  CHECK(fs::path(b->needed_by).filename() == "libtailorresa.so");

  // With RUNPATH it does not: the program fails to start, ld.so reports the name, and so do we.
  const auto r = run({sample("res_runpath_chain")}, 60);
  CHECK(r.status == 127);
  CHECK(r.err.find("libtailorresb.so") != std::string::npos);
  check_like_ld_so(sample("res_runpath_chain"));
  const Closure broken = resolve_closure(sample("res_runpath_chain"), {});
  REQUIRE(broken.missing.size() == 1);
  CHECK(broken.missing[0].name == "libtailorresb.so");
  CHECK(fs::path(broken.missing[0].needed_by).filename() == "libtailorresa.so");
  CHECK(broken.missing[0].reason == "not found");
  // LD_LIBRARY_PATH mends it, for ld.so and for us.
  check_like_ld_so(sample("res_runpath_chain"), {reslib});
}

TEST_CASE("resolve: $LIB, $PLATFORM, a library's own $ORIGIN and a NEEDED path", "[resolve]") {
  TempDir tmp;
  const std::string dir = canon(tmp.path());
  // For both classes this machine runs: the directories are named after what ld.so expands
  // $LIB and $PLATFORM to, which the resolver must know per architecture (and, for i386, per
  // loader: Debian's biarch loader on amd64 uses lib32).
  for (const bool m32 : {false, true}) {
    INFO((m32 ? "i386" : "x86_64"));
    const std::vector<std::string> arch =
        m32 ? std::vector<std::string>{"-m32"} : std::vector<std::string>{};
    const std::string base = dir + (m32 ? "/m32" : "/m64");
    fs::create_directories(base + "/inner");
    // inner: found only through outer's RUNPATH '$ORIGIN/../inner' (outer sits in a
    // directory reached through $LIB and ${PLATFORM}).
    auto flags = arch;
    flags.insert(flags.end(), {"-shared", "-fPIC", "-Wl,-soname,libinner.so"});
    if (compile(base + "/inner", "libinner.so", "int inner(void) { return 3; }\n", flags).empty()) {
      WARN("no compiler for " << (m32 ? "-m32" : "x86_64") << ": skipped");
      continue;
    }
    // Where the executable says outer is: $ORIGIN/$LIB/p-${PLATFORM}. Find out what ld.so makes
    // of it by listing, then place the library there and compare.
    const std::string noso_dir = base + "/noso";
    fs::create_directories(noso_dir);
    flags = arch;
    flags.insert(flags.end(), {"-shared", "-fPIC"});  // no soname: linking by path records it
    const std::string noso =
        compile(noso_dir, "libnoso.so", "int noso(void) { return 4; }\n", flags);
    REQUIRE_FALSE(noso.empty());
    const std::string outer_src = "int inner(void);\nint outer(void) { return inner() + 1; }\n";
    // Build outer in a scratch dir, then move it under the $LIB/$PLATFORM directory.
    const std::string scratch = base + "/scratch";
    fs::create_directories(scratch);
    flags = arch;
    flags.insert(flags.end(),
                 {"-shared", "-fPIC", "-Wl,-soname,libouter.so", "-L" + base + "/inner", "-linner",
                  "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../../../inner"});
    REQUIRE_FALSE(compile(scratch, "libouter.so", outer_src, flags).empty());
    const std::string lib = m32 ? "lib32" : "lib/x86_64-linux-gnu";
    // What ld.so itself says $PLATFORM is: on x86_64 it depends on the CPU ("haswell" on
    // Intel CPUs with AVX2 and friends, else "x86_64").
    const std::string platform = m32 ? "i686" : ld_so_platform(interpreter_of("/bin/ls"));
    INFO("$PLATFORM " << platform);
    // $ORIGIN/$LIB/p-$PLATFORM/libouter.so, and libouter's RUNPATH $ORIGIN/../../../inner
    // (three levels up from base/lib/x86_64-linux-gnu/p-x86_64 is base; for lib32 it is one
    // level less, so i386 gets its own link below).
    const std::string outer_dir = base + "/" + lib + "/p-" + platform;
    fs::create_directories(outer_dir);
    fs::rename(scratch + "/libouter.so", outer_dir + "/libouter.so");
    if (m32) {
      // base/lib32/p-i686/../../../inner = dir/inner: give i386 that directory too.
      fs::create_directories(dir + "/inner");
      fs::copy_file(base + "/inner/libinner.so", dir + "/inner/libinner.so",
                    fs::copy_options::overwrite_existing);
    }
    const std::string main_src =
        "int outer(void);\nint noso(void);\n"
        "int main(void) { return outer() + noso() == 8 ? 0 : 1; }\n";
    flags = arch;
    flags.insert(flags.end(), {"-L" + outer_dir, "-louter", noso,
                               "-Wl,--disable-new-dtags,-rpath,$ORIGIN/$LIB/p-${PLATFORM}",
                               "-Wl,-rpath-link," + base + "/inner"});
    const std::string exe = compile(base, "app", main_src, flags);
    REQUIRE_FALSE(exe.empty());
    {
      INFO(readelf_dynamic(exe));
      CHECK(readelf_dynamic(exe).find("[" + noso + "]") != std::string::npos);
    }
    if (m32 && !tailor::test::i386_unavailable().empty()) {
      WARN("i386 app not run nor compared with its ld.so: " << tailor::test::i386_unavailable());
    } else {
      CHECK(run({exe}, 60).status == 0);
      check_like_ld_so(exe);
    }
    const Closure c = resolve_closure(exe, {});
    CHECK(c.missing.empty());
    std::set<std::string> paths;
    for (const auto& o : c.objects) paths.insert(o.path);
    CHECK(paths.count(outer_dir + "/libouter.so"));
    CHECK(paths.count(noso));
  }
}

TEST_CASE("resolve: a missing library is reported, not thrown", "[resolve]") {
  TempDir tmp;
  // res_rpath without its reslib/ directory next to it.
  const std::string exe = tmp / "res_rpath";
  fs::copy_file(sample("res_rpath"), exe);
  const Trace t = ld_trace(interpreter_of(exe), exe);
  CHECK(t.not_found == std::set<std::string>{"libtailorres.so"});
  const Closure c = resolve_closure(exe, {});
  INFO(describe(c));
  REQUIRE(c.missing.size() == 1);
  CHECK(c.missing[0].name == "libtailorres.so");
  CHECK(c.missing[0].needed_by == exe);
  CHECK(c.missing[0].reason == "not found");
  check_like_ld_so(exe);  // libc and the interpreter are still found
}

TEST_CASE("resolve: a binary that is absent or not ELF is a one-line error", "[resolve]") {
  TempDir tmp;
  std::ofstream(tmp / "script.sh") << "#!/bin/sh\necho hi\n";
  fs::create_directories(tmp / "dir");
  for (const auto& bad : {tmp / "nonexistent", tmp / "script.sh", tmp / "dir"}) {
    INFO(bad);
    try {
      resolve_closure(bad, {});
      FAIL("no error");
    } catch (const tailor::Error& e) {
      const std::string what = e.what();
      CHECK(what.find(bad) != std::string::npos);
      CHECK(what.find('\n') == std::string::npos);
    }
  }
  // In a root, the binary is looked for there, not on the host.
  ResolveOptions opts;
  opts.root = tmp.path();
  CHECK_THROWS_AS(resolve_closure("/bin/ls", opts), tailor::Error);
}

namespace {

// A small root filesystem: /bin/ls with its libraries and loader, laid out like a merged-/usr
// Debian whose /lib and /lib64 are ABSOLUTE symlinks (followed on the host they leave the root),
// two libraries only in /opt/libs, which only the root's ld.so.cache (from the real ldconfig -r)
// knows about.
struct TestRoot {
  TempDir tmp;
  std::string root;
  std::vector<std::string> cache_only;  // the libraries in /opt/libs
  bool ok = false;

  TestRoot() : root(canon(tmp.path()) + "/root") {
    const Closure host = resolve_closure("/bin/ls", {});
    if (host.objects.size() < 3 || ldconfig().empty()) return;
    for (const char* d :
         {"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/bin", "/opt/libs", "/etc"})
      fs::create_directories(root + d);
    fs::create_symlink("/usr/lib", root + "/lib");
    fs::create_symlink("/usr/lib64", root + "/lib64");
    fs::create_symlink("usr/bin", root + "/bin");
    fs::copy_file(host.objects[0].host_path, root + "/usr/bin/ls");
    for (std::size_t i = 1; i < host.objects.size(); ++i) {
      const auto& o = host.objects[i];
      const std::string file = fs::path(o.path).filename();
      if (o.needed_name == host.objects[0].info.interpreter) {
        // Two copies of the loader, as separate files: PT_INTERP's (through the absolute
        // /lib64 link) and the multiarch one the cache lists. libc's DT_NEEDED of
        // ld-linux-x86-64.so.2 must find the running loader by its soname, not the copy.
        fs::copy_file(o.host_path, root + "/usr/lib64/" + file);
        fs::copy_file(o.host_path, root + "/usr/lib/x86_64-linux-gnu/" + file);
      } else if (file.rfind("libc.so", 0) == 0) {
        fs::copy_file(o.host_path, root + "/usr/lib/x86_64-linux-gnu/" + file);
      } else {
        fs::copy_file(o.host_path, root + "/opt/libs/" + file);
        cache_only.push_back(file);
      }
    }
    std::ofstream(root + "/etc/ld.so.conf") << "/opt/libs\n";
    ok = run({ldconfig(), "-r", root}, 60).status == 0 && exists(root + "/etc/ld.so.cache") &&
         !cache_only.empty();
  }
};

// The closure inside the root: every file read is under the root, every path is the in-root
// path, and (when we may chroot) the same answer as ld.so running inside that root.
Closure check_root(const TestRoot& r) {
  ResolveOptions opts;
  opts.root = r.root;
  const Closure c = resolve_closure("/bin/ls", opts);
  INFO(describe(c));
  check_shape(c, r.root);
  for (const auto& o : c.objects) {
    INFO(o.path);
    CHECK(o.host_path.rfind(r.root + "/", 0) == 0);
    CHECK(canon(o.host_path).rfind(r.root + "/", 0) == 0);
    CHECK(o.path.rfind(r.root, 0) != 0);
    CHECK(host_path_in_root(r.root, o.path) == o.host_path);
  }
  if (::geteuid() == 0) {
    const Trace t = ld_trace("/lib64/ld-linux-x86-64.so.2", "/bin/ls", "", r.root);
    INFO("ld.so in the root:\n" << describe(t));
    REQUIRE(t.status == 0);
    std::vector<std::string> ours;
    std::set<std::string> missing;
    for (std::size_t i = 1; i < c.objects.size(); ++i) ours.push_back(c.objects[i].path);
    for (const auto& m : c.missing) missing.insert(m.name);
    CHECK(ours == t.found);
    CHECK(missing == t.not_found);
  } else {
    WARN("not root: no chrooted ld.so to compare with");
  }
  return c;
}

}  // namespace

TEST_CASE("resolve: --root resolves inside the root, with its ld.so.cache", "[resolve]") {
  TestRoot r;
  if (!r.ok) {
    WARN("could not build a test root (ldconfig missing?): skipped");
    return;
  }
  const Closure c = check_root(r);
  CHECK(c.missing.empty());
  // The libraries only the cache knows are found, under their /opt/libs path.
  for (const auto& lib : r.cache_only) {
    INFO(lib);
    CHECK(std::count_if(c.objects.begin(), c.objects.end(),
                        [&](const auto& o) { return o.path == "/opt/libs/" + lib; }) == 1);
  }
  // The interpreter, through the absolute /lib64 link, once (not also its multiarch copy).
  CHECK(std::count_if(c.objects.begin(), c.objects.end(),
                      [](const auto& o) { return o.path == "/lib64/ld-linux-x86-64.so.2"; }) == 1);
}

TEST_CASE("resolve: --root with a broken ld.so.cache falls back to the default dirs", "[resolve]") {
  TestRoot r;
  if (!r.ok) {
    WARN("could not build a test root (ldconfig missing?): skipped");
    return;
  }
  const std::string cache = r.root + "/etc/ld.so.cache";
  const auto real = read_bytes(cache);
  std::mt19937 rng(7);
  std::vector<std::uint8_t> garbage(real.size());
  for (auto& b : garbage) b = static_cast<std::uint8_t>(rng());
  std::vector<std::vector<std::uint8_t>> broken = {
      garbage,
      std::vector<std::uint8_t>(real.begin(), real.begin() + 40),           // cut in the header
      std::vector<std::uint8_t>(real.begin(), real.begin() + 48 + 24 + 5),  // cut in the table
      {},
  };
  for (std::size_t i = 0; i < broken.size(); ++i) {
    INFO("broken cache #" << i);
    write_bytes(cache, broken[i]);
    const Closure c = check_root(r);  // ld.so agrees (it ignores such a cache too)
    // Without the cache the /opt/libs library ls needs is not found; libc still is, from the
    // default directories (through the absolute /lib link).
    std::set<std::string> missing;
    for (const auto& m : c.missing) missing.insert(m.name);
    CHECK_FALSE(missing.empty());
    for (const auto& name : missing)
      CHECK(std::count(r.cache_only.begin(), r.cache_only.end(), name) == 1);
    CHECK(std::count_if(c.objects.begin(), c.objects.end(), [](const auto& o) {
            return o.path == "/lib/x86_64-linux-gnu/libc.so.6";
          }) == 1);
  }
  // A cache that is an absolute symlink to /etc/ld.so.cache: followed on the host it would be
  // the host's cache (which knows /opt/libs nowhere, but libselinux in the host's dirs); inside
  // the root it is a link to itself, a loop, so no cache at all.
  fs::remove(cache);
  fs::create_symlink("/etc/ld.so.cache", cache);
  const Closure c = check_root(r);
  CHECK_FALSE(c.missing.empty());
}
