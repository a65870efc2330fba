#!/bin/sh
# seabios_no_disk.sh SOFTVISOR -- with no -bios and no -kernel, softvisor boots SeaBIOS (Debian's
# seabios package), which finds no disk and says so.  Checked on the screen (the VGA text buffer
# through -screendump-at, after Debian's VGA BIOS set the text mode), on SeaBIOS's debug log on
# port 0x402 (-fwlog).  With a VGA its console stays off COM1, as on QEMU; with -nographic, and
# with -vga none, fw_cfg's etc/sercon-port sends it to COM1 too, where the same verdict must
# appear.  A second run must give the same bytes on the screen, the log and COM1.
set -u
SV=${1:?usage: seabios_no_disk.sh path/to/softvisor}
BIOS=/usr/share/seabios/bios-256k.bin
if [ ! -r "$BIOS" ]; then
    echo "SKIP: $BIOS missing (install Debian's seabios package: ./dev.sh setup)"
    exit 77
fi
T=$(mktemp -d /tmp/softvisor-display-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0

# SeaBIOS reaches "No bootable device." after about 5 million instructions.
"$SV" -m 128M -display none -serial file:"$T/com1.txt" -fwlog file:"$T/fw.log" -icount-limit 20000000 \
    -pace off -screendump-at 20000000 "$T/screen.txt" < /dev/null > "$T/out" 2> "$T/err"
rc=$?
[ "$rc" -eq 3 ] || { echo "FAIL: exit status $rc, not 3 (instruction limit)"; cat "$T/err"; fails=$((fails + 1)); }

# The debug log: the board as SeaBIOS sees it, in the order it reports it.
for want in 'SeaBIOS (version' 'Running on QEMU (i440fx)' 'Found QEMU fw_cfg' \
            'QEMU fw_cfg DMA interface supported' 'qemu/e820: addr 0x0000000000100000 len 0x0000000007f00000 \[RAM\]' \
            'PIIX3/PIIX4 init: elcr=00 0c' 'Using pmtimer, ioport 0x608' 'Found 1 cpu(s) max supported 1 cpu(s)' \
            'table(50434146)=' 'ACPI: parse DSDT' 'PS2 keyboard initialized' 'No bootable device.'; do
    if ! grep -q "$want" "$T/fw.log"; then
        echo "FAIL: the SeaBIOS log lacks '$want'"
        fails=$((fails + 1))
    fi
done
# No reboot loop: QEMU's etc/boot-fail-wait -1 makes SeaBIOS wait instead of retrying.
if grep -q 'Rebooting' "$T/fw.log"; then
    echo "FAIL: SeaBIOS rebooted"
    fails=$((fails + 1))
fi
# The screen: SeaBIOS's banner and its verdict in the VGA text buffer.
for want in '^SeaBIOS (version' '^No bootable device\.'; do
    if ! grep -q "$want" "$T/screen.txt" 2>/dev/null; then
        echo "FAIL: the screen does not show '$want'"
        fails=$((fails + 1))
    fi
done
# With a screen, SeaBIOS's console is not copied to COM1 (QEMU sets etc/sercon-port only when
# nobody sees a screen).
if grep -q 'No bootable device' "$T/com1.txt"; then
    echo "FAIL: with a VGA, SeaBIOS's console also went to COM1"
    fails=$((fails + 1))
fi
# Without one (-nographic; -vga none) it is: the verdict on COM1.
for opt in -nographic "-vga none"; do
    # shellcheck disable=SC2086
    "$SV" -m 128M $opt -serial file:"$T/com1n.txt" -icount-limit 20000000 -pace off \
        < /dev/null > /dev/null 2>&1
    if ! tr -d '\r' < "$T/com1n.txt" | grep -q '^No bootable device\.'; then
        echo "FAIL: with $opt, COM1 does not show 'No bootable device.'"
        cat -v "$T/com1n.txt"
        fails=$((fails + 1))
    fi
done
# The same run again is the same run (nothing from the host reaches the firmware).
"$SV" -m 128M -display none -serial file:"$T/com1b.txt" -fwlog file:"$T/fwb.log" -icount-limit 20000000 \
    -pace off -screendump-at 20000000 "$T/screenb.txt" < /dev/null > /dev/null 2>&1
if ! cmp -s "$T/fw.log" "$T/fwb.log" || ! cmp -s "$T/com1.txt" "$T/com1b.txt" || \
   ! cmp -s "$T/screen.txt" "$T/screenb.txt"; then
    echo "FAIL: a second run differs"
    fails=$((fails + 1))
fi
if [ "$fails" -ne 0 ]; then
    echo "--- SeaBIOS log:"; cat "$T/fw.log"
    echo "--- COM1:"; cat -v "$T/com1.txt"
    echo "--- screen:"; cat "$T/screen.txt" 2>/dev/null
    exit 1
fi
echo "ok: SeaBIOS booted, found no disk, and said so on the screen and its log, and on COM1 with -nographic and -vga none"
