#include "container.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "launch.h"
#include "tailor/error.h"

extern char** environ;

namespace tailor::tracer {

std::optional<std::string> command_output(const std::vector<std::string>& argv) {
  if (argv.empty()) return std::nullopt;
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return std::nullopt;
  Fd rd(p[0]), wr(p[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, wr.get(), STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  wr.reset();
  if (rc != 0) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return out;
}

std::uint32_t pid_namespace_of(pid_t pid) {
  struct stat st {};
  const std::string p = "/proc/" + std::to_string(pid) + "/ns/pid";
  if (::stat(p.c_str(), &st) != 0) return 0;
  return static_cast<std::uint32_t>(st.st_ino);
}

RunningContainer find_running_container(const std::vector<std::string>& engine,
                                        const std::string& name) {
  std::vector<std::vector<std::string>> engines;
  if (engine.empty())
    engines = {{"docker"}, {"podman"}};
  else
    engines = {engine};
  for (const auto& e : engines) {
    const std::string base = e[0].substr(e[0].rfind('/') + 1);
    // Docker names the image in .Config.Image, podman in .ImageName.
    const std::string image = base == "podman" ? "{{.ImageName}}" : "{{.Config.Image}}";
    auto argv = e;
    argv.insert(argv.end(), {"inspect", "--type", "container", "-f",
                             "{{.Id}} {{.State.Pid}} {{.State.Running}} " + image, name});
    auto out = command_output(argv);
    if (!out) continue;
    std::istringstream in(*out);
    RunningContainer c;
    std::string running;
    in >> c.id >> c.pid >> running >> c.image;
    if (c.id.empty()) continue;
    c.engine = e;
    c.engine_name = base;
    if (running != "true" || c.pid <= 0)
      throw Error("--container " + name + ": the container is not running (" + base +
                      " inspect); start it, or record it from the start with `tailor record -- " +
                      base + " run ...`",
                  kExitUsage);
    c.pidns = pid_namespace_of(c.pid);
    if (c.pidns == 0)
      throw Error("--container " + name + ": cannot read the pid namespace of its process " +
                      std::to_string(c.pid),
                  kExitTraceFailed);
    if (c.pidns == pid_namespace_of(::getpid()))
      throw Error("--container " + name +
                      ": it shares the host's pid namespace (--pid host), so its processes "
                      "cannot be told from the host's",
                  kExitUsage);
    return c;
  }
  throw Error("--container " + name + ": no such container (" +
                  (engine.empty() ? std::string("asked docker and podman") : "asked " + engine[0]) +
                  ")",
              kExitUsage);
}

std::optional<int> container_exit_code(const RunningContainer& c) {
  auto argv = c.engine;
  argv.insert(argv.end(), {"inspect", "--type", "container", "-f",
                           "{{.State.Running}} {{.State.ExitCode}}", c.id});
  auto out = command_output(argv);
  if (!out) return std::nullopt;
  std::istringstream in(*out);
  std::string running;
  int code = 0;
  if (!(in >> running >> code) || running == "true") return std::nullopt;
  return code;
}

}  // namespace tailor::tracer
