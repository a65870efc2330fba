/*
 * main.c — the softvisor command line.  Options take QEMU's spellings where QEMU has the same
 * meaning.  COM1 goes to the terminal (unless -display curses has it), port 0xE9 to -debugcon;
 * the VGA shows in an SDL window or on the terminal (-display).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "debug/trace.h"
#include "devices/mc146818.h"
#include "devices/piix4_pm.h"
#include "devices/vga.h"
#include "frontends/curses.h"
#include "frontends/drives.h"
#include "frontends/keymap.h"
#include "frontends/sdl.h"
#include "frontends/term.h"
#include "jit/jit.h"
#include "vm/state.h"
#include "vm/replay.h"
#include "vm/reverse.h"
#include "vm/vm.h"

#define VGA_BIOS_DEFAULT "/usr/share/seabios/vgabios-stdvga.bin"
/* The firmware a PC boots when it is given neither -bios nor -kernel, as QEMU's pc machine. */
#define DEFAULT_BIOS "/usr/share/seabios/bios-256k.bin"

static const char usage[] =
    "usage: softvisor [options]\n"
    "\n"
    "A pure-software x86-64 PC emulator.\n"
    "\n"
    "  -m SIZE            guest RAM; plain number = MiB, or with suffix K, M, G (default 128M)\n"
    "  -bios FILE         raw ROM image mapped below 4 GiB, its last 128 KiB at 0xE0000-0xFFFFF;\n"
    "                     the CPU starts at the reset vector.  Without -bios and -kernel:\n"
    "                     SeaBIOS, " DEFAULT_BIOS " (Debian package seabios)\n"
    "  -kernel FILE       Linux bzImage (boot protocol, 32-bit entry) or multiboot v1 kernel\n"
    "                     (32-bit ELF or a.out kludge), entered in 32-bit protected mode\n"
    "  -initrd FILE       Linux initial ramdisk; for multiboot: modules 'FILE[ ARGS],FILE...'\n"
    "  -append STRING     kernel command line\n"
    "  -no-reboot         end the run on a triple fault instead of resetting\n"
    "  -debugcon DEV      port 0xE9 debug console: stdio, file:PATH, or none (default none)\n"
    "  -fwlog DEV         port 0x402, the firmware's debug log (SeaBIOS writes it there; QEMU:\n"
    "                     -device isa-debugcon,iobase=0x402): stdio, file:PATH, or none (default)\n"
    "  -serial DEV        serial port: stdio (or mon:stdio), file:PATH, or none; the first\n"
    "                     -serial is COM1, a second one COM2 (default: COM1 on stdio).  On\n"
    "                     stdio, stdin is the port's input; a terminal is put in raw mode, and\n"
    "                     Ctrl-A x quits, Ctrl-A h shows help, Ctrl-A c the monitor,\n"
    "                     Ctrl-A Ctrl-A sends Ctrl-A\n"
    "  -rtc base=DATE     real-time clock start (UTC): YYYY-MM-DDTHH:MM:SS or YYYY-MM-DD\n"
    "                     (default 2026-01-01T00:00:00); the clock then follows virtual time.\n"
    "                     base=now reads the host clock once at start (a -record log keeps the\n"
    "                     value, so the run still replays)\n"
    "  -seed N            seed for RDRAND/RDSEED (default 0)\n"
    "  -icount-limit N    stop after N guest instructions (exit status 3)\n"
    "  -pace on|off       pace the virtual clock against the host's: an idle guest sleeps the\n"
    "                     host until its next timer is due, and its clock never runs ahead of\n"
    "                     the wall (it may lag while the guest is busy, and catches up when it\n"
    "                     idles).  Changes when things happen, never what the guest computes.\n"
    "                     Default: on when stdin is a terminal, off otherwise (idle time is\n"
    "                     then skipped at full speed)\n"
    "  -d ITEMS           comma-separated logs to stderr: unimp (accesses to unassigned ports),\n"
    "                     exec (one line per executed block), in_asm (exec plus disassembly),\n"
    "                     jit (with -jit on: each translated block, its guest instructions and\n"
    "                     its host code), int (interrupts, exceptions and CPU mode changes)\n"
    "  -gdb DEV           wait for gdb (target remote) on DEV: tcp::PORT (loopback only),\n"
    "                     tcp:HOST:PORT or unix:PATH; gdb attaching stops the guest\n"
    "  -s                 shorthand for -gdb tcp::1234\n"
    "  -S                 start with the guest stopped (until gdb or the monitor's cont)\n"
    "  -monitor stdio     the monitor on the terminal instead of the serial console (type\n"
    "                     help); Ctrl-A c also switches between console and monitor\n"
    "  -jit on|off        translate hot blocks to host code (default on): native code for\n"
    "                     the integer core of 32- and 64-bit code, handler calls for the rest\n"
    "  -jit-threshold N   with -jit on: interpreted executions before a block is translated\n"
    "                     (default 16; 0 translates every block at its first execution)\n"
    "  -jit-max-blocks N  with -jit on: translate only the first N blocks, interpret the rest\n"
    "                     (bisecting a JIT bug: with -jit-threshold 0 the order is the same in\n"
    "                     every run)\n"
    "  -perf-map          with -jit on: write /tmp/perf-PID.map, which names each translated\n"
    "                     block for perf report (softvisor-jit:GUEST-ADDRESS)\n"
    "  -loadvm FILE       start from the snapshot in FILE instead of power-on; give the same\n"
    "                     -m, -bios/-kernel/-initrd and devices it was saved with\n"
    "  -savevm-at N FILE  save a snapshot of the machine to FILE when exactly N instructions\n"
    "                     have retired (counted from power-on, also after -loadvm), then run on\n"
    "  -stats             print the retired-instruction count and the state hash (xxHash of\n"
    "                     CPU, RAM, devices and clock) on exit (stderr), and with -jit on the\n"
    "                     JIT's counters (blocks, instructions, exits, time translating)\n"
    "  -record FILE       log every input with the instruction count it entered at, and a state\n"
    "                     hash every 2^27 instructions, to FILE (docs/replay.md)\n"
    "  -replay FILE       run again from a -record log, with the same machine options; input\n"
    "                     comes only from the log.  Ends with one line: complete (the recorded\n"
    "                     exit status), diverged (status 5) or log cut short (status 6)\n"
    "                     With -gdb, -S or -monitor stdio the replay runs under the debugger:\n"
    "                     gdb's reverse-stepi/reverse-continue/reverse-next/\n"
    "                     reverse-finish and the monitor's info replay, replay_break N and\n"
    "                     replay_seek N (docs/debugging.md, \"Reverse execution\")\n"
    "  -replay-corrupt N  (debugging the checker) flip one guest RAM byte at instruction N of\n"
    "                     a replay: it must report the divergence at the next state hash\n"
    "  -record-hash-log2 N  (testing) a state hash every 2^N instructions instead of 2^27\n"
    "  -replay-checkpoint-interval N\n"
    "                     under a debugger: a checkpoint every N instructions of the replay\n"
    "                     (default 16777216: a step back replays at most that many)\n"
    "  -replay-checkpoint-mem SIZE\n"
    "                     under a debugger: memory for checkpoints before old ones are thinned\n"
    "                     out (default 512M)\n"
    "  -vga std|none      display adapter: QEMU's std VGA (PCI 1234:1111, Bochs VBE, 16 MiB;\n"
    "                     VGA BIOS " VGA_BIOS_DEFAULT " as its ROM when\n"
    "                     installed) or none (default std; with none the firmware's screen\n"
    "                     output goes to COM1)\n"
    "  -display sdl|curses|none\n"
    "                     sdl: a window showing the screen (Ctrl-Alt-G grabs keyboard and\n"
    "                     mouse; closing it presses the ACPI power button, closing it again\n"
    "                     quits); curses: VGA text mode on this terminal (COM1 then defaults to\n"
    "                     none; Ctrl-A x quits); none.  Default: sdl when DISPLAY or\n"
    "                     WAYLAND_DISPLAY names a display SDL can open, otherwise none\n"
    "  -nographic         no window (-display none); serial on stdio, the firmware's screen\n"
    "                     output also on COM1, as in QEMU\n"
    "  -screendump-at N FILE\n"
    "                     save the screen when N instructions have retired (repeatable):\n"
    "                     FILE.png the picture (RGB PNG), FILE.txt the characters of a text\n"
    "                     screen, one line per row (printable ASCII, '.' for other bytes;\n"
    "                     '(graphics WxH)' or '(blank WxH)' otherwise)\n"
    "  -sendkey-at N KEYS\n"
    "                     press and release KEYS on the PS/2 keyboard when N instructions have\n"
    "                     retired (repeatable); KEYS as for QEMU's monitor command sendkey:\n"
    "                     key names joined by '-', e.g. ret, spc, esc, f1, a, ctrl-alt-delete.\n"
    "                     The keys enter as input events (recorded by -record)\n"
    "  -hda/-hdb/-hdc/-hdd FILE\n"
    "                     raw disk image as IDE disk 0-3 (primary master/slave, secondary\n"
    "                     master/slave) on the PIIX3 IDE controller\n"
    "  -cdrom FILE        ISO image in the IDE CD-ROM drive at index 2 (secondary master)\n"
    "  -drive file=FILE[,format=raw][,if=ide][,media=disk|cdrom][,readonly=on][,index=N]\n"
    "                     an IDE drive; index 0-3 (default: the first free one).  Only raw\n"
    "                     images: convert others with qemu-img convert -O raw\n"
    "  -snapshot          guest writes to the disks go to memory; the image files stay as they were\n"
    "  -boot order=LETTERS\n"
    "                     boot order for the firmware, up to 3 of: a floppy, c disk, d CD-ROM,\n"
    "                     n network (default cad: disk, then floppy, then CD-ROM)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: the value the guest wrote to port 0xF4 as (v << 1) | 1; 0 when the guest\n"
    "powered off (ACPI S5), halted with interrupts disabled, idled with no input left,\n"
    "triple-faulted with -no-reboot or was quit with Ctrl-A x; 2 for bad usage, a snapshot\n"
    "that cannot be loaded, or one that could not be saved (the run stops at a save that\n"
    "fails, or ended before its count); 3 when\n"
    "-icount-limit was reached; 4 when the guest asked for an ACPI sleep state other than S5\n"
    "(the machine offers only soft-off); 128 + N when signal N (SIGINT, SIGTERM, SIGHUP) ended\n"
    "the run; 5 when a -screendump-at file could not be written or the run ended before its\n"
    "count, or when a replay diverged from its log; 6 when a replay log ends without its end\n"
    "record (the recording was killed); a damaged or foreign replay log counts as bad usage (2).\n";

#define MAX_SCREENDUMPS 16

typedef struct Screendump {
    uint64_t at;
    const char *path;
} Screendump;

/* -sendkey-at: the set 2 bytes of a QEMU sendkey argument, pressed and released at `at`. */
#define MAX_SENDKEYS 16

typedef struct Sendkey {
    uint64_t at;
    const char *keys;       /* as given, for messages; NULL once sent */
    uint8_t bytes[KEYMAP_SENDKEY_BYTES];
    int n;
} Sendkey;

/* The keys go in at this instruction count, all of them or none: a combination cut short would
 * leave a key held down.  They fit unless the guest left its keyboard's 16-byte buffer full. */
static void sendkey_inject(Vm *vm, Sendkey *k)
{
    if (vm_key_room(vm) < (unsigned)k->n) {
        fprintf(stderr, "softvisor: -sendkey-at %llu %s: the keyboard's buffer is full (the guest is "
                "not reading it); the keys were dropped\n", (unsigned long long)k->at, k->keys);
    } else {
        for (int i = 0; i < k->n; i++)
            vm_input_key(vm, k->bytes[i]);
    }
    k->keys = NULL;
}

static int fail(const char *fmt, const char *arg)
{
    fprintf(stderr, "softvisor: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    return 2;
}

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || v == 0)
        return -1;
    uint64_t mul = 1ull << 20;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': mul = 1ull << 10; break;
        case 'm': case 'M': mul = 1ull << 20; break;
        case 'g': case 'G': mul = 1ull << 30; break;
        default: return -1;
        }
        if (end[1] && strcmp(end + 1, "B") && strcmp(end + 1, "iB"))
            return -1;   /* 128M, 128MB and 128MiB; nothing else after the unit */
    }
    if (v > (1ull << 46) / mul)
        return -1;
    *out = v * mul;
    return 0;
}

/* stdio, or QEMU's mon:stdio (the Ctrl-A keys are always on; there is no monitor). */
static bool chardev_is_stdio(const char *spec)
{
    return !strcmp(spec, "stdio") || !strcmp(spec, "mon:stdio");
}

/* Opens a character device spec; returns 0 and sets *f (NULL for none).  A file:PATH is opened
 * without truncating it and *created tells whether it did not exist, so that a run that fails to
 * start leaves an existing file as it was and removes one it created (chardev_discard); once the
 * VM is built, chardev_truncate empties it. */
static int open_chardev(const char *spec, FILE **f, bool *created)
{
    if (!strcmp(spec, "none") || !strcmp(spec, "null")) {
        *f = NULL;
        return 0;
    }
    if (chardev_is_stdio(spec)) {
        *f = stdout;
        return 0;
    }
    if (!strncmp(spec, "file:", 5) && spec[5]) {
        *created = access(spec + 5, F_OK) != 0;
        *f = fopen(spec + 5, "a");
        return *f ? 0 : -1;
    }
    return -1;
}

static void chardev_discard(FILE *f, const char *spec, bool created)
{
    if (!f || f == stdout)
        return;
    fclose(f);
    if (created)
        unlink(spec + 5);
}

/* -rtc base=DATE | base=now (QEMU's base=utc means the same); 0 or -1 */
static int parse_rtc(const char *spec, int64_t *base, bool *now)
{
    if (strncmp(spec, "base=", 5))
        return -1;
    const char *v = spec + 5;
    *now = !strcmp(v, "now") || !strcmp(v, "utc");
    if (*now) {
        *base = vm_input_host_time();
        return 0;
    }
    return rtc_parse_time(v, base);
}

static void chardev_truncate(FILE *f)
{
    if (f && f != stdout && ftruncate(fileno(f), 0) != 0) {
        /* not a regular file (a FIFO, a terminal): nothing to empty */
    }
}

/* Host CPU time, for the JIT's share of it in -stats (printed only, never given to the guest). */
static uint64_t process_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Closes the -debugcon/-fwlog/-serial files and flushes stdout at the end of a run. */
static void close_outputs(const VmConfig *cfg)
{
    if (cfg->debugcon && cfg->debugcon != stdout)
        fclose(cfg->debugcon);
    if (cfg->fwlog && cfg->fwlog != stdout)
        fclose(cfg->fwlog);
    if (cfg->serial && cfg->serial != stdout)
        fclose(cfg->serial);
    if (cfg->serial2 && cfg->serial2 != stdout)
        fclose(cfg->serial2);
    fflush(stdout);
}

/* ---- a replay under a debugger (-replay with -gdb, -S or -monitor stdio; vm/reverse.h) ---- */

/* Instructions between the frontend's polls of gdb and the monitor while a replay runs. */
#define REPLAY_DEBUG_SLICE (1ull << 22)

typedef struct ReplayDebug {
    Reverse *rv;
    GdbStub *gdb;
    const char *path;         /* the log, for info replay */
    MonitorHooks hooks;
} ReplayDebug;

static VmExit replay_debug_exit(ReplayStop s)
{
    switch (s) {
    case REPLAY_STOP_DEBUG:
    case REPLAY_STOP_BREAK:
        return VM_EXIT_DEBUG;
    case REPLAY_STOP_DONE:
        return VM_EXIT_REPLAY_END;
    default:
        return VM_EXIT_INSN_LIMIT;
    }
}

/* Term.run: one piece of the replay, ending at a call boundary of the recorded run (a stop there
 * changes nothing) or at `end`. */
static VmExit replay_debug_run(void *opaque, Vm *vm, uint64_t end)
{
    ReplayDebug *rd = opaque;
    return replay_debug_exit(reverse_run(rd->rv, end ? end : UINT64_MAX, vm->cpu->icount + REPLAY_DEBUG_SLICE));
}

static VmExit replay_debug_step(void *opaque, Vm *vm)
{
    ReplayDebug *rd = opaque;
    return replay_debug_exit(reverse_run(rd->rv, vm->cpu->icount + 1, UINT64_MAX));
}

static bool replay_debug_stop_is_after(void *opaque)
{
    ReplayDebug *rd = opaque;
    return gdbstub_hit_is_watch(rd->gdb);
}

static bool replay_debug_reverse_step(void *opaque, Vm *vm, bool *at_begin)
{
    ReplayDebug *rd = opaque;
    (void)vm;
    return reverse_step_back(rd->rv, at_begin);
}

static bool replay_debug_reverse_continue(void *opaque, Vm *vm, bool *at_begin)
{
    ReplayDebug *rd = opaque;
    (void)vm;
    return reverse_continue_back(rd->rv, replay_debug_stop_is_after, rd, at_begin);
}

static const DebugTargetOps replay_debug_ops = {
    replay_debug_step, replay_debug_reverse_step, replay_debug_reverse_continue,
};

static int replay_debug_info(void *opaque, MonOut *out)
{
    ReplayDebug *rd = opaque;
    monout_printf(out, "Replaying execution '%s': instruction count = %llu\n", rd->path,
                  (unsigned long long)reverse_icount(rd->rv));
    uint64_t brk = reverse_get_break(rd->rv);
    char b[32] = "none";
    if (brk != UINT64_MAX)
        snprintf(b, sizeof(b), "%llu", (unsigned long long)brk);
    monout_printf(out, "recording: %llu instructions; replay_break: %s; checkpoints: %d (%.1f MiB)\n",
                  (unsigned long long)reverse_total(rd->rv), b, reverse_checkpoints(rd->rv),
                  (double)reverse_bytes(rd->rv) / (1 << 20));
    return 0;
}

static int replay_debug_break(void *opaque, uint64_t n, char *err, size_t errlen)
{
    ReplayDebug *rd = opaque;
    uint64_t now = reverse_icount(rd->rv), total = reverse_total(rd->rv);
    if (n <= now || n > total) {
        snprintf(err, errlen, "instruction %llu is not ahead of the replay (at %llu; the recording ends at %llu)",
                 (unsigned long long)n, (unsigned long long)now, (unsigned long long)total);
        return -1;
    }
    reverse_set_break(rd->rv, n);
    return 0;
}

static int replay_debug_seek(void *opaque, uint64_t n, char *err, size_t errlen)
{
    ReplayDebug *rd = opaque;
    if (!reverse_seek(rd->rv, n)) {
        snprintf(err, errlen, "instruction %llu is beyond the recording (it ends at %llu)", (unsigned long long)n,
                 (unsigned long long)reverse_total(rd->rv));
        return -1;
    }
    return 0;
}

static int replay_debug_loadvm(void *opaque, const char *file, char *err, size_t errlen)
{
    (void)opaque;
    (void)file;
    snprintf(err, errlen, "loadvm: not while replaying (the replay's machine comes from its log; use replay_seek)");
    return -1;
}

int main(int argc, char **argv)
{
    VmConfig cfg = { .ram_size = 128ull << 20, .serial = stdout, .rtc_base = 1767225600 /* 2026-01-01 */,
                     .jit = true, .jit_threshold = JIT_DEFAULT_THRESHOLD };
    const char *debugcon = NULL, *fwlog = NULL, *serial[2] = { NULL, NULL };
    int nserial = 0;
    uint64_t icount_limit = 0;
    const char *loadvm = NULL, *savevm = NULL;
    uint64_t savevm_at = 0;
    bool stats = false, rtc_now = false, jit_log = false, perf_map = false;
    uint64_t jit_max_blocks = UINT64_MAX;
    bool pace_on = isatty(STDIN_FILENO);
    int trace = 0;
    const char *display = NULL;
    Screendump dumps[MAX_SCREENDUMPS];
    int ndumps = 0;
    Sendkey keys[MAX_SENDKEYS];
    int nkeys = 0;
    const char *record = NULL, *replay = NULL;
    uint64_t hash_log2 = REPLAY_HASH_LOG2;
    ReplayOptions ropt = { .msg = stderr };
    ReverseConfig rcfg = { .msg = stderr };
    char derr[512];
    int used;
    const char *gdb_dev = NULL;
    bool start_stopped = false, monitor_stdio = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] == '-' && a[1] == '-' && a[2])
            a++;   /* accept --option as -option, as QEMU does */
        if (!strcmp(a, "-h") || !strcmp(a, "-help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "-no-reboot")) {
            cfg.no_reboot = true;
        } else if (!strcmp(a, "-stats")) {
            stats = true;
        } else if (!strcmp(a, "-savevm-at")) {
            if (!next || i + 2 >= argc)
                return fail("%s", "option -savevm-at needs two arguments: N FILE (see softvisor --help)");
            char *end;
            errno = 0;
            savevm_at = strtoull(next, &end, 0);
            if (errno || end == next || *end)
                return fail("bad number '%s'", next);
            savevm = argv[i + 2];
            i += 2;
        } else if (!strcmp(a, "-perf-map")) {
            perf_map = true;
        } else if (!strcmp(a, "-s")) {
            gdb_dev = "tcp::1234";
        } else if (!strcmp(a, "-S")) {
            start_stopped = true;
        } else if (!strcmp(a, "-nographic")) {
            cfg.nographic = true;
        } else if (!strcmp(a, "-screendump-at")) {
            if (i + 2 >= argc)
                return fail("%s", "-screendump-at needs a count and a file (see softvisor --help)");
            char *end;
            errno = 0;
            unsigned long long v = strtoull(argv[i + 1], &end, 0);
            if (errno || end == argv[i + 1] || *end)
                return fail("bad number '%s'", argv[i + 1]);
            if (ndumps == MAX_SCREENDUMPS)
                return fail("%s", "too many -screendump-at options (at most 16)");
            size_t n = strlen(argv[i + 2]);
            if (n < 4 || (strcasecmp(argv[i + 2] + n - 4, ".png") && strcasecmp(argv[i + 2] + n - 4, ".txt")))
                return fail("screendump file '%s' must end in .png or .txt", argv[i + 2]);
            dumps[ndumps++] = (Screendump){ v, argv[i + 2] };
            i += 2;
        } else if (!strcmp(a, "-sendkey-at")) {
            if (i + 2 >= argc)
                return fail("%s", "-sendkey-at needs a count and keys, e.g. -sendkey-at 1000000 ret (see softvisor --help)");
            char *end;
            errno = 0;
            unsigned long long v = strtoull(argv[i + 1], &end, 0);
            if (errno || end == argv[i + 1] || *end)
                return fail("bad number '%s'", argv[i + 1]);
            if (nkeys == MAX_SENDKEYS)
                return fail("%s", "too many -sendkey-at options (at most 16)");
            Sendkey *k = &keys[nkeys++];
            k->at = v;
            k->keys = argv[i + 2];
            k->n = keymap_sendkey_set2(k->keys, k->bytes, derr, sizeof(derr));
            if (k->n < 0)
                return fail("-sendkey-at: %s", derr);
            i += 2;
        } else if (!strcmp(a, "-m") || !strcmp(a, "-bios") || !strcmp(a, "-kernel") || !strcmp(a, "-append") ||
                   !strcmp(a, "-initrd") || !strcmp(a, "-debugcon") || !strcmp(a, "-fwlog") || !strcmp(a, "-serial") ||
                   !strcmp(a, "-seed") ||
                   !strcmp(a, "-icount-limit") || !strcmp(a, "-d") || !strcmp(a, "-rtc") || !strcmp(a, "-pace") ||
                   !strcmp(a, "-jit") || !strcmp(a, "-jit-threshold") || !strcmp(a, "-jit-max-blocks") || !strcmp(a, "-vga") || !strcmp(a, "-display") ||
                   !strcmp(a, "-loadvm") || !strcmp(a, "-record") || !strcmp(a, "-replay") ||
                   !strcmp(a, "-replay-corrupt") || !strcmp(a, "-record-hash-log2") || !strcmp(a, "-gdb") ||
                   !strcmp(a, "-monitor") || !strcmp(a, "-replay-checkpoint-interval") ||
                   !strcmp(a, "-replay-checkpoint-mem")) {
            if (!next)
                return fail("option %s needs an argument (see softvisor --help)", a);
            i++;
            if (!strcmp(a, "-m")) {
                if (parse_size(next, &cfg.ram_size) < 0)
                    return fail("bad memory size '%s' (try -m 128M)", next);
            } else if (!strcmp(a, "-bios")) {
                cfg.bios = next;
            } else if (!strcmp(a, "-kernel")) {
                cfg.kernel = next;
            } else if (!strcmp(a, "-loadvm")) {
                loadvm = next;
            } else if (!strcmp(a, "-initrd")) {
                cfg.initrd = next;
            } else if (!strcmp(a, "-append")) {
                cfg.append = next;
            } else if (!strcmp(a, "-debugcon")) {
                debugcon = next;
            } else if (!strcmp(a, "-fwlog")) {
                fwlog = next;
            } else if (!strcmp(a, "-serial")) {
                if (nserial == 2)
                    return fail("%s", "too many -serial options (COM1 and COM2 only)");
                serial[nserial++] = next;
            } else if (!strcmp(a, "-gdb")) {
                gdb_dev = next;
            } else if (!strcmp(a, "-monitor")) {
                if (strcmp(next, "stdio"))
                    return fail("bad -monitor device '%s' (only stdio)", next);
                monitor_stdio = true;
            } else if (!strcmp(a, "-pace")) {
                if (strcmp(next, "on") && strcmp(next, "off"))
                    return fail("bad -pace value '%s' (use on or off)", next);
                pace_on = !strcmp(next, "on");
            } else if (!strcmp(a, "-rtc")) {
                if (parse_rtc(next, &cfg.rtc_base, &rtc_now) < 0)
                    return fail("bad -rtc value '%s' (use base=YYYY-MM-DDTHH:MM:SS, base=YYYY-MM-DD or base=now)",
                                next);
            } else if (!strcmp(a, "-vga")) {
                if (strcmp(next, "std") && strcmp(next, "none"))
                    return fail("bad -vga value '%s' (use std or none)", next);
                cfg.no_vga = !strcmp(next, "none");
            } else if (!strcmp(a, "-display")) {
                if (strcmp(next, "sdl") && strcmp(next, "curses") && strcmp(next, "none"))
                    return fail("bad -display value '%s' (use sdl, curses or none)", next);
                display = next;
            } else if (!strcmp(a, "-jit")) {
                if (strcmp(next, "on") && strcmp(next, "off"))
                    return fail("bad -jit value '%s' (use on or off)", next);
                cfg.jit = !strcmp(next, "on");
            } else if (!strcmp(a, "-record")) {
                record = next;
            } else if (!strcmp(a, "-replay")) {
                replay = next;
            } else if (!strcmp(a, "-replay-checkpoint-mem")) {
                uint64_t mem;
                if (parse_size(next, &mem) < 0)
                    return fail("bad -replay-checkpoint-mem size '%s' (try 512M)", next);
                rcfg.budget = (size_t)mem;
            } else if (!strcmp(a, "-seed") || !strcmp(a, "-icount-limit") || !strcmp(a, "-jit-threshold") ||
                       !strcmp(a, "-jit-max-blocks") || !strcmp(a, "-replay-corrupt") ||
                       !strcmp(a, "-record-hash-log2") || !strcmp(a, "-replay-checkpoint-interval")) {
                char *end;
                errno = 0;
                unsigned long long v = strtoull(next, &end, 0);
                if (errno || end == next || *end)
                    return fail("bad number '%s'", next);
                if (!strcmp(a, "-seed")) {
                    cfg.rng_seed = v;
                } else if (!strcmp(a, "-icount-limit")) {
                    icount_limit = v;
                } else if (!strcmp(a, "-jit-max-blocks")) {
                    jit_max_blocks = v;
                } else if (!strcmp(a, "-replay-corrupt")) {
                    ropt.corrupt = true;
                    ropt.corrupt_at = v;
                } else if (!strcmp(a, "-replay-checkpoint-interval")) {
                    if (v == 0)
                        return fail("bad -replay-checkpoint-interval '%s' (at least 1)", next);
                    rcfg.interval = v;
                } else if (!strcmp(a, "-record-hash-log2")) {
                    if (v < 1 || v > 63)
                        return fail("bad -record-hash-log2 '%s' (1 to 63)", next);
                    hash_log2 = v;
                } else if (v > UINT32_MAX) {
                    return fail("bad -jit-threshold '%s' (at most 4294967295)", next);
                } else {
                    cfg.jit_threshold = (uint32_t)v;
                }
            } else if (!strcmp(a, "-d")) {
                char items[256];
                snprintf(items, sizeof(items), "%s", next);
                for (char *tok = strtok(items, ","); tok; tok = strtok(NULL, ",")) {
                    if (!strcmp(tok, "unimp"))
                        cfg.log = stderr;
                    else if (!strcmp(tok, "exec"))
                        trace |= TRACE_EXEC;
                    else if (!strcmp(tok, "in_asm"))
                        trace |= TRACE_EXEC | TRACE_ASM;
                    else if (!strcmp(tok, "jit"))
                        jit_log = true;
                    else if (!strcmp(tok, "int"))
                        trace |= TRACE_INT;
                    else
                        return fail("unknown log item '%s' (known: unimp, exec, in_asm, jit, int)", tok);
                }
            }
        } else if ((used = drives_option(&cfg, argc, argv, i, derr, sizeof derr)) != 0) {
            if (used < 0)
                return fail("%s", derr);
            i += used - 1;
        } else {
            return fail("unknown option '%s' (see softvisor --help)", argv[i]);
        }
    }
    bool default_bios = !cfg.bios && !cfg.kernel;
    if (default_bios)
        cfg.bios = DEFAULT_BIOS;
    if (cfg.nographic && display && strcmp(display, "none"))
        return fail("-nographic and -display %s contradict each other", display);
    if (!display)
        display = cfg.nographic || cfg.no_vga ? "none" : sdl_available() ? "sdl" : "none";
    if (replay)
        display = "none";   /* a window or the curses screen would send input the log does not have */
    if (cfg.no_vga && (strcmp(display, "none") || ndumps))
        return fail("%s", "-vga none leaves nothing to display or dump (drop -display / -screendump-at)");
    if (!cfg.no_vga && access(VGA_BIOS_DEFAULT, R_OK) == 0)
        cfg.vga_rom = VGA_BIOS_DEFAULT;
    bool curses = !strcmp(display, "curses");
    if (curses && nserial == 0)
        cfg.serial = NULL;   /* the terminal shows the screen: COM1 goes nowhere unless asked */
    if (!cfg.jit && (jit_log || perf_map || jit_max_blocks != UINT64_MAX))
        return fail("%s", "-d jit, -perf-map and -jit-max-blocks need -jit on");
    if (record && replay)
        return fail("%s", "-record and -replay exclude each other");
    if (replay && icount_limit)
        return fail("%s", "-icount-limit has no meaning with -replay (the replay ends where the log does)");
    if (ropt.corrupt && replay && (gdb_dev || start_stopped || monitor_stdio))
        return fail("%s", "-replay-corrupt is not supported under a debugger (-gdb, -S, -monitor stdio)");
    if (ropt.corrupt && !replay)
        return fail("%s", "-replay-corrupt needs -replay");
    /* XXX: a log starts at power-on (its header describes the images, not a snapshot), and the
     * replay path runs without the frontend's stop points. */
    if ((record || replay) && loadvm)
        return fail("%s", "-loadvm with -record or -replay is not supported yet (a log starts at power-on)");
    if (replay && (savevm || ndumps))
        return fail("%s", "-savevm-at and -screendump-at are not supported with -replay yet");
    if (replay && nkeys)
        return fail("%s", "-sendkey-at with -replay: the log already holds the keys of the recorded run");
    /* The machine as the log header describes it: RAM, CPU, image hashes, guest-visible options. */
    char err[512], machine[REPLAY_MACHINE_MAX];
    Replay *rlog = NULL;
    if (replay) {
        rlog = replay_load(replay, err, sizeof(err));
        if (!rlog)
            return fail("%s", err);
        /* the host clock a base=now recording read is an input: it comes from the log */
        if (rtc_now && !replay_rtc_now(rlog, &cfg.rtc_base))
            cfg.rtc_base = 0;
        if (replay_describe(&cfg, rtc_now, machine, sizeof(machine), err, sizeof(err)) < 0 ||
            replay_check_machine(rlog, machine, err, sizeof(err)) < 0) {
            replay_free(rlog);
            return fail("%s", err);
        }
        char version[80];
        replay_version(rlog, version, sizeof(version));
        if (strcmp(version, SOFTVISOR_VERSION))
            fprintf(stderr, "softvisor: note: the log was recorded by softvisor %s, this is %s\n", version,
                    SOFTVISOR_VERSION);
    } else if (record && replay_describe(&cfg, rtc_now, machine, sizeof(machine), err, sizeof(err)) < 0) {
        return fail("%s", err);
    }
    /* stdin feeds the serial port that is on stdio (COM1 by default) */
    int stdin_port = nserial == 0 && !curses ? 0 : -1;
    for (int i = 0; i < nserial; i++) {
        if (!chardev_is_stdio(serial[i]))
            continue;
        if (stdin_port >= 0)
            return fail("%s", "only one serial port can be on stdio");
        if (curses)
            return fail("%s", "-display curses uses the terminal: no serial port can be on stdio");
        stdin_port = i;
    }
    bool debugcon_created = false, fwlog_created = false, serial_created[2] = { false, false };
    if (debugcon && open_chardev(debugcon, &cfg.debugcon, &debugcon_created) < 0)
        return fail("cannot open debug console '%s' (use stdio, file:PATH or none)", debugcon);
    if (fwlog && open_chardev(fwlog, &cfg.fwlog, &fwlog_created) < 0) {
        chardev_discard(cfg.debugcon, debugcon, debugcon_created);
        return fail("cannot open firmware log '%s' (use stdio, file:PATH or none)", fwlog);
    }
    FILE **serial_out[2] = { &cfg.serial, &cfg.serial2 };
    for (int i = 0; i < nserial; i++) {
        if (open_chardev(serial[i], serial_out[i], &serial_created[i]) < 0) {
            chardev_discard(cfg.debugcon, debugcon, debugcon_created);
            chardev_discard(cfg.fwlog, fwlog, fwlog_created);
            if (i == 1)
                chardev_discard(cfg.serial, serial[0], serial_created[0]);
            return fail("cannot open serial device '%s' (use stdio, file:PATH or none)", serial[i]);
        }
    }

    char msg[1200];
    Vm *vm = vm_new(&cfg, err, sizeof(err));
    snprintf(msg, sizeof(msg), "%s", err);
    if (vm && loadvm && !vm_snapshot_load(vm, loadvm, err, sizeof(err))) {
        snprintf(msg, sizeof(msg), "cannot load snapshot '%s': %s", loadvm, err);
        vm_free(vm);
        vm = NULL;
    }
    if (vm && savevm && savevm_at < vm->cpu->icount) {
        snprintf(msg, sizeof(msg), "-savevm-at %llu: the snapshot starts at instruction %llu, already past it",
                 (unsigned long long)savevm_at, (unsigned long long)vm->cpu->icount);
        vm_free(vm);
        vm = NULL;
    } else if (vm && savevm && icount_limit && savevm_at - vm->cpu->icount > icount_limit) {
        snprintf(msg, sizeof(msg), "-savevm-at %llu: -icount-limit ends the run first", (unsigned long long)savevm_at);
        vm_free(vm);
        vm = NULL;
    }
    if (vm && record) {
        vm->rr = replay_record_open(record, machine, (unsigned)hash_log2, err, sizeof(err));
        if (!vm->rr) {
            snprintf(msg, sizeof(msg), "%s", err);
            vm_free(vm);
            vm = NULL;
        }
    }
    FILE *perf = NULL;
    char perf_path[64];
    snprintf(perf_path, sizeof(perf_path), "/tmp/perf-%ld.map", (long)getpid());
    if (vm && perf_map && !(perf = fopen(perf_path, "w")))
        snprintf(msg, sizeof(msg), "cannot write the perf map %s: %s", perf_path, strerror(errno));
    if (!vm || (perf_map && !perf)) {
        bool vm_failed = !vm;
        vm_free(vm);
        chardev_discard(cfg.debugcon, debugcon, debugcon_created);
        chardev_discard(cfg.fwlog, fwlog, fwlog_created);
        for (int i = 0; i < nserial; i++)
            chardev_discard(*serial_out[i], serial[i], serial_created[i]);
        replay_free(rlog);
        if (default_bios && vm_failed)
            return fail("%s (no -bios or -kernel given: the default firmware is SeaBIOS from Debian's seabios "
                        "package; install it or give -bios FILE or -kernel FILE)", msg);
        return fail("%s", msg);
    }
    /* A replay under a debugger runs through the seek engine (its first checkpoint now). */
    bool replay_debug = rlog && (gdb_dev || start_stopped || monitor_stdio);
    ReplayDebug rd = { .path = replay,
                       .hooks = { replay_debug_info, replay_debug_break, replay_debug_seek, NULL, replay_debug_loadvm,
                                  &rd } };
    snprintf(err, sizeof(err), "out of memory");
    if (replay_debug)
        rd.rv = reverse_new(rlog, vm, &rcfg, err, sizeof(err));
    /* The debugger session (gdb, the monitor, stop/cont); its socket before anything is written. */
    GdbStub *gdb = replay_debug && !rd.rv ? NULL
                   : gdbstub_new(vm, start_stopped, rd.rv ? &replay_debug_ops : NULL, &rd, rd.rv ? &rd.hooks : NULL);
    rd.gdb = gdb;
    if (!gdb || (gdb_dev && gdbstub_listen(gdb, gdb_dev, err, sizeof(err)) < 0)) {
        reverse_free(rd.rv);
        gdbstub_free(gdb);
        if (vm->rr) {
            char rerr[256];
            replay_record_finish(vm->rr, vm, 2, rerr, sizeof(rerr));
            vm->rr = NULL;
            unlink(record);
        }
        vm_free(vm);
        replay_free(rlog);
        chardev_discard(cfg.debugcon, debugcon, debugcon_created);
        chardev_discard(cfg.fwlog, fwlog, fwlog_created);
        for (int i = 0; i < nserial; i++)
            chardev_discard(*serial_out[i], serial[i], serial_created[i]);
        return fail("%s", err);
    }
    chardev_truncate(cfg.debugcon);
    chardev_truncate(cfg.fwlog);
    chardev_truncate(cfg.serial);
    chardev_truncate(cfg.serial2);
    if (cfg.jit) {
        jit_set_log(vm->cpu->jit, jit_log ? stderr : NULL, perf);
        jit_set_max_blocks(vm->cpu->jit, jit_max_blocks);
    }
    Trace *tr = NULL;
    if (trace) {
        tr = trace_new(stderr, trace);
        if (!tr)
            return fail("%s", "out of memory");
        trace_attach(tr, vm->cpu);
    }
    if (rlog && !replay_debug) {
        /* A replay reads nothing from the terminal and never paces: the log is its only input. */
        int status = replay_run(rlog, vm, &ropt);
        replay_free(rlog);
        if (stats) {
            fprintf(stderr, "softvisor: %llu instructions retired\n", (unsigned long long)vm->cpu->icount);
            fprintf(stderr, "softvisor: state hash %016llx\n", (unsigned long long)vm_state_hash(vm));
        }
        close_outputs(&cfg);
        gdbstub_free(gdb);
        vm_free(vm);
        trace_free(tr);
        return status;
    }
    Term term;
    if (rlog)
        stdin_port = -1;   /* the log is the only input */
    bool stdin_used = stdin_port >= 0 || monitor_stdio;
    if (term_open(&term, stdin_used ? STDIN_FILENO : -1, stdin_port >= 0 ? stdin_port : 0, err, sizeof(err)) < 0) {
        gdbstub_free(gdb);
        reverse_free(rd.rv);
        replay_free(rlog);
        if (vm->rr) {
            replay_record_finish(vm->rr, vm, 2, err, sizeof(err));
            unlink(record);
        }
        vm_free(vm);
        return fail("%s", err);
    }
    SdlDisplay *sdl = NULL;
    CursesDisplay *cur = NULL;
    if (!strcmp(display, "sdl")) {
        const char *boot = cfg.kernel ? cfg.kernel : cfg.bios;
        const char *base = boot ? strrchr(boot, '/') : NULL;
        char name[80];
        snprintf(name, sizeof(name), "pc (%s)", base ? base + 1 : boot ? boot : "firmware");
        sdl = sdl_open(vm, name, err, sizeof(err));
        term.frame = sdl_frame;
        term.frame_opaque = sdl;
    } else if (curses) {
        cur = curses_open(vm, err, sizeof(err));
        term.frame = curses_frame;
        term.frame_opaque = cur;
    }
    if (term.frame && !term.frame_opaque) {
        term_close(&term);
        vm_free(vm);
        return fail("%s", err);
    }
    term.frame_ns = 1000000000u / 60;
    term.gdb = gdb;
    if (rd.rv) {
        term.run = replay_debug_run;
        term.run_opaque = &rd;
    }
    if (monitor_stdio) {
        term.monitor = true;
        fputs("softvisor monitor - type 'help' for more information\n(softvisor) ", stdout);
        fflush(stdout);
    }
    Pace pace;
    pace_init(&pace, pace_on, NULL, NULL);
    VmExit why = VM_EXIT_RUNNING;
    TermEnd end = TERM_END_VM;
    bool dump_failed = false, save_failed = false;
    Cpu *cpu = vm->cpu;
    /* Run to each stop point in turn (the -screendump-at counts and -savevm-at: term_run stops
     * there exactly), then to the end.  After a save the run goes on with the slices a run
     * started with -loadvm from that snapshot takes, so both go on identically. */
    uint64_t run_ns = process_ns();
    uint64_t stop_all = icount_limit ? cpu->icount + icount_limit : UINT64_MAX;
    for (;;) {
        uint64_t next = UINT64_MAX;
        for (int i = 0; i < ndumps; i++)
            if (dumps[i].path && dumps[i].at < next)
                next = dumps[i].at;
        for (int i = 0; i < nkeys; i++)
            if (keys[i].keys && keys[i].at < next)
                next = keys[i].at;
        if (savevm && savevm_at < next)
            next = savevm_at;
        uint64_t target = next < stop_all ? next : stop_all;
        uint64_t now = cpu->icount;
        if (target > now)
            end = term_run(&term, vm, &pace, target == UINT64_MAX ? 0 : target - now, &why);
        if (end != TERM_END_VM || cpu->icount < target || next == UINT64_MAX || cpu->icount < next)
            break;
        if (savevm && savevm_at == next && (why == VM_EXIT_INSN_LIMIT || why == VM_EXIT_RUNNING)) {
            const char *path = savevm;
            savevm = NULL;
            if (!vm_snapshot_save(vm, path, err, sizeof(err))) {
                /* the user's error, said once: the run stops here, with no second line about
                 * how it ended */
                fprintf(stderr, "softvisor: cannot save snapshot at instruction %llu: %s\n",
                        (unsigned long long)savevm_at, err);
                save_failed = true;
                why = VM_EXIT_RUNNING;
                break;
            }
        }
        for (int i = 0; i < ndumps; i++)
            if (dumps[i].path && dumps[i].at == next) {
                if (vga_screendump(vm->vga, dumps[i].path, err, sizeof(err)) < 0) {
                    fprintf(stderr, "softvisor: %s\n", err);
                    dump_failed = true;
                }
                dumps[i].path = NULL;
            }
        for (int i = 0; i < nkeys; i++)   /* after the screendumps: a dump shows the screen before the key */
            if (keys[i].keys && keys[i].at == next)
                sendkey_inject(vm, &keys[i]);
        if (cpu->icount >= stop_all)
            break;
        why = VM_EXIT_RUNNING;
    }
    run_ns = process_ns() - run_ns;
    if (savevm) {
        fprintf(stderr, "softvisor: no snapshot saved: the run ended at instruction %llu, before %llu\n",
                (unsigned long long)cpu->icount, (unsigned long long)savevm_at);
        save_failed = true;
    }
    sdl_close(sdl);
    curses_close(cur);
    term_close(&term);
    fflush(stdout);
    int status = 0;
    if (end == TERM_END_QUIT) {
        fprintf(stderr, "softvisor: terminated by Ctrl-A x, the monitor's quit or gdb's kill\n");
        why = VM_EXIT_RUNNING;
    } else if (end == TERM_END_SIGNAL) {
        fprintf(stderr, "softvisor: terminating on signal %d\n", term.signal);
        status = 128 + term.signal;
        why = VM_EXIT_RUNNING;
    }
    switch (why) {
    case VM_EXIT_DEBUG_EXIT:
        status = vm->exit_status;
        break;
    case VM_EXIT_HALTED:
        fprintf(stderr, "softvisor: guest halted with interrupts disabled at %04x:%08llx after %llu instructions\n",
                cpu->seg[SEG_CS].sel, (unsigned long long)cpu->rip, (unsigned long long)cpu->icount);
        break;
    case VM_EXIT_IDLE:
        fprintf(stderr, "softvisor: guest idle (halted, no timer armed) with no input left at %04x:%08llx after %llu "
                "instructions\n", cpu->seg[SEG_CS].sel, (unsigned long long)cpu->rip, (unsigned long long)cpu->icount);
        break;
    case VM_EXIT_TRIPLE_FAULT:
        fprintf(stderr, "softvisor: guest triple-faulted at %04x:%08llx (-no-reboot)\n", cpu->seg[SEG_CS].sel,
                (unsigned long long)cpu->rip);
        break;
    case VM_EXIT_POWEROFF:
        status = vm->exit_status;
        break;
    case VM_EXIT_SLEEP: {
        int state = piix4_pm_sleep_state(vm->sleep_type);
        char what[48];
        if (state)
            snprintf(what, sizeof(what), "sleep state S%d (SLP_TYP=%d)", state, vm->sleep_type);
        else
            snprintf(what, sizeof(what), "sleep type SLP_TYP=%d", vm->sleep_type);
        fprintf(stderr, "softvisor: guest requested ACPI %s, which this machine does not offer (only S5, "
                "soft-off)\n", what);
        status = 4;
        break;
    }
    case VM_EXIT_INSN_LIMIT:
        fprintf(stderr, "softvisor: instruction limit reached at %04x:%08llx\n", cpu->seg[SEG_CS].sel,
                (unsigned long long)cpu->rip);
        status = 3;
        break;
    case VM_EXIT_REPLAY_END:   /* the replay under a debugger used up its log (its line is out) */
        status = reverse_status(rd.rv);
        break;
    case VM_EXIT_DEBUG:   /* taken over by the stub: never the end of a run */
    default:
        break;
    }
    for (int i = 0; i < ndumps; i++)
        if (dumps[i].path) {
            fprintf(stderr, "softvisor: the run ended at instruction %llu, before %llu: no screendump '%s'\n",
                    (unsigned long long)cpu->icount, (unsigned long long)dumps[i].at, dumps[i].path);
            dump_failed = true;
        }
    for (int i = 0; i < nkeys; i++)
        if (keys[i].keys)
            fprintf(stderr, "softvisor: the run ended at instruction %llu, before %llu: keys '%s' not sent\n",
                    (unsigned long long)cpu->icount, (unsigned long long)keys[i].at, keys[i].keys);
    if (dump_failed)
        status = 5;
    if (save_failed)
        status = 2;
    if (stats) {
        fprintf(stderr, "softvisor: %llu instructions retired\n", (unsigned long long)cpu->icount);
        fprintf(stderr, "softvisor: state hash %016llx\n", (unsigned long long)vm_state_hash(vm));
    }
    if (stats && cpu->jit)
        jit_print_stats(cpu->jit, stderr, run_ns);
    if (vm->rr) {
        /* the end record: final position, full state hash and the status this run exits with */
        if (replay_record_finish(vm->rr, vm, status, err, sizeof(err)) < 0) {
            fprintf(stderr, "softvisor: %s\n", err);
            status = 2;
        }
        vm->rr = NULL;
    }
    close_outputs(&cfg);
    gdbstub_free(gdb);
    reverse_free(rd.rv);
    replay_free(rlog);
    vm_free(vm);
    trace_free(tr);
    if (perf)
        fclose(perf);
    return status;
}
