/*
 * fake_machine.h — a CPU on a fake RAM bus for instruction unit tests (STYLE rule 4).
 *
 * The machine has FM_RAM_SIZE bytes of RAM at physical 0, no devices (port reads return all ones,
 * no interrupts).  fm_mode() puts the CPU straight into one execution mode with flat segments
 * (base 0, maximal limit, CPL 0, paging off), so a test only writes instruction bytes with
 * fm_code(), sets registers and calls fm_run().
 *
 * XXX: FM_LONG64 sets EFER.LMA and a 64-bit CS with paging off, a state real hardware cannot
 * enter; the emulator's translation does not care, and it keeps the tests free of page tables.
 *
 * Faults in real mode: fm_trap_vectors() points every IVT entry v at a HLT at FM_TRAP_BASE + v, so
 * after a fault fm_run() returns CPU_EXIT_HALT and fm_trapped() tells which vector was taken.
 */
#ifndef SOFTVISOR_TEST_FAKE_MACHINE_H
#define SOFTVISOR_TEST_FAKE_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"

#define FM_RAM_SIZE   (1u << 20)
#define FM_CODE       0x1000u     /* where fm_code() puts instructions (offset in CS, base 0) */
#define FM_STACK      0x8000u     /* initial SP */
#define FM_TRAP_BASE  0x0500u     /* 256 HLT bytes, one per vector */

typedef enum FmMode { FM_REAL16, FM_PM16, FM_PM32, FM_LONG64 } FmMode;

typedef struct FakeMachine {
    Cpu *cpu;
    uint8_t *ram;
    CpuBus bus;
} FakeMachine;

FakeMachine *fm_new(FmMode mode);
void fm_free(FakeMachine *fm);

/* Switches the CPU to `mode` (flat segments, CPL 0, RIP = FM_CODE, SP = FM_STACK, EFLAGS = 2). */
void fm_mode(FakeMachine *fm, FmMode mode);

/* Copies instruction bytes to FM_CODE followed by a HLT, and sets RIP = FM_CODE. */
void fm_code(FakeMachine *fm, const uint8_t *bytes, size_t len);

/* fm_code() with the bytes written inline: FM_LOAD(fm, 0x01, 0xd8) (give the assembly in a comment). */
#define FM_LOAD(fm, ...) \
    fm_code((fm), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* Runs at most `n` instructions (not counting the final HLT). */
CpuExit fm_run(FakeMachine *fm, uint64_t n);

/* Executes up to `n` instructions one by one WITHOUT delivering faults (any mode): returns -1 when
 * all ran, else the vector of the first fault (cpu->exc_error holds its error code) with the state
 * as the faulting handler left it (RIP at the faulting instruction). */
int fm_exec(FakeMachine *fm, uint64_t n);

/* Real mode: IVT entry v -> 0000:(FM_TRAP_BASE + v), each a HLT. */
void fm_trap_vectors(FakeMachine *fm);
/* After a fault through fm_trap_vectors: the vector taken, or -1 when CS:IP is not in the trap area. */
int fm_trapped(const FakeMachine *fm);

/* Little-endian RAM access at a physical address. */
uint64_t fm_peek(const FakeMachine *fm, uint32_t addr, int size);
void fm_poke(FakeMachine *fm, uint32_t addr, int size, uint64_t v);

/* The arithmetic flags as the guest would see them. */
uint32_t fm_flags(const FakeMachine *fm);
/* Sets the whole EFLAGS (bit 1 forced on). */
void fm_set_flags(FakeMachine *fm, uint32_t fl);

/* 32-bit paging with 4 MiB pages allowed: CR3 = the page directory at `pd` (the caller fills
 * it), CR4.PSE, CR0.PG, and an empty TLB. */
void fm_paging32(FakeMachine *fm, uint32_t pd);

#endif
