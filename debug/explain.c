/*
 * explain.c — the teaching views (see explain.h).
 *
 * explain addr ADDR: the page walk of SDM vol. 3, chapter 4 for a supervisor read of the linear
 *   address, through paging_debug_walk (no side effect): each level's table index, the entry's
 *   physical address and value, its flags (P R/W U/S PWT PCD A D PS G XD), then the physical
 *   address and page size with the rights the whole path grants, or the #PF and its error code
 *   (4.7) the access would raise.
 * explain sel SEL: the descriptor a selector names (3.4.2, 3.4.5, 3.5): the table (GDT or LDT),
 *   index, RPL, the raw 8 (or 16, system descriptors in long mode) bytes, and every field: base,
 *   limit (scaled by G), type in words, S, DPL, P, AVL, L, D/B, G.
 * explain fault: the last exception the CPU delivered (Cpu.last_exc): vector and name, the error
 *   code decoded (6.13: EXT/IDT/TI/index; #PF: P W/R U/S RSVD I/D, CR2), the faulting instruction
 *   (Capstone) and what that kind of fault means.
 */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "debug/explain.h"
#include "mem/paging.h"

static void disasm_bits(Vm *vm, MonOut *o, uint64_t addr, bool linear, int count, int bits)
{
    csh h;
    if (cs_open(CS_ARCH_X86, bits == 64 ? CS_MODE_64 : bits == 32 ? CS_MODE_32 : CS_MODE_16, &h) != CS_ERR_OK) {
        monout_printf(o, "disassembler unavailable\n");
        return;
    }
    uint8_t buf[15 * 64];
    if (count > 64)
        count = 64;
    size_t n = monitor_read_mem(vm, addr, linear, buf, (size_t)count * 15);
    const uint8_t *code = buf;
    uint64_t a = addr;
    cs_insn *insn = cs_malloc(h);
    for (int i = 0; i < count && insn; i++) {
        if (!cs_disasm_iter(h, &code, &n, &a, insn)) {
            monout_printf(o, "%016" PRIx64 ": (cannot decode or read)\n", a);
            break;
        }
        monout_printf(o, "%016" PRIx64 ": %-8s %s\n", insn->address, insn->mnemonic, insn->op_str);
    }
    if (insn)
        cs_free(insn, 1);
    cs_close(&h);
}

void explain_disasm(Vm *vm, MonOut *o, uint64_t addr, bool linear, int count)
{
    disasm_bits(vm, o, addr, linear, count, vm->cpu->code_bits);
}

/* ---- explain addr ---- */

static void entry_flags(MonOut *o, uint64_t e, int level, bool pae)
{
    static const char *const names[9] = { "P", "R/W", "U/S", "PWT", "PCD", "A", "D", "PS", "G" };
    monout_printf(o, " [");
    for (int b = 0; b < 9; b++) {
        if (b == 7 && level == 1)
            continue;   /* bit 7 of a PTE is PAT */
        monout_printf(o, "%s%s=%d", b ? " " : "", names[b], (int)((e >> b) & 1));
    }
    if (pae)
        monout_printf(o, " XD=%d", (int)(e >> 63));
    monout_printf(o, "]\n");
}

static void explain_addr(Vm *vm, MonOut *o, uint64_t lin)
{
    Cpu *cpu = vm->cpu;
    if (!(cpu->cr0 & CR0_PG)) {
        monout_printf(o, "paging is off (CR0.PG = 0): linear %#" PRIx64 " is physical %#" PRIx64 "%s\n", lin,
                      (uint64_t)((lin & 0xffffffffu) & cpu->a20_mask), cpu->a20_mask == ~0ull ? "" : " (A20 masked)");
        return;
    }
    bool pae = cpu->cr4 & CR4_PAE, lma = cpu_long_mode(cpu);
    const char *fmt = !pae ? "32-bit (2 levels)" : !lma ? "PAE (3 levels)" : "4-level";
    monout_printf(o, "linear %#" PRIx64 ", %s paging, CR3=%#" PRIx64 "\n", lin, fmt, cpu->cr3);
    PagingTrace t;
    paging_debug_walk(cpu, lin, ACC_READ, 0, &t);
    static const char *const lname[5] = { "", "PTE", "PDE", "PDPTE", "PML4E" };
    for (int i = 0; i < t.n; i++) {
        const PagingLevel *l = &t.lv[i];
        int shift = 12 + (l->level - 1) * (pae ? 9 : 10);
        unsigned idx = (unsigned)((lin >> shift) & (pae ? 0x1ff : 0x3ff));
        if (pae && !lma && l->level == 3)
            idx = (unsigned)((lin >> 30) & 3);
        monout_printf(o, "  %-5s[%3u] at %#010" PRIx64 " = %0*" PRIx64, lname[l->level], idx, l->addr, pae ? 16 : 8,
                      (uint64_t)l->entry);
        if (i == t.n - 1 && t.unreadable) {
            monout_printf(o, " (not in RAM: cannot read)\n");
            break;
        }
        entry_flags(o, l->entry, l->level, pae);
    }
    if (t.ok) {
        monout_printf(o, "  -> physical %#" PRIx64 " in a %s page; supervisor %s, user %s, %s\n", t.pa,
                      t.shift == 12 ? "4 KiB" : t.shift == 21 ? "2 MiB" : t.shift == 22 ? "4 MiB" : "1 GiB",
                      t.rw || !(cpu->cr0 & CR0_WP) ? "read/write" : "read-only",
                      !t.us ? "no access" : t.rw ? "read/write" : "read-only", t.xd ? "no execute" : "executable");
        return;
    }
    if (t.unreadable)
        return;
    uint32_t e = t.fault_err;
    const char *why = (e & 8) ? "a reserved bit is set in the last entry shown" : "the last entry shown is not present (P=0)";
    monout_printf(o, "  -> #PF, error code %#x (P=%d W/R=%d U/S=%d RSVD=%d I/D=%d): %s; CR2 would be %#" PRIx64 "\n",
                  e, e & 1, (e >> 1) & 1, (e >> 2) & 1, (e >> 3) & 1, (e >> 4) & 1, why, lin);
}

/* ---- explain sel ---- */

static const char *type_name(unsigned type, bool s, bool lma)
{
    static const char *const data[8] = { "data, read-only", "data, read-only, accessed", "data, read/write",
                                         "data, read/write, accessed", "data, read-only, expand-down",
                                         "data, read-only, expand-down, accessed", "data, read/write, expand-down",
                                         "data, read/write, expand-down, accessed" };
    static const char *const code[8] = { "code, execute-only", "code, execute-only, accessed", "code, execute/read",
                                         "code, execute/read, accessed", "code, execute-only, conforming",
                                         "code, execute-only, conforming, accessed", "code, execute/read, conforming",
                                         "code, execute/read, conforming, accessed" };
    static const char *const sys32[16] = { "reserved", "16-bit TSS (available)", "LDT", "16-bit TSS (busy)",
                                           "16-bit call gate", "task gate", "16-bit interrupt gate",
                                           "16-bit trap gate", "reserved", "32-bit TSS (available)", "reserved",
                                           "32-bit TSS (busy)", "32-bit call gate", "reserved",
                                           "32-bit interrupt gate", "32-bit trap gate" };
    static const char *const sys64[16] = { "reserved", "reserved", "LDT", "reserved", "reserved", "reserved",
                                           "reserved", "reserved", "reserved", "64-bit TSS (available)", "reserved",
                                           "64-bit TSS (busy)", "64-bit call gate", "reserved",
                                           "64-bit interrupt gate", "64-bit trap gate" };
    if (s)
        return type & 8 ? code[type & 7] : data[type & 7];
    return lma ? sys64[type & 15] : sys32[type & 15];
}

static void explain_sel(Vm *vm, MonOut *o, uint16_t sel)
{
    Cpu *cpu = vm->cpu;
    unsigned idx = sel >> 3, ti = (sel >> 2) & 1, rpl = sel & 3;
    monout_printf(o, "selector %#06x: index %u, table %s, RPL %u\n", sel, idx, ti ? "LDT" : "GDT", rpl);
    if (!cpu_protected(cpu) || cpu_vm86(cpu)) {
        monout_printf(o, "  %s mode: a segment register load takes base = selector * 16 = %#x, no descriptor\n",
                      cpu_vm86(cpu) ? "virtual-8086" : "real", (unsigned)sel << 4);
        return;
    }
    if (!ti && idx == 0) {
        monout_printf(o, "  null selector: loads into DS/ES/FS/GS make the segment unusable; into CS or SS "
                      "(outside 64-bit mode) they raise #GP(0)\n");
        return;
    }
    uint64_t base = ti ? cpu->ldtr.base : cpu->gdtr.base;
    uint32_t limit = ti ? cpu->ldtr.limit : cpu->gdtr.limit;
    if (ti && !(cpu->ldtr.attr & SEG_ATTR_P) ) {
        monout_printf(o, "  no LDT is loaded (LDTR %#06x is unusable): a load raises #GP(%#x)\n", cpu->ldtr.sel,
                      sel & 0xfffc);
        return;
    }
    if ((uint32_t)(idx * 8 + 7) > limit) {
        monout_printf(o, "  beyond the %s limit %#x: a load raises #GP(%#x)\n", ti ? "LDT" : "GDT", limit,
                      sel & 0xfffc);
        return;
    }
    uint8_t d[16];
    uint64_t at = base + idx * 8;
    if (monitor_read_mem(vm, at, true, d, 8) != 8) {
        monout_printf(o, "  descriptor at linear %#" PRIx64 " cannot be read\n", at);
        return;
    }
    uint64_t lo = 0;
    for (int i = 7; i >= 0; i--)
        lo = (lo << 8) | d[i];
    bool s = (lo >> 44) & 1, lma = cpu_long_mode(cpu);
    unsigned type = (lo >> 40) & 15, dpl = (lo >> 45) & 3, p = (lo >> 47) & 1, avl = (lo >> 52) & 1;
    unsigned l = (lo >> 53) & 1, db = (lo >> 54) & 1, g = (lo >> 55) & 1;
    uint64_t dbase = ((lo >> 16) & 0xffffff) | (((lo >> 56) & 0xff) << 24);
    uint32_t raw_limit = (uint32_t)((lo & 0xffff) | (((lo >> 48) & 0xf) << 16));
    uint32_t dlimit = g ? (raw_limit << 12) | 0xfff : raw_limit;
    bool wide = !s && lma && type != 0;
    monout_printf(o, "  descriptor at linear %#" PRIx64 ": %016" PRIx64, at, lo);
    if (wide && monitor_read_mem(vm, at + 8, true, d + 8, 8) == 8) {
        uint64_t hi = 0;
        for (int i = 15; i >= 8; i--)
            hi = (hi << 8) | d[i];
        monout_printf(o, " %016" PRIx64, hi);
        if ((type & 7) != 4 && (type & 7) != 6 && (type & 7) != 7)
            dbase |= (hi & 0xffffffffull) << 32;
    }
    monout_printf(o, "\n");
    bool gate = !s && ((type & 7) == 4 || (type & 7) == 6 || (type & 7) == 7 || type == 5);
    monout_printf(o, "  type %u: %s (S=%u: %s)\n", type, type_name(type, s, lma), s,
                  s ? "code or data segment" : "system descriptor");
    if (gate) {
        uint64_t off = (lo & 0xffff) | (((lo >> 48) & 0xffff) << 16);
        monout_printf(o, "  target selector %#06x, offset %#" PRIx64 "\n", (unsigned)((lo >> 16) & 0xffff), off);
    } else {
        monout_printf(o, "  base %#" PRIx64 ", limit %#x (raw %#x, G=%u: %s)\n", dbase, dlimit, raw_limit, g,
                      g ? "4 KiB units" : "bytes");
    }
    monout_printf(o, "  DPL=%u P=%u%s AVL=%u L=%u D/B=%u\n", dpl, p, p ? "" : " (not present: a load raises #NP)",
                  avl, l, db);
    if (s && (type & 8))
        monout_printf(o, "  as CS: %s code\n", l && lma ? "64-bit" : db ? "32-bit" : "16-bit");
    else if (s)
        monout_printf(o, "  as SS: %s stack pointer\n", db ? "32-bit ESP" : "16-bit SP");
}

/* ---- explain fault ---- */

static const char *const exc_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR BOUND range exceeded",
    "#UD invalid opcode", "#NM device not available", "#DF double fault", "coprocessor segment overrun",
    "#TS invalid TSS", "#NP segment not present", "#SS stack-segment fault", "#GP general protection",
    "#PF page fault", "reserved", "#MF x87 floating-point error", "#AC alignment check", "#MC machine check",
    "#XM SIMD floating-point", "#VE virtualization", "#CP control protection",
};

static const char *const exc_why[32] = {
    [EXC_DE] = "DIV/IDIV by zero, or a quotient too large for the destination",
    [EXC_DB] = "a debug register condition (DR6 says which) or single-step",
    [EXC_UD] = "the bytes are not a valid instruction in this mode (or a feature is off: CR4, EFER, CPUID)",
    [EXC_NM] = "an x87/SSE instruction with CR0.TS or CR0.EM set (lazy FPU switching)",
    [EXC_DF] = "a second fault while delivering the first (contributory or page fault pairs)",
    [EXC_TS] = "a task switch or IRET to a task found a bad TSS or segment in it",
    [EXC_NP] = "a segment or gate descriptor with P=0 was loaded",
    [EXC_SS] = "a stack access beyond the SS limit, or SS loaded with a non-present segment",
    [EXC_GP] = "a protection check failed: limit, privilege (CPL/DPL/RPL), type, non-canonical address, "
               "reserved bit in a register, or an instruction not allowed at this CPL",
    [EXC_PF] = "the page walk failed for the linear address in CR2 (see the error code)",
    [EXC_MF] = "an unmasked x87 exception was pending at a waiting x87 instruction",
    [EXC_AC] = "an unaligned access at CPL 3 with CR0.AM and EFLAGS.AC set",
    [EXC_XM] = "an unmasked SSE floating-point exception (MXCSR)",
};

static void explain_fault(Vm *vm, MonOut *o)
{
    Cpu *cpu = vm->cpu;
    int v = cpu->last_exc.vector;
    if (v < 0) {
        monout_printf(o, "no exception has been raised since reset\n");
        return;
    }
    monout_printf(o, "vector %d: %s, at %04x:%#" PRIx64 " (linear %#" PRIx64 ") after %" PRIu64 " instructions\n", v,
                  v < 32 && exc_names[v] ? exc_names[v] : "reserved", cpu->last_exc.cs, cpu->last_exc.rip,
                  cpu->last_exc.lin, cpu->last_exc.icount);
    uint32_t e = cpu->last_exc.error;
    if (e == EXC_NO_ERR) {
        monout_printf(o, "  no error code\n");
    } else if (v == EXC_PF) {
        monout_printf(o, "  error code %#x: %s, %s access, %s mode%s%s; CR2 = %#" PRIx64 "\n", e,
                      e & 1 ? "protection violation on a present page" : "page not present",
                      e & 16 ? "instruction fetch" : e & 2 ? "write" : "read", e & 4 ? "user" : "supervisor",
                      e & 8 ? ", reserved bit set in an entry" : "", "", cpu->last_exc.cr2);
    } else if (e == 0) {
        monout_printf(o, "  error code 0\n");
    } else {
        monout_printf(o, "  error code %#x: %s, %s index %u (selector %#x)%s\n", e,
                      e & 2 ? "IDT" : e & 4 ? "LDT" : "GDT", e & 2 ? "vector" : "descriptor", (e >> 3) & 0x1fff,
                      e & 0xfffc, e & 1 ? ", during an external event (EXT)" : "");
    }
    if (v < 32 && exc_why[v])
        monout_printf(o, "  why: %s\n", exc_why[v]);
    monout_printf(o, "  instruction: ");
    disasm_bits(vm, o, cpu->last_exc.lin, true, 1, cpu->last_exc.code_bits);
}

void explain_command(Vm *vm, MonOut *o, const char *what, const char *arg)
{
    if (what && !strcmp(what, "fault")) {
        explain_fault(vm, o);
        return;
    }
    uint64_t v = 0;
    bool num = monitor_parse_addr(vm, arg, &v);
    if (what && !strcmp(what, "addr") && num)
        explain_addr(vm, o, v);
    else if (what && !strcmp(what, "sel") && num && v <= 0xffff)
        explain_sel(vm, o, (uint16_t)v);
    else
        monout_printf(o, "usage: explain addr ADDR | explain sel SEL | explain fault\n");
}
