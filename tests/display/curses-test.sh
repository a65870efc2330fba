#!/bin/sh
# curses-test.sh -- -display curses on a pseudo-terminal (script(1)): the kbd-echo guest must
# read the key typed on the terminal (A: set 1 1E, 9E through the i8042) and the terminal must
# show the blank-screen notice (the guest never programs the VGA).
# usage: curses-test.sh SOFTVISOR KBD_ECHO_ROM
set -u
sv=$1 rom=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/curses-test.XXXXXX") || exit 2
trap 'rm -rf "$dir"' EXIT
# The key waits in the terminal's buffer until curses reads it, so its timing does not matter;
# stdin stays open until softvisor has ended.
mkfifo "$dir/in" || exit 2
(sleep 1; printf 'a'; exec sleep 60) >"$dir/in" &
feeder=$!
TERM=xterm timeout 60 script -qec "$sv -bios $rom -display curses -debugcon file:$dir/con" "$dir/tty" \
    <"$dir/in" >/dev/null 2>&1
st=$?
kill "$feeder" 2>/dev/null
grep -q "^1e 9e $" "$dir/con" && grep -q "kbd-echo: PASS" "$dir/con" \
    || { echo "curses-test: FAIL (status $st): $(cat "$dir/con")"; exit 1; }
grep -aq "blank screen 640x480" "$dir/tty" || { echo "curses-test: FAIL: no screen on the terminal"; exit 1; }
echo "curses-test: PASS"
