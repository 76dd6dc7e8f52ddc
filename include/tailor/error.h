// One exception type for everything that should end a command with a clear one-line message.
// Thrown deep inside, caught once at the CLI boundary, which prints it and exits with `code`.
#pragma once

#include <stdexcept>
#include <string>

namespace tailor {

// Documented exit codes (README "Exit codes"). Workload statuses pass through unchanged, so
// tailor's own failures use codes a shell reserves for "command problems".
enum ExitCode : int {
  kExitUsage = 2,          // bad command line, malformed or foreign input file
  kExitIncomplete = 124,   // the recording lost events (eBPF ring buffer full): no profile
  kExitTraceFailed = 125,  // tailor could not set up tracing (like `env`/`timeout`: 125)
  kExitCannotExec = 126,   // the command was found but could not be executed
  kExitNotFound = 127,     // the command was not found
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what, int code = kExitUsage)
      : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

}  // namespace tailor
