// What only the seccomp-notify backend can do, and how it steps aside where it cannot serve.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support.h"

using tailor::test::has_syscall;
using tailor::test::have;
using tailor::test::run;
using tailor::test::sample;
using tailor::test::tailor_bin;
using tailor::test::TempDir;

TEST_CASE("notify: records a workload that is itself traced by strace", "[notify]") {
  if (::geteuid() != 0 || !have("strace")) {
    WARN("skipped: needs root and strace");
    return;
  }
  TempDir tmp;
  const std::string out = tmp / "p.json", trace = tmp / "strace.txt";
  auto r = run({tailor_bin(), "record", "-q", "--backend", "notify", "-o", out, "--", "strace",
                "-f", "-o", trace, sample("fileio"), tmp.path()},
               120);
  INFO("stderr: " << r.err);
  REQUIRE(r.status == 0);
  auto p = tailor::load_profile(out);
  // strace's own tracing, and the traced program's syscalls, both recorded.
  CHECK(has_syscall(p, "x86_64", "ptrace"));
  CHECK(has_syscall(p, "x86_64", "mkdirat"));
  // strace really traced it: its log shows the sample's calls.
  CHECK(tailor::test::read_text(trace).find("mkdirat(") != std::string::npos);

  // ptrace cannot do the same: strace may not attach to a task tailor already traces.
  auto pt = run({tailor_bin(), "record", "-q", "--backend", "ptrace", "-o", tmp / "q.json", "--",
                 "strace", "-f", "-o", "/dev/null", "true"},
                120);
  CHECK(pt.status != 0);
}

TEST_CASE("notify: falls back to ptrace when a listener is already installed", "[notify]") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root");
    return;
  }
  TempDir tmp;
  // The outer tailor holds the listener of the process tree; the inner one cannot have its own
  // (EBUSY) and must record with ptrace instead, saying so in one line. With ptrace it must not
  // use a SECCOMP_RET_TRACE filter either: the outer listener's "continue" answers would
  // override it and the recording would be empty.
  const std::string inner_backend = GENERATE(as<std::string>{}, "notify", "ptrace");
  INFO("inner backend " << inner_backend);
  auto r = run({tailor_bin(), "record", "-q", "--backend", "notify", "-o", tmp / "outer.json", "--",
                tailor_bin(), "record", "--backend", inner_backend, "-o", tmp / "inner.json", "--",
                sample("fileio"), tmp.path()},
               120);
  INFO("stderr: " << r.err);
  REQUIRE(r.status == 0);
  CHECK(r.err.find("installed above tailor") != std::string::npos);
  CHECK(r.err.find(inner_backend == "notify"
                       ? "recording with ptrace instead"
                       : "tracing with plain syscall stops") != std::string::npos);
  auto inner = tailor::load_profile(tmp / "inner.json");
  CHECK(has_syscall(inner, "x86_64", "mkdirat"));
  auto outer = tailor::load_profile(tmp / "outer.json");
  CHECK(has_syscall(outer, "x86_64", "ptrace"));  // the inner tailor traced with ptrace
}
