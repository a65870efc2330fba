/*
 * vm.c — building a VM from its config, the CpuBus it gives the CPU, and the run loop.
 *
 * Memory map (as a PC, and as QEMU lays out -bios): RAM from 0; the BIOS ROM at 4 GiB - size and
 * its last min(size, 128 KiB) again just below 1 MiB (0xE0000-0xFFFFF for a 128 KiB ROM), where
 * the i440FX's PAM registers switch each segment of 0xC0000-0xFFFFF between that ROM and the RAM
 * under it (vm/board.c).
 * RAM above 3.5 GiB is moved above 4 GiB, leaving the usual PCI hole.
 *
 * Run loop: run the CPU up to the next device deadline; on HLT jump the clock to the next
 * deadline, stop when nothing can ever wake the CPU (IF = 0), or return VM_EXIT_IDLE when only
 * external input could (no deadline armed).  A pacing frontend bounds the jump by the host's
 * wall clock (vm_run_until): the clock then stops at the bound, VM_EXIT_WAIT, and the frontend
 * sleeps until the deadline is due.  A halted CPU sees nothing of where the jump was cut, so
 * the guest's run is the same either way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vm/vm.h"
#include "vm/board.h"
#include "vm/replay.h"
#include "firmware/acpi.h"
#include "firmware/e820.h"
#include "firmware/loader.h"
#include "jit/jit.h"
#include "vm/state.h"


/* ---- the CpuBus ---- */

static uint8_t *bus_phys_ptr(void *opaque, uint64_t paddr, bool *writable)
{
    Vm *vm = opaque;
    return phys_page_ptr(&vm->mem, paddr, writable);
}

static uint64_t bus_phys_read(void *opaque, uint64_t paddr, int size)
{
    Vm *vm = opaque;
    return phys_mem_read(&vm->mem, paddr, size);
}

/* A device may arm a deadline earlier than the one cpu_run was given (a timer programmed by
 * this very access): the CPU then stops after the instruction so that vm_run takes the new
 * limit.  Port I/O ends the block, so it stops at once; after an MMIO write (the local APIC's
 * initial count, the HPET's comparators) or a WRMSR to IA32_TSC_DEADLINE the block ends first. */
static void bus_check_deadline(Vm *vm, uint64_t before)
{
    if (clock_next_deadline(&vm->clock) < before)
        vm->cpu->stop_request = true;
}

static void bus_phys_write(void *opaque, uint64_t paddr, int size, uint64_t val)
{
    Vm *vm = opaque;
    uint64_t before = clock_next_deadline(&vm->clock);
    phys_mem_write(&vm->mem, paddr, size, val);
    bus_check_deadline(vm, before);
}

static uint32_t bus_io_in(void *opaque, uint16_t port, int size)
{
    Vm *vm = opaque;
    uint64_t before = clock_next_deadline(&vm->clock);
    uint32_t v = io_in(&vm->io, port, size);
    bus_check_deadline(vm, before);
    return v;
}

static void bus_io_out(void *opaque, uint16_t port, int size, uint32_t val)
{
    Vm *vm = opaque;
    uint64_t before = clock_next_deadline(&vm->clock);
    io_out(&vm->io, port, size, val);
    bus_check_deadline(vm, before);
}

static bool bus_intr_pending(void *opaque)
{
    return board_intr_pending(opaque);
}

static bool bus_intr_ack(void *opaque, uint8_t *vector)
{
    return board_intr_ack(opaque, vector);
}

static void bus_apic_base_write(void *opaque, uint64_t apic_base)
{
    board_apic_base_write(opaque, apic_base);
}

static uint8_t bus_apic_cr8_read(void *opaque)
{
    return board_apic_cr8_read(opaque);
}

static void bus_apic_cr8_write(void *opaque, uint8_t cr8)
{
    board_apic_cr8_write(opaque, cr8);
}

static uint64_t bus_apic_tsc_deadline_read(void *opaque)
{
    return board_apic_tsc_deadline_read(opaque);
}

static void bus_apic_tsc_deadline_write(void *opaque, uint64_t tsc)
{
    Vm *vm = opaque;
    uint64_t before = clock_next_deadline(&vm->clock);
    board_apic_tsc_deadline_write(vm, tsc);
    bus_check_deadline(vm, before);
}

static void bus_ferr(void *opaque)
{
    board_ferr(opaque);
}

static void bus_phys_dirty(void *opaque, uint64_t ppage)
{
    Vm *vm = opaque;
    phys_mark_dirty(&vm->mem, ppage);
}

static const CpuBus vm_bus = {
    bus_phys_ptr, bus_phys_read, bus_phys_write, bus_io_in, bus_io_out, bus_intr_ack, bus_intr_pending,
    bus_ferr, bus_phys_dirty,
};

static const CpuApicOps vm_apic_ops = {
    bus_apic_base_write, bus_apic_cr8_read, bus_apic_cr8_write, bus_apic_tsc_deadline_read,
    bus_apic_tsc_deadline_write,
};

/* ---- what the board asks of the VM ---- */

void vm_set_a20(Vm *vm, bool on)
{
    uint64_t mask = on ? ~0ull : ~(1ull << 20);
    if (mask != vm->mem.a20_mask) {
        vm->mem.a20_mask = mask;
        vm->cpu->a20_mask = mask;
        cpu_flush_tlb(vm->cpu, true);
    }
}

void vm_request_reset(Vm *vm)
{
    vm->reset_request = true;
    vm->cpu->stop_request = true;
}

static int map_memory(Vm *vm, char *err, size_t errlen)
{
    uint64_t low = e820_low_ram_end(vm->ram_size);
    phys_init(&vm->mem);
    if (mem_map_ram(&vm->mem, 0, low, vm->ram) < 0)
        goto bad;
    if (vm->ram_size > low && mem_map_ram(&vm->mem, 1ull << 32, vm->ram_size - low, vm->ram + low) < 0)
        goto bad;
    if (vm->rom) {
        uint64_t isa = vm->rom_size < BOARD_ISA_BIOS_MAX ? vm->rom_size : BOARD_ISA_BIOS_MAX;
        if (mem_map_rom(&vm->mem, (1ull << 32) - vm->rom_size, vm->rom_size, vm->rom) < 0 ||
            mem_map_rom(&vm->mem, 0x100000 - isa, isa, vm->rom + vm->rom_size - isa) < 0)
            goto bad;
    }
    return 0;
bad:
    snprintf(err, errlen, "cannot map guest memory (RAM size %llu bytes)", (unsigned long long)vm->ram_size);
    return -1;
}

Vm *vm_new(const VmConfig *cfg, char *err, size_t errlen)
{
    Vm *vm = calloc(1, sizeof(*vm));
    if (!vm) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    vm->cfg = *cfg;
    vm->ram_size = (cfg->ram_size + 0xfff) & ~0xfffull;
    if (vm->ram_size < (1u << 20)) {
        snprintf(err, errlen, "guest RAM must be at least 1 MiB");
        goto fail;
    }
    vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (vm->ram == MAP_FAILED) {
        vm->ram = NULL;
        snprintf(err, errlen, "cannot allocate %llu bytes of guest RAM: %s", (unsigned long long)vm->ram_size,
                 strerror(errno));
        goto fail;
    }
    if (cfg->bios && loader_read_bios(vm, cfg->bios, err, errlen) < 0)
        goto fail;
    if (map_memory(vm, err, errlen) < 0)
        goto fail;
    vm->page_hash = malloc(vm->ram_size / PAGE_SIZE * sizeof(uint64_t));
    if (!vm->page_hash || phys_dirty_init(&vm->mem, vm->ram, vm->ram_size / PAGE_SIZE) < 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    io_init(&vm->io);
    vm->io.log = cfg->log;
    CpuConfig cc = { .rng_seed = cfg->rng_seed, .tsc_per_insn = 1 };
    vm->cpu = cpu_new(&vm_bus, vm, &cc);
    if (!vm->cpu) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (cfg->jit) {
        vm->cpu->jit = jit_new(cfg->jit_threshold, JIT_CODE_BYTES);
        if (!vm->cpu->jit) {
            snprintf(err, errlen, "cannot set up the JIT's code buffer: %s (run with -jit off)", strerror(errno));
            goto fail;
        }
    }
    vm->cpu->apic = &vm_apic_ops;
    vm->cpu->apic_opaque = vm;
    clock_init(&vm->clock, &vm->cpu->icount);
    if (board_init(vm, err, errlen) < 0)
        goto fail;
    if (vm_reset(vm, err, errlen) < 0)
        goto fail;
    return vm;
fail:
    vm_free(vm);
    return NULL;
}

void vm_free(Vm *vm)
{
    if (!vm)
        return;
    board_free(vm);
    cpu_free(vm->cpu);
    phys_dirty_free(&vm->mem);
    free(vm->page_hash);
    if (vm->ram)
        munmap(vm->ram, vm->ram_size);
    free(vm->rom);
    free(vm);
}

int vm_reset(Vm *vm, char *err, size_t errlen)
{
    vm->mem.a20_mask = ~0ull;   /* A20 on, as QEMU starts */
    vm->cpu->a20_mask = ~0ull;
    vm->reset_request = false;
    cpu_reset(vm->cpu);
    board_reset(vm);
    phys_mark_all_dirty(&vm->mem);   /* the loaders below write guest RAM directly */
    vm->exit = VM_EXIT_RUNNING;
    if (vm->cfg.kernel) {
        /* No firmware runs: the loader plays its part, with the shadow RAM and the ACPI tables a
         * BIOS would leave. */
        board_open_shadow(vm);
        if (acpi_build(vm->ram, vm->ram_size, &vm->acpi_rsdp) < 0) {
            snprintf(err, errlen, "cannot build the ACPI tables");
            return -1;
        }
        return loader_kernel(vm, err, errlen);
    }
    if (!vm->rom) {
        snprintf(err, errlen, "nothing to boot: give -bios FILE or -kernel FILE");
        return -1;
    }
    return 0;
}

/* A halted CPU let virtual time pass since the clock stood at `idle_before`: the TSC counts
 * virtual time, halted or not (else it falls behind the PIT, HPET and PM timer after every HLT
 * and Linux calls it unstable). */
static void vm_idle_passed(Vm *vm, uint64_t idle_before)
{
    vm->cpu->tsc_offset += (vm->clock.idle - idle_before) * vm->cpu->config.tsc_per_insn;   /* idle: instructions */
}

void vm_wait_until(Vm *vm, uint64_t t)
{
    if ((vm->exit != VM_EXIT_WAIT && vm->exit != VM_EXIT_IDLE) || t >= clock_next_deadline(&vm->clock) ||
        vm->cpu->nmi_pending || board_intr_pending(vm))
        return;   /* not waiting, or something would wake it at once: vm_run's business */
    if (vm->rr)
        replay_record_wait(vm->rr, vm, t);   /* where the halted clock stood when input came */
    uint64_t idle = vm->clock.idle;
    clock_skip_until(&vm->clock, t);
    vm_idle_passed(vm, idle);
}

VmExit vm_run(Vm *vm, uint64_t max_insns)
{
    return vm_run_until(vm, max_insns, CLOCK_NEVER);
}

VmExit vm_run_until(Vm *vm, uint64_t max_insns, uint64_t time_limit)
{
    /* Time skipped while halted counts against the budget too, so that a guest halted through
     * timer events that never wake it (an interrupt masked at the PIC) still returns control to
     * the frontend. */
    uint64_t stop_at = max_insns ? vm->cpu->icount + max_insns : UINT64_MAX;
    uint64_t idle_stop = max_insns ? vm->clock.idle + max_insns : UINT64_MAX;
    /* Recording: where each slice starts, its budget and its time limit (vm/replay.c says why). */
    if (vm->rr)
        replay_record_slice(vm->rr, vm, max_insns, time_limit);
    return vm_run_to(vm, stop_at, idle_stop, time_limit);
}

VmExit vm_run_to(Vm *vm, uint64_t stop_at, uint64_t idle_stop, uint64_t time_limit)
{
    Cpu *cpu = vm->cpu;
    vm->exit = VM_EXIT_RUNNING;
    while (vm->exit == VM_EXIT_RUNNING) {
        uint64_t limit = clock_icount_limit(&vm->clock);
        if (limit > stop_at)
            limit = stop_at;
        CpuExit why = cpu_run(cpu, limit);
        clock_run_due(&vm->clock);
        if (vm->exit != VM_EXIT_RUNNING)
            break;
        if (cpu->host_stop) {
            cpu->stop_request = false;   /* host_stop stays until the debugger resumes */
            vm->exit = VM_EXIT_DEBUG;
            break;
        }
        cpu->stop_request = false;
        if (vm->reset_request) {
            /* A guest-requested reset (port 0x92, 0xCF9, keyboard controller) acts like a triple
             * fault: the machine restarts, or the run ends under -no-reboot. */
            why = CPU_EXIT_TRIPLE_FAULT;
            vm->reset_request = false;
        }
        switch (why) {
        case CPU_EXIT_TRIPLE_FAULT:
            if (vm->cfg.no_reboot) {
                vm->exit = VM_EXIT_TRIPLE_FAULT;
            } else {
                char err[256];
                if (vm_reset(vm, err, sizeof(err)) < 0)
                    vm->exit = VM_EXIT_TRIPLE_FAULT;
            }
            break;
        case CPU_EXIT_HALT: {
            /* A device deadline or external input (VM_EXIT_IDLE: the caller waits for it) can
             * wake the CPU; with IF = 0 nothing can. */
            uint64_t idle = vm->clock.idle;
            uint64_t next = clock_next_deadline(&vm->clock);
            if (!(cpu->eflags & FL_IF)) {
                vm->exit = VM_EXIT_HALTED;
            } else if (next > time_limit) {
                /* paced: time passes up to the limit only; the caller waits for the host */
                clock_skip_until(&vm->clock, time_limit);
                vm->exit = next == CLOCK_NEVER ? VM_EXIT_IDLE : VM_EXIT_WAIT;
            } else if (!clock_skip_to_next(&vm->clock)) {
                vm->exit = VM_EXIT_IDLE;
            }
            vm_idle_passed(vm, idle);
            break;
        }
        default:
            break;
        }
        if (vm->exit == VM_EXIT_RUNNING && (cpu->icount >= stop_at || vm->clock.idle >= idle_stop))
            vm->exit = VM_EXIT_INSN_LIMIT;
    }
    return vm->exit;
}

/* ---- the state description (vm/state.h): board-level state kept in struct Vm ---- */

static const StateField vm_board_fields[] = {
    STATE_U(Vm, port92), STATE_U(Vm, acpi_rsdp), STATE_B(Vm, reset_request),
};
/* Host-side, or state with a section of its own (cpu, clock and each chip; RAM is saved whole). */
static const StateField vm_host_fields[] = {
    STATE_HOST(Vm, cfg), STATE_HOST(Vm, ram), STATE_HOST(Vm, ram_size), STATE_HOST(Vm, rom),
    STATE_HOST(Vm, rom_size), STATE_HOST(Vm, mem), STATE_HOST(Vm, io), STATE_HOST(Vm, clock), STATE_HOST(Vm, cpu),
    STATE_HOST(Vm, com1), STATE_HOST(Vm, com2), STATE_HOST(Vm, debugcon), STATE_HOST(Vm, debugexit),
    STATE_HOST(Vm, pic), STATE_HOST(Vm, pit), STATE_HOST(Vm, rtc), STATE_HOST(Vm, kbc), STATE_HOST(Vm, lapic),
    STATE_HOST(Vm, ioapic), STATE_HOST(Vm, hpet), STATE_HOST(Vm, pci), STATE_HOST(Vm, pm),
    STATE_HOST(Vm, fw_cfg), STATE_HOST(Vm, vga), STATE_HOST(Vm, ide),
    STATE_HOST(Vm, fwlog),          /* port 0x402: an output with no state (debugcon) */
    STATE_HOST(Vm, pci_shadow),     /* the ROM's ISA alias, built from the ROM image */
    STATE_HOST(Vm, pam_rd), STATE_HOST(Vm, pam_wr),   /* derived from the PAM registers (pci) */
    STATE_HOST(Vm, exit),           /* why the last vm_run returned: the run loop's result */
    STATE_HOST(Vm, exit_status), STATE_HOST(Vm, sleep_type),
    STATE_HOST(Vm, page_hash),      /* cache of the state hash */
    STATE_HOST(Vm, rr),             /* the -record log being written (host side) */
};
const StateDesc vm_board_state_desc = {
    "board", 1, sizeof(Vm), vm_board_fields, STATE_COUNT(vm_board_fields), vm_host_fields,
    STATE_COUNT(vm_host_fields), NULL,
};
