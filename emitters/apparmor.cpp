// AppArmor emitter: a complete, loadable profile from a tailor profile.
//
// The profile grants what the recording proves the workload used (files with the AppArmor
// permissions their accesses need, socket families/types, capabilities, mount operations) and
// keeps docker-default's denials (writes to /proc and /sys, kernel memory, securityfs, mount)
// wherever the workload did not need the denied thing. Deny rules win over allow rules in
// AppArmor, so a denial that would break a recorded access is left out (with a comment saying
// why) instead of silently cancelling the grant.
//
// Decisions, each explained where it is made:
//  - stat/access/readlink, chdir, chroot and xattr calls need no file rule (AppArmor 3 file
//    rules do not mediate them; chroot needs capability sys_chroot, which the capability
//    rules carry);
//  - paths that only ever failed are left out: the workload ran without them;
//  - executables get `ix`: everything in a container runs under the container's one profile,
//    and `px`/`cx` would need profiles that do not exist (the exec would be denied);
//  - per-process /proc paths become `owner @{PROC}/@{pid}/...`, temp-file names become globs,
//    and many files with the same permissions in one directory (tree) become `dir/*` (`dir/**`).
#include <algorithm>
#include <array>
#include <cctype>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "tailor/emitters.h"
#include "tailor/paths.h"

namespace tailor {

namespace {

// ---- permissions ------------------------------------------------------------------------------

enum Perm : unsigned {
  kR = 1,
  kW = 2,
  kK = 4,   // lock
  kL = 8,   // link
  kM = 16,  // mmap PROT_EXEC
  kIx = 32  // execute, inheriting this profile
};

std::string perm_string(unsigned p) {
  std::string s;
  if (p & kR) s += 'r';
  if (p & kW) s += 'w';
  if (p & kK) s += 'k';
  if (p & kL) s += 'l';
  if (p & kM) s += 'm';
  if (p & kIx) s += "ix";
  return s;
}

// Which permissions an access kind needs, and whether it proves the path is a directory.
// AppArmor 3 mediates open (r/w), create/delete/rename/setattr (all `w`), link (`l`), lock
// (`k`), exec (`x`) and mmap PROT_EXEC (`m`). It does not mediate getattr (stat, access,
// readlink), chdir, chroot (a capability) or xattrs, so those need no rule.
struct AccessRule {
  const char* access;
  unsigned perms;
  bool dir;
};
constexpr AccessRule kAccessRules[] = {
    {"read", kR, false},
    {"write", kW, false},
    {"create", kW, false},
    {"truncate", kW, false},
    {"unlink", kW, false},
    {"chmod", kW, false},
    {"chown", kW, false},
    {"utime", kW, false},
    {"mknod", kW, false},
    // rename: the source is read and deleted; the target is recorded as "create".
    {"rename", kR | kW, false},
    // connect/bind of a path-based unix socket open/create the socket file.
    {"bind", kR | kW, false},
    {"connect", kR | kW, false},
    {"exec", kIx, false},
    {"map-exec", kM, false},
    {"lock", kK, false},
    {"readdir", kR, true},
    {"mkdir", kW, true},
    {"rmdir", kW, true},
    {"chdir", 0, true},
    {"stat", 0, false},
    {"xattr", 0, false},
    {"chroot", 0, true},
    {"mount", 0, false},
    {"link", 0, false},
};

// ---- path patterns ----------------------------------------------------------------------------

// A file rule's pattern as components, each followed by '\0': "usr\0share\0*\0" is
// /usr/share/*. Literal characters are already escaped for AppArmor; globs (`*`, `@{pid}`) are
// not; the first component may be "@{PROC}". A component never holds '/' (paths are split on
// it) nor a byte below 0x20 (those are escaped), so '\0' sorts below every byte a component can
// hold: comparing two such strings compares their component lists, and a prefix of whole
// components is the pattern of an ancestor directory. One string per rule, viewed rather than
// copied, is what keeps a 100k-file profile's rules cheap to build, sort and collapse.
struct Rule {
  bool owner = false;
  bool dir = false;  // printed with a trailing '/': AppArmor tells directories by it
  unsigned perms = 0;
  std::string_view comps;
};

bool needs_escape(unsigned char ch) {
  switch (ch) {
    case '*':
    case '?':
    case '[':
    case ']':
    case '{':
    case '}':
    case '\\':
    case '"':
    case '@':
    case '^':
      return true;
    default:
      return ch < 0x20 || ch == 0x7f;
  }
}

// Characters that mean something in an AppArmor path pattern, escaped with a backslash so a
// literal file name stays literal. '@' starts variables (`@{x}`).
void append_escaped(std::string& out, std::string_view c) {
  std::size_t plain = 0;  // start of the run of characters copied as they are
  for (std::size_t i = 0; i < c.size(); ++i) {
    const auto ch = static_cast<unsigned char>(c[i]);
    if (!needs_escape(ch)) continue;
    out.append(c.data() + plain, i - plain);
    plain = i + 1;
    if (ch < 0x20 || ch == 0x7f) {
      // Control bytes as octal escapes, which the parser decodes.
      const char oct[] = {'\\', static_cast<char>('0' + ((ch >> 6) & 7)),
                          static_cast<char>('0' + ((ch >> 3) & 7)),
                          static_cast<char>('0' + (ch & 7))};
      out.append(oct, sizeof oct);
      continue;
    }
    out += '\\';
    out += static_cast<char>(ch);
  }
  out.append(c.data() + plain, c.size() - plain);
}

std::string escape_component(std::string_view c) {
  std::string out;
  append_escaped(out, c);
  return out;
}

// The pattern as AppArmor reads it, from its components.
std::string join_pattern(std::string_view comps, bool dir) {
  std::string s;
  s.reserve(comps.size() + 2);
  for (std::size_t at = 0; at < comps.size();) {
    const std::size_t end = comps.find('\0', at);
    const std::string_view c = comps.substr(at, end - at);
    if (!(at == 0 && c == "@{PROC}")) s += '/';
    s += c;
    at = end + 1;
  }
  if (s.empty() || dir) s += '/';
  return s;
}

// Paths with blanks, commas, '#' or quotes must be quoted, or the parser splits the rule there.
std::string quote_if_needed(const std::string& pattern) {
  for (char ch : pattern)
    if (ch == ' ' || ch == '\t' || ch == ',' || ch == '#' || ch == '"')
      return "\"" + pattern + "\"";
  return pattern;
}

bool all_digits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool is_digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

// A part of a file name that becomes a glob: `*`, or `@{pid}` for a number that was a pid.
struct Glob {
  std::size_t pos = 0, len = 0;
  bool pid = false;
};

// Where, in `run` (a maximal [A-Za-z0-9_] run of a name), a mkstemp/mkdtemp-made random part
// starts, or npos: a trailing part of at least 6 characters that mixes upper and lower case or
// switches between letters and digits at least twice (what random suffixes look like; "output",
// "port80" or "report_2024" do not). "sess_9f8e7d6c": when what follows the last '_' qualifies
// alone, only that part is random. Python's "tmp" + 8 random characters keeps its "tmp".
std::size_t random_tail(const std::string& run) {
  std::size_t start = 0;
  const std::size_t underscore = run.rfind('_');
  if (underscore != std::string::npos && underscore + 1 < run.size() &&
      random_tail(run.substr(underscore + 1)) != std::string::npos)
    start = underscore + 1;
  const std::string tail = run.substr(start);
  if (tail.size() < 6) return std::string::npos;
  bool lower = false, upper = false;
  int switches = 0, last = 0;  // letter <-> digit changes ("port80" has one, "k2j3l9" five)
  for (unsigned char c : tail) {
    lower |= std::islower(c) != 0;
    upper |= std::isupper(c) != 0;
    const int kind = std::isdigit(c) ? 1 : std::isalpha(c) ? 2 : 0;
    if (kind && last && kind != last) ++switches;
    if (kind) last = kind;
  }
  if (!(switches >= 2 || (lower && upper))) return std::string::npos;
  if (start == 0 && tail.rfind("tmp", 0) == 0 && tail.size() > 6) start = 3;
  return start;
}

// The random parts of a file name below a temp directory, each of the common shapes:
//  - mkstemp/mkdtemp's XXXXXX and mktemp(1)'s 10 X's, anywhere in the name (a suffix may follow:
//    mkstemps, Go's "upload-*.json"): random_tail() of each [A-Za-z0-9_] run;
//  - Python's tempfile: "tmp" + 8 characters of [a-z0-9_], which may all be letters (one name in
//    eight would look like a word to the rule above);
//  - numbers of 6 digits or more (Go's os.CreateTemp: a random uint32 in decimal; Java's random
//    long; Unix times in seconds or milliseconds) and dates written with separators
//    (2024-01-01, 2024-01-01_12.00.00): digit groups joined by one of - _ . : T that start with
//    a year (19xx, 20xx) and hold 8 digits or more. Shorter numbers and versions ("port80",
//    "report_2024", "python3.11.4", "v1.2.3-12345") stay;
//  - `fresh`: the name was made fresh and private ("mktemp" access: O_CREAT|O_EXCL with mode
//    0600, mkdir with mode 0700, as every temp-file API makes its names), so its random part is
//    certain to be there even when it happens to look like a word (mkstemp draws an all-lower-
//    case suffix one time in forty): the last [A-Za-z0-9] run that is all digits or at least 6
//    long, unless a rule above found it already.
std::vector<Glob> random_parts(const std::string& name, bool fresh) {
  std::vector<Glob> out;
  auto word = [](char c) { return is_alnum(c) || c == '_'; };
  for (std::size_t i = 0; i < name.size();) {
    if (!word(name[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < name.size() && word(name[j])) ++j;
    const std::string run = name.substr(i, j - i);
    const bool python = run.size() == 11 && run.rfind("tmp", 0) == 0 &&
                        std::all_of(run.begin() + 3, run.end(), [](unsigned char c) {
                          return std::islower(c) || std::isdigit(c) || c == '_';
                        });
    if (python) {
      out.push_back({i + 3, 8});
    } else if (auto t = random_tail(run); t != std::string::npos) {
      out.push_back({i + t, run.size() - t});
    }
    i = j;
  }
  for (std::size_t i = 0; i < name.size();) {
    if (!is_digit(name[i])) {
      ++i;
      continue;
    }
    std::size_t j = i, digits = 0, longest = 0;
    const bool year = i + 4 <= name.size() &&
                      (name.compare(i, 2, "19") == 0 || name.compare(i, 2, "20") == 0) &&
                      std::all_of(name.begin() + i, name.begin() + i + 4, is_digit) &&
                      (i + 4 == name.size() || !is_digit(name[i + 4]));
    for (;;) {
      std::size_t k = j;
      while (k < name.size() && is_digit(name[k])) ++k;
      digits += k - j;
      longest = std::max(longest, k - j);
      j = k;
      if (j + 1 < name.size() && std::string_view("-_.:T").find(name[j]) != std::string::npos &&
          is_digit(name[j + 1]))
        ++j;
      else
        break;
    }
    if (longest >= 6 || (year && digits >= 8)) out.push_back({i, j - i});
    i = j;
  }
  if (fresh) {
    for (std::size_t j = name.size(); j > 0;) {
      if (!is_alnum(name[j - 1])) {
        --j;
        continue;
      }
      std::size_t i = j;
      while (i > 0 && is_alnum(name[i - 1])) --i;
      const std::string run = name.substr(i, j - i);
      if (all_digits(run) || run.size() >= 6) {
        const bool known = std::any_of(
            out.begin(), out.end(), [&](const Glob& g) { return g.pos < j && i < g.pos + g.len; });
        if (!known) out.push_back({i, j - i});
        break;
      }
      j = i;
    }
  }
  return out;
}

// One name with its globs put in: literal text escaped, overlapping globs merged (a `*` takes in
// a pid it overlaps, unless it is exactly the pid). "" when there is nothing to glob.
std::string glob_name(const std::string& name, std::vector<Glob> globs) {
  if (globs.empty()) return "";
  // A number that is random-looking (6 digits or more) and a pid is a pid: the same file on a
  // run where the pid is shorter must get the same pattern.
  globs.erase(std::remove_if(globs.begin(), globs.end(),
                             [&](const Glob& g) {
                               return !g.pid &&
                                      std::any_of(globs.begin(), globs.end(), [&](const Glob& p) {
                                        return p.pid && p.pos == g.pos && p.len == g.len;
                                      });
                             }),
              globs.end());
  std::sort(globs.begin(), globs.end(), [](const Glob& a, const Glob& b) {
    return std::tie(a.pos, a.len) < std::tie(b.pos, b.len);
  });
  std::vector<Glob> merged;
  for (const Glob& g : globs) {
    if (!merged.empty() && g.pos <= merged.back().pos + merged.back().len) {
      Glob& m = merged.back();
      if (g.pid && m.pid && g.pos == m.pos && g.len == m.len) continue;
      const std::size_t end = std::max(m.pos + m.len, g.pos + g.len);
      m.len = end - m.pos;
      m.pid = false;
      continue;
    }
    merged.push_back(g);
  }
  std::string out;
  std::size_t at = 0;
  for (const Glob& g : merged) {
    out += escape_component(name.substr(at, g.pos - at));
    out += g.pid ? "@{pid}" : "*";
    at = g.pos + g.len;
  }
  return out + escape_component(name.substr(at));
}

// What the profile says about a path beyond its name, for its pattern.
struct PathFacts {
  const std::set<std::uint32_t>* pids = nullptr;  // FileUse::pids
  const std::set<std::string>* fresh = nullptr;   // paths with the "mktemp" access
  // The flags run the app as another user than the recording's root (runs_as_nobody): a "root"
  // between punctuation in a temp name is the user's name (/tmp/hsperfdata_root), which the app
  // will spell with its own.
  bool user_named = false;
};

// Splits an absolute path, turning per-process /proc paths, temp names and pid-named parts into
// patterns: appends the rule's components to `comps` (each followed by '\0', see Rule) and
// says whether it is an `owner` rule. Returns false, appending nothing, for paths that cannot be
// a rule (not absolute). `raw` is scratch space, kept by the caller across calls.
// `exact_leaf`: keep the last component literal (programs run: a glob there would let every
// file in the directory run under this profile).
bool to_rule(std::string_view path, std::string& comps, bool& owner,
             std::vector<std::string_view>& raw, bool exact_leaf = false,
             const PathFacts& facts = {}) {
  if (path.empty() || path[0] != '/') return false;
  // Mappings of deleted files are recorded with the kernel's " (deleted)" suffix; with
  // mediate_deleted AppArmor checks the original name.
  constexpr std::string_view deleted = " (deleted)";
  if (path.size() > deleted.size() && path.substr(path.size() - deleted.size()) == deleted)
    path.remove_suffix(deleted.size());
  raw.clear();
  for (std::size_t at = 0; at < path.size();) {
    std::size_t end = path.find('/', at);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view c = path.substr(at, end - at);
    at = end + 1;
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (!raw.empty()) raw.pop_back();
      continue;
    }
    raw.push_back(c);
  }
  owner = false;
  auto literal = [&](std::string_view c) {
    comps += c;
    comps += '\0';
  };
  auto escaped = [&](std::string_view c) {
    append_escaped(comps, c);
    comps += '\0';
  };
  if (!raw.empty() && raw[0] == "proc") {
    // /proc/self and /proc/thread-self are symlinks AppArmor resolves to /proc/<pid> and
    // /proc/<pid>/task/<tid> before matching; a recorded pid is only valid for that run.
    literal("@{PROC}");
    std::size_t i = 1;
    if (i < raw.size() && (all_digits(raw[i]) || raw[i] == "self" || raw[i] == "thread-self")) {
      owner = true;  // a process's own /proc files, as the process's own user
      literal("@{pid}");
      if (raw[i] == "thread-self") {
        literal("task");
        literal("@{tid}");
      } else if (i + 2 < raw.size() && raw[i + 1] == "task" && all_digits(raw[i + 2])) {
        literal("task");
        literal("@{tid}");
        i += 2;
      }
      ++i;
      // fd numbers differ from run to run
      if (i + 1 < raw.size() && (raw[i] == "fd" || raw[i] == "fdinfo") && all_digits(raw[i + 1])) {
        literal(raw[i]);
        literal("[0-9]*");
        i += 2;
      }
    }
    for (; i < raw.size(); ++i) escaped(raw[i]);
    return true;
  }
  // Temp directories: random names anywhere below them become globs.
  std::size_t temp_depth = 0;
  if (!raw.empty() && raw[0] == "tmp") temp_depth = 1;
  if (raw.size() > 1 && (raw[0] == "var" || raw[0] == "dev") &&
      raw[1] == (raw[0] == "var" ? "tmp" : "shm"))
    temp_depth = 2;
  // Numbers the recorder found to be pids, where pid_name_spans() looks (the path as normalised
  // here, so offsets map onto components).
  std::vector<std::vector<Glob>> pid_globs;
  if (facts.pids && !facts.pids->empty()) {
    pid_globs.resize(raw.size());
    std::string norm;
    std::vector<std::size_t> starts;
    for (const auto& comp : raw) {
      norm += '/';
      starts.push_back(norm.size());
      norm += comp;
    }
    for (const auto& s : pid_name_spans(norm)) {
      const auto pid = std::stoul(norm.substr(s.pos, s.len));
      if (!facts.pids->count(static_cast<std::uint32_t>(pid))) continue;
      const auto comp = std::upper_bound(starts.begin(), starts.end(), s.pos) - starts.begin() - 1;
      pid_globs[comp].push_back({s.pos - starts[comp], s.len, true});
    }
  }
  const bool any_fresh = temp_depth && facts.fresh && !facts.fresh->empty();
  std::string prefix;  // the concrete path so far, where fresh names are looked up
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (any_fresh) {
      prefix += '/';
      prefix += raw[i];
    }
    std::string pat;
    const bool leaf_kept = exact_leaf && i + 1 == raw.size();
    const bool in_temp = temp_depth && i >= temp_depth;
    if (!leaf_kept && (in_temp || (!pid_globs.empty() && !pid_globs[i].empty()))) {
      const std::string name(raw[i]);
      std::vector<Glob> globs = pid_globs.empty() ? std::vector<Glob>{} : pid_globs[i];
      if (in_temp) {
        const bool fresh = any_fresh && facts.fresh->count(prefix);
        for (const Glob& g : random_parts(name, fresh)) globs.push_back(g);
        if (facts.user_named) {
          // "root" as a word of the name: between start, end and non-alphanumerics
          for (auto at = name.find("root"); at != std::string::npos;
               at = name.find("root", at + 1)) {
            const bool left = at == 0 || !is_alnum(name[at - 1]);
            const bool right = at + 4 == name.size() || !is_alnum(name[at + 4]);
            if (left && right) globs.push_back({at, 4, false});
          }
        }
      }
      pat = glob_name(name, globs);
    }
    // /dev/pts/<n>: terminal numbers differ from run to run
    if (i == 2 && raw[0] == "dev" && raw[1] == "pts" && all_digits(raw[i])) pat = "[0-9]*";
    if (pat.empty())
      escaped(raw[i]);
    else
      literal(pat);
  }
  return true;
}

// ---- AppArmor glob matching (for checking denials against recorded paths) ----------------------

// Expands {a,b} alternations (nested too) into plain patterns.
void expand_braces(const std::string& p, std::vector<std::string>& out) {
  std::size_t open = std::string::npos;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\') {
      ++i;
      continue;
    }
    if (p[i] == '{') {
      open = i;
      break;
    }
  }
  if (open == std::string::npos) {
    out.push_back(p);
    return;
  }
  int depth = 0;
  std::vector<std::string> alts(1);
  std::size_t close = open + 1;
  for (; close < p.size(); ++close) {
    char ch = p[close];
    if (ch == '\\' && close + 1 < p.size()) {
      alts.back() += p.substr(close, 2);
      ++close;
      continue;
    }
    if (ch == '{') ++depth;
    if (ch == '}') {
      if (depth == 0) break;
      --depth;
    }
    if (ch == ',' && depth == 0) {
      alts.emplace_back();
      continue;
    }
    alts.back() += ch;
  }
  const std::string head = p.substr(0, open), tail = close < p.size() ? p.substr(close + 1) : "";
  for (const auto& a : alts) expand_braces(head + a + tail, out);
}

bool glob_match(const char* p, const char* s) {
  while (*p) {
    if (p[0] == '*' && p[1] == '*') {
      for (const char* t = s;; ++t) {
        if (glob_match(p + 2, t)) return true;
        if (!*t) return false;
      }
    }
    if (*p == '*') {
      for (const char* t = s;; ++t) {
        if (glob_match(p + 1, t)) return true;
        if (!*t || *t == '/') return false;
      }
    }
    if (!*s) return false;
    if (*p == '?') {
      if (*s == '/') return false;
    } else if (*p == '[') {
      const char* q = p + 1;
      bool negate = *q == '^';
      if (negate) ++q;
      bool hit = false;
      for (; *q && *q != ']'; ++q) {
        if (q[1] == '-' && q[2] && q[2] != ']') {
          hit |= *s >= q[0] && *s <= q[2];
          q += 2;
        } else {
          hit |= *s == *q;
        }
      }
      if (hit == negate || *s == '/') return false;
      p = *q ? q : q - 1;
    } else {
      if (*p == '\\' && p[1]) ++p;
      if (*p != *s) return false;
    }
    ++p, ++s;
  }
  return !*s;
}

// A pattern as glob_match reads it: one plain glob per {a,b} alternative, with the "//" that
// "@{PROC}/" + "/" leaves collapsed, and cut at a NUL byte as the C string glob_match is given.
std::vector<std::string> glob_alternatives(const std::string& pattern) {
  std::vector<std::string> alts;
  expand_braces(pattern, alts);
  for (auto& a : alts) {
    std::string norm;
    for (char ch : a) {
      if (ch == '\0') break;
      if (!(ch == '/' && !norm.empty() && norm.back() == '/')) norm += ch;
    }
    a = std::move(norm);
  }
  return alts;
}

// The characters every path glob_match accepts for `glob` starts with (escapes resolved), and
// whether the glob is only that: no `*`, `?` or `[` at all.
std::pair<std::string, bool> literal_prefix(const std::string& glob) {
  std::string lit;
  for (std::size_t i = 0; i < glob.size(); ++i) {
    char c = glob[i];
    if (c == '*' || c == '?' || c == '[') return {lit, false};
    if (c == '\\' && i + 1 < glob.size()) c = glob[++i];
    lit += c;
  }
  return {lit, true};
}

bool pattern_matches(const std::string& pattern, const std::string& path) {
  for (const auto& a : glob_alternatives(pattern))
    if (glob_match(a.c_str(), path.c_str())) return true;
  return false;
}

// The variables the emitter writes, spelled out the way the matcher reads them: @{PROC} is
// where procfs is mounted, @{pid} and @{tid} are numbers (AppArmor's own definition is a digit
// string without leading zeros; "[0-9]*" is as close as this matcher gets).
std::string spell_variables(const std::string& pattern) {
  std::string pat = pattern;
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (auto pos = pat.find(from); pos != std::string::npos;
         pos = pat.find(from, pos + to.size())) {
      // An escaped '@' is a literal character, not a variable.
      if (pos > 0 && pat[pos - 1] == '\\') {
        pos += 1;
        continue;
      }
      pat.replace(pos, from.size(), to);
    }
  };
  replace_all("@{PROC}", "/proc");
  replace_all("@{pid}", "[0-9]*");
  replace_all("@{tid}", "[0-9]*");
  return pat;
}

// ---- docker-default's denials ------------------------------------------------------------------

struct Denial {
  const char* pattern;  // with /proc spelled out, for matching; printed with @{PROC}
  unsigned perms;       // kIx stands for 'x'
  const char* why;
};
// The pattern language is AppArmor's; the set follows moby's docker-default template.
const Denial kDenials[] = {
    {"/proc/* ", kW, "files directly in /proc (sysrq-trigger, kmsg, ...)"},
    {"/proc/{[^1-9/],[^1-9/][^0-9/],[^1-9s/][^0-9y/][^0-9s/],[^1-9/][^0-9/][^0-9/][^0-9/]*}/** ",
     kW, "anything below /proc except /proc/<pid>/** and /proc/sys/**"},
    {"/proc/sys/[^k]** ", kW, "sysctls outside /proc/sys/kernel"},
    {"/proc/sys/kernel/{?,??,[^s][^h][^m]**} ", kW, "kernel sysctls other than shm*"},
    {"/proc/sysrq-trigger ", kR | kW | kK | kL | kIx, "magic SysRq"},
    {"/proc/kcore ", kR | kW | kK | kL | kIx, "physical memory"},
    {"/sys/[^f]*/** ", kW | kK | kL | kIx, "sysfs outside /sys/fs"},
    {"/sys/f[^s]*/** ", kW | kK | kL | kIx, "sysfs outside /sys/fs"},
    {"/sys/fs/[^c]*/** ", kW | kK | kL | kIx, "/sys/fs outside cgroup"},
    {"/sys/fs/c[^g]*/** ", kW | kK | kL | kIx, "/sys/fs outside cgroup"},
    {"/sys/fs/cg[^r]*/** ", kW | kK | kL | kIx, "/sys/fs outside cgroup"},
    {"/sys/firmware/** ", kR | kW | kK | kL | kIx, "firmware tables (ACPI, EFI variables)"},
    {"/sys/devices/virtual/powercap/** ", kR | kW | kK | kL | kIx,
     "RAPL energy counters (power side channel)"},
    {"/sys/kernel/security/** ", kR | kW | kK | kL | kIx, "securityfs (LSM policy)"},
};

std::string deny_perm_string(unsigned p) {
  std::string s;
  if (p & kR) s += 'r';
  if (p & kW) s += 'w';
  if (p & kK) s += 'k';
  if (p & kL) s += 'l';
  if (p & kIx) s += 'x';
  return s;
}

// A path the denial is checked against: /proc/self and thread-self resolved the way the kernel
// resolves them (to a pid), since that is what AppArmor matches. Only such paths change.
bool resolves_self(std::string_view path) {
  for (std::string_view s : {"/proc/thread-self", "/proc/self"})
    if (path.substr(0, s.size()) == s && (path.size() == s.size() || path[s.size()] == '/'))
      return true;
  return false;
}
std::string concrete_for_denial(const std::string& path) {
  for (const char* self : {"/proc/thread-self", "/proc/self"}) {
    const std::string s = self;
    if (path.compare(0, s.size(), s) == 0 && (path.size() == s.size() || path[s.size()] == '/'))
      return std::string(s == "/proc/self" ? "/proc/1" : "/proc/1/task/1") + path.substr(s.size());
  }
  return path;
}

// Every concrete path granted anything, in path order, with the permissions granted on it.
using Granted = std::vector<std::pair<const std::string*, unsigned>>;

// The first recorded path (in path order) a denial would take something from: granted one of
// the denial's permissions and matched by its pattern; "" if none. Only the paths that start
// with an alternative's literal beginning can match it, and those are one range of the sorted
// list, so a 100k-file profile is not walked once per denial.
std::string first_denied_use(const Granted& granted, const std::string& pattern, unsigned perms) {
  const std::string* first = nullptr;
  for (const auto& alt : glob_alternatives(pattern)) {
    const std::string lit = literal_prefix(alt).first;
    auto it = std::lower_bound(granted.begin(), granted.end(), lit,
                               [](const auto& g, const std::string& l) { return *g.first < l; });
    for (; it != granted.end() && it->first->compare(0, lit.size(), lit) == 0; ++it) {
      if (first && *first <= *it->first) break;
      if ((it->second & (kR | kW | kK | kL | kIx) & perms) &&
          glob_match(alt.c_str(), it->first->c_str())) {
        first = it->first;
        break;
      }
    }
  }
  return first ? *first : "";
}

// ---- network / capabilities --------------------------------------------------------------------

// Address families AppArmor 3 names, indexed by AF_* number (the order of the kernel's
// network_v8 af_mask). AF_DECnet (12) has no AppArmor keyword.
constexpr std::array<const char*, 45> kFamilies = {
    "unspec",  "unix",    "inet",    "ax25",   "ipx",        "appletalk", "netrom",   "bridge",
    "atmpvc",  "x25",     "inet6",   "rose",   nullptr,      "netbeui",   "security", "key",
    "netlink", "packet",  "ash",     "econet", "atmsvc",     "rds",       "sna",      "irda",
    "pppox",   "wanpipe", "llc",     "ib",     "mpls",       "can",       "tipc",     "bluetooth",
    "iucv",    "rxrpc",   "isdn",    "phonet", "ieee802154", "caif",      "alg",      "nfc",
    "vsock",   "kcm",     "qipcrtr", "smc",    "xdp"};

std::string apparmor_family(const std::string& f) {
  for (const char* k : kFamilies)
    if (k && f == k) return f;
  if (f.rfind("AF_", 0) == 0 && all_digits(f.substr(3))) {
    const unsigned long n = std::stoul(f.substr(3));
    if (n < kFamilies.size() && kFamilies[n]) return kFamilies[n];
  }
  return "";
}

std::string apparmor_type(const std::string& t) {
  for (const char* k : {"stream", "dgram", "seqpacket", "rdm", "raw", "packet"})
    if (t == k) return t;
  return "";  // dccp, SOCK_<n>: AppArmor has no keyword; the rule covers the whole family
}

// Capability names AppArmor 3 knows (the kernel's caps mask), without CAP_, lower case.
const std::set<std::string>& known_capabilities() {
  static const std::set<std::string> k = {"chown",
                                          "dac_override",
                                          "dac_read_search",
                                          "fowner",
                                          "fsetid",
                                          "kill",
                                          "setgid",
                                          "setuid",
                                          "setpcap",
                                          "linux_immutable",
                                          "net_bind_service",
                                          "net_broadcast",
                                          "net_admin",
                                          "net_raw",
                                          "ipc_lock",
                                          "ipc_owner",
                                          "sys_module",
                                          "sys_rawio",
                                          "sys_chroot",
                                          "sys_ptrace",
                                          "sys_pacct",
                                          "sys_admin",
                                          "sys_boot",
                                          "sys_nice",
                                          "sys_resource",
                                          "sys_time",
                                          "sys_tty_config",
                                          "mknod",
                                          "lease",
                                          "audit_write",
                                          "audit_control",
                                          "setfcap",
                                          "mac_override",
                                          "mac_admin",
                                          "syslog",
                                          "wake_alarm",
                                          "block_suspend",
                                          "audit_read",
                                          "perfmon",
                                          "bpf",
                                          "checkpoint_restore"};
  return k;
}

std::string apparmor_capability(const std::string& cap) {
  std::string s = cap.rfind("CAP_", 0) == 0 ? cap.substr(4) : cap;
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return known_capabilities().count(s) ? s : "";
}

// Comment text on one line (no newlines or control characters can end the comment early).
std::string one_line(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  return out;
}

std::string quote_name(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') out += '\\';
    out += (static_cast<unsigned char>(c) < 0x20) ? '_' : c;
  }
  return out + "\"";
}

bool uses_syscall(const Profile& p, std::initializer_list<const char*> names) {
  for (const auto& [arch, calls] : p.syscalls)
    for (const char* n : names)
      if (calls.count(n)) return true;
  return false;
}

// ---- collapsing --------------------------------------------------------------------------------

// A directory with at least this many files needing the same permissions becomes `dir/*`: past
// that point a list is noise to review, and the files are evidently a set the program
// enumerates (locales, plugins, certificates), which other members of would join later.
constexpr std::size_t kDirThreshold = 8;
// A tree with at least this many such files in at least two directories becomes `dir/**`
// (python's stdlib, a node_modules tree). Only at depth >= 3 (/usr/lib/python3.11, not /usr/lib):
// `**` at /usr or /etc would grant whole system areas.
constexpr std::size_t kTreeThreshold = 16;
constexpr std::size_t kTreeMinDepth = 3;

bool collapsible(const Rule& r) {
  // Directories, executables and device nodes stay listed one by one: each is a decision.
  return !r.dir && !(r.perms & kIx) && r.comps.substr(0, 4) != std::string_view("dev\0", 4);
}

std::size_t comp_count(std::string_view comps) {
  return static_cast<std::size_t>(std::count(comps.begin(), comps.end(), '\0'));
}

// The first `n` components (there are at least that many).
std::string_view leading(std::string_view comps, std::size_t n) {
  std::size_t end = 0;
  for (std::size_t i = 0; i < n; ++i) end = comps.find('\0', end) + 1;
  return comps.substr(0, end);
}

// All components but the last: the directory the pattern is in ("" for one or none).
std::string_view parent(std::string_view comps) {
  if (comps.size() < 2) return {};
  const std::size_t at = comps.rfind('\0', comps.size() - 2);
  return at == std::string_view::npos ? std::string_view{} : comps.substr(0, at + 1);
}

// What collapse() made of a list of rules: the rules to write (the listed ones in their order,
// then the globs), and for each input rule the rule now standing for its paths: itself, or the
// glob that took it in; `also` lists further globs covering an input rule, by input rule.
struct Collapsed {
  std::vector<Rule> rules;
  std::vector<std::uint32_t> into;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> also;
};

// Every step is a sort or a hash lookup per rule, so a 100k-file profile collapses in about the
// time it takes to list it. The globs' components are kept in `store`.
Collapsed collapse(const std::vector<Rule>& rules, std::deque<std::string>& store) {
  constexpr std::uint32_t kListed = ~0u, kGlob = 1u << 31;  // `into` while collapsing
  std::vector<Rule> globs;
  std::vector<std::string_view> bases;  // a glob's pattern without its last `*` or `**`
  std::vector<bool> tree;               // a `**`
  std::vector<std::uint32_t> into(rules.size(), kListed);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> also;
  std::vector<std::size_t> depth(rules.size());
  std::vector<std::string_view> dirs(rules.size());
  for (std::size_t i = 0; i < rules.size(); ++i) {
    depth[i] = comp_count(rules[i].comps);
    dirs[i] = parent(rules[i].comps);
  }
  auto add_glob = [&](bool owner, unsigned perms, std::string_view base, std::string_view star) {
    store.push_back(std::string(base) + std::string(star) + '\0');
    globs.push_back({owner, false, perms, store.back()});
    bases.push_back(base);
    tree.push_back(star == "**");
    return kGlob | static_cast<std::uint32_t>(globs.size() - 1);
  };

  // `**` first: per (owner, perms) group the shallowest qualifying tree wins, and that is always
  // a tree exactly kTreeMinDepth components deep. A deeper tree with enough files in enough
  // directories lends all of them to its ancestor at that depth, which therefore qualifies as
  // well and takes everything below it. So only those trees are counted, in one pass; a tree
  // takes every rule of its group at or below it, files directly in it included.
  struct Tree {
    std::vector<std::size_t> members;
    std::size_t files = 0;  // rules in its subdirectories: what the threshold counts
    std::size_t first = 0;  // the first of those (valid once files > 0) ...
    bool two_dirs = false;  // ... and whether another one lies in a different directory
  };
  std::map<std::tuple<bool, unsigned, std::string_view>, Tree> trees;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const Rule& r = rules[i];
    if (!collapsible(r) || depth[i] < kTreeMinDepth) continue;
    Tree& t = trees[{r.owner, r.perms, leading(r.comps, kTreeMinDepth)}];
    t.members.push_back(i);
    if (depth[i] < kTreeMinDepth + 2) continue;  // directly in the tree's directory
    if (t.files++ == 0)
      t.first = i;
    else if (!t.two_dirs)
      t.two_dirs = dirs[t.first] != dirs[i];
  }
  for (const auto& [key, t] : trees) {
    if (t.files < kTreeThreshold || !t.two_dirs) continue;
    const std::uint32_t g = add_glob(std::get<0>(key), std::get<1>(key), std::get<2>(key), "**");
    for (std::size_t i : t.members) into[i] = g;
  }

  // Then `*` per directory: the remaining rules sorted by (owner, perms, directory), each run
  // of one directory long enough becomes a glob.
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < rules.size(); ++i)
    if (into[i] == kListed && collapsible(rules[i]) && depth[i] > 0) order.push_back(i);
  auto dir_less = [&](std::size_t a, std::size_t b) {
    const Rule& x = rules[a];
    const Rule& y = rules[b];
    if (x.owner != y.owner) return x.owner < y.owner;
    if (x.perms != y.perms) return x.perms < y.perms;
    return dirs[a] < dirs[b];
  };
  std::stable_sort(order.begin(), order.end(), dir_less);
  for (std::size_t lo = 0, hi = 0; lo < order.size(); lo = hi) {
    for (hi = lo + 1; hi < order.size() && !dir_less(order[lo], order[hi]);) ++hi;
    if (hi - lo < kDirThreshold) continue;
    const Rule& r = rules[order[lo]];
    const std::uint32_t g = add_glob(r.owner, r.perms, dirs[order[lo]], "*");
    for (std::size_t k = lo; k < hi; ++k) into[order[k]] = g;
  }

  // Drop listed rules a glob already covers with at least their permissions (the glob then
  // stands for their paths too). A `**` covers everything below its base directory, which is
  // kTreeMinDepth components deep, a `*` the files directly in its directory: each rule looks up
  // the globs based at those two of its ancestors.
  std::unordered_map<std::string_view, std::vector<std::uint32_t>> tree_at, dir_at;
  for (std::size_t gi = 0; gi < globs.size(); ++gi)
    (tree[gi] ? tree_at : dir_at)[bases[gi]].push_back(static_cast<std::uint32_t>(gi));
  std::vector<Rule> out;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (into[i] != kListed) continue;
    const Rule& r = rules[i];
    bool covered = false;
    auto cover = [&](const auto& at, std::string_view base) {
      auto f = at.find(base);
      if (f == at.end()) return;
      for (std::uint32_t gi : f->second) {
        const Rule& g = globs[gi];
        if ((g.perms & r.perms) != r.perms || (g.owner && !r.owner)) continue;
        if (covered)
          also.emplace_back(static_cast<std::uint32_t>(i), kGlob | gi);
        else
          into[i] = kGlob | gi;
        covered = true;
      }
    };
    if (depth[i] > kTreeMinDepth) cover(tree_at, leading(r.comps, kTreeMinDepth));
    if (depth[i] > 0 && !r.dir) cover(dir_at, dirs[i]);
    if (!covered) {
      into[i] = static_cast<std::uint32_t>(out.size());
      out.push_back(r);
    }
  }
  const auto listed = static_cast<std::uint32_t>(out.size());
  out.insert(out.end(), globs.begin(), globs.end());
  for (auto& d : into)
    if (d & kGlob) d = listed + (d & ~kGlob);
  for (auto& a : also) a.second = listed + (a.second & ~kGlob);
  return {std::move(out), std::move(into), std::move(also)};
}

// Sorts `v` by merging the ascending runs it holds, stably. The grants come in the profile's
// path order, which is nearly the rules' order: '/' sorts among the other characters in a path
// but first in a rule's components, so a directory's subtree and its neighbours' ("x-y/" and
// "x/") swap places. A 100k-file recording holds a few hundred runs, so this takes a few linear
// passes where std::sort, partitioning such nearly sorted input badly, fell back to heap sort.
template <typename T, typename Less>
void sort_runs(std::vector<T>& v, Less less) {
  std::vector<std::size_t> bounds = {0};  // where each run starts, and the end
  for (std::size_t i = 1; i < v.size(); ++i)
    if (less(v[i], v[i - 1])) bounds.push_back(i);
  bounds.push_back(v.size());
  std::vector<T> merged(v.size());
  while (bounds.size() > 2) {
    std::vector<std::size_t> next = {0};
    std::size_t k = 0;
    for (; k + 2 < bounds.size(); k += 2) {
      std::merge(v.begin() + bounds[k], v.begin() + bounds[k + 1], v.begin() + bounds[k + 1],
                 v.begin() + bounds[k + 2], merged.begin() + bounds[k], less);
      next.push_back(bounds[k + 2]);
    }
    if (k + 1 < bounds.size()) {  // an odd run left over
      std::copy(v.begin() + bounds[k], v.begin() + bounds[k + 1], merged.begin() + bounds[k]);
      next.push_back(bounds[k + 1]);
    }
    v.swap(merged);
    bounds = std::move(next);
  }
}

// Access kinds as bits: bit i for kAccessRules[i], and one for "mktemp" (no permission of its
// own). One pass over a file's access set answers every question file_rules() asks of it.
constexpr std::size_t kMktempKind = std::size(kAccessRules);
static_assert(kMktempKind < 32);
constexpr unsigned kind_bit(std::string_view access) {
  for (std::size_t i = 0; i < std::size(kAccessRules); ++i)
    if (access == kAccessRules[i].access) return 1u << i;
  return access == "mktemp" ? 1u << kMktempKind : 0;
}
unsigned access_kinds(const std::set<std::string>& access) {
  unsigned kinds = 0;
  for (const auto& a : access) kinds |= kind_bit(a);
  return kinds;
}

// The file rules the profile grants, collapsed; what each stands for and every recorded path
// with the permissions it was granted (what the docker-default denials are checked against).
struct FileRules {
  std::vector<Rule> rules;
  // Every concrete path granted anything (/proc/self resolved), in path order.
  std::vector<const std::string*> concrete;
  // Per rule, the concrete paths it stands for (indexes into `concrete`, ascending).
  std::vector<std::vector<std::uint32_t>> paths;
  Granted granted;
  // What the views and pointers above point into, besides the profile itself.
  struct Store {
    std::string patterns;             // every rule's key, see file_rules()
    std::deque<std::string> strings;  // resolved /proc/self paths, the globs' components
  };
  std::unique_ptr<Store> store = std::make_unique<Store>();
};

// `with_paths`: also fill FileRules::paths (apparmor_file_rules); `with_granted`: also fill
// FileRules::granted (emit_apparmor's denials).
FileRules file_rules(const Profile& p, bool with_paths, bool with_granted) {
  FileRules fr;
  std::string& text = fr.store->patterns;
  std::deque<std::string>& strings = fr.store->strings;
  constexpr unsigned kCreate = kind_bit("create"), kMkdir = kind_bit("mkdir"),
                     kWrite = kind_bit("write"), kLink = kind_bit("link"),
                     kMktemp = kind_bit("mktemp");

  // ---- file rules: concrete path -> permissions ----
  // flock(2) is recorded as a syscall without its file; when it was used, every file the
  // program opened for writing may be one it locks (pid files, databases), so those get `k`
  // (devices excepted).
  const bool locks = uses_syscall(p, {"flock"});
  // The recorder does not pair a hard link's source with its new name; names created in a
  // directory where a link source lives get `l` (the new name is where AppArmor checks it).
  std::set<std::string> link_dirs;
  std::set<std::string> fresh;  // names made as temp files are ("mktemp")
  // The entries to grant, taken out of the map in this one pass (walking a map of 100k nodes
  // is most of the cost of walking it, and the grants need the sets above complete first).
  struct Entry {
    const std::string* path;
    const FileUse* use;
    unsigned kinds;
  };
  std::vector<Entry> entries;
  entries.reserve(p.files.size());
  for (const auto& [path, use] : p.files) {
    const unsigned kinds = access_kinds(use.access);
    if ((kinds & kLink) && use.succeeded) link_dirs.insert(path.substr(0, path.rfind('/') + 1));
    if (kinds & kMktemp) fresh.insert(path);
    // A path that only ever failed was a probe (library search paths, optional config); the
    // program ran without it. Creating one is kept: the name is about to exist.
    if (use.succeeded || (kinds & (kCreate | kMkdir))) entries.push_back({&path, &use, kinds});
  }
  const bool user_named = runs_as_nobody(p);

  // Each grant of a part of a path's permissions appends the rule's key to `text`: the owner
  // flag, the components (see Rule) and the dir flag, one string that sorts as (owner,
  // components, dir) does. Sorting the grants by key then gives one rule per key, in that order.
  struct Grant {
    std::size_t at, len;  // the key, in `text`
    std::uint32_t path;   // index in `paths`
    unsigned part;
  };
  std::vector<Grant> grants;
  grants.reserve(entries.size() + p.process.executables.size());
  std::vector<const std::string*> paths;  // the concrete path of every path granted anything
  std::vector<std::string_view> scratch;
  auto grant = [&](const std::string& path, unsigned perms, bool as_dir, bool as_file,
                   const std::set<std::uint32_t>* pids) {
    constexpr auto kNone = ~std::uint32_t{0};
    std::uint32_t concrete = kNone;
    for (unsigned part : {perms & ~kIx, perms & kIx}) {
      const std::size_t at = text.size();
      text += '\0';  // the owner flag, known once the components are
      bool owner = false;
      if (!part || !to_rule(path, text, owner, scratch, part == kIx, {pids, &fresh, user_named})) {
        text.resize(at);
        continue;
      }
      text[at] = owner ? '\1' : '\0';
      if (concrete == kNone) {
        concrete = static_cast<std::uint32_t>(paths.size());
        if (resolves_self(path)) {
          strings.push_back(concrete_for_denial(path));
          paths.push_back(&strings.back());
        } else {
          paths.push_back(&path);
        }
      }
      const std::string owner_comps = as_dir && as_file ? text.substr(at) : std::string();
      if (as_dir) {
        text += '\1';
        grants.push_back({at, text.size() - at, concrete, part});
      }
      if (as_file) {
        const std::size_t start = as_dir ? text.size() : at;
        text += owner_comps;
        text += '\0';
        grants.push_back({start, text.size() - start, concrete, part});
      }
    }
  };
  for (const auto& [path_ptr, use_ptr, kind] : entries) {
    const std::string& path = *path_ptr;
    const FileUse& use = *use_ptr;
    unsigned perms = 0;
    bool dir_access = false;
    for (std::size_t i = 0; i < std::size(kAccessRules); ++i)
      if (kind & (1u << i)) {
        dir_access |= kAccessRules[i].dir;
        perms |= kAccessRules[i].perms;
      }
    // The rule's form follows what the path is (a directory rule ends in '/' and matches only
    // the directory; a file rule never matches a directory), which the recorder saw: Go opens
    // directories without O_DIRECTORY, and a failed O_DIRECTORY probe of a config file says
    // nothing about it being a directory. Without that (older profiles, hand-written ones), the
    // accesses tell: readdir, mkdir and rmdir are done to directories. A path that was both (a
    // name reused) gets both forms.
    bool as_dir = dir_access, as_file = !dir_access;
    if (!use.types.empty()) {
      as_dir = use.types.count("dir") > 0;
      as_file = use.types.size() > (as_dir ? 1u : 0u);
    }
    if (locks && (kind & kWrite) && as_file && path.rfind("/dev/", 0) != 0) perms |= kK;
    if ((kind & kCreate) && !link_dirs.empty() &&
        link_dirs.count(path.substr(0, path.rfind('/') + 1)))
      perms |= kL;
    grant(path, perms, as_dir, as_file, &use.pids);
  }
  for (const auto& [path, exe] : p.process.executables) grant(path, kIx, false, true, nullptr);

  const std::string_view all(text);
  auto key = [&](const Grant& g) { return all.substr(g.at, g.len); };
  sort_runs(grants, [&](const Grant& a, const Grant& b) { return key(a) < key(b); });
  std::vector<Rule> rules;
  std::vector<std::size_t> first_grant;  // of each rule, in `grants`
  for (std::size_t i = 0; i < grants.size(); ++i) {
    const std::string_view k = key(grants[i]);
    if (rules.empty() || k != key(grants[first_grant.back()])) {
      rules.push_back({k.front() == '\1', k.back() == '\1', 0, k.substr(1, k.size() - 2)});
      first_grant.push_back(i);
    }
    rules.back().perms |= grants[i].part;
  }
  first_grant.push_back(grants.size());
  Collapsed c = collapse(rules, strings);
  fr.rules = std::move(c.rules);
  if (!with_paths && !with_granted) return fr;

  // The concrete paths in path order. The file entries' come in that order already, but for
  // /proc/self ones resolved to /proc/1, and the executables' come last: the paths out of order
  // are sorted on their own and merged in, which for a 100k-file profile is a few dozen.
  std::vector<std::uint32_t> in_order, apart;
  for (std::uint32_t i = 0; i < paths.size(); ++i) {
    if (in_order.empty() || *paths[in_order.back()] <= *paths[i])
      in_order.push_back(i);
    else
      apart.push_back(i);
  }
  std::sort(apart.begin(), apart.end(),
            [&](std::uint32_t a, std::uint32_t b) { return *paths[a] < *paths[b]; });
  std::vector<std::uint32_t> rank(paths.size());
  for (std::size_t a = 0, b = 0; a < in_order.size() || b < apart.size();) {
    const bool from_a =
        b == apart.size() || (a < in_order.size() && *paths[in_order[a]] <= *paths[apart[b]]);
    const std::uint32_t i = from_a ? in_order[a++] : apart[b++];
    if (fr.concrete.empty() || *fr.concrete.back() != *paths[i]) fr.concrete.push_back(paths[i]);
    rank[i] = static_cast<std::uint32_t>(fr.concrete.size() - 1);
  }
  if (with_granted) {
    fr.granted.reserve(fr.concrete.size());
    for (const std::string* s : fr.concrete) fr.granted.emplace_back(s, 0u);
    for (const Grant& g : grants) fr.granted[rank[g.path]].second |= g.part;
  }
  if (with_paths) {
    fr.paths.resize(fr.rules.size());
    auto add = [&](std::size_t rule, std::uint32_t into) {
      for (std::size_t g = first_grant[rule]; g < first_grant[rule + 1]; ++g)
        fr.paths[into].push_back(rank[grants[g].path]);
    };
    for (std::size_t r = 0; r < rules.size(); ++r) add(r, c.into[r]);
    for (const auto& [r, into] : c.also) add(r, into);
    for (auto& v : fr.paths) {
      std::sort(v.begin(), v.end());
      v.erase(std::unique(v.begin(), v.end()), v.end());
    }
  }
  return fr;
}

}  // namespace

std::string emit_apparmor(const Profile& p, const AppArmorOptions& o) {
  const std::string name = quote_name(o.name.empty() ? "tailor-default" : o.name);

  const FileRules fr = file_rules(p, false, true);
  const std::vector<Rule>& rules = fr.rules;
  const Granted& granted = fr.granted;
  std::vector<std::pair<std::string, std::string>> file_lines;  // (sort key, line)
  std::vector<std::pair<std::string, std::string>> exec_lines;
  for (const auto& r : rules) {
    const std::string pat = quote_if_needed(join_pattern(r.comps, r.dir));
    std::string line =
        std::string(r.owner ? "owner " : "") + pat + " " + perm_string(r.perms) + ",";
    (r.perms & kIx ? exec_lines : file_lines).push_back({join_pattern(r.comps, r.dir), line});
  }
  std::sort(file_lines.begin(), file_lines.end());
  std::sort(exec_lines.begin(), exec_lines.end());

  std::ostringstream out;
  // ---- header ----
  out << "# AppArmor profile " << name << " written by tailor from what the workload used.\n";
  if (p.commands.empty()) {
    out << "# (no commands recorded)\n";
  } else {
    out << "# Recorded command" << (p.commands.size() > 1 ? "s" : "") << ":\n";
    for (const auto& argv : p.commands) {
      std::string cmd;
      for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
      out << "#   " << one_line(cmd) << "\n";
    }
  }
  out << "# Load it with `apparmor_parser -r FILE`, run the container with\n"
         "# `--security-opt apparmor="
      << one_line(o.name.empty() ? "tailor-default" : o.name)
      << "`. Anything the recording did not exercise is denied.\n\n";
  // ABI 3.0: under ABI 4 a plain `network` rule no longer covers unix sockets; pinning the
  // ABI keeps this profile meaning the same on newer parsers.
  out << "abi <abi/3.0>,\n\n#include <tunables/global>\n\n";
  out << "profile " << name << " flags=(attach_disconnected,mediate_deleted) {\n";
  out << "  # The C library's needs (ld.so cache, locale basics, /dev/null, ...).\n"
         "  #include <abstractions/base>\n";

  // ---- capabilities ----
  out << "\n  # Capabilities the workload exercised (each with the first call that needed it).\n";
  if (p.capabilities.empty()) out << "  # (none)\n";
  for (const auto& [cap, use] : p.capabilities) {
    const std::string c = apparmor_capability(cap);
    std::string why = use.reasons.empty() ? ""
                                          : "  # " + use.reasons.begin()->syscall + ": " +
                                                use.reasons.begin()->detail;
    if (c.empty())
      out << "  # " << one_line(cap) << ": not a capability AppArmor knows; not granted\n";
    else
      out << "  capability " << c << "," << one_line(why) << "\n";
  }
  for (const auto& [cap, use] : p.capability_hints)
    if (!p.capabilities.count(cap))
      out << "  # refused during recording (EPERM/EACCES), not granted: " << one_line(cap) << "\n";

  // ---- network ----
  out << "\n  # Sockets by address family and type, as created during the recording.\n";
  std::set<std::string> net;
  bool alg = false;
  for (const auto& [s, ev] : p.sockets) {
    const std::string f = apparmor_family(s.family);
    if (f.empty()) {
      out << "  # socket family " << one_line(s.family) << ": no AppArmor keyword; not granted\n";
      continue;
    }
    if (f == "alg") alg = true;
    const std::string t = apparmor_type(s.type);
    net.insert("network " + f + (t.empty() ? "" : " " + t) + ",");
  }
  if (net.empty() && p.sockets.empty()) out << "  # (no sockets)\n";
  for (const auto& n : net) out << "  " << n << "\n";

  // ---- files ----
  out << "\n  # Files, from the recorded accesses: r read, w write/create/delete/rename/chmod,\n"
         "  # k lock, l link, m mmap executable. Per-process /proc paths are owner @{pid}\n"
         "  # patterns; temp names and large sets of files in one directory are globs.\n";
  if (file_lines.empty()) out << "  # (none beyond abstractions/base)\n";
  for (const auto& [k, l] : file_lines) out << "  " << l << "\n";

  out << "\n  # Programs run: ix, they inherit this profile (everything in the container runs\n"
         "  # under it; px would need a profile of their own and deny the exec without one).\n";
  if (exec_lines.empty()) out << "  # (none)\n";
  for (const auto& [k, l] : exec_lines) out << "  " << l << "\n";

  // ---- signals / ptrace ----
  out << "\n  # Signals from the host (unconfined: docker stop/kill) and the OCI runtime, and "
         "among\n"
         "  # the workload's own processes; ptrace only among them (gdb, /proc/<pid> reads).\n"
         "  signal (receive) peer=unconfined,\n"
         "  signal (receive) peer=runc,\n"
         "  signal (receive) peer=crun,\n"
      << "  signal (send,receive) peer=" << name << ",\n"
      << "  ptrace (trace,read,tracedby,readby) peer=" << name << ",\n";

  // ---- mount ----
  out << "\n  # Mount operations: allowed only if the workload performed them.\n";
  std::set<std::string> targets;
  for (const auto& [path, use] : p.files)
    if (use.access.count("mount")) targets.insert(path);
  if (!targets.empty()) {
    out << "  # mount/umount targets seen:";
    for (const auto& t : targets) out << " " << one_line(t);
    out << "\n";
  }
  out << (uses_syscall(p, {"mount", "fsmount", "move_mount"}) ? "  mount,\n" : "  deny mount,\n");
  out << (uses_syscall(p, {"umount", "umount2"}) ? "  umount,\n" : "  deny umount,\n");
  out << (uses_syscall(p, {"pivot_root"}) ? "  pivot_root,\n" : "  deny pivot_root,\n");

  // ---- docker-default denials ----
  out << "\n  # docker-default's denials. Deny rules win over allow rules, so each one is kept\n"
         "  # only where it takes away nothing the workload used; it still guards against\n"
         "  # broader rules added later (local includes, abstractions).\n";
  out << (alg ? "  # kernel crypto API sockets (AF_ALG) were used: no `deny network alg`\n"
              : "  deny network alg,  # kernel crypto API sockets (AF_ALG)\n");
  for (const auto& d : kDenials) {
    std::string pat = d.pattern;
    pat.pop_back();  // the trailing blank only keeps the table readable
    const std::string needed = first_denied_use(granted, pat, d.perms);
    std::string printed = pat;
    if (printed.rfind("/proc/", 0) == 0) printed = "@{PROC}" + printed.substr(5);
    if (needed.empty())
      out << "  deny " << printed << " " << deny_perm_string(d.perms) << ",  # " << d.why << "\n";
    else
      out << "  # not denied: " << printed << " " << deny_perm_string(d.perms) << " (" << d.why
          << "): the workload used " << one_line(needed) << "\n";
  }
  out << "}\n";
  return out.str();
}

std::vector<AppArmorFileRule> apparmor_file_rules(const Profile& p) {
  const FileRules fr = file_rules(p, true, false);
  std::vector<AppArmorFileRule> out;
  out.reserve(fr.rules.size());
  for (std::size_t i = 0; i < fr.rules.size(); ++i) {
    const Rule& r = fr.rules[i];
    AppArmorFileRule f{join_pattern(r.comps, r.dir), r.owner, perm_string(r.perms), {}};
    f.paths.reserve(fr.paths[i].size());
    for (std::uint32_t k : fr.paths[i]) f.paths.push_back(*fr.concrete[k]);
    // A directory rule ends in '/', and so must the paths it is matched against (which can
    // change their order: "a/" sorts after "a-b/").
    if (r.dir) {
      for (auto& path : f.paths)
        if (path.empty() || path.back() != '/') path += '/';
      std::sort(f.paths.begin(), f.paths.end());
    }
    out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.pattern, a.owner) < std::tie(b.pattern, b.owner);
  });
  return out;
}

bool apparmor_pattern_matches(const std::string& pattern, const std::string& path) {
  return pattern_matches(spell_variables(pattern), path);
}

// ---- many patterns, many paths -----------------------------------------------------------------
//
// Every path a glob accepts starts with the glob's literal beginning (glob_match compares
// literal characters one for one, from the start), so a path only needs trying against globs
// whose literal beginning it starts with. The globs are filed under that beginning cut back to
// its last '/': a path looks up each of its own directory prefixes ("", "/", "/usr/",
// "/usr/share/", ...), a dozen hash lookups, and tries only what is filed there (checking the
// whole literal beginning first). Alternatives without any glob character are plain strings
// and are looked up whole. A diff of two 100k-file profiles thus tries each path against a
// handful of patterns instead of hundreds.

namespace {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

}  // namespace

struct AppArmorPatternSet::Impl {
  struct Glob {
    std::string glob;     // one alternative, as glob_match reads it
    std::string literal;  // its literal beginning
    std::size_t pattern;  // index of the pattern it came from
  };
  StringMap<std::vector<std::size_t>> exact;  // literal alternatives, escapes resolved
  StringMap<std::vector<Glob>> by_dir;        // literal beginning up to its last '/'
};

AppArmorPatternSet::AppArmorPatternSet(const std::vector<std::string>& patterns)
    : impl_(std::make_unique<Impl>()) {
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    for (auto& alt : glob_alternatives(spell_variables(patterns[i]))) {
      auto [lit, literal_only] = literal_prefix(alt);
      if (literal_only) {
        impl_->exact[lit].push_back(i);
        continue;
      }
      std::string dir = lit.substr(0, lit.rfind('/') + 1);  // "" when there is no '/'
      impl_->by_dir[dir].push_back({std::move(alt), std::move(lit), i});
    }
  }
}

AppArmorPatternSet::~AppArmorPatternSet() = default;
AppArmorPatternSet::AppArmorPatternSet(AppArmorPatternSet&&) noexcept = default;
AppArmorPatternSet& AppArmorPatternSet::operator=(AppArmorPatternSet&&) noexcept = default;

std::vector<std::size_t> AppArmorPatternSet::matching(const std::string& path) const {
  std::vector<std::size_t> out;
  const std::string_view s(path.c_str());  // what glob_match sees
  if (auto e = impl_->exact.find(s); e != impl_->exact.end()) out = e->second;
  auto try_dir = [&](std::string_view dir) {
    auto b = impl_->by_dir.find(dir);
    if (b == impl_->by_dir.end()) return;
    for (const auto& g : b->second)
      if (s.substr(0, g.literal.size()) == g.literal && glob_match(g.glob.c_str(), path.c_str()))
        out.push_back(g.pattern);
  };
  try_dir({});
  for (std::size_t k = s.find('/'); k != std::string_view::npos; k = s.find('/', k + 1))
    try_dir(s.substr(0, k + 1));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string apparmor_path_pattern(const std::string& path) {
  std::string comps;
  bool owner = false;
  std::vector<std::string_view> scratch;
  if (!to_rule(path, comps, owner, scratch)) return path;
  return join_pattern(comps, false);
}

}  // namespace tailor
