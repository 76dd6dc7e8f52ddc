// Helpers for tests that run real container engines (test_containers.cpp,
// test_container_record.cpp): bash with scripts/containers.sh sourced, run in the private mount
// and network namespaces of ct_private_ns, and the checks for what a machine can run.
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "support.h"

namespace tailor::test {

inline const std::string& containers_lib() {
  static const std::string path = std::string(TAILOR_SOURCE_DIR) + "/scripts/containers.sh";
  return path;
}

// Runs `body` in bash after sourcing scripts/containers.sh; args become $1, $2, ...
inline RunResult ct(const std::string& body, const std::vector<std::string>& args,
                    double timeout = 120) {
  std::vector<std::string> cmd = {"bash", "-c", ". \"" + containers_lib() + "\"; " + body, "bash"};
  cmd.insert(cmd.end(), args.begin(), args.end());
  return run(cmd, timeout);
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  REQUIRE(f.good());
}

// Writes `body` (bash, after sourcing containers.sh) to a file and runs it in ct_private_ns with
// `args` as $1, $2, ...: servers, published ports, podman's and dockerd's state live and die
// there, and the engines are configured through the environment only (ct_podman_env,
// ct_dockerd_start), so a command line runs exactly as a user types or tailor prints it.
inline RunResult in_private_ns(const TempDir& t, const std::string& name, const std::string& body,
                               const std::vector<std::string>& args, double timeout = 240) {
  const std::string script = t / (name + ".sh");
  write_file(script, ". \"" + containers_lib() + "\"\n" + body);
  std::vector<std::string> a = {script};
  a.insert(a.end(), args.begin(), args.end());
  return ct("CT_NS_TIMEOUT=" + std::to_string(static_cast<int>(timeout) - 10) +
                " ct_private_ns bash \"$@\"",
            a, timeout);
}

// Skips (WARN, false) unless we can run containers at all.
inline bool can_run_containers() {
  if (::geteuid() != 0) {
    WARN("SKIPPED: containers need root");
    return false;
  }
  for (const auto& tool : {"jq", "busybox", "unshare"}) {
    if (!have(tool)) {
      WARN("SKIPPED: " << tool << " is not installed (jq, busybox-static, util-linux)");
      return false;
    }
  }
  return true;
}

// Skips (WARN, false) unless printed command lines can run in ct_private_ns.
inline bool can_run_printed_lines() {
  if (!can_run_containers()) return false;
  if (!have("ip")) {
    WARN("SKIPPED: ip (iproute2) is not installed");
    return false;
  }
  return true;
}

// What one `key=value` / `key: value` line of a script's output says ("" if absent).
inline std::string field(const std::string& out, const std::string& key) {
  const auto at = out.find("\n" + key);
  const auto start = out.rfind(key, 0) == 0 ? 0 : at == std::string::npos ? at : at + 1;
  if (start == std::string::npos) return "";
  const auto end = out.find('\n', start);
  return out.substr(start + key.size(), end == std::string::npos ? end : end - start - key.size());
}

}  // namespace tailor::test
