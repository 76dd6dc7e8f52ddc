// Golden files: expected emitter outputs under test/golden/, compared as parsed JSON for .json
// and line by line otherwise. UPDATE_GOLDEN=1 rewrites them from the current output (review the
// git diff before committing).
#pragma once

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace tailor::test {

inline std::string golden_path(const std::string& name) {
  return std::string(TAILOR_SOURCE_DIR) + "/test/golden/" + name;
}

inline void check_golden(const std::string& name, const std::string& actual) {
  const std::string path = golden_path(name);
  const char* update = std::getenv("UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << actual;
    WARN("updated golden file " << path);
    return;
  }
  std::ifstream in(path, std::ios::binary);
  INFO("golden file " << path << " (run with UPDATE_GOLDEN=1 to create or update it)");
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string expected = ss.str();
  if (name.size() > 5 && name.substr(name.size() - 5) == ".json") {
    CHECK(nlohmann::json::parse(actual) == nlohmann::json::parse(expected));
  } else {
    CHECK(actual == expected);
  }
}

}  // namespace tailor::test
