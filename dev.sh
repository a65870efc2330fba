#!/bin/sh
# dev.sh — the two entry points of the README.
#   ./dev.sh run    install what is missing, build, fetch Debian 12's amd64 kernel and
#                   busybox-static (apt-get, tests/linux/fetch.sh), build a busybox initramfs and
#                   boot it to an interactive shell on this terminal ('poweroff -f' ends it)
#   ./dev.sh run-demo   install, build, boot the small demo guest (tests/guest/demo.asm)
#   ./dev.sh test   install what is missing, build, fetch the Linux guests (fetch.sh), run the
#                   whole test suite;
#                   the last line is "N passed, M failed"
# Both are idempotent.  Needs root (or sudo) only when packages are missing.
set -eu
cd "$(dirname "$0")"

PACKAGES="gcc meson ninja-build pkg-config nasm libzydis-dev libcapstone-dev check zlib1g-dev qemu-system-x86 acpica-tools libpng-dev libsdl2-dev libncurses-dev xvfb seabios libzstd-dev libxxhash-dev gdb xorriso e2fsprogs dosfstools mtools syslinux memtest86+ debian-installer-12-netboot-amd64 isolinux"

install_missing() {
    missing=""
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    echo "dev.sh: installing:$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
}

build() {
    if [ ! -f build/build.ninja ]; then
        meson setup build >/dev/null
    fi
    ninja -C build >/dev/null
}

cmd=${1:-}
case "$cmd" in
run)
    install_missing
    build
    kdir=$(./tests/linux/fetch.sh amd64 | tail -n 1)
    initrd=build/linux/initramfs-shell-amd64.cpio.gz
    if [ ! -s "$initrd" ] || [ tests/linux/mkinitramfs.sh -nt "$initrd" ] || [ "$kdir/busybox-amd64" -nt "$initrd" ]; then
        mkdir -p build/linux
        ./tests/linux/mkinitramfs.sh --arch amd64 --mode shell "$initrd"
    fi
    exec ./build/frontends/softvisor -m 256M -kernel "$kdir/vmlinuz-amd64" -initrd "$initrd" \
        -append "console=ttyS0"
    ;;
run-demo)
    install_missing
    build
    exec ./build/frontends/softvisor -m 32 -bios build/tests/guest/demo.bin
    ;;
test)
    install_missing
    build
    # Every Linux guest's kernels and busybox, fetched once before the suite starts: the display
    # and gdb tests that boot Linux skip without them (fail under CI=true), and two tests must not
    # download into the cache at the same time.
    ./tests/linux/fetch.sh all >/dev/null
    exec ./tests/run-all.sh build
    ;;
*)
    echo "usage: ./dev.sh run | run-demo | test" >&2
    exit 2
    ;;
esac
