/*
 * trace.c — execution trace (see trace.h).
 */
#include <stdlib.h>

#include <capstone/capstone.h>

#include "debug/trace.h"
#include "cpu/decode.h"
#include "cpu/flags.h"

struct Trace {
    FILE *out;
    int what;
    csh cs[3];   /* 16-, 32-, 64-bit disassemblers */
    bool cs_ok[3];
};

Trace *trace_new(FILE *out, int what)
{
    Trace *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->out = out;
    t->what = what;
    static const cs_mode modes[3] = { CS_MODE_16, CS_MODE_32, CS_MODE_64 };
    for (int i = 0; i < 3; i++)
        t->cs_ok[i] = cs_open(CS_ARCH_X86, modes[i], &t->cs[i]) == CS_ERR_OK;
    return t;
}

void trace_free(Trace *t)
{
    if (!t)
        return;
    for (int i = 0; i < 3; i++)
        if (t->cs_ok[i])
            cs_close(&t->cs[i]);
    free(t);
}

static void disassemble(Trace *t, Cpu *cpu, const Block *b)
{
    int m = cpu->code_bits == 64 ? 2 : cpu->code_bits == 32 ? 1 : 0;
    size_t len = 0;
    for (uint32_t i = 0; i < b->n; i++)
        len += b->insns[i].len;
    uint8_t buf[BLOCK_MAX_INSNS * 15];
    for (size_t i = 0; i < len && i < sizeof(buf); i++) {
        uint64_t pa = (b->paddr & PAGE_MASK) + ((b->paddr & 0xfff) + i);
        if (((b->paddr & 0xfff) + i) >= PAGE_SIZE && b->paddr2 != ~0ull)
            pa = b->paddr2 + ((b->paddr & 0xfff) + i - PAGE_SIZE);
        buf[i] = (uint8_t)cpu->bus->phys_read(cpu->bus_opaque, pa, 1);
    }
    if (!t->cs_ok[m])
        return;
    cs_insn *insn;
    size_t n = cs_disasm(t->cs[m], buf, len, cpu->rip, 0, &insn);
    for (size_t i = 0; i < n; i++)
        fprintf(t->out, "  %08llx: %s %s\n", (unsigned long long)insn[i].address, insn[i].mnemonic, insn[i].op_str);
    if (n)
        cs_free(insn, n);
}

static void trace_block(void *opaque, Cpu *cpu, const Block *b)
{
    Trace *t = opaque;
    fprintf(t->out, "%llu %04x:%llx ax=%llx bx=%llx cx=%llx dx=%llx si=%llx di=%llx bp=%llx sp=%llx fl=%x cpl=%d\n",
            (unsigned long long)cpu->icount, cpu->seg[SEG_CS].sel, (unsigned long long)cpu->rip,
            (unsigned long long)cpu->gpr[R_AX], (unsigned long long)cpu->gpr[R_BX],
            (unsigned long long)cpu->gpr[R_CX], (unsigned long long)cpu->gpr[R_DX],
            (unsigned long long)cpu->gpr[R_SI], (unsigned long long)cpu->gpr[R_DI],
            (unsigned long long)cpu->gpr[R_BP], (unsigned long long)cpu->gpr[R_SP], cpu_get_eflags(cpu), cpu->cpl);
    if (t->what & TRACE_ASM)
        disassemble(t, cpu, b);
}

void trace_attach(Trace *t, Cpu *cpu)
{
    cpu->trace_block = trace_block;
    cpu->trace_opaque = t;
}
