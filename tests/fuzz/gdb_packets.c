/*
 * gdb_packets.c — hostile remote-protocol streams against the GDB stub's packet parser
 * (debug/gdbstub.c), in process, with the replies captured instead of a socket.
 *
 * usage: gdb_packets ROM [--seeds N]
 *
 * Per seed: a fresh VM booting ROM and a stub on it, then a few hundred chunks of input drawn
 * from a seeded generator: well-framed packets of every command letter with random (often
 * absurd) arguments and correct checksums, monitor commands (qRcmd) with random arguments, framed packets with wrong checksums, escapes at the
 * end of a packet, overlong packets, raw garbage, 0x03 interrupts.  The stub must never crash
 * (ASan/UBSan builds check memory safety too), and every reply it writes must be framed:
 * '+' / '-' acks, or $payload#cs with a correct checksum.  The generator is deterministic, so a
 * failing seed repeats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debug/gdbstub.h"

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

static unsigned rng_below(Rng *r, unsigned n)
{
    return (unsigned)(rng_next(r) % n);
}

typedef struct Sink {
    char buf[1 << 16];
    size_t len;
    bool bad;
    char why[128];
} Sink;

/* Checks the framing of what the stub wrote since the last check, then forgets it. */
static void sink_check(Sink *k)
{
    size_t i = 0;
    while (i < k->len && !k->bad) {
        char c = k->buf[i];
        if (c == '+' || c == '-') {
            i++;
            continue;
        }
        if (c != '$') {
            snprintf(k->why, sizeof(k->why), "reply byte %#x outside a packet", (unsigned char)c);
            k->bad = true;
            break;
        }
        uint8_t sum = 0;
        size_t j = i + 1;
        while (j < k->len && k->buf[j] != '#')
            sum += (uint8_t)k->buf[j++];
        if (j + 3 > k->len) {
            snprintf(k->why, sizeof(k->why), "unterminated reply packet");
            k->bad = true;
            break;
        }
        unsigned cs;
        if (sscanf(k->buf + j + 1, "%2x", &cs) != 1 || cs != sum) {
            snprintf(k->why, sizeof(k->why), "reply checksum wrong");
            k->bad = true;
            break;
        }
        i = j + 3;
    }
    k->len = 0;
}

static void sink_write(void *opaque, const void *buf, size_t len)
{
    Sink *k = opaque;
    if (len > sizeof(k->buf) - k->len) {
        sink_check(k);
        if (len > sizeof(k->buf)) {
            snprintf(k->why, sizeof(k->why), "one reply of %zu bytes", len);
            k->bad = true;
            return;
        }
    }
    memcpy(k->buf + k->len, buf, len);
    k->len += len;
}

static const char *const commands[] = {
    "?", "g", "G", "p", "P", "m", "M", "X", "c", "s", "C", "S", "Z0,", "Z1,", "Z2,", "Z3,", "Z4,", "z0,", "z2,",
    "Z", "z", "D", "H", "T", "vCont?", "vCont;s", "vCont;c", "vCont;", "vCont", "vMustReplyEmpty", "qSupported:",
    "qXfer:features:read:target.xml:", "qXfer:features:read:", "qAttached", "qC", "qfThreadInfo",
    "qsThreadInfo", "qSymbol::", "qRcmd,", "QStartNoAckMode", "bs", "bc", "b", "q", "Q", "",
};

/* Random argument text: hex numbers of any length, separators, random bytes. */
static size_t gen_args(Rng *r, char *out, size_t cap)
{
    static const char alphabet[] = "0123456789abcdefABCDEF,:;=x#$}*\x03 -";
    size_t n = 0;
    unsigned kind = rng_below(r, 4), len = rng_below(r, 4) == 0 ? rng_below(r, 9000) : rng_below(r, 64);
    for (unsigned i = 0; i < len && n < cap; i++) {
        if (kind == 0)
            out[n++] = alphabet[rng_below(r, sizeof(alphabet) - 1)];
        else if (kind == 1)
            out[n++] = (char)rng_next(r);
        else
            out[n++] = "0123456789abcdef,"[rng_below(r, 17)];
    }
    /* sometimes a plausible address,length pair */
    if (kind == 3 && n + 40 < cap)
        n += (size_t)snprintf(out + n, cap - n, "%llx,%x", (unsigned long long)rng_next(r) >> rng_below(r, 64),
                              rng_below(r, 0x5000));
    return n;
}

/* A real monitor command with random arguments, hex-encoded as qRcmd wants it. */
static size_t gen_monitor(Rng *r, char *out, size_t cap)
{
    static const char *const mon[] = { "info registers", "info tlb", "info mem", "x/%ui %#llx", "xp/%uxg %#llx",
                                       "x/%ucb $pc-%llu", "explain addr %#llx", "explain sel %#llx",
                                       "explain fault", "stop", "cont", "help", "x/%uqz %llx",
                                       /* paths that cannot exist: the error paths, no files left behind */
                                       "savevm /nonexistent-dir/%u.%llx", "loadvm /nonexistent-dir/%u.%llx",
                                       "screendump /nonexistent-dir/%u.%llx" };
    char line[128];
    snprintf(line, sizeof(line), mon[rng_below(r, sizeof(mon) / sizeof(mon[0]))], rng_below(r, 2000),
             (unsigned long long)(rng_next(r) >> rng_below(r, 64)));
    size_t n = (size_t)snprintf(out, cap, "qRcmd,");
    for (size_t i = 0; line[i] && n + 2 < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%02x", (unsigned char)line[i]);
    return n;
}

static void feed_packet(GdbStub *g, Rng *r, bool good_sum)
{
    static char pkt[20000];
    const char *cmd = commands[rng_below(r, sizeof(commands) / sizeof(commands[0]))];
    size_t n = 0;
    pkt[n++] = '$';
    if (rng_below(r, 6) == 0) {
        n += gen_monitor(r, pkt + n, sizeof(pkt) - n - 8);
    } else {
        size_t cl = strlen(cmd);
        memcpy(pkt + n, cmd, cl);
        n += cl;
        n += gen_args(r, pkt + n, sizeof(pkt) - n - 8);
    }
    if (rng_below(r, 10) == 0)
        pkt[n++] = '}';   /* an escape with nothing after it */
    uint8_t sum = 0;
    for (size_t i = 1; i < n; i++)
        sum += (uint8_t)pkt[i];
    n += (size_t)snprintf(pkt + n, 4, "#%02x", good_sum ? sum : (uint8_t)(sum + 1));
    gdbstub_feed(g, (const uint8_t *)pkt, n);
}

static int run_seed(const char *rom, uint64_t seed)
{
    VmConfig cfg = { .ram_size = 32ull << 20, .bios = rom, .rtc_base = 1767225600 };
    char err[256];
    Vm *vm = vm_new(&cfg, err, sizeof(err));
    if (!vm) {
        fprintf(stderr, "gdb_packets: %s\n", err);
        return 2;
    }
    GdbStub *g = gdbstub_new(vm, true, NULL, NULL, NULL);
    Sink *k = calloc(1, sizeof(*k));
    if (!g || !k) {
        fprintf(stderr, "gdb_packets: out of memory\n");
        return 2;
    }
    gdbstub_set_writer(g, sink_write, k);
    Rng r = { seed * 0x9e3779b97f4a7c15ull + 1 };
    for (int i = 0; i < 300 && !k->bad; i++) {
        switch (rng_below(&r, 8)) {
        case 0: {
            uint8_t junk[256];
            unsigned n = rng_below(&r, sizeof(junk));
            for (unsigned j = 0; j < n; j++)
                junk[j] = (uint8_t)rng_next(&r);
            gdbstub_feed(g, junk, n);
            break;
        }
        case 1:
            gdbstub_feed(g, (const uint8_t *)"\x03", 1);
            break;
        case 2:
            feed_packet(g, &r, false);
            break;
        default:
            feed_packet(g, &r, true);
            break;
        }
        sink_check(k);
    }
    int rc = 0;
    if (k->bad) {
        fprintf(stderr, "gdb_packets: seed %llu: %s\n", (unsigned long long)seed, k->why);
        rc = 1;
    }
    free(k);
    gdbstub_free(g);
    vm_free(vm);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: gdb_packets ROM [--seeds N]\n");
        return 2;
    }
    unsigned long seeds = 200;
    if (argc >= 4 && !strcmp(argv[2], "--seeds"))
        seeds = strtoul(argv[3], NULL, 0);
    for (unsigned long s = 0; s < seeds; s++) {
        int rc = run_seed(argv[1], s);
        if (rc)
            return rc;
    }
    printf("gdb_packets: %lu seeds, no crash, every reply framed\n", seeds);
    return 0;
}
