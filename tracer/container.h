// Talking to a container engine for `tailor record`: finding a running container to attach to,
// and asking how it ended. The engine's own CLI answers (docker/podman inspect), as the user
// would ask it, with the same global options (-H, --root, ...) the user gave.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tailor::tracer {

// Runs argv (looked up in PATH) with stdin and stderr on /dev/null; its stdout when it exits 0.
std::optional<std::string> command_output(const std::vector<std::string>& argv);

// The pid namespace (its inode number) process `pid` is in; 0 if it cannot be read.
std::uint32_t pid_namespace_of(pid_t pid);

struct RunningContainer {
  std::vector<std::string> engine;  // the engine command prefix that knows it ("docker", ...)
  std::string engine_name;          // "docker" or "podman"
  std::string id, image;
  pid_t pid = 0;            // its first process, as the host sees it
  std::uint32_t pidns = 0;  // its pid namespace
};

// The running container NAME (or id). `engine` empty: docker, then podman. Throws tailor::Error
// (one line) when no engine knows it, it is not running, or it shares the host's pid namespace.
RunningContainer find_running_container(const std::vector<std::string>& engine,
                                        const std::string& name);

// How the container ended: its exit code, or nullopt while it runs (or cannot be asked).
std::optional<int> container_exit_code(const RunningContainer& c);

}  // namespace tailor::tracer
