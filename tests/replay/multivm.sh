#!/bin/sh
# multivm.sh BUILD_DIR MULTIVM — runs multivm.c (four amd64 Linux self-check boots on two threads
# in one process, then each alone) with Debian's amd64 kernel from the cache of
# tests/linux/fetch.sh and the self-check initramfs of tests/linux/mkinitramfs.sh --mode test
# (built here when missing or stale, under run-linux.sh's lock).  Without the cached kernel the
# test is skipped (exit 77); under CI=true that is a failure instead.
set -eu
[ $# -eq 2 ] || { echo "usage: multivm.sh BUILD_DIR MULTIVM" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
kdir=${SOFTVISOR_CACHE:-${HOME:-/tmp}/.cache/softvisor}/linux
if [ ! -s "$kdir/vmlinuz-amd64" ] || [ ! -s "$kdir/busybox-amd64" ]; then
    echo "multivm.sh: no amd64 kernel and busybox in $kdir (run tests/linux/fetch.sh amd64)"
    [ "${CI:-}" = true ] && exit 1
    exit 77
fi
mkdir -p "$build/linux"
initrd="$build/linux/initramfs-test-amd64.cpio.gz"
(
    flock 9
    if [ ! -s "$initrd" ] || [ "$here/../linux/mkinitramfs.sh" -nt "$initrd" ] ||
       [ "$here/../linux/checks.sh" -nt "$initrd" ] || [ "$kdir/busybox-amd64" -nt "$initrd" ]; then
        "$here/../linux/mkinitramfs.sh" --arch amd64 --mode test "$initrd"
    fi
) 9>"$build/linux/.lock"
start=$(date +%s)
status=0
"$2" "$kdir/vmlinuz-amd64" "$initrd" || status=$?
echo "multivm: $(($(date +%s) - start)) s"
exit $status
