#!/bin/sh
# memtest.sh SOFTVISOR -- Debian's memtest86+ (package memtest86+, its El Torito ISO
# /usr/lib/memtest86+/memtest86+x64.iso) boots from -cdrom through SeaBIOS (issue 12) and its
# screen shows the memory test running.  memtest86+ 6 draws its screen in VGA text mode (80x25,
# as under QEMU), so the check reads the characters of the VGA text buffer through
# -screendump-at at a fixed instruction count, after Enter on its start screen: its banner, a
# test number with its name, the "Testing" status, a progress bar, and no errors.  A second run
# must give the same screen (the run is a function of the instruction count: memtest's clock is
# the TSC, which follows it).
# Without the package (or SeaBIOS) the test is skipped with exit 77, outside CI; under CI=true
# missing data is a failure.
set -u
SV=${1:?usage: memtest.sh path/to/softvisor}
ISO=/usr/lib/memtest86+/memtest86+x64.iso
BIOS=/usr/share/seabios/bios-256k.bin
for f in "$ISO" "$BIOS"; do
    if [ ! -r "$f" ]; then
        need="install Debian's memtest86+ and seabios packages (./dev.sh setup)"
        [ "${CI:-}" = true ] && { echo "FAIL: $f missing under CI=true: $need"; exit 1; }
        echo "SKIP: $f missing: $need."
        echo "SKIP: memtest86+ was NOT tested."
        exit 77
    fi
done
T=$(mktemp -d /tmp/softvisor-memtest-XXXXXX)
trap 'rm -rf "$T"' EXIT

# SeaBIOS loads memtest from the CD at about 10^7 instructions; memtest shows its start screen
# ("<Enter> to start testing") and waits there for a key or for its own time-out.  The test
# presses Enter at 4 * 10^8 (the start screen is up from 3 * 10^8 on), as a user would, rather
# than depend on that time-out (it lasted past 2 * 10^9 once SeaBIOS stopped echoing its console
# to COM1 under a VGA); at 10^9 memtest is well into its fourth test (#3, moving inversions) on
# 256 MiB.
AT=1000000000
KEY_AT=400000000
run() {
    "$SV" -m 256M -cdrom "$ISO" -boot d -display none -serial none -pace off -icount-limit "$AT" \
        -sendkey-at "$KEY_AT" ret -screendump-at "$AT" "$T/$1.txt" < /dev/null > "$T/$1.out" 2>&1
}
run screen
rc=$?
fails=0
[ "$rc" -eq 3 ] || { echo "FAIL: exit status $rc, not 3 (instruction limit)"; cat "$T/screen.out"; fails=$((fails + 1)); }
for want in 'Memtest86+ v[0-9]' 'Memory  *: *256MB' 'Test #[0-9][0-9]* *\[[A-Za-z]' 'Status: Testing' \
            'Test *[0-9][0-9]*% #####' 'Errors: 0' 'Pass: *0'; do
    if ! grep -q "$want" "$T/screen.txt" 2> /dev/null; then
        echo "FAIL: the screen does not show '$want'"
        fails=$((fails + 1))
    fi
done
run again
if ! cmp -s "$T/screen.txt" "$T/again.txt"; then
    echo "FAIL: a second run shows a different screen"
    diff "$T/screen.txt" "$T/again.txt"
    fails=$((fails + 1))
fi
if [ "$fails" -ne 0 ]; then
    echo "--- screen at $AT:"
    cat "$T/screen.txt" 2> /dev/null
    exit 1
fi
grep 'Test #' "$T/screen.txt"
echo "ok: memtest86+ is testing memory on the screen at instruction $AT"
