#!/bin/sh
# fuzz-log.sh SOFTVISOR FUZZ_LOG ECHO_ROM [ITERATIONS] — records a short serial-echo run, then
# hands random mutations of that log to the parser and the replayer (fuzz_log.c), each in a
# forked child: none may crash or hang.
set -u
SV=${1:?usage: fuzz-log.sh SOFTVISOR FUZZ_LOG ECHO_ROM [ITERATIONS]}
FUZZ=${2:?usage}
ROM=${3:?usage}
T=$(mktemp -d /tmp/softvisor-fuzzlog-XXXXXX)
trap 'rm -rf "$T"' EXIT
printf 'fuzz me\nq' | timeout 60 "$SV" -m 32 -bios "$ROM" -record "$T/log" -record-hash-log2 4 > /dev/null 2>&1
[ -s "$T/log" ] || { echo "FAIL: no log recorded"; exit 1; }
"$FUZZ" "$T/log" "$ROM" "${4:-600}" 1
