#!/bin/sh
# dev.sh — the two entry points of the README.
#   ./dev.sh run    install what is missing, build, boot the demo guest on this terminal
#   ./dev.sh test   install what is missing, build, run the whole test suite;
#                   the last line is "N passed, M failed"
# Both are idempotent.  Needs root (or sudo) only when packages are missing.
set -eu
cd "$(dirname "$0")"

PACKAGES="gcc meson ninja-build pkg-config nasm libzydis-dev libcapstone-dev check zlib1g-dev qemu-system-x86 acpica-tools"

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
    exec ./build/frontends/softvisor -m 32 -bios build/tests/guest/demo.bin
    ;;
test)
    install_missing
    build
    exec ./tests/run-all.sh build
    ;;
*)
    echo "usage: ./dev.sh run | test" >&2
    exit 2
    ;;
esac
