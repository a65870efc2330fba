/*
 * fuzz_log.c — hostile replay logs (issue 10 part B): random mutations of a valid log go to the
 * log parser (replay_load_mem) and, when they still load, to a whole replay of the guest the log
 * was recorded on, each in a forked child with a 10 s alarm.  A child that dies of a signal
 * (crash, assert, alarm = hang) fails the test and prints the seed and the mutation.
 *
 * usage: fuzz_log LOG ROM [ITERATIONS [SEED]]    (LOG recorded with -m 32 -bios ROM)
 * Mutations: flip bits, overwrite or insert random bytes, cut the file short, duplicate or drop
 * a span, splice in 0xff/0x00 runs; one to four of them per case.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vm/replay.h"

typedef struct Rng {
    uint64_t s;
} Rng;

static uint64_t rng_next(Rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

static size_t rng_below(Rng *r, size_t n)
{
    return n ? (size_t)(rng_next(r) % n) : 0;
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *p = malloc(cap);
    size_t got;
    while (p && (got = fread(p + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *q = realloc(p, cap * 2);
            if (!q) {
                free(p);
                p = NULL;
                break;
            }
            p = q;
            cap *= 2;
        }
    }
    fclose(f);
    *len = n;
    return p;
}

/* One mutation of buf (len bytes, room for cap) in place; returns the new length. */
static size_t mutate(Rng *r, uint8_t *buf, size_t len, size_t cap, char *what, size_t wlen)
{
    size_t at = rng_below(r, len ? len : 1), n = 1 + rng_below(r, 16);
    switch (rng_below(r, 6)) {
    case 0:
        if (len)
            buf[at] ^= (uint8_t)(1u << rng_below(r, 8));
        snprintf(what, wlen, "flip bit at %zu", at);
        return len;
    case 1:
        for (size_t i = 0; i < n && at + i < len; i++)
            buf[at + i] = (uint8_t)rng_next(r);
        snprintf(what, wlen, "overwrite %zu at %zu", n, at);
        return len;
    case 2:
        if (len + n > cap)
            return len;
        memmove(buf + at + n, buf + at, len - at);
        for (size_t i = 0; i < n; i++)
            buf[at + i] = (uint8_t)rng_next(r);
        snprintf(what, wlen, "insert %zu at %zu", n, at);
        return len + n;
    case 3:
        snprintf(what, wlen, "cut at %zu", at);
        return at;
    case 4:
        if (at + n > len)
            n = len - at;
        memmove(buf + at, buf + at + n, len - at - n);
        snprintf(what, wlen, "drop %zu at %zu", n, at);
        return len - n;
    default:
        for (size_t i = 0; i < n && at + i < len; i++)
            buf[at + i] = rng_next(r) & 1 ? 0xff : 0x00;
        snprintf(what, wlen, "run of %zu at %zu", n, at);
        return len;
    }
}

/* The child: parse, and replay what loads.  Exit status is irrelevant; only signals count. */
static void child(const uint8_t *buf, size_t len, const char *rom)
{
    alarm(10);
    char err[512];
    Replay *r = replay_load_mem(buf, len, err, sizeof(err));
    if (!r)
        _exit(2);
    VmConfig cfg = { .ram_size = 32u << 20, .bios = rom, .rtc_base = 1767225600 };
    char machine[REPLAY_MACHINE_MAX];
    if (replay_describe(&cfg, false, machine, sizeof(machine), err, sizeof(err)) < 0 ||
        replay_check_machine(r, machine, err, sizeof(err)) < 0)
        _exit(2);
    Vm *vm = vm_new(&cfg, err, sizeof(err));
    if (!vm)
        _exit(2);
    FILE *null = fopen("/dev/null", "w");
    ReplayOptions opt = { .msg = null ? null : stderr };
    int st = replay_run(r, vm, &opt);
    vm_free(vm);
    replay_free(r);
    _exit(st & 0xff);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: fuzz_log LOG ROM [ITERATIONS [SEED]]\n");
        return 2;
    }
    long iters = argc > 3 ? strtol(argv[3], NULL, 0) : 500;
    uint64_t seed = argc > 4 ? strtoull(argv[4], NULL, 0) : 1;
    size_t len;
    uint8_t *orig = read_all(argv[1], &len);
    if (!orig || !len) {
        fprintf(stderr, "fuzz_log: cannot read %s\n", argv[1]);
        return 2;
    }
    size_t cap = len + 4 * 16 + 1;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return 2;
    int fails = 0, loaded = 0;
    for (long i = 0; i < iters; i++) {
        Rng r = { (seed + (uint64_t)i) * 0x9e3779b97f4a7c15ull | 1 };
        memcpy(buf, orig, len);
        size_t n = len;
        char what[4][64];
        int k = 1 + (int)rng_below(&r, 4);
        for (int j = 0; j < k; j++)
            n = mutate(&r, buf, n, cap, what[j], sizeof(what[j]));
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0)
            child(buf, n, argv[2]);
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        if (WIFSIGNALED(st)) {
            fails++;
            fprintf(stderr, "FAIL case %ld (seed %llu): signal %d after", i, (unsigned long long)seed,
                    WTERMSIG(st));
            for (int j = 0; j < k; j++)
                fprintf(stderr, " [%s]", what[j]);
            fprintf(stderr, "\n");
        } else if (WEXITSTATUS(st) != 2) {
            loaded++;
        }
    }
    printf("%ld mutated logs, %d loaded and replayed, %d crashed or hung\n", iters, loaded, fails);
    free(buf);
    free(orig);
    return fails ? 1 : 0;
}
