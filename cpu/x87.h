/*
 * x87.h — the x87 FPU model shared by cpu/x87*.c, cpu/misc.c (WAIT) and the tests.
 *
 * Status word (SDM vol. 1, 8.1.3): bits 0-5 IE DE ZE OE UE PE, 6 SF, 7 ES (some unmasked
 * exception flag is set), 8 C0, 9 C1, 10 C2, 11-13 TOP, 14 C3, 15 B (= ES).
 * Control word (8.1.5): bits 0-5 the masks IM DM ZM OM UM PM, bit 6 reads as 1, 8-9 PC,
 * 10-11 RC, 12 X (ignored).  Tag word (8.1.7): 2 bits per physical register, 00 valid,
 * 01 zero, 10 special (NaN, infinity, denormal, unnormal), 11 empty.
 */
#ifndef SOFTVISOR_X87_H
#define SOFTVISOR_X87_H

#include "cpu/cpu.h"

#define X87_SW_IE  0x0001
#define X87_SW_DE  0x0002
#define X87_SW_ZE  0x0004
#define X87_SW_OE  0x0008
#define X87_SW_UE  0x0010
#define X87_SW_PE  0x0020
#define X87_SW_SF  0x0040
#define X87_SW_ES  0x0080
#define X87_SW_C0  0x0100
#define X87_SW_C1  0x0200
#define X87_SW_C2  0x0400
#define X87_SW_C3  0x4000
#define X87_SW_B   0x8000
#define X87_SW_EXC 0x003f   /* the six exception flags */

enum { X87_TAG_VALID = 0, X87_TAG_ZERO = 1, X87_TAG_SPECIAL = 2, X87_TAG_EMPTY = 3 };

/* Physical register number of ST(i). */
static inline int x87_top(const X87State *f) { return (f->sw >> 11) & 7; }
static inline int x87_phys(const X87State *f, int i) { return (x87_top(f) + i) & 7; }
static inline Fp80 *x87_st(X87State *f, int i) { return &f->regs[x87_phys(f, i)]; }
static inline int x87_tag(const X87State *f, int phys) { return (f->tw >> (2 * phys)) & 3; }

/* The tag the contents of a register deserve (valid, zero or special; never empty). */
int x87_tag_of(Fp80 r);
/* The full tag word with every non-empty register's tag recomputed from its contents (what
 * FSTENV/FSAVE store and what MMX-written registers really hold). */
uint16_t x87_full_tw(const X87State *f);
/* FXSAVE's abridged tag byte (bit i = 1: physical register i not empty) and back. */
uint8_t x87_abridged_tw(const X87State *f);
uint16_t x87_expand_tw(const X87State *f, uint8_t abridged);
/* Recomputes ES and B from the exception flags and the masks. */
void x87_update_es(X87State *f);
/* The waiting-instruction check: a pending unmasked exception (ES) raises #MF with CR0.NE,
 * else asserts FERR# and freezes unless IGNNE# is active. */
void x87_check_pending(Cpu *cpu);
/* FERR# goes inactive (SW.ES is clear): IGNNE# drops with it. */
void x87_ferr_release(Cpu *cpu);

/*
 * Runs one x87 instruction on the host FPU (cpu/x87_host.c).  `img` is a 108-byte FNSAVE image
 * (32-bit protected-mode format) loaded with FRSTOR before and stored with FNSAVE after;
 * `opcode` is D8-DF, `modrm` the ModRM byte: register forms (mod = 3) run as encoded, memory
 * forms run on `mem` (the operand's bytes).  `rflags` supplies the host's arithmetic flags
 * (FCMOVcc reads them); the host's flags afterwards (FCOMI writes them) are returned.
 */
uint64_t x87_host_exec(uint8_t img[108], uint8_t opcode, uint8_t modrm, uint8_t *mem,
                       uint64_t rflags);

#endif
