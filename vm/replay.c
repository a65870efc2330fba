/*
 * replay.c — the record/replay event log (see replay.h; the format is specified in
 * docs/internals.md, "The record/replay log").
 *
 * File: a text header, then one zstd stream of records.
 *
 *   softvisor-replay-log          magic
 *   format 1                      REPLAY_FORMAT; a reader refuses any other
 *   softvisor 0.1.0               the writer's version (informative)
 *   hash-log2 27                  state hash interval, 2^N instructions
 *   cpu ... / ram N / bios xxh3:H / kernel ... / initrd ... / append ... / no-reboot 0|1 /
 *   seed N / rtc-base N | rtc-base now N        the machine (replay_describe)
 *   header xxh3:H                 XXH3-64 of every byte above this line; ends the header
 *
 * Records (decompressed): a type byte, then for every type but BATCH the position as two
 * zigzag LEB128 deltas from the previous record's position (instructions retired, Clock.idle),
 * then the payload:
 *   SLICE  LEB128 max_insns, LEB128 count, LEB128 time limit
 *                                 vm_run_until was called here with this budget and time limit
 *                                 (0: none, else the virtual ns + 1), and count - 1 more times
 *                                 right after with the same two
 *   WAIT   LEB128 t               vm_wait_until(t): a halted CPU's clock was moved on to t (the
 *                                 wall time of input that arrived while -pace slept)
 *   POWER  (no payload)           vm_input_power_button
 *   SERIAL port, byte             vm_input_serial
 *   KEY    byte                   vm_input_key
 *   MOUSE  zigzag dx, dy, dz, buttons byte
 *   HASH   u64 LE                 vm_state_hash here
 *   END    u64 LE hash, LEB128 exit status      the run ended here
 *   BATCH  u32 LE                 low half of XXH3-64 of the batch's bytes before this record
 * The recorder collects records into a batch and, at the first slice start after any input (which
 * enters between slices) and after every 2^22 instructions, closes it with a BATCH record,
 * compresses it with ZSTD_e_flush and write()s it: a run killed with SIGKILL leaves every batch
 * up to there in the file.  The reader replays only batches whose checksum holds.
 *
 * Why slices are logged: vm_run's stopping points are where interrupts are recognised between
 * blocks and where the next block is decoded from, so the replay must stop exactly where the
 * recorded run stopped.  Logging each call (a few bytes per slice of millions of instructions)
 * makes the replay independent of the frontend's slicing, pacing and host timing.  A paced run
 * (-pace on) bounds each slice by the wall clock (vm_run_until's time limit) and moves a halted
 * clock to the wall when input arrives (vm_wait_until): both are logged, so the replay repeats
 * them at full speed, without pacing and without reading the host clock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#define XXH_STATIC_LINKING_ONLY   /* XXH3_state_t on the stack */
#include <xxhash.h>
#include <zstd.h>

#include "vm/replay.h"
#include "vm/state.h"

#define REPLAY_MAGIC "softvisor-replay-log"
#define REPLAY_HEADER_MAX 65536
#define REPLAY_EVENTS_MAX (256u << 20)   /* decompressed events a reader accepts */
#define REPLAY_FILE_MAX (1ull << 30)
#define REPLAY_BATCH_MAX (1u << 20)
#define REPLAY_BATCH_FLUSH (64u << 10)   /* flush early when input floods one slice */

enum {
    REC_SLICE = 1,
    REC_SERIAL,
    REC_KEY,
    REC_MOUSE,
    REC_HASH,
    REC_END,
    REC_BATCH,
    REC_WAIT,
    REC_POWER,
};

struct Replay {
    bool recording;
    unsigned hash_log2;
    uint64_t at_icount, at_idle;   /* position of the last positioned record */
    /* recording */
    int fd;
    char *path;
    ZSTD_CCtx *cctx;
    uint8_t *batch;
    size_t batch_len, batch_cap;
    uint8_t *zbuf;
    size_t zcap;
    uint64_t next_hash;
    uint64_t flush_icount;         /* instruction count at the last flush */
    bool input;                    /* input logged since the last flush */
    /* a run of slices not yet logged: `run_count` calls of vm_run with the same budget, the
     * first at (run_icount, run_idle), with nothing else logged between them */
    uint64_t run_count, run_budget, run_icount, run_idle, run_time_limit;
    bool failed;
    int write_errno;
    /* replaying */
    char header[REPLAY_HEADER_MAX + 1];
    uint8_t *ev;                   /* decompressed records of the intact batches */
    size_t ev_len;
    bool has_end;                  /* the intact part ends with an END record */
    uint64_t total;                /* instruction count of the last record that replays */
};

/* ---- machine description ---- */

static int hash_file(const char *path, uint64_t *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    uint8_t buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        XXH3_64bits_update(&st, buf, n);
    bool bad = ferror(f);
    fclose(f);
    if (bad)
        return -1;
    *out = XXH3_64bits_digest(&st);
    return 0;
}

/* A Linux initrd is one file; a multiboot module list is "FILE[ ARGS],FILE..." (the loader's
 * syntax): then the list itself (the arguments reach the guest) and every module's contents. */
static int hash_initrd(const char *spec, uint64_t *out, char *err, size_t errlen)
{
    if (hash_file(spec, out) == 0)
        return 0;
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    XXH3_64bits_update(&st, spec, strlen(spec));
    const char *p = spec;
    while (*p) {
        size_t item = strcspn(p, ",");
        size_t name = strcspn(p, ", ");
        char path[4096];
        uint64_t h;
        if (name == 0 || name >= sizeof(path)) {
            snprintf(err, errlen, "cannot read initrd/module '%.*s'", (int)(item < 200 ? item : 200), p);
            return -1;
        }
        memcpy(path, p, name);
        path[name] = 0;
        if (hash_file(path, &h) < 0) {
            snprintf(err, errlen, "cannot read module '%s': %s", path, strerror(errno));
            return -1;
        }
        XXH3_64bits_update(&st, &h, sizeof(h));
        p += item;
        if (*p == ',')
            p++;
    }
    *out = XXH3_64bits_digest(&st);
    return 0;
}

static int describe_image(char **o, size_t *left, const char *key, const char *path, bool initrd, char *err,
                          size_t errlen)
{
    uint64_t h;
    int n;
    if (!path) {
        n = snprintf(*o, *left, "%s none\n", key);
    } else {
        if (initrd ? hash_initrd(path, &h, err, errlen) < 0 : hash_file(path, &h) < 0) {
            if (!initrd)
                snprintf(err, errlen, "cannot read %s '%s': %s", key, path, strerror(errno));
            return -1;
        }
        n = snprintf(*o, *left, "%s xxh3:%016llx\n", key, (unsigned long long)h);
    }
    if (n < 0 || (size_t)n >= *left) {
        snprintf(err, errlen, "machine description too long");
        return -1;
    }
    *o += n;
    *left -= (size_t)n;
    return 0;
}

int replay_describe(const VmConfig *cfg, bool rtc_now, char *out, size_t outlen, char *err, size_t errlen)
{
    char *o = out;
    size_t left = outlen;
    /* The CPU is not configurable: its CPUID identity (cpu/cpuid.c) names it. */
    int n = snprintf(o, left, "cpu softvisor-x86-64 family 6 model 3Ah\nram %llu\n",
                     (unsigned long long)((cfg->ram_size + 0xfff) & ~0xfffull));
    if (n < 0 || (size_t)n >= left)
        goto long_;
    o += n;
    left -= (size_t)n;
    if (describe_image(&o, &left, "bios", cfg->bios, false, err, errlen) < 0 ||
        describe_image(&o, &left, "kernel", cfg->kernel, false, err, errlen) < 0 ||
        describe_image(&o, &left, "initrd", cfg->initrd, true, err, errlen) < 0)
        return -1;
    uint64_t ah = cfg->append ? XXH3_64bits(cfg->append, strlen(cfg->append)) : 0;
    n = snprintf(o, left, "append %s%016llx\nno-reboot %d\nseed %llu\nrtc-base %s%lld\n",
                 cfg->append ? "xxh3:" : "none:", (unsigned long long)ah, cfg->no_reboot ? 1 : 0,
                 (unsigned long long)cfg->rng_seed, rtc_now ? "now " : "", (long long)cfg->rtc_base);
    if (n < 0 || (size_t)n >= left)
        goto long_;
    return 0;
long_:
    snprintf(err, errlen, "machine description too long");
    return -1;
}

/* ---- record encoding ---- */

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static int batch_reserve(Replay *r, size_t n)
{
    if (r->batch_len + n <= r->batch_cap)
        return 0;
    size_t cap = r->batch_cap ? r->batch_cap : 4096;
    while (cap < r->batch_len + n)
        cap *= 2;
    uint8_t *p = realloc(r->batch, cap);
    if (!p)
        return -1;
    r->batch = p;
    r->batch_cap = cap;
    return 0;
}

static void put_u8(Replay *r, uint8_t v)
{
    r->batch[r->batch_len++] = v;
}

static void put_leb(Replay *r, uint64_t v)
{
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        put_u8(r, b | (v ? 0x80 : 0));
    } while (v);
}

static void put_u64(Replay *r, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        put_u8(r, (uint8_t)(v >> (8 * i)));
}

static void write_all(Replay *r, const uint8_t *p, size_t n)
{
    while (n && !r->failed) {
        ssize_t w = write(r->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            r->failed = true;
            r->write_errno = w < 0 ? errno : ENOSPC;
            break;
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Compresses `n` bytes with `mode` (continue/flush/end) and writes what zstd gives back. */
static void compress_out(Replay *r, const uint8_t *p, size_t n, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = { p, n, 0 };
    for (;;) {
        ZSTD_outBuffer out = { r->zbuf, r->zcap, 0 };
        size_t left = ZSTD_compressStream2(r->cctx, &out, &in, mode);
        if (ZSTD_isError(left)) {
            r->failed = true;
            r->write_errno = EIO;
            return;
        }
        write_all(r, r->zbuf, out.pos);
        if (r->failed)
            return;
        if (mode == ZSTD_e_continue ? in.pos == in.size : left == 0)
            return;
    }
}

/* Closes the batch with its checksum and pushes it through zstd to the file. */
static void batch_flush(Replay *r, ZSTD_EndDirective mode)
{
    if (r->failed)
        return;
    if (r->batch_len) {
        uint32_t sum = (uint32_t)XXH3_64bits(r->batch, r->batch_len);
        put_u8(r, REC_BATCH);   /* batch_reserve made room for this at the record that preceded */
        for (int i = 0; i < 4; i++)
            put_u8(r, (uint8_t)(sum >> (8 * i)));
        compress_out(r, r->batch, r->batch_len, mode);
        r->batch_len = 0;
    } else if (mode == ZSTD_e_end) {
        compress_out(r, NULL, 0, mode);
    }
}

/* Starts a record at position (ic, idle); room for `payload` bytes (and a BATCH record) is
 * reserved.  False when recording has failed (out of memory, disk full). */
static bool rec_begin_at(Replay *r, uint8_t type, size_t payload, uint64_t ic, uint64_t idle)
{
    if (r->failed)
        return false;
    if (batch_reserve(r, 1 + 2 * 10 + payload + 5) < 0) {
        r->failed = true;
        r->write_errno = ENOMEM;
        return false;
    }
    put_u8(r, type);
    put_leb(r, zigzag((int64_t)(ic - r->at_icount)));
    put_leb(r, zigzag((int64_t)(idle - r->at_idle)));
    r->at_icount = ic;
    r->at_idle = idle;
    return true;
}

/* Logs the pending run of slices, if any. */
static void run_emit(Replay *r)
{
    if (!r->run_count)
        return;
    if (rec_begin_at(r, REC_SLICE, 30, r->run_icount, r->run_idle)) {
        put_leb(r, r->run_budget);
        put_leb(r, r->run_count);
        put_leb(r, r->run_time_limit == CLOCK_NEVER ? 0 : r->run_time_limit + 1);
    }
    r->run_count = 0;
}

/* Starts a record at the VM's current position, after the pending run of slices. */
static bool rec_begin(Replay *r, const Vm *vm, uint8_t type, size_t payload)
{
    run_emit(r);
    return rec_begin_at(r, type, payload, vm->cpu->icount, vm->clock.idle);
}

static void rec_end(Replay *r)
{
    if (r->batch_len >= REPLAY_BATCH_FLUSH)
        batch_flush(r, ZSTD_e_flush);
}

/* ---- recording ---- */

static void replay_free_record(Replay *r)
{
    ZSTD_freeCCtx(r->cctx);
    free(r->batch);
    free(r->zbuf);
    free(r->path);
    free(r);
}

Replay *replay_record_open(const char *path, const char *machine, unsigned hash_log2, char *err, size_t errlen)
{
    if (hash_log2 < 1 || hash_log2 > 63) {
        snprintf(err, errlen, "state hash interval must be 2^1 .. 2^63 instructions");
        return NULL;
    }
    Replay *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->recording = true;
    r->hash_log2 = hash_log2;
    r->fd = -1;
    r->path = strdup(path);
    r->cctx = ZSTD_createCCtx();
    r->zcap = ZSTD_CStreamOutSize();
    r->zbuf = malloc(r->zcap);
    if (!r->path || !r->cctx || !r->zbuf) {
        snprintf(err, errlen, "out of memory");
        replay_free_record(r);
        return NULL;
    }
    ZSTD_CCtx_setParameter(r->cctx, ZSTD_c_compressionLevel, 3);
    char head[REPLAY_HEADER_MAX];
    int n = snprintf(head, sizeof(head), REPLAY_MAGIC "\nformat %d\nsoftvisor %s\nhash-log2 %u\n%s", REPLAY_FORMAT,
                     SOFTVISOR_VERSION, hash_log2, machine);
    if (n < 0 || (size_t)n + 64 >= sizeof(head)) {
        snprintf(err, errlen, "machine description too long");
        replay_free_record(r);
        return NULL;
    }
    n += snprintf(head + n, sizeof(head) - (size_t)n, "header xxh3:%016llx\n",
                  (unsigned long long)XXH3_64bits(head, (size_t)n));
    r->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (r->fd < 0) {
        snprintf(err, errlen, "cannot create replay log '%s': %s", path, strerror(errno));
        replay_free_record(r);
        return NULL;
    }
    write_all(r, (const uint8_t *)head, (size_t)n);
    if (r->failed) {
        snprintf(err, errlen, "cannot write replay log '%s': %s", path, strerror(r->write_errno));
        close(r->fd);
        unlink(path);
        replay_free_record(r);
        return NULL;
    }
    return r;
}

void replay_record_slice(Replay *r, Vm *vm, uint64_t max_insns, uint64_t time_limit)
{
    uint64_t ic = vm->cpu->icount;
    if (ic >= r->next_hash) {
        /* The first slice start at or after each multiple of 2^hash_log2: the recorder adds no
         * stopping point of its own, so recording cannot change the run. */
        if (rec_begin(r, vm, REC_HASH, 8))
            put_u64(r, vm_state_hash(vm));
        r->next_hash = ((ic >> r->hash_log2) + 1) << r->hash_log2;
        if (r->next_hash == 0)
            r->next_hash = UINT64_MAX;
    }
    /* Consecutive slices with the same budget and nothing between them make one record: a
     * guest idling through its timer ticks runs many short slices. */
    if (r->run_count && max_insns == r->run_budget && time_limit == r->run_time_limit) {
        r->run_count++;
    } else {
        run_emit(r);
        r->run_count = 1;
        r->run_budget = max_insns;
        r->run_time_limit = time_limit;
        r->run_icount = ic;
        r->run_idle = vm->clock.idle;
    }
    /* Flush when input came in (it entered just before this slice) and at least every 2^22
     * instructions (the terminal's slice), so a killed run loses little. */
    if (r->input || ic - r->flush_icount >= (1ull << 22)) {
        run_emit(r);
        batch_flush(r, ZSTD_e_flush);
        r->flush_icount = ic;
        r->input = false;
    }
}

void replay_record_wait(Replay *r, const Vm *vm, uint64_t t)
{
    if (!rec_begin(r, vm, REC_WAIT, 10))
        return;
    put_leb(r, t);
    r->input = true;   /* it comes with input: flush at the next slice */
    rec_end(r);
}

void replay_record_power_button(Replay *r, const Vm *vm)
{
    if (!rec_begin(r, vm, REC_POWER, 0))
        return;
    r->input = true;
    rec_end(r);
}

void replay_record_serial(Replay *r, const Vm *vm, int port, uint8_t byte)
{
    if (!rec_begin(r, vm, REC_SERIAL, 2))
        return;
    r->input = true;
    put_u8(r, (uint8_t)port);
    put_u8(r, byte);
    rec_end(r);
}

void replay_record_key(Replay *r, const Vm *vm, uint8_t set2_byte)
{
    if (!rec_begin(r, vm, REC_KEY, 1))
        return;
    r->input = true;
    put_u8(r, set2_byte);
    rec_end(r);
}

void replay_record_mouse(Replay *r, const Vm *vm, int dx, int dy, int dz, uint8_t buttons)
{
    if (!rec_begin(r, vm, REC_MOUSE, 31))
        return;
    r->input = true;
    put_leb(r, zigzag(dx));
    put_leb(r, zigzag(dy));
    put_leb(r, zigzag(dz));
    put_u8(r, buttons);
    rec_end(r);
}

int replay_record_finish(Replay *r, Vm *vm, int status, char *err, size_t errlen)
{
    if (rec_begin(r, vm, REC_END, 18)) {
        put_u64(r, vm_state_hash(vm));
        put_leb(r, (uint64_t)(uint32_t)status);
    }
    batch_flush(r, ZSTD_e_end);
    if (!r->failed && fsync(r->fd) < 0 && errno != EINVAL && errno != EROFS) {
        r->failed = true;
        r->write_errno = errno;
    }
    if (close(r->fd) < 0 && !r->failed) {
        r->failed = true;
        r->write_errno = errno;
    }
    int rc = 0;
    if (r->failed) {
        snprintf(err, errlen, "cannot write replay log '%s': %s (the log is incomplete)", r->path,
                 strerror(r->write_errno));
        rc = -1;
    }
    replay_free_record(r);
    return rc;
}

/* ---- reading ---- */

typedef struct Reader {
    const uint8_t *p;
    size_t len, pos;
    bool bad;
} Reader;

static uint8_t get_u8(Reader *rd)
{
    if (rd->pos >= rd->len) {
        rd->bad = true;
        return 0;
    }
    return rd->p[rd->pos++];
}

static uint64_t get_leb(Reader *rd)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t b = get_u8(rd);
        if (shift == 63 && (b & 0x7e))
            rd->bad = true;   /* more than 64 bits */
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80) || rd->bad)
            return v;
    }
    rd->bad = true;
    return v;
}

static uint64_t get_u64(Reader *rd)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)get_u8(rd) << (8 * i);
    return v;
}

/* One decoded record. */
typedef struct Record {
    uint8_t type;
    int64_t d_icount, d_idle;
    uint64_t a, b, c;         /* SLICE: a = budget, b = count, c = time limit + 1 (0: none); HASH: a =
                               * hash; END: a = hash, b = status; SERIAL: a = port, b = byte; KEY:
                               * a = byte; WAIT: a = t; BATCH: a = checksum */
    int64_t dx, dy, dz;       /* MOUSE, with a = buttons */
} Record;

/* Decodes the record at rd->pos; false (rd->bad) for anything malformed or cut short. */
static bool record_get(Reader *rd, Record *rec)
{
    memset(rec, 0, sizeof(*rec));
    rec->type = get_u8(rd);
    if (rec->type == REC_BATCH) {
        uint64_t s = 0;
        for (int i = 0; i < 4; i++)
            s |= (uint64_t)get_u8(rd) << (8 * i);
        rec->a = s;
        return !rd->bad;
    }
    rec->d_icount = unzigzag(get_leb(rd));
    rec->d_idle = unzigzag(get_leb(rd));
    switch (rec->type) {
    case REC_SLICE:
        rec->a = get_leb(rd);
        rec->b = get_leb(rd);
        rec->c = get_leb(rd);
        if (rec->b == 0)
            rd->bad = true;
        break;
    case REC_WAIT:
        rec->a = get_leb(rd);
        break;
    case REC_POWER:
        break;
    case REC_SERIAL:
        rec->a = get_u8(rd);
        rec->b = get_u8(rd);
        break;
    case REC_KEY:
        rec->a = get_u8(rd);
        break;
    case REC_MOUSE:
        rec->dx = unzigzag(get_leb(rd));
        rec->dy = unzigzag(get_leb(rd));
        rec->dz = unzigzag(get_leb(rd));
        rec->a = get_u8(rd);
        if (rec->dx < INT32_MIN || rec->dx > INT32_MAX || rec->dy < INT32_MIN || rec->dy > INT32_MAX ||
            rec->dz < INT32_MIN || rec->dz > INT32_MAX)
            rd->bad = true;
        break;
    case REC_HASH:
        rec->a = get_u64(rd);
        break;
    case REC_END:
        rec->a = get_u64(rd);
        rec->b = get_leb(rd);
        if (rec->b > 255)
            rd->bad = true;
        break;
    default:
        rd->bad = true;
        break;
    }
    return !rd->bad;
}

/* Header line `key`'s value (pointer into r->header, up to the newline), or NULL. */
static const char *header_get(const char *header, const char *key, size_t *vlen)
{
    size_t klen = strlen(key);
    for (const char *l = header; *l;) {
        const char *nl = strchr(l, '\n');
        if (!nl)
            return NULL;
        if ((size_t)(nl - l) > klen && !strncmp(l, key, klen) && l[klen] == ' ') {
            *vlen = (size_t)(nl - l) - klen - 1;
            return l + klen + 1;
        }
        l = nl + 1;
    }
    return NULL;
}

static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
    if (len == 0 || len > 20)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* Splits off and checks the header; *body = first byte of the zstd stream. */
static int header_parse(Replay *r, const uint8_t *data, size_t len, size_t *body, char *err, size_t errlen)
{
    size_t mlen = strlen(REPLAY_MAGIC);
    if (len < mlen + 1 || memcmp(data, REPLAY_MAGIC "\n", mlen + 1)) {
        snprintf(err, errlen, "not a softvisor replay log (no '" REPLAY_MAGIC "' header)");
        return -1;
    }
    /* the header: text lines up to and including "header xxh3:H\n" */
    size_t lim = len < REPLAY_HEADER_MAX ? len : REPLAY_HEADER_MAX;
    size_t end = 0;
    for (size_t i = 0; i + 1 < lim; i++) {
        if (data[i] == 0)
            break;
        if ((i == 0 || data[i - 1] == '\n') && lim - i > 12 && !memcmp(data + i, "header xxh3:", 12)) {
            const uint8_t *nl = memchr(data + i, '\n', lim - i);
            if (nl)
                end = (size_t)(nl - data) + 1;
            break;
        }
    }
    /* the format version first, so a log from another format says so rather than "corrupt" */
    const uint8_t *fl = data + mlen + 1;
    size_t fmax = lim - mlen - 1;
    const uint8_t *fnl = memchr(fl, '\n', fmax);
    uint64_t fmt;
    if (!fnl || fnl - fl < 8 || memcmp(fl, "format ", 7) || !parse_u64((const char *)fl + 7, (size_t)(fnl - fl) - 7, &fmt)) {
        snprintf(err, errlen, "replay log header damaged (no format line)");
        return -1;
    }
    if (fmt != REPLAY_FORMAT) {
        snprintf(err, errlen, "replay log format %llu; this softvisor reads format %d only",
                 (unsigned long long)fmt, REPLAY_FORMAT);
        return -1;
    }
    if (!end) {
        snprintf(err, errlen, "replay log header damaged or cut short (no 'header' line)");
        return -1;
    }
    size_t hstart = end - 1;
    while (hstart > 0 && data[hstart - 1] != '\n')
        hstart--;
    char hex[17];
    if (end - hstart != 12 + 16 + 1) {
        snprintf(err, errlen, "replay log header damaged (bad 'header' line)");
        return -1;
    }
    memcpy(hex, data + hstart + 12, 16);
    hex[16] = 0;
    char *hend;
    unsigned long long want = strtoull(hex, &hend, 16);
    if (*hend || XXH3_64bits(data, hstart) != want) {
        snprintf(err, errlen, "replay log header damaged (its checksum does not match)");
        return -1;
    }
    memcpy(r->header, data, hstart);
    r->header[hstart] = 0;
    if (strlen(r->header) != hstart) {
        snprintf(err, errlen, "replay log header damaged (NUL byte)");
        return -1;
    }
    size_t vl;
    const char *v = header_get(r->header, "hash-log2", &vl);
    uint64_t hl;
    if (!v || !parse_u64(v, vl, &hl) || hl < 1 || hl > 63 || !header_get(r->header, "softvisor", &vl)) {
        snprintf(err, errlen, "replay log header incomplete (hash-log2 / softvisor)");
        return -1;
    }
    r->hash_log2 = (unsigned)hl;
    *body = end;
    return 0;
}

/* Decompresses the event stream.  A stream that stops mid-frame is a log cut short (fine); a
 * decoding error is damage. */
static int events_decompress(Replay *r, const uint8_t *z, size_t zlen, char *err, size_t errlen)
{
    ZSTD_DCtx *d = ZSTD_createDCtx();
    size_t cap = 1 << 16;
    r->ev = malloc(cap);
    if (!d || !r->ev) {
        ZSTD_freeDCtx(d);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* the window stays at zstd's default limit (2^27): a hostile frame cannot ask for more */
    ZSTD_inBuffer in = { z, zlen, 0 };
    for (;;) {
        if (r->ev_len == cap) {
            if (cap >= REPLAY_EVENTS_MAX) {
                ZSTD_freeDCtx(d);
                snprintf(err, errlen, "replay log too large (over %u MiB of events)", REPLAY_EVENTS_MAX >> 20);
                return -1;
            }
            uint8_t *p = realloc(r->ev, cap * 2);
            if (!p) {
                ZSTD_freeDCtx(d);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            r->ev = p;
            cap *= 2;
        }
        ZSTD_outBuffer out = { r->ev, cap, r->ev_len };
        size_t ret = ZSTD_decompressStream(d, &out, &in);
        r->ev_len = out.pos;
        if (ZSTD_isError(ret)) {
            ZSTD_freeDCtx(d);
            snprintf(err, errlen, "replay log damaged: %s (at byte %zu of the event stream)", ZSTD_getErrorName(ret),
                     in.pos);
            return -1;
        }
        /* all input used and zstd holds no more output: complete, or cut short mid-frame */
        if (in.pos == in.size && out.pos < out.size)
            break;
    }
    /* whatever zstd still holds internally for a truncated frame is not a complete block */
    ZSTD_freeDCtx(d);
    return 0;
}

/* Walks the records: every batch must carry its checksum; the log ends at the END record or,
 * cut short, after the last complete batch.  Keeps only what replays. */
static int events_check(Replay *r, char *err, size_t errlen)
{
    Reader rd = { r->ev, r->ev_len, 0, false };
    size_t batch_start = 0, good = 0;
    bool end_pending = false;
    Record rec;
    while (rd.pos < rd.len) {
        size_t at = rd.pos;
        if (!record_get(&rd, &rec)) {
            if (rd.pos >= rd.len)
                break;   /* the tail is cut short inside a record: it never verified */
            snprintf(err, errlen, "replay log damaged: bad record at byte %zu of the events", at);
            return -1;
        }
        if (rec.type == REC_BATCH) {
            if ((uint32_t)XXH3_64bits(r->ev + batch_start, at - batch_start) != (uint32_t)rec.a) {
                snprintf(err, errlen, "replay log damaged: checksum mismatch in the events at byte %zu", at);
                return -1;
            }
            good = batch_start = rd.pos;
            if (end_pending) {
                r->has_end = true;
                break;
            }
            continue;
        }
        if (end_pending) {
            snprintf(err, errlen, "replay log damaged: records after the end record");
            return -1;
        }
        if (rd.pos - batch_start > REPLAY_BATCH_MAX) {
            snprintf(err, errlen, "replay log damaged: a batch of events over %u KiB", REPLAY_BATCH_MAX >> 10);
            return -1;
        }
        end_pending = rec.type == REC_END;
    }
    if (r->has_end && good < r->ev_len) {
        snprintf(err, errlen, "replay log damaged: data after the end record");
        return -1;
    }
    r->ev_len = good;   /* only verified batches replay */
    rd = (Reader){ r->ev, r->ev_len, 0, false };
    while (rd.pos < rd.len && record_get(&rd, &rec))
        r->total += rec.type == REC_BATCH ? 0 : (uint64_t)rec.d_icount;
    return 0;
}

Replay *replay_load_mem(const uint8_t *data, size_t len, char *err, size_t errlen)
{
    Replay *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->fd = -1;
    size_t body;
    if (header_parse(r, data, len, &body, err, errlen) < 0 ||
        events_decompress(r, data + body, len - body, err, errlen) < 0 || events_check(r, err, errlen) < 0) {
        replay_free(r);
        return NULL;
    }
    return r;
}

Replay *replay_load(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open replay log '%s': %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > REPLAY_FILE_MAX) {
        close(fd);
        snprintf(err, errlen, "replay log '%s' is not a regular file of at most 1 GiB", path);
        return NULL;
    }
    size_t len = (size_t)st.st_size;
    uint8_t *data = malloc(len ? len : 1);
    size_t got = 0;
    while (data && got < len) {
        ssize_t n = read(fd, data + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (!data || got < len) {
        free(data);
        snprintf(err, errlen, "cannot read replay log '%s'", path);
        return NULL;
    }
    char why[256];
    Replay *r = replay_load_mem(data, len, why, sizeof(why));
    free(data);
    if (!r)
        snprintf(err, errlen, "%s: %s", path, why);
    return r;
}

void replay_free(Replay *r)
{
    if (!r)
        return;
    free(r->ev);
    free(r);
}

void replay_version(const Replay *r, char *out, size_t outlen)
{
    size_t vl;
    const char *v = header_get(r->header, "softvisor", &vl);
    snprintf(out, outlen, "%.*s", v ? (int)(vl < 64 ? vl : 64) : 1, v ? v : "?");
}

bool replay_rtc_now(const Replay *r, int64_t *base)
{
    size_t vl;
    const char *v = header_get(r->header, "rtc-base", &vl);
    if (!v || vl < 5 || strncmp(v, "now ", 4))
        return false;
    bool neg = v[4] == '-';
    uint64_t u;
    if (!parse_u64(v + 4 + neg, vl - 4 - neg, &u) || u > INT64_MAX)
        return false;
    *base = neg ? -(int64_t)u : (int64_t)u;
    return true;
}

int replay_check_machine(const Replay *r, const char *machine, char *err, size_t errlen)
{
    for (const char *l = machine; *l;) {
        const char *nl = strchr(l, '\n');
        if (!nl)
            break;
        size_t klen = strcspn(l, " \n");
        char key[64];
        snprintf(key, sizeof(key), "%.*s", (int)(klen < 63 ? klen : 63), l);
        const char *mine = l + klen + 1;
        size_t mlen = (size_t)(nl - mine), vl;
        const char *theirs = header_get(r->header, key, &vl);
        if (!theirs || vl != mlen || memcmp(theirs, mine, mlen)) {
            snprintf(err, errlen, "replay log is for another machine: %s is '%.*s' in the log, '%.*s' here", key,
                     theirs ? (int)(vl < 80 ? vl : 80) : 7, theirs ? theirs : "missing", (int)(mlen < 80 ? mlen : 80),
                     mine);
            return -1;
        }
        l = nl + 1;
    }
    return 0;
}

/* ---- replaying ---- */

static ReplayStop done(ReplayPos *p, int status)
{
    p->done = true;
    p->status = status;
    return REPLAY_STOP_DONE;
}

static ReplayStop diverged(ReplayPos *p, const ReplayOptions *opt, uint64_t now, const char *why)
{
    if (opt->msg)
        fprintf(opt->msg, "softvisor: replay diverged between instruction %llu and %llu (%s)\n",
                (unsigned long long)p->good, (unsigned long long)now, why);
    return done(p, REPLAY_EXIT_DIVERGED);
}

/* -replay-corrupt: one bit of one RAM byte.  REPLAY_CORRUPT_ADDR is in conventional memory that
 * the test ROMs never touch and that Linux (since 5.13) keeps reserved, so the flip survives to
 * the next state hash instead of being overwritten by chance. */
static void corrupt_ram(Vm *vm)
{
    if (vm->ram_size > REPLAY_CORRUPT_ADDR) {
        vm->ram[REPLAY_CORRUPT_ADDR] ^= 1;
        phys_mark_dirty_host(&vm->mem, vm->ram + REPLAY_CORRUPT_ADDR);   /* the state hash sees it */
    }
}

void replay_pos_start(ReplayPos *p)
{
    *p = (ReplayPos){ .last_exit = VM_EXIT_RUNNING };
}

uint64_t replay_total(const Replay *r)
{
    return r->total;
}

/* Goes on with the call in progress, up to `stop_at` at most; true when the call ended (its
 * exit in p->last_exit), false when it stopped short (at stop_at, or a debugger stop: *debug). */
static bool call_run(Vm *vm, ReplayPos *p, uint64_t stop_at, bool *debug)
{
    Cpu *cpu = vm->cpu;
    uint64_t to = p->call_stop < stop_at ? p->call_stop : stop_at;
    VmExit e = vm_run_to(vm, to, p->call_idle_stop, p->time_limit);
    *debug = e == VM_EXIT_DEBUG;
    if (*debug)
        return false;
    if (e == VM_EXIT_INSN_LIMIT && cpu->icount < p->call_stop && vm->clock.idle < p->call_idle_stop)
        return false;   /* cut at stop_at: the call goes on from here with its own limits */
    p->in_call = false;
    p->last_exit = e;
    return true;
}

ReplayStop replay_advance(Replay *r, Vm *vm, ReplayPos *p, uint64_t stop_at, uint64_t call_at,
                          const ReplayOptions *opt)
{
    Cpu *cpu = vm->cpu;
    Reader rd = { r->ev, r->ev_len, p->next, false };
    Record rec;
    for (;;) {
        if (p->done)
            return REPLAY_STOP_DONE;
        if (cpu->icount >= stop_at)
            return REPLAY_STOP_AT;
        if (p->in_call) {
            bool debug;
            if (!call_run(vm, p, stop_at, &debug)) {
                if (debug)
                    return REPLAY_STOP_DEBUG;
                continue;
            }
            if (p->calls_left) {
                VmExit e = p->last_exit;
                /* the recorded frontend called vm_run again only after these three */
                if (e != VM_EXIT_INSN_LIMIT && e != VM_EXIT_IDLE && e != VM_EXIT_WAIT)
                    return diverged(p, opt, cpu->icount, "the guest stopped where the recorded run went on");
                /* idle with nothing armed: the remaining calls would change nothing (and a
                 * hostile count must not spin here) */
                if (e == VM_EXIT_IDLE)
                    p->calls_left = 0;
            }
            continue;
        }
        if (p->calls_left) {
            if (cpu->icount >= call_at)
                return REPLAY_STOP_CALL;
            /* vm_run_until(budget, time limit), as recorded */
            p->calls_left--;
            p->in_call = true;
            p->call_stop = p->budget ? cpu->icount + p->budget : UINT64_MAX;
            p->call_idle_stop = p->budget ? vm->clock.idle + p->budget : UINT64_MAX;
            vm->exit = VM_EXIT_RUNNING;
            continue;
        }
        if (cpu->icount >= call_at && rd.pos < rd.len)
            return REPLAY_STOP_CALL;
        if (rd.pos >= rd.len || !record_get(&rd, &rec))
            break;   /* (a bad record cannot happen: events_check walked these) */
        p->next = rd.pos;
        if (rec.type == REC_BATCH)
            continue;
        p->ic += (uint64_t)rec.d_icount;
        p->idle += (uint64_t)rec.d_idle;
        if (cpu->icount != p->ic || vm->clock.idle != p->idle) {
            char why[128];
            snprintf(why, sizeof(why), "the recorded run was at instruction %llu, idle %llu here; the replay at %llu, %llu",
                     (unsigned long long)p->ic, (unsigned long long)p->idle, (unsigned long long)cpu->icount,
                     (unsigned long long)vm->clock.idle);
            return diverged(p, opt, cpu->icount > p->ic ? cpu->icount : p->ic, why);
        }
        switch (rec.type) {
        case REC_SLICE:
            p->calls_left = rec.b;
            p->budget = rec.a;
            p->time_limit = rec.c ? rec.c - 1 : CLOCK_NEVER;
            break;
        case REC_SERIAL:
            vm_input_serial(vm, (int)rec.a, (uint8_t)rec.b);
            break;
        case REC_WAIT:
            vm->exit = p->last_exit;   /* vm_wait_until acts only after a WAIT / IDLE exit */
            vm_wait_until(vm, rec.a);
            break;
        case REC_POWER:
            vm_input_power_button(vm);
            break;
        case REC_KEY:
            vm_input_key(vm, (uint8_t)rec.a);
            break;
        case REC_MOUSE:
            vm_input_mouse(vm, (int)rec.dx, (int)rec.dy, (int)rec.dz, (uint8_t)rec.a);
            break;
        case REC_HASH:
            if (vm_state_hash(vm) != rec.a)
                return diverged(p, opt, p->ic, "state hash differs");
            p->good = p->ic;
            p->hashes++;
            break;
        case REC_END: {
            uint64_t h = vm_state_hash(vm);
            if (h != rec.a)
                return diverged(p, opt, p->ic, "final state hash differs");
            if (opt->msg)
                fprintf(opt->msg, "softvisor: replay complete: %llu instructions, state hash %016llx, as recorded "
                        "(%llu state hashes on the way matched; exit status %d)\n", (unsigned long long)p->ic,
                        (unsigned long long)h, (unsigned long long)p->hashes, (int)rec.b);
            return done(p, (int)rec.b);
        }
        default:
            break;
        }
    }
    if (opt->msg)
        fprintf(opt->msg, "softvisor: replay log ended without its end record at instruction %llu (the recording was "
                "cut short); replay stopped there\n", (unsigned long long)cpu->icount);
    return done(p, REPLAY_EXIT_LOG_ENDED);
}

int replay_run(Replay *r, Vm *vm, const ReplayOptions *opt)
{
    ReplayPos p;
    replay_pos_start(&p);
    /* -replay-corrupt: the flip at its count, the slice cut there with its own limits, so that
     * everything before the flip runs exactly as recorded (a flip due while halted waits for
     * the next instruction) */
    uint64_t flip_at = opt->corrupt ? opt->corrupt_at : UINT64_MAX;
    for (;;) {
        ReplayStop s = replay_advance(r, vm, &p, flip_at, UINT64_MAX, opt);
        if (s != REPLAY_STOP_AT)
            return p.status;   /* (no debugger: no REPLAY_STOP_DEBUG) */
        corrupt_ram(vm);
        flip_at = UINT64_MAX;
    }
}
