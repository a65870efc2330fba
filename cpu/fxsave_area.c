/*
 * fxsave_area.c — the FXSAVE legacy region (layout and rules in cpu/fxsave_area.h; SDM vol. 2
 * FXSAVE/FXRSTOR, vol. 1 13.4.1 and 13.5).  Used by FXSAVE/FXRSTOR and XSAVE/XRSTOR.
 */
#include "cpu/fxsave_area.h"

static inline void put(uint8_t *p, int size, uint64_t v)
{
    for (int i = 0; i < size; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t get(const uint8_t *p, int size)
{
    uint64_t v = 0;
    for (int i = 0; i < size; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

int fxsave_area_tag(Fp80 r)
{
    unsigned exp = r.se & 0x7fff;
    if (exp == 0x7fff)
        return 2;
    if (exp == 0)
        return r.mant == 0 ? 1 : 2;
    return (r.mant >> 63) ? 0 : 2;
}

void fxsave_area_store_x87(const Cpu *cpu, uint8_t *area, bool fmt64)
{
    const X87State *f = &cpu->fpu;
    uint8_t ftw = 0;
    for (int i = 0; i < 8; i++)
        if (((f->tw >> (2 * i)) & 3) != 3)
            ftw |= (uint8_t)(1u << i);
    put(area + 0, 2, f->cw);
    put(area + 2, 2, f->sw);
    area[4] = ftw;
    area[5] = 0;
    put(area + 6, 2, f->fop & 0x7ff);
    if (fmt64) {
        put(area + 8, 8, f->fip);
        put(area + 16, 8, f->fdp);
    } else {
        put(area + 8, 4, f->fip);
        put(area + 12, 4, f->fcs);
        put(area + 16, 4, f->fdp);
        put(area + 20, 4, f->fds);
    }
    int top = (f->sw >> 11) & 7;
    for (int i = 0; i < 8; i++) {
        const Fp80 *r = &f->regs[(top + i) & 7];
        uint8_t *p = area + FXSAVE_AREA_ST + 16 * i;
        put(p, 8, r->mant);
        put(p + 8, 8, r->se);
    }
}

void fxsave_area_store_mxcsr(const Cpu *cpu, uint8_t *area)
{
    put(area + FXSAVE_AREA_MXCSR, 4, cpu->mxcsr);
    put(area + FXSAVE_AREA_MXCSR + 4, 4, FXSAVE_AREA_MXCSR_MASK);
}

void fxsave_area_store_xmm(const Cpu *cpu, uint8_t *area)
{
    for (int i = 0; i < fxsave_area_nxmm(cpu); i++) {
        put(area + FXSAVE_AREA_XMM + 16 * i, 8, cpu->xmm[i].q[0]);
        put(area + FXSAVE_AREA_XMM + 16 * i + 8, 8, cpu->xmm[i].q[1]);
    }
}

void fxsave_area_load_x87(Cpu *cpu, const uint8_t *area, bool fmt64)
{
    X87State *f = &cpu->fpu;
    f->cw = (uint16_t)get(area + 0, 2);
    f->sw = (uint16_t)get(area + 2, 2);
    f->fop = (uint16_t)(get(area + 6, 2) & 0x7ff);
    if (fmt64) {
        f->fip = get(area + 8, 8);
        f->fdp = get(area + 16, 8);
    } else {
        f->fip = get(area + 8, 4);
        f->fcs = (uint16_t)get(area + 12, 2);
        f->fdp = get(area + 16, 4);
        f->fds = (uint16_t)get(area + 20, 2);
    }
    int top = (f->sw >> 11) & 7;
    for (int i = 0; i < 8; i++) {
        const uint8_t *p = area + FXSAVE_AREA_ST + 16 * i;
        Fp80 *r = &f->regs[(top + i) & 7];
        r->mant = get(p, 8);
        r->se = (uint16_t)get(p + 8, 2);
    }
    uint16_t tw = 0;
    for (int i = 0; i < 8; i++) {
        int tag = (area[4] >> i) & 1 ? fxsave_area_tag(f->regs[i]) : 3;
        tw |= (uint16_t)(tag << (2 * i));
    }
    f->tw = tw;
}

uint32_t fxsave_area_mxcsr(const uint8_t *area)
{
    return (uint32_t)get(area + FXSAVE_AREA_MXCSR, 4);
}

void fxsave_area_load_xmm(Cpu *cpu, const uint8_t *area)
{
    for (int i = 0; i < fxsave_area_nxmm(cpu); i++) {
        cpu->xmm[i].q[0] = get(area + FXSAVE_AREA_XMM + 16 * i, 8);
        cpu->xmm[i].q[1] = get(area + FXSAVE_AREA_XMM + 16 * i + 8, 8);
    }
}

/* Linear address of byte `off` of the area: wraps at 4 GiB outside 64-bit mode. */
static inline uint64_t area_addr(const Cpu *cpu, uint64_t lin, int off)
{
    uint64_t a = lin + (uint64_t)off;
    return cpu->code_bits == 64 ? a : (uint32_t)a;
}

uint64_t fxsave_area_lin(Cpu *cpu, const Insn *in, int size, int acc, unsigned align)
{
    uint64_t lin = cpu_lin(cpu, in->seg, insn_ea(cpu, in), size, acc);
    if (lin & (align - 1))
        cpu_raise(cpu, EXC_GP, 0);
    return lin;
}

void fxsave_area_probe_write(Cpu *cpu, uint64_t lin, int off, int len)
{
    int user = cpu_user(cpu);
    int o = off;
    while (o < off + len) {
        uint64_t a = area_addr(cpu, lin, o);
        lin_read_w(cpu, a, 1, user);
        o += (int)(PAGE_SIZE - (a & (PAGE_SIZE - 1)));
    }
}

void fxsave_area_read(Cpu *cpu, uint64_t lin, uint8_t *area, int off, int len)
{
    int user = cpu_user(cpu);
    for (int o = off; o < off + len; o += 8)
        put(area + o, 8, lin_read(cpu, area_addr(cpu, lin, o), 8, user));
}

void fxsave_area_write(Cpu *cpu, uint64_t lin, const uint8_t *area, int off, int len)
{
    int user = cpu_user(cpu);
    for (int o = off; o < off + len; o += 8)
        lin_write(cpu, area_addr(cpu, lin, o), 8, get(area + o, 8), user);
}
