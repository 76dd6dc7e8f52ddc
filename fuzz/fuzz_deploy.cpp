// libFuzzer target for the deployment readers (tailor/deploy.h): Compose files, Kubernetes
// manifests, inspect JSON and run lines are what users point `tailor audit` at, downloaded or
// generated, so they are untrusted input like a profile.
//
// Property checked on every input: each reader either returns or throws tailor::Error (one line
// naming the file); anything else (another exception, a crash, unbounded recursion or memory
// from aliases) escapes and libFuzzer reports it. The same bytes are read as every kind, as two
// Compose files (split at the first "\n---\n"), and as a run line (words split at '\n').
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tailor/deploy.h"
#include "tailor/error.h"

namespace {

template <typename F>
void tolerate(F f) {
  try {
    f();
  } catch (const tailor::Error&) {
  }
}

void touch(const tailor::Deployment& d) {
  // Every workload's locations are usable.
  for (const tailor::Workload& w : d.workloads) (void)w.where_or("pids_limit");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const tailor::DeployFile f{"fuzz.yml", text};
  const std::map<std::string, std::string> env = {{"TAG", "1"}, {"EMPTY", ""}};
  tolerate([&] { touch(tailor::read_deployment({f}, env)); });
  tolerate([&] { (void)tailor::sniff_deploy_kind(f); });
  tolerate([&] { touch(tailor::read_compose({f}, env)); });
  tolerate([&] { touch(tailor::read_kubernetes(f)); });
  tolerate([&] { touch(tailor::read_inspect(f)); });
  if (auto sep = text.find("\n---\n"); sep != std::string::npos) {
    const tailor::DeployFile a{"a.yml", text.substr(0, sep)};
    const tailor::DeployFile b{"b.yml", text.substr(sep + 5)};
    tolerate([&] { touch(tailor::read_compose({a, b}, env)); });
  }
  if (size < 4096) {
    std::vector<std::string> argv;
    std::size_t start = 0;
    for (;;) {
      const std::size_t nl = text.find('\n', start);
      argv.push_back(text.substr(start, nl == std::string::npos ? nl : nl - start));
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    tolerate([&] { touch(tailor::read_run_line(argv)); });
    (void)tailor::parse_memory_bytes(argv[0]);
  }
  return 0;
}
