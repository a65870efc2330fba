#!/bin/sh
# replay-linux.sh BUILD_DIR [N] — issue 10's Linux record/replay test: boots Debian's amd64
# kernel with the shell initramfs (as tests/linux/run-interactive.sh and `./dev.sh run`) under
# -record with -rtc base=now on a pseudo-terminal, types commands one byte at a time at random
# host delays (`cat /proc/uptime`, `date`, arithmetic), then `poweroff -f`; then replays the log
# N times (default 1): every replay must end "replay complete" (every periodic state hash and
# the final count and hash as recorded), print byte for byte the same serial output as the other
# replays, and the recording's output (compared without CRs: the recording went through the
# terminal's LF -> CR LF).  Replays alternate over the execution tiers (-jit off and -jit
# on; the recording used the default, the JIT), so a log recorded on one replays on the other.
# Last, a replay with -replay-corrupt 2^30 must report a divergence in the next hash interval.
# Last line "N passed, M failed".  SOFTVISOR_LINUX_TIMEOUT bounds each boot (default 900 s).
set -eu
[ $# -ge 1 ] || { echo "usage: replay-linux.sh BUILD_DIR [N]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
n=${2:-1}
mkdir -p "$build/linux"
kdir=$("$here/../linux/fetch.sh" amd64 | tail -n 1)
initrd="$build/linux/initramfs-shell-amd64.cpio.gz"
(
    flock 9
    if [ ! -s "$initrd" ] || [ "$here/../linux/mkinitramfs.sh" -nt "$initrd" ] || [ "$kdir/busybox-amd64" -nt "$initrd" ]; then
        "$here/../linux/mkinitramfs.sh" --arch amd64 --mode shell "$initrd"
    fi
) 9>"$build/linux/.lock-shell"
exec python3 "$here/replay-linux.py" "$build/frontends/softvisor" "$kdir/vmlinuz-amd64" "$initrd" "$n"
