#!/bin/sh
# replay-guest.sh SOFTVISOR ECHO_ROM PIT_ROM — record/replay on small guests (issue 10 part B):
#   - serial-echo with piped input, recorded and replayed: same output, status, count; a run with
#     the same input and no log gives the same output and count as the recording (-record adds
#     nothing the guest can see);
#   - serial-echo typed on a pseudo-terminal at random host delays (pty-typing.py), recorded,
#     then replayed: the replay ends on the recorded final count and state hash, same output;
#   - the pit guest (55 M instructions) with a state hash every 2^20 instructions: replays
#     clean; -replay-corrupt N is reported as a divergence in the first hash interval after N;
#   - a recording killed with SIGKILL replays up to its last batch, then status 6;
#   - bad logs: cut short in the header or the events, bit flips, another format version,
#     another machine (RAM, ROM, seed, -append): one line on stderr, non-zero status.
# Cross-tier: every replay runs once per execution tier (TIERS: -jit off and -jit on), each
# replaying logs recorded with the default tier (the JIT).
set -u
SV=${1:?usage: replay-guest.sh SOFTVISOR ECHO_ROM PIT_ROM}
ECHO=${2:?usage: replay-guest.sh SOFTVISOR ECHO_ROM PIT_ROM}
PIT=${3:?usage: replay-guest.sh SOFTVISOR ECHO_ROM PIT_ROM}
here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/softvisor-replay-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
passes=0

check() { # name status message
    if [ "$2" -eq 0 ]; then echo "ok   $1"; passes=$((passes + 1)); else echo "FAIL $1: $3"; fails=$((fails + 1)); fi
}

# the execution tiers: the logs are recorded with the default tier (the JIT) and replayed on the
# interpreter (-jit off) and on the JIT (-jit on), so a log from one tier replays on the other
TIERS="interp"
"$SV" --help | grep -q -- '^ *-jit' && TIERS="interp jit"
tier_opts() { if [ "$1" = jit ]; then echo "-jit on"; elif [ "$TIERS" != interp ]; then echo "-jit off"; fi; }

# ---- serial-echo, piped input ----
printf 'hello, replay\nsecond line\nq' > "$T/in1"
timeout 60 "$SV" -m 32 -bios "$ECHO" -record "$T/echo.log" -stats < "$T/in1" > "$T/rec.out" 2> "$T/rec.err"
rc_rec=$?
check echo_recorded "$(( rc_rec != 33 ))" "status $rc_rec: $(cat "$T/rec.err")"
timeout 60 "$SV" -m 32 -bios "$ECHO" -stats < "$T/in1" > "$T/plain.out" 2> "$T/plain.err"
rc=$?
cmp -s "$T/rec.out" "$T/plain.out" && cmp -s "$T/rec.err" "$T/plain.err"
check echo_run_without_log_same_as_recorded "$(( $? != 0 || rc != rc_rec ))" \
    "status $rc vs $rc_rec, stderr '$(cat "$T/plain.err")' vs '$(cat "$T/rec.err")'"
for tier in $TIERS; do
    # stdin has bytes the guest would echo: a replay must not read them
    timeout 60 "$SV" -m 32 -bios "$ECHO" $(tier_opts "$tier") -replay "$T/echo.log" < "$T/in1" > "$T/rep.out" \
        2> "$T/rep.err"
    rc=$?
    cmp -s "$T/rec.out" "$T/rep.out" && grep -q "replay complete" "$T/rep.err"
    check "echo_replayed_same_output_$tier" "$(( $? != 0 || rc != 33 ))" \
        "status $rc, output '$(cat "$T/rep.out")', stderr '$(cat "$T/rep.err")'"
done

# ---- serial-echo typed on a pseudo-terminal at random delays ----
python3 "$here/pty-typing.py" "$SV" "$ECHO" "$T/pty.log" "$T/pty.out" > "$T/pty.msg" 2>&1
rc=$?
check echo_pty_recorded "$rc" "$(cat "$T/pty.msg")"
for tier in $TIERS; do
    timeout 60 "$SV" -m 32 -bios "$ECHO" $(tier_opts "$tier") -replay "$T/pty.log" < /dev/null > "$T/ptyrep.out" \
        2> "$T/ptyrep.err"
    rc=$?
    # the recording went through the terminal's output processing (LF -> CR LF): compare without CRs
    tr -d '\r' < "$T/pty.out" > "$T/a"
    tr -d '\r' < "$T/ptyrep.out" > "$T/b"
    cmp -s "$T/a" "$T/b" && grep -q "replay complete" "$T/ptyrep.err"
    check "echo_pty_replay_same_count_hash_output_$tier" "$(( $? != 0 || rc != 33 ))" \
        "status $rc, stderr '$(cat "$T/ptyrep.err")'"
done

# ---- pit guest: periodic hashes, corruption ----
timeout 120 "$SV" -m 32 -bios "$PIT" -record "$T/pit.log" -record-hash-log2 20 < /dev/null > "$T/pit.out" 2> "$T/pit.err"
rc_pit=$?
for tier in $TIERS; do
    timeout 120 "$SV" -m 32 -bios "$PIT" $(tier_opts "$tier") -replay "$T/pit.log" > "$T/pitrep.out" 2> "$T/pitrep.err"
    rc=$?
    cmp -s "$T/pit.out" "$T/pitrep.out" && grep -q "replay complete" "$T/pitrep.err"
    check "pit_replay_clean_$tier" "$(( $? != 0 || rc != rc_pit ))" "status $rc vs $rc_pit: $(cat "$T/pitrep.err")"
    for n in 1000000 20000000 41234567; do
        timeout 120 "$SV" -m 32 -bios "$PIT" $(tier_opts "$tier") -replay "$T/pit.log" -replay-corrupt $n \
            > /dev/null 2> "$T/cor.err"
        rc=$?
        line=$(grep "replay diverged between instruction" "$T/cor.err")
        a=$(echo "$line" | sed -n 's/.*between instruction \([0-9]*\) and \([0-9]*\).*/\1/p')
        b=$(echo "$line" | sed -n 's/.*between instruction \([0-9]*\) and \([0-9]*\).*/\2/p')
        # the hashes sit at the first slice start at or after each 2^20: slices are 2^22 long
        ok=1
        [ "$rc" -eq 5 ] && [ -n "$a" ] && [ "$a" -le "$n" ] && [ "$b" -ge "$n" ] && [ $((b - n)) -le 4194304 ] && ok=0
        check "pit_corrupt_${n}_reported_next_hash_$tier" "$ok" "status $rc: $(cat "$T/cor.err")"
    done
done

# ---- a recording killed with SIGKILL ----
mkfifo "$T/fifo"
"$SV" -m 32 -bios "$ECHO" -record "$T/kill.log" < "$T/fifo" > "$T/kill.out" 2>&1 &
pid=$!
exec 3> "$T/fifo"
printf 'abc' >&3
sleep 2
kill -KILL "$pid"
wait "$pid" 2>/dev/null
exec 3>&-
timeout 60 "$SV" -m 32 -bios "$ECHO" -replay "$T/kill.log" > "$T/killrep.out" 2> "$T/killrep.err"
rc=$?
[ "$(cat "$T/killrep.out")" = abc ] && grep -q "ended without its end record" "$T/killrep.err"
check killed_recording_replays_to_last_event "$(( $? != 0 || rc != 6 ))" \
    "status $rc, output '$(cat "$T/killrep.out")', stderr '$(cat "$T/killrep.err")'"

# ---- bad logs ----
bad() { # name expected-status log [options...]
    name=$1; want=$2; log=$3; shift 3
    timeout 60 "$SV" -m 32 -bios "$ECHO" "$@" -replay "$log" < /dev/null > "$T/bad.out" 2> "$T/bad.err"
    rc=$?
    lines=$(wc -l < "$T/bad.err")
    ok=1
    [ "$rc" -eq "$want" ] && [ "$lines" -eq 1 ] && ok=0
    check "$name" "$ok" "status $rc (want $want), $lines lines: $(cat "$T/bad.err")"
}
size=$(wc -c < "$T/echo.log")
hsize=$(grep -a -b -m1 '^header xxh3:' "$T/echo.log" | cut -d: -f1)
head -c 100 "$T/echo.log" > "$T/cut-header.log"
bad truncated_header_refused 2 "$T/cut-header.log"
head -c "$((hsize + 29))" "$T/echo.log" > "$T/cut-body0.log"
bad header_only_ends_early 6 "$T/cut-body0.log"
head -c "$((size - 8))" "$T/echo.log" > "$T/cut-end.log"
bad truncated_events_end_early 6 "$T/cut-end.log"
: > "$T/empty.log"
bad empty_log_refused 2 "$T/empty.log"
bad missing_log_refused 2 "$T/nonexistent.log"
# a bit flipped in the header (the RAM line), in the middle of the events, in the last byte
python3 - "$T/echo.log" "$T" "$hsize" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
out, hsize = sys.argv[2], int(sys.argv[3])
def put(name, d):
    open(f"{out}/{name}", "wb").write(d)
d = bytearray(data); i = d.index(b"ram ") + 5; d[i] ^= 1; put("flip-header.log", d)
d = bytearray(data); i = hsize + 30 + (len(data) - hsize - 30) // 2; d[i] ^= 0x10; put("flip-body.log", d)
d = bytearray(data); d[-1] ^= 0x80; put("flip-last.log", d)
d = data.replace(b"format 1\n", b"format 2\n", 1); put("format2.log", d)
PY
bad bitflip_header_refused 2 "$T/flip-header.log"
bad bitflip_events_refused 2 "$T/flip-body.log"
bad bitflip_last_byte_refused 2 "$T/flip-last.log"
bad other_format_version_refused 2 "$T/format2.log"
grep -q "format 2; this softvisor reads format 1" "$T/bad.err"
check other_format_version_named "$?" "$(cat "$T/bad.err")"
# another machine: the command line differs from the header
timeout 60 "$SV" -m 64 -bios "$ECHO" -replay "$T/echo.log" < /dev/null > /dev/null 2> "$T/bad.err"
rc=$?
grep -q "another machine: ram" "$T/bad.err" && [ "$rc" -eq 2 ] && [ "$(wc -l < "$T/bad.err")" -eq 1 ]
check other_ram_size_refused "$?" "status $rc: $(cat "$T/bad.err")"
timeout 60 "$SV" -m 32 -bios "$PIT" -replay "$T/echo.log" < /dev/null > /dev/null 2> "$T/bad.err"
rc=$?
grep -q "another machine: bios" "$T/bad.err" && [ "$rc" -eq 2 ]
check other_rom_refused "$?" "status $rc: $(cat "$T/bad.err")"
bad other_seed_refused 2 "$T/echo.log" -seed 7
bad other_rtc_refused 2 "$T/echo.log" -rtc base=2020-01-01
bad icount_limit_with_replay_refused 2 "$T/echo.log" -icount-limit 10

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
