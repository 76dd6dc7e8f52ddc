// audit(): the rule table (audit_rules.cpp) run over every workload of a deployment, each with
// the profile matched to it; and the four renderings of the result (text, JSON, Markdown for a
// pull request, SARIF 2.1.0 for code scanning).
#include <algorithm>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "audit_rules.h"
#include "tailor/error.h"
#include "tailor/profile.h"

namespace tailor {

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kLow:
      return "low";
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
    case Severity::kCritical:
      return "critical";
  }
  return "info";
}

std::optional<Severity> severity_from_name(std::string_view s) {
  for (Severity v :
       {Severity::kInfo, Severity::kLow, Severity::kMedium, Severity::kHigh, Severity::kCritical})
    if (severity_name(v) == s) return v;
  return std::nullopt;
}

std::optional<AuditFormat> audit_format_from_name(std::string_view s) {
  if (s == "text") return AuditFormat::kText;
  if (s == "json") return AuditFormat::kJson;
  if (s == "markdown") return AuditFormat::kMarkdown;
  if (s == "sarif") return AuditFormat::kSarif;
  return std::nullopt;
}

bool AuditResult::fails(Severity fail_on) const {
  return std::any_of(findings.begin(), findings.end(),
                     [&](const Finding& f) { return f.severity >= fail_on; });
}

bool profile_describes(const AuditProfile& p, const std::string& service, const std::string& image,
                       const std::vector<std::string>& argv) {
  if (!p.service.empty() && p.service == service) return true;
  if (p.named || image.empty()) return false;
  const std::string base = image_base_name(image);
  return std::any_of(p.profile.containers.begin(), p.profile.containers.end(), [&](const auto& c) {
    return !c.image.empty() && image_base_name(c.image) == base && c.command == argv;
  });
}

namespace {

// The profile a workload is checked against: its own (profile_describes, by service name first),
// else the one profile given without a service, else none.
const AuditProfile* match(const AuditInput& in, const Workload& w) {
  for (const auto& p : in.profiles)
    if (!p.service.empty() && p.service == w.service) return &p;
  for (const auto& p : in.profiles)
    if (profile_describes(p, w.service, w.image, argv_of(w))) return &p;
  if (in.profiles.size() == 1 && in.profiles[0].service.empty()) return &in.profiles[0];
  return nullptr;
}

// What one profile gives the checks, computed once however many workloads share it.
struct Prepared {
  HardeningPlan plan;
  std::optional<Surface> needed;
  std::size_t syscalls = 0;
};

bool finding_less(const Finding& a, const Finding& b) {
  return std::tie(a.at.file, a.at.line, a.at.column, a.rule, a.workload, a.message, a.severity) <
         std::tie(b.at.file, b.at.line, b.at.column, b.rule, b.workload, b.message, b.severity);
}

}  // namespace

AuditResult audit(const AuditInput& in) {
  AuditResult r;
  std::map<const AuditProfile*, Prepared> prepared;
  bool applied_to_all = false;
  for (const auto& w : in.deployment.workloads) {
    audit_detail::RuleContext ctx;
    ctx.kind = in.deployment.kind;
    ctx.profile = match(in, w);
    if (!ctx.profile && !in.profiles.empty()) r.unmatched.push_back(w.name);
    if (ctx.profile) {
      applied_to_all = applied_to_all || ctx.profile->service.empty();
      auto [it, fresh] = prepared.try_emplace(ctx.profile);
      if (fresh) {
        it->second.plan = hardening_plan(ctx.profile->profile);
        try {
          it->second.needed = surface_from_profile(ctx.profile->profile, SeccompOptions{});
          std::set<std::string> names;
          for (const auto& [arch, calls] : it->second.needed->syscalls)
            for (const auto& [name, allow] : calls) names.insert(name);
          it->second.syscalls = names.size();
        } catch (const Error& e) {
          r.notes.push_back(ctx.profile->name + ": seccomp not compared: " + e.what());
        }
      }
      ctx.plan = &it->second.plan;
      if (it->second.needed) {
        ctx.needed = &*it->second.needed;
        ctx.needed_syscalls = it->second.syscalls;
      }
    }
    if (w.seccomp)
      if (auto f = in.seccomp_files.find(*w.seccomp); f != in.seccomp_files.end())
        ctx.seccomp_file = &f->second;
    for (auto& f : audit_detail::check_workload(w, ctx))
      if (std::find(in.ignore.begin(), in.ignore.end(), f.rule) == in.ignore.end())
        r.findings.push_back(std::move(f));
  }
  if (applied_to_all)
    r.notes.push_back("profile " + in.profiles[0].name +
                      " names no service: it was checked against every workload");
  if (!in.profiles.empty() && !r.unmatched.empty())
    r.notes.push_back("no profile matched " + std::to_string(r.unmatched.size()) +
                      " workload(s); the profile rules (TL2xx) were not checked for them");
  std::sort(r.findings.begin(), r.findings.end(), finding_less);
  r.findings.erase(std::unique(r.findings.begin(), r.findings.end()), r.findings.end());
  return r;
}

// ---- rendering -----------------------------------------------------------------------------

namespace {

using nlohmann::json;

constexpr std::array<Severity, 5> kDescending = {
    Severity::kCritical, Severity::kHigh, Severity::kMedium, Severity::kLow, Severity::kInfo};

const AuditRule* rule_of(std::string_view id) {
  for (const auto& r : audit_rules())
    if (r.id == id) return &r;
  return nullptr;
}

std::string where(const SourceLoc& at, const std::string& workload) {
  if (at.file.empty()) return at.line ? "-:" + std::to_string(at.line) : "-";
  (void)workload;
  std::string s = at.file;
  if (at.line) {
    s += ":" + std::to_string(at.line);
    if (at.column) s += ":" + std::to_string(at.column);
  }
  return s;
}

std::map<Severity, std::size_t> counts(const AuditResult& r) {
  std::map<Severity, std::size_t> c;
  for (const auto& f : r.findings) ++c[f.severity];
  return c;
}

// "3 findings (1 critical, 2 high)" / "no findings".
std::string summary(const AuditResult& r) {
  if (r.findings.empty()) return "no findings";
  const auto c = counts(r);
  std::string parts;
  for (Severity s : kDescending)
    if (c.count(s))
      parts += (parts.empty() ? "" : ", ") + std::to_string(c.at(s)) + " " +
               std::string(severity_name(s));
  return std::to_string(r.findings.size()) +
         (r.findings.size() == 1 ? " finding (" : " findings (") + parts + ")";
}

std::string kind_name(DeployKind k) {
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
  return "compose";
}

std::string render_text(const AuditResult& r, const AuditInput& in) {
  std::string out;
  for (const auto& f : r.findings) {
    const AuditRule* rule = rule_of(f.rule);
    out += where(f.at, f.workload) + ": " + std::string(severity_name(f.severity)) + " " + f.rule +
           " " + f.workload + ": " + f.message + "\n";
    if (rule) out += "  fix: " + std::string(rule->fix) + "\n";
  }
  for (const auto& n : r.notes) out += "note: " + n + "\n";
  std::size_t matched = in.deployment.workloads.size() - r.unmatched.size();
  out += "tailor audit: " + summary(r) + " in " + std::to_string(in.deployment.workloads.size()) +
         " workload(s)";
  if (!in.profiles.empty()) out += "; " + std::to_string(matched) + " checked against a profile";
  return out + "\n";
}

json finding_json(const Finding& f) {
  const AuditRule* rule = rule_of(f.rule);
  json j = {{"rule", f.rule},         {"severity", severity_name(f.severity)},
            {"workload", f.workload}, {"message", f.message},
            {"file", f.at.file},      {"line", f.at.line},
            {"column", f.at.column}};
  if (rule) {
    j["title"] = rule->title;
    j["reference"] = rule->reference;
    j["fix"] = rule->fix;
  }
  return j;
}

std::string render_json(const AuditResult& r, const AuditInput& in) {
  json counts_j = json::object();
  const auto c = counts(r);
  for (Severity s : kDescending) counts_j[std::string(severity_name(s))] = c.count(s) ? c.at(s) : 0;
  counts_j["total"] = r.findings.size();
  json findings = json::array();
  for (const auto& f : r.findings) findings.push_back(finding_json(f));
  json profiles = json::array();
  for (const auto& p : in.profiles) profiles.push_back({{"name", p.name}, {"service", p.service}});
  json j = {{"tool", "tailor audit"},
            {"kind", kind_name(in.deployment.kind)},
            {"files", in.deployment.files},
            {"workloads", in.deployment.workloads.size()},
            {"profiles", profiles},
            {"counts", counts_j},
            {"findings", findings},
            {"unmatched", r.unmatched},
            {"notes", r.notes}};
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

// A table cell: pipes and line breaks would end it.
std::string cell(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|')
      out += "\\|";
    else if (ch == '\n' || ch == '\r')
      out += ' ';
    else
      out += ch;
  }
  return out;
}

std::string render_markdown(const AuditResult& r, const AuditInput& in) {
  std::string out = "### tailor audit: " + summary(r) + "\n\n";
  if (!r.findings.empty()) {
    out += "| Severity | Rule | Workload | Where | Finding | Fix |\n";
    out += "|---|---|---|---|---|---|\n";
    for (const auto& f : r.findings) {
      const AuditRule* rule = rule_of(f.rule);
      const std::string sev = std::string(severity_name(f.severity));
      out += "| " + (f.severity >= Severity::kHigh ? "**" + sev + "**" : sev) + " | " + f.rule +
             " | " + cell(f.workload) + " | `" + cell(where(f.at, f.workload)) + "` | " +
             cell(f.message) + " | " + (rule ? cell(std::string(rule->fix)) : "") + " |\n";
    }
    out += "\n";
  }
  for (const auto& n : r.notes) out += "- " + cell(n) + "\n";
  out += "\n" + std::to_string(in.deployment.workloads.size()) + " workload(s) audited";
  if (!in.profiles.empty())
    out += ", " + std::to_string(in.deployment.workloads.size() - r.unmatched.size()) +
           " against a recorded profile";
  return out + ".\n";
}

// GitHub code scanning maps security-severity to its levels: >= 9.0 critical, 7.0-8.9 high,
// 4.0-6.9 medium, 0.1-3.9 low. Info has none: it is not a security problem.
const char* security_severity(Severity s) {
  switch (s) {
    case Severity::kCritical:
      return "9.5";
    case Severity::kHigh:
      return "8.0";
    case Severity::kMedium:
      return "5.5";
    case Severity::kLow:
      return "2.0";
    case Severity::kInfo:
      return nullptr;
  }
  return nullptr;
}

const char* sarif_level(Severity s) {
  if (s >= Severity::kHigh) return "error";
  if (s == Severity::kMedium) return "warning";
  return "note";
}

// "Seccomp unconfined" -> "SeccompUnconfined": SARIF's reportingDescriptor.name.
std::string rule_name(std::string_view title) {
  std::string out;
  bool up = true;
  for (char ch : title) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (!std::isalnum(c)) {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(c)) : ch;
    up = false;
  }
  return out;
}

// A path as a URI reference (RFC 3986): relative paths stay relative (to %SRCROOT%, the
// repository root in CI), absolute ones become file: URIs.
std::string to_uri(const std::string& path) {
  static const std::string kSafe =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/";
  std::string out;
  for (unsigned char c : path) {
    if (kSafe.find(static_cast<char>(c)) != std::string::npos) {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return !path.empty() && path[0] == '/' ? "file://" + out : out;
}

std::string render_sarif(const AuditResult& r) {
  const auto& rules = audit_rules();
  json jrules = json::array();
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const AuditRule& ar = rules[i];
    index[std::string(ar.id)] = i;
    json props = {{"tags", ar.needs_profile ? json{"security", "containers", "tailor-profile"}
                                            : json{"security", "containers"}}};
    if (const char* ss = security_severity(ar.severity)) props["security-severity"] = ss;
    const std::string help =
        "Fix: " + std::string(ar.fix) + ". Reference: " + std::string(ar.reference) + ".";
    jrules.push_back({{"id", ar.id},
                      {"name", rule_name(ar.title)},
                      {"shortDescription", {{"text", ar.title}}},
                      {"fullDescription",
                       {{"text", std::string(ar.title) + " (" + std::string(ar.reference) + ")"}}},
                      {"help", {{"text", help}}},
                      {"defaultConfiguration", {{"level", sarif_level(ar.severity)}}},
                      {"properties", props}});
  }
  json results = json::array();
  for (const auto& f : r.findings) {
    json res = {{"ruleId", f.rule},
                {"level", sarif_level(f.severity)},
                {"message", {{"text", f.workload + ": " + f.message}}}};
    if (auto it = index.find(f.rule); it != index.end()) res["ruleIndex"] = it->second;
    if (!f.at.file.empty()) {
      json artifact = {{"uri", to_uri(f.at.file)}};
      if (f.at.file[0] != '/') artifact["uriBaseId"] = "%SRCROOT%";
      json phys = {{"artifactLocation", artifact}};
      if (f.at.line > 0) {
        phys["region"] = {{"startLine", f.at.line}};
        if (f.at.column > 0) phys["region"]["startColumn"] = f.at.column;
      }
      res["locations"] = json::array({{{"physicalLocation", phys}}});
    }
    // The severity a finding was raised or lowered to, where it differs from the rule's.
    res["properties"] = {{"severity", severity_name(f.severity)}};
    results.push_back(std::move(res));
  }
  json run = {{"tool", {{"driver", {{"name", "tailor"}, {"rules", jrules}}}}},
              {"columnKind", "unicodeCodePoints"},
              {"results", results}};
  json log = {{"$schema",
               "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
               "sarif-schema-2.1.0.json"},
              {"version", "2.1.0"},
              {"runs", json::array({run})}};
  return log.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace

std::string render_audit(const AuditResult& r, const AuditInput& in, AuditFormat f) {
  switch (f) {
    case AuditFormat::kText:
      return render_text(r, in);
    case AuditFormat::kJson:
      return render_json(r, in);
    case AuditFormat::kMarkdown:
      return render_markdown(r, in);
    case AuditFormat::kSarif:
      return render_sarif(r);
  }
  return render_text(r, in);
}

std::string render_audit_rules(AuditFormat f) {
  const auto& rules = audit_rules();
  switch (f) {
    case AuditFormat::kJson: {
      json j = json::array();
      for (const auto& r : rules)
        j.push_back({{"id", r.id},
                     {"severity", severity_name(r.severity)},
                     {"title", r.title},
                     {"reference", r.reference},
                     {"fix", r.fix},
                     {"needs_profile", r.needs_profile}});
      return j.dump(2) + "\n";
    }
    case AuditFormat::kMarkdown: {
      std::string out = "| Rule | Severity | Title | Follows | Fix |\n|---|---|---|---|---|\n";
      for (const auto& r : rules)
        out += "| " + std::string(r.id) + " | " + std::string(severity_name(r.severity)) + " | " +
               cell(std::string(r.title)) + " | " + cell(std::string(r.reference)) + " | " +
               cell(std::string(r.fix)) + " |\n";
      return out;
    }
    case AuditFormat::kSarif:
      return render_sarif(AuditResult{});  // the rules as the driver's, no results
    case AuditFormat::kText:
      break;
  }
  std::string out;
  for (const auto& r : rules)
    out += std::string(r.id) + "  " + std::string(severity_name(r.severity)) +
           std::string(9 - severity_name(r.severity).size(), ' ') + std::string(r.title) +
           (r.needs_profile ? "  [needs a profile]" : "") +
           "\n      follows: " + std::string(r.reference) + "\n      fix: " + std::string(r.fix) +
           "\n";
  return out;
}

}  // namespace tailor
