#!/usr/bin/env bash
# Refreshes emitters/data/docker-default-seccomp.json, the baseline of `tailor report`: Docker's
# default seccomp profile, taken as data from Debian's golang-github-docker-docker-dev (the moby
# source tree of the docker.io engine Debian ships), never typed by hand. Installing that package
# would pull ~255 Go packages, so the .deb is only downloaded and the one file extracted.
# Writes the file and emitters/data/docker-default-seccomp.provenance (package, version, path,
# sha256); the build checks the sha256 and embeds both (emitters/CMakeLists.txt).
#
#   bash scripts/update-docker-default.sh            # the candidate version of this machine's apt
#   bash scripts/update-docker-default.sh --check    # exit 1 if the committed copy differs,
#                                                    # 3 if the package cannot be downloaded
set -euo pipefail

PKG=golang-github-docker-docker-dev
MEMBER=usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json
here=$(cd "$(dirname "$0")/.." && pwd)
out_json=$here/emitters/data/docker-default-seccomp.json
out_prov=$here/emitters/data/docker-default-seccomp.provenance

check=0
[ "${1:-}" = "--check" ] && check=1

work=$(mktemp -d)
chmod 755 "$work"  # apt-get download runs as _apt where it can: let it write here
trap 'rm -rf "$work"' EXIT
# apt-get download writes into the current directory and needs no root.
# Exit 3 when the package cannot be downloaded (offline, no apt lists): the test suite skips then.
if ! (cd "$work" && apt-get download -q "$PKG" >"$work/apt.log" 2>&1); then
  echo "update-docker-default: apt-get download $PKG failed: $(grep -m1 '^E:' "$work/apt.log" || tail -n1 "$work/apt.log")" >&2
  exit 3
fi
deb=$(ls "$work"/*.deb)
version=$(dpkg-deb -f "$deb" Version)
dpkg-deb -x "$deb" "$work/x"
src=$work/x/$MEMBER
[ -f "$src" ] || { echo "update-docker-default: $MEMBER not in $PKG $version" >&2; exit 1; }
sha=$(sha256sum "$src" | cut -d' ' -f1)

if [ $check = 1 ]; then
  if cmp -s "$src" "$out_json"; then
    echo "docker default seccomp profile: committed copy matches $PKG $version (sha256 $sha)"
    exit 0
  fi
  echo "docker default seccomp profile: committed copy differs from $PKG $version" >&2
  exit 1
fi

cp "$src" "$out_json"
cat >"$out_prov" <<PROV
# Docker's default seccomp profile, extracted by scripts/update-docker-default.sh.
package=$PKG
version=$version
path=/$MEMBER
sha256=$sha
PROV
echo "wrote $out_json ($PKG $version, sha256 $sha)"
