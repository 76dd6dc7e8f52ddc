# The engine side of test_harden.cpp: a recorded app run from its hardened Compose project and
# Kubernetes Pod, in scripts/containers.sh's ct_private_ns (sourced before this file).
#   bash harden_engines.sh T TAILOR PHASE
# T holds rootfs/ (busybox and the fileio sample as /bin/app; /data is nobody's). PHASE:
#   record   import the image into a private dockerd and `tailor record` the app in it: T/app.json
#   compose  `docker-compose -f compose.yml -f compose.tailor.yml up` in T, with the seccomp
#            profile harden wrote, then with one that lacks a syscall the app makes; then the
#            hardened run line T/run.sh as printed
#   kube     `podman kube play` of T/pod.hardened.yaml (and pod.annotated.yaml: the same with
#            the seccomp annotation podman 4.3 reads), profiles from T/kubelet-seccomp, with the
#            profile harden wrote and with one that lacks a syscall the app makes
# It prints `key=value` lines that the test checks, and leaves inspect JSON in T.
# Exit 99: the engine cannot start here (the test skips with the reason printed).
T="$1" TAILOR="$2" PHASE="$3"
IMG=tailor-hd-app
say() { echo "$1=$2"; }
T0=$EPOCHREALTIME
# seconds since the phase started, for the test's log
at() { say "$1-at" "$(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $T0 }")"; }

docker_up() {
  if ! ct_dockerd_start "$T/docker"; then
    echo "dockerd did not start: $(tail -3 "$T/docker/dockerd.log" | tr '\n' ' ')"
    ct_dockerd_stop "$T/docker"
    exit 99
  fi
  trap 'ct_dockerd_stop "$T/docker"' EXIT
}

case "$PHASE" in
  record)
    docker_up
    tar -C "$T/rootfs" -cf "$T/r.tar" . && docker import "$T/r.tar" "$IMG" >/dev/null || {
      echo "import failed"
      exit 98
    }
    timeout -k 5 120 "$TAILOR" record -q -o "$T/app.json" -- \
      docker run --rm --network none "$IMG" /bin/app /data >"$T/record.out" 2>"$T/record.err"
    say record-status $?
    ;;
  compose)
    docker_up
    cd "$T" || exit 98
    # compose prefixes its containers and volumes with the project name
    up() {
      timeout -k 5 120 docker-compose -p tlr -f compose.yml -f compose.tailor.yml up \
        --no-color >"$T/up-$1.out" 2>&1
      say "up-$1-status" $?
      at "up-$1"
      say "app-$1-exit" "$(docker inspect -f '{{.State.ExitCode}}' tlr_app_1)"
      say "sidecar-$1-exit" "$(docker inspect -f '{{.State.ExitCode}}' tlr_sidecar_1)"
      docker inspect tlr_app_1 >"$T/app-$1.json"
      docker inspect tlr_sidecar_1 >"$T/sidecar-$1.json"
    }
    up hardened
    vol=$(docker volume ls -q | grep -- "-data$" | head -1)
    say volume "$vol"
    say wrote "$(docker run --rm --network none -v "$vol:/v" "$IMG" cat /v/d.txt 2>&1)"
    timeout -k 5 60 docker-compose -p tlr -f compose.yml -f compose.tailor.yml down -v \
      >/dev/null 2>&1
    # The same project with a seccomp profile that lacks mkdirat: the app must fail, so the
    # profile the override names is the one in force.
    cp seccomp-app.json seccomp-app.good && cp seccomp-broken.json seccomp-app.json
    up broken
    cp seccomp-app.good seccomp-app.json
    timeout -k 5 60 docker-compose -p tlr -f compose.yml -f compose.tailor.yml down -v \
      >/dev/null 2>&1
    # The hardened run line (T/run.sh), run as printed.
    (cd / && eval "$(cat "$T/run.sh")") >"$T/run-line.out" 2>&1
    say run-line-status $?
    at run-line
    docker inspect tlr-run >"$T/run-line.json"
    ;;
  kube)
    ct_podman_env "$T/podman" runc || {
      echo "no runc"
      exit 99
    }
    trap 'podman pod rm -af -t 0 >/dev/null 2>&1; podman system reset -f >/dev/null 2>&1' EXIT
    tar -C "$T/rootfs" -cf "$T/r.tar" . && podman import "$T/r.tar" "localhost/$IMG:latest" \
      >/dev/null || {
      echo "import failed"
      exit 98
    }
    # play LABEL FILE: the pod of FILE to its end; its exit status and podman's inspect JSON
    play() {
      timeout -k 5 120 podman kube play --seccomp-profile-root "$T/kubelet-seccomp" "$T/$2" \
        >"$T/play-$1.out" 2>&1
      say "play-$1-status" $?
      at "play-$1"
      timeout -k 5 60 podman wait shop-app >/dev/null 2>&1
      say "kube-$1-exit" "$(podman inspect -f '{{.State.ExitCode}}' shop-app)"
      podman inspect shop-app >"$T/kube-$1.json"
      podman logs shop-app >"$T/kube-$1.log" 2>&1
      podman pod rm -f -t 0 shop >/dev/null 2>&1
    }
    play hardened pod.hardened.yaml
    play annotated pod.annotated.yaml
    cp "$T/kubelet-seccomp/seccomp-app.json" "$T/seccomp-app.good"
    cp "$T/seccomp-broken.json" "$T/kubelet-seccomp/seccomp-app.json"
    play hardened-broken pod.hardened.yaml
    play annotated-broken pod.annotated.yaml
    cp "$T/seccomp-app.good" "$T/kubelet-seccomp/seccomp-app.json"
    ;;
esac
