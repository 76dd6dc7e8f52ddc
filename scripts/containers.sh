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
