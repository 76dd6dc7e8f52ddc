#!/usr/bin/env bash
# The whole test suite, exactly as README "Run the tests" and .ci/run invoke it:
#
#   bash scripts/test.sh
#
# 1. installs the Debian packages it needs (skipped when they are all installed already),
# 2. builds with gcc and -Werror into build/ and runs every test,
# 3. builds with AddressSanitizer + UBSan into build-asan/ and runs every test again,
# 4. builds with clang into build-fuzz/ (all but the tests, so clang's warnings count too) and
#    runs each libFuzzer target for a bounded time,
# 5. checks that the C++ sources are clang-formatted.
#
# Run it from anywhere, as root: the tests record root-only behaviour (binding port 80, chown to
# another user, running a workload as another user with setpriv). Any failure stops the script
# with a non-zero status.
#
# Knobs (environment): JOBS (parallel build/test jobs, default: number of CPUs),
# FUZZ_SECONDS (per fuzz target, default 60), SKIP_APT=1 (never call apt-get).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

JOBS="${JOBS:-$(nproc)}"
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"

# Build tools, the libraries tailor links, and what the tests run: strace (the benchmark and
# tests compare against it), python3 and sqlite3 (real programs the tests record), util-linux
# (setpriv, taskset), clang + its runtime (libFuzzer, not pulled in by --no-install-recommends)
# and clang-format (the format check).
PACKAGES=(
  cmake ninja-build g++ make pkg-config gcc-multilib
  libseccomp-dev libelf-dev libcapstone-dev nlohmann-json3-dev libcli11-dev catch2 libcap-dev libyaml-cpp-dev
  strace python3 sqlite3 util-linux
  clang libclang-rt-14-dev clang-format
  # the eBPF recorder: clang -target bpf, bpftool (vmlinux.h, skeletons), libbpf
  libbpf-dev bpftool llvm
  # generate: AppArmor profiles are compiled by the real parser, YAML checked by a real parser,
  # and seccomp profiles proven in real containers (crun, runc, podman; see environment.md)
  apparmor python3-yaml
  # report: the HTML page is checked by a strict HTML5 parser and rendered by headless Chromium
  python3-html5lib chromium
  crun runc podman busybox-static uidmap fuse-overlayfs slirp4netns conmon catatonit
  containernetworking-plugins iptables seccomp jq
  # printed docker run lines are run against a private Docker engine (skipped with a warning
  # when dockerd cannot start); iproute2 brings up loopback in the tests' network namespaces
  docker.io iproute2
  # tailor harden: hardened Compose projects run with Debian's docker-compose
  docker-compose
  # tailor analyze: a Go sample (x86_64 and arm64), and lld to link an aarch64 shared object
  # from clang's cross-compiled code (no aarch64 gcc or libraries are needed)
  golang-go lld
  # install: the .deb (dpkg-shlibdeps computes its Depends) installed into a fresh debootstrap
  # root, man pages checked with man and groff, zsh completion checked by zsh, --version's git
  # revision (test [version])
  dpkg-dev debootstrap man-db groff-base zsh git
)

section() {
  printf '\n\033[1m==== %s ====\033[0m\n' "$*"
  SECTION="$*"
}
SECTION="start"
START=$(date +%s)
trap 'rc=$?; if [ $rc -ne 0 ]; then printf "\n\033[1;31mFAILED in section: %s (exit %d)\033[0m\n" "$SECTION" "$rc"; fi' EXIT

elapsed() { echo "$(($(date +%s) - START))s"; }

# ctest shows a passing test's output only in its log; a test that skips part of itself (no
# i386 execution here, no container engine, not root) says why in a Catch2 WARN. Print those
# lines, so that nothing is skipped without it showing in the CI log.
warnings() {
  local log="$1/Testing/Temporary/LastTest.log"
  [ -f "$log" ] || return 0
  echo "--- skips and notes from the tests ($1):"
  # Catch2 prints "FILE:LINE: warning:" (wrapped before "warning:" when FILE is long), then the
  # message indented, up to a blank line; each message becomes one line here.
  awk '/(^|: )warning:$/ { msg = ""; on = 1; next }
       on && /^$/ { print "  " msg; on = 0; next }
       on { sub(/^ +/, ""); msg = msg (msg == "" ? "" : " ") $0 }' "$log" | sort | uniq -c || true
}

# ---------------------------------------------------------------------------------------------
section "1/5 dependencies"
missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "all ${#PACKAGES[@]} packages installed"
elif [ "${SKIP_APT:-0}" = 1 ]; then
  echo "missing packages: ${missing[*]} (SKIP_APT=1: not installing)" >&2
  exit 1
else
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/test.sh: installing packages needs root" >&2
    exit 1
  fi
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PACKAGES[@]}"
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "warning: not root: tests that need root (port 80, chown, setpriv) will be skipped" >&2
fi

# ---------------------------------------------------------------------------------------------
section "2/5 gcc build (-Werror) and tests: build/"
cmake -S . -B build -G Ninja -DTAILOR_WERROR=ON -DTAILOR_SANITIZE=OFF -DTAILOR_FUZZ=OFF
cmake --build build -j "$JOBS"
ctest --test-dir build --output-on-failure -j "$JOBS"
warnings build
echo "gcc build and tests passed ($(elapsed))"

# ---------------------------------------------------------------------------------------------
section "3/5 AddressSanitizer + UBSan build and tests: build-asan/"
# The sanitized tailor traces workloads that are not sanitized (samples opt out, python3 and
# sqlite3 are Debian's): only tailor's own memory and UB are checked, which is the point.
# (gcc 12 with -fsanitize=address misreports -Wmaybe-uninitialized inside libstdc++'s <regex>;
# CMakeLists.txt turns that one warning off for sanitizer builds, everything else stays -Werror.)
# -O1 -g1 (with assertions on): the sanitizers' recommended level, and less than half the compile
# time of -O2 -g; the reports keep file and line.
cmake -S . -B build-asan -G Ninja -DTAILOR_WERROR=ON -DTAILOR_SANITIZE=ON -DTAILOR_FUZZ=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1"
cmake --build build-asan -j "$JOBS"
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}" \
  ctest --test-dir build-asan --output-on-failure -j "$JOBS"
warnings build-asan
echo "sanitizer build and tests passed ($(elapsed))"

# ---------------------------------------------------------------------------------------------
section "4/5 clang build and fuzzing: build-fuzz/"
# Everything but the test suite (already built twice above; its Catch2 code is the slowest part
# to compile), so that clang's warnings on tailor itself, the samples and the benchmarks count.
cmake -S . -B build-fuzz -G Ninja -DTAILOR_WERROR=ON -DTAILOR_FUZZ=ON -DTAILOR_TESTS=OFF \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
cmake --build build-fuzz -j "$JOBS"
shopt -s nullglob
# Binary seeds are generated, not checked in: build-fuzz/seeds/<target without fuzz_>/.
bash scripts/fuzz-seeds.sh build-fuzz/seeds
targets=(build-fuzz/fuzz/fuzz_*)
if [ ${#targets[@]} -eq 0 ]; then
  echo "no fuzz targets were built" >&2
  exit 1
fi
for bin in "${targets[@]}"; do
  name="$(basename "$bin")"
  seeds="fuzz/corpus/${name#fuzz_}"
  dict="fuzz/corpus/${name#fuzz_}.dict"
  # New inputs go to a corpus inside the build tree: the checked-in seeds stay hand-written.
  work="build-fuzz/fuzz-corpus/$name"
  artifacts="build-fuzz/fuzz-artifacts/$name/"
  mkdir -p "$work" "$artifacts"
  args=(-max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$artifacts")
  [ -f "$dict" ] && args+=(-dict="$dict")
  corpora=("$work")
  [ -d "$seeds" ] && corpora+=("$seeds")
  [ -d "build-fuzz/seeds/${name#fuzz_}" ] && corpora+=("build-fuzz/seeds/${name#fuzz_}")
  echo "--- $name for ${FUZZ_SECONDS}s"
  # fuzz/lsan.supp: leaks inside libseccomp itself (see the file), not in tailor.
  if ! LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp:${LSAN_OPTIONS:-}" \
    "$bin" "${args[@]}" "${corpora[@]}" > "build-fuzz/$name.log" 2>&1; then
    tail -n 60 "build-fuzz/$name.log"
    echo "$name failed; the input is in $artifacts; reproduce with: $bin $artifacts<file>" >&2
    exit 1
  fi
  grep -E '^stat::number_of_executed_units|^Done' "build-fuzz/$name.log" || true
done
echo "fuzzing passed ($(elapsed))"

# ---------------------------------------------------------------------------------------------
section "5/5 clang-format"
# Every C++ source we write; samples/*.c are test data written as plain C and are left alone.
dirs=()
for d in include core tracer analyzer emitters cli test fuzz bench; do
  [ -d "$d" ] && dirs+=("$d")
done
mapfile -t sources < <(find "${dirs[@]}" -type f \( -name '*.h' -o -name '*.cpp' \) | sort)
clang-format --dry-run --Werror "${sources[@]}"
echo "${#sources[@]} files formatted"

section "all passed in $(elapsed)"
