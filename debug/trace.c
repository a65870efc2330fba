/*
 * trace.c — execution trace (see trace.h).
 */
#include <stdlib.h>

#include <capstone/capstone.h>

#include "debug/trace.h"
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "mem/paging.h"

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

/* One instruction at a linear address, disassembled in `bits`-bit code, on the current line. */
static void disassemble_one(Trace *t, Cpu *cpu, uint64_t lin, uint64_t shown, int bits)
{
    int m = bits == 64 ? 2 : bits == 32 ? 1 : 0;
    uint8_t buf[15];
    size_t n = paging_debug_read(cpu, lin, true, buf, sizeof(buf));
    cs_insn *insn;
    size_t got = t->cs_ok[m] && n ? cs_disasm(t->cs[m], buf, n, shown, 1, &insn) : 0;
    if (got) {
        fprintf(t->out, ": %s %s", insn[0].mnemonic, insn[0].op_str);
        cs_free(insn, got);
    }
}

static const char *mode_name(uint32_t key)
{
    /* mode key bits (cpu_update_mode): 0-1 code size, 2 PE, 3 VM, 4 LMA */
    if (key & 8)
        return "virtual-8086";
    if (key & 16)
        return (key & 3) == 2 ? "long 64-bit" : (key & 3) == 1 ? "long compatibility 32-bit"
                                                               : "long compatibility 16-bit";
    if (key & 4)
        return (key & 3) == 1 ? "protected 32-bit" : "protected 16-bit";
    return (key & 3) == 1 ? "real (32-bit code segment)" : "real";
}

static void trace_event(void *opaque, Cpu *cpu, int kind, int vector, uint32_t err, int soft)
{
    Trace *t = opaque;
    if (kind == CPU_TRACE_MODE) {
        fprintf(t->out, "%llu MODE %s -> %s at %04x:%llx cr0=%llx cr4=%llx efer=%llx cpl=%d\n",
                (unsigned long long)cpu->icount, mode_name((uint32_t)vector), mode_name(cpu->mode_key),
                cpu->seg[SEG_CS].sel, (unsigned long long)cpu->rip, (unsigned long long)cpu->cr0,
                (unsigned long long)cpu->cr4, (unsigned long long)cpu->efer, cpu->cpl);
        return;
    }
    const char *what = soft == 1 ? "software INT n" : soft == 2 ? "INT3/INTO" : vector < 32 ? "exception"
                                                                                           : "interrupt";
    fprintf(t->out, "%llu INT v=%02x %s", (unsigned long long)cpu->icount, vector, what);
    if (err != EXC_NO_ERR)
        fprintf(t->out, " err=%x", err);
    if (vector == EXC_PF && !soft)
        fprintf(t->out, " cr2=%llx", (unsigned long long)cpu->cr2);
    fprintf(t->out, " at %04x:%llx cpl=%d", cpu->seg[SEG_CS].sel, (unsigned long long)cpu->rip, cpu->cpl);
    if (vector < 32 && !soft)
        disassemble_one(t, cpu, cpu_code_lin(cpu, cpu->rip), cpu->rip, cpu->code_bits);
    fputc('\n', t->out);
}

void trace_attach(Trace *t, Cpu *cpu)
{
    if (t->what & TRACE_EXEC)
        cpu->trace_block = trace_block;
    if (t->what & TRACE_INT)
        cpu->trace_event = trace_event;
    cpu->trace_opaque = t;
}
