// The eBPF backend of `tailor record` (--backend bpf): watches without stopping the workload.
#pragma once

#include <cstddef>
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

 private:
  std::size_t ring_bytes_;
  std::vector<std::string> losses_;
};

}  // namespace tailor::tracer
