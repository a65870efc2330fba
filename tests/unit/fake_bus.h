/*
 * fake_bus.h — a CPU on a fake machine for the core unit tests (STYLE rule 4: the CPU sees the
 * machine only through its CpuBus ops table).
 *
 * Physical map: RAM at [0, ram_size); one ROM page at FB_ROM (reads FB_ROM_BYTE everywhere, writes
 * are dropped); one MMIO page at FB_MMIO whose reads return FB_MMIO_VALUE and whose accesses are
 * counted; everything else unassigned (reads all ones).  Ports: every OUT is recorded, IN returns
 * all ones.  No interrupts.
 *
 * The fb_try_* helpers run one memory operation with a local fault landing pad, so a test can
 * check that a #PF (or #GP) was raised, with which error code, and what state it left.
 */
#ifndef SOFTVISOR_TEST_FAKE_BUS_H
#define SOFTVISOR_TEST_FAKE_BUS_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"

#define FB_ROM        0xfffff000ull
#define FB_ROM_BYTE   0x5a
#define FB_MMIO       0xfee00000ull
#define FB_MMIO_VALUE 0x1122334455667788ull

typedef struct FakeBus {
    Cpu *cpu;
    uint8_t *ram;
    size_t ram_size;
    uint8_t rom[4096];
    CpuBus bus;
    unsigned mmio_reads, mmio_writes;
    uint64_t mmio_last_addr, mmio_last_val;
    int mmio_last_size;
    unsigned outs;
    uint16_t out_port;
    uint32_t out_val;
} FakeBus;

FakeBus *fb_new(size_t ram_size);
void fb_free(FakeBus *fb);

/* Execution modes with flat segments (base 0, maximal limit), CPL 0, paging off. */
void fb_mode_real(FakeBus *fb);
void fb_mode_pm32(FakeBus *fb);
/* Long mode, 64-bit CS.  Needs 4-level tables: the caller sets CR3 (paging is turned on here). */
void fb_mode_long64(FakeBus *fb, uint64_t cr3);
/* Sets CPL (and the RPL/DPL of CS and SS to match) for user-class accesses. */
void fb_set_cpl(FakeBus *fb, int cpl);

/* Physical RAM access (little-endian), for building tables and checking results. */
uint64_t fb_peek(const FakeBus *fb, uint64_t pa, int size);
void fb_poke(FakeBus *fb, uint64_t pa, int size, uint64_t v);

/* Linear accesses through the TLB at privilege class `user`.  Each returns -1 on success, or the
 * vector raised (error code in fb->cpu->exc_error). */
int fb_try_read(FakeBus *fb, uint64_t lin, int size, int user, uint64_t *val);
int fb_try_write(FakeBus *fb, uint64_t lin, int size, uint64_t val, int user);
int fb_try_fetch(FakeBus *fb, uint64_t lin, int user, uint64_t *pa);
/* tlb_translate for `access` (ACC_READ/WRITE/EXEC); *pa = the physical address. */
int fb_try_translate(FakeBus *fb, uint64_t lin, int access, int user, uint64_t *pa);
/* Looks up (or decodes) the block at CS:RIP; -1 on success (*n = its instruction count). */
int fb_try_block(FakeBus *fb, uint32_t *n);

/* Runs at most n instructions; returns the CpuExit. */
CpuExit fb_run(FakeBus *fb, uint64_t n);

#endif
