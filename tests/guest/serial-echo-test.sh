#!/bin/sh
# serial-echo-test.sh SOFTVISOR ECHO_ROM -- serial input from stdin (frontends/term.c): text piped
# into softvisor reaches the guest's COM1 receiver and comes back on stdout through the
# serial-echo guest, byte for byte, including more than a FIFO's worth; the guest exits through
# isa-debug-exit after 'q' (status 33).  Input that ends while the guest idles ends the run
# (status 0); two runs without input give the same output and instruction count.
set -u
SV=${1:?usage: serial-echo-test.sh SOFTVISOR ECHO_ROM}
ROM=${2:?usage: serial-echo-test.sh SOFTVISOR ECHO_ROM}
T=$(mktemp -d /tmp/softvisor-echo-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0

check() { # name condition-result message
    if [ "$2" -eq 0 ]; then echo "ok   $1"; else echo "FAIL $1: $3"; fails=$((fails + 1)); fi
}

printf 'hello, serial world\nq' > "$T/in1"
timeout 60 "$SV" -m 32 -bios "$ROM" < "$T/in1" > "$T/out1" 2> "$T/err1"
rc=$?
cmp -s "$T/in1" "$T/out1"; same=$?
check short_line_echoed "$(( rc != 33 || same != 0 ))" "status $rc, output '$(cat "$T/out1")'"

# 3000 bytes without a 'q', then 'q': the frontend holds bytes back while the FIFO is full
awk 'BEGIN { for (i = 0; i < 100; i++) printf "line %03d abcdefghijklmnoprstuvwxyz\n", i; printf "q" }' > "$T/in2"
timeout 60 "$SV" -m 32 -bios "$ROM" < "$T/in2" > "$T/out2" 2> "$T/err2"
rc=$?
cmp -s "$T/in2" "$T/out2"; same=$?
check long_input_echoed_without_loss "$(( rc != 33 || same != 0 ))" \
    "status $rc, $(wc -c < "$T/out2") of $(wc -c < "$T/in2") bytes back"

# no 'q': the guest idles after the echo and the run ends once stdin is exhausted
printf 'abc' | timeout 60 "$SV" -m 32 -bios "$ROM" > "$T/out3" 2> "$T/err3"
rc=$?
check eof_while_idle_ends_run "$(( rc != 0 ))" "status $rc, stderr '$(cat "$T/err3")'"
[ "$(cat "$T/out3")" = abc ]
check eof_while_idle_output_complete $? "output '$(cat "$T/out3")'"

# determinism: no input, identical runs
timeout 60 "$SV" -m 32 -bios "$ROM" -stats < /dev/null > "$T/out4" 2> "$T/err4"
timeout 60 "$SV" -m 32 -bios "$ROM" -stats < /dev/null > "$T/out5" 2> "$T/err5"
cmp -s "$T/out4" "$T/out5" && cmp -s "$T/err4" "$T/err5"
check no_input_runs_identical $? "stderr '$(cat "$T/err4")' vs '$(cat "$T/err5")'"

# the second -serial is COM2: stdin then feeds COM2, and COM1 (the echo guest's port) gets none
printf 'xyz' | timeout 60 "$SV" -m 32 -bios "$ROM" -serial "file:$T/com1" -serial stdio > "$T/out6" 2> "$T/err6"
rc=$?
check second_serial_is_com2 "$(( rc != 0 ))" "status $rc, stderr '$(cat "$T/err6")'"
[ ! -s "$T/com1" ] && [ ! -s "$T/out6" ]
check com1_gets_no_input_for_com2 $? "com1 '$(cat "$T/com1")', stdout '$(cat "$T/out6")'"

[ "$fails" -eq 0 ]
