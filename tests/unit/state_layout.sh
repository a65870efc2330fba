#!/bin/sh
# state_layout.sh TEST_STATE -- every member of every struct a state table describes (vm/state.h)
# is in its table or in its host-only list: the member names gdb reads from the debug information
# of TEST_STATE are compared with what `TEST_STATE --fields` prints.  test_state's byte coverage
# check misses a member added into an alignment hole; this one does not.  Skipped (77) without gdb.
set -u
T=${1:?usage: state_layout.sh path/to/test_state}
command -v gdb > /dev/null 2>&1 || { echo "gdb not installed: state layout not checked"; exit 77; }
exec python3 - "$T" <<'PY'
import re, subprocess, sys
t = sys.argv[1]
fields = subprocess.run([t, "--fields"], capture_output=True, text=True)
if fields.returncode != 0:
    sys.exit(f"state_layout: {t} --fields failed: {fields.stderr.strip()}")
listed = {}
for line in fields.stdout.split("\n"):
    if line:
        tag, name = line.split()
        listed.setdefault(tag, set()).add(name)
args = ["gdb", "-batch", "-nx", "-ex", "set max-value-size unlimited"]
for tag in sorted(listed):
    args += ["-ex", f"echo @@{tag}\\n", "-ex", f"ptype struct {tag}"]
out = subprocess.run(args + [t], capture_output=True, text=True).stdout
members, tag, depth = {}, None, 0
for line in out.split("\n"):
    if line.startswith("@@"):
        tag, depth = line[2:], 0
        members[tag] = set()
        continue
    if tag is None:
        continue
    if line.rstrip().endswith("{"):
        depth += 1
        continue
    if line.strip().startswith("}"):
        depth -= 1
        m = re.match(r"\s*}\s*(\w+)(\[[^\]]*\])*\s*;", line)   # a member of an unnamed struct type
        if depth == 1 and m:
            members[tag].add(m.group(1))
        continue
    if depth == 1 and line.strip().endswith(";"):
        m = re.search(r"\(\*(\w+)\)", line) or re.search(r"(\w+)(\[[^\]]*\])*\s*(:\s*\d+)?;\s*$", line)
        if m:
            members[tag].add(m.group(1))
bad = 0
for tag in sorted(listed):
    if not members.get(tag):
        print(f"FAIL struct {tag}: gdb found no members (no debug information?)")
        bad += 1
        continue
    for name in sorted(members[tag] - listed[tag]):
        print(f"FAIL struct {tag}: member '{name}' is neither in its state table nor host-only")
        bad += 1
    for name in sorted(listed[tag] - members[tag]):
        print(f"FAIL struct {tag}: table names '{name}', which is not a member")
        bad += 1
print(f"{len(listed)} structs checked, {bad} problems")
sys.exit(1 if bad else 0)
PY
