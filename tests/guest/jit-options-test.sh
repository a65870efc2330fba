#!/bin/sh
# jit-options-test.sh SOFTVISOR ROM -- the JIT's debugging options on a guest test ROM that passes
# (status 33) and translates blocks at -jit-threshold 0 (tests/guest/smc.asm):
#   -stats        prints the JIT's counter lines;
#   -d jit        prints each translated block with its guest and host disassembly;
#   -perf-map     writes /tmp/perf-PID.map, one "START SIZE softvisor-jit:GUESTPC" line per block,
#                 as many lines as blocks translated;
#   -jit-max-blocks N   translates exactly min(N, all) blocks, the guest still passes, and the same
#                 N translates the same blocks in the same order in every run (what bisecting over
#                 N relies on: docs/internals.md, "Debugging a JIT bug").
set -u
SV=${1:?usage: jit-options-test.sh SOFTVISOR ROM}
ROM=${2:?usage: jit-options-test.sh SOFTVISOR ROM}
T=$(mktemp -d /tmp/softvisor-jitcli-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
n=0
ok() { n=$((n + 1)); echo "ok   $1"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL $1"; }

# run NAME ARGS... -- runs the ROM with the JIT at threshold 0; stderr in $T/NAME.err, status in $rc
run() {
    name=$1; shift
    "$SV" -m 32 -no-reboot -bios "$ROM" -debugcon none -serial none -jit on -jit-threshold 0 -stats "$@" \
        > "$T/$name.out" 2> "$T/$name.err" < /dev/null
    rc=$?
}

translated() { sed -n 's/^softvisor: jit: \([0-9]*\) blocks translated.*/\1/p' "$1"; }

run full
total=$(translated "$T/full.err")
if [ "$rc" -eq 33 ] && [ -n "$total" ] && [ "$total" -gt 4 ] &&
   grep -q '^softvisor: jit: .* guest instructions run in it: about .* native, .* handler calls' "$T/full.err" &&
   grep -q '^softvisor: jit: exits to the run loop: ' "$T/full.err" &&
   grep -q '^softvisor: jit: chain hit rate .* jump-cache hit rate .* [1-9][0-9]* TLB slow paths' "$T/full.err" &&
   grep -q '^softvisor: jit: [0-9]* SMC invalidations' "$T/full.err"; then
    ok "stats_print_the_jit_counters ($total blocks)"
else
    bad "stats_print_the_jit_counters (TLB slow paths counted): status $rc"; sed 's/^/  stderr: /' "$T/full.err"
fi

run log -d jit
blocks=$(grep -c '^jit: block [0-9]* at ' "$T/log.err")
if [ "$rc" -eq 33 ] && [ "$blocks" -eq "$total" ] && grep -q '^  guest [0-9a-f]*: ' "$T/log.err" &&
   grep -q '^  host  [0-9a-f]*: call ' "$T/log.err"; then
    ok "d_jit_disassembles_every_translated_block ($blocks)"
else
    bad "d_jit_disassembles_every_translated_block: status $rc, $blocks blocks of $total"
    head -20 "$T/log.err" | sed 's/^/  stderr: /'
fi

"$SV" -m 32 -no-reboot -bios "$ROM" -debugcon none -serial none -jit on -jit-threshold 0 -perf-map \
    > /dev/null 2>&1 < /dev/null &
pid=$!
wait "$pid"
rc=$?
map=/tmp/perf-$pid.map
lines=$(grep -c '^[0-9a-f]* [0-9a-f]* softvisor-jit:[0-9a-f]*$' "$map" 2>/dev/null)
all=$(wc -l < "$map" 2>/dev/null)
if [ "$rc" -eq 33 ] && [ "${lines:-0}" -eq "$total" ] && [ "${all:-0}" -eq "$total" ]; then
    ok "perf_map_names_every_translated_block ($map)"
else
    bad "perf_map_names_every_translated_block: status $rc, ${lines:-0} good lines of ${all:-0}, want $total"
fi
rm -f "$map"

half=$((total / 2))
for max in 0 1 "$half" $((total + 5)); do
    want=$max
    [ "$want" -gt "$total" ] && want=$total
    run "max$max" -jit-max-blocks "$max" -d jit
    got=$(translated "$T/max$max.err")
    if [ "$rc" -eq 33 ] && [ "$got" = "$want" ]; then
        ok "jit_max_blocks_${max}_translates_$want"
    else
        bad "jit_max_blocks_${max}_translates_$want: status $rc, $got blocks translated"
    fi
done
# The same N, the same blocks in the same order (the headers without host addresses).
run again -jit-max-blocks "$half" -d jit
headers() { grep '^jit: block ' "$1" | sed 's/ at 0x[0-9a-f]*$//'; }
if [ "$(headers "$T/max$half.err")" = "$(headers "$T/again.err")" ] && [ -n "$(headers "$T/again.err")" ]; then
    ok "jit_max_blocks_same_blocks_in_every_run"
else
    bad "jit_max_blocks_same_blocks_in_every_run"
fi

echo "$((n - fails))/$n JIT option checks passed"
[ "$fails" -eq 0 ]
