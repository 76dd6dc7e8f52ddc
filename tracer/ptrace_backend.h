// The ptrace backend: follows every task of the workload and reports syscalls to an EventSink.
#pragma once

#include "events.h"
#include "launch.h"

namespace tailor::tracer {

class PtraceBackend final : public Backend {
 public:
  // use_seccomp: stop only at SECCOMP_RET_TRACE stops (one stop per syscall) instead of
  // PTRACE_SYSCALL entry and exit stops (two). Exits are then requested only where the sink
  // asks for them.
  explicit PtraceBackend(bool use_seccomp) : use_seccomp_(use_seccomp) {}
  int run(const LaunchSpec& spec, EventSink& sink) override;

 private:
  bool use_seccomp_;
};

}  // namespace tailor::tracer
