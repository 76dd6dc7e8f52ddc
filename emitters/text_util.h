// Text helpers the emitters that write shell lines and YAML share (flags.cpp, harden.cpp):
// quoting, joining, comment-safe text and a YAML writer with aligned trailing comments.
// Internal to emitters/: not part of the public headers.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace tailor::text {

// Comment text comes from the profile (paths, argv): keep it on one line whatever it holds.
inline std::string clean(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  return out;
}

inline std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : sep) + x;
  return out;
}
inline std::string join(const std::set<std::string>& s, const std::string& sep) {
  return join(std::vector<std::string>(s.begin(), s.end()), sep);
}

// One shell word: left bare when it only holds characters no shell treats specially.
inline std::string shell_quote(const std::string& s) {
  static const std::string kSafe =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-";
  if (!s.empty() && s.find_first_not_of(kSafe) == std::string::npos) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A YAML double-quoted scalar. JSON string syntax is a subset of it; bytes that are not UTF-8
// (a path can hold anything) become U+FFFD rather than an invalid document.
inline std::string yaml_quote(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// ["a", "b"]: a command line as one YAML line, every word quoted.
inline std::string yaml_flow_list(const std::vector<std::string>& words) {
  std::string out = "[";
  for (const auto& w : words) out += (out.size() > 1 ? ", " : "") + yaml_quote(w);
  return out + "]";
}

// Names (capabilities, services, volumes) stay bare in YAML, as people write them, when they
// are plain identifiers that no YAML reader would take for a boolean or null.
inline std::string yaml_word(const std::string& s) {
  static const std::string kPlain =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
  static const std::set<std::string> kReserved = {"y",     "n",  "yes", "no",  "true",
                                                  "false", "on", "off", "null"};
  std::string lower;
  for (unsigned char c : s) lower += static_cast<char>(std::tolower(c));
  if (!s.empty() && std::isalpha(static_cast<unsigned char>(s[0])) &&
      s.find_first_not_of(kPlain) == std::string::npos && !kReserved.count(lower))
    return s;
  return yaml_quote(s);
}

inline std::string mib(std::uint64_t kb) {
  return std::to_string((kb + 1023) / 1024) + " MiB";
}

class Yaml {
 public:
  // `text` is the line without its comment; comments are aligned so the values read as a column.
  void line(int indent, const std::string& text, const std::string& comment = "") {
    lines_.push_back({std::string(static_cast<std::size_t>(indent), ' ') + text, clean(comment)});
  }
  void comment(int indent, const std::string& text) {
    lines_.push_back({std::string(static_cast<std::size_t>(indent), ' ') + "# " + clean(text), ""});
  }
  std::string str() const {
    std::size_t width = 0;
    for (const auto& [t, c] : lines_)
      if (!c.empty()) width = std::max(width, t.size());
    width = std::min<std::size_t>(width, 44);
    std::string out;
    for (const auto& [t, c] : lines_) {
      out += t;
      if (!c.empty()) out += std::string(t.size() < width ? width - t.size() : 0, ' ') + "  # " + c;
      out += "\n";
    }
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::string>> lines_;
};

}  // namespace tailor::text
