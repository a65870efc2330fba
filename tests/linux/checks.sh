# checks.sh WORKDIR — the self-checks of the linux suite's initramfs, run by busybox sh.
# Prints one line "NAME: RESULT" per check.  mkinitramfs.sh runs this same file on the build host
# with the same busybox binary (for the i386 initramfs: the amd64 busybox of the same version,
# since the host cannot run i386 code) and stores the lines as the expected answers; the guest's
# /init runs it again and compares.  Everything is computed from data generated here, so the
# answers do not depend on the machine, only on the CPU executing the instructions correctly:
# hashes, gzip/bzip2, awk floating point, 64-bit shell arithmetic, sort/uniq, bc.
# Keep it cheap: it runs under an instruction interpreter.
set -u
mkdir -p "$1" && cd "$1" || exit 1

c() {
    name=$1
    shift
    printf '%s: %s\n' "$name" "$(eval "$*" 2>&1 | tr '\n' ' ')"
}

# Data: Park-Miller minimal standard generator (16807 * x < 2^53: exact in awk's doubles).
awk 'BEGIN { x = 20260101; w = "abcdefghijklmnopqrstuvwxyz";
             for (i = 0; i < 4000; i++) {
                 x = (16807 * x) % 2147483647;
                 printf "%d %d %08x %s\n", i, x, x, substr(w, x % 26 + 1, 1 + x % 7) } }' >data.txt

c data-wc         'wc -l -w -c <data.txt'
c data-md5        'md5sum <data.txt'
c data-sha1       'sha1sum <data.txt'
c data-sha256     'sha256sum <data.txt'
c data-sha512     'sha512sum <data.txt'
c data-sha3       'sha3sum <data.txt'
c data-crc32      'crc32 data.txt'
c head-od         'head -c 4096 data.txt | od -A x -t x4 | md5sum'

# Sorting.
c sort-key        'sort -k4,4 -k2,2n data.txt | md5sum'
c sort-rev        'sort -r -k3 data.txt | sha256sum'
c sort-uniq-count 'awk "{ print \$4 }" data.txt | sort | uniq -c | sort -k1,1nr -k2,2 | head -n 4'
c sort-unique     'cut -c1-3 data.txt | sort -u | wc -l'
c sort-numeric    'awk "{ print \$2 % 1000 }" data.txt | sort -n | uniq -d | md5sum'

# Text processing.
c sed-tr          'sed -e "s/\([a-f]\)\([0-9]\)/\2\1/g" data.txt | tr a-z n-za-m | sha256sum'
c grep-count      'grep -c "[0-9]ab*c" data.txt'
c tac-rev         'tac data.txt | rev | md5sum'

# Compression.
c gzip9-sha256    'gzip -9 -c <data.txt | sha256sum'
c gzip1-size      'gzip -1 -c <data.txt | wc -c'
c gzip-roundtrip  'gzip -c <data.txt | gunzip -c | cmp - data.txt && echo same'
c bzip2-sha256    'bzip2 -c <data.txt | sha256sum'
c bzip2-roundtrip 'bzip2 -c <data.txt | bunzip2 -c | cmp - data.txt && echo same'

# awk floating point.  Debian's busybox awk has no libm functions ("Math support is not compiled
# in"), so sqrt/exp/sin are computed here with Newton and Taylor steps in awk's doubles.
cat >fp.awk <<'AWK'
function fsqrt(x,    r, i) { r = x < 1 ? 1 : x; for (i = 0; i < 40; i++) r = (r + x / r) / 2; return r }
function fexp(x,    s, t, n) { s = 1; t = 1; for (n = 1; n < 40; n++) { t = t * x / n; s += t }; return s }
function fsin(x,    s, t, n) {
    while (x > 3.14159265358979) x -= 6.28318530717959
    s = x; t = x
    for (n = 1; n < 14; n++) { t = -t * x * x / ((2 * n) * (2 * n + 1)); s += t }
    return s
}
BEGIN {
    s = 0
    for (i = 1; i <= 200; i++) s += fsin(i / 10) * fexp(-i / 100) + fsqrt(i) / i
    printf "%.9f %.9f %.12e %.9g %.15g\n", s, fsqrt(2), fexp(1), fsin(1), 1 / 3
}
AWK
c awk-fp-series   'awk -f fp.awk'
c awk-column-sum  'awk "{ s += \$2 * 1.5; t += \$2 / (\$1 + 1) } END { printf \"%.4f %.6f\", s, t }" data.txt'
c awk-int-format  'awk "BEGIN { printf \"%d %x %o %.0f %.3e\", 9007199254740993, 4294967295, 511, 1e15 + 0.5, 7 / 3 }"'

# Shell arithmetic (64-bit, wrap-around on overflow).
arith() {
    for e in '0x7fffffffffffffff + 1' '-9223372036854775807 - 2' '123456789 * 987654321' \
             '(1 << 62) * 4' '1 << 63' '-7 % 3' '7 % -3' '-7 / 2' '0xdeadbeef ^ 0xcafebabe' \
             '~0' '-1 >> 1' '3 ** 39' '2 ** 62 + 2 ** 62' '-9223372036854775807 / 7' \
             '0x123456789abcdef * 16' '077 + 0x3f' '16#ff' '0x8000000000000000 / 3' \
             '(5 > 3) + (2 >= 3) * 10 + !0' 'x = 7, x *= 6, x'; do
        printf '[%s]' "$(( $e ))"
    done
}
c shell-arith     arith
loop() {
    i=0; s=1
    while [ $i -lt 1500 ]; do
        s=$(( (s * 6364136223846793005 + 1442695040888963407) ^ (s >> 29) ))
        i=$((i + 1))
    done
    echo $s
}
c shell-loop      loop
c expr            'expr 123456789 \* 1000 / 7 % 1000003'
c printf-conv     'printf "%x %o %d %5.2s|" 3735928559 511 -42 abcdef'

# Big numbers.
c factor          'factor 600851475143 9999999967 4294967297 18446744073709551615'
c bc-pi           'echo "scale=60; 4 * a(1)" | bc -l'
c bc-pow          'echo "2 ^ 300 % 1000000007; 3 ^ 200 / 7 ^ 90" | bc'
c dc-fact         'echo "1 1 sa [la * la 1 + d sa 40 >b] d sb x p" | dc' 2>&1

# Files on tmpfs: dd, cmp, a larger file.
c dd-slice        'dd if=data.txt bs=1000 skip=5 count=20 2>/dev/null | md5sum'
c dd-copy         'dd if=data.txt of=copy.txt bs=999 2>/dev/null && cmp data.txt copy.txt && echo same'
big() {
    i=0
    while [ $i -lt 6 ]; do
        cat data.txt
        i=$((i + 1))
    done >big.txt
    md5sum <big.txt
    gzip -c <big.txt | md5sum
    rm -f big.txt
}
c big-file        big
