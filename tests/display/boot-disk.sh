#!/bin/sh
# boot-disk.sh SOFTVISOR BOOTSECT.ASM -- SeaBIOS boots from an IDE disk and from an ATAPI CD-ROM
# (issue 12).  The boot sector (bootsect.asm, assembled here with nasm) writes "BOOT-OK disk" or
# "BOOT-OK cd" to port 0xE9 (-debugcon) and through INT 10h to the VGA text screen (read with
# -screendump-at).  Cases: a raw disk image with -hda (default boot order cad: disk first); an
# El Torito no-emulation ISO built with xorriso with -cdrom -boot d; both media with
# -boot order=dc (the CD wins) and with no -boot (the disk wins).  The CMOS boot-order bytes carry
# the order to SeaBIOS as on QEMU's pc machine.  When qemu-system-x86_64 is installed, the same
# images and options run under QEMU (TCG) too and must print the same on its debug console.
set -u
SV=${1:?usage: boot-disk.sh path/to/softvisor path/to/bootsect.asm}
ASM=${2:?usage: boot-disk.sh path/to/softvisor path/to/bootsect.asm}
BIOS=/usr/share/seabios/bios-256k.bin
for need in nasm xorriso; do
    if ! command -v "$need" > /dev/null; then
        echo "SKIP: $need missing (./dev.sh setup)"
        exit 77
    fi
done
if [ ! -r "$BIOS" ]; then
    echo "SKIP: $BIOS missing (install Debian's seabios package: ./dev.sh setup)"
    exit 77
fi
T=$(mktemp -d /tmp/softvisor-boot-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0

nasm -f bin -o "$T/hd.bin" "$ASM" && nasm -f bin -DCD -o "$T/cd.bin" "$ASM" || { echo "FAIL: nasm"; exit 1; }
# A 1 MiB raw disk whose first sector is the boot sector.
truncate -s 1M "$T/hd.img" && dd if="$T/hd.bin" of="$T/hd.img" conv=notrunc 2> /dev/null || { echo "FAIL: disk image"; exit 1; }
mkdir "$T/iso" && cp "$T/cd.bin" "$T/iso/boot.bin" &&
    xorriso -as mkisofs -quiet -b boot.bin -no-emul-boot -boot-load-size 4 -o "$T/cd.iso" "$T/iso" 2> "$T/xorriso.err" ||
    { echo "FAIL: xorriso"; cat "$T/xorriso.err"; exit 1; }

# check NAME WANT ARGS... -- boots with ARGS and expects "BOOT-OK WANT" on the debug console and
# the screen (and on QEMU's debug console when it is installed).
check() {
    name=$1 want=$2
    shift 2
    # SeaBIOS with a disk reaches the boot sector after about 5 million instructions.
    "$SV" -m 128M -display none -debugcon file:"$T/$name.dc" -icount-limit 30000000 -pace off \
        -screendump-at 30000000 "$T/$name.txt" "$@" < /dev/null > "$T/$name.out" 2> "$T/$name.err"
    rc=$?
    ok=1
    [ "$rc" -eq 3 ] || { echo "FAIL: $name: exit status $rc, not 3 (instruction limit)"; ok=0; }
    if [ "$(tr -d '\r\n' < "$T/$name.dc" 2> /dev/null)" != "BOOT-OK $want" ]; then
        echo "FAIL: $name: the debug console shows '$(cat -v "$T/$name.dc" 2> /dev/null)', not 'BOOT-OK $want'"
        ok=0
    fi
    if ! grep -q "^BOOT-OK $want *\$" "$T/$name.txt" 2> /dev/null; then
        echo "FAIL: $name: the screen does not show 'BOOT-OK $want'"
        cat "$T/$name.txt" 2> /dev/null
        ok=0
    fi
    if command -v qemu-system-x86_64 > /dev/null; then
        # QEMU has no instruction limit here: the boot sector spins, so stop it after a while.
        timeout 15 qemu-system-x86_64 -accel tcg -m 128M -display none -debugcon file:"$T/$name.qdc" "$@" \
            < /dev/null > /dev/null 2>&1
        if [ "$(tr -d '\r\n' < "$T/$name.qdc" 2> /dev/null)" != "BOOT-OK $want" ]; then
            echo "FAIL: $name: QEMU's debug console shows '$(cat -v "$T/$name.qdc" 2> /dev/null)' (the test is wrong)"
            ok=0
        fi
    fi
    if [ "$ok" -eq 1 ]; then
        echo "ok: $name: BOOT-OK $want"
    else
        cat "$T/$name.err"
        fails=$((fails + 1))
    fi
}

check hda disk -hda "$T/hd.img"
check cdrom cd -cdrom "$T/cd.iso" -boot d
check order-dc cd -hda "$T/hd.img" -cdrom "$T/cd.iso" -boot order=dc
check default disk -hda "$T/hd.img" -cdrom "$T/cd.iso"
[ "$fails" -eq 0 ] || exit 1
