/*
 * fake_bus.c — the fake machine of fake_bus.h.
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/fake_bus.h"
#include "cpu/access.h"
#include "cpu/decode.h"
#include "cpu/seg.h"

static uint8_t *fake_phys_ptr(void *opaque, uint64_t paddr, bool *writable)
{
    FakeBus *fb = opaque;
    uint64_t page = paddr & PAGE_MASK;
    if (page < fb->ram_size) {
        *writable = true;
        return fb->ram + page;
    }
    if (page == FB_ROM) {
        *writable = false;
        return fb->rom;
    }
    return NULL;
}

static uint64_t size_ones(int size) { return size == 8 ? ~0ull : (1ull << (8 * size)) - 1; }

static uint64_t fake_phys_read(void *opaque, uint64_t paddr, int size)
{
    FakeBus *fb = opaque;
    if ((paddr & PAGE_MASK) == FB_MMIO) {
        fb->mmio_reads++;
        fb->mmio_last_addr = paddr;
        fb->mmio_last_size = size;
        return FB_MMIO_VALUE & size_ones(size);
    }
    return size_ones(size);
}

static void fake_phys_write(void *opaque, uint64_t paddr, int size, uint64_t val)
{
    FakeBus *fb = opaque;
    if ((paddr & PAGE_MASK) == FB_MMIO) {
        fb->mmio_writes++;
        fb->mmio_last_addr = paddr;
        fb->mmio_last_size = size;
        fb->mmio_last_val = val;
    }
}

static uint32_t fake_io_in(void *opaque, uint16_t port, int size)
{
    (void)opaque;
    (void)port;
    return (uint32_t)size_ones(size);
}

static void fake_io_out(void *opaque, uint16_t port, int size, uint32_t val)
{
    FakeBus *fb = opaque;
    (void)size;
    fb->outs++;
    fb->out_port = port;
    fb->out_val = val;
}

static bool fake_intr_ack(void *opaque, uint8_t *vector)
{
    (void)opaque;
    (void)vector;
    return false;
}

static bool fake_intr_pending(void *opaque)
{
    (void)opaque;
    return false;
}

FakeBus *fb_new(size_t ram_size)
{
    FakeBus *fb = calloc(1, sizeof(*fb));
    if (!fb)
        return NULL;
    fb->ram_size = ram_size;
    fb->ram = calloc(1, ram_size);
    memset(fb->rom, FB_ROM_BYTE, sizeof(fb->rom));
    fb->bus = (CpuBus){ fake_phys_ptr, fake_phys_read, fake_phys_write, fake_io_in, fake_io_out,
                        fake_intr_ack, fake_intr_pending, NULL, NULL };
    CpuConfig cc = { .rng_seed = 1, .tsc_per_insn = 1 };
    fb->cpu = fb->ram ? cpu_new(&fb->bus, fb, &cc) : NULL;
    if (!fb->cpu) {
        free(fb->ram);
        free(fb);
        return NULL;
    }
    return fb;
}

void fb_free(FakeBus *fb)
{
    if (!fb)
        return;
    cpu_free(fb->cpu);
    free(fb->ram);
    free(fb);
}

static void flat(SegCache *s, uint16_t sel, uint16_t attr)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffffu;
    s->attr = attr;
    seg_cache_update(s);
}

void fb_mode_real(FakeBus *fb)
{
    Cpu *cpu = fb->cpu;
    cpu->cr0 &= ~(CR0_PE | CR0_PG);
    cpu->efer &= ~(EFER_LME | EFER_LMA);
    for (int s = 0; s < 6; s++)
        seg_set_real_full(cpu, s, 0);
    cpu->seg[SEG_CS].attr = 0x9b;
    seg_cache_update(&cpu->seg[SEG_CS]);
    cpu->cpl = 0;
    cpu_update_mode(cpu);
    cpu_flush_tlb(cpu, true);
}

void fb_mode_pm32(FakeBus *fb)
{
    Cpu *cpu = fb->cpu;
    cpu->cr0 |= CR0_PE;
    flat(&cpu->seg[SEG_CS], 0x08, 0xc09b);
    for (int s = 0; s < 6; s++)
        if (s != SEG_CS)
            flat(&cpu->seg[s], 0x10, 0xc093);
    cpu->cpl = 0;
    cpu_update_mode(cpu);
    cpu_flush_tlb(cpu, true);
}

void fb_mode_long64(FakeBus *fb, uint64_t cr3)
{
    Cpu *cpu = fb->cpu;
    cpu->cr4 |= CR4_PAE;
    cpu->efer |= EFER_LME | EFER_LMA;
    cpu->cr3 = cr3;
    cpu->cr0 |= CR0_PE | CR0_PG;
    flat(&cpu->seg[SEG_CS], 0x08, 0xa09b);
    for (int s = 0; s < 6; s++)
        if (s != SEG_CS)
            flat(&cpu->seg[s], 0x10, 0xc093);
    cpu->cpl = 0;
    cpu_update_mode(cpu);
    cpu_flush_tlb(cpu, true);
}

void fb_set_cpl(FakeBus *fb, int cpl)
{
    Cpu *cpu = fb->cpu;
    cpu->cpl = cpl;
    cpu->seg[SEG_CS].sel = (uint16_t)((cpu->seg[SEG_CS].sel & ~3) | cpl);
    cpu->seg[SEG_CS].attr = (uint16_t)((cpu->seg[SEG_CS].attr & ~SEG_ATTR_DPL) | (cpl << 5));
    cpu->seg[SEG_SS].attr = (uint16_t)((cpu->seg[SEG_SS].attr & ~SEG_ATTR_DPL) | (cpl << 5));
    seg_cache_update(&cpu->seg[SEG_CS]);
    seg_cache_update(&cpu->seg[SEG_SS]);
    cpu_update_mode(cpu);
}

uint64_t fb_peek(const FakeBus *fb, uint64_t pa, int size)
{
    uint64_t v = 0;
    memcpy(&v, fb->ram + pa, (size_t)size);
    return v;
}

void fb_poke(FakeBus *fb, uint64_t pa, int size, uint64_t v)
{
    memcpy(fb->ram + pa, &v, (size_t)size);
}

/* One operation under a local fault landing pad (cpu_raise longjmps to fault_jmp). */
enum { OP_READ, OP_WRITE, OP_FETCH, OP_BLOCK, OP_XLATE_R, OP_XLATE_W };

static int attempt(FakeBus *fb, int op, uint64_t lin, int size, int user, uint64_t *val)
{
    Cpu *cpu = fb->cpu;
    jmp_buf jb;
    jmp_buf *saved = cpu->fault_jmp;
    int r = -1;
    cpu->fault_jmp = &jb;
    cpu->exc_vector = -1;
    if (setjmp(jb) == 0) {
        switch (op) {
        case OP_READ: *val = lin_read(cpu, lin, size, user); break;
        case OP_WRITE: lin_write(cpu, lin, size, *val, user); break;
        case OP_FETCH: *val = tlb_translate(cpu, lin, ACC_EXEC, user); break;
        case OP_XLATE_R: *val = tlb_translate(cpu, lin, ACC_READ, user); break;
        case OP_XLATE_W: *val = tlb_translate(cpu, lin, ACC_WRITE, user); break;
        default: *val = block_find(cpu)->n; break;
        }
    } else {
        r = cpu->exc_vector;
    }
    cpu->fault_jmp = saved;
    return r;
}

int fb_try_read(FakeBus *fb, uint64_t lin, int size, int user, uint64_t *val)
{
    uint64_t v = 0;
    int r = attempt(fb, OP_READ, lin, size, user, &v);
    if (val)
        *val = v;
    return r;
}

int fb_try_write(FakeBus *fb, uint64_t lin, int size, uint64_t val, int user)
{
    return attempt(fb, OP_WRITE, lin, size, user, &val);
}

int fb_try_fetch(FakeBus *fb, uint64_t lin, int user, uint64_t *pa)
{
    uint64_t v = 0;
    int r = attempt(fb, OP_FETCH, lin, 1, user, &v);
    if (pa)
        *pa = v;
    return r;
}

int fb_try_translate(FakeBus *fb, uint64_t lin, int access, int user, uint64_t *pa)
{
    uint64_t v = 0;
    int op = access == ACC_EXEC ? OP_FETCH : access == ACC_WRITE ? OP_XLATE_W : OP_XLATE_R;
    int r = attempt(fb, op, lin, 1, user, &v);
    if (pa)
        *pa = v;
    return r;
}

int fb_try_block(FakeBus *fb, uint32_t *n)
{
    uint64_t v = 0;
    int r = attempt(fb, OP_BLOCK, 0, 1, 0, &v);
    if (n)
        *n = (uint32_t)v;
    return r;
}

CpuExit fb_run(FakeBus *fb, uint64_t n)
{
    return cpu_run(fb->cpu, fb->cpu->icount + n);
}
