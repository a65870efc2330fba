/*
 * fxsave_area.h — the 512-byte legacy region shared by FXSAVE/FXRSTOR (x87 family) and
 * XSAVE/XRSTOR (cpu/xsave.c): layout, conversion to and from the CPU state, and guest-memory
 * transfer of a whole area that faults before anything is written.
 *
 * Layout (SDM vol. 2, FXSAVE tables 3-43/3-46/3-47; vol. 1, 13.4.1):
 *   0   FCW (16)          2   FSW (16)         4  abridged FTW (8: bit i = physical reg i
 *   5   reserved (0)      6   FOP (16)            not empty)
 *   8   FIP: 64 bits in the 64-bit format (REX.W), else FIP (32) at 8, FCS (16) at 12
 *   16  FDP: 64 bits in the 64-bit format, else FDP (32) at 16, FDS (16) at 20
 *   24  MXCSR (32)        28  MXCSR_MASK (32)
 *   32 + 16*i   ST(i) (stack order, 80 bits, 6 reserved bytes written as 0)
 *   160 + 16*i  XMMi (XMM0-15 in 64-bit mode, XMM0-7 otherwise; the others are not touched)
 *   416-511     reserved / available to software: never written.
 * Component split for XSAVE (vol. 1, 13.5.1-13.5.2): x87 state = bytes 0-23 and 32-159;
 * MXCSR/MXCSR_MASK = bytes 24-31; XMM registers = bytes 160-415.
 * FXRSTOR/XRSTOR rebuild the full tag word from the abridged one: an empty register stays
 * empty (11), a non-empty one is classified from its contents (zero 01, special 10 for NaN,
 * infinity, denormal, pseudo-denormal and unnormal, valid 00) (vol. 1, 8.1.7 and FXRSTOR).
 * Loading MXCSR with a bit outside MXCSR_MASK is #GP(0) (vol. 1, 10.2.3.1).
 *
 * XXX: the 32-bit format stores FCS/FDS as kept; the 64-bit format leaves them unchanged on
 * restore (FIP/FDP carry full offsets).
 */
#ifndef SOFTVISOR_FXSAVE_AREA_H
#define SOFTVISOR_FXSAVE_AREA_H

#include "cpu/insn.h"

#define FXSAVE_AREA_SIZE  512
/* MXCSR bits this CPU implements (DAZ included): the value FXSAVE stores as MXCSR_MASK. */
#define FXSAVE_AREA_MXCSR_MASK 0x0000ffffu

/* Byte ranges of the components inside the legacy region. */
#define FXSAVE_AREA_X87_END    24    /* x87 part 1: [0, 24) */
#define FXSAVE_AREA_MXCSR      24    /* [24, 32) */
#define FXSAVE_AREA_ST         32    /* x87 part 2: [32, 160) */
#define FXSAVE_AREA_XMM        160

/* Number of XMM registers the current mode saves and restores. */
static inline int fxsave_area_nxmm(const Cpu *cpu) { return cpu->code_bits == 64 ? 16 : 8; }

/* ---- state <-> host image of the area (no faults) ---- */
void fxsave_area_store_x87(const Cpu *cpu, uint8_t *area, bool fmt64);
void fxsave_area_store_mxcsr(const Cpu *cpu, uint8_t *area);
void fxsave_area_store_xmm(const Cpu *cpu, uint8_t *area);
void fxsave_area_load_x87(Cpu *cpu, const uint8_t *area, bool fmt64);
/* MXCSR value at offset 24 of the image. */
uint32_t fxsave_area_mxcsr(const uint8_t *area);
void fxsave_area_load_xmm(Cpu *cpu, const uint8_t *area);
/* Full 2-bit tag of an x87 register that is not empty. */
int fxsave_area_tag(Fp80 r);

/* ---- guest memory ----
 * Linear address of the instruction's memory operand for an area of `size` bytes: segment checks
 * (#GP(0)/#SS(0)) for the whole area, then #GP(0) when the linear address is not a multiple of
 * `align`. */
uint64_t fxsave_area_lin(Cpu *cpu, const Insn *in, int size, int acc, unsigned align);
/* Checks that [off, off+len) of the area at `lin` may be written (raises #PF otherwise). */
void fxsave_area_probe_write(Cpu *cpu, uint64_t lin, int off, int len);
/* Copies [off, off+len) between guest memory and the image; off and len multiples of 8. */
void fxsave_area_read(Cpu *cpu, uint64_t lin, uint8_t *area, int off, int len);
void fxsave_area_write(Cpu *cpu, uint64_t lin, const uint8_t *area, int off, int len);

#endif
