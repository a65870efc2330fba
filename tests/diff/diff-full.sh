#!/bin/sh
# Full differential run: 1,000,000 cases (tests/diff/diff.c).
# Usage: tests/diff/diff-full.sh [BUILD_DIR] [extra diff_test args, e.g. --seed 42 --all]
# The seed is printed; replay one failing case with: BUILD_DIR/tests/diff/diff_test --seed S --case K
set -e
build=${1:-build}
[ $# -gt 0 ] && shift
seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
exec nice "$build/tests/diff/diff_test" --seed "$seed" --cases 1000000 "$@"
