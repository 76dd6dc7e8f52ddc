#include "tailor/paths.h"

#include <cctype>

namespace tailor {

namespace {

bool alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

// Length of the per-process-file directory `path` starts with ("/tmp" -> 4), 0 if none.
std::size_t runtime_root(std::string_view path) {
  for (std::string_view root : {"/tmp", "/var/tmp", "/dev/shm", "/run", "/var/run", "/var/lock"})
    if (path.size() > root.size() + 1 && path.substr(0, root.size()) == root &&
        path[root.size()] == '/')
      return root.size();
  return 0;
}

}  // namespace

std::vector<PathSpan> pid_name_spans(std::string_view path) {
  std::vector<PathSpan> out;
  std::size_t i = runtime_root(path);
  if (i == 0) return out;
  while (i < path.size()) {
    if (!digit(path[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < path.size() && digit(path[j])) ++j;
    const bool left = !alnum(path[i - 1]) || (i >= 3 && path.substr(i - 3, 3) == "pid");
    const bool right = j == path.size() || !alnum(path[j]);
    if (left && right && path[i] != '0' && j - i <= 7) out.push_back({i, j - i});
    i = j;
  }
  return out;
}

}  // namespace tailor
