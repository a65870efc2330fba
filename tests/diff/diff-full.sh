#!/bin/sh
# Full differential run: 1,000,000 cases of 64-bit code and 1,000,000 cases of 32-bit code
# (tests/diff/diff.c; 32-bit cases run natively as 32-bit code where the host can, which the line
# "32-bit oracle:" reports, else as the same bytes in 64-bit code, see diff.h).  Both kinds must end
# with 0 mismatches; the counts per mode are printed.
# Usage: tests/diff/diff-full.sh [BUILD_DIR] [extra diff_test args, e.g. --seed 42 --all]
# The seed is printed; replay one failing case with:
#   BUILD_DIR/tests/diff/diff_test --seed S --case K     (64-bit case K)
#   BUILD_DIR/tests/diff/diff_test --seed S --case32 K   (32-bit case K)
set -e
build=${1:-build}
[ $# -gt 0 ] && shift
seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
exec nice "$build/tests/diff/diff_test" --seed "$seed" --cases 1000000 --cases32 1000000 "$@"
