// The eBPF backend of `tailor record` (--backend bpf): watches without stopping the workload.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "events.h"
#include "tailor/error.h"

namespace tailor::tracer {

// This build, kernel or process cannot run the eBPF recorder; nothing of the workload has run.
class BpfUnavailable : public Error {
 public:
  using Error::Error;
};

// A container seen starting while recording with ContainerWatch::Mode::kNewPidNs: the pid
// namespace its first process exec'd in, that process, and the last path components of its
// cgroups (v2, and v1's cpu controller; "" if not there), which engines name after the
// container's id.
struct ContainerSeen {
  std::uint32_t ns = 0;  // the kernel's token for one pid namespace life (tl_hdr.ns)
  pid_t pid = 0;
  std::array<std::string, 2> cgroups;
};

// Which tasks a recording covers when it records a container rather than a command.
struct ContainerWatch {
  enum class Mode {
    kNone,         // the command and its descendants
    kDescendants,  // descendants of the command from their exec in a new pid namespace on: the
                   // container an engine started as a child (podman, crun, runc)
    kNewPidNs,     // any task from its exec in a new pid namespace on, kept where is_ours says
                   // so: the container a daemon started (Docker)
    kAttach,       // every task of pid namespace attach_ns from its next syscall on; the command
                   // only waits (`docker wait ID`), unrecorded, and its stdout is dropped
  };
  Mode mode = Mode::kNone;
  std::uint32_t attach_ns = 0;
  // kNewPidNs: whether the container seen is the one recorded; nullopt while it cannot tell yet
  // (it is asked again as records come and once more at the end, when nullopt means no).
  std::function<std::optional<bool>(const ContainerSeen&)> is_ours;
  // Stop the command (SIGTERM) after this long; 0: no limit. timed_out() tells afterwards.
  std::chrono::milliseconds duration{0};
};

class BpfBackend final : public Backend {
 public:
  // ring_bytes: the ring buffer's size (rounded up to a power of two pages); the default holds
  // bursts of tens of thousands of records while the drain thread is descheduled.
  explicit BpfBackend(std::size_t ring_bytes = std::size_t{16} << 20) : ring_bytes_(ring_bytes) {}
  // The sink gets every event with its Captured data (set_captured) and the kernel's counts
  // (on_counted) after the workload has ended. Throws BpfUnavailable before starting anything if
  // the programs cannot be loaded or attached here.
  int run(const LaunchSpec& spec, EventSink& sink) override;
  // What the recording lost (records the ring buffer had no room for, counts the map had no room
  // for, paths cut short), one line each; empty when nothing was. Valid after run().
  const std::vector<std::string>& losses() const { return losses_; }
  // Empty when this build and this process can use the backend; else why not, in a few words.
  static std::string unavailable_reason();

  void set_container(ContainerWatch w) { watch_ = std::move(w); }
  // (Containers) Whether the container's first process was seen, and whether the recording
  // ended because ContainerWatch::duration did. Valid after run().
  bool container_seen() const { return container_seen_; }
  bool timed_out() const { return timed_out_; }

 private:
  std::size_t ring_bytes_;
  std::vector<std::string> losses_;
  ContainerWatch watch_;
  bool container_seen_ = false, timed_out_ = false;
};

}  // namespace tailor::tracer
