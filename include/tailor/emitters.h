// Emitters: pure functions from a Profile (and options) to text. No I/O happens here; the CLI
// writes what they return.
#pragma once

#include <string>

#include "tailor/profile.h"

namespace tailor {

// A human-readable digest of a profile for a terminal: syscalls per arch, capabilities with
// their reasons, sockets and endpoints, executables, the most used files, resource peaks.
// `max_files` bounds the file list (0 = all).
std::string emit_summary(const Profile& p, std::size_t max_files = 20);

}  // namespace tailor
