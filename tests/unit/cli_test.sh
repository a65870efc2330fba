#!/bin/sh
# cli_test.sh SOFTVISOR -- the command line's user-error tier (DESIGN.md, "Errors"): a bad flag,
# a missing or malformed file or size gives exactly one line on stderr starting "softvisor: ",
# nothing on stdout, exit status 2 (softvisor --help), and leaves no output file behind.
# Also checks that no -bios and no -kernel boots SeaBIOS (Debian's seabios package) with its log
# on -fwlog, and that a good command line runs: a 4 KiB BIOS whose reset vector does
#   mov al, 'A' / out 0xe9, al / mov al, 0x10 / out 0xf4, al / hlt
# exits with status (0x10 << 1) | 1 = 33 and writes "A" to the -debugcon file.
set -u
SV=${1:?usage: cli_test.sh path/to/softvisor}
T=$(mktemp -d /tmp/softvisor-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
n=0

# A 4 KiB ROM with `code` (octal escapes for printf) at offset 0xff0.
make_rom() { # file code
    head -c 4080 /dev/zero > "$1"
    printf "$2" >> "$1"
    size=$(wc -c < "$1")
    head -c $((4096 - size)) /dev/zero >> "$1"
}
make_rom "$T/ok.rom" '\260\101\346\351\260\020\346\364\364'
head -c 5000 /dev/zero > "$T/odd.rom"
: > "$T/empty.rom"
printf 'not a kernel' > "$T/junk.elf"

# expect_fail NAME [--no-file PATH] -- ARGS...
expect_fail() {
    name=$1; shift
    nofile=
    if [ "$1" = --no-file ]; then nofile=$2; shift 2; fi
    shift   # --
    n=$((n + 1))
    "$SV" "$@" > "$T/out" 2> "$T/err" < /dev/null
    rc=$?
    lines=$(wc -l < "$T/err")
    why=
    [ "$rc" -eq 2 ] || why="exit status $rc, not 2"
    [ "$rc" -lt 128 ] || why="killed by a signal (status $rc)"
    [ "$lines" -eq 1 ] || why="$why; $lines lines on stderr"
    head -n1 "$T/err" | grep -q '^softvisor: ' || why="$why; stderr does not start with 'softvisor: '"
    [ ! -s "$T/out" ] || why="$why; output on stdout"
    if [ -n "$nofile" ] && [ -e "$nofile" ]; then why="$why; left $nofile behind"; fi
    if [ -n "$why" ]; then
        echo "FAIL $name: $why"; sed 's/^/  stderr: /' "$T/err"
        fails=$((fails + 1))
    else
        echo "ok   $name: $(cat "$T/err")"
    fi
    mv "$T/err" "$T/err.last"; rm -f "$T/out"
}

expect_fail fwlog_unopenable -- -fwlog file:"$T/no/such/dir/log" -bios "$T/ok.rom"
expect_fail unknown_option -- -bios "$T/ok.rom" -frobnicate
expect_fail option_missing_argument -- -bios
expect_fail missing_bios_file -- -bios "$T/nope.rom"
expect_fail empty_bios_file -- -bios "$T/empty.rom"
expect_fail bios_not_multiple_of_4k -- -bios "$T/odd.rom"
expect_fail bios_is_directory -- -bios "$T"
grep -q "not a regular file" "$T/err.last" || { echo "FAIL bios_is_directory: message does not say it is not a regular file"; fails=$((fails + 1)); }
expect_fail missing_kernel_file -- -kernel "$T/nope.elf"
expect_fail kernel_without_multiboot_header -- -kernel "$T/junk.elf"
# A multiboot kernel (a.out kludge: header_addr = load_addr = 0x1FF000, whole file, bss up to
# 0x200000, entry 0x1FF020: hlt) that fills the last page of a 2 MiB guest: no room is left for
# the multiboot information, which must be refused, not written over the kernel or past RAM.
printf '\002\260\255\033\000\000\001\000\376\117\121\344\000\360\037\000\000\360\037\000' > "$T/top.mb"
printf '\000\000\000\000\000\000\040\000\040\360\037\000\364' >> "$T/top.mb"
expect_fail multiboot_no_room_for_info -- -m 2 -kernel "$T/top.mb"
grep -q "no room for the multiboot information" "$T/err.last" || { echo "FAIL multiboot_no_room_for_info: message does not say what has no room"; fails=$((fails + 1)); }
expect_fail memory_size_zero -- -m 0 -bios "$T/ok.rom"
expect_fail memory_size_not_a_number -- -m lots -bios "$T/ok.rom"
expect_fail memory_size_bad_suffix -- -m 128X -bios "$T/ok.rom"
expect_fail memory_size_trailing_junk -- -m 128MBjunk -bios "$T/ok.rom"
expect_fail memory_size_fraction -- -m 1.5G -bios "$T/ok.rom"
expect_fail memory_size_overflow -- -m 99999999999999999999 -bios "$T/ok.rom"
expect_fail memory_size_too_large -- -m 9999999G -bios "$T/ok.rom"
expect_fail memory_size_below_1mib -- -m 512K -bios "$T/ok.rom"
expect_fail icount_limit_not_a_number -- -icount-limit 12abc -bios "$T/ok.rom"
expect_fail unknown_log_item -- -d bogus -bios "$T/ok.rom"
expect_fail jit_neither_on_nor_off -- -jit yes -bios "$T/ok.rom"
expect_fail jit_threshold_not_a_number -- -jit on -jit-threshold many -bios "$T/ok.rom"
expect_fail jit_threshold_too_large -- -jit on -jit-threshold 4294967296 -bios "$T/ok.rom"
expect_fail jit_max_blocks_not_a_number -- -jit on -jit-max-blocks few -bios "$T/ok.rom"
expect_fail jit_log_without_jit -- -d jit -jit off -bios "$T/ok.rom"
expect_fail perf_map_without_jit -- -perf-map -jit off -bios "$T/ok.rom"
expect_fail jit_max_blocks_without_jit -- -jit-max-blocks 3 -jit off -bios "$T/ok.rom"
expect_fail rtc_missing_argument -- -bios "$T/ok.rom" -rtc
expect_fail rtc_not_a_base -- -rtc clock=vm -bios "$T/ok.rom"
expect_fail rtc_bad_date_format -- -rtc base=2026/01/01 -bios "$T/ok.rom"
expect_fail rtc_day_that_does_not_exist -- -rtc base=2026-02-29T00:00:00 -bios "$T/ok.rom"
expect_fail rtc_hour_out_of_range -- -rtc base=2026-01-01T24:00:00 -bios "$T/ok.rom"
expect_fail rtc_trailing_junk -- -rtc base=2026-01-01T00:00:00,clock=host -bios "$T/ok.rom"
grep -q "bad -rtc value" "$T/err.last" || { echo "FAIL rtc_trailing_junk: message does not name -rtc"; fails=$((fails + 1)); }
expect_fail pace_not_on_or_off -- -pace yes -bios "$T/ok.rom"
expect_fail pace_missing_argument -- -bios "$T/ok.rom" -pace
expect_fail gdb_bad_device -- -gdb serial:foo -bios "$T/ok.rom"
expect_fail gdb_tcp_without_port -- -gdb tcp:127.0.0.1: -bios "$T/ok.rom"
expect_fail gdb_port_not_a_number -- -gdb tcp::http -bios "$T/ok.rom"
expect_fail gdb_unix_unwritable -- -gdb unix:/nonexistent-dir/sock -bios "$T/ok.rom"
expect_fail monitor_not_stdio -- -monitor vc -bios "$T/ok.rom"
expect_fail debugcon_bad_device -- -debugcon bogus -bios "$T/ok.rom"
expect_fail debugcon_file_in_missing_directory -- -debugcon "file:$T/no/such/dir/out" -bios "$T/ok.rom"
expect_fail serial_file_in_missing_directory --no-file "$T/dc.txt" -- \
    -debugcon "file:$T/dc.txt" -serial "file:$T/no/such/dir/out" -bios "$T/ok.rom"
expect_fail debugcon_file_not_created_when_bios_bad --no-file "$T/dc2.txt" -- \
    -debugcon "file:$T/dc2.txt" -bios "$T/odd.rom"

# disk images: missing, empty, another format (the message names qemu-img convert), bad -drive
printf 'QFI\373' > "$T/disk.qcow2"
head -c 65536 /dev/zero >> "$T/disk.qcow2"
head -c 65536 /dev/zero > "$T/disk.raw"
expect_fail hda_missing_file -- -hda "$T/nope.img" -bios "$T/ok.rom"
expect_fail hda_empty_file -- -hda "$T/empty.rom" -bios "$T/ok.rom"
expect_fail hda_qcow2_refused -- -hda "$T/disk.qcow2" -bios "$T/ok.rom"
grep -q "qemu-img convert" "$T/err.last" || { echo "FAIL hda_qcow2_refused: message does not name qemu-img convert"; fails=$((fails + 1)); }
expect_fail drive_format_qcow2_refused -- -drive "file=$T/disk.raw,format=qcow2" -bios "$T/ok.rom"
expect_fail drive_unknown_key -- -drive "file=$T/disk.raw,cache=none" -bios "$T/ok.rom"
expect_fail drive_index_out_of_range -- -drive "file=$T/disk.raw,index=4" -bios "$T/ok.rom"
expect_fail drive_index_twice -- -hda "$T/disk.raw" -drive "file=$T/disk.raw,index=0" -bios "$T/ok.rom"
expect_fail drive_disk_without_file -- -drive media=disk -bios "$T/ok.rom"
expect_fail boot_order_bad_letter -- -boot order=c9 -bios "$T/ok.rom"
expect_fail boot_order_not_a_pc_device -- -boot order=ce -bios "$T/ok.rom"
expect_fail boot_order_more_than_three -- -boot order=cdan -bios "$T/ok.rom"

# an existing output file is not clobbered by a run that never starts
printf 'keep me' > "$T/keep.txt"
expect_fail existing_debugcon_file_kept_when_kernel_bad -- -debugcon "file:$T/keep.txt" -kernel "$T/junk.elf"
n=$((n + 1))
if [ "$(cat "$T/keep.txt")" != "keep me" ]; then
    echo "FAIL existing_debugcon_file_kept_when_kernel_bad: file now holds '$(cat "$T/keep.txt")'"
    fails=$((fails + 1))
fi

# a good command line runs, and -debugcon file: gets the output; also with the JIT translating
# every block at its first execution
printf 'stale contents' > "$T/dc3.txt"
for jit in off "on -jit-threshold 0"; do
    n=$((n + 1))
    # shellcheck disable=SC2086 # "$jit" holds several arguments
    "$SV" -bios "$T/ok.rom" -debugcon "file:$T/dc3.txt" -serial none -jit $jit > "$T/out" 2> "$T/err"
    rc=$?
    if [ "$rc" -ne 33 ] || [ "$(cat "$T/dc3.txt")" != "A" ]; then
        echo "FAIL good_bios_runs_to_debug_exit (-jit $jit): status $rc, debugcon '$(cat "$T/dc3.txt")'"
        sed 's/^/  stderr: /' "$T/err"
        fails=$((fails + 1))
    else
        echo "ok   good_bios_runs_to_debug_exit (-jit $jit)"
    fi
done

# -rtc base= sets the clock the guest reads: a ROM that reads CMOS year (register 9, BCD) and
# writes it to port 0xE9:  mov al, 9 / out 0x70, al / in al, 0x71 / out 0xe9, al / mov al, 0x10 /
# out 0xf4, al / hlt.  2041 reads 0x41 = 'A'; the default start (2026) reads 0x26 = '&'.
make_rom "$T/year.rom" '\260\011\346\160\344\161\346\351\260\020\346\364\364'
# base=now: the host's year, in BCD (0x26 = '&' in 2026)
now_year=$(printf "\\$(printf '%03o' "$((0x$(date -u +%y)))")")
for rtc in "base=2041-06-15T12:00:00:A" "base=2041-06-15:A" ":&" "base=now:$now_year"; do
    n=$((n + 1))
    arg=${rtc%:*}; want=${rtc##*:}
    if [ -n "$arg" ]; then set -- -rtc "$arg"; else set --; fi
    "$SV" "$@" -bios "$T/year.rom" -debugcon "file:$T/year.txt" -serial none > "$T/out" 2> "$T/err"
    rc=$?
    if [ "$rc" -ne 33 ] || [ "$(cat "$T/year.txt")" != "$want" ]; then
        echo "FAIL rtc_base_is_what_the_guest_reads ($arg): status $rc, debugcon '$(cat "$T/year.txt")'"
        fails=$((fails + 1))
    else
        echo "ok   rtc_base_is_what_the_guest_reads ($arg)"
    fi
done

# An ACPI sleep state the machine does not offer ends the run with status 4 and one message:
#   mov dx, 0x604 / mov ax, 0x2400 / out dx, ax    ; PM1a_CNT: SLP_TYP 1 (S3), SLP_EN
#   mov al, 0x10 / out 0xf4, al / hlt              ; not reached
make_rom "$T/s3.rom" '\272\004\006\270\000\044\357\260\020\346\364\364'
n=$((n + 1))
"$SV" -bios "$T/s3.rom" -serial none > "$T/out" 2> "$T/err"
rc=$?
if [ "$rc" -ne 4 ] || [ "$(wc -l < "$T/err")" -ne 1 ] || ! grep -q "^softvisor: .*sleep state S3 (SLP_TYP=1)" "$T/err"; then
    echo "FAIL sleep_request_ends_run_with_status_4: status $rc"; sed 's/^/  stderr: /' "$T/err"
    fails=$((fails + 1))
else
    echo "ok   sleep_request_ends_run_with_status_4: $(cat "$T/err")"
fi

# Snapshots (-savevm-at N FILE, -loadvm FILE): a ROM that counts in memory forever
#   l: inc word [0x500] / jmp l
make_rom "$T/loop.rom" '\377\006\000\005\353\372'
n=$((n + 1))
"$SV" -m 2 -bios "$T/loop.rom" -serial none -icount-limit 50000 -savevm-at 20000 "$T/snap.svs" -stats \
    > "$T/out" 2> "$T/err.save"
rc=$?
"$SV" -m 2 -bios "$T/loop.rom" -serial none -icount-limit 30000 -loadvm "$T/snap.svs" -stats \
    > "$T/out" 2> "$T/err.load"
rc2=$?
if [ "$rc" -ne 3 ] || [ "$rc2" -ne 3 ] || ! grep -q "50000 instructions retired" "$T/err.load" ||
   [ "$(grep 'state hash' "$T/err.save")" != "$(grep 'state hash' "$T/err.load")" ]; then
    echo "FAIL savevm_loadvm_same_end_state: status $rc/$rc2"; cat "$T/err.save" "$T/err.load" | sed 's/^/  stderr: /'
    fails=$((fails + 1))
else
    echo "ok   savevm_loadvm_same_end_state: $(grep 'state hash' "$T/err.load")"
fi
ls "$T"/snap.svs.tmp* > /dev/null 2>&1 && { echo "FAIL savevm left a temporary file"; fails=$((fails + 1)); }
expect_fail loadvm_missing_file -- -bios "$T/loop.rom" -loadvm "$T/nope.svs"
expect_fail loadvm_not_a_snapshot -- -bios "$T/loop.rom" -loadvm "$T/junk.elf"
expect_fail loadvm_other_ram_size -- -m 4 -bios "$T/loop.rom" -loadvm "$T/snap.svs"
grep -q "RAM" "$T/err.last" || { echo "FAIL loadvm_other_ram_size: message does not name the RAM size"; fails=$((fails + 1)); }
head -c $(($(wc -c < "$T/snap.svs") - 16)) "$T/snap.svs" > "$T/cut.svs"
expect_fail loadvm_truncated -- -m 2 -bios "$T/loop.rom" -icount-limit 100000 -loadvm "$T/cut.svs"
expect_fail savevm_at_missing_arguments -- -bios "$T/loop.rom" -savevm-at 100
expect_fail savevm_at_bad_number -- -bios "$T/loop.rom" -savevm-at 1x "$T/x.svs"
expect_fail savevm_at_after_the_run_ends --no-file "$T/late.svs" -- -bios "$T/ok.rom" -serial none \
    -savevm-at 1000000 "$T/late.svs"
expect_fail savevm_at_before_loaded_snapshot -- -m 2 -bios "$T/loop.rom" -loadvm "$T/snap.svs" \
    -savevm-at 10 "$T/early.svs"
expect_fail savevm_at_beyond_icount_limit --no-file "$T/far.svs" -- -bios "$T/loop.rom" -icount-limit 1000 \
    -savevm-at 1001 "$T/far.svs"
expect_fail savevm_into_missing_directory -- -bios "$T/loop.rom" -serial none -icount-limit 1000 \
    -savevm-at 100 "$T/no/such/dir/x.svs"
n=$((n + 1))
"$SV" -m 2 -bios "$T/loop.rom" -serial none -icount-limit 1000 -savevm-at 1000 "$T/end.svs" > "$T/out" 2> "$T/err"
rc=$?
if [ "$rc" -ne 3 ] || [ ! -s "$T/end.svs" ]; then
    echo "FAIL savevm_at_the_icount_limit: status $rc"; sed 's/^/  stderr: /' "$T/err"; fails=$((fails + 1))
else
    echo "ok   savevm_at_the_icount_limit"
fi

n=$((n + 1))
if "$SV" --help > "$T/out" 2>&1 && grep -q '^usage: softvisor' "$T/out"; then
    echo "ok   help_prints_usage"
else
    echo "FAIL help_prints_usage"; fails=$((fails + 1))
fi

# No -bios, no -kernel: SeaBIOS starts and logs on port 0x402 (-fwlog); the limit ends the run.
n=$((n + 1))
"$SV" -serial none -fwlog file:"$T/fw.log" -icount-limit 2000000 > "$T/out" 2> "$T/err"
rc=$?
if [ "$rc" -ne 3 ] || ! grep -q '^SeaBIOS (version' "$T/fw.log"; then
    echo "FAIL no_bios_no_kernel_boots_seabios: status $rc"; sed 's/^/  stderr: /' "$T/err"
    fails=$((fails + 1))
else
    echo "ok   no_bios_no_kernel_boots_seabios"
fi

echo "$((n - fails))/$n command-line checks passed"
[ "$fails" -eq 0 ]
