// libFuzzer target for the Docker / OCI seccomp profile reader and the libseccomp compiler.
// `tailor run` will read hand-written and downloaded profiles (moby's default among them), so
// both must survive anything.
//
// Properties checked on every input:
//   1. seccomp_policy_from_json never crashes and fails only with tailor::Error. Any other
//      exception escapes LLVMFuzzerTestOneInput and libFuzzer reports it as a crash.
//   2. Whatever it accepts survives a round trip through the Docker writer: equal policy, and
//      the same bytes when written again.
//   3. Compiling it into libseccomp (with and without CAP_SYS_ADMIN for includes/excludes) and
//      exporting BPF never crashes; failures are tailor::Error. When the Docker-only parts
//      resolve, the OCI writer's output reads back as the resolved policy (minus comments).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tailor/error.h"
#include "tailor/seccomp.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& a, const std::string& b) {
  std::fprintf(stderr, "fuzz_seccomp_json: %s\n--- first:\n%s\n--- second:\n%s\n", what, a.c_str(),
               b.c_str());
  std::abort();
}

void compile(const tailor::SeccompPolicy& p, const std::set<std::string>& caps) {
  try {
    std::vector<std::string> skipped;
    tailor::SeccompFilter f = tailor::SeccompFilter::compile(p, caps, &skipped);
    (void)f.bpf();
  } catch (const tailor::Error&) {
    // libseccomp refused something the reader let through (e.g. NOTIFY as the default action,
    // or a kernel release it cannot parse): a clean one-line error is the contract.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  tailor::SeccompPolicy p;
  try {
    p = tailor::seccomp_policy_from_json(text);
  } catch (const tailor::Error&) {
    return 0;
  }

  const std::string once = tailor::to_docker_seccomp_json(p);
  tailor::SeccompPolicy again;
  try {
    again = tailor::seccomp_policy_from_json(once);
  } catch (const tailor::Error& e) {
    fail("the reader rejects what the Docker writer wrote", once, e.what());
  }
  if (!(again == p))
    fail("round trip changed the policy", once, tailor::to_docker_seccomp_json(again));
  const std::string twice = tailor::to_docker_seccomp_json(again);
  if (twice != once) fail("round trip changed the JSON", once, twice);

  compile(p, {});
  compile(p, {"CAP_SYS_ADMIN", "CAP_SYS_CHROOT"});

  tailor::SeccompPolicy resolved;
  try {
    resolved = tailor::resolve_seccomp_policy(p, {});
  } catch (const tailor::Error&) {
    return 0;
  }
  std::string oci;
  try {
    oci = tailor::to_oci_seccomp_json(resolved);
  } catch (const tailor::Error& e) {
    fail("a resolved policy still has Docker-only parts", once, e.what());
  }
  for (auto& r : resolved.syscalls) r.comment.clear();
  tailor::SeccompPolicy from_oci;
  try {
    from_oci = tailor::seccomp_policy_from_json(oci);
  } catch (const tailor::Error& e) {
    fail("the reader rejects what the OCI writer wrote", oci, e.what());
  }
  if (!(from_oci == resolved)) fail("OCI round trip changed the policy", oci, once);
  return 0;
}
