#!/bin/sh
# gdb-20x.sh [BUILD_DIR] [ROUNDS] [TEST...] — the debugger tests' repeat run (issue 11: "the gdb
# tests run 20 times in a row in the full run and pass every time"): every test of the meson suite
# `gdb` (or only the TESTs named), in ROUNDS (default 20) rounds one after the other, each round a
# `meson test --suite gdb`.  The suite's own `gdb-repeat` runs the tests without Linux this way
# (they fit in `./dev.sh test`); the whole suite, Linux boots included, takes about 40 minutes
# and is run by hand.  meson's
# own --repeat stops at the first failure; this goes on, so the summary says how often each test
# failed.  Per round one line; at the end one line per test that did not pass every time and the
# summary line
#   gdb-20x: 20 rounds of 9 tests in 1234 s: 180 passed, 0 failed, 0 skipped
# The logs of round N are BUILD_DIR/meson-logs/gdb-20x-N.{txt,json}.  Exit status 0 only when every
# run passed; a skip (no gdb, no kernel) is counted, and fails the run only under CI=true, as
# elsewhere in the tests.
set -eu
build=${1:-build}
rounds=${2:-20}
[ -f "$build/build.ninja" ] || { echo "gdb-20x.sh: $build is not a meson build directory" >&2; exit 2; }
case "$rounds" in ''|*[!0-9]*|0) echo "gdb-20x.sh: ROUNDS must be a positive number" >&2; exit 2 ;; esac
[ $# -gt 2 ] || ninja -C "$build" >/dev/null   # named tests: run from meson test, built already
shift $(($# < 2 ? $# : 2))
exec python3 - "$build" "$rounds" "$@" <<'PY'
import json, os, subprocess, sys, time

build, rounds, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
runs = {}            # test name -> list of results, one per round
t0 = time.monotonic()
for n in range(1, rounds + 1):
    base = "gdb-20x-%d" % n
    log = os.path.join(build, "meson-logs", base + ".json")
    if os.path.exists(log):
        os.remove(log)
    r0 = time.monotonic()
    cmd = ["meson", "test", "-C", build, "--suite", "gdb", "--no-rebuild", "--logbase", base]
    if names:
        cmd += ["--num-processes", "1"] + names
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = []
    if os.path.exists(log):
        with open(log) as f:
            results = [json.loads(line) for line in f if line.strip()]
    if not results:
        sys.exit("gdb-20x.sh: round %d ran no test (see %s)" % (n, log.replace(".json", ".txt")))
    for t in results:
        name = t["name"].split(" / ")[-1]
        runs.setdefault(name, []).append(t["result"])
    bad = ["%s %s" % (t["name"].split(" / ")[-1], t["result"]) for t in results if t["result"] not in ("OK", "SKIP")]
    print("round %2d: %d tests, %.0f s%s" % (n, len(results), time.monotonic() - r0,
                                              (": " + ", ".join(bad)) if bad else ""), flush=True)
passed = sum(r.count("OK") for r in runs.values())
skipped = sum(r.count("SKIP") for r in runs.values())
failed = sum(len(r) for r in runs.values()) - passed - skipped
for name, r in sorted(runs.items()):
    if r.count("OK") != rounds:
        print("  %s: %d of %d passed (%s)" % (name, r.count("OK"), rounds,
                                           ", ".join(sorted({x for x in r if x != "OK"}))))
print("gdb-20x: %d rounds of %d tests in %.0f s: %d passed, %d failed, %d skipped"
      % (rounds, len(runs), time.monotonic() - t0, passed, failed, skipped))
sys.exit(1 if failed or (skipped and os.environ.get("CI") == "true") else 0)
PY
