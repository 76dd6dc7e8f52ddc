// seccomp_exec PROFILE.json CMD [ARGS...]: load a Docker/OCI seccomp profile the way a container
// runtime does (no-new-privileges, libseccomp-compiled filter, then exec) and nothing else.
//
// The benchmark's "filter alone" column: what a program pays for its seccomp profile in a
// container. `tailor run` and `record --since` are measured against it too, since no tool can
// make a filtered syscall cheaper than the filter itself (each syscall of a task with any filter
// takes the kernel's seccomp entry path, ~30 ns here even for a one-instruction ALLOW).
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "tailor/error.h"
#include "tailor/seccomp.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: seccomp_exec PROFILE.json CMD [ARGS...]\n");
    return 2;
  }
  try {
    std::ifstream in(argv[1]);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) throw tailor::Error(std::string("cannot read ") + argv[1]);
    auto filter = tailor::SeccompFilter::compile(tailor::seccomp_policy_from_json(text.str()));
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw tailor::Error("no_new_privs");
    filter.load();
  } catch (const tailor::Error& e) {
    std::fprintf(stderr, "seccomp_exec: %s\n", e.what());
    return 2;
  }
  ::execvp(argv[2], argv + 2);
  std::perror("seccomp_exec: exec");
  return 127;
}
