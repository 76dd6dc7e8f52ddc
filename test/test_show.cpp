// `tailor show`: the readable summary of a profile, as a person reads it in a terminal.
#include <catch2/catch.hpp>
#include <string>

#include "support.h"
#include "tailor/emitters.h"
#include "tailor/profile_json.h"

using tailor::test::run;
using tailor::test::tailor_bin;
using tailor::test::TempDir;

TEST_CASE("show: durations are written for people", "[show]") {
  const std::pair<double, const char*> cases[] = {
      {0, "0.0 ms"},         {0.0004, "0.4 ms"},  {0.0385197, "39 ms"}, {0.9994, "999 ms"},
      {1, "1.00 s"},         {2.3149, "2.31 s"},  {59.99, "59.99 s"},   {60, "1 min 00 s"},
      {119.7, "2 min 00 s"}, {185, "3 min 05 s"}, {7800, "2 h 10 min"}, {-1, "?"},
  };
  for (const auto& [seconds, text] : cases) {
    INFO(seconds);
    CHECK(tailor::format_duration(seconds) == text);
  }
}

TEST_CASE("show: the summary's wall time is formatted", "[show]") {
  TempDir t;
  tailor::Profile p;
  p.resources.wall_seconds = 0.0385197;
  p.resources.peak_processes = 1;
  tailor::write_file_atomic(t / "p.json", tailor::to_json(p));
  const auto r = run({tailor_bin(), "show", t / "p.json"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("wall 39 ms\n") != std::string::npos);
  CHECK(r.out.find("0.0385") == std::string::npos);
}

TEST_CASE("show: the containers a profile was recorded in", "[show]") {
  tailor::Profile p;
  p.containers.insert({"docker", "registry/web:1.2", {"--port", "8080"}});
  p.containers.insert({"runc", "", {}});
  const std::string s = tailor::emit_summary(p, 20);
  CHECK(s.find("container: docker registry/web:1.2 --port 8080\n") != std::string::npos);
  CHECK(s.find("container: runc (bundle)\n") != std::string::npos);
}
