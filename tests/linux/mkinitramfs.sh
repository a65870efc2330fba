#!/bin/sh
# mkinitramfs.sh [options] OUT.cpio.gz — builds a busybox initramfs (newc cpio, gzip) for the
# linux suite, `./dev.sh run` and bench/linuxboot.sh.
#   --arch amd64|i386     whose busybox goes in (default amd64)
#   --mode test|shell     test (default): /init mounts proc/sys/dev/tmpfs, prints
#                         SOFTVISOR-LINUX-START, runs /checks.sh (tests/linux/checks.sh) and
#                         compares its output with the answers computed on this host at build
#                         time, prints SOFTVISOR-LINUX-PASS or SOFTVISOR-LINUX-FAIL <checks>, and
#                         powers off (poweroff -f).
#                         shell: /init starts an interactive /bin/sh on the console
#                         (setsid cttyhack) and powers off when it exits.
#   --init FILE           use FILE as /init instead (a busybox sh script)
#   --add SRC=DEST        also put host file SRC at DEST in the initramfs (repeatable)
#   --busybox FILE        the guest busybox (default: $cache/linux/busybox-ARCH from fetch.sh)
#   --host-busybox FILE   the busybox that computes the expected answers on this host
#                         (default: $cache/linux/busybox-amd64).  The host cannot run i386 code,
#                         so an i386 initramfs gets the answers of the amd64 busybox; the two
#                         must be the same busybox version (checked from their version strings).
# The cpio is written by busybox's own cpio applet (host busybox, -o -H newc); device nodes
# /dev/console and /dev/null are created with mknod when running as root (otherwise /init
# opens the console after mounting devtmpfs).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=${SOFTVISOR_CACHE:-${HOME:-/tmp}/.cache/softvisor}

arch=amd64 mode=test init="" adds="" bb="" hostbb="" out=""
while [ $# -gt 0 ]; do
    case "$1" in
    --arch) arch=$2; shift 2 ;;
    --mode) mode=$2; shift 2 ;;
    --init) init=$2; shift 2 ;;
    --add) adds="$adds
$2"; shift 2 ;;
    --busybox) bb=$2; shift 2 ;;
    --host-busybox) hostbb=$2; shift 2 ;;
    -*) echo "mkinitramfs.sh: unknown option $1" >&2; exit 2 ;;
    *) out=$1; shift ;;
    esac
done
die() { echo "mkinitramfs.sh: ERROR: $*" >&2; exit 1; }
[ -n "$out" ] || die "usage: mkinitramfs.sh [--arch amd64|i386] [--mode test|shell] [--init FILE] [--add SRC=DEST] OUT.cpio.gz"
case "$arch" in amd64|i386) ;; *) die "--arch must be amd64 or i386" ;; esac
case "$mode" in test|shell) ;; *) die "--mode must be test or shell" ;; esac
[ -n "$bb" ] || bb=$cache/linux/busybox-$arch
[ -n "$hostbb" ] || hostbb=$cache/linux/busybox-amd64
[ -s "$bb" ] || die "no busybox at $bb (run tests/linux/fetch.sh)"
[ -x "$hostbb" ] || die "no host busybox at $hostbb (run tests/linux/fetch.sh amd64)"

bbversion() { grep -a -o -m 1 'BusyBox v[0-9][^)]*)' "$1" | head -n 1; }
gv=$(bbversion "$bb")
hv=$(bbversion "$hostbb")
[ -n "$gv" ] && [ "$gv" = "$hv" ] || die "guest busybox ($gv) and host busybox ($hv) differ: the expected answers would not be the guest's"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp" "$root/root" "$root/etc" "$tmp/app"
cp "$bb" "$root/bin/busybox"
chmod 755 "$root/bin/busybox"
# The applet list of the host busybox (the same version, hence the same Debian configuration).
hostbb=$(cd "$(dirname "$hostbb")" && pwd)/$(basename "$hostbb")
for a in $("$hostbb" --list); do
    [ "$a" = busybox ] && continue
    ln -s busybox "$root/bin/$a"
    ln -s "$hostbb" "$tmp/app/$a"
done
if [ "$(id -u)" -eq 0 ]; then
    mknod -m 600 "$root/dev/console" c 5 1
    mknod -m 666 "$root/dev/null" c 1 3
fi

# The part of /init common to all modes.
cat >"$tmp/init-head" <<'SH'
#!/bin/sh
export PATH=/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t tmpfs tmpfs /tmp
SH

if [ -n "$init" ]; then
    cp "$init" "$root/init"
elif [ "$mode" = test ]; then
    cp "$here/checks.sh" "$root/checks.sh"
    # The expected answers: the same script, run here by the host busybox alone (PATH holds
    # only its applets).
    env -i PATH="$tmp/app" "$hostbb" sh "$here/checks.sh" "$tmp/work" >"$root/expected.txt" 2>&1 \
        || die "the checks failed on the host"
    grep -q ': ' "$root/expected.txt" || die "the checks printed nothing on the host"
    { cat "$tmp/init-head"; cat <<'SH'; } >"$root/init"
echo "SOFTVISOR-LINUX-START $(uname -r) $(uname -m) $(grep MemTotal /proc/meminfo | tr -s ' ')"
sh /checks.sh /tmp/work >/tmp/got.txt 2>&1
if cmp -s /expected.txt /tmp/got.txt; then
    echo "SOFTVISOR-LINUX-PASS $(wc -l </expected.txt) checks"
else
    diff /expected.txt /tmp/got.txt
    echo "SOFTVISOR-LINUX-FAIL $(diff /expected.txt /tmp/got.txt | sed -n 's/^+\([a-z0-9-]*\): .*/\1/p' | tr '\n' ' ')"
fi
poweroff -f
echo "SOFTVISOR-LINUX-FAIL poweroff -f returned"
SH
else
    { cat "$tmp/init-head"; cat <<'SH'; } >"$root/init"
export PS1='softvisor:\w\$ '
echo "softvisor: busybox shell on $(uname -r) $(uname -m); 'poweroff -f' ends the VM"
setsid cttyhack sh
poweroff -f
SH
fi
chmod 755 "$root/init"

echo "$adds" | while IFS= read -r a; do
    [ -n "$a" ] || continue
    src=${a%%=*}
    dst=${a#*=}
    [ -f "$src" ] || die "--add: no file $src"
    mkdir -p "$root/$(dirname "$dst")"
    cp "$src" "$root/$dst"
    chmod 755 "$root/$dst"
done

# Reproducible archive: fixed mtimes, sorted names, owner root.
find "$root" -exec touch -h -d @1700000000 {} +
(cd "$root" && find . | LC_ALL=C sort | "$hostbb" cpio -o -H newc -R 0:0 2>/dev/null) \
    | "$hostbb" gzip -9 >"$out.tmp" || die "cpio/gzip failed"
mv "$out.tmp" "$out"
