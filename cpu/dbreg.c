/*
 * dbreg.c — breakpoints from the debug registers (SDM vol. 3, 17.2 and 17.3).
 *
 * DR7 (17.2.4): Ln/Gn (bits 2n, 2n+1) enable breakpoint n (local and global are the same thing
 * here: there is one task at a time and the L bits are not cleared on task switches);
 * R/Wn (bits 16+4n) 00 instruction execution, 01 data writes, 11 data reads and writes,
 * 10 I/O (CR4.DE; not modelled: never armed); LENn (bits 18+4n) 00 one byte, 01 two, 11 four,
 * 10 eight.  A data breakpoint covers the LEN bytes at DRn with its low bits cleared (DRn is
 * aligned down to LEN, as the hardware ignores those bits); an instruction breakpoint matches the
 * linear address of the instruction's first byte (CS.base + rIP; LEN is meant to be 00).
 *
 * The model:
 *   - dbreg_update() turns DR7 into two masks on the Cpu, dbg_insn_armed and dbg_data_armed.
 *     Nothing costs anything while both are 0.
 *   - Data breakpoints: the TLB gives no read/write tags to a linear page holding a watched byte
 *     (tlb_translate asks dbreg_page_watched), so accesses to those pages, and only those, take
 *     the slow path, which calls dbreg_check_data().  A hit sets Bn in cpu->db_hit and ends the
 *     block after the instruction: a data breakpoint is a trap, reported after the instruction
 *     (or after the iteration of a REP string instruction) that made the access.  An instruction
 *     that faults reports nothing.
 *   - Instruction breakpoints: while one is armed the run loop executes one instruction at a
 *     time and checks dbreg_check_insn() before each (cpu/exec.c); a hit is a fault (#DB with
 *     rIP at the instruction) unless EFLAGS.RF = 1.
 *   - The run loop delivers the debug trap of a retired instruction (single step BS, data hits
 *     B0-B3) before the next one, or after one more instruction when it was MOV SS / POP SS.
 *     A #DB sets its B0-B3 bits in DR6 (replacing the old ones, as processors do), ORs in BS/BD/BT
 *     and clears DR7.GD, so the handler may use the debug registers.
 *   - A host debugger's breakpoints (Cpu.host_dbg) use the same two paths under bit DBG_HOST:
 *     its execute breakpoints stop the run before the instruction, its watchpoints after it;
 *     neither touches DR6 or delivers anything to the guest.
 *   - DR7.GD: a MOV to or from a debug register raises #DB (fault) with DR6.BD (cpu/system.c).
 * XXX: I/O breakpoints (R/W = 10 with CR4.DE), DR7.LE/GE and the B0-B3 bits of breakpoints that
 * are met but not enabled are not modelled; data breakpoints see linear accesses through the TLB
 * (also the implicit ones to descriptor tables and stacks of event delivery, whose hits are
 * dropped).
 */
#include "cpu/dbreg.h"

static int dr7_rw(uint64_t dr7, int n) { return (int)(dr7 >> (16 + 4 * n)) & 3; }

static uint64_t dr7_len(uint64_t dr7, int n)
{
    static const uint8_t len[4] = { 1, 2, 8, 4 };
    return len[(dr7 >> (18 + 4 * n)) & 3];
}

void dbreg_update(Cpu *cpu)
{
    uint64_t dr7 = cpu->dr[7];
    uint8_t insn = 0, data = 0;
    for (int n = 0; n < 4; n++) {
        if (!((dr7 >> (2 * n)) & 3))
            continue;
        int rw = dr7_rw(dr7, n);
        if (rw == 0)
            insn |= (uint8_t)(1u << n);
        else if (rw != 2)
            data |= (uint8_t)(1u << n);
    }
    bool retag = cpu->dbg_data_armed || data;
    cpu->dbg_insn_armed = insn | (cpu->dbg_insn_armed & DBG_HOST);
    cpu->dbg_data_armed = data | (cpu->dbg_data_armed & DBG_HOST);
    /* the watched pages leave the fast path (or come back): the tags change, the translations
     * (guest-visible) stay */
    if (retag)
        tlb_rebuild(cpu);
}

/* First and last linear byte data breakpoint n covers. */
static void watch_range(const Cpu *cpu, int n, uint64_t *lo, uint64_t *hi)
{
    uint64_t len = dr7_len(cpu->dr[7], n);
    *lo = cpu->dr[n] & ~(len - 1);
    *hi = *lo + len - 1;
}

bool dbreg_page_watched(const Cpu *cpu, uint64_t page)
{
    if ((cpu->dbg_data_armed & DBG_HOST) && cpu->host_dbg->page_watched(cpu->host_dbg_opaque, page))
        return true;
    for (int n = 0; n < 4; n++) {
        if (!(cpu->dbg_data_armed & (1u << n)))
            continue;
        uint64_t lo, hi;
        watch_range(cpu, n, &lo, &hi);
        if (lo <= page + PAGE_SIZE - 1 && hi >= page)
            return true;
    }
    return false;
}

void dbreg_check_data(Cpu *cpu, uint64_t lin, int size, bool write)
{
    if ((cpu->dbg_data_armed & DBG_HOST) && cpu->host_dbg->data_hit(cpu->host_dbg_opaque, lin, size, write)) {
        cpu->db_hit |= DBG_HOST;   /* never reaches DR6: the run loop turns it into host_stop */
        cpu->exit_block = true;
    }
    for (int n = 0; n < 4; n++) {
        if (!(cpu->dbg_data_armed & (1u << n)))
            continue;
        if (!write && dr7_rw(cpu->dr[7], n) != 3)
            continue;
        uint64_t lo, hi;
        watch_range(cpu, n, &lo, &hi);
        if (lo <= lin + (uint64_t)size - 1 && hi >= lin) {
            cpu->db_hit |= (uint8_t)(1u << n);
            cpu->exit_block = true;
        }
    }
}

uint32_t dbreg_check_insn(const Cpu *cpu, uint64_t lin)
{
    uint32_t hit = 0;
    for (int n = 0; n < 4; n++)
        if ((cpu->dbg_insn_armed & (1u << n)) && cpu->dr[n] == lin)
            hit |= DR6_B(n);
    return hit;
}
