#!/bin/sh
# screen-test.sh -- screenshots of a guest ROM at fixed instruction counts (-screendump-at).
# usage: screen-test.sh SOFTVISOR PNGCHECK ROM text|vbe EXPECTED_TXT
#   text: tests/guest/vga-text.bin; the text dump must equal EXPECTED_TXT, the PNG be 720x400 with
#         the blue title bar, the yellow blocks and the cursor where the guest put them
#   vbe:  tests/guest/vga-vbe.bin; the PNG must be 320x200 and hold the guest's pattern exactly
#   vgabios: tests/guest/vgabios.bin (Debian's VGA BIOS sets mode 3 and prints); the text dump
#         must equal EXPECTED_TXT, the PNG be 720x400 with the BIOS font's glyphs drawn
# The dumps of two runs must be identical (the screen is a function of the instruction count).
set -u
sv=$1 pngcheck=$2 rom=$3 kind=$4 expected=${5:-}
dir=$(mktemp -d "${TMPDIR:-/tmp}/screen-test.XXXXXX") || exit 2
trap 'rm -rf "$dir"' EXIT
fail() { echo "screen-test ($kind): FAIL: $*"; exit 1; }
at=900000
[ "$kind" = vgabios ] && at=1200000
for run in 1 2; do
    "$sv" -display none -bios "$rom" -debugcon "file:$dir/log$run" \
        -screendump-at $at "$dir/s$run.png" -screendump-at $at "$dir/s$run.txt"
    st=$?
    [ $st -eq 33 ] || fail "softvisor exited with $st: $(cat "$dir/log$run")"
done
cmp -s "$dir/s1.png" "$dir/s2.png" || fail "two runs gave different PNG screenshots"
case "$kind" in
text)
    diff -u "$expected" "$dir/s1.txt" || fail "text screen differs"
    # title bar: white-on-blue cell background at 0,0; block row 2 (y 32-47) yellow; the
    # cursor underline (rows 13-14 of the cell at row 4, column 0); black elsewhere
    "$pngcheck" "$dir/s1.png" 0,0=0000aa 206,15=0000aa 0,32=ffff55 89,47=ffff55 90,32=000000 \
        0,77=aaaaaa 8,78=aaaaaa 0,76=000000 719,399=000000 | grep -qx "720x400" \
        || { "$pngcheck" "$dir/s1.png" 0,0=0000aa 206,15=0000aa 0,32=ffff55 89,47=ffff55 90,32=000000 \
             0,77=aaaaaa 8,78=aaaaaa 0,76=000000 719,399=000000; fail "PNG check"; }
    ;;
vgabios)
    diff -u "$expected" "$dir/s1.txt" || fail "text screen differs"
    out=$("$pngcheck" "$dir/s1.png" --lit 200 0,0=000000) || fail "PNG check: $out"
    [ "$(echo "$out" | head -n 1)" = "720x400" ] || fail "PNG size $out"
    ;;
vbe)
    grep -qx "(graphics 320x200)" "$dir/s1.txt" || fail "text dump of a VBE screen: $(cat "$dir/s1.txt")"
    out=$("$pngcheck" "$dir/s1.png" --vbe-pattern) || fail "PNG pattern: $out"
    [ "$(echo "$out" | head -n 1)" = "320x200" ] || fail "PNG size $out"
    ;;
esac
echo "screen-test ($kind): PASS"
