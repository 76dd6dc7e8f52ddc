# The engine side of test_container_record.cpp: `tailor record` of containers in a real Docker
# engine or podman, run in scripts/containers.sh's ct_private_ns (sourced before this file).
#   bash container_record.sh T TAILOR ENGINE [RUNTIME] [CASES]
# T: a directory holding rootfs/ (busybox and the fileio sample as /bin/app), where every
# profile, printed command line and output goes. ENGINE: docker or podman (RUNTIME: crun or
# runc). CASES (default "all"): which of the cases below to run, e.g. "app" for a and b only.
# It prints `key=value` lines that the test checks, together with the files it leaves in T.
# Exit 99: the engine cannot start here (the test skips with the reason printed).
#
# Every tailor call runs under `timeout` so that a hang fails a case instead of the whole test,
# and nothing waits by sleeping where a file or a process can be waited for.
T="$1" TAILOR="$2" ENGINE="$3" RT="${4:-crun}" CASES="${5:-all}"
IMG=tailor-ct-app
say() { echo "$1=$2"; }
want() { [ "$CASES" = all ] || [[ " $CASES " == *" $1 "* ]]; }
# tailor, bounded; stdout and stderr to T/NAME.out and T/NAME.err; says NAME-status=.
rec() {
  local name="$1" t0 t1 rc
  shift
  t0=$EPOCHREALTIME
  timeout -k 5 120 "$TAILOR" "$@" >"$T/$name.out" 2>"$T/$name.err"
  rc=$?
  t1=$EPOCHREALTIME
  say "$name-status" "$rc"
  say "$name-seconds" "$(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }")"
}
# wait_for PATH: until PATH exists (10 s at most).
wait_for() {
  local i
  for i in $(seq 200); do
    [ -e "$1" ] && return 0
    sleep 0.05
  done
  return 1
}

case "$ENGINE" in
  docker)
    if ! ct_dockerd_start "$T/docker"; then
      echo "dockerd did not start: $(tail -3 "$T/docker/dockerd.log" | tr '\n' ' ')"
      ct_dockerd_stop "$T/docker"
      exit 99
    fi
    trap 'ct_dockerd_stop "$T/docker"' EXIT
    ;;
  podman)
    ct_podman_env "$T/podman-$RT" "$RT" || {
      echo "no $RT"
      exit 99
    }
    trap 'podman rm -af -t 0 >/dev/null 2>&1; podman system reset -f >/dev/null 2>&1' EXIT
    ;;
esac
tar -C "$T/rootfs" -cf "$T/r.tar" . &&
  $ENGINE import --change 'CMD ["/bin/app", "/tmp"]' "$T/r.tar" "$IMG" >/dev/null || {
  echo "import failed"
  exit 98
}
rm -f "$T/r.tar"

# (c) Unrelated containers that make mkdir (fileio never does: it makes mkdirat), into
# directories of T, so we know they ran before and during the recording: one that loops all the
# time, and short ones started one after the other (a container that starts while the recording
# runs often gets the pid namespace number of one that just ended).
if want other; then
  mkdir -p "$T/other" "$T/churn"
  $ENGINE run -d --name tailor-other --network none -v "$T/other:/o" "$IMG" \
    sh -c 'i=0; while :; do i=$((i+1)); mkdir /o/d$i; sleep 0.02; done' >/dev/null
  churn=""
  for loop in a b; do
    (
      i=0
      while [ ! -e "$T/churn-stop" ]; do
        i=$((i + 1))
        timeout -k 5 60 $ENGINE run --rm --network none -v "$T/churn:/o" "$IMG" mkdir /o/$loop$i \
          >/dev/null 2>&1
      done
    ) &
    churn="$churn $!"
  done
  wait_for "$T/other/d1" || echo "the other container did not start"
  wait_for "$T/churn/a1" || echo "the short containers did not start"
  say other-before "$(ls "$T/other" | wc -l)"
  say churn-before "$(ls "$T/churn" | wc -l)"
fi

# (a) The sample in its container, with a command after the image.
if want app; then
  rec app record -q -o "$T/app.json" -- $ENGINE run --rm --network none "$IMG" /bin/app /data
fi
if want other; then
  say other-after "$(ls "$T/other" | wc -l)"
  say churn-after "$(ls "$T/churn" | wc -l)"
  touch "$T/churn-stop"
  wait $churn
fi

# (b) The printed command line, run exactly as printed (by bash's eval, from another directory);
# then the same with mkdirat, which fileio needs, taken out of the profile.
if want app; then
  "$TAILOR" generate "$T/app.json" --seccomp "$T/s.json" --flags "$ENGINE" >"$T/cmd.sh" \
    2>"$T/gen.err"
  say generate-status $?
  (cd / && eval "$(cat "$T/cmd.sh")") >"$T/printed.out" 2>"$T/printed.err"
  say printed-status $?
  # What the app wrote went to the volume the line names for /data.
  vol=$(grep -o -- '-v [^ ]*:/data ' "$T/cmd.sh" | awk '{print $2}' | cut -d: -f1)
  say printed-wrote "$($ENGINE run --rm --network none -v "$vol:/v" "$IMG" cat /v/d.txt 2>&1)"
  jq '.syscalls.x86_64 |= del(.mkdirat)' "$T/app.json" >"$T/broken.json"
  "$TAILOR" generate "$T/broken.json" --seccomp "$T/s-broken.json" --flags "$ENGINE" \
    >"$T/cmd-broken.sh" 2>"$T/gen-broken.err"
  say generate-broken-status $?
  (cd / && eval "$(cat "$T/cmd-broken.sh")") >"$T/broken.out" 2>"$T/broken.err"
  say broken-status $?
fi

# (e) A detached run: `run -d` returns at once; the recording lasts until the container exits.
if want detached; then
  rec detached record -q -o "$T/detached.json" -- $ENGINE run -d --network none "$IMG" \
    sh -c 'sleep 1; echo late >/tmp/late-file; exit 3'
fi

# (d) Attach to a running container for 2 s: it makes symlink (nothing else here does) and
# touches /tmp/after-attach all the time, so whatever the moment of the attach, the two seconds
# after it see both.
if want attach; then
  $ENGINE run -d --name tailor-att --network none "$IMG" \
    sh -c 'while :; do touch /tmp/after-attach; ln -sf x /tmp/att-link; sleep 0.05; done' >/dev/null
  rec attach record -q --container tailor-att --duration 2 -o "$T/attach.json"

  # Attach until the container exits by itself, with status 7, while the first one runs on. It
  # exits once T/att2/stop exists, which is made once tailor runs `ENGINE wait ID` (its probes
  # are in place by then).
  mkdir -p "$T/att2"
  $ENGINE run -d --name tailor-att2 --network none -v "$T/att2:/o" "$IMG" \
    sh -c 'while [ ! -e /o/stop ]; do sleep 0.05; done; touch /tmp/stopping; exit 7' >/dev/null
  rec attach2 record -q --container tailor-att2 -o "$T/attach2.json" &
  rp=$!
  for i in $(seq 400); do
    pgrep -f "^$ENGINE wait " >/dev/null && break
    sleep 0.05
  done
  touch "$T/att2/stop"
  wait "$rp"
  $ENGINE rm -f tailor-att >/dev/null 2>&1
fi

# (f) Refusals and an engine that never starts a container.
if want errors; then
  rec err-ptrace record -q --backend ptrace -o "$T/err-ptrace.json" -- \
    $ENGINE run --rm --network none "$IMG" true
  rec err-pidhost record -q -o "$T/err-pidhost.json" -- \
    $ENGINE run --rm --network none --pid host "$IMG" true
  timeout -k 5 60 $ENGINE run --rm --network none localhost/tailor-no-such-image >/dev/null 2>&1
  say missing-native-status $?
  rec err-missing record -q -o "$T/err-missing.json" -- \
    $ENGINE run --rm --network none localhost/tailor-no-such-image
fi
if want other; then
  $ENGINE ps -a --format '{{.Names}} {{.Status}}' | sed 's/^/container: /'
fi
exit 0
