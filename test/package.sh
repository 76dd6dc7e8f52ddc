#!/usr/bin/env bash
# The Debian package, installed where its users install it: builds the .deb with CPack from a
# build tree, makes a fresh Debian 12 root with debootstrap, installs the .deb there with
# `apt-get install ./tailor_<version>_amd64.deb` (apt pulls exactly the Depends that
# dpkg-shlibdeps computed, from Debian's archive) and runs the installed tailor inside the root.
#
#   bash test/package.sh BUILD_DIR OUT_DIR
#
# Leaves in OUT_DIR: the .deb, the profiles recorded in the root (profile-<backend>.json), the
# root's `tailor --version` and `--help` output, the installed man pages; the caller (test
# [package]) checks them. Exit 0 when everything ran, 77 when this machine cannot do it (the
# reason on stdout as "SKIPPED: ..."), anything else is a failure.
#
# The debootstrapped root is cached as BUILD_DIR/package-test/bookworm-minbase (made once, in
# ~30 s) and copied for each run, so every run installs into an untouched root. Everything runs
# in `unshare --mount --pid --fork`: the root's /proc, /dev and /sys mounts die with that
# namespace, none is ever visible on the host. TAILOR_DEBIAN_MIRROR overrides the mirror (default:
# the host's apt source for Debian, else deb.debian.org).
set -euo pipefail

build=$(realpath "$1")
out=$(realpath "$2")
skip() {
  echo "SKIPPED: $*"
  exit 77
}
t0=$(date +%s%N)
step() {
  local ds=$((($(date +%s%N) - t0) / 100000000))
  printf '[%4d.%ds] %s\n' $((ds / 10)) $((ds % 10)) "$*"
}

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot and mounts in a private namespace)"
command -v debootstrap >/dev/null || skip "debootstrap is not installed (apt-get install debootstrap)"
command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"

mirror=${TAILOR_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list |
    grep -v security | grep -oE 'https?://[^ ]+/debian/?' | head -n1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi
mirror=${mirror%/}

work=$(mktemp -d /tmp/tailor-package.XXXXXX)
cleanup() {
  # Nothing is mounted under $work on the host (the mounts lived in the namespace), but never
  # delete through a mount: check first.
  if findmnt -rno TARGET | grep -q "^$work"; then
    echo "package.sh: mounts left under $work, not removing it" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# The archive must answer before anything is built: no network is a skip, not a failure.
if ! timeout 30 /usr/lib/apt/apt-helper download-file "$mirror/dists/bookworm/Release" \
  "$work/Release" >/dev/null 2>&1; then
  skip "no network to the Debian archive ($mirror/dists/bookworm/Release cannot be fetched)"
fi
step "archive reachable: $mirror"

# 1. The package, as a user makes it.
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/cpack" >"$work/cpack.log" 2>&1 || {
  cat "$work/cpack.log"
  echo "cpack failed" >&2
  exit 1
}
debs=("$work"/cpack/*.deb)
[ ${#debs[@]} = 1 ] && [ -f "${debs[0]}" ] || {
  echo "cpack made ${#debs[@]} files: ${debs[*]}" >&2
  exit 1
}
deb=${debs[0]}
cp "$deb" "$out/"
step "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB); Depends: $(dpkg-deb -f "$deb" Depends)"

# 2. A fresh Debian 12 root: the cached minbase root, copied.
cache="$build/package-test/bookworm-minbase"
if [ ! -x "$cache/bin/true" ]; then
  rm -rf "$cache" "$cache.tmp"
  mkdir -p "$(dirname "$cache")"
  if ! debootstrap --variant=minbase bookworm "$cache.tmp" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 20 "$work/debootstrap.log"
    rm -rf "$cache.tmp"
    echo "debootstrap failed" >&2
    exit 1
  fi
  mv "$cache.tmp" "$cache"
  step "debootstrap --variant=minbase bookworm: $(du -sm "$cache" | cut -f1) MB, cached in $cache"
fi
root="$work/root"
cp -a "$cache" "$root"
cp "$deb" "$root/tmp/"
chmod 644 "$root/tmp/$(basename "$deb")"
step "fresh root at $root"

# 3. Install and run, inside the root. The root sees the host's kernel (BTF, seccomp) through
# /sys and /proc, as a real installation would.
cat >"$root/tmp/in-root.sh" <<EOF
set -eu
export DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8
apt-get update -qq
apt-get install -y --no-install-recommends ./tmp/$(basename "$deb") >/tmp/apt-install.log 2>&1 ||
  { cat /tmp/apt-install.log; exit 1; }
grep -E '^(Get|Setting up)' /tmp/apt-install.log | sed 's/^/  apt: /'
command -v tailor
tailor --version >/tmp/version.txt
tailor --help >/tmp/help.txt
for backend in auto ptrace notify; do
  tailor record -q --backend \$backend -o /tmp/profile-\$backend.json -- /bin/true
done
tailor show /tmp/profile-auto.json >/tmp/show.txt
dpkg -L tailor >/tmp/files.txt
EOF
step "installing inside the root"
if ! unshare --mount --pid --fork --kill-child bash -c '
  set -eu
  root=$1
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount --rbind /sys "$root/sys"
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  exec chroot "$root" /bin/bash /tmp/in-root.sh
' bash "$root"; then
  echo "installing or running tailor inside the root failed" >&2
  exit 1
fi
step "installed and recorded inside the root"

cp "$root"/tmp/{version,help,show,files}.txt "$root"/tmp/profile-*.json "$out/"
mkdir -p "$out/man"
cp "$root"/usr/share/man/man1/tailor*.1.gz "$out/man/"
step "done"
