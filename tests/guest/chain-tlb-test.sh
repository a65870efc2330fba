#!/bin/sh
# chain-tlb-test.sh SOFTVISOR ROM -- the JIT leaves the TLB as the interpreter does after a
# patched jump and an internal back-edge that follow an emptied jump cache (chain-tlb.asm, jit/chain.h).
# The guest is stopped with -icount-limit inside its spin loops in three of its measured rounds,
# once after the patched jump (spin_c, 0xF91xx) and once after the back-edge (spin_f, 0xF92xx);
# the state hash (which covers the TLB) must be the same under -jit off, under -jit on
# -jit-threshold 0 and under -jit on.  Before 83b9805 both JIT runs differed at every point.
# The counts come from the ROM's layout: a run under -jit off that stops elsewhere fails the test.
set -u
SV=${1:?usage: chain-tlb-test.sh SOFTVISOR ROM}
ROM=${2:?usage: chain-tlb-test.sh SOFTVISOR ROM}
fails=0
passes=0

# run N OPTIONS... -> "RIP HASH" of a run stopped after N instructions
run() {
    n=$1
    shift
    out=$(timeout 30 "$SV" -m 32 -no-reboot -bios "$ROM" -icount-limit "$n" -stats "$@" </dev/null 2>&1 >/dev/null)
    rc=$?
    [ "$rc" -eq 3 ] || { echo "status $rc: $out"; return; }
    echo "$(echo "$out" | sed -n 's/.*instruction limit reached at [0-9a-f]*:\([0-9a-f]*\).*/\1/p')" \
         "$(echo "$out" | sed -n 's/.*state hash \([0-9a-f]*\).*/\1/p')"
}

# round k of the measured phase starts at 14238 + 473 k; spin_c runs at +9..+212, spin_f at +268..+471
for point in 14821:000f91:patched-jump 15081:000f92:back-edge 37998:000f91:patched-jump \
             38258:000f92:back-edge 61175:000f91:patched-jump 61435:000f92:back-edge; do
    n=${point%%:*}
    rest=${point#*:}
    want_rip=${rest%%:*}
    what=${rest#*:}
    ref=$(run "$n" -jit off)
    case "$ref" in
        "$want_rip"??" "?*) ;;
        *) echo "FAIL $n: -jit off stopped at '$ref', not in the spin loop at ${want_rip}xx (the ROM's layout changed?)"
           fails=$((fails + 1)); continue ;;
    esac
    for tier in "-jit on -jit-threshold 0" "-jit on"; do
        got=$(run "$n" $tier)
        if [ "$got" = "$ref" ]; then
            echo "ok   $n ($what) $tier: $got"
            passes=$((passes + 1))
        else
            echo "FAIL $n ($what) $tier: '$got', -jit off: '$ref'"
            fails=$((fails + 1))
        fi
    done
done
echo "chain-tlb: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
