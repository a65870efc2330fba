/*
 * seg.c — segment register loads and descriptor caches.
 *
 * Descriptor layout (SDM vol. 3, 3.4.5, figure 3-8):
 *   bits 0-15 limit 15:0, 16-39 base 23:0, 40-43 type, 44 S, 45-46 DPL, 47 P, 48-51 limit 19:16,
 *   52 AVL, 53 L, 54 D/B, 55 G, 56-63 base 31:24.
 * Data-access checks precomputed per cache (access.h): expand-down data segments (type bit 2)
 * allow offsets limit+1 .. 0xFFFF (B=0) or 0xFFFFFFFF (B=1); others 0 .. limit.  Code segments are
 * readable when type bit 1 is set and never writable; data segments are writable when type bit 1 is
 * set.  A not-present cache (null selector) allows nothing.
 *
 * MOV/POP Sreg checks in protected mode follow the SDM's MOV pseudo-code:
 *   SS: null -> #GP(0) (allowed in 64-bit mode at CPL < 3 when RPL = CPL); RPL != CPL, DPL != CPL
 *       or not a writable data segment -> #GP(sel); not present -> #SS(sel).
 *   DS/ES/FS/GS: null -> loads an unusable segment; not data or readable code -> #GP(sel);
 *       data or non-conforming code with RPL > DPL or CPL > DPL -> #GP(sel); not present -> #NP(sel).
 * The accessed bit is set in the descriptor in memory when it was clear.
 * Task switches use the same data checks with #TS instead of #GP (SDM vol. 3, 7.3 step 12).
 * A null FS/GS load clears the base in 64-bit mode as on Intel (AMD keeps it).  A RET or IRET to
 * an outer privilege level that nulls ES/DS/FS/GS changes only the selector (to 0) and makes the
 * segment unusable; the base stays (SDM RET/IRET: "segment register is loaded with a null
 * selector", not a load through MOV).  The 64-bit FS/GS
 * bases written by WRMSR/WRFSBASE/SWAPGS live in seg[SEG_FS/GS].base, which a selector load
 * replaces with the 32-bit descriptor base, as on hardware.
 */
#include "cpu/seg.h"
#include "cpu/access.h"

void seg_cache_update(SegCache *s)
{
    uint16_t a = s->attr;
    s->lo = 0;
    s->hi = s->limit;
    s->ok = 0;
    if (!(a & SEG_ATTR_P) || !(a & SEG_ATTR_S))
        return;
    if (a & 0x8) {                       /* code */
        if (a & 0x2)
            s->ok = 1u << ACC_READ;
    } else {
        s->ok = (1u << ACC_READ) | ((a & 0x2) ? 1u << ACC_WRITE : 0);
        if (a & 0x4) {                   /* expand-down */
            s->lo = s->limit + 1;
            s->hi = (a & SEG_ATTR_DB) ? 0xffffffffu : 0xffffu;
            if (s->limit == 0xffffffffu) {   /* empty segment */
                s->lo = 1;
                s->hi = 0;
            }
        }
    }
}

void seg_set_real(Cpu *cpu, int seg, uint16_t sel)
{
    SegCache *s = &cpu->seg[seg];
    s->sel = sel;
    s->base = (uint64_t)sel << 4;
    if (cpu_vm86(cpu)) {
        s->limit = 0xffff;
        s->attr = 0xf3;                  /* present, DPL 3, read/write data, accessed */
        seg_cache_update(s);
    }
}

void seg_set_real_full(Cpu *cpu, int seg, uint16_t sel)
{
    SegCache *s = &cpu->seg[seg];
    s->sel = sel;
    s->base = (uint64_t)sel << 4;
    s->limit = 0xffff;
    s->attr = cpu_vm86(cpu) ? 0xf3 : 0x93;
    seg_cache_update(s);
}

void seg_cache_from_desc(SegCache *s, uint16_t sel, uint64_t d)
{
    uint32_t limit = (uint32_t)(d & 0xffff) | (uint32_t)((d >> 32) & 0xf0000);
    s->sel = sel;
    s->base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000);
    s->attr = (uint16_t)((d >> 40) & 0xf0ff);
    s->limit = (s->attr & SEG_ATTR_G) ? (limit << 12) | 0xfff : limit;
    seg_cache_update(s);
}

_Noreturn void seg_fault_access(Cpu *cpu, int seg)
{
    cpu_raise(cpu, seg == SEG_SS ? EXC_SS : EXC_GP, 0);
}

bool seg_desc_lin(const Cpu *cpu, uint16_t sel, uint64_t *lin)
{
    uint64_t base;
    uint32_t limit;
    if (sel & 4) {
        if (!(cpu->ldtr.attr & SEG_ATTR_P) || (cpu->ldtr.sel & 0xfffc) == 0)
            return false;
        base = cpu->ldtr.base;
        limit = cpu->ldtr.limit;
    } else {
        base = cpu->gdtr.base;
        limit = cpu->gdtr.limit;
    }
    uint32_t off = sel & 0xfff8;
    if (off + 7 > limit)
        return false;
    uint64_t a = base + off;
    *lin = cpu_long_mode(cpu) ? a : (uint32_t)a;
    return true;
}

uint64_t seg_read_desc_ext(Cpu *cpu, uint16_t sel, int vec, uint32_t ext, uint64_t *lin)
{
    uint64_t a;
    if (!seg_desc_lin(cpu, sel, &a))
        cpu_raise(cpu, vec, (sel & 0xfffc) | ext);
    if (lin)
        *lin = a;
    return cpu_sys_read(cpu, a, 8);
}

uint64_t seg_read_desc(Cpu *cpu, uint16_t sel, int vec, uint64_t *lin)
{
    return seg_read_desc_ext(cpu, sel, vec, 0, lin);
}

uint64_t seg_read_desc_hi(Cpu *cpu, uint16_t sel, int vec, uint32_t ext)
{
    const DescTable *t = (sel & 4) ? &(DescTable){ cpu->ldtr.base, cpu->ldtr.limit } : &cpu->gdtr;
    uint32_t off = (sel & 0xfff8) + 8;
    if (off + 7 > t->limit)
        cpu_raise(cpu, vec, (sel & 0xfffc) | ext);
    return cpu_sys_read(cpu, t->base + off, 8);
}

/* Sets the accessed bit (type bit 0) in the descriptor in memory if it is clear. */
static void set_accessed(Cpu *cpu, uint64_t lin, uint64_t desc)
{
    if (!(desc & (1ull << 40)))
        cpu_sys_write(cpu, lin + 5, 1, (uint8_t)((desc >> 40) | 1));
}

void seg_mark_accessed(Cpu *cpu, SegDesc *sd)
{
    if (sd->d && !(sd->d & (1ull << 40))) {
        set_accessed(cpu, sd->lin, sd->d);
        sd->d |= 1ull << 40;
    }
}

void seg_check_data(Cpu *cpu, int seg, uint16_t sel, int cpl, int vec, uint32_t ext, SegDesc *out)
{
    int rpl = sel & 3;
    out->sel = sel;
    out->d = 0;
    out->lin = 0;
    if ((sel & 0xfffc) == 0) {
        if (seg == SEG_SS && !(cpu->code_bits == 64 && cpl < 3 && rpl == cpl))
            cpu_raise(cpu, vec, ext);
        return;
    }
    uint64_t d = seg_read_desc_ext(cpu, sel, vec, ext, &out->lin);
    int dpl = desc_dpl(d), type = desc_type(d);
    uint32_t err = (sel & 0xfffc) | ext;
    if (seg == SEG_SS) {
        if (!desc_s(d) || (type & 0x8) || !(type & 0x2) || rpl != cpl || dpl != cpl)
            cpu_raise(cpu, vec, err);
        if (!desc_present(d))
            cpu_raise(cpu, EXC_SS, err);
    } else {
        if (!desc_s(d) || ((type & 0x8) && !(type & 0x2)))
            cpu_raise(cpu, vec, err);
        if (!desc_conforming(d) && (rpl > dpl || cpl > dpl))
            cpu_raise(cpu, vec, err);
        if (!desc_present(d))
            cpu_raise(cpu, EXC_NP, err);
    }
    out->d = d;
}

void seg_load_null(Cpu *cpu, int seg, uint16_t sel)
{
    /* Intel clears the base of a null FS/GS load in 64-bit mode (AMD keeps it). */
    SegCache *s = &cpu->seg[seg];
    s->sel = sel;
    s->base = 0;
    s->limit = 0;
    s->attr = 0;
    seg_cache_update(s);
    if (seg == SEG_SS)   /* a null SS (64-bit mode) still carries the DPL of the stack */
        s->attr = (uint16_t)(((sel & 3) << 5) | 0x10 | 0x3);
}

void seg_commit(Cpu *cpu, int seg, const SegDesc *sd)
{
    if (!sd->d) {
        seg_load_null(cpu, seg, sd->sel);
        return;
    }
    set_accessed(cpu, sd->lin, sd->d);
    seg_cache_from_desc(&cpu->seg[seg], sd->sel, sd->d | (1ull << 40));
}

void seg_commit_cs(Cpu *cpu, const SegDesc *sd, int cpl)
{
    set_accessed(cpu, sd->lin, sd->d);
    seg_cache_from_desc(&cpu->seg[SEG_CS], (uint16_t)((sd->sel & 0xfffc) | cpl), sd->d | (1ull << 40));
    cpu->cpl = cpl;
    cpu_update_mode(cpu);
}

void seg_load_flat(Cpu *cpu, int seg, uint16_t sel, uint16_t attr)
{
    SegCache *s = &cpu->seg[seg];
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffffu;
    s->attr = attr;
    seg_cache_update(s);
}

void seg_null_outer(Cpu *cpu)
{
    static const int regs[4] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
    for (int i = 0; i < 4; i++) {
        SegCache *s = &cpu->seg[regs[i]];
        bool code = (s->attr & SEG_ATTR_S) && (s->attr & 0x8);
        bool conforming = code && (s->attr & 0x4);
        int dpl = (s->attr >> 5) & 3;
        /* Only the selector and the usability change: the base stays, which matters for FS
         * and GS in 64-bit mode (unlike MOV of a null selector, which clears it). */
        if ((s->sel & 0xfffc) != 0 && !conforming && dpl < cpu->cpl) {
            s->sel = 0;
            s->attr = 0;
            seg_cache_update(s);
        }
    }
}

void seg_load(Cpu *cpu, int seg, uint16_t sel)
{
    if (!cpu_protected(cpu) || cpu_vm86(cpu)) {
        seg_set_real(cpu, seg, sel);
        return;
    }
    SegDesc sd;
    seg_check_data(cpu, seg, sel, cpu->cpl, EXC_GP, 0, &sd);
    seg_commit(cpu, seg, &sd);
}
