#!/usr/bin/env bash
# Writes the fuzz targets' binary seeds into DIR/<target without fuzz_>/ (default
# build-fuzz/seeds): they are generated, never checked in. Used by scripts/test.sh and
# scripts/fuzz-long.sh.
#   elf:     fuzz/make_elf_seeds.py (hand-made ELF files, and the inputs that once failed,
#            from fuzz/regressions/elf/*.hex)
#   ldcache: a small /etc/ld.so.cache that the real ldconfig writes for a root holding two
#            libraries of different classes
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="${1:-build-fuzz/seeds}"
python3 fuzz/make_elf_seeds.py "$out/elf" > /dev/null
ldroot="$(mktemp -d)"
trap 'rm -rf "$ldroot"' EXIT
mkdir -p "$ldroot/lib" "$ldroot/etc" "$out/ldcache"
cp /lib/x86_64-linux-gnu/libz.so.1 "$ldroot/lib/"
if [ -e /lib32/libc.so.6 ]; then cp /lib32/libc.so.6 "$ldroot/lib/libc32.so.6"; fi
echo /lib > "$ldroot/etc/ld.so.conf"
/sbin/ldconfig -r "$ldroot" -X
cp "$ldroot/etc/ld.so.cache" "$out/ldcache/small"
