/*
 * vm.h — the isolation layer: one Vm owns its RAM, physical address space, port bus, CPU,
 * virtual clock and devices.  Nothing is shared between two Vms; nothing is global.
 */
#ifndef SOFTVISOR_VM_H
#define SOFTVISOR_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/cpu.h"
#include "mem/io.h"
#include "mem/phys.h"
#include "vm/clock.h"

/* The i440FX shadow-RAM segments of 0xC0000-0xFFFFF (vm/board.c). */
#define VM_PAM_SEGMENTS 13

#define VM_MAX_DRIVES 4       /* IDE index 0-3: primary master/slave, secondary master/slave */

typedef struct VmDrive {
    bool present;
    const char *file;         /* raw image; NULL only for a CD-ROM drive with no disc */
    bool cdrom;               /* media=cdrom: an ATAPI CD-ROM (always read-only) */
    bool readonly;
} VmDrive;

typedef struct VmConfig {
    uint64_t ram_size;        /* bytes */
    const char *bios;         /* raw ROM image, or NULL */
    const char *kernel;       /* Linux bzImage or multiboot kernel, or NULL */
    const char *initrd;       /* Linux initrd, or multiboot modules "FILE[ ARGS],...", or NULL */
    const char *append;       /* kernel command line */
    bool no_reboot;
    FILE *debugcon;           /* port 0xE9 output, or NULL */
    FILE *fwlog;              /* port 0x402 output (SeaBIOS's debug log), or NULL */
    FILE *serial;             /* COM1 output, or NULL */
    FILE *serial2;            /* COM2 output, or NULL */
    FILE *log;                /* unimplemented-access log, or NULL */
    uint64_t rng_seed;
    int64_t rtc_base;         /* RTC start time: seconds since 1970-01-01T00:00:00 UTC */
    bool jit;                 /* -jit on: hot blocks run as host code (jit/jit.h) */
    uint32_t jit_threshold;   /* executions before a block is translated (0: at the first) */
    bool no_vga;              /* -vga none: no display adapter */
    bool nographic;           /* -nographic: nobody sees a screen; the firmware's console goes to
                               * COM1 too (fw_cfg FW_CFG_NOGRAPHIC, etc/sercon-port), as on QEMU */
    const char *vga_rom;      /* VGA BIOS for the adapter's expansion ROM, or NULL */
    VmDrive drive[VM_MAX_DRIVES];  /* IDE drives by index (-drive, -hda..-hdd, -cdrom) */
    bool snapshot;            /* -snapshot: guest writes go to an in-memory overlay */
    const char *boot_order;   /* -boot order=LETTERS (QEMU's a-p: c disk, d CD-ROM, n network),
                               * for the firmware's boot order (fw_cfg "bootorder"), or NULL */
} VmConfig;

typedef enum VmExit {
    VM_EXIT_RUNNING,
    VM_EXIT_DEBUG_EXIT,       /* guest wrote isa-debug-exit */
    VM_EXIT_HALTED,           /* HLT with interrupts disabled: nothing can wake it */
    VM_EXIT_TRIPLE_FAULT,     /* shutdown with -no-reboot */
    VM_EXIT_INSN_LIMIT,       /* vm_run's instruction limit reached */
    VM_EXIT_POWEROFF,         /* the guest powered the machine off (ACPI S5) */
    VM_EXIT_IDLE,             /* HLT with IF = 1 and no device deadline: only input can wake it;
                               * calling vm_run again resumes the halted CPU */
    VM_EXIT_SLEEP,            /* the guest asked for an ACPI sleep state (SLP_TYP in
                               * sleep_type) that the machine does not offer */
    VM_EXIT_WAIT,             /* HLT with IF = 1, the next deadline beyond vm_run_until's time
                               * limit: the clock stands at the limit; calling again resumes */
    VM_EXIT_DEBUG,            /* a host debugger's breakpoint or watchpoint (Cpu.host_stop) */
    VM_EXIT_REPLAY_END,       /* (never from vm_run) a replay driven by a debugger used up its
                               * log (frontends/main.c, vm/reverse.h) */
} VmExit;

/* The chips of the board (vm/board.c); each is opaque outside its own file. */
typedef struct UartState UartState;
typedef struct DebugconState DebugconState;
typedef struct DebugExitState DebugExitState;
typedef struct PicState PicState;         /* devices/i8259.c: master + slave */
typedef struct PitState PitState;         /* devices/i8254.c */
typedef struct RtcState RtcState;         /* devices/mc146818.c */
typedef struct KbcState KbcState;         /* devices/i8042.c */
typedef struct LapicState LapicState;     /* devices/lapic.c */
typedef struct IoapicState IoapicState;   /* devices/ioapic.c */
typedef struct HpetState HpetState;       /* devices/hpet.c */
typedef struct PciState PciState;         /* devices/pci.c: host bridge + config mechanism #1 */
typedef struct AcpiPmState AcpiPmState;   /* devices/piix4_pm.c */
typedef struct Vga Vga;                   /* devices/vga.c: std VGA, PCI 00:02.0 */
typedef struct FwCfgState FwCfgState;     /* devices/fw_cfg.c */
typedef struct Replay Replay;             /* vm/replay.c */
typedef struct Ide Ide;                   /* devices/ide.c: PIIX3 IDE, PCI 00:01.1 */

typedef struct Vm {
    VmConfig cfg;
    uint8_t *ram;
    uint64_t ram_size;
    uint8_t *rom;
    uint64_t rom_size;
    PhysMem mem;
    IoBus io;
    Clock clock;
    Cpu *cpu;
    UartState *com1, *com2;
    DebugconState *debugcon;
    DebugconState *fwlog;     /* port 0x402 */
    FwCfgState *fw_cfg;       /* devices/fw_cfg.c */
    DebugExitState *debugexit;
    PicState *pic;
    PitState *pit;
    RtcState *rtc;
    KbcState *kbc;
    LapicState *lapic;
    IoapicState *ioapic;
    HpetState *hpet;
    PciState *pci;
    AcpiPmState *pm;
    Vga *vga;                 /* NULL with -vga none */
    Ide *ide;
    uint8_t port92;
    uint8_t *pci_shadow;      /* 0xC0000-0xFFFFF as PCI answers it: the BIOS ROM's ISA alias */
    uint8_t *pam_rd[VM_PAM_SEGMENTS], *pam_wr[VM_PAM_SEGMENTS];   /* PAM segment backings (board.c) */
    uint64_t acpi_rsdp;       /* guest-physical RSDP address once the ACPI tables are built, or 0 */
    bool reset_request;       /* the guest asked for a reset; acted on between CPU slices */
    VmExit exit;
    int exit_status;
    int sleep_type;           /* VM_EXIT_SLEEP: the SLP_TYP the guest wrote */
    uint64_t *page_hash;      /* vm_state_hash: XXH3 of each RAM page, valid where the page's
                               * PHYS_DIRTY_HASH bit is clear (vm/state.c) */
    Replay *rr;               /* the record log every input and slice goes to, or NULL */
} Vm;

/* State table of the board-level fields above (port92, acpi_rsdp, reset_request; vm/state.h). */
struct StateDesc;
extern const struct StateDesc vm_board_state_desc;

/* Creates a VM; on failure returns NULL and writes a one-line reason into err. */
Vm *vm_new(const VmConfig *cfg, char *err, size_t errlen);
void vm_free(Vm *vm);
/* Puts the machine in its power-on state and loads the firmware/kernel again. */
int vm_reset(Vm *vm, char *err, size_t errlen);
/* Runs until the guest exits, `max_insns` instructions retire, or the CPU has halted through as
 * many instructions' worth of virtual time (both VM_EXIT_INSN_LIMIT; 0: no limit). */
VmExit vm_run(Vm *vm, uint64_t max_insns);
/* vm_run with a bound on the virtual clock (ns, CLOCK_NEVER: none), for pacing against the host:
 * a halted CPU lets time pass only up to `time_limit`; when its next deadline lies beyond, the
 * clock stops at the limit and the run returns VM_EXIT_WAIT (VM_EXIT_IDLE when no deadline is
 * armed).  Returning there changes nothing the guest can see: the same run continues on the
 * next call, so where the limits fall never changes what the guest computes. */
VmExit vm_run_until(Vm *vm, uint64_t max_insns, uint64_t time_limit);
/* After VM_EXIT_WAIT or VM_EXIT_IDLE, lets the halted CPU's clock run on to `t` (ns) while it
 * stays short of the next deadline, so that input injected next arrives at that time. */
void vm_wait_until(Vm *vm, uint64_t t);
/* vm_run_until's loop: runs until the instruction count reaches `stop_at` or the time skipped
 * while halted (Clock.idle) reaches `idle_stop` (UINT64_MAX: no such limit), a halted CPU's clock
 * running no further than `time_limit` (CLOCK_NEVER: none).  For the replayer, which must stop
 * inside a recorded slice without changing where the slice itself ends. */
VmExit vm_run_to(Vm *vm, uint64_t stop_at, uint64_t idle_stop, uint64_t time_limit);

/* External input (vm/input.c): the only way anything from outside enters the guest, between
 * vm_run calls, at the current instruction count (the point a record/replay log will capture).
 * Serial port 0 = COM1, 1 = COM2.  vm_serial_room says how many bytes the port takes now. */
unsigned vm_serial_room(const Vm *vm, int port);
void vm_input_serial(Vm *vm, int port, uint8_t byte);
/* Keyboard (scan code set 2 bytes, as a PS/2 keyboard's matrix reports keys) and PS/2 mouse
 * (relative motion, dy positive = up, wheel dz; buttons bit 0 left, 1 right, 2 middle). */
unsigned vm_key_room(const Vm *vm);
void vm_input_key(Vm *vm, uint8_t set2_byte);
void vm_input_mouse(Vm *vm, int dx, int dy, int dz, uint8_t buttons);
/* The ACPI power button was pressed (PIIX4 PM PWRBTN_STS; a window being closed). */
void vm_input_power_button(Vm *vm);
/* The host's wall clock (seconds since 1970-01-01T00:00:00 UTC) for -rtc base=now: the only
 * host time that reaches a guest, read once before the VM exists and kept in the replay log's
 * header. */
int64_t vm_input_host_time(void);

/* For the board's chips: the A20 gate and a guest-requested system reset. */
void vm_set_a20(Vm *vm, bool on);
void vm_request_reset(Vm *vm);

#endif
