/*
 * test_state.c — the state description (vm/state.h) and snapshot files (vm/state.c).
 *
 * Coverage: every byte of struct Cpu, of every device struct and of every nested table is either
 * a state field or a named host-only field, except alignment padding; a field added to a struct
 * without being added to its table (or to the host-only list) fails here.  Round trip: a VM with
 * every device programmed away from its reset state is saved, loaded into a fresh VM, and the
 * two are compared table by table, by state hash, and by running both on.  Bad files (truncated,
 * bit-flipped, wrong version, wrong machine, out-of-range values) are refused with a reason.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vm/checkpoint.h"
#include "vm/state.h"
#include "vm/vm.h"
#include "devices/pci.h"
#include "devices/uart16550.h"
#include "devices/vga.h"
#include "devices/ide.h"

/* ---- coverage ---- */

/* Marks the bytes of `fields` in map (one count per byte); returns false on an overlap. */
static bool mark(uint8_t *map, uint8_t *align_at, const StateField *fields, uint32_t n, char *why, size_t whylen)
{
    for (uint32_t i = 0; i < n; i++) {
        const StateField *f = &fields[i];
        size_t len = (size_t)f->size * f->count;
        if (f->align && (f->offset % f->align)) {
            snprintf(why, whylen, "field %s at %u is not aligned to %u", f->name, f->offset, f->align);
            return false;
        }
        align_at[f->offset] = (uint8_t)f->align;
        for (size_t b = f->offset; b < f->offset + len; b++) {
            if (map[b]++) {
                snprintf(why, whylen, "field %s overlaps another one at byte %zu", f->name, b);
                return false;
            }
        }
    }
    return true;
}

/* Every byte of d's struct is a field or host-only, apart from gaps that only pad up to the
 * alignment of the next field (or of the struct's end). */
static bool covered(const StateDesc *d, char *why, size_t whylen)
{
    uint8_t *map = calloc(d->size, 1), *align_at = calloc(d->size + 1, 1);
    bool ok = mark(map, align_at, d->fields, d->nfields, why, whylen) &&
              mark(map, align_at, d->host_only, d->nhost_only, why, whylen);
    unsigned max_align = 1;
    for (uint32_t i = 0; i < d->size + 1; i++)
        if (align_at[i] > max_align)
            max_align = align_at[i];
    for (uint32_t b = 0; ok && b < d->size;) {
        if (map[b]) {
            b++;
            continue;
        }
        uint32_t e = b;
        while (e < d->size && !map[e])
            e++;
        unsigned a = e == d->size ? max_align : align_at[e];
        /* padding: the hole ends at the first address aligned for what follows */
        if (a == 0 || (b + a - 1) / a * a != e) {
            snprintf(why, whylen, "%s: bytes %u-%u are neither state nor host-only (a field missing from its table?)",
                     d->name, b, e - 1);
            ok = false;
        }
        b = e;
    }
    for (uint32_t i = 0; ok && i < d->nfields; i++)
        if (d->fields[i].kind == STATE_STRUCT)
            ok = covered(d->fields[i].sub, why, whylen);
    free(map);
    free(align_at);
    return ok;
}

/* A VM running `code` from its 4 KiB BIOS (F000:F000, jumped to from the reset vector). */
static Vm *vm_with_code(const uint8_t *code, size_t n, uint64_t ram)
{
    char path[] = "/tmp/softvisor-test-state-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    uint8_t *rom = calloc(1, 4096);
    memcpy(rom, code, n);
    static const uint8_t reset[] = { 0xe9, 0x0d, 0xf0 };   /* fff0: jmp 0xf000 */
    memcpy(rom + 0xff0, reset, sizeof(reset));
    ck_assert_int_eq(write(fd, rom, 4096), 4096);
    close(fd);
    free(rom);
    char err[256] = "";
    VmConfig cfg = { .ram_size = ram, .bios = path, .rtc_base = 1767225600 };
    Vm *vm = vm_new(&cfg, err, sizeof(err));
    unlink(path);
    ck_assert_msg(vm != NULL, "vm_new: %s", err);
    return vm;
}

/* inc word [0x500]; add dword [0x504], eax; jmp l — memory, flags and registers all change */
static const uint8_t busy_code[] = {
    0x31, 0xc0,                   /* 00 xor ax, ax */
    0x8e, 0xd8,                   /* 02 mov ds, ax */
    0x66, 0x40,                   /* 04 l: inc eax */
    0xff, 0x06, 0x00, 0x05,       /* 06 inc word [0x500] */
    0x66, 0x01, 0x06, 0x04, 0x05, /* 0a add dword [0x504], eax */
    0xeb, 0xf3,                   /* 0f jmp l (0x04) */
};

START_TEST(state_tables_every_byte_covered_or_host_only)
{
    Vm *vm = vm_with_code(busy_code, sizeof(busy_code), 2u << 20);
    VmSection s[VM_STATE_MAX_SECTIONS];
    int ns = vm_state_sections(vm, s);
    for (int i = 0; i < ns; i++) {
        char why[256] = "";
        ck_assert_msg(covered(s[i].desc, why, sizeof(why)), "section %s: %s", s[i].name, why);
    }
    vm_free(vm);
}
END_TEST

START_TEST(state_coverage_missing_field_detected)
{
    /* the check itself: a table that forgets a field fails */
    typedef struct T { uint64_t a; uint32_t b; uint32_t c; } T;
    static const StateField f[] = { STATE_U(T, a), STATE_U(T, c) };
    static const StateDesc d = { "t", 1, sizeof(T), f, 2, NULL, 0, NULL };
    char why[256];
    ck_assert(!covered(&d, why, sizeof(why)));
    typedef struct P { uint8_t a; uint64_t b; } P;
    static const StateField g[] = { STATE_U(P, a), STATE_U(P, b) };
    static const StateDesc e = { "p", 1, sizeof(P), g, 2, NULL, 0, NULL };
    ck_assert_msg(covered(&e, why, sizeof(why)), "%s", why);
}
END_TEST

/* Puts every device away from its reset state, through the ports and MMIO as a guest would. */
static void program_devices(Vm *vm)
{
    IoBus *io = &vm->io;
    io_out(io, 0x20, 1, 0x11); io_out(io, 0x21, 1, 0x20); io_out(io, 0x21, 1, 0x04); io_out(io, 0x21, 1, 0x01);
    io_out(io, 0x21, 1, 0xfa);                        /* PIC: vectors 0x20, masks */
    io_out(io, 0x4d1, 1, 0x0e);                       /* ELCR2 */
    io_out(io, 0x43, 1, 0x34); io_out(io, 0x40, 1, 0x00); io_out(io, 0x40, 1, 0x10);   /* PIT 0: mode 2 */
    io_out(io, 0x43, 1, 0xb0); io_out(io, 0x42, 1, 0x34);                              /* PIT 2: half-written */
    io_out(io, 0x61, 1, 0x01);
    io_out(io, 0x70, 1, 0x0b); io_out(io, 0x71, 1, 0x52);   /* RTC: PIE|UIE, 24h */
    io_out(io, 0x70, 1, 0x0a); io_out(io, 0x71, 1, 0x26);
    io_out(io, 0x70, 1, 0x40); io_out(io, 0x71, 1, 0x99);   /* CMOS RAM byte */
    io_out(io, 0x3fa, 1, 0x01); io_out(io, 0x3fc, 1, 0x0b); io_out(io, 0x3f9, 1, 0x05);   /* COM1 */
    vm_input_serial(vm, 0, 'x');
    vm_input_serial(vm, 0, 'y');
    io_out(io, 0x2fb, 1, 0x83); io_out(io, 0x2f8, 1, 0x0c); io_out(io, 0x2fb, 1, 0x03);   /* COM2 divisor */
    io_out(io, 0x64, 1, 0xa8);                        /* KBC: enable aux */
    vm_input_key(vm, 0x1c);
    vm_input_key(vm, 0xf0);
    /* PM: PMBA = 0xb000, enabled; PM1_EN */
    io_out(io, 0xcf8, 4, 0x8000b040); io_out(io, 0xcfc, 4, 0xb001);
    io_out(io, 0xcf8, 4, 0x8000b080); io_out(io, 0xcfc, 1, 0x01);
    io_out(io, 0xb002, 2, 0x0001);
    io_out(io, 0xcf8, 4, 0x80000004);                 /* CONFIG_ADDRESS left pointing somewhere */
    /* local APIC: timer periodic, initial count; I/O APIC: a redirection entry */
    phys_mem_write(&vm->mem, 0xfee000f0, 4, 0x1ff);
    phys_mem_write(&vm->mem, 0xfee003e0, 4, 0x3);
    phys_mem_write(&vm->mem, 0xfee00320, 4, 0x20030);
    phys_mem_write(&vm->mem, 0xfee00380, 4, 100000);
    phys_mem_write(&vm->mem, 0xfec00000, 4, 0x12);
    phys_mem_write(&vm->mem, 0xfec00010, 4, 0x1a031);
    /* HPET: timer 0 periodic, enabled */
    phys_mem_write(&vm->mem, 0xfed00100, 8, 0x4c);
    phys_mem_write(&vm->mem, 0xfed00108, 8, 50000);
    phys_mem_write(&vm->mem, 0xfed00010, 8, 0x1);
    io_out(io, 0x92, 1, 0x00);                        /* A20 off */
    /* VGA: registers, a DAC colour half written, planar memory through the window; then a VBE
     * mode with its framebuffer at BAR0 = 0xE0000000 and a pixel written there */
    io_out(io, 0x3c2, 1, 0x67);
    io_out(io, 0x3c4, 1, 0x02); io_out(io, 0x3c5, 1, 0x0f);
    io_out(io, 0x3ce, 1, 0x05); io_out(io, 0x3cf, 1, 0x00); io_out(io, 0x3ce, 1, 0x08); io_out(io, 0x3cf, 1, 0xff);
    io_out(io, 0x3c8, 1, 0x07); io_out(io, 0x3c9, 1, 0x11); io_out(io, 0x3c9, 1, 0x22);
    phys_mem_write(&vm->mem, 0xa0123, 1, 0x5a);
    (void)phys_mem_read(&vm->mem, 0xa0123, 1);        /* loads the latches */
    io_out(io, 0x1ce, 2, 1); io_out(io, 0x1cf, 2, 640);
    io_out(io, 0x1ce, 2, 2); io_out(io, 0x1cf, 2, 480);
    io_out(io, 0x1ce, 2, 3); io_out(io, 0x1cf, 2, 32);
    io_out(io, 0x1ce, 2, 4); io_out(io, 0x1cf, 2, 0x41);
    io_out(io, 0xcf8, 4, 0x80001010); io_out(io, 0xcfc, 4, 0xe0000000);
    io_out(io, 0xcf8, 4, 0x80001004); io_out(io, 0xcfc, 2, 0x0003);
    phys_mem_write(&vm->mem, 0xe0001000, 4, 0xdeadbeef);
    /* PAM1: 0xC0000-0xC7FFF shadow RAM read/write; PIRQ A to IRQ 11 and the VGA's INTA# up */
    io_out(io, 0xcf8, 4, 0x80000058); io_out(io, 0xcfe, 1, 0x33);
    io_out(io, 0xcf8, 4, 0x80000860); io_out(io, 0xcfc, 1, 0x0b);
    pci_set_irq(vm->pci, 0x10, 0, 1);
    /* fw_cfg: an item selected and partly read, the DMA address's high half written */
    io_out(io, 0x510, 2, 0x0001);
    (void)io_in(io, 0x511, 1);
    io_out(io, 0x514, 4, 0x12000000);
    vm->cpu->xmm[3].q[1] = 0x123456789abcdefull;
    vm->cpu->fpu.regs[5].mant = 0x8000000000000001ull;
    vm->cpu->nmi_pending = false;
    vm->cpu->lbr_from[7] = 0x4242;
}

static char *tmp_path(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/softvisor-test-snap-%ld.svs", (long)getpid());
    return buf;
}

static void assert_same_state(Vm *a, Vm *b)
{
    VmSection sa[VM_STATE_MAX_SECTIONS], sb[VM_STATE_MAX_SECTIONS];
    int na = vm_state_sections(a, sa), nb = vm_state_sections(b, sb);
    ck_assert_int_eq(na, nb);
    for (int i = 0; i < na; i++) {
        char where[160];
        ck_assert_msg(!state_diff(sa[i].desc, sa[i].obj, sb[i].obj, where, sizeof(where)), "section %s differs: %s",
                      sa[i].name, where);
    }
    for (int id = 0; id < a->clock.n; id++)
        ck_assert_uint_eq(a->clock.ev[id].deadline, b->clock.ev[id].deadline);
    ck_assert(!memcmp(a->ram, b->ram, a->ram_size));
    ck_assert(!memcmp(a->vga->vram, b->vga->vram, a->vga->vram_size));
    /* the windows the loaded registers imply: the VBE framebuffer at BAR0, the shadow RAM */
    ck_assert_uint_eq(phys_mem_read(&a->mem, 0xe0001000, 4), phys_mem_read(&b->mem, 0xe0001000, 4));
    ck_assert_uint_eq(phys_mem_read(&a->mem, 0xc0010, 4), phys_mem_read(&b->mem, 0xc0010, 4));
    ck_assert_uint_eq(vm_state_hash(a), vm_state_hash(b));
}

START_TEST(state_roundtrip_every_device_equal)
{
    Vm *a = vm_with_code(busy_code, sizeof(busy_code), 2u << 20);
    program_devices(a);
    vm_run(a, 12345);
    program_devices(a);       /* again after running: queues fuller, timers running */
    vm_run(a, 777);
    char path[128], err[256] = "";
    tmp_path(path, sizeof(path));
    ck_assert_msg(vm_snapshot_save(a, path, err, sizeof(err)), "save: %s", err);
    Vm *b = vm_with_code(busy_code, sizeof(busy_code), 2u << 20);
    ck_assert_uint_ne(vm_state_hash(a), vm_state_hash(b));
    ck_assert_msg(vm_snapshot_load(b, path, err, sizeof(err)), "load: %s", err);
    assert_same_state(a, b);
    /* running on from the restored state is running on from the saved one */
    for (int i = 0; i < 5; i++) {
        vm_run(a, 100000);
        vm_run(b, 100000);
        assert_same_state(a, b);
    }
    ck_assert_uint_ne(a->cpu->icount, 0);
    unlink(path);
    vm_free(a);
    vm_free(b);
}
END_TEST

START_TEST(state_hash_follows_every_part)
{
    Vm *vm = vm_with_code(busy_code, sizeof(busy_code), 2u << 20);
    uint64_t h0 = vm_state_hash(vm);
    ck_assert_uint_eq(vm_state_hash(vm), h0);
    phys_mem_write(&vm->mem, vm->ram_size - 1, 1, 0x5a);
    uint64_t h1 = vm_state_hash(vm);
    ck_assert_uint_ne(h1, h0);
    vm->cpu->xmm[15].b[15] ^= 1;
    uint64_t h2 = vm_state_hash(vm);
    ck_assert_uint_ne(h2, h1);
    io_out(&vm->io, 0x70, 1, 0x7f);
    io_out(&vm->io, 0x71, 1, 0x5a);
    uint64_t h3 = vm_state_hash(vm);
    ck_assert_uint_ne(h3, h2);
    vm->cpu->stop_request = true;          /* host-only: not in the hash */
    ck_assert_uint_eq(vm_state_hash(vm), h3);
    vm_free(vm);
}
END_TEST

/* Random loads and stores over 128 KiB of real-mode memory: a 16-bit LCG in BX picks the offset
 * and DS.  The load fills the TLB entry, write tag included, so the store after it takes the fast
 * path (some straddle a page and take the slow path). */
static const uint8_t scatter_code[] = {
    0x31, 0xc0,                   /* 00 xor ax, ax */
    0x8e, 0xd8,                   /* 02 mov ds, ax */
    0xbb, 0x01, 0x00,             /* 04 mov bx, 1 */
    0x6b, 0xdb, 0x6d,             /* 07 l: imul bx, bx, 0x6d */
    0x81, 0xc3, 0x39, 0x30,       /* 0a add bx, 0x3039 */
    0x8b, 0x0f,                   /* 0e mov cx, [bx] */
    0x89, 0x1f,                   /* 10 mov [bx], bx */
    0x89, 0xd8,                   /* 12 mov ax, bx */
    0x25, 0x00, 0x1f,             /* 14 and ax, 0x1f00 */
    0x8e, 0xd8,                   /* 17 mov ds, ax */
    0xeb, 0xec,                   /* 19 jmp l (0x07) */
};

START_TEST(state_hash_incremental_equals_full_after_writes)
{
    Vm *vm = vm_with_code(scatter_code, sizeof(scatter_code), 2u << 20);
    uint64_t seed = 12345;
    for (int i = 0; i < 60; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        vm_run(vm, 1000 + (seed >> 40) % 20000);                         /* CPU stores */
        uint64_t pa = (seed >> 20) % vm->ram_size;
        phys_mem_write(&vm->mem, pa & ~7ull, 8, seed);                    /* a device's write */
        if (i % 7 == 0) {
            uint64_t at = (seed >> 13) % (vm->ram_size - 64);
            memcpy(vm->ram + at, &seed, 8);                               /* a loader's write */
            /* by host address: `at` may lie under the VGA window, where paddr is not RAM */
            phys_mark_dirty_host(&vm->mem, vm->ram + at);
            phys_mark_dirty_host(&vm->mem, vm->ram + at + 7);
        }
        if (i % 3 == 0)
            ck_assert_uint_eq(vm_state_hash(vm), vm_state_hash_full(vm));
        if (i % 2)
            cpu_flush_tlb(vm->cpu, true);   /* as a CR3 write: loads refill entries, write tags too */
    }
    ck_assert_uint_eq(vm_state_hash(vm), vm_state_hash_full(vm));
    /* the check can fail: a write nobody marks is missed by the incremental hash */
    vm->ram[0x1234] ^= 0xff;
    ck_assert_uint_ne(vm_state_hash(vm), vm_state_hash_full(vm));
    vm_free(vm);
}
END_TEST

START_TEST(checkpoint_restore_exact_cost_follows_dirty_pages)
{
    Vm *vm = vm_with_code(scatter_code, sizeof(scatter_code), 16u << 20);
    program_devices(vm);
    CheckpointSet *cs = checkpoint_set_new(vm);
    uint64_t hash[6], icount[6];
    for (int k = 0; k < 6; k++) {
        vm_run(vm, 20000 + 1000 * k);
        phys_mem_write(&vm->mem, 0x800000 + 0x10000 * (uint64_t)k, 4, 0xc0de0000u + (uint32_t)k);
        phys_mem_write(&vm->mem, 0xe0000000 + 0x10000 * (uint64_t)k, 4, 0xfb0000u + (uint32_t)k);  /* VRAM */
        ck_assert_int_eq(checkpoint_take(cs), k);
        hash[k] = vm_state_hash(vm);
        icount[k] = vm->cpu->icount;
    }
    /* the guest writes within 192 KiB (48 pages) of 16 MiB: a checkpoint holds about that much,
     * plus the tables, of which the IDE drives' transfer buffers are the bulk (devices/ide.c) */
    for (int k = 1; k < 6; k++)
        ck_assert_uint_lt(checkpoint_bytes(cs, k), 50 * (PAGE_SIZE + 8) + 64 * 1024 + 4 * IDE_BUF_SIZE);
    vm_run(vm, 50000);
    phys_mem_write(&vm->mem, 0xf00000, 8, 42);
    phys_mem_write(&vm->mem, 0xe0f00000, 8, 42);
    ck_assert(checkpoint_restore(cs, 2));
    ck_assert_uint_eq(vm->cpu->icount, icount[2]);
    ck_assert_uint_eq(vm_state_hash(vm), hash[2]);
    ck_assert_uint_eq(vm_state_hash_full(vm), hash[2]);
    /* running on from checkpoint 2 reaches what the first run had at checkpoint 3 */
    vm_run(vm, icount[3] - icount[2]);
    phys_mem_write(&vm->mem, 0x800000 + 0x10000 * 3, 4, 0xc0de0003u);
    phys_mem_write(&vm->mem, 0xe0000000 + 0x10000 * 3, 4, 0xfb0003u);
    ck_assert_uint_eq(vm_state_hash_full(vm), hash[3]);
    ck_assert_int_eq(checkpoint_count(cs), 3);
    ck_assert(checkpoint_restore(cs, 0));
    ck_assert_uint_eq(vm_state_hash(vm), hash[0]);
    ck_assert(!checkpoint_restore(cs, 1));
    checkpoint_set_free(cs);
    vm_free(vm);
}
END_TEST

/* 32-bit paging set up by hand (no guest code runs): linear 0x400000 maps through the page
 * table at 0x21000 to physical 0x30000, which holds 0x1111; 0x31000 holds 0x2222. */
#define STALE_LIN 0x400000u
static void paging_with_stale_entry(Vm *vm)
{
    phys_mem_write(&vm->mem, 0x20000 + 4 * (STALE_LIN >> 22), 4, 0x21000 | 0x7);   /* PDE */
    phys_mem_write(&vm->mem, 0x21000, 4, 0x30000 | 0x67);                           /* PTE, A and D set */
    phys_mem_write(&vm->mem, 0x30000, 4, 0x1111);
    phys_mem_write(&vm->mem, 0x31000, 4, 0x2222);
    vm->cpu->cr3 = 0x20000;
    vm->cpu->cr0 |= CR0_PE | CR0_PG;
    ck_assert_uint_eq(tlb_slow_read(vm->cpu, STALE_LIN, 4, ACC_READ, 0), 0x1111);
    /* the PTE now points elsewhere, with no INVLPG: the TLB keeps the old translation */
    phys_mem_write(&vm->mem, 0x21000, 4, 0x31000 | 0x67);
    ck_assert_uint_eq(tlb_slow_read(vm->cpu, STALE_LIN, 4, ACC_READ, 0), 0x1111);
}

/* A TLB entry the guest left stale is state: a checkpoint or a snapshot keeps it, in the VM that
 * saved it (nothing is flushed) as in one restored from it, and the state hash covers it. */
START_TEST(state_tlb_stale_entry_survives_checkpoint_and_snapshot)
{
    Vm *a = vm_with_code(busy_code, sizeof(busy_code), 2u << 20);
    paging_with_stale_entry(a);
    CheckpointSet *cs = checkpoint_set_new(a);
    ck_assert_int_eq(checkpoint_take(cs), 0);
    ck_assert_uint_eq(tlb_slow_read(a->cpu, STALE_LIN, 4, ACC_READ, 0), 0x1111);
    uint64_t h = vm_state_hash(a);
    char path[128], err[256] = "";
    tmp_path(path, sizeof(path));
    ck_assert_msg(vm_snapshot_save(a, path, err, sizeof(err)), "save: %s", err);
    ck_assert_uint_eq(tlb_slow_read(a->cpu, STALE_LIN, 4, ACC_READ, 0), 0x1111);
    ck_assert_uint_eq(vm_state_hash(a), h);
    Vm *b = vm_with_code(busy_code, sizeof(busy_code), 2u << 20);
    ck_assert_msg(vm_snapshot_load(b, path, err, sizeof(err)), "load: %s", err);
    unlink(path);
    ck_assert_uint_eq(tlb_slow_read(b->cpu, STALE_LIN, 4, ACC_READ, 0), 0x1111);
    ck_assert_uint_eq(vm_state_hash(b), h);
    /* a checkpoint restore puts the stale entry back after an INVLPG dropped it */
    tlb_flush_page(&a->cpu->tlb, STALE_LIN);
    ck_assert_uint_eq(tlb_slow_read(a->cpu, STALE_LIN, 4, ACC_READ, 0), 0x2222);
    ck_assert_uint_ne(vm_state_hash(a), h);
    ck_assert(checkpoint_restore(cs, 0));
    ck_assert_uint_eq(tlb_slow_read(a->cpu, STALE_LIN, 4, ACC_READ, 0), 0x1111);
    /* and the hash tells entries apart: the same memory without the entry hashes differently */
    tlb_flush_page(&b->cpu->tlb, STALE_LIN);
    ck_assert_uint_ne(vm_state_hash(b), h);
    checkpoint_set_free(cs);
    vm_free(a);
    vm_free(b);
}
END_TEST

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc(*len);
    ck_assert_uint_eq(fread(d, 1, *len, f), *len);
    fclose(f);
    return d;
}

/* Loads into a fresh VM; a file that loads must give exactly the saved state (`want`): a damaged
 * byte that zstd ignores (a frame header bit) may be accepted, a changed state never. */
static uint64_t want_hash;

static bool load_bytes(const uint8_t *d, size_t len, uint64_t ram, char *err, size_t errlen)
{
    Vm *vm = vm_with_code(busy_code, sizeof(busy_code), ram);
    bool ok = vm_snapshot_load_mem(vm, d, len, err, errlen);
    if (ok)
        ck_assert_uint_eq(vm_state_hash(vm), want_hash);
    vm_free(vm);
    return ok;
}

START_TEST(snapshot_bad_files_refused_with_reason)
{
    Vm *a = vm_with_code(busy_code, sizeof(busy_code), 2u << 20);
    program_devices(a);
    vm_run(a, 5000);
    char path[128], err[256];
    tmp_path(path, sizeof(path));
    ck_assert(vm_snapshot_save(a, path, err, sizeof(err)));
    size_t len;
    uint8_t *d = read_all(path, &len);
    unlink(path);
    want_hash = vm_state_hash(a);
    ck_assert(load_bytes(d, len, 2u << 20, err, sizeof(err)));
    /* truncated anywhere */
    for (size_t cut = 0; cut < len; cut += 1 + cut / 3) {
        err[0] = 0;
        ck_assert_msg(!load_bytes(d, cut, 2u << 20, err, sizeof(err)), "cut at %zu accepted", cut);
        ck_assert(err[0]);
    }
    /* one bit flipped anywhere: refused, or (a frame header bit) the very same state */
    int refused = 0, tried = 0;
    for (size_t pos = 0; pos < len; pos += 1 + pos / 5, tried++) {
        d[pos] ^= 0x10;
        err[0] = 0;
        if (!load_bytes(d, len, 2u << 20, err, sizeof(err))) {
            ck_assert(err[0]);
            refused++;
        }
        d[pos] ^= 0x10;
    }
    ck_assert_int_ge(refused, tried - 4);
    /* trailing bytes */
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, d, len);
    longer[len] = 0;
    ck_assert(!load_bytes(longer, len + 1, 2u << 20, err, sizeof(err)));
    free(longer);
    /* wrong format version */
    d[8] ^= 2;
    ck_assert(!load_bytes(d, len, 2u << 20, err, sizeof(err)));
    ck_assert_msg(strstr(err, "format version") != NULL, "%s", err);
    d[8] ^= 2;
    /* wrong machine */
    ck_assert(!load_bytes(d, len, 4u << 20, err, sizeof(err)));
    ck_assert_msg(strstr(err, "RAM") != NULL, "%s", err);
    free(d);

    /* a value that would index outside a FIFO: refused by the device's check */
    a->com1->rx_head = 200;
    ck_assert(vm_snapshot_save(a, path, err, sizeof(err)));
    d = read_all(path, &len);
    unlink(path);
    ck_assert(!load_bytes(d, len, 2u << 20, err, sizeof(err)));
    ck_assert_msg(strstr(err, "com1") != NULL, "%s", err);
    free(d);
    a->com1->rx_head = 0;
    /* an IDE buffer position past the transfer buffer: refused by the controller's check */
    a->ide->ch[1].d[0].pos = IDE_BUF_SIZE + 1;
    ck_assert(vm_snapshot_save(a, path, err, sizeof(err)));
    d = read_all(path, &len);
    unlink(path);
    ck_assert(!load_bytes(d, len, 2u << 20, err, sizeof(err)));
    ck_assert_msg(strstr(err, "ide") != NULL && strstr(err, "buffer position") != NULL, "%s", err);
    free(d);
    a->ide->ch[1].d[0].pos = 0;
    /* a bool that is not 0/1 */
    memset(&a->cpu->halted, 7, 1);
    ck_assert(vm_snapshot_save(a, path, err, sizeof(err)));
    d = read_all(path, &len);
    unlink(path);
    ck_assert(!load_bytes(d, len, 2u << 20, err, sizeof(err)));
    ck_assert_msg(strstr(err, "halted") != NULL, "%s", err);
    free(d);
    a->cpu->halted = false;
    vm_free(a);
}
END_TEST

START_TEST(snapshot_missing_file_refused)
{
    Vm *vm = vm_with_code(busy_code, sizeof(busy_code), 2u << 20);
    char err[256] = "";
    ck_assert(!vm_snapshot_load(vm, "/nonexistent/dir/x.svs", err, sizeof(err)));
    ck_assert(strstr(err, "cannot open") != NULL);
    ck_assert(!vm_snapshot_save(vm, "/nonexistent/dir/x.svs", err, sizeof(err)));
    vm_free(vm);
}
END_TEST

/* A guest write that only a -snapshot overlay holds would be lost by a VM snapshot: refused, and
 * nothing is written. */
START_TEST(snapshot_refused_while_overlay_holds_writes)
{
    Vm *vm = vm_with_code(busy_code, sizeof(busy_code), 2u << 20);
    char img[] = "/tmp/softvisor-test-ovl-XXXXXX", path[128], err[256] = "";
    int fd = mkstemp(img);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
    close(fd);
    BlockDev *bd = blockdev_open(img, false, true, err, sizeof(err));
    ck_assert_msg(bd != NULL, "%s", err);
    ck_assert_int_eq(ide_attach(vm->ide, 1, 1, IDE_DISK, bd), 0);
    tmp_path(path, sizeof(path));
    ck_assert_msg(vm_snapshot_save(vm, path, err, sizeof(err)), "%s", err);   /* no write yet */
    unlink(path);
    static const uint8_t sector[IDE_SECTOR] = { 0x55, 0xaa };
    ck_assert_int_eq(blockdev_write(bd, 0, sector, sizeof(sector)), 0);
    ck_assert(!vm_snapshot_save(vm, path, err, sizeof(err)));
    ck_assert_msg(strstr(err, "-snapshot") != NULL, "%s", err);
    ck_assert_int_ne(access(path, F_OK), 0);
    unlink(img);
    vm_free(vm);
}
END_TEST

static Suite *state_suite(void)
{
    Suite *s = suite_create("state");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, state_tables_every_byte_covered_or_host_only);
    tcase_add_test(tc, state_coverage_missing_field_detected);
    tcase_add_test(tc, state_roundtrip_every_device_equal);
    tcase_add_test(tc, state_hash_follows_every_part);
    tcase_add_test(tc, state_hash_incremental_equals_full_after_writes);
    tcase_add_test(tc, checkpoint_restore_exact_cost_follows_dirty_pages);
    tcase_add_test(tc, state_tlb_stale_entry_survives_checkpoint_and_snapshot);
    tcase_add_test(tc, snapshot_bad_files_refused_with_reason);
    tcase_add_test(tc, snapshot_missing_file_refused);
    tcase_add_test(tc, snapshot_refused_while_overlay_holds_writes);
    suite_add_tcase(s, tc);
    return s;
}

/* --fields: "STRUCT MEMBER" for every field and host-only field of every table, for
 * state_layout.sh, which compares them with the members the compiler's debug information lists
 * (that catches a field added into a padding hole, which the byte coverage above cannot see). */
static const char *const struct_of_table[][2] = {
    { "cpu", "Cpu" }, { "segcache", "SegCache" }, { "desctable", "DescTable" }, { "fp80", "Fp80" },
    { "x87", "X87State" }, { "clock", "Clock" }, { "board", "Vm" }, { "pic", "PicState" },
    { "pic-chip", "PicChip" }, { "pit", "PitState" }, { "pit-channel", "PitChannel" }, { "rtc", "RtcState" },
    { "kbc", "KbcState" }, { "kbc-queue", "KbcQueue" }, { "uart16550", "UartState" },
    { "debugcon", "DebugconState" }, { "debugexit", "DebugExitState" }, { "lapic", "LapicState" },
    { "ioapic", "IoapicState" }, { "hpet", "HpetState" }, { "hpet-timer", "HpetTimer" }, { "pci", "PciState" },
    { "pci-function", "PciFunc" }, { "piix4-pm", "AcpiPmState" }, { "fw_cfg", "FwCfgState" }, { "vga", "Vga" }, { "tlb", "Tlb" }, { "tlb-xlat", "TlbXlat" },
    { "ide", "Ide" }, { "ide-channel", "IdeChannel" }, { "ide-drive", "IdeDrive" },
};

static int print_fields(const StateDesc *d)
{
    const char *tag = NULL;
    for (size_t i = 0; i < sizeof(struct_of_table) / sizeof(struct_of_table[0]); i++)
        if (!strcmp(struct_of_table[i][0], d->name))
            tag = struct_of_table[i][1];
    if (!tag) {
        fprintf(stderr, "test_state --fields: table '%s' has no struct name in struct_of_table\n", d->name);
        return 1;
    }
    int bad = 0;
    for (uint32_t i = 0; i < d->nfields; i++) {
        printf("%s %s\n", tag, d->fields[i].name);
        if (d->fields[i].kind == STATE_STRUCT)
            bad |= print_fields(d->fields[i].sub);
    }
    for (uint32_t i = 0; i < d->nhost_only; i++)
        printf("%s %s\n", tag, d->host_only[i].name);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--fields")) {
        Vm *vm = calloc(1, sizeof(Vm));   /* only the tables are wanted, not the objects */
        Vga vga;                          /* present, so that its section is listed */
        vm->vga = &vga;
        VmSection sec[VM_STATE_MAX_SECTIONS];
        int ns = vm_state_sections(vm, sec), bad = 0;
        for (int i = 0; i < ns; i++)
            bad |= print_fields(sec[i].desc);
        free(vm);
        return bad;
    }
    SRunner *sr = srunner_create(state_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
