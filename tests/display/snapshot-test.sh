#!/bin/sh
# snapshot-test.sh SOFTVISOR NAME SAVE_AT END_AT SCREEN ARGS... -- a snapshot saved in the middle of
# a run and loaded gives the run that never stopped (issue 10, item 3): three runs of ARGS to END_AT
# instructions (counted from power-on), each with -stats and a -serial/-fwlog file:
#   plain   the run as it is;
#   saved   the same with -savevm-at SAVE_AT: it must end exactly as the plain run (count, state
#           hash, exit status, serial and firmware output, screen), saving changes nothing;
#   loaded  -loadvm of that snapshot, run on to END_AT: it must end as the saved run, and its
#           serial and firmware output must be the tail of the saved run's.
# SCREEN yes: each run also dumps the screen at END_AT (text and PNG), which must be equal.
# ARGS must end the run by themselves at END_AT (an -icount-limit is added: END_AT minus the start).
# An argument HDA in ARGS becomes -hda of a 4 MiB zeroed raw image, one for all three runs: a
# snapshot does not hold the images, so the guest must only read it (SeaBIOS probes the disk and
# reads its boot sector).
set -u
SV=$1 name=$2 save_at=$3 end_at=$4 screen=$5
shift 5
T=$(mktemp -d /tmp/softvisor-snapshot-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL ($name): $*"; fails=$((fails + 1)); }
for a in "$@"; do
    shift
    if [ "$a" = HDA ]; then
        truncate -s 4M "$T/disk.img" || exit 1
        set -- "$@" -hda "$T/disk.img"
    else
        set -- "$@" "$a"
    fi
done

run() {   # run TAG LIMIT EXTRA...
    tag=$1 limit=$2
    shift 2
    dump=
    [ "$screen" = yes ] && dump="-screendump-at $end_at $T/$tag.png -screendump-at $end_at $T/$tag.txt"
    # shellcheck disable=SC2086
    "$SV" "$@" -serial file:"$T/$tag.com1" -fwlog file:"$T/$tag.fw" -icount-limit "$limit" -pace off \
        -display none -stats $dump < /dev/null > "$T/$tag.out" 2> "$T/$tag.err"
    echo $? > "$T/$tag.rc"
    grep -E '^softvisor: (state hash|[0-9]+ instructions retired)' "$T/$tag.err" > "$T/$tag.stats"
}

run plain "$end_at" "$@"
run saved "$end_at" "$@" -savevm-at "$save_at" "$T/snap.svs"
[ -s "$T/snap.svs" ] || fail "no snapshot written: $(cat "$T/saved.err")"
run loaded $((end_at - save_at)) "$@" -loadvm "$T/snap.svs"

[ "$(cat "$T/plain.rc")" = "$(cat "$T/saved.rc")" ] || fail "exit status $(cat "$T/plain.rc") plain, $(cat "$T/saved.rc") saved"
[ "$(cat "$T/saved.rc")" = "$(cat "$T/loaded.rc")" ] || fail "exit status $(cat "$T/saved.rc") saved, $(cat "$T/loaded.rc") loaded"
[ -s "$T/plain.stats" ] || fail "no -stats lines: $(cat "$T/plain.err")"
cmp -s "$T/plain.stats" "$T/saved.stats" || fail "saving changed the run: $(cat "$T/plain.stats" "$T/saved.stats")"
cmp -s "$T/saved.stats" "$T/loaded.stats" || fail "the loaded run ends elsewhere: $(cat "$T/saved.stats" "$T/loaded.stats")"
for out in com1 fw; do
    cmp -s "$T/plain.$out" "$T/saved.$out" || fail "saving changed the $out output"
    n=$(wc -c < "$T/loaded.$out")
    tail -c "$n" "$T/saved.$out" | cmp -s - "$T/loaded.$out" || fail "the loaded run's $out output is not the saved run's tail"
done
if [ "$screen" = yes ]; then
    for ext in png txt; do
        [ -s "$T/plain.$ext" ] || fail "no screen dump"
        cmp -s "$T/plain.$ext" "$T/saved.$ext" || fail "saving changed the screen ($ext)"
        cmp -s "$T/saved.$ext" "$T/loaded.$ext" || fail "the loaded run shows another screen ($ext)"
    done
fi
if [ "$fails" -ne 0 ]; then
    for tag in plain saved loaded; do echo "--- $tag: status $(cat "$T/$tag.rc")"; cat "$T/$tag.err"; done
    exit 1
fi
echo "ok ($name): saved at $save_at and loaded, the run ends as it does without the snapshot: $(tr '\n' ' ' < "$T/loaded.stats")"
