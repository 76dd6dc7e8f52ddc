#!/usr/bin/env bash
# Measures the syscalls container runtimes make *under the container's seccomp filter*, after
# installing it and before exec'ing the app: the "runtime baseline" every generated profile must
# allow (emitters/runtime_baseline.cpp holds the committed lists; test/test_runtime_baseline.cpp
# re-measures with this script and fails when a runtime needs more).
#
#   bash scripts/measure-runtime-baseline.sh [-n RUNS] [--verify] [--leave-one-out] [RUNTIME...]
#
# RUNTIME: docker runc crun podman (default: each one installed). Prints one line per
# (runtime, no-new-privileges) pair, names sorted:
#   docker nnp close execve ...
#   docker no-nnp capget capset ...
# and lines starting with '#' (versions, method). Exit 0 on success, 1 if a measurement failed,
# 2 usage / environment (not root, seccomp logging unavailable), 3 if --verify found a problem.
#
# Method. The container (static busybox rootfs, `true`) gets a filter whose defaultAction is
# SCMP_ACT_LOG and that allows nothing explicitly: every syscall made under it is allowed and
# logged by the kernel (`audit: type=1326 ... pid=P comm="C" ... syscall=N ... code=0x7ffc0000`
# in dmesg; needs "log" in /proc/sys/kernel/seccomp/actions_logged). The kernel attributes each
# line to the process (pid = thread group, so runc's Go threads count too) and its comm. The app's
# process is the runtime's init process after execve, with comm "true"; every line of that pid
# with another comm was made by the runtime before the exec (its execve included). Lines between
# two /dev/kmsg markers per run; printk rate limiting (kernel.printk_ratelimit) is switched off
# while measuring, because the kernel prints these lines through printk_ratelimit() and would
# otherwise drop all but 10 of them, and restored afterwards.
#
# Variations unioned per (runtime, nnp): user root and 65534:65534 (runtimes switch user under
# the filter when nnp is off, and `tailor generate --flags` may emit --user); for docker, the time
# between `runc create` and `runc start` (runc init waits under the filter meanwhile).
#  docker : runc create + start, as Docker's containerd shim drives it (no Docker engine here)
#  runc   : runc run
#  crun   : crun run (private mount namespace without the cgroup v2 mount: hybrid cgroups here)
#  podman : podman run with Debian's default runtime crun, and with runc, unioned (a profile
#           cannot know which runtime a podman installation uses)
#
# --verify: after measuring, for each (runtime, nnp) run `true` under defaultAction SCMP_ACT_ERRNO
# allowing exactly app needs (measured the same way, from the app's own log lines) + baseline +
# exit, exit_group, rt_sigreturn, restart_syscall: it must succeed; and allowing the app's needs
# without the baseline it must fail. --leave-one-out (implies --verify): then, per baseline syscall
# the app does not need itself, run with just that one denied and report the ones the runtime
# survives (a runtime may tolerate a denied call, e.g. a close of an fd it is cleaning up; such calls stay in the
# baseline because denying them changes what the container gets, like leaked fds).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/containers.sh"

RUNS=3
VERIFY=0
LOO=0
RUNTIMES=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n) RUNS="$2"; shift 2 ;;
    --verify) VERIFY=1; shift ;;
    --leave-one-out) VERIFY=1; LOO=1; shift ;;
    -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
    docker|runc|crun|podman) RUNTIMES+=("$1"); shift ;;
    *) echo "measure-runtime-baseline: unknown argument: $1" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" != 0 ]; then
  echo "measure-runtime-baseline: needs root" >&2
  exit 2
fi
if ! grep -qw log /proc/sys/kernel/seccomp/actions_logged 2>/dev/null; then
  echo "measure-runtime-baseline: seccomp 'log' action is not logged by this kernel" >&2
  exit 2
fi
for t in jq scmp_sys_resolver dmesg unshare busybox; do
  if ! command -v $t >/dev/null; then
    echo "measure-runtime-baseline: missing $t" >&2
    exit 2
  fi
done
if [ ${#RUNTIMES[@]} -eq 0 ]; then
  ct_have runc && RUNTIMES+=(docker runc)
  ct_have crun && RUNTIMES+=(crun)
  ct_have podman && RUNTIMES+=(podman)
fi

WORK=$(mktemp -d /tmp/tailor-baseline-XXXXXX)
OLD_RATELIMIT=$(cat /proc/sys/kernel/printk_ratelimit)
ID_PREFIX="tailor-bl-$$"
cleanup() {
  echo "$OLD_RATELIMIT" >/proc/sys/kernel/printk_ratelimit
  local id
  for id in $(runc list -q 2>/dev/null | grep "^$ID_PREFIX"); do runc delete -f "$id" >/dev/null 2>&1; done
  for id in $(crun list -q 2>/dev/null | grep "^$ID_PREFIX"); do crun delete -f "$id" >/dev/null 2>&1; done
  ct_podman_cleanup "$WORK/podman-crun"
  ct_podman_cleanup "$WORK/podman-runc"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
echo 0 >/proc/sys/kernel/printk_ratelimit

ct_rootfs "$WORK/rootfs"
LOG_PROFILE="$WORK/log.json"
echo '{"defaultAction":"SCMP_ACT_LOG","architectures":["SCMP_ARCH_X86_64"],"syscalls":[]}' \
  >"$LOG_PROFILE"

echo "# $(uname -srm); $(runc --version 2>/dev/null | head -1); $(crun --version 2>/dev/null | head -1); $(podman --version 2>/dev/null)"
echo "# runs per variation: $RUNS; method: SCMP_ACT_LOG filter, kernel audit lines of the init pid before execve"

SEQ=0
# run_one RUNTIME NNP USER PROFILE [DELAY]: runs `true` once; exit status of the container.
run_one() {
  local rt="$1" nnp="$2" user="$3" profile="$4" delay="${5:-0.2}"
  SEQ=$((SEQ + 1))
  local id="$ID_PREFIX-$SEQ" bundle="$WORK/bundle-$SEQ" rc
  case "$rt" in
    docker|runc|crun)
      CT_NNP="$nnp" CT_USER="$user" CT_SECCOMP="$profile" ct_bundle "$bundle" "$WORK/rootfs" /bin/true \
        >/dev/null || return 99
      case "$rt" in
        docker) ct_runc_docker "$id" "$bundle" "$delay" ;;
        runc) ct_runc_run "$id" "$bundle" ;;
        crun) ct_crun_run "$id" "$bundle" ;;
      esac
      rc=$?
      rm -rf "$bundle"
      return $rc
      ;;
    podman-crun|podman-runc)
      local opts=(--rm --network none --security-opt "seccomp=$profile" --user "$user")
      [ "$nnp" = true ] && opts+=(--security-opt no-new-privileges)
      ct_podman "$WORK/$rt" run "${opts[@]}" localhost/tailor-baseline /bin/true
      return $?
      ;;
  esac
}

# measure_one RUNTIME NNP USER [DELAY]: prints the syscall numbers the runtime made under the
# filter in one run (one per line), or fails.
measure_one() {
  local token="tailor-measure-$$-$SEQ-$RANDOM" rc lines
  echo "$token begin" >/dev/kmsg
  run_one "$1" "$2" "$3" "$LOG_PROFILE" "${4:-0.2}" >"$WORK/out" 2>&1
  rc=$?
  echo "$token end" >/dev/kmsg
  lines=$(dmesg | sed -n "/$token begin/,/$token end/p")
  if [ $rc -ne 0 ]; then
    echo "measure-runtime-baseline: $1 nnp=$2 user=$3: container failed (status $rc): $(head -c 500 "$WORK/out")" >&2
    return 1
  fi
  if grep -q "callbacks suppressed\|audit_lost\|backlog limit exceeded" <<<"$lines"; then
    echo "measure-runtime-baseline: kernel dropped log lines; run again" >&2
    return 1
  fi
  # Only lines logged by the LOG action (code=0x7ffc0000), as "pid comm syscall".
  local parsed
  parsed=$(grep 'type=1326' <<<"$lines" | grep 'code=0x7ffc0000' |
    sed -nE 's/.* pid=([0-9]+) comm="([^"]*)" .* syscall=([0-9]+) .*/\1 \2 \3/p')
  local pids
  pids=$(awk '$2 == "true" {print $1}' <<<"$parsed" | sort -u)
  if [ -z "$pids" ]; then
    echo "measure-runtime-baseline: $1 nnp=$2 user=$3: no log lines from the app" >&2
    return 1
  fi
  awk -v pids="$pids" 'BEGIN { n = split(pids, a, "\n"); for (i = 1; i <= n; i++) want[a[i]] = 1 }
    want[$1] && $2 != "true" { print $3 }' <<<"$parsed"
  # The app's own needs, for --verify.
  awk -v pids="$pids" 'BEGIN { n = split(pids, a, "\n"); for (i = 1; i <= n; i++) want[a[i]] = 1 }
    want[$1] && $2 == "true" { print $3 }' <<<"$parsed" >>"$WORK/app-numbers"
}

names() {  # numbers on stdin -> sorted unique names
  local n
  sort -un | while read -r n; do scmp_sys_resolver -a x86_64 "$n"; done | sort -u
}

# Variations per runtime.
measure() {  # RUNTIME NNP -> numbers
  local rt="$1" nnp="$2" r user delay sub
  local subs=("$rt")
  if [ "$rt" = podman ]; then
    subs=()
    ct_have crun && subs+=(podman-crun)
    ct_have runc && subs+=(podman-runc)
  fi
  for sub in "${subs[@]}"; do
    for r in $(seq 1 "$RUNS"); do
      for user in 0:0 65534:65534; do
        delay=0.2
        [ "$rt" = docker ] && delay=$(echo "0 0.2 1" | cut -d' ' -f$(((r - 1) % 3 + 1)))
        measure_one "$sub" "$nnp" "$user" "$delay" || return 1
      done
    done
  done
}

setup_podman() {
  local sub
  for sub in crun runc; do
    ct_have "$sub" || continue
    ct_podman_setup "$WORK/podman-$sub" "$sub"
    ct_podman_import "$WORK/podman-$sub" "$WORK/rootfs" tailor-baseline >/dev/null 2>&1 || {
      echo "measure-runtime-baseline: podman ($sub) cannot import an image" >&2
      return 1
    }
  done
}

# Writes an OCI/Docker seccomp JSON (both formats accept this shape) to $1 allowing names $2...
errno_profile() {
  local out="$1"
  shift
  printf '%s\n' "$@" | jq -R . | jq -s '{defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1,
    architectures: ["SCMP_ARCH_X86_64"],
    syscalls: [{names: (map(select(. != "")) | unique), action: "SCMP_ACT_ALLOW"}]}' >"$out"
}

# verify_run RUNTIME NNP PROFILE: 0 if `true` ran and succeeded under PROFILE for every variation.
verify_run() {
  local rt="$1" nnp="$2" profile="$3" sub user
  local subs=("$rt")
  [ "$rt" = podman ] && subs=() && { ct_have crun && subs+=(podman-crun); ct_have runc && subs+=(podman-runc); }
  for sub in "${subs[@]}"; do
    for user in 0:0 65534:65534; do
      run_one "$sub" "$nnp" "$user" "$profile" 0.2 >/dev/null 2>&1 || return 1
    done
  done
}

STATUS=0
for rt in "${RUNTIMES[@]}"; do
  case "$rt" in
    docker|runc) ct_have runc || { echo "# $rt: runc not installed, skipped"; continue; } ;;
    crun) ct_have crun || { echo "# crun: not installed, skipped"; continue; } ;;
    podman)
      ct_have podman || { echo "# podman: not installed, skipped"; continue; }
      setup_podman || { STATUS=1; continue; }
      ;;
  esac
  for nnp in true false; do
    label=nnp
    [ "$nnp" = false ] && label=no-nnp
    : >"$WORK/app-numbers"
    if ! nums=$(measure "$rt" "$nnp"); then
      STATUS=1
      continue
    fi
    baseline=$(names <<<"$nums")
    echo "$rt $label $(echo $baseline)"
    [ $VERIFY = 1 ] || continue

    app=$(names <"$WORK/app-numbers")
    always="exit exit_group rt_sigreturn restart_syscall"
    errno_profile "$WORK/full.json" $app $baseline $always
    if verify_run "$rt" "$nnp" "$WORK/full.json"; then
      echo "# verify $rt $label: app+baseline+exit set: runs"
    else
      echo "# verify $rt $label: FAILED: app+baseline+exit set does not run"
      STATUS=3
    fi
    errno_profile "$WORK/none.json" $app $always
    if verify_run "$rt" "$nnp" "$WORK/none.json"; then
      echo "# verify $rt $label: FAILED: runs without the baseline too"
      STATUS=3
    else
      echo "# verify $rt $label: app+exit set without baseline: fails, as it must"
    fi
    [ $LOO = 1 ] || continue
    tolerated=()
    for s in $baseline; do
      grep -qw "$s" <<<"$always" && continue
      rest=$(printf '%s\n' $baseline | grep -vx "$s")
      # A syscall the app needs itself stays allowed; only the runtime-only ones can be tested.
      grep -qx "$s" <<<"$app" && continue
      errno_profile "$WORK/loo.json" $app $rest $always
      verify_run "$rt" "$nnp" "$WORK/loo.json" && tolerated+=("$s")
    done
    echo "# verify $rt $label: runs even with one denied (runtime tolerates EPERM): ${tolerated[*]:-none}"
  done
done
exit $STATUS
