/*
 * monitor.c — the machine monitor (see monitor.h), with QEMU's HMP command names:
 *
 *   info registers        the CPU state, QEMU's layout (general registers, RIP, flags, segment
 *                         caches, descriptor tables, control registers, EFER)
 *   info tlb              every mapping of the current page tables, one line a page (large pages
 *                         as one line): linear -> physical and the P/W/U/A/D/G/NX bits
 *   info mem              the same, runs of pages with equal rights merged into ranges
 *   x/FMT ADDR            guest memory at a linear address (current paging context); ADDR is
 *                         a number, or $pc (the next instruction's linear address) [+-N]
 *   xp/FMT ADDR           guest memory at a physical address
 *                         FMT = [count][format][size]: format x (hex), d, u, c (chars) or i
 *                         (disassembly, Capstone, in the current code size); size b, h, w, g
 *                         (1, 2, 4, 8 bytes; default w); count default 1
 *   stop, cont, quit      stop the guest, let it run, end softvisor
 *   info replay, replay_break N, replay_seek N
 *                         the record/replay side (MonitorHooks, vm/reverse.h), QEMU's meaning:
 *                         the position and the recording's length; stop when the replay reaches
 *                         N (one at a time, in the future); go to N, forward or back, and stay
 *                         stopped there.  Without -replay they answer "not available without
 *                         -replay"
 *   savevm FILE, loadvm FILE
 *                         a snapshot file (vm/state.h), through the hooks when there are any;
 *                         unlike QEMU's the argument is a file name, not a tag in a disk image.
 *                         loadvm leaves the guest stopped (see monitor_loadvm)
 *   screendump FILE       the screen as FILE.png or FILE.txt (devices/vga.h vga_screendump)
 *   help                  the list
 *
 * Apart from loadvm and replay_seek, nothing here changes guest state: memory is read through paging_debug_walk (no A/D bits, no
 * fault, no TLB fill) and only from RAM and ROM (an MMIO read may have effects on a device).
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/flags.h"
#include "devices/vga.h"
#include "debug/explain.h"
#include "debug/monitor.h"
#include "mem/paging.h"
#include "vm/state.h"

void monout_printf(MonOut *o, const char *fmt, ...)
{
    if (o->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    char tmp[1];
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (o->len + (size_t)n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 1024;
        while (cap < o->len + (size_t)n + 1)
            cap *= 2;
        char *p = realloc(o->p, cap);
        if (!p) {
            o->failed = true;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(o->p + o->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    o->len += (size_t)n;
}

void monout_free(MonOut *o)
{
    free(o->p);
    *o = (MonOut){ 0 };
}

/* ---- memory ---- */

size_t monitor_read_mem(Vm *vm, uint64_t addr, bool linear, uint8_t *buf, size_t len)
{
    return paging_debug_read(vm->cpu, addr, linear, buf, len);
}

bool monitor_parse_addr(Vm *vm, const char *arg, uint64_t *addr)
{
    if (!arg || !*arg)
        return false;
    uint64_t base = 0;
    if (!strncmp(arg, "$pc", 3)) {
        base = cpu_code_lin(vm->cpu, vm->cpu->rip);   /* the next instruction, linear */
        arg += 3;
        if (!*arg) {
            *addr = base;
            return true;
        }
        if (*arg != '+' && *arg != '-')
            return false;
    }
    bool neg = *arg == '-';
    if (*arg == '+' || *arg == '-')
        arg++;
    char *end;
    uint64_t v = strtoull(arg, &end, 0);
    if (end == arg || *end)
        return false;
    *addr = neg ? base - v : base + v;
    return true;
}

/* ---- info registers ---- */

static void show_seg(MonOut *o, const char *name, const SegCache *s)
{
    monout_printf(o, "%-3s=%04x %016" PRIx64 " %08x %04x\n", name, s->sel, s->base, s->limit, s->attr);
}

static void info_registers(Vm *vm, MonOut *o)
{
    Cpu *cpu = vm->cpu;
    static const char *const names[16] = { "RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "RSP",
                                           "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15" };
    static const uint8_t order[16] = { R_AX, R_BX, R_CX, R_DX, R_SI, R_DI, R_BP, R_SP,
                                       8, 9, 10, 11, 12, 13, 14, 15 };
    for (int i = 0; i < 16; i++)
        monout_printf(o, "%-3s=%016" PRIx64 "%s", names[i], cpu->gpr[order[i]], i % 4 == 3 ? "\n" : " ");
    uint32_t fl = cpu_get_eflags(cpu);
    monout_printf(o, "RIP=%016" PRIx64 " RFL=%08x [%c%c%c%c%c%c%c] CPL=%d II=%d A20=%d HLT=%d\n", cpu->rip, fl,
                  fl & FL_DF ? 'D' : '-', fl & FL_OF ? 'O' : '-', fl & FL_SF ? 'S' : '-', fl & FL_ZF ? 'Z' : '-',
                  fl & FL_AF ? 'A' : '-', fl & FL_PF ? 'P' : '-', fl & FL_CF ? 'C' : '-', cpu->cpl,
                  cpu->inhibit_irq, (cpu->a20_mask >> 20) & 1 ? 1 : 0, cpu->halted);
    static const char *const segs[6] = { "ES", "CS", "SS", "DS", "FS", "GS" };
    for (int i = 0; i < 6; i++)
        show_seg(o, segs[i], &cpu->seg[i]);
    show_seg(o, "LDT", &cpu->ldtr);
    show_seg(o, "TR", &cpu->tr);
    monout_printf(o, "GDT=     %016" PRIx64 " %08x\n", cpu->gdtr.base, cpu->gdtr.limit);
    monout_printf(o, "IDT=     %016" PRIx64 " %08x\n", cpu->idtr.base, cpu->idtr.limit);
    monout_printf(o, "CR0=%08" PRIx64 " CR2=%016" PRIx64 " CR3=%016" PRIx64 " CR4=%08" PRIx64 "\n", cpu->cr0,
                  cpu->cr2, cpu->cr3, cpu->cr4);
    monout_printf(o, "DR6=%016" PRIx64 " DR7=%016" PRIx64 "\n", cpu->dr[6], cpu->dr[7]);
    monout_printf(o, "EFER=%016" PRIx64 " icount=%" PRIu64 " mode=%d-bit\n", cpu->efer, cpu->icount,
                  cpu->code_bits);
}

/* ---- info tlb / info mem: the mappings of the current page tables ---- */

typedef struct MapRun {
    MonOut *o;
    bool merge;               /* info mem: ranges */
    bool have;
    uint64_t start, end, pa_end;
    uint64_t flags;
    unsigned lines;
    unsigned long reads;      /* entries read: bounded, a hostile guest's tables can be huge */
} MapRun;

#define MAP_MAX_READS (1ul << 21)

#define MAP_MAX_LINES 4096    /* bound on one command's output */

enum { M_P = 1, M_W = 2, M_U = 4, M_A = 32, M_D = 64, M_G = 256 };

static void map_flush(MapRun *r)
{
    if (!r->have)
        return;
    r->have = false;
    if (++r->lines > MAP_MAX_LINES)
        return;
    if (r->lines == MAP_MAX_LINES) {
        monout_printf(r->o, "... (output cut at %d lines)\n", MAP_MAX_LINES);
        return;
    }
    monout_printf(r->o, "%016" PRIx64 "-%016" PRIx64 " %016" PRIx64 " %c%c%c\n", r->start, r->end,
                  r->end - r->start, r->flags & M_U ? 'u' : '-', 'r', r->flags & M_W ? 'w' : '-');
}

/* One mapping of `size` bytes (a power of two) at `lin`; `e` holds the combined rights in its
 * P/W/U bits, the leaf's A/D/G, and bit 63 when execution is forbidden anywhere on the path. */
static void map_one(MapRun *r, uint64_t lin, uint64_t pa, uint64_t size, uint64_t e)
{
    if (r->merge) {
        uint64_t f = e & (M_W | M_U);
        if (r->have && r->end == lin && r->flags == f) {
            r->end = lin + size;
            return;
        }
        map_flush(r);
        r->have = true;
        r->start = lin;
        r->end = lin + size;
        r->flags = f;
        return;
    }
    if (++r->lines >= MAP_MAX_LINES) {
        if (r->lines == MAP_MAX_LINES)
            monout_printf(r->o, "... (output cut at %d lines)\n", MAP_MAX_LINES);
        return;
    }
    monout_printf(r->o, "%016" PRIx64 ": %016" PRIx64 " %s%c%c%c%c%c%c\n", lin, pa,
                  size == 4096 ? "" : size == (1u << 21) ? "2M " : size == (1u << 22) ? "4M " : "1G ",
                  e & (1ull << 63) ? 'X' : '-', e & M_G ? 'G' : '-', e & M_D ? 'D' : '-', e & M_A ? 'A' : '-',
                  e & M_U ? 'U' : '-', e & M_W ? 'W' : '-');
}

static bool read_phys(Vm *vm, uint64_t pa, int size, uint64_t *v)
{
    uint8_t b[8] = { 0 };
    if (monitor_read_mem(vm, pa, false, b, (size_t)size) != (size_t)size)
        return false;
    uint64_t x = 0;
    for (int i = size - 1; i >= 0; i--)
        x = (x << 8) | b[i];
    *v = x;
    return true;
}

/* Walks one table level.  `rights`: W/U combined so far (ANDed), bit 63 XD (ORed). */
static void map_table(Vm *vm, MapRun *r, uint64_t table, int level, uint64_t base, uint64_t rights)
{
    Cpu *cpu = vm->cpu;
    bool pae = cpu->cr4 & CR4_PAE;
    int bits = pae ? 9 : 10, esize = pae ? 8 : 4;
    int shift = 12 + (level - 1) * bits;
    for (uint64_t i = 0; i < (1u << bits) && r->lines < MAP_MAX_LINES; i++) {
        uint64_t e;
        if (++r->reads == MAP_MAX_READS) {
            map_flush(r);
            monout_printf(r->o, "... (walk cut after %lu entries)\n", MAP_MAX_READS);
        }
        if (r->reads >= MAP_MAX_READS)
            return;
        if (!read_phys(vm, table + i * (uint64_t)esize, esize, &e) || !(e & 1))
            continue;
        uint64_t lin = base | (i << shift);
        if (level == 4 && (lin & (1ull << 47)))
            lin |= 0xffff000000000000ull;   /* canonical upper half */
        uint64_t rt = (rights & e & (M_W | M_U)) | ((rights | (pae && (cpu->efer & EFER_NXE) ? e : 0)) & (1ull << 63));
        bool leaf = level == 1 || (level <= 3 && (e & 0x80) && (pae || (cpu->cr4 & CR4_PSE)));
        uint64_t addr_mask = pae ? 0x000ffffffffff000ull : 0xfffff000ull;
        if (leaf) {
            uint64_t size = 1ull << shift;
            uint64_t pa = (e & addr_mask) & ~(size - 1);
            if (!pae && level == 2)
                pa = (e & 0xffc00000u) | (((e >> 13) & 0xff) << 32);
            map_one(r, lin, pa, size, rt | (e & (M_A | M_D | M_G)) | M_P);
        } else {
            map_table(vm, r, e & addr_mask, level - 1, lin, rt);
        }
    }
}

static void info_mappings(Vm *vm, MonOut *o, bool merge)
{
    Cpu *cpu = vm->cpu;
    if (!(cpu->cr0 & CR0_PG)) {
        monout_printf(o, "PG disabled\n");
        return;
    }
    MapRun r = { .o = o, .merge = merge };
    uint64_t all = M_W | M_U;
    if (!(cpu->cr4 & CR4_PAE)) {
        map_table(vm, &r, cpu->cr3 & 0xfffff000u, 2, 0, all);
    } else if (!cpu_long_mode(cpu)) {
        for (uint64_t i = 0; i < 4; i++) {
            uint64_t e;
            if (read_phys(vm, (cpu->cr3 & 0xffffffe0u) + i * 8, 8, &e) && (e & 1))
                map_table(vm, &r, e & 0x000ffffffffff000ull, 2, i << 30, all);
        }
    } else {
        map_table(vm, &r, cpu->cr3 & 0x000ffffffffff000ull, 4, 0, all);
    }
    map_flush(&r);
}

/* ---- x / xp ---- */

static void examine(Vm *vm, MonOut *o, const char *fmt, const char *arg, bool linear)
{
    unsigned long count = 1;
    char format = 'x';
    int size = 4;
    if (fmt) {
        char *end;
        if (*fmt >= '0' && *fmt <= '9') {
            count = strtoul(fmt, &end, 10);
            fmt = end;
        }
        for (; *fmt; fmt++) {
            switch (*fmt) {
            case 'x': case 'd': case 'u': case 'c': case 'i': format = *fmt; break;
            case 'b': size = 1; break;
            case 'h': size = 2; break;
            case 'w': size = 4; break;
            case 'g': size = 8; break;
            default:
                monout_printf(o, "invalid format '%c' (use [count][x|d|u|c|i][b|h|w|g])\n", *fmt);
                return;
            }
        }
    }
    uint64_t addr;
    if (!monitor_parse_addr(vm, arg, &addr)) {
        monout_printf(o, "usage: %s/FMT ADDR\n", linear ? "x" : "xp");
        return;
    }
    if (count > 1024)
        count = 1024;
    if (format == 'c')
        size = 1;
    if (format == 'i') {
        explain_disasm(vm, o, addr, linear, (int)count);
        return;
    }
    int per_line = format == 'c' ? 16 : 16 / size;
    for (unsigned long i = 0; i < count; i++) {
        uint64_t a = addr + i * (uint64_t)size;
        uint8_t b[8];
        if (i % (unsigned long)per_line == 0)
            monout_printf(o, "%s%016" PRIx64 ":", i ? "\n" : "", a);
        if (monitor_read_mem(vm, a, linear, b, (size_t)size) != (size_t)size) {
            monout_printf(o, " Cannot access memory\n");
            return;
        }
        uint64_t v = 0;
        for (int k = size - 1; k >= 0; k--)
            v = (v << 8) | b[k];
        if (format == 'c') {
            monout_printf(o, " %c", v >= 0x20 && v < 0x7f ? (int)v : '.');
        } else if (format == 'x') {
            monout_printf(o, " 0x%0*" PRIx64, size * 2, v);
        } else if (format == 'u') {
            monout_printf(o, " %" PRIu64, v);
        } else {
            int64_t s = size == 8 ? (int64_t)v : (int64_t)(v << (64 - 8 * size)) >> (64 - 8 * size);
            monout_printf(o, " %" PRId64, s);
        }
    }
    monout_printf(o, "\n");
}

/* ---- the command table ---- */

static const char help_text[] =
    "info registers     the CPU state\n"
    "info tlb           the mappings of the current page tables, one page a line\n"
    "info mem           the same as ranges\n"
    "x/FMT ADDR         memory at a linear address; FMT = [count][x|d|u|c|i][b|h|w|g]\n"
    "xp/FMT ADDR        memory at a physical address\n"
    "explain addr ADDR  the page walk for a linear address, level by level\n"
    "explain sel SEL    the descriptor a selector loads, every field decoded\n"
    "explain fault      the last exception: vector, error code, instruction and cause\n"
    "info replay        replay position and length (with -replay)\n"
    "replay_break N     stop the replay at instruction N (with -replay)\n"
    "replay_seek N      go to instruction N of the replay (with -replay)\n"
    "savevm FILE        save the machine state to the snapshot file FILE (not a tag)\n"
    "loadvm FILE        restore the snapshot file FILE (same command line); the guest stays stopped\n"
    "screendump FILE    the screen as FILE.png or FILE.txt (text mode characters)\n"
    "stop               stop the guest\n"
    "cont               let the guest run\n"
    "quit               end softvisor\n"
    "help               this list\n";

static void no_replay(MonOut *o)
{
    monout_printf(o, "not available without -replay\n");
}

/* ---- snapshots and screenshots ---- */

/* loadvm without hooks.  A failed vm_snapshot_load leaves the VM's state unspecified (vm/state.h),
 * so the current state is first saved to a temporary file and put back when the load fails; if
 * even that fails the machine is in no state to run and the monitor ends softvisor.  A snapshot
 * loaded in the middle of a recording would make the log describe a run that never happened, so
 * it is refused then. */
static MonAction monitor_loadvm(Vm *vm, MonOut *o, const char *path)
{
    char err[256] = "", why[256] = "";
    if (vm->rr) {
        monout_printf(o, "loadvm is not supported while recording (-record)\n");
        return MON_NONE;
    }
    FILE *f = fopen(path, "rb");     /* the common mistake, found before the backup's cost */
    if (!f) {
        monout_printf(o, "loadvm: cannot open '%s': %s\n", path, strerror(errno));
        return MON_NONE;
    }
    fclose(f);
    const char *dir = getenv("TMPDIR");
    char backup[512];
    snprintf(backup, sizeof(backup), "%s/softvisor-loadvm-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(backup);
    if (fd < 0) {
        monout_printf(o, "loadvm: cannot create a backup of the current state in %s: %s\n",
                      dir && *dir ? dir : "/tmp", strerror(errno));
        return MON_NONE;
    }
    close(fd);
    if (!vm_snapshot_save(vm, backup, err, sizeof(err))) {
        unlink(backup);
        monout_printf(o, "loadvm: cannot back up the current state: %s; nothing loaded\n", err);
        return MON_NONE;
    }
    MonAction a = MON_STOP;
    if (vm_snapshot_load(vm, path, why, sizeof(why))) {
        monout_printf(o, "loaded '%s' at instruction %" PRIu64 "; the guest is stopped\n", path, vm->cpu->icount);
    } else if (vm_snapshot_load(vm, backup, err, sizeof(err))) {
        monout_printf(o, "loadvm: %s; the machine state is unchanged\n", why);
        a = MON_NONE;
    } else {
        monout_printf(o, "loadvm: %s; restoring the previous state failed too (%s): the machine "
                      "state is lost, softvisor ends\n", why, err);
        a = MON_QUIT;
    }
    unlink(backup);
    return a;
}

static void monitor_screendump(Vm *vm, MonOut *o, const char *path)
{
    char err[256] = "";
    if (!path)
        monout_printf(o, "screendump needs an argument: FILE.png or FILE.txt\n");
    else if (!vm->vga)
        monout_printf(o, "screendump: no display adapter (-vga none)\n");
    else if (vga_screendump(vm->vga, path, err, sizeof(err)) < 0)
        monout_printf(o, "screendump: %s\n", err);
}

static MonAction snapshot_cmd(Vm *vm, MonOut *o, const MonitorHooks *h, const char *cmd, const char *arg)
{
    char err[256] = "";
    bool save = !strcmp(cmd, "savevm");
    int (*fn)(void *, const char *, char *, size_t) = h ? (save ? h->savevm : h->loadvm) : NULL;
    if (!arg) {
        monout_printf(o, "%s needs an argument: a snapshot file name\n", cmd);
    } else if (fn) {
        if (fn(h->opaque, arg, err, sizeof(err)) < 0)
            monout_printf(o, "%s\n", err);
    } else if (!save) {
        return monitor_loadvm(vm, o, arg);
    } else if (!vm_snapshot_save(vm, arg, err, sizeof(err))) {
        monout_printf(o, "savevm: %s\n", err);
    }
    return MON_NONE;
}

/* replay_break N, replay_seek N: QEMU's meaning; a seek leaves the guest stopped there. */
static MonAction replay_cmd(MonOut *o, const MonitorHooks *h, const char *cmd, const char *arg)
{
    char err[256] = "";
    int (*num_fn)(void *, uint64_t, char *, size_t) = NULL;
    if (h && !strcmp(cmd, "replay_break"))
        num_fn = h->replay_break;
    else if (h && !strcmp(cmd, "replay_seek"))
        num_fn = h->replay_seek;
    if (!num_fn) {
        no_replay(o);
        return MON_NONE;
    }
    if (!arg) {
        monout_printf(o, "%s needs an argument\n", cmd);
        return MON_NONE;
    }
    char *end;
    uint64_t n = strtoull(arg, &end, 0);
    if (*end) {
        monout_printf(o, "bad instruction count '%s'\n", arg);
        return MON_NONE;
    }
    if (num_fn(h->opaque, n, err, sizeof(err)) < 0) {
        monout_printf(o, "%s: %s\n", cmd, err);
        return MON_NONE;
    }
    return num_fn == h->replay_seek ? MON_STOP : MON_NONE;
}

MonAction monitor_exec(Vm *vm, const MonitorHooks *hooks, const char *line, MonOut *out)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", line);
    char *words[4] = { NULL, NULL, NULL, NULL };
    int n = 0;
    char *save = NULL;
    for (char *w = strtok_r(buf, " \t\r\n", &save); w && n < 4; w = strtok_r(NULL, " \t\r\n", &save))
        words[n++] = w;
    if (n == 0)
        return MON_NONE;
    const char *c = words[0];
    if (!strcmp(c, "help") || !strcmp(c, "?")) {
        monout_printf(out, "%s", help_text);
    } else if (!strcmp(c, "info") && n >= 2 && !strcmp(words[1], "registers")) {
        info_registers(vm, out);
    } else if (!strcmp(c, "info") && n >= 2 && !strcmp(words[1], "tlb")) {
        info_mappings(vm, out, false);
    } else if (!strcmp(c, "info") && n >= 2 && !strcmp(words[1], "mem")) {
        info_mappings(vm, out, true);
    } else if (!strcmp(c, "info") && n >= 2 && !strcmp(words[1], "replay")) {
        if (hooks && hooks->info_replay)
            hooks->info_replay(hooks->opaque, out);
        else
            no_replay(out);
    } else if (!strcmp(c, "x") || !strncmp(c, "x/", 2)) {
        examine(vm, out, c[1] ? c + 2 : NULL, words[1], true);
    } else if (!strcmp(c, "xp") || !strncmp(c, "xp/", 3)) {
        examine(vm, out, c[2] ? c + 3 : NULL, words[1], false);
    } else if (!strcmp(c, "explain")) {
        explain_command(vm, out, words[1], words[2]);
    } else if (!strcmp(c, "replay_break") || !strcmp(c, "replay_seek")) {
        return replay_cmd(out, hooks, c, words[1]);
    } else if (!strcmp(c, "savevm") || !strcmp(c, "loadvm")) {
        return snapshot_cmd(vm, out, hooks, c, words[1]);
    } else if (!strcmp(c, "screendump")) {
        monitor_screendump(vm, out, words[1]);
    } else if (!strcmp(c, "stop")) {
        return MON_STOP;
    } else if (!strcmp(c, "cont") || !strcmp(c, "c")) {
        return MON_CONT;
    } else if (!strcmp(c, "quit") || !strcmp(c, "q")) {
        return MON_QUIT;
    } else {
        monout_printf(out, "unknown command: '%s' (try help)\n", c);
    }
    return MON_NONE;
}
