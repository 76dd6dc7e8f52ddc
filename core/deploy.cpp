// The parts of reading deployments that do not depend on the file kind: the YAML tree with
// locations, number and notation parsers, sniffing, and read_deployment's dispatch.
#include "tailor/deploy.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "deploy_internal.h"
#include "tailor/error.h"

namespace tailor {

namespace deploy_detail {

void fail_at(const SourceLoc& at, const std::string& what) {
  std::string where = at.file;
  if (at.line > 0) where += ":" + std::to_string(at.line);
  throw Error(where.empty() ? what : where + ": " + what, kExitUsage);
}

const YEntry* YNode::find(std::string_view key) const {
  for (const YEntry& e : entries)
    if (e.key == key) return &e;
  return nullptr;
}

const YNode* YNode::get(std::string_view key) const {
  const YEntry* e = find(key);
  return e ? &e->value : nullptr;
}

namespace {

// Real files nest a dozen levels; the limit is for hostile input (and alias cycles, which
// yaml-cpp builds for `&a [*a]`).
constexpr int kMaxDepth = 64;
// Aliases are expanded into copies: a "billion laughs" file would otherwise take any amount of
// memory. A large Kubernetes manifest (a rendered Helm chart) has tens of thousands of nodes.
constexpr std::size_t kMaxNodes = 500000;

class Converter {
 public:
  Converter(const std::string& file, const ScalarHook& hook) : file_(file), hook_(hook) {}

  YNode convert(const YAML::Node& n, int depth) {
    YNode out;
    out.at = loc(n.Mark());
    if (depth > kMaxDepth) fail_at(out.at, "nested too deeply");
    if (++nodes_ > kMaxNodes) fail_at(out.at, "too many nodes (aliases expand too far)");
    switch (n.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out.kind = YNode::kNull;
        break;
      case YAML::NodeType::Scalar:
        out.kind = YNode::kScalar;
        out.text = hook_ ? hook_(n.Scalar(), out.at) : n.Scalar();
        break;
      case YAML::NodeType::Sequence:
        out.kind = YNode::kSeq;
        for (const YAML::Node& item : n) out.items.push_back(convert(item, depth + 1));
        break;
      case YAML::NodeType::Map: {
        out.kind = YNode::kMap;
        std::vector<YNode> merges;
        std::set<std::string> keys;  // a set: maps can be large, and merges repeat them
        // Copies: yaml-cpp's `it->first` is a member of a temporary proxy (ASan caught the
        // dangling reference, GCC's -Wdangling-pointer too).
        for (const auto& kv : n) {
          const YAML::Node k = kv.first;
          const YAML::Node v = kv.second;
          SourceLoc key_at = loc(k.Mark());
          if (k.Type() != YAML::NodeType::Scalar) fail_at(key_at, "a mapping key is not a string");
          if (k.Scalar() == "<<" && k.Tag() != "!") {
            merges.push_back(convert(v, depth + 1));
            continue;
          }
          if (!keys.insert(k.Scalar()).second) fail_at(key_at, "duplicate key " + k.Scalar());
          out.entries.push_back(YEntry{k.Scalar(), key_at, convert(v, depth + 1)});
        }
        // YAML merge keys: explicit keys win, then the merged maps in the order listed.
        for (const YNode& m : merges) {
          if (m.is_map()) {
            merge_from(out, m, keys);
          } else if (m.is_seq()) {
            for (const YNode& item : m.items) {
              if (!item.is_map()) fail_at(item.at, "<<: expected a mapping or a list of them");
              merge_from(out, item, keys);
            }
          } else {
            fail_at(m.at, "<<: expected a mapping or a list of them");
          }
        }
        break;
      }
    }
    return out;
  }

 private:
  SourceLoc loc(const YAML::Mark& m) const {
    SourceLoc l;
    l.file = file_;
    if (m.line >= 0) l.line = m.line + 1;
    if (m.column >= 0) l.column = m.column + 1;
    return l;
  }
  static void merge_from(YNode& out, const YNode& m, std::set<std::string>& keys) {
    for (const YEntry& e : m.entries)
      if (keys.insert(e.key).second) out.entries.push_back(e);
  }

  const std::string& file_;
  const ScalarHook& hook_;
  std::size_t nodes_ = 0;
};

// yaml-cpp 0.7 loops for ever, allocating, on a document that goes on with a token no node
// can start with (`"a",` or a lone `,` at the top): the parser then makes an empty document
// without taking the token, again and again, and YAML::LoadAll collects them. A first pass
// over the events stops that: a document starting where the last one did means no progress.
class ProgressCheck : public YAML::EventHandler {
 public:
  struct Stuck {
    YAML::Mark at;
  };
  void OnDocumentStart(const YAML::Mark& m) override {
    if (seen_ && m.pos == last_.pos) throw Stuck{m};
    seen_ = true;
    last_ = m;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  bool seen_ = false;
  YAML::Mark last_;
};

std::string what_of(const YAML::Exception& e) {
  return e.msg.empty() ? std::string("invalid YAML") : e.msg;
}

}  // namespace

std::vector<YNode> load_yaml(const std::string& file, const std::string& text,
                             const ScalarHook& hook) {
  std::vector<YAML::Node> docs;
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    ProgressCheck check;
    while (parser.HandleNextDocument(check)) {
    }
    docs = YAML::LoadAll(text);
  } catch (const ProgressCheck::Stuck& s) {
    fail_at(SourceLoc{file, s.at.line + 1, s.at.column + 1}, "unexpected text after a value");
  } catch (const YAML::Exception& e) {
    SourceLoc at{file, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.mark.column + 1};
    fail_at(at, what_of(e));
  }
  std::vector<YNode> out;
  Converter c(file, hook);
  try {
    for (const YAML::Node& d : docs) out.push_back(c.convert(d, 0));
  } catch (const YAML::Exception& e) {
    SourceLoc at{file, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.mark.column + 1};
    fail_at(at, what_of(e));
  }
  return out;
}

namespace {

std::string kind_word(const YNode& n) {
  switch (n.kind) {
    case YNode::kNull:
      return "nothing";
    case YNode::kScalar:
      return "\"" + n.text.substr(0, 40) + "\"";
    case YNode::kSeq:
      return "a list";
    case YNode::kMap:
      return "a mapping";
  }
  return "?";
}

[[noreturn]] void wrong(const YNode& n, std::string_view what, std::string_view expected) {
  fail_at(n.at,
          std::string(what) + ": expected " + std::string(expected) + ", got " + kind_word(n));
}

}  // namespace

const std::string& need_scalar(const YNode& n, std::string_view what) {
  if (!n.is_scalar()) wrong(n, what, "a value");
  return n.text;
}

bool need_bool(const YNode& n, std::string_view what) {
  if (n.is_scalar())
    if (auto b = parse_bool(n.text)) return *b;
  wrong(n, what, "true or false");
}

std::uint64_t need_u64(const YNode& n, std::string_view what) {
  if (n.is_scalar())
    if (auto v = parse_u64(n.text)) return *v;
  wrong(n, what, "a non-negative integer");
}

std::int64_t need_i64(const YNode& n, std::string_view what) {
  if (n.is_scalar())
    if (auto v = parse_i64(n.text)) return *v;
  wrong(n, what, "an integer");
}

double need_number(const YNode& n, std::string_view what) {
  if (n.is_scalar())
    if (auto v = parse_double(n.text)) return *v;
  wrong(n, what, "a number");
}

void need_map(const YNode& n, std::string_view what) {
  if (!n.is_map() && !n.is_null()) wrong(n, what, "a mapping");
}

void need_seq(const YNode& n, std::string_view what) {
  if (!n.is_seq() && !n.is_null()) wrong(n, what, "a list");
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::int64_t> parse_i64(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_double(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(std::string_view s) {
  std::string l;
  for (char c : s) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "true" || l == "yes" || l == "on" || l == "1") return true;
  if (l == "false" || l == "no" || l == "off" || l == "0") return false;
  return std::nullopt;
}

std::string normalize_cap(std::string_view s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (out.rfind("CAP_", 0) == 0) out.erase(0, 4);
  return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t i = s.find(sep, start);
    out.emplace_back(s.substr(start, i == std::string_view::npos ? s.npos : i - start));
    if (i == std::string_view::npos) break;
    start = i + 1;
  }
  return out;
}

std::vector<std::string> shell_words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) out.push_back(std::move(cur));
      cur.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'') {
      std::size_t end = s.find('\'', i + 1);
      if (end == std::string_view::npos) end = s.size();
      cur.append(s.substr(i + 1, end - i - 1));
      i = end;
    } else if (c == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size() &&
            std::string_view("\"\\$`").find(s[i + 1]) != std::string_view::npos)
          ++i;
        cur += s[i];
      }
    } else if (c == '\\' && i + 1 < s.size()) {
      cur += s[++i];
    } else {
      cur += c;
    }
  }
  if (in_word) out.push_back(std::move(cur));
  return out;
}

bool apply_security_opt(Workload& w, std::string_view opt, const SourceLoc& at) {
  auto eq = opt.find_first_of("=:");
  std::string_view key = opt.substr(0, eq);
  std::optional<std::string_view> value;
  if (eq != std::string_view::npos) value = opt.substr(eq + 1);
  if (key == "seccomp") {
    if (!value || value->empty()) return false;
    w.seccomp = std::string(*value);
    w.where["seccomp"] = at;
  } else if (key == "apparmor") {
    if (!value || value->empty()) return false;
    w.apparmor = std::string(*value);
    w.where["apparmor"] = at;
  } else if (key == "no-new-privileges") {
    bool on = true;
    if (value) {
      auto b = parse_bool(*value);
      if (!b) return false;
      on = *b;
    }
    w.no_new_privileges = on;
    w.where["no_new_privileges"] = at;
  }
  return true;
}

std::optional<Mount> parse_volume_short(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::vector<std::string> parts = split(s, ':');
  Mount m;
  std::string mode;
  auto is_mode = [](std::string_view p) {
    return !p.empty() && p[0] != '/' && p.find('/') == std::string_view::npos;
  };
  if (parts.size() == 1) {
    m.target = parts[0];
  } else if (parts.size() == 2 && parts[0].rfind('/', 0) == 0 && is_mode(parts[1])) {
    m.target = parts[0];  // "/data:ro": an anonymous volume with a mode
    mode = parts[1];
  } else if (parts.size() == 2 || parts.size() == 3) {
    m.source = parts[0];
    m.target = parts[1];
    if (parts.size() == 3) mode = parts[2];
  } else {
    return std::nullopt;
  }
  if (m.target.empty()) return std::nullopt;
  const char c0 = m.source.empty() ? '\0' : m.source[0];
  m.type = c0 == '/' || c0 == '.' || c0 == '~' ? "bind" : "volume";
  for (const std::string& o : split(mode, ','))
    if (o == "ro" || o == "readonly") m.read_only = true;
  return m;
}

Mount parse_tmpfs(std::string_view s) {
  Mount m;
  m.type = "tmpfs";
  auto colon = s.find(':');
  m.target = std::string(s.substr(0, colon));
  if (colon != std::string_view::npos)
    for (const std::string& o : split(s.substr(colon + 1), ','))
      if (o == "ro") m.read_only = true;
  return m;
}

namespace {

// "80" -> 80; "80-90" (a range) -> 0; nullopt if neither.
std::optional<int> container_port(std::string_view s) {
  if (auto dash = s.find('-'); dash != std::string_view::npos) {
    if (!parse_u64(s.substr(0, dash)) || !parse_u64(s.substr(dash + 1))) return std::nullopt;
    return 0;
  }
  auto v = parse_u64(s);
  if (!v || *v == 0 || *v > 65535) return std::nullopt;
  return static_cast<int>(*v);
}

}  // namespace

std::optional<PortMapping> parse_port_short(std::string_view s) {
  PortMapping p;
  if (auto slash = s.rfind('/'); slash != std::string_view::npos) {
    p.protocol = std::string(s.substr(slash + 1));
    s = s.substr(0, slash);
    if (p.protocol.empty()) return std::nullopt;
  }
  if (!s.empty() && s[0] == '[') {  // "[::1]:8080:80"
    auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return std::nullopt;
    p.host_ip = std::string(s.substr(1, close - 1));
    s = s.substr(close + 2);
    auto colon = s.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    p.host_port = std::string(s.substr(0, colon));
    s = s.substr(colon + 1);
  } else {
    std::vector<std::string> parts = split(s, ':');
    if (parts.size() >= 2) {
      s = s.substr(s.rfind(':') + 1);
      p.host_port = parts[parts.size() - 2];
      if (parts.size() >= 3) {
        std::string ip;
        for (std::size_t i = 0; i + 2 < parts.size(); ++i) ip += (i ? ":" : "") + parts[i];
        p.host_ip = ip;
      }
    }
    if (parts.size() == 1) p.host_port = "0";
  }
  if (p.host_port.empty()) p.host_port = "0";
  auto cp = container_port(s);
  if (!cp) return std::nullopt;
  p.container_port = *cp;
  return p;
}

bool parse_nofile(std::string_view s, Workload& w) {
  auto colon = s.find(':');
  auto soft = parse_u64(s.substr(0, colon));
  if (!soft) return false;
  std::optional<std::uint64_t> hard = soft;
  if (colon != std::string_view::npos) hard = parse_u64(s.substr(colon + 1));
  if (!hard) return false;
  w.nofile_soft = soft;
  w.nofile_hard = hard;
  return true;
}

}  // namespace deploy_detail

using namespace deploy_detail;

std::string_view deploy_kind_name(DeployKind k) {
  switch (k) {
    case DeployKind::kCompose:
      return "compose";
    case DeployKind::kKubernetes:
      return "kubernetes";
    case DeployKind::kInspect:
      return "inspect";
    case DeployKind::kRunLine:
      return "run";
  }
  return "?";
}

SourceLoc Workload::where_or(std::string_view field) const {
  std::string f(field);
  for (int hops = 0; hops < 4; ++hops) {
    if (auto it = where.find(f); it != where.end()) return it->second;
    // The enclosing entry: "cap_add NET_ADMIN" is in cap_add, which (k8s) is in the container's
    // securityContext, which may be absent while the pod's is there.
    if (auto sp = f.find(' '); sp != std::string::npos) {
      f.resize(sp);
    } else if (f == "memory" || f == "cpus" || f == "pids_limit") {
      f = "resources";
    } else if (f == "privileged" || f == "cap_add" || f == "cap_drop" || f == "seccomp" ||
               f == "apparmor" || f == "no_new_privileges" || f == "user" ||
               f == "run_as_non_root" || f == "read_only_rootfs") {
      f = "security_context";
    } else if (f == "security_context") {
      f = "pod_security_context";
    } else {
      break;
    }
  }
  return at;
}

std::optional<std::uint64_t> parse_memory_bytes(std::string_view s) {
  // go-units RAMInBytes, which Docker and Compose use: binary multiples whatever the case,
  // optional "i" and "b" ("1g", "1GiB", "256Mi", "512mb"); Kubernetes' binary suffixes ("Mi",
  // "Gi") read the same. A bare number is bytes.
  std::size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  auto num = parse_double(s.substr(0, i));
  if (!num || *num < 0 || s.substr(0, i).find_first_not_of("0123456789.") != s.npos)
    return std::nullopt;
  std::string_view unit = s.substr(i);
  if (!unit.empty() && unit[0] == ' ') unit.remove_prefix(1);
  long double mult = 1;
  if (!unit.empty()) {
    const char u = static_cast<char>(std::tolower(static_cast<unsigned char>(unit[0])));
    const std::string_view letters = "kmgtpe";
    if (auto at = letters.find(u); at != std::string_view::npos) {
      for (std::size_t k = 0; k <= at; ++k) mult *= 1024;
      unit.remove_prefix(1);
      if (!unit.empty() && (unit[0] == 'i' || unit[0] == 'I')) unit.remove_prefix(1);
    }
    if (!unit.empty() && (unit[0] == 'b' || unit[0] == 'B')) unit.remove_prefix(1);
    if (!unit.empty()) return std::nullopt;
  }
  const long double bytes = static_cast<long double>(*num) * mult;
  if (bytes >= 18446744073709551615.0L) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

DeployKind sniff_deploy_kind(const DeployFile& f) {
  const auto first = f.text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (f.text[first] == '[' || f.text[first] == '{')) {
    auto j = nlohmann::json::parse(f.text, nullptr, false);
    auto is_container = [](const nlohmann::json& o) {
      return o.is_object() && o.contains("Id") && o.contains("HostConfig");
    };
    if (j.is_array() && !j.empty() && std::all_of(j.begin(), j.end(), is_container))
      return DeployKind::kInspect;
    if (is_container(j)) return DeployKind::kInspect;
    // Otherwise JSON is YAML too: `kubectl get -o json` output is a Kubernetes manifest.
  }
  for (const YNode& doc : load_yaml(f.path, f.text)) {
    if (doc.is_null()) continue;
    if (doc.is_map() && doc.get("services")) return DeployKind::kCompose;
    if (doc.is_map() && doc.get("apiVersion") && doc.get("kind")) return DeployKind::kKubernetes;
    break;
  }
  fail_at(SourceLoc{f.path, 0, 0},
          "not a Compose file, Kubernetes manifest or docker/podman inspect output");
}

Deployment read_deployment(const std::vector<DeployFile>& files,
                           const std::map<std::string, std::string>& env) {
  if (files.empty()) throw Error("no deployment file given", kExitUsage);
  const DeployKind k = sniff_deploy_kind(files[0]);
  if (files.size() > 1) {
    // An override file may hold no services (only networks, say): read_compose checks them.
    if (k != DeployKind::kCompose)
      fail_at(SourceLoc{files[0].path, 0, 0}, "only Compose files can be given together");
    return read_compose(files, env);
  }
  switch (k) {
    case DeployKind::kCompose:
      return read_compose(files, env);
    case DeployKind::kKubernetes:
      return read_kubernetes(files[0]);
    case DeployKind::kInspect:
      return read_inspect(files[0]);
    case DeployKind::kRunLine:
      break;
  }
  fail_at(SourceLoc{files[0].path, 0, 0}, "cannot read this file");
}

std::vector<std::string> argv_of(const Workload& w) {
  std::vector<std::string> v = w.entrypoint;
  v.insert(v.end(), w.command.begin(), w.command.end());
  return v;
}

std::string image_base_name(std::string_view image) {
  if (auto at = image.find('@'); at != std::string_view::npos) image = image.substr(0, at);
  if (auto slash = image.rfind('/'); slash != std::string_view::npos)
    image = image.substr(slash + 1);
  if (auto colon = image.find(':'); colon != std::string_view::npos) image = image.substr(0, colon);
  return std::string(image);
}

}  // namespace tailor
