#!/bin/sh
# aml_header.sh IASL INPUT.asl PREFIX HEADER — compile an ASL source with iasl (acpica-tools) and
# write HEADER: the AML as a `static const unsigned char PREFIX_aml_code[]` C array.
# iasl's own C output (-tc, PREFIX.hex) declares a writable array and stamps the build date into a
# comment; the array is made const (no mutable globals) and the date dropped (reproducible builds).
# iasl's banner goes to the terminal only when the compilation fails (warnings count as errors).
set -eu
iasl=$1
in=$2
prefix=$3
header=$4
if ! log=$("$iasl" -vs -we -tc -p "$prefix" "$in" 2>&1); then
    printf '%s\n' "$log" >&2
    exit 1
fi
sed -e 's/^unsigned char /static const unsigned char /' -e '/Compilation of/d' "$prefix.hex" >"$header"
