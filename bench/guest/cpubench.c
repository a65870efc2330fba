/* cpubench.c — the in-guest CPU benchmark of bench/linuxboot.sh: a static x86-64 Linux program
 * (gcc -static -O2) that runs in the busybox initramfs and does integer work in four phases:
 *   sort    merge sort and an insertion-sort/quicksort hybrid over pseudo-random 32-bit keys
 *   hash    CRC-32 (table driven), FNV-1a 64 and a multiply-xorshift mix over a 1 MiB buffer
 *   lz      an LZ77 compressor (hash table of 4-byte prefixes, greedy matching) and its
 *           decompressor over generated text; the round trip is verified
 *   interp  a stack-machine bytecode interpreter (switch dispatch) running a prime sieve and a
 *           Collatz-length search written in its bytecode
 * Each phase prints "CPUBENCH-<phase> <checksum>" when it ends, between "CPUBENCH-BEGIN" and
 * "CPUBENCH-END <checksum>"; the host timestamps those lines as they arrive on the serial port.
 * All data comes from a fixed-seed xorshift64* generator, so the checksums are the same on every
 * correct x86-64 CPU.  argv[1] (default 1) scales the work of every phase.
 * Only stdio/stdlib/string from libc; no floating point; no mutable globals.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t s;
} Rng;

static uint64_t rng_next(Rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

static uint64_t mix64(uint64_t h, uint64_t v)
{
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 31);
}

static void mark(const char *phase, uint64_t sum)
{
    printf("CPUBENCH-%s %016llx\n", phase, (unsigned long long)sum);
    fflush(stdout);
}

/* ---- sort ---- */

static void sort_merge(uint32_t *a, uint32_t *tmp, size_t n)
{
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = a[j] < a[i] ? a[j++] : a[i++];
            while (i < mid)
                tmp[k++] = a[i++];
            while (j < hi)
                tmp[k++] = a[j++];
        }
        memcpy(a, tmp, n * sizeof *a);
    }
}

static void sort_quick(uint32_t *a, long lo, long hi)
{
    while (hi - lo > 16) {
        uint32_t x = a[lo], y = a[(lo + hi) / 2], z = a[hi];
        uint32_t p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p)
                i++;
            while (a[j] > p)
                j--;
            if (i <= j) {
                uint32_t t = a[i];
                a[i++] = a[j];
                a[j--] = t;
            }
        }
        if (j - lo < hi - i) {
            sort_quick(a, lo, j);
            lo = i;
        } else {
            sort_quick(a, i, hi);
            hi = j;
        }
    }
    for (long i = lo + 1; i <= hi; i++) {
        uint32_t v = a[i];
        long j = i - 1;
        while (j >= lo && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static uint64_t phase_sort(int scale)
{
    enum { N = 100000 };
    uint32_t *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b), *tmp = malloc(N * sizeof *tmp);
    if (!a || !b || !tmp)
        exit(1);
    Rng r = { 0x1234567887654321ull };
    uint64_t sum = 0;
    for (int round = 0; round < 6 * scale; round++) {
        for (size_t i = 0; i < N; i++)
            a[i] = b[i] = (uint32_t)(rng_next(&r) >> (round % 3 == 2 ? 48 : 32));
        sort_merge(a, tmp, N);
        sort_quick(b, 0, N - 1);
        for (size_t i = 0; i < N; i += 97)
            sum = mix64(sum, a[i] ^ ((uint64_t)b[N - 1 - i] << 32));
        if (memcmp(a, b, N * sizeof *a) != 0)
            sum = mix64(sum, 0xBAD);
    }
    free(a);
    free(b);
    free(tmp);
    return sum;
}

/* ---- hash ---- */

static uint64_t phase_hash(int scale)
{
    enum { N = 1 << 20 };
    uint8_t *buf = malloc(N);
    uint32_t crc_table[256];
    if (!buf)
        exit(1);
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    Rng r = { 0xC0FFEE0DDF00Dull };
    for (size_t i = 0; i < N; i += 8) {
        uint64_t v = rng_next(&r);
        memcpy(buf + i, &v, 8);
    }
    uint64_t sum = 0;
    for (int round = 0; round < 16 * scale; round++) {
        uint32_t crc = 0xFFFFFFFFu;
        for (size_t i = 0; i < N; i++)
            crc = crc_table[(crc ^ buf[i]) & 0xFF] ^ (crc >> 8);
        uint64_t fnv = 0xCBF29CE484222325ull;
        for (size_t i = 0; i < N; i++)
            fnv = (fnv ^ buf[i]) * 0x100000001B3ull;
        uint64_t m = (uint64_t)round;
        for (size_t i = 0; i < N; i += 8) {
            uint64_t v;
            memcpy(&v, buf + i, 8);
            m = mix64(m, v);
        }
        sum = mix64(mix64(mix64(sum, ~crc), fnv), m);
        buf[(size_t)(sum % N)] ^= (uint8_t)sum;   /* the next round hashes different data */
    }
    free(buf);
    return sum;
}

/* ---- lz ---- */

enum { LZ_MIN = 4, LZ_MAXLEN = 255 + LZ_MIN, LZ_HBITS = 14 };

/* Format: a literal run is a byte L - 1 (0..127) followed by L literals; a match is the byte
 * 0x80, then len - LZ_MIN (one byte), then the 16-bit little-endian distance (1..65535). */
static size_t lz_compress(const uint8_t *in, size_t n, uint8_t *out)
{
    uint32_t head[1 << LZ_HBITS];
    memset(head, 0xFF, sizeof head);
    size_t i = 0, o = 0, lit = 0;
    while (i < n) {
        size_t best = 0, dist = 0;
        if (i + LZ_MIN <= n) {
            uint32_t p;
            memcpy(&p, in + i, 4);
            uint32_t h = (p * 2654435761u) >> (32 - LZ_HBITS);
            uint32_t cand = head[h];
            head[h] = (uint32_t)i;
            if (cand != 0xFFFFFFFFu && i - cand <= 65535) {
                size_t max = n - i < LZ_MAXLEN ? n - i : LZ_MAXLEN;
                size_t l = 0;
                while (l < max && in[cand + l] == in[i + l])
                    l++;
                if (l >= LZ_MIN) {
                    best = l;
                    dist = i - cand;
                }
            }
        }
        if (best) {
            if (lit) {
                out[o - lit - 1] = (uint8_t)(lit - 1);
                lit = 0;
            }
            out[o++] = 0x80;
            out[o++] = (uint8_t)(best - LZ_MIN);
            out[o++] = (uint8_t)dist;
            out[o++] = (uint8_t)(dist >> 8);
            i += best;
        } else {
            if (lit == 0)
                o++;   /* room for the run's length byte */
            out[o++] = in[i++];
            if (++lit == 128) {
                out[o - lit - 1] = (uint8_t)(lit - 1);
                lit = 0;
            }
        }
    }
    if (lit)
        out[o - lit - 1] = (uint8_t)(lit - 1);
    return o;
}

static size_t lz_decompress(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    size_t i = 0, o = 0;
    while (i < n) {
        uint8_t c = in[i++];
        if (c < 0x80) {
            size_t l = (size_t)c + 1;
            if (i + l > n || o + l > cap)
                return 0;
            memcpy(out + o, in + i, l);
            i += l;
            o += l;
        } else {
            if (i + 3 > n)
                return 0;
            size_t l = (size_t)in[i] + LZ_MIN, d = in[i + 1] | (size_t)in[i + 2] << 8;
            i += 3;
            if (d == 0 || d > o || o + l > cap)
                return 0;
            for (size_t k = 0; k < l; k++, o++)
                out[o] = out[o - d];
        }
    }
    return o;
}

static uint64_t phase_lz(int scale)
{
    enum { N = 512 * 1024 };
    static const char *const words[] = {
        "the ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ", "dog ", "softvisor ",
        "emulates ", "a ", "pc ", "with ", "an ", "interpreter ", "and ", "virtual ", "clock ",
        "linux ", "boots ", "busybox ", "initramfs ", "serial ", "console\n", "0x", "ff ",
    };
    uint8_t *text = malloc(N), *comp = malloc(N + N / 64 + 16), *back = malloc(N);
    if (!text || !comp || !back)
        exit(1);
    Rng r = { 0xFEEDFACECAFEBEEFull };
    uint64_t sum = 0;
    for (int round = 0; round < 12 * scale; round++) {
        size_t n = 0;
        while (n < N) {
            uint64_t v = rng_next(&r);
            const char *w = words[v % (sizeof words / sizeof words[0])];
            size_t l = strlen(w);
            if (v >> 60 == 0) {   /* some incompressible noise */
                w = (const char *)&v;
                l = 8;
            }
            if (n + l > N)
                l = N - n;
            memcpy(text + n, w, l);
            n += l;
        }
        size_t c = lz_compress(text, N, comp);
        size_t d = lz_decompress(comp, c, back, N);
        sum = mix64(sum, c);
        if (d != N || memcmp(text, back, N) != 0)
            sum = mix64(sum, 0xBAD);
        for (size_t i = 0; i < c; i += 61)
            sum = mix64(sum, comp[i]);
    }
    free(text);
    free(comp);
    free(back);
    return sum;
}

/* ---- interp ---- */

enum {
    OP_PUSH, OP_LOAD, OP_STORE, OP_ALOAD, OP_ASTORE, OP_ADD, OP_SUB, OP_MUL, OP_AND, OP_SHR,
    OP_LT, OP_EQ, OP_JMP, OP_JZ, OP_DUP, OP_DROP, OP_HALT,
};

typedef struct {
    int64_t var[8];
    int64_t *mem;
    size_t memsize;
} VmState;

/* Runs code; returns the number of bytecodes executed, or -1 on a bad program. */
static int64_t interp_run(const int32_t *code, size_t ncode, VmState *vm)
{
    int64_t stack[64];
    int sp = 0;
    size_t pc = 0;
    int64_t steps = 0;
    while (pc < ncode) {
        int32_t op = code[pc++];
        steps++;
        if (sp > 60)
            return -1;
        switch (op) {
        case OP_PUSH: stack[sp++] = code[pc++]; break;
        case OP_LOAD: stack[sp++] = vm->var[code[pc++] & 7]; break;
        case OP_STORE: vm->var[code[pc++] & 7] = stack[--sp]; break;
        case OP_ALOAD: sp--; stack[sp] = vm->mem[(uint64_t)stack[sp] % vm->memsize]; sp++; break;
        case OP_ASTORE: sp -= 2; vm->mem[(uint64_t)stack[sp] % vm->memsize] = stack[sp + 1]; break;
        case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case OP_MUL: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] * (uint64_t)stack[sp]); break;
        case OP_AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case OP_SHR: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] >> (stack[sp] & 63)); break;
        case OP_LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case OP_EQ: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
        case OP_JMP: pc = (size_t)code[pc]; break;
        case OP_JZ: pc = stack[--sp] ? pc + 1 : (size_t)code[pc]; break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_DROP: sp--; break;
        case OP_HALT: return steps;
        default: return -1;
        }
        if (sp < 0)
            return -1;
    }
    return steps;
}

/* A tiny assembler for the interpreter's bytecode: labels and forward jumps patched at the end. */
typedef struct {
    int32_t code[256];
    size_t n;
    int32_t label[16];
    size_t fix_at[32];
    int fix_label[32];
    int nfix;
} Asm;

static void asm_op(Asm *a, int32_t op)
{
    a->code[a->n++] = op;
}

static void asm_arg(Asm *a, int32_t op, int32_t arg)
{
    asm_op(a, op);
    asm_op(a, arg);
}

static void asm_jump(Asm *a, int32_t op, int label)
{
    asm_op(a, op);
    a->fix_at[a->nfix] = a->n;
    a->fix_label[a->nfix++] = label;
    asm_op(a, 0);
}

static void asm_label(Asm *a, int label)
{
    a->label[label] = (int32_t)a->n;
}

static void asm_link(Asm *a)
{
    for (int i = 0; i < a->nfix; i++)
        a->code[a->fix_at[i]] = a->label[a->fix_label[i]];
}

/* v = v + k */
static void asm_inc(Asm *a, int v, int32_t k)
{
    asm_arg(a, OP_LOAD, v);
    asm_arg(a, OP_PUSH, k);
    asm_op(a, OP_ADD);
    asm_arg(a, OP_STORE, v);
}

/* Sieve of Eratosthenes below v0 in mem[]: v1 = i, v2 = j, v3 = number of primes. */
static void asm_sieve(Asm *a)
{
    enum { CLEAR, OUTER, PRIME, INNER, NEXT, DONE, CLEARED };
    asm_arg(a, OP_PUSH, 0);
    asm_arg(a, OP_STORE, 1);
    asm_label(a, CLEAR);                   /* for (i = 0; i < n; i++) mem[i] = 0 */
    asm_arg(a, OP_LOAD, 1);
    asm_arg(a, OP_LOAD, 0);
    asm_op(a, OP_LT);
    asm_jump(a, OP_JZ, CLEARED);
    asm_arg(a, OP_LOAD, 1);
    asm_arg(a, OP_PUSH, 0);
    asm_op(a, OP_ASTORE);
    asm_inc(a, 1, 1);
    asm_jump(a, OP_JMP, CLEAR);
    asm_label(a, CLEARED);
    asm_arg(a, OP_PUSH, 2);
    asm_arg(a, OP_STORE, 1);
    asm_arg(a, OP_PUSH, 0);
    asm_arg(a, OP_STORE, 3);
    asm_label(a, OUTER);                   /* while (i < n) */
    asm_arg(a, OP_LOAD, 1);
    asm_arg(a, OP_LOAD, 0);
    asm_op(a, OP_LT);
    asm_jump(a, OP_JZ, DONE);
    asm_arg(a, OP_LOAD, 1);                /* if (mem[i] == 0) it is prime */
    asm_op(a, OP_ALOAD);
    asm_jump(a, OP_JZ, PRIME);
    asm_jump(a, OP_JMP, NEXT);
    asm_label(a, PRIME);
    asm_inc(a, 3, 1);
    asm_arg(a, OP_LOAD, 1);                /* j = i * i */
    asm_op(a, OP_DUP);
    asm_op(a, OP_MUL);
    asm_arg(a, OP_STORE, 2);
    asm_label(a, INNER);                   /* for (; j < n; j += i) mem[j] = 1 */
    asm_arg(a, OP_LOAD, 2);
    asm_arg(a, OP_LOAD, 0);
    asm_op(a, OP_LT);
    asm_jump(a, OP_JZ, NEXT);
    asm_arg(a, OP_LOAD, 2);
    asm_arg(a, OP_PUSH, 1);
    asm_op(a, OP_ASTORE);
    asm_arg(a, OP_LOAD, 2);
    asm_arg(a, OP_LOAD, 1);
    asm_op(a, OP_ADD);
    asm_arg(a, OP_STORE, 2);
    asm_jump(a, OP_JMP, INNER);
    asm_label(a, NEXT);
    asm_inc(a, 1, 1);
    asm_jump(a, OP_JMP, OUTER);
    asm_label(a, DONE);
    asm_op(a, OP_HALT);
    asm_link(a);
}

/* Collatz path lengths of 1 .. v0 - 1: v1 = x, v2 = value, v3 = total steps, v4 = longest. */
static void asm_collatz(Asm *a)
{
    enum { XLOOP, CLOOP, STEP, EVEN, NEXTX, DONE, NOTLONGER };
    asm_arg(a, OP_PUSH, 1);
    asm_arg(a, OP_STORE, 1);
    asm_label(a, XLOOP);
    asm_arg(a, OP_LOAD, 1);
    asm_arg(a, OP_LOAD, 0);
    asm_op(a, OP_LT);
    asm_jump(a, OP_JZ, DONE);
    asm_arg(a, OP_LOAD, 1);
    asm_arg(a, OP_STORE, 2);
    asm_arg(a, OP_PUSH, 0);
    asm_arg(a, OP_STORE, 5);               /* v5 = this path's length */
    asm_label(a, CLOOP);
    asm_arg(a, OP_LOAD, 2);
    asm_arg(a, OP_PUSH, 1);
    asm_op(a, OP_EQ);
    asm_jump(a, OP_JZ, STEP);
    asm_jump(a, OP_JMP, NEXTX);
    asm_label(a, STEP);
    asm_inc(a, 5, 1);
    asm_arg(a, OP_LOAD, 2);
    asm_arg(a, OP_PUSH, 1);
    asm_op(a, OP_AND);
    asm_jump(a, OP_JZ, EVEN);
    asm_arg(a, OP_LOAD, 2);                /* odd: v = 3v + 1 */
    asm_arg(a, OP_PUSH, 3);
    asm_op(a, OP_MUL);
    asm_arg(a, OP_PUSH, 1);
    asm_op(a, OP_ADD);
    asm_arg(a, OP_STORE, 2);
    asm_jump(a, OP_JMP, CLOOP);
    asm_label(a, EVEN);                    /* even: v = v >> 1 */
    asm_arg(a, OP_LOAD, 2);
    asm_arg(a, OP_PUSH, 1);
    asm_op(a, OP_SHR);
    asm_arg(a, OP_STORE, 2);
    asm_jump(a, OP_JMP, CLOOP);
    asm_label(a, NEXTX);
    asm_arg(a, OP_LOAD, 3);                /* total += length */
    asm_arg(a, OP_LOAD, 5);
    asm_op(a, OP_ADD);
    asm_arg(a, OP_STORE, 3);
    asm_arg(a, OP_LOAD, 4);                /* longest = max(longest, length) */
    asm_arg(a, OP_LOAD, 5);
    asm_op(a, OP_LT);
    asm_jump(a, OP_JZ, NOTLONGER);
    asm_arg(a, OP_LOAD, 5);
    asm_arg(a, OP_STORE, 4);
    asm_label(a, NOTLONGER);
    asm_inc(a, 1, 1);
    asm_jump(a, OP_JMP, XLOOP);
    asm_label(a, DONE);
    asm_op(a, OP_HALT);
    asm_link(a);
}

static uint64_t phase_interp(int scale)
{
    enum { SIEVE_N = 200000, COLLATZ_N = 6000 };
    Asm sieve = { .n = 0 }, collatz = { .n = 0 };
    asm_sieve(&sieve);
    asm_collatz(&collatz);
    VmState vm = { .memsize = SIEVE_N };
    vm.mem = malloc(SIEVE_N * sizeof *vm.mem);
    if (!vm.mem)
        exit(1);
    uint64_t sum = 0;
    for (int round = 0; round < 2 * scale; round++) {
        memset(vm.var, 0, sizeof vm.var);
        vm.var[0] = SIEVE_N - round;
        int64_t steps = interp_run(sieve.code, sieve.n, &vm);
        sum = mix64(mix64(sum, (uint64_t)steps), (uint64_t)vm.var[3]);
        memset(vm.var, 0, sizeof vm.var);
        vm.var[0] = COLLATZ_N + round;
        steps = interp_run(collatz.code, collatz.n, &vm);
        sum = mix64(mix64(mix64(sum, (uint64_t)steps), (uint64_t)vm.var[3]), (uint64_t)vm.var[4]);
    }
    free(vm.mem);
    return sum;
}

int main(int argc, char **argv)
{
    int scale = argc > 1 ? atoi(argv[1]) : 1;
    if (scale < 1 || scale > 1000)
        scale = 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("CPUBENCH-BEGIN scale %d\n", scale);
    fflush(stdout);
    uint64_t total = 0;
    uint64_t s = phase_sort(scale);
    mark("sort", s);
    total = mix64(total, s);
    s = phase_hash(scale);
    mark("hash", s);
    total = mix64(total, s);
    s = phase_lz(scale);
    mark("lz", s);
    total = mix64(total, s);
    s = phase_interp(scale);
    mark("interp", s);
    total = mix64(total, s);
    mark("END", total);
    return 0;
}
