#!/usr/bin/env bash
# Fuzzes longer than CI does: every libFuzzer target (or the ones named) for a number of inputs
# each, not a number of seconds. CI (scripts/test.sh) gives each target 60 s; some findings need
# millions of inputs (fuzz_elf's "functions not sorted" came after 4.27 M). Run it by hand or
# from a nightly job:
#
#   bash scripts/fuzz-long.sh                      # every target, 10 M inputs each, one at a time
#   bash scripts/fuzz-long.sh -n 2000000 -j 2      # 2 M inputs each, two targets at once
#   bash scripts/fuzz-long.sh fuzz_elf             # one target
#
# Builds build-fuzz/ with clang first if it is not there (needs clang and libclang-rt-14-dev),
# writes the binary seeds (scripts/fuzz-seeds.sh), and runs each target on the same corpora as
# scripts/test.sh: the inputs earlier runs discovered (build-fuzz/fuzz-corpus/<target>/, which
# this run adds to), the hand-written seeds (fuzz/corpus/) and the generated ones. A crashing
# input lands in build-fuzz/fuzz-artifacts/<target>/; the log of each run is
# build-fuzz/<target>.long.log. Prints one line per target: inputs run, seconds, inputs per
# second, coverage, corpus size, and the result. Exits 1 if any target found something.
#
# Options: -n RUNS (inputs per target, default 10000000), -j JOBS (targets fuzzed at the same
# time, default 1; each uses one CPU), -t SECONDS (per-input timeout, default 10).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUNS=10000000
JOBS=1
TIMEOUT=10
while getopts "n:j:t:h" opt; do
  case "$opt" in
    n) RUNS="$OPTARG" ;;
    j) JOBS="$OPTARG" ;;
    t) TIMEOUT="$OPTARG" ;;
    *)
      sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
      exit 2
      ;;
  esac
done
shift $((OPTIND - 1))
for v in "$RUNS" "$JOBS" "$TIMEOUT"; do
  if ! [[ "$v" =~ ^[1-9][0-9]*$ ]]; then
    echo "fuzz-long: -n, -j and -t take a positive number, not '$v'" >&2
    exit 2
  fi
done

if [ ! -f build-fuzz/build.ninja ]; then
  launcher=()
  if command -v ccache > /dev/null; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  cmake -S . -B build-fuzz -G Ninja -DTAILOR_FUZZ=ON -DCMAKE_C_COMPILER=clang \
    -DCMAKE_CXX_COMPILER=clang++ "${launcher[@]}"
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in fuzz/fuzz_*.cpp; do targets+=("$(basename "$src" .cpp)"); done
fi
cmake --build build-fuzz --target "${targets[@]}"
bash scripts/fuzz-seeds.sh build-fuzz/seeds

# One target: runs it, then prints its line. libFuzzer's final stats give the inputs run and
# its speed; its last status line gives coverage and corpus size.
fuzz_one() {
  local name="$1" bin="build-fuzz/fuzz/$1"
  local seeds="fuzz/corpus/${name#fuzz_}" dict="fuzz/corpus/${name#fuzz_}.dict"
  local work="build-fuzz/fuzz-corpus/$name" artifacts="build-fuzz/fuzz-artifacts/$name/"
  local log="build-fuzz/$name.long.log"
  mkdir -p "$work" "$artifacts"
  local args=(-runs="$RUNS" -timeout="$TIMEOUT" -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix="$artifacts")
  [ -f "$dict" ] && args+=(-dict="$dict")
  local corpora=("$work")
  [ -d "$seeds" ] && corpora+=("$seeds")
  [ -d "build-fuzz/seeds/${name#fuzz_}" ] && corpora+=("build-fuzz/seeds/${name#fuzz_}")
  local start result=ok
  start=$(date +%s)
  # fuzz/lsan.supp: leaks inside libseccomp itself (see the file), not in tailor.
  if ! LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp:${LSAN_OPTIONS:-}" \
    "$bin" "${args[@]}" "${corpora[@]}" > "$log" 2>&1; then
    result="FOUND: $(grep -m1 -oE '(fuzz_[a-z_]+: .*|ERROR: .*|SUMMARY: .*)' "$log" || echo "see $log")"
  fi
  local seconds=$(($(date +%s) - start))
  local runs speed cov corp
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n1 | cut -d' ' -f2)
  corp=$(grep -oE 'corp: [0-9]+' "$log" | tail -n1 | cut -d' ' -f2)
  printf '%-20s %12s %8s %10s %7s %7s  %s\n' "$name" "${runs:--}" "$seconds" "${speed:--}" \
    "${cov:--}" "${corp:--}" "$result"
  [ "$result" = ok ] || echo "  reproduce: $bin $artifacts<file> (log: $log)"
  [ "$result" = ok ]
}

printf '%-20s %12s %8s %10s %7s %7s  %s\n' target inputs seconds inputs/s cov corpus result
failed=0
running=0
for name in "${targets[@]}"; do
  fuzz_one "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
exit "$failed"
