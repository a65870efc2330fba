/*
 * snapshot_fuzz.c — hostile snapshot files (DESIGN.md "Errors": a bad file gets one clear
 * message, never a crash or a hang).  No libFuzzer: seeded random mutations of one valid snapshot,
 * each case loaded into a fresh VM in a forked child with an alarm.  A case passes when the load
 * ends with a reason, or succeeds and the VM then runs 20000 instructions without crashing.
 *
 * Mutations: bits flipped in the file; the file cut short; bytes of the decompressed content
 * changed (mostly in the header and device sections, where the parser and the devices' checks
 * are) and recompressed; and the same with the trailing state hash recomputed, so that the load
 * gets past the hash check and out-of-range device values reach the running machine.
 *
 * Usage: snapshot_fuzz [--cases N] [--seed S].  Failure prints the seed and case number.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zstd.h>

#include "vm/state.h"
#include "vm/vm.h"

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* inc eax; inc word [0x500]; out 0x80, al; jmp: a guest that touches memory and a port */
static const uint8_t code[] = {
    0x31, 0xc0, 0x8e, 0xd8, 0x66, 0x40, 0xff, 0x06, 0x00, 0x05, 0xe6, 0x80, 0xeb, 0xf6,
};

static Vm *make_vm(void)
{
    char path[] = "/tmp/softvisor-snapfuzz-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    uint8_t rom[4096] = { 0 };
    memcpy(rom, code, sizeof(code));
    static const uint8_t reset[] = { 0xe9, 0x0d, 0xf0 };
    memcpy(rom + 0xff0, reset, sizeof(reset));
    ssize_t w = write(fd, rom, sizeof(rom));
    close(fd);
    char err[256];
    VmConfig cfg = { .ram_size = 1u << 20, .bios = path };
    Vm *vm = w == (ssize_t)sizeof(rom) ? vm_new(&cfg, err, sizeof(err)) : NULL;
    unlink(path);
    return vm;
}

/* The content of the zstd frame after the 12-byte file header. */
static uint8_t *unpack(const uint8_t *file, size_t len, size_t *out_len)
{
    size_t cap = 1 << 22, n = 0;
    uint8_t *out = malloc(cap);
    ZSTD_DCtx *z = ZSTD_createDCtx();
    ZSTD_inBuffer in = { file + 12, len - 12, 0 };
    for (;;) {
        ZSTD_outBuffer ob = { out + n, cap - n, 0 };
        size_t r = ZSTD_decompressStream(z, &ob, &in);
        n += ob.pos;
        if (ZSTD_isError(r) || r == 0 || in.pos == in.size)
            break;
    }
    ZSTD_freeDCtx(z);
    *out_len = n;
    return out;
}

static uint8_t *pack(const uint8_t *content, size_t n, size_t *out_len)
{
    size_t cap = ZSTD_compressBound(n) + 12;
    uint8_t *out = malloc(cap);
    memcpy(out, "SOFTVSNP\x01\0\0\0", 12);
    ZSTD_CCtx *z = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1);
    size_t r = ZSTD_compress2(z, out + 12, cap - 12, content, n);
    ZSTD_freeCCtx(z);
    *out_len = ZSTD_isError(r) ? 12 : r + 12;
    return out;
}

#define CASE_LOADED 10   /* child exit status: the file loaded and the VM ran on (0: refused) */

/* The child: load, and run on if that succeeded.  Exit 0 or CASE_LOADED = handled. */
static int run_case(const uint8_t *d, size_t len, bool fix_hash)
{
    Vm *vm = make_vm();
    if (!vm)
        return 3;
    char err[256] = "";
    if (fix_hash) {
        /* first pass: load what the content says, then make the trailing hash agree with it */
        size_t n;
        uint8_t *c = unpack(d, len, &n);
        vm_snapshot_load_mem(vm, d, len, err, sizeof(err));
        uint64_t h = vm_state_hash(vm);
        if (n >= 8)
            memcpy(c + n - 8, &h, 8);
        size_t plen;
        uint8_t *p = pack(c, n, &plen);
        vm_free(vm);
        vm = make_vm();
        bool ok = vm_snapshot_load_mem(vm, p, plen, err, sizeof(err));
        free(p);
        free(c);
        if (ok) {
            vm_run(vm, 20000);
            return CASE_LOADED;
        }
    } else {
        bool ok = vm_snapshot_load_mem(vm, d, len, err, sizeof(err));
        if (!ok && !err[0])
            return 4;   /* refused without a reason */
        if (ok) {
            vm_run(vm, 20000);
            return CASE_LOADED;
        }
    }
    vm_free(vm);
    return 0;
}

int main(int argc, char **argv)
{
    int cases = 300;
    uint64_t seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--cases"))
            cases = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seed"))
            seed = strtoull(argv[i + 1], NULL, 0);
    }
    Vm *vm = make_vm();
    if (!vm) {
        fprintf(stderr, "snapshot_fuzz: cannot build the VM\n");
        return 1;
    }
    /* a machine with some life in it: timers armed, FIFOs filled, memory written */
    io_out(&vm->io, 0x43, 1, 0x34);
    io_out(&vm->io, 0x40, 1, 0x00);
    io_out(&vm->io, 0x40, 1, 0x10);
    io_out(&vm->io, 0x3fc, 1, 0x0b);
    vm_input_serial(vm, 0, 'a');
    vm_input_key(vm, 0x1c);
    vm_run(vm, 5000);
    char path[64], err[256];
    snprintf(path, sizeof(path), "/tmp/softvisor-snapfuzz-%ld.svs", (long)getpid());
    if (!vm_snapshot_save(vm, path, err, sizeof(err))) {
        fprintf(stderr, "snapshot_fuzz: save: %s\n", err);
        return 1;
    }
    vm_free(vm);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    size_t len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *orig = malloc(len);
    size_t got = fread(orig, 1, len, f);
    fclose(f);
    unlink(path);
    if (got != len)
        return 1;
    size_t clen;
    uint8_t *content = unpack(orig, len, &clen);
    /* the header and the device sections: everything before the RAM (1 MiB + the hash at the end) */
    size_t meta = clen > (1u << 20) + 8 ? clen - (1u << 20) - 8 : clen;

    int bad = 0, loaded = 0, mode_count[4] = { 0 };
    uint64_t s = seed * 0x9e3779b97f4a7c15ull | 1;
    for (int c = 0; c < cases; c++) {
        int mode = (int)(rng_next(&s) % 4);
        uint8_t *d;
        size_t dlen;
        mode_count[mode]++;
        if (mode == 0) {
            d = malloc(len);
            memcpy(d, orig, len);
            dlen = len;
            int flips = 1 + (int)(rng_next(&s) % 8);
            for (int k = 0; k < flips; k++)
                d[rng_next(&s) % len] ^= (uint8_t)(1u << (rng_next(&s) % 8));
        } else if (mode == 1) {
            d = malloc(len);
            memcpy(d, orig, len);
            dlen = rng_next(&s) % len;
        } else {
            uint8_t *m = malloc(clen);
            memcpy(m, content, clen);
            int edits = 1 + (int)(rng_next(&s) % 6);
            for (int k = 0; k < edits; k++) {
                size_t pos = rng_next(&s) % 8 ? rng_next(&s) % meta : rng_next(&s) % clen;
                uint64_t r = rng_next(&s);
                m[pos] = (r & 3) == 0 ? 0xff : (r & 3) == 1 ? 0x00 : (uint8_t)(r >> 8);
            }
            d = pack(m, clen, &dlen);
            free(m);
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            alarm(10);
            _exit(run_case(d, dlen, mode == 3));
        }
        int st;
        waitpid(pid, &st, 0);
        if (WIFEXITED(st) && WEXITSTATUS(st) == CASE_LOADED) {
            loaded++;
        } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            bad++;
            fprintf(stderr, "snapshot_fuzz: seed %llu case %d (mode %d): %s %d\n", (unsigned long long)seed, c, mode,
                    WIFSIGNALED(st) ? "signal" : "exit status", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        }
        free(d);
    }
    printf("snapshot_fuzz: %d cases (flips %d, cuts %d, content %d, content with hash %d), %d loaded and "
           "ran, %d failed\n", cases, mode_count[0], mode_count[1], mode_count[2], mode_count[3], loaded, bad);
    free(content);
    free(orig);
    return bad ? 1 : 0;
}
