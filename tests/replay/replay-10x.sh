#!/bin/sh
# replay-10x.sh [BUILD_DIR] — the issue's full Linux check: record the amd64 shell boot typed into
# at random delays (replay-linux.sh), then replay it ten times: identical serial output, final
# count and hash each time, every periodic hash matching.  About eleven boots of CPU time: run by
# hand (the `replay` suite replays twice).
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/replay-linux.sh" "${1:-build}" 10
