#!/bin/sh
# run-all.sh BUILDDIR — runs every meson test and ends with the line "N passed, M failed".
# Skipped tests (exit 77, e.g. conformance data absent outside CI) are counted and listed
# separately; they never count as passed.  Exit status 0 only when nothing failed.
set -u
builddir=${1:-build}
meson test -C "$builddir" --print-errorlogs --num-processes 2 >"$builddir/test-output.txt" 2>&1
rc=$?
cat "$builddir/test-output.txt" | grep -E "^ *[0-9]+/[0-9]+ " || true
python3 - "$builddir/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
names = []
fails = []
with open(sys.argv[1]) as f:
    for line in f:
        t = json.loads(line)
        r = t.get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
            names.append(t["name"])
        else:
            failed += 1
            fails.append(t)
# The end of each failed test's output, so that a CI log shows why without the build tree.
for t in fails:
    out = (t.get("stdout") or "").splitlines()
    print(f"--- {t['name']} ({t.get('result')}): last {min(len(out), 40)} lines of its output")
    for l in out[-40:]:
        print(l)
for n in names:
    print(f"NOT RUN (skipped): {n}")
tail = f", {skipped} skipped" if skipped else ""
print(f"{passed} passed, {failed} failed{tail}")
sys.exit(1 if failed else 0)
PY
py=$?
[ $py -ne 0 ] && exit 1
exit $rc
