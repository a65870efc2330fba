/*
 * state.c — the state description's one mechanism (see state.h): walking the field tables for
 * save, load, hash and comparison; the VM's section list and event queue; snapshot files.
 *
 * Snapshot file, format version 2 (all integers little-endian; version 1 had no VRAM):
 *
 *   "SOFTVSNP"            8-byte magic
 *   u32 format version    SNAP_FORMAT_VERSION; another one is refused before anything else
 *   one zstd frame (with its content checksum) holding:
 *     u32 n + n bytes     the softvisor version that wrote it (information only: compatibility is
 *                         decided by the format and table versions)
 *     u64 ram size, u32 CPUID signature, u64 TSC ticks per instruction   (the machine)
 *     u32 sections, then per section: u32 n + name, u32 table version, u64 payload bytes
 *     the section payloads, in the same order (state_save of each table)
 *     u32 events, then per armed event: u32 owner section, u32 kind (the owner's n-th event),
 *         u64 deadline (ns)
 *     the RAM, ram size bytes, then the VGA's VRAM when the machine has one (vm_state_blocks)
 *     u64 vm_state_hash of what was saved: checked again after loading
 *
 * Every length read from a file is checked against what this machine's tables expect before it
 * is used, and zstd's checksum plus the final state hash catch flipped bits, so a damaged or
 * hostile file ends with a one-line reason, never a crash or a hang.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>
#include <zstd.h>

#include "vm/state.h"
#include "vm/vm.h"
#include "cpu/cpuid.h"
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "devices/debugport.h"
#include "devices/hpet.h"
#include "devices/i8042.h"
#include "devices/i8254.h"
#include "devices/i8259.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/mc146818.h"
#include "devices/pci.h"
#include "devices/piix4_pm.h"
#include "devices/uart16550.h"
#include "devices/fw_cfg.h"
#include "devices/vga.h"
#include "devices/ide.h"

#ifndef SOFTVISOR_VERSION
#define SOFTVISOR_VERSION "unknown"
#endif

#define SNAP_MAGIC "SOFTVSNP"
#define SNAP_FORMAT_VERSION 2u
#define SNAP_NAME_MAX 64u

/* ---- walking a table ---- */

void state_walk(const StateDesc *d, void *obj, uint32_t version, StateVisit fn, void *ctx)
{
    uint8_t *base = obj;
    for (uint32_t i = 0; i < d->nfields; i++) {
        const StateField *f = &d->fields[i];
        if (f->version > version)
            continue;
        if (f->kind == STATE_STRUCT) {
            for (uint32_t k = 0; k < f->count; k++)
                state_walk(f->sub, base + f->offset + (size_t)k * f->size, version, fn, ctx);
        } else {
            fn(ctx, f, base + f->offset, (size_t)f->size * f->count);
        }
    }
}

static void visit_size(void *ctx, const StateField *f, uint8_t *p, size_t len)
{
    (void)f;
    (void)p;
    *(size_t *)ctx += len;
}

size_t state_size(const StateDesc *d, uint32_t version)
{
    size_t n = 0;
    /* the walk only adds offsets to the object pointer; any address does */
    uint8_t dummy;
    state_walk(d, &dummy, version, visit_size, &n);
    return n;
}

typedef struct Cursor {
    uint8_t *buf;
    size_t pos;
    bool ok;
    char *err;
    size_t errlen;
} Cursor;

static void visit_save(void *ctx, const StateField *f, uint8_t *p, size_t len)
{
    Cursor *c = ctx;
    (void)f;
    memcpy(c->buf + c->pos, p, len);
    c->pos += len;
}

void state_save(const StateDesc *d, const void *obj, uint8_t *buf)
{
    Cursor c = { buf, 0, true, NULL, 0 };
    state_walk(d, (void *)obj, d->version, visit_save, &c);
}

static void visit_load(void *ctx, const StateField *f, uint8_t *p, size_t len)
{
    Cursor *c = ctx;
    const uint8_t *src = c->buf + c->pos;
    c->pos += len;
    if (f->kind == STATE_BOOL) {
        for (size_t i = 0; i < len; i++) {
            if (src[i] > 1) {
                if (c->ok)
                    snprintf(c->err, c->errlen, "field %s holds %u, not a truth value", f->name, src[i]);
                c->ok = false;
                return;
            }
        }
    }
    memcpy(p, src, len);
}

bool state_load(const StateDesc *d, void *obj, uint32_t version, const uint8_t *buf, char *err, size_t errlen)
{
    Cursor c = { (uint8_t *)buf, 0, true, err, errlen };
    state_walk(d, obj, version, visit_load, &c);
    return c.ok;
}

/* Field-by-field comparison: walks `a`, finding the same bytes in `b` at the same offset. */
typedef struct DiffCtx {
    const uint8_t *a, *b;
    char *where;
    size_t wherelen;
    bool differ;
} DiffCtx;

static void visit_diff(void *ctx, const StateField *f, uint8_t *p, size_t len)
{
    DiffCtx *c = ctx;
    size_t off = (size_t)(p - c->a);
    if (!c->differ && memcmp(c->a + off, c->b + off, len)) {
        c->differ = true;
        snprintf(c->where, c->wherelen, "%s (offset %zu)", f->name, off);
    }
}

bool state_diff(const StateDesc *d, const void *a, const void *b, char *where, size_t wherelen)
{
    DiffCtx c = { a, b, where, wherelen, false };
    state_walk(d, (void *)a, d->version, visit_diff, &c);
    return c.differ;
}

/* ---- the VM's sections ---- */

int vm_state_sections(Vm *vm, VmSection *out)
{
    int n = 0;
    out[n++] = (VmSection){ "cpu", &cpu_state_desc, vm->cpu };
    out[n++] = (VmSection){ "clock", &clock_state_desc, &vm->clock };
    out[n++] = (VmSection){ "board", &vm_board_state_desc, vm };
    out[n++] = (VmSection){ "pic", &pic_state_desc, vm->pic };
    out[n++] = (VmSection){ "pit", &pit_state_desc, vm->pit };
    out[n++] = (VmSection){ "rtc", &rtc_state_desc, vm->rtc };
    out[n++] = (VmSection){ "kbc", &kbc_state_desc, vm->kbc };
    out[n++] = (VmSection){ "com1", &uart_state_desc, vm->com1 };
    out[n++] = (VmSection){ "com2", &uart_state_desc, vm->com2 };
    out[n++] = (VmSection){ "debugcon", &debugcon_state_desc, vm->debugcon };
    out[n++] = (VmSection){ "debugexit", &debugexit_state_desc, vm->debugexit };
    out[n++] = (VmSection){ "lapic", &lapic_state_desc, vm->lapic };
    out[n++] = (VmSection){ "ioapic", &ioapic_state_desc, vm->ioapic };
    out[n++] = (VmSection){ "hpet", &hpet_state_desc, vm->hpet };
    out[n++] = (VmSection){ "pci", &pci_state_desc, vm->pci };
    out[n++] = (VmSection){ "pm", &piix4_pm_state_desc, vm->pm };
    out[n++] = (VmSection){ "fw_cfg", &fw_cfg_state_desc, vm->fw_cfg };
    if (vm->vga)
        out[n++] = (VmSection){ "vga", &vga_state_desc, vm->vga };
    out[n++] = (VmSection){ "ide", &ide_state_desc, vm->ide };
    assert(n <= VM_STATE_MAX_SECTIONS);
    return n;
}

int vm_state_blocks(Vm *vm, VmBlock *out)
{
    int n = 0;
    out[n++] = (VmBlock){ vm->ram, vm->ram_size / PAGE_SIZE, vm->mem.dirty, vm->page_hash };
    if (vm->vga)
        out[n++] = (VmBlock){ vm->vga->vram, vm->vga->vram_size / PAGE_SIZE, vm->vga->vram_dirty,
                              vm->vga->vram_hash };
    assert(n <= VM_STATE_MAX_BLOCKS);
    return n;
}

void vm_state_dirty_clear(Vm *vm, int client)
{
    VmBlock b[VM_STATE_MAX_BLOCKS];
    int nb = vm_state_blocks(vm, b);
    for (int i = 0; i < nb; i++)
        memset(b[i].dirty[client], 0, (b[i].pages + 63) / 64 * 8);
    tlb_drop_write_tags(&vm->cpu->tlb);
}

/* The event queue as (owner section, kind, deadline): an event's owner is the section whose
 * object contains the event's opaque pointer (a device, or a part of one such as an HPET
 * timer), its kind the owner's n-th registered event.  A fresh VM built from the same command
 * line registers the same events in the same order, so the triple finds the same callback. */
typedef struct EventKey {
    uint32_t owner, kind;
} EventKey;

static EventKey event_key(const VmSection *s, int ns, const Clock *c, int id)
{
    const uint8_t *op = c->ev[id].opaque;
    for (int i = 0; i < ns; i++) {
        const uint8_t *o = s[i].obj;
        if (op >= o && op < o + s[i].desc->size) {
            uint32_t kind = 0;
            for (int j = 0; j < id; j++) {
                const uint8_t *oj = c->ev[j].opaque;
                if (oj >= o && oj < o + s[i].desc->size)
                    kind++;
            }
            return (EventKey){ (uint32_t)i, kind };
        }
    }
    /* every event source is a device the section list names */
    abort();
}

static int event_find(const VmSection *s, int ns, const Clock *c, EventKey k)
{
    for (int id = 0; id < c->n; id++) {
        EventKey e = event_key(s, ns, c, id);
        if (e.owner == k.owner && e.kind == k.kind)
            return id;
    }
    return -1;
}

/* ---- the state hash ---- */

static void visit_hash(void *ctx, const StateField *f, uint8_t *p, size_t len)
{
    (void)f;
    XXH3_64bits_update(ctx, p, len);
}

/* RAM enters the hash as the XXH3 of each page, in page order.  The incremental form keeps those
 * page hashes in vm->page_hash and recomputes only the pages written since the last hash (the
 * PHYS_DIRTY_HASH bitmap), then clears the bitmap and drops the TLB's write tags so that the next
 * store to any page marks it again.  `full` recomputes every page and touches no cache. */
void vm_state_canonical_flags(Vm *vm)
{
    Cpu *cpu = vm->cpu;
    cc_materialize(cpu);
    cpu->cc_dst = cpu->cc_src = cpu->cc_src2 = 0;
}

static uint64_t state_hash(Vm *vm, bool full)
{
    vm_state_canonical_flags(vm);
    VmSection s[VM_STATE_MAX_SECTIONS];
    int ns = vm_state_sections(vm, s);
    XXH3_state_t *h = XXH3_createState();
    if (!h)
        abort();
    XXH3_64bits_reset(h);
    for (int i = 0; i < ns; i++)
        state_walk(s[i].desc, s[i].obj, s[i].desc->version, visit_hash, h);
    for (int id = 0; id < vm->clock.n; id++) {
        if (vm->clock.ev[id].deadline == CLOCK_NEVER)
            continue;
        EventKey k = event_key(s, ns, &vm->clock, id);
        uint64_t rec[2] = { (uint64_t)k.owner << 32 | k.kind, vm->clock.ev[id].deadline };
        XXH3_64bits_update(h, rec, sizeof(rec));
    }
    VmBlock b[VM_STATE_MAX_BLOCKS];
    int nb = vm_state_blocks(vm, b);
    for (int i = 0; i < nb; i++) {
        uint64_t pages = b[i].pages;
        if (full) {
            for (uint64_t p = 0; p < pages; p++) {
                uint64_t ph = XXH3_64bits(b[i].host + p * PAGE_SIZE, PAGE_SIZE);
                XXH3_64bits_update(h, &ph, sizeof(ph));
            }
            continue;
        }
        uint64_t *dirty = b[i].dirty[PHYS_DIRTY_HASH];
        for (uint64_t w = 0; w < (pages + 63) / 64; w++) {
            uint64_t bits = dirty[w];
            while (bits) {
                uint64_t p = w * 64 + (uint64_t)__builtin_ctzll(bits);
                bits &= bits - 1;
                if (p < pages)
                    b[i].page_hash[p] = XXH3_64bits(b[i].host + p * PAGE_SIZE, PAGE_SIZE);
            }
            dirty[w] = 0;
        }
        XXH3_64bits_update(h, b[i].page_hash, pages * sizeof(uint64_t));
    }
    if (!full)
        tlb_drop_write_tags(&vm->cpu->tlb);
    uint64_t r = XXH3_64bits_digest(h);
    XXH3_freeState(h);
    return r;
}

uint64_t vm_state_hash(Vm *vm)
{
    return state_hash(vm, false);
}

uint64_t vm_state_hash_full(Vm *vm)
{
    return state_hash(vm, true);
}

bool vm_state_post_load(Vm *vm, char *err, size_t errlen)
{
    VmSection s[VM_STATE_MAX_SECTIONS];
    int ns = vm_state_sections(vm, s);
    Cpu *cpu = vm->cpu;
    Tlb *loaded = malloc(sizeof(*loaded));
    if (!loaded) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    memcpy(loaded, &cpu->tlb, sizeof(*loaded));
    for (int i = 0; i < ns; i++) {
        char why[160];
        if (s[i].desc->post_load && !s[i].desc->post_load(s[i].obj, why, sizeof(why))) {
            snprintf(err, errlen, "device '%s': %s", s[i].name, why);
            free(loaded);
            return false;
        }
    }
    memcpy(&cpu->tlb, loaded, sizeof(*loaded));
    free(loaded);
    vm->mem.a20_mask = cpu->a20_mask;
    cpu_update_mode(cpu);
    block_flush_all(cpu);
    tlb_rebuild(cpu);
    cpu->stop_request = false;
    cpu->exit_block = false;
    return true;
}

/* ---- writing a snapshot ---- */

typedef struct SnapWriter {
    FILE *f;
    ZSTD_CCtx *z;
    uint8_t out[1 << 16];
    bool ok;
} SnapWriter;

static void snap_emit(SnapWriter *w, const void *p, size_t len, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = { p, len, 0 };
    for (;;) {
        if (!w->ok)
            return;
        ZSTD_outBuffer out = { w->out, sizeof(w->out), 0 };
        size_t left = ZSTD_compressStream2(w->z, &out, &in, mode);
        if (ZSTD_isError(left)) {
            w->ok = false;
            return;
        }
        if (out.pos && fwrite(w->out, 1, out.pos, w->f) != out.pos)
            w->ok = false;
        if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
            return;
    }
}

static void snap_put(SnapWriter *w, const void *p, size_t len)
{
    snap_emit(w, p, len, ZSTD_e_continue);
}

static void snap_u32(SnapWriter *w, uint32_t v)
{
    snap_put(w, &v, 4);
}

static void snap_u64(SnapWriter *w, uint64_t v)
{
    snap_put(w, &v, 8);
}

static void snap_str(SnapWriter *w, const char *s)
{
    snap_u32(w, (uint32_t)strlen(s));
    snap_put(w, s, strlen(s));
}

bool vm_snapshot_save(Vm *vm, const char *path, char *err, size_t errlen)
{
    /* The disk images are not in the snapshot (devices/ide.c): writes held only by a -snapshot
     * overlay would be silently lost on -loadvm. */
    if (vm->ide && ide_overlay_dirty(vm->ide)) {
        snprintf(err, errlen, "the guest wrote to a -snapshot disk; a VM snapshot does not hold those writes");
        return false;
    }
    vm_state_canonical_flags(vm);
    VmSection s[VM_STATE_MAX_SECTIONS];
    int ns = vm_state_sections(vm, s);
    size_t tmplen = strlen(path) + 16;
    char *tmp = malloc(tmplen);
    if (!tmp) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    snprintf(tmp, tmplen, "%s.tmp%ld", path, (long)getpid());
    SnapWriter *w = calloc(1, sizeof(*w));
    if (!w) {
        free(tmp);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    w->ok = true;
    w->f = fopen(tmp, "wb");
    if (!w->f) {
        snprintf(err, errlen, "cannot create '%s': %s", path, strerror(errno));
        free(tmp);
        free(w);
        return false;
    }
    w->z = ZSTD_createCCtx();
    if (!w->z || ZSTD_isError(ZSTD_CCtx_setParameter(w->z, ZSTD_c_checksumFlag, 1)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(w->z, ZSTD_c_compressionLevel, 1)))
        w->ok = false;
    uint32_t fmt = SNAP_FORMAT_VERSION;
    if (fwrite(SNAP_MAGIC, 1, 8, w->f) != 8 || fwrite(&fmt, 4, 1, w->f) != 1)
        w->ok = false;

    snap_str(w, SOFTVISOR_VERSION);
    snap_u64(w, vm->ram_size);
    snap_u32(w, CPUID_SIGNATURE);
    snap_u64(w, vm->cpu->config.tsc_per_insn);
    snap_u32(w, (uint32_t)ns);
    for (int i = 0; i < ns; i++) {
        snap_str(w, s[i].name);
        snap_u32(w, s[i].desc->version);
        snap_u64(w, state_size(s[i].desc, s[i].desc->version));
    }
    for (int i = 0; i < ns && w->ok; i++) {
        size_t n = state_size(s[i].desc, s[i].desc->version);
        uint8_t *buf = malloc(n ? n : 1);
        if (!buf) {
            w->ok = false;
            break;
        }
        state_save(s[i].desc, s[i].obj, buf);
        snap_put(w, buf, n);
        free(buf);
    }
    uint32_t nev = 0;
    for (int id = 0; id < vm->clock.n; id++)
        nev += vm->clock.ev[id].deadline != CLOCK_NEVER;
    snap_u32(w, nev);
    for (int id = 0; id < vm->clock.n; id++) {
        if (vm->clock.ev[id].deadline == CLOCK_NEVER)
            continue;
        EventKey k = event_key(s, ns, &vm->clock, id);
        snap_u32(w, k.owner);
        snap_u32(w, k.kind);
        snap_u64(w, vm->clock.ev[id].deadline);
    }
    VmBlock b[VM_STATE_MAX_BLOCKS];
    int nb = vm_state_blocks(vm, b);
    for (int i = 0; i < nb; i++)
        snap_put(w, b[i].host, b[i].pages * PAGE_SIZE);
    snap_u64(w, vm_state_hash(vm));
    snap_emit(w, NULL, 0, ZSTD_e_end);

    bool ok = w->ok;
    if (fflush(w->f) != 0 || ferror(w->f))
        ok = false;
    if (fclose(w->f) != 0)
        ok = false;
    ZSTD_freeCCtx(w->z);
    free(w);
    if (ok && rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return false;
    }
    if (!ok) {
        snprintf(err, errlen, "cannot write '%s' (disk full?)", tmp);
        unlink(tmp);
    }
    free(tmp);
    return ok;
}

/* ---- reading a snapshot ---- */

typedef struct SnapReader {
    ZSTD_DCtx *z;
    ZSTD_inBuffer in;
    bool frame_done;          /* ZSTD said the frame (and its checksum) is complete */
    bool ok;
    char *err;
    size_t errlen;
} SnapReader;

static bool snap_fail(SnapReader *r, const char *why)
{
    if (r->ok)
        snprintf(r->err, r->errlen, "%s", why);
    r->ok = false;
    return false;
}

static bool snap_get(SnapReader *r, void *p, size_t len)
{
    if (!r->ok)
        return false;
    ZSTD_outBuffer out = { p, len, 0 };
    while (out.pos < out.size) {
        if (r->frame_done)
            return snap_fail(r, "the file ends early (truncated?)");
        size_t before_in = r->in.pos, before_out = out.pos;
        size_t left = ZSTD_decompressStream(r->z, &out, &r->in);
        if (ZSTD_isError(left)) {
            char why[160];
            snprintf(why, sizeof(why), "the compressed data is damaged (%s)", ZSTD_getErrorName(left));
            return snap_fail(r, why);
        }
        if (left == 0)
            r->frame_done = true;
        else if (r->in.pos == before_in && out.pos == before_out)
            return snap_fail(r, "the file ends early (truncated?)");
    }
    return true;
}

static bool snap_get_u32(SnapReader *r, uint32_t *v)
{
    return snap_get(r, v, 4);
}

static bool snap_get_u64(SnapReader *r, uint64_t *v)
{
    return snap_get(r, v, 8);
}

static bool snap_get_str(SnapReader *r, char *buf, size_t cap)
{
    uint32_t n;
    if (!snap_get_u32(r, &n))
        return false;
    if (n >= cap)
        return snap_fail(r, "a name in the file is too long (damaged file?)");
    if (!snap_get(r, buf, n))
        return false;
    buf[n] = 0;
    return true;
}

/* The frame must end exactly after the last field (its checksum verified), with nothing after it. */
static bool snap_get_end(SnapReader *r)
{
    if (!r->ok)
        return false;
    if (!r->frame_done) {
        uint8_t extra;
        ZSTD_outBuffer out = { &extra, 1, 0 };
        size_t left = ZSTD_decompressStream(r->z, &out, &r->in);
        if (ZSTD_isError(left))
            return snap_fail(r, "the compressed data is damaged (checksum)");
        if (out.pos)
            return snap_fail(r, "the file has data after its end (damaged file?)");
        if (left != 0)
            return snap_fail(r, "the file ends early (truncated?)");
    }
    if (r->in.pos != r->in.size)
        return snap_fail(r, "the file has data after its end (damaged file?)");
    return true;
}

static bool snapshot_read(Vm *vm, SnapReader *r)
{
    VmSection s[VM_STATE_MAX_SECTIONS];
    int ns = vm_state_sections(vm, s);
    char name[SNAP_NAME_MAX], why[256];
    char *version = name;
    if (!snap_get_str(r, version, sizeof(name)))
        return false;
    uint64_t ram_size, tsc_per_insn;
    uint32_t cpuid_sig, nsec;
    if (!snap_get_u64(r, &ram_size) || !snap_get_u32(r, &cpuid_sig) || !snap_get_u64(r, &tsc_per_insn) ||
        !snap_get_u32(r, &nsec))
        return false;
    if (ram_size != vm->ram_size) {
        snprintf(why, sizeof(why), "the snapshot is of a machine with %llu MiB of RAM, this one has %llu MiB "
                 "(give the same -m)", (unsigned long long)(ram_size >> 20), (unsigned long long)(vm->ram_size >> 20));
        return snap_fail(r, why);
    }
    if (cpuid_sig != CPUID_SIGNATURE || tsc_per_insn != vm->cpu->config.tsc_per_insn) {
        snprintf(why, sizeof(why), "the snapshot is of another CPU model (CPUID signature %08x, this one %08x)",
                 cpuid_sig, CPUID_SIGNATURE);
        return snap_fail(r, why);
    }
    if (nsec != (uint32_t)ns) {
        snprintf(why, sizeof(why), "the snapshot's machine has %u devices, this one %d", nsec, ns);
        return snap_fail(r, why);
    }
    uint32_t ver[VM_STATE_MAX_SECTIONS];
    for (int i = 0; i < ns; i++) {
        uint64_t size;
        if (!snap_get_str(r, name, sizeof(name)) || !snap_get_u32(r, &ver[i]) || !snap_get_u64(r, &size))
            return false;
        if (strcmp(name, s[i].name)) {
            snprintf(why, sizeof(why), "the snapshot's machine has device '%s' where this one has '%s'", name,
                     s[i].name);
            return snap_fail(r, why);
        }
        if (ver[i] == 0 || ver[i] > s[i].desc->version) {
            snprintf(why, sizeof(why), "device '%s' is saved with state version %u; this softvisor reads up to "
                     "version %u", name, ver[i], s[i].desc->version);
            return snap_fail(r, why);
        }
        if (size != state_size(s[i].desc, ver[i])) {
            snprintf(why, sizeof(why), "device '%s' (state version %u) has %llu bytes of state, expected %zu", name,
                     ver[i], (unsigned long long)size, state_size(s[i].desc, ver[i]));
            return snap_fail(r, why);
        }
    }
    for (int i = 0; i < ns; i++) {
        size_t n = state_size(s[i].desc, ver[i]);
        uint8_t *buf = malloc(n ? n : 1);
        if (!buf)
            return snap_fail(r, "out of memory");
        char ferr[160];
        bool ok = snap_get(r, buf, n);
        if (ok && !state_load(s[i].desc, s[i].obj, ver[i], buf, ferr, sizeof(ferr))) {
            snprintf(why, sizeof(why), "device '%s': %s", s[i].name, ferr);
            ok = snap_fail(r, why);
        }
        free(buf);
        if (!ok)
            return false;
    }
    if (!vm_state_post_load(vm, why, sizeof(why)))
        return snap_fail(r, why);
    uint32_t nev;
    if (!snap_get_u32(r, &nev))
        return false;
    if (nev > (uint32_t)vm->clock.n)
        return snap_fail(r, "the snapshot arms more timer events than the machine has");
    for (int id = 0; id < vm->clock.n; id++)
        vm->clock.ev[id].deadline = CLOCK_NEVER;
    for (uint32_t i = 0; i < nev; i++) {
        EventKey k;
        uint64_t deadline;
        if (!snap_get_u32(r, &k.owner) || !snap_get_u32(r, &k.kind) || !snap_get_u64(r, &deadline))
            return false;
        int id = k.owner < (uint32_t)ns ? event_find(s, ns, &vm->clock, k) : -1;
        if (id < 0)
            return snap_fail(r, "the snapshot arms a timer event the machine does not have");
        clock_set_deadline(&vm->clock, id, deadline);
    }
    /* RAM and VRAM: written page by page only where they differ, so untouched zero pages of a
     * sparse guest stay unallocated */
    uint8_t page[PAGE_SIZE];
    VmBlock b[VM_STATE_MAX_BLOCKS];
    int nb = vm_state_blocks(vm, b);
    for (int i = 0; i < nb; i++) {
        for (uint64_t p = 0; p < b[i].pages; p++) {
            uint8_t *host = b[i].host + p * PAGE_SIZE;
            if (!snap_get(r, page, PAGE_SIZE))
                return false;
            if (memcmp(host, page, PAGE_SIZE))
                memcpy(host, page, PAGE_SIZE);
        }
        for (int c = 0; c < PHYS_DIRTY_CLIENTS; c++)
            memset(b[i].dirty[c], 0xff, (b[i].pages + 63) / 64 * 8);
    }
    uint64_t hash;
    if (!snap_get_u64(r, &hash) || !snap_get_end(r))
        return false;
    if (vm_state_hash(vm) != hash)
        return snap_fail(r, "the restored state does not match the snapshot's state hash (damaged file?)");
    return true;
}

bool vm_snapshot_load_mem(Vm *vm, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    if (len < 12 || memcmp(data, SNAP_MAGIC, 8)) {
        snprintf(err, errlen, "not a softvisor snapshot (no SOFTVSNP header)");
        return false;
    }
    uint32_t fmt;
    memcpy(&fmt, data + 8, 4);
    if (fmt != SNAP_FORMAT_VERSION) {
        snprintf(err, errlen, "snapshot format version %u; this softvisor reads version %u", fmt,
                 SNAP_FORMAT_VERSION);
        return false;
    }
    SnapReader r = { ZSTD_createDCtx(), { data + 12, len - 12, 0 }, false, true, err, errlen };
    if (!r.z) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    /* the writer's window is small; refuse frames that would make the decoder allocate more */
    ZSTD_DCtx_setParameter(r.z, ZSTD_d_windowLogMax, 24);
    bool ok = snapshot_read(vm, &r);
    ZSTD_freeDCtx(r.z);
    return ok;
}

bool vm_snapshot_load(Vm *vm, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return false;
    }
    size_t cap = 1 << 20, len = 0;
    uint8_t *data = malloc(cap);
    for (;;) {
        if (!data) {
            fclose(f);
            snprintf(err, errlen, "out of memory reading '%s'", path);
            return false;
        }
        len += fread(data + len, 1, cap - len, f);
        if (len < cap)
            break;
        uint8_t *bigger = realloc(data, cap * 2);
        if (!bigger)
            free(data);
        data = bigger;
        cap *= 2;
    }
    bool rd_err = ferror(f);
    fclose(f);
    if (rd_err) {
        free(data);
        snprintf(err, errlen, "cannot read '%s'", path);
        return false;
    }
    bool ok = vm_snapshot_load_mem(vm, data, len, err, errlen);
    free(data);
    return ok;
}
