#!/bin/sh
# fetch.sh [--refresh] [amd64|i386|all] — fetches Debian 12's kernels and busybox-static with
# apt-get (nothing else), into the cache ${SOFTVISOR_CACHE:-${HOME:-/tmp}/.cache/softvisor}:
#   debs/      the downloaded .deb files (reused when present)
#   linux/     vmlinuz-amd64, vmlinuz-686, vmlinuz-686-pae, busybox-amd64, busybox-i386
#              (unpacked with dpkg-deb --fsys-tarfile | tar) and versions.txt naming the packages used.
# amd64 (default: all): linux-image-amd64 resolved to its linux-image-6.1.0-N-amd64 and
# busybox-static.  i386: after `dpkg --add-architecture i386`, linux-image-686,
# linux-image-686-pae (each resolved the same way) and busybox-static:i386.
# When everything asked for is already extracted, apt is not consulted at all (--refresh does).
# Prints the linux/ directory on stdout; progress goes to stderr.  Needs root only when it has
# to download (apt-get update, dpkg --add-architecture).
set -eu

refresh=0
if [ "${1:-}" = "--refresh" ]; then refresh=1; shift; fi
what=${1:-all}
case "$what" in amd64|i386|all) ;; *) echo "usage: fetch.sh [--refresh] [amd64|i386|all]" >&2; exit 2;; esac

cache=${SOFTVISOR_CACHE:-${HOME:-/tmp}/.cache/softvisor}
debs=$cache/debs
out=$cache/linux
mkdir -p "$debs" "$out"

say() { echo "fetch.sh: $*" >&2; }
die() { echo "fetch.sh: ERROR: $*" >&2; exit 1; }

want=""
case "$what" in
amd64) want="vmlinuz-amd64 busybox-amd64" ;;
i386)  want="vmlinuz-686 vmlinuz-686-pae busybox-i386" ;;
all)   want="vmlinuz-amd64 busybox-amd64 vmlinuz-686 vmlinuz-686-pae busybox-i386" ;;
esac

missing=0
for f in $want; do [ -s "$out/$f" ] || missing=1; done
if [ $missing -eq 0 ] && [ $refresh -eq 0 ]; then
    echo "$out"
    exit 0
fi

command -v apt-get >/dev/null && command -v apt-cache >/dev/null && command -v dpkg-deb >/dev/null \
    || die "apt-get, apt-cache and dpkg-deb are needed (a Debian system)"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

updated=0
apt_update() {
    [ $updated -eq 1 ] && return 0
    updated=1
    say "apt-get update"
    # A mirror-sync error for one index makes apt-get update fail although the rest of the lists
    # were refreshed; whether a package can be had is decided below, by apt-cache, not here.
    $SUDO apt-get update -qq >&2 || say "apt-get update reported errors (continuing; packages are checked one by one)"
}

# has_candidate PKG: apt knows a version of PKG that can be downloaded.
has_candidate() {
    apt-cache policy "$1" 2>/dev/null | grep -q '^ *Candidate: [^(]'
}

# ensure_known PKG: PKG has a candidate, after an apt-get update if needed.
ensure_known() {
    has_candidate "$1" && return 0
    apt_update
    has_candidate "$1" || die "package $1 cannot be had from the configured apt sources (apt-cache policy $1 shows no candidate)"
}

# resolve META ARCHSUFFIX: the linux-image-6.1.0-N-FLAVOUR package a meta package depends on.
resolve() {
    ensure_known "$1"
    real=$(apt-cache depends "$1" 2>/dev/null \
           | sed -n 's/^ *Depends: \(linux-image-[0-9][^ :]*\).*/\1/p' | head -n 1)
    [ -n "$real" ] || die "cannot resolve $1 to a linux-image-<version>-<flavour> package (apt-cache depends $1)"
    echo "$real$2"
}

# download PKG: the .deb of PKG's candidate version in $debs (reused when present); prints its path.
download() {
    ensure_known "$1"
    ver=$(apt-cache policy "$1" | sed -n 's/^ *Candidate: //p' | head -n 1)
    name=${1%%:*}
    arch=${1#*:}
    [ "$arch" = "$1" ] && arch=$(dpkg --print-architecture)
    # apt-get download names files NAME_VERSION_ARCH.deb with ':' in the version as %3a.
    file="$debs/${name}_$(echo "$ver" | sed 's/:/%3a/g')_$arch.deb"
    if [ ! -s "$file" ]; then
        say "downloading $1 ($ver)"
        # apt-get download as root warns that the _apt user cannot write here: harmless.
        (cd "$debs" && apt-get download -q "$1=$ver" >&2) || die "apt-get download $1=$ver failed"
        [ -s "$file" ] || die "apt-get download $1 did not produce $file"
    fi
    echo "$file"
}

# extract DEB MEMBER DEST: copies MEMBER (a path glob inside the package) to $out/DEST.
extract() {
    tmp=$(mktemp -d)
    # Only the member is unpacked (dpkg-deb -x would write the kernel's 300 MB of modules too).
    dpkg-deb --fsys-tarfile "$1" | tar -xf - -C "$tmp" --wildcards "./$2" \
        || { rm -rf "$tmp"; die "dpkg-deb --fsys-tarfile $1 | tar -x ./$2 failed"; }
    src=$(ls $tmp/$2 2>/dev/null | head -n 1)
    [ -n "$src" ] && [ -s "$src" ] || { rm -rf "$tmp"; die "$(basename "$1") holds no $2"; }
    cp "$src" "$out/$3.tmp" && mv "$out/$3.tmp" "$out/$3"
    rm -rf "$tmp"
    { grep -v "^$3 " "$out/versions.txt" 2>/dev/null || true; echo "$3 $(basename "$1")"; } >"$out/versions.new"
    sort "$out/versions.new" >"$out/versions.txt"
    rm -f "$out/versions.new"
}

if [ "$what" != "amd64" ]; then
    if ! dpkg --print-foreign-architectures | grep -qx i386; then
        say "dpkg --add-architecture i386"
        $SUDO dpkg --add-architecture i386
        updated=0
        apt_update
    fi
fi

if [ "$what" != "i386" ]; then
    k=$(resolve linux-image-amd64 "")
    extract "$(download "$k")" 'boot/vmlinuz-*' vmlinuz-amd64
    extract "$(download busybox-static)" 'bin/busybox' busybox-amd64
    chmod +x "$out/busybox-amd64"
fi
if [ "$what" != "amd64" ]; then
    k=$(resolve linux-image-686:i386 ":i386")
    extract "$(download "$k")" 'boot/vmlinuz-*' vmlinuz-686
    k=$(resolve linux-image-686-pae:i386 ":i386")
    extract "$(download "$k")" 'boot/vmlinuz-*' vmlinuz-686-pae
    extract "$(download busybox-static:i386)" 'bin/busybox' busybox-i386
    chmod +x "$out/busybox-i386"
fi
say "kernels and busybox in $out"
echo "$out"
