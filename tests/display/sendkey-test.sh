#!/bin/sh
# sendkey-test.sh SOFTVISOR KBD_ECHO_ROM -- -sendkey-at N KEYS (QEMU's sendkey key names) presses
# and releases the keys at instruction N through vm/input.c: the kbd-echo guest (which echoes the
# bytes it reads from the i8042 to port 0xE9 and passes on 9E, the set 1 break of A) reads
# shift-a as 2A 1E 9E; a -record of that run replays to the same output with no -sendkey-at (the
# keys are in the log); a key name QEMU does not know is refused (exit 2, a message naming it).
set -u
sv=${1:?usage: sendkey-test.sh SOFTVISOR KBD_ECHO_ROM}
rom=${2:?usage: sendkey-test.sh SOFTVISOR KBD_ECHO_ROM}
T=$(mktemp -d /tmp/softvisor-sendkey-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
# kbd-echo polls the controller from about 10^4 instructions on.
"$sv" -bios "$rom" -display none -pace off -debugcon file:"$T/con" -sendkey-at 200000 shift-a \
    -record "$T/log" < /dev/null > "$T/out" 2>&1
rc=$?
[ "$rc" -eq 33 ] || { echo "FAIL: exit status $rc, not 33 (the guest's PASS)"; cat "$T/out"; fails=$((fails + 1)); }
grep -q '^2a 1e 9e $' "$T/con" || { echo "FAIL: the guest read '$(cat "$T/con")', not 2a 1e 9e"; fails=$((fails + 1)); }
"$sv" -bios "$rom" -display none -debugcon file:"$T/con2" -replay "$T/log" < /dev/null > "$T/out2" 2>&1
rc=$?
[ "$rc" -eq 33 ] && cmp -s "$T/con" "$T/con2" ||
    { echo "FAIL: the replay (status $rc) differs"; cat "$T/out2" "$T/con2"; fails=$((fails + 1)); }
"$sv" -bios "$rom" -display none -sendkey-at 1 ctrl-enter < /dev/null > "$T/out3" 2>&1
rc=$?
[ "$rc" -eq 2 ] && grep -q "unknown key 'enter'" "$T/out3" ||
    { echo "FAIL: a bad key name gave status $rc:"; cat "$T/out3"; fails=$((fails + 1)); }
[ "$fails" -eq 0 ] || exit 1
echo "ok: -sendkey-at typed shift-a into the guest, recorded and replayed"
