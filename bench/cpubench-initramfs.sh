#!/bin/sh
# cpubench-initramfs.sh BUILDDIR OUT [SCALE] — the benchmark guest's initramfs (for linuxboot.sh
# and replay.sh): busybox whose /init mounts proc, sys and dev, runs bench/guest/cpubench SCALE
# on the console and powers off.
set -eu
builddir=$1 out=$2 scale=${3:-1}
here=$(cd "$(dirname "$0")" && pwd)
init=$(mktemp)
trap 'rm -f "$init"' EXIT
cat >"$init" <<SH
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
/bin/cpubench $scale
poweroff -f
SH
"$here/../tests/linux/mkinitramfs.sh" --arch amd64 --init "$init" --add "$builddir/bench/guest/cpubench=/bin/cpubench" "$out"
