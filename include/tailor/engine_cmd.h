// Reading a container engine's command line: `docker run …`, `podman run …`, `runc run …`,
// `crun run …`, as a user would type it to start the app. `tailor record -- ENGINE run …` uses it
// to record the container rather than the engine, and to know the image and command the profile
// came from. Pure: no process is run here.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace tailor {

// One option of the run command as written: `--cap-add NET_ADMIN`, `--cap-add=NET_ADMIN` and
// `-v/a:/b` give name "--cap-add" / "-v" and the value; a boolean (`--rm`, `-it`) has none.
struct EngineOption {
  std::string name;
  std::optional<std::string> value;
  std::size_t at = 0;  // argv index of the option word
};

struct EngineRun {
  std::string engine;                  // "docker", "podman", "runc" or "crun"
  std::vector<std::string> prefix;     // argv before the `run` word: the engine and its global
                                       // options, for the engine calls tailor makes itself
  std::size_t run_at = 0;              // argv index of the `run` word
  std::string image;                   // docker/podman: as the user named it
  std::vector<std::string> command;    // docker/podman: the arguments after the image
  std::string container_id;            // runc/crun: the container id argument
  std::optional<std::string> cidfile;  // docker/podman: --cidfile as given
  bool detach = false;                 // -d / --detach
  bool pid_host = false;               // --pid host: no pid namespace of its own
  std::vector<EngineOption> options;   // the run command's options, in order
};

// The engine run command in argv, or nullopt when argv is something else (any other program or
// engine subcommand). argv[0] is matched by its base name.
std::optional<EngineRun> parse_engine_run(const std::vector<std::string>& argv);

// argv with `--cidfile PATH` added right after the `run` word.
std::vector<std::string> with_cidfile(const std::vector<std::string>& argv, const EngineRun& r,
                                      const std::string& path);

}  // namespace tailor
