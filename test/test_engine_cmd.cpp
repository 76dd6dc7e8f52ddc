// parse_engine_run: which words of an engine command line are the image and its command.
#include <catch2/catch.hpp>

#include "tailor/engine_cmd.h"

using tailor::parse_engine_run;

namespace {

struct Case {
  std::vector<std::string> argv;
  std::string engine, image;
  std::vector<std::string> command;
  bool detach = false, pid_host = false;
  std::vector<std::string> prefix;
};

}  // namespace

TEST_CASE("engine run command lines: image, command, options", "[engine_cmd]") {
  const std::vector<Case> cases = {
      {{"docker", "run", "alpine"}, "docker", "alpine", {}, false, false, {"docker"}},
      {{"/usr/bin/docker", "run", "--rm", "-it", "alpine:3", "sh", "-c", "ls -l"},
       "docker",
       "alpine:3",
       {"sh", "-c", "ls -l"},
       false,
       false,
       {"/usr/bin/docker"}},
      {{"docker", "-H", "unix:///x.sock", "run", "-v", "/a:/b", "--name=web", "-e", "X=1", "img",
        "--flag"},
       "docker",
       "img",
       {"--flag"},
       false,
       false,
       {"docker", "-H", "unix:///x.sock"}},
      {{"docker", "container", "run", "-d", "--network", "none", "img"},
       "docker",
       "img",
       {},
       true,
       false,
       {"docker"}},
      {{"docker", "run", "-dit", "--pid", "host", "img", "top"},
       "docker",
       "img",
       {"top"},
       true,
       true,
       {"docker"}},
      {{"docker", "run", "--detach=false", "--pid=host", "-eA=1", "img"},
       "docker",
       "img",
       {},
       false,
       true,
       {"docker"}},
      {{"podman", "--root", "/s", "--runroot", "/r", "run", "--rm", "--init", "-p", "80:80", "img",
        "/bin/app", "x"},
       "podman",
       "img",
       {"/bin/app", "x"},
       false,
       false,
       {"podman", "--root", "/s", "--runroot", "/r"}},
      {{"podman", "run", "--rm", "--", "img", "-v"},
       "podman",
       "img",
       {"-v"},
       false,
       false,
       {"podman"}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.argv);
    auto r = parse_engine_run(c.argv);
    REQUIRE(r);
    CHECK(r->engine == c.engine);
    CHECK(r->image == c.image);
    CHECK(r->command == c.command);
    CHECK(r->detach == c.detach);
    CHECK(r->pid_host == c.pid_host);
    CHECK(r->prefix == c.prefix);
  }
}

TEST_CASE("engine run command lines: runc and crun bundles, cidfile", "[engine_cmd]") {
  auto r = parse_engine_run({"runc", "--root", "/run/x", "run", "--bundle", "/b", "-d", "ctr1"});
  REQUIRE(r);
  CHECK(r->engine == "runc");
  CHECK(r->container_id == "ctr1");
  CHECK(r->image.empty());
  CHECK(r->detach);
  r = parse_engine_run({"crun", "run", "-b", "/b", "c2"});
  REQUIRE(r);
  CHECK(r->container_id == "c2");

  r = parse_engine_run({"docker", "run", "--cidfile", "/tmp/c", "img"});
  REQUIRE(r);
  CHECK(r->cidfile == "/tmp/c");
  const std::vector<std::string> argv = {"docker", "-D", "run", "--rm", "img", "x"};
  r = parse_engine_run(argv);
  REQUIRE(r);
  CHECK(tailor::with_cidfile(argv, *r, "/t/cid") ==
        std::vector<std::string>{"docker", "-D", "run", "--cidfile", "/t/cid", "--rm", "img", "x"});
}

TEST_CASE("engine command lines that are not a run", "[engine_cmd]") {
  const std::vector<std::vector<std::string>> other = {
      {},
      {"ls", "run", "img"},
      {"docker", "ps"},
      {"docker", "build", "."},
      {"podman", "exec", "c", "run"},
      {"docker", "run"},          // no image: the engine says so
      {"docker", "run", "--rm"},  // idem
      {"dockerd", "run", "x"},
  };
  for (const auto& argv : other) {
    CAPTURE(argv);
    CHECK_FALSE(parse_engine_run(argv));
  }
}
