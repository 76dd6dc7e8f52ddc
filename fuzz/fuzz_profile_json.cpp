// libFuzzer target for the tailor profile reader, the one parser in tailor that reads files
// users pass around (profiles are committed to git, merged, downloaded from CI artifacts).
//
// Properties checked on every input:
//   1. profile_from_json never crashes, and fails only with tailor::Error (the CLI turns that
//      into one `tailor: ...` line and exit 2). Any other exception escapes LLVMFuzzerTestOneInput
//      and libFuzzer reports it as a crash ("deadly signal" from std::terminate).
//   2. Whatever it accepts survives a round trip: to_json, then profile_from_json, gives an
//      equal Profile, and writing that again gives the same bytes (the format's promise that
//      profiles diff cleanly). A mismatch is a bug in the reader or the writer: abort().
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tailor/error.h"
#include "tailor/profile.h"
#include "tailor/profile_json.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& a, const std::string& b) {
  std::fprintf(stderr, "fuzz_profile_json: %s\n--- first:\n%s\n--- second:\n%s\n", what, a.c_str(),
               b.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  tailor::Profile p;
  try {
    p = tailor::profile_from_json(text);
  } catch (const tailor::Error&) {
    return 0;  // rejected with a clean message: the expected outcome for most inputs
  }

  const std::string once = tailor::to_json(p);
  if (tailor::to_json(p) != once) fail("to_json is not deterministic", once, tailor::to_json(p));

  tailor::Profile again;
  try {
    again = tailor::profile_from_json(once);
  } catch (const tailor::Error& e) {
    fail("the reader rejects what the writer wrote", once, e.what());
  }
  if (!(again == p)) fail("round trip changed the profile", once, tailor::to_json(again));
  const std::string twice = tailor::to_json(again);
  if (twice != once) fail("round trip changed the JSON", once, twice);
  return 0;
}
