// Facts about recorded paths shared by the recorder (which decides them) and the emitters (which
// turn them into patterns), so both read a path the same way.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace tailor {

struct PathSpan {
  std::size_t pos = 0, len = 0;
};

// The places in `path` where a number may be a process id, in order: digit runs (no leading
// zero, at most 7 digits: the kernel's PID_MAX_LIMIT is 4194304) that stand apart from letters
// and digits around them — a whole name (`/tmp/hsperfdata_root/4711`), a part between
// punctuation (`/tmp/ssh-x/agent.4711`, `/run/app-4711.sock`) or after "pid"
// (`/tmp/.java_pid4711`) — below the directories where programs keep per-process files:
// /tmp, /var/tmp, /dev/shm, /run, /var/run, /var/lock.
//
// Only there: elsewhere a number in a path is a version or an id far more often than a pid
// (`/usr/lib/gcc/x86_64-linux-gnu/12/cc1`, `/var/lib/postgresql/15/main`), and inside a
// container the workload's own pids are small numbers that such names would match by chance.
// /proc has its own treatment (`@{pid}` in AppArmor rules).
std::vector<PathSpan> pid_name_spans(std::string_view path);

}  // namespace tailor
