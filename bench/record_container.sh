#!/bin/bash
# record_container: how much longer a container run takes under `tailor record -- ENGINE run …`
# than the same `ENGINE run …` alone, for Docker and podman (issue 12). See bench/README.md.
#
#   bench/record_container.sh [--reps N] [--engines "docker podman"] [--syscalls N] [--forks N]
#                             [--build DIR] [--markdown FILE]
#
# As root, from the source tree, after `cmake --build build --target tailor bench`. Everything
# runs in scripts/containers.sh's private world (ct_private_ns: private mount and network
# namespaces, a dockerd of its own, podman storage in a temp dir), so nothing on the host changes.
# Rows: start-up (`true` in the container) and two workloads that take about a second natively
# inside the container; each cell is the median wall time of --reps runs of the whole engine
# command, native and recorded runs interleaved so that load drift hits both alike.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
reps=5 engines="docker podman" syscalls=500000 forks=300 build="$here/build" markdown=""
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --engines) engines="$2"; shift 2 ;;
    --syscalls) syscalls="$2"; shift 2 ;;
    --forks) forks="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --markdown) markdown="$2"; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "record_container: unknown option $1" >&2; exit 2 ;;
  esac
done
. "$here/scripts/containers.sh"

# Outside the private world: set it up and run this script again inside it.
if [ -z "${TAILOR_BENCH_INSIDE:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "record_container: run as root" >&2; exit 2; }
  for f in "$build/cli/tailor" "$build/bench/bench_getppid_loop"; do
    [ -x "$f" ] || { echo "record_container: $f is missing (cmake --build build --target tailor bench)" >&2; exit 2; }
  done
  W=$(mktemp -d /tmp/tailor-bench-ct-XXXXXX)
  trap 'rm -rf "$W"' EXIT
  ct_rootfs "$W/rootfs" && ct_add_program "$W/rootfs" "$build/bench/bench_getppid_loop" /bin/getppid_loop ||
    exit 1
  TAILOR_BENCH_INSIDE="$W" CT_NS_TIMEOUT=7200 ct_private_ns bash "$0" --reps "$reps" \
    --engines "$engines" --syscalls "$syscalls" --forks "$forks" --build "$build" \
    --markdown "$markdown"
  exit $?
fi

W="$TAILOR_BENCH_INSIDE" TAILOR="$build/cli/tailor" IMG=tailor-bench-ct
declare -a names cmds
names+=("start-up: true") cmds+=("true")
# && keeps sh from exec'ing the loop as the container's pid 1, whose parent pid is 0.
names+=("getppid x$syscalls") cmds+=("/bin/getppid_loop $syscalls && true")
names+=("fork+exec x$forks sh -c true") cmds+=("sh -c 'i=0; while [ \$i -lt $forks ]; do sh -c true; i=\$((i+1)); done'")

# Wall seconds of one run of "$@" (stdout/stderr to $W/last.err), or FAILED.
timed() {
  local t0 t1
  t0=$EPOCHREALTIME
  if ! timeout -k 5 600 "$@" >/dev/null 2>"$W/last.err"; then
    echo "FAILED: $* : $(head -c 300 "$W/last.err" | tr '\n' ' ')" >&2
    echo FAILED
    return
  fi
  t1=$EPOCHREALTIME
  awk "BEGIN { printf \"%.3f\", $t1 - $t0 }"
}
median() { printf '%s\n' "$@" | grep -v FAILED | sort -n | awk '{ v[NR] = $1 } END {
  if (NR == 0) print "FAILED"; else if (NR % 2) print v[(NR + 1) / 2];
  else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

out=""
emit() { out+="$1"$'\n'; echo "$1"; }
emit "| engine | workload | native | tailor record | ratio | difference |"
emit "|---|---|---|---|---|---|"
for engine in $engines; do
  case "$engine" in
    docker)
      ct_dockerd_start "$W/docker" || { echo "record_container: dockerd did not start" >&2; continue; } ;;
    podman) ct_podman_env "$W/podman" crun || continue ;;
  esac
  tar -C "$W/rootfs" -cf "$W/r.tar" . && $engine import "$W/r.tar" "$IMG" >/dev/null 2>&1 || exit 1
  for i in "${!names[@]}"; do
    run=($engine run --rm --network none "$IMG" sh -c "${cmds[$i]}")
    timed "${run[@]}" >/dev/null  # warm-up, untimed
    nat=() rec=()
    for r in $(seq "$reps"); do
      nat+=("$(timed "${run[@]}")")
      rec+=("$(timed "$TAILOR" record -q -o "$W/p.json" -- "${run[@]}")")
    done
    n=$(median "${nat[@]}") t=$(median "${rec[@]}")
    if [ "$n" = FAILED ] || [ "$t" = FAILED ]; then
      emit "| $engine | ${names[$i]} | $n | $t | - | - |"
    else
      emit "$(awk -v e="$engine" -v w="${names[$i]}" -v n="$n" -v t="$t" 'BEGIN {
        printf "| %s | %s | %.3f s | %.3f s | %.2fx | %+.3f s |", e, w, n, t, t / n, t - n }')"
    fi
  done
  case "$engine" in
    docker) ct_dockerd_stop "$W/docker" ;;
    podman) podman rm -af -t 0 >/dev/null 2>&1; podman system reset -f >/dev/null 2>&1 ;;
  esac
done
emit ""
emit "median of $reps runs each, wall seconds of the whole engine command; load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "$markdown" ] && printf '%s' "$out" >"$markdown"
exit 0
