// The tailor profile format: versioned JSON ("tailor": 1), sorted keys and arrays, so that a
// profile written twice from the same data is byte-identical.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tailor/profile.h"
#include "tailor/seccomp.h"

namespace tailor {

std::string to_json(const Profile& p);
// Throws tailor::Error with a one-line message on malformed JSON, a foreign document, a newer
// format version, or values of the wrong type. Never crashes on any input.
Profile profile_from_json(std::string_view text);

// File helpers shared by every command that writes outputs.
std::string read_file(const std::string& path);
// Writes `data` to a temporary file beside `path`, fsyncs, then renames it over `path`, so a
// reader never sees a partial file. "-" writes to stdout.
void write_file_atomic(const std::string& path, std::string_view data);

Profile load_profile(const std::string& path);

// A file `tailor run` and `tailor diff` accept: a tailor profile (a JSON object with a "tailor"
// key) or, otherwise, a Docker/OCI seccomp profile. Exactly one member is set. Throws
// tailor::Error with one line naming the path.
struct ProfileOrPolicy {
  std::optional<Profile> profile;
  std::optional<SeccompPolicy> policy;
};
ProfileOrPolicy load_profile_or_policy(const std::string& path);

}  // namespace tailor
