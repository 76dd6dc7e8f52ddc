#include "tailor/capabilities.h"

#include <sys/capability.h>

#include <cctype>

namespace tailor {

std::string cap_name(int cap) {
  char* s = cap_to_name(static_cast<cap_value_t>(cap));
  std::string out = s ? s : "";
  cap_free(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (out.rfind("CAP_", 0) != 0) out = "CAP_" + out;  // libcap spells unknown caps as numbers
  return out;
}

std::optional<int> cap_number(std::string_view name) {
  std::string n(name);
  for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n.rfind("cap_", 0) != 0) n = "cap_" + n;
  cap_value_t v;
  if (cap_from_name(n.c_str(), &v) != 0) return std::nullopt;
  return static_cast<int>(v);
}

}  // namespace tailor
