// The seccomp user-notification backend of `tailor record` (--backend notify).
#pragma once

#include "events.h"

namespace tailor::tracer {

class NotifyBackend final : public Backend {
 public:
  // no_new_privs: set it before loading the filter (required without CAP_SYS_ADMIN).
  explicit NotifyBackend(bool no_new_privs) : no_new_privs_(no_new_privs) {}
  // The sink must not need syscall results (Recorder::set_results_observable(false)): there is
  // no exit stop. spec.filter, if set, must answer SECCOMP_RET_USER_NOTIF where it asks.
  // Throws NotifyUnavailable (notify.h) if this kernel or process cannot have a listener.
  int run(const LaunchSpec& spec, EventSink& sink) override;

 private:
  bool no_new_privs_;
};

}  // namespace tailor::tracer
