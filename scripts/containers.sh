# Shared setup for running things in real container runtimes (crun, runc, podman) on a machine
# without a registry or a Docker engine. Source it:  . scripts/containers.sh
# Used by scripts/measure-runtime-baseline.sh and by test/test_containers.cpp (which runs
# `bash -c '. scripts/containers.sh; ct_... '`). Every function that starts a runtime has a
# timeout, because a filter that denies rt_sigreturn can leave `runc init` spinning.
#
# Quirks of the machines tailor is tested on (see README "Container runtimes"):
#  - cgroups are mounted in hybrid v1/v2 mode and crun refuses that ("cgroups in hybrid mode not
#    supported"), so crun (and podman, whose default runtime on Debian is crun) runs in a private
#    mount namespace with the v2 part unmounted. That changes nothing on the host.
#  - podman cannot raise RLIMIT_NOFILE past the hard limit (no CAP_SYS_RESOURCE), so it gets a
#    containers.conf with ulimits it can set, and cgroup_manager=cgroupfs (no systemd).
#  - podman gets a private storage root per caller (--root/--runroot, vfs driver), so tests and
#    measurements never touch or depend on the host's image store.

CT_TIMEOUT="${CT_TIMEOUT:-60}"

# ct_have TOOL: is the runtime installed?
ct_have() { command -v "$1" >/dev/null 2>&1; }

# ct_rootfs DIR: a minimal root filesystem: static busybox and its applet links.
ct_rootfs() {
  local dir="$1" a
  mkdir -p "$dir/bin" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/tmp" "$dir/etc" "$dir/data"
  chmod 1777 "$dir/tmp"
  cp /bin/busybox "$dir/bin/busybox"
  for a in $(/bin/busybox --list); do
    [ "$a" = busybox ] || [ -e "$dir/bin/$a" ] || ln -s busybox "$dir/bin/$a"
  done
  echo 'root:x:0:0:root:/:/bin/sh' >"$dir/etc/passwd"
  echo 'nobody:x:65534:65534:nobody:/:/bin/false' >>"$dir/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
}

# ct_add_program ROOTFS BINARY [DEST]: copy a program and every library `ldd` lists (and the
# dynamic loader) into the rootfs at the same paths. DEST defaults to /bin/<name>.
ct_add_program() {
  local rootfs="$1" bin="$2" dest="${3:-/bin/$(basename "$2")}" lib
  mkdir -p "$rootfs$(dirname "$dest")"
  # DEST may be one of busybox's applet links (httpd, ...): replace the link, not busybox.
  rm -f "$rootfs$dest"
  cp "$bin" "$rootfs$dest"
  for lib in $(ldd "$bin" 2>/dev/null | grep -oE '/[^ ]+' | sort -u); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
}

# ct_bundle BUNDLE ROOTFS ARG...: an OCI bundle (config.json from `runc spec`/`crun spec`) that runs
# ARG... in ROOTFS, no terminal, writable root. Knobs (environment):
#   CT_NNP=true|false     process.noNewPrivileges (default false, like docker and podman)
#   CT_USER=UID:GID       process.user (default 0:0)
#   CT_SECCOMP=FILE       JSON for linux.seccomp (an OCI seccomp object); default none
#   CT_CAPS="CAP_A CAP_B" the capability sets (default: the spec's)
ct_bundle() {
  local bundle="$1" rootfs="$2"
  shift 2
  mkdir -p "$bundle"
  rm -f "$bundle/config.json"
  if ct_have runc; then
    (cd "$bundle" && runc spec)
  else
    (cd "$bundle" && crun spec)
  fi || return 1
  local args user seccomp caps
  args=$(printf '%s\n' "$@" | jq -R . | jq -s .)
  user="${CT_USER:-0:0}"
  seccomp='null'
  [ -n "${CT_SECCOMP:-}" ] && seccomp=$(cat "$CT_SECCOMP")
  caps='null'
  [ -n "${CT_CAPS+x}" ] && caps=$(printf '%s\n' $CT_CAPS | jq -R . | jq -s 'map(select(. != ""))')
  jq --arg root "$(realpath "$rootfs")" --argjson args "$args" \
    --argjson uid "${user%%:*}" --argjson gid "${user##*:}" \
    --argjson nnp "${CT_NNP:-false}" --argjson seccomp "$seccomp" --argjson caps "$caps" '
    .process.terminal = false | .root.path = $root | .root.readonly = false
    | .process.args = $args | .process.user = {uid: $uid, gid: $gid}
    | .process.noNewPrivileges = $nnp
    | (if $seccomp != null then .linux.seccomp = $seccomp else . end)
    | (if $caps != null then .process.capabilities =
         {bounding: $caps, effective: $caps, permitted: $caps} else . end)' \
    "$bundle/config.json" >"$bundle/config.json.new" && mv "$bundle/config.json.new" "$bundle/config.json"
}

# ct_runc_run ID BUNDLE: `runc run`, foreground; the container's stdout/stderr are ours. Returns
# the container's exit status (124 on timeout). The container is deleted afterwards.
ct_runc_run() {
  local id="$1" bundle="$2" rc
  timeout -k 5 "$CT_TIMEOUT" runc run --bundle "$bundle" "$id" </dev/null
  rc=$?
  runc delete -f "$id" >/dev/null 2>&1
  return $rc
}

# ct_runc_docker ID BUNDLE [DELAY]: runc driven the way Docker's containerd shim drives it:
# `runc create` (init waits on the exec fifo), then after DELAY seconds `runc start`, then wait for
# the container's init. The time between create and start matters: runc init (a Go program) keeps
# running under the filter while it waits. Like the shim, the caller is a child subreaper (a few
# lines of python3), so the daemonized init is reparented to it and its exit status is known.
# Returns the container's exit status (125 if create/start failed, 124 on timeout).
ct_runc_docker() {
  local id="$1" bundle="$2" delay="${3:-0.2}" rc
  timeout -k 5 "$CT_TIMEOUT" python3 -c '
import ctypes, os, subprocess, sys, time
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
id, bundle, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
if subprocess.call(["runc", "create", "--bundle", bundle, id], stdin=subprocess.DEVNULL) != 0:
    sys.exit(125)
time.sleep(delay)
if subprocess.call(["runc", "start", id]) != 0:
    sys.exit(125)
status = 125
while True:  # the init is our only remaining child (runc create/start have been reaped)
    try:
        pid, st = os.wait()
    except ChildProcessError:
        break
    status = os.waitstatus_to_exitcode(st)
    status = 128 - status if status < 0 else status
sys.exit(status)' "$id" "$bundle" "$delay" </dev/null
  rc=$?
  runc delete -f "$id" >/dev/null 2>&1
  return $rc
}

# ct_crun_run ID BUNDLE: `crun run` in a private mount namespace without the cgroup v2 mount.
ct_crun_run() {
  local id="$1" bundle="$2" rc
  timeout -k 5 "$CT_TIMEOUT" unshare -m sh -c \
    'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun run --bundle "$1" "$2"' sh "$bundle" "$id" \
    </dev/null
  rc=$?
  crun delete -f "$id" >/dev/null 2>&1
  return $rc
}

# ct_podman_setup DIR [RUNTIME]: a private podman world under DIR: containers.conf (ulimits it can
# set, cgroupfs, RUNTIME default crun = Debian's default) and storage. Prints nothing; later calls
# to ct_podman with the same DIR use it. The default network is "none" (loopback only): rootful
# podman's default bridge would create a cni-podman0 interface and iptables rules on the host.
# Podman quirk: any --ulimit on the command line replaces default_ulimits, and podman then adds
# RLIMIT_NPROC=1048576 itself, which cannot be set here (EPERM): add --ulimit nproc=32768:32768
# whenever you pass another --ulimit.
ct_podman_setup() {
  local dir="$1" runtime="${2:-crun}"
  mkdir -p "$dir/root" "$dir/runroot" "$dir/tmp"
  cat >"$dir/containers.conf" <<EOF
[containers]
netns = "none"
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "none"
runtime = "$runtime"
tmp_dir = "$dir/tmp"
EOF
}

# ct_podman DIR ARG...: podman with DIR's config and storage, in a private mount namespace without
# the cgroup v2 mount (for crun; harmless for runc). Storage mounts live and die in that namespace.
ct_podman() {
  local dir="$1"
  shift
  CONTAINERS_CONF="$dir/containers.conf" timeout -k 5 "$CT_TIMEOUT" unshare -m sh -c \
    'umount /sys/fs/cgroup/unified 2>/dev/null; d="$1"; shift;
     exec podman --root "$d/root" --runroot "$d/runroot" --storage-driver vfs \
       --cgroup-manager cgroupfs "$@"' sh "$dir" "$@" </dev/null
}

# ct_podman_import DIR ROOTFS NAME: make image localhost/NAME:latest from ROOTFS.
ct_podman_import() {
  local dir="$1" rootfs="$2" name="$3"
  tar -C "$rootfs" -cf "$dir/rootfs.tar" . &&
    ct_podman "$dir" import "$dir/rootfs.tar" "localhost/$name:latest" >/dev/null &&
    rm -f "$dir/rootfs.tar"
}

# ct_podman_cleanup DIR: remove every container and the storage of DIR's podman world.
ct_podman_cleanup() {
  local dir="$1"
  [ -f "$dir/containers.conf" ] || return 0
  ct_podman "$dir" rm -af -t 0 >/dev/null 2>&1
  ct_podman "$dir" system reset -f >/dev/null 2>&1
  rm -rf "$dir/root" "$dir/runroot" "$dir/tmp" 2>/dev/null
}

# ---- running printed command lines as printed -------------------------------------------------
# A `podman run ...` / `docker run ...` line that tailor printed must run unchanged: no wrapper
# function, no extra flags. So the private worlds below are configured through the environment
# and through namespaces only, and the line runs inside them.

# ct_private_ns CMD...: CMD in private mount and network namespaces: loopback up, the cgroup v2
# mount of the hybrid hierarchy gone (crun refuses hybrid mode), and a tmpfs on /run, where
# runtimes, podman (netns files) and dockerd keep state: nothing is left on the host, and servers
# and published ports live in a network of their own (no port clashes, nothing exposed). Podman's
# bridge would also live there, but ct_podman_env uses slirp4netns: a tap device in the
# container and a userland port forwarder, no bridge and no iptables.
ct_private_ns() {
  timeout -k 5 "${CT_NS_TIMEOUT:-300}" unshare -m -n --propagation private sh -c '
    ip link set lo up || exit 97
    umount /sys/fs/cgroup/unified 2>/dev/null
    mount -t tmpfs -o mode=0755 tmpfs /run || exit 97
    [ -d /etc/docker ] && mount -t tmpfs -o mode=0700 tmpfs /etc/docker
    exec "$@"' sh "$@"
}

# ct_podman_env DIR [RUNTIME]: a private podman world under DIR that a plain `podman` command
# uses (exports CONTAINERS_CONF and CONTAINERS_STORAGE_CONF): vfs storage under DIR, cgroupfs,
# slirp4netns as the default network (so -p works), RUNTIME (crun, default, or runc). Call it
# inside ct_private_ns. Quirk of the test machines: podman sets RLIMIT_NPROC=1048576 itself
# whenever the command line has any --ulimit, which is above the hard limit here and cannot be
# raised without CAP_SYS_RESOURCE; so the runtime is a small wrapper that lowers that one limit
# in config.json to the hard limit before calling the real runtime. The command line and every
# other setting stay as printed.
ct_podman_env() {
  local dir="$1" runtime="${2:-crun}" real
  real=$(command -v "$runtime") || return 1
  mkdir -p "$dir/root" "$dir/runroot" "$dir/tmp"
  cat >"$dir/runtime.sh" <<EOS
#!/bin/bash
# $runtime, with RLIMIT_NPROC lowered to the hard limit this machine allows (ct_podman_env).
prev=""
for a in "\$@"; do
  if [ "\$prev" = "--bundle" ] || [ "\$prev" = "-b" ]; then
    cfg="\$a/config.json"
    if [ -f "\$cfg" ]; then
      h=\$(ulimit -Hu)
      jq --argjson h "\$h" '(.process.rlimits // []) |= map(if .type == "RLIMIT_NPROC"
        then .hard = ([.hard, \$h] | min) | .soft = ([.soft, \$h] | min) else . end)' \
        "\$cfg" >"\$cfg.new" && mv "\$cfg.new" "\$cfg"
    fi
  fi
  prev="\$a"
done
exec "$real" "\$@"
EOS
  chmod 755 "$dir/runtime.sh"
  cat >"$dir/containers.conf" <<EOC
[containers]
netns = "slirp4netns"
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "none"
runtime = "ct-$runtime"
tmp_dir = "$dir/tmp"
[engine.runtimes]
ct-$runtime = ["$dir/runtime.sh"]
EOC
  cat >"$dir/storage.conf" <<EOC
[storage]
driver = "vfs"
graphroot = "$dir/root"
runroot = "$dir/runroot"
EOC
  export CONTAINERS_CONF="$dir/containers.conf" CONTAINERS_STORAGE_CONF="$dir/storage.conf"
}

# ct_dockerd_start DIR: a private Docker engine (Debian's docker.io) in the current namespaces
# (call it inside ct_private_ns: its bridge and iptables rules then live in that network
# namespace, which is what lets `docker run -p` work without touching the host), with data root,
# exec root and socket under DIR. Exports DOCKER_HOST. Returns 1 if it is not ready in 20 s.
ct_dockerd_start() {
  local dir="$1" i
  mkdir -p "$dir"
  dockerd --data-root "$dir/root" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
    -H "unix://$dir/docker.sock" --storage-driver=vfs >"$dir/dockerd.log" 2>&1 &
  export DOCKER_HOST="unix://$dir/docker.sock"
  for i in $(seq 100); do
    docker info >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# ct_dockerd_stop DIR: stop the engine ct_dockerd_start started (by its pid) and wait for it.
ct_dockerd_stop() {
  local dir="$1" pid i
  docker rm -f $(docker ps -aq 2>/dev/null) >/dev/null 2>&1
  pid=$(cat "$dir/dockerd.pid" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null
  for i in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null
}

# ct_http_get HOST PORT PATH: one HTTP/1.0 GET with bash's /dev/tcp; prints the response.
ct_http_get() {
  (exec 3<>"/dev/tcp/$1/$2" && printf 'GET %s HTTP/1.0\r\n\r\n' "$3" >&3 && cat <&3) 2>/dev/null
}
