/*
 * x87_host.c — runs guest x87 instructions on the host's own x87 unit (issue 3: bit-exact with
 * the host for every rounding and precision mode, no soft-float).
 *
 * Each x87 instruction is executed for real: the guest's whole FPU state (control word with
 * the guest's masks, status word with its exception flags cleared, tags, the eight registers
 * in ST order) is put into an FNSAVE image and loaded with FRSTOR, the very same instruction
 * encoding runs, and FNSAVE takes the state back out.  So the result, C0-C3, TOP, tags, stack
 * overflow/underflow, the masked responses (QNaN indefinite, integer indefinite, ...) and the
 * unmasked responses (destination unchanged, or the exponent-biased result of OE/UE) are what
 * the host's hardware does (SDM vol. 1, 8.5).
 *
 * The host never traps: an unmasked exception only becomes pending (ES) in the host FPU and is
 * signalled by the next *waiting* x87 instruction, but FNSAVE does not wait and re-initializes
 * the FPU, so the pending state leaves with the image.  Exception flags already pending in the
 * guest are cleared in the image for the same reason (the caller merges them back).
 *
 * The stubs: one 16-byte host routine per x87 encoding, table index
 *     (opcode - D8) * 64 + (modrm - C0)    for the 512 register forms (mod = 3),
 *     512 + (opcode - D8) * 8 + reg        for the 64 memory forms, operand at [rsi],
 * each  endbr64; push rdx; popfq; frstor [rdi]; <opcode, modrm>; fnsave [rdi]; pushfq; pop rax;
 * ret.  The flags pushed in are only the six arithmetic ones (never TF/AC/DF).
 * The SysV ABI keeps the x87 stack empty across calls (FNSAVE leaves it empty) and the control
 * word callee-saved: the C wrapper restores the host's control word.  MXCSR is not touched.
 * Only encodings the decoder accepted as documented x87 instructions reach the table; the
 * selector in cpu/x87.c never sends the environment/control forms (FLDENV, FRSTOR, FNSAVE,
 * FNSTENV, FLDCW, FNSTCW, FNSTSW, FNINIT, FNCLEX), which are modelled in software.
 */
#include "cpu/x87.h"

__asm__(
    ".pushsection .text\n"
    ".balign 16\n"
    ".type x87_host_stubs, @function\n"
    "x87_host_stubs:\n"
    ".irp op, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf\n"
    ".irp hi, 0, 1, 2, 3, 4, 5, 6, 7\n"
    ".irp lo, 0, 1, 2, 3, 4, 5, 6, 7\n"
    ".balign 16, 0xcc\n"
    "endbr64; push %rdx; popfq; frstor (%rdi)\n"
    ".byte \\op, 0xc0 + \\hi * 8 + \\lo\n"
    "fnsave (%rdi); pushfq; pop %rax; ret\n"
    ".endr\n"
    ".endr\n"
    ".endr\n"
    ".irp op, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf\n"
    ".irp reg, 0, 1, 2, 3, 4, 5, 6, 7\n"
    ".balign 16, 0xcc\n"
    "endbr64; push %rdx; popfq; frstor (%rdi)\n"
    ".byte \\op, \\reg * 8 + 6\n"
    "fnsave (%rdi); pushfq; pop %rax; ret\n"
    ".endr\n"
    ".endr\n"
    ".size x87_host_stubs, . - x87_host_stubs\n"
    ".popsection\n");

uint64_t x87_host_stubs(uint8_t *img, uint8_t *mem, uint64_t rflags);

typedef uint64_t (*X87HostFn)(uint8_t *img, uint8_t *mem, uint64_t rflags);

uint64_t x87_host_exec(uint8_t img[108], uint8_t opcode, uint8_t modrm, uint8_t *mem,
                       uint64_t rflags)
{
    unsigned idx = modrm >= 0xc0 ? (opcode & 7u) * 64 + (modrm & 0x3fu)
                                 : 512 + (opcode & 7u) * 8 + ((modrm >> 3) & 7u);
    X87HostFn fn = (X87HostFn)((uintptr_t)x87_host_stubs + idx * 16);
    uint16_t host_cw;
    __asm__ volatile("fnstcw %0" : "=m"(host_cw));
    uint64_t fl = fn(img, mem, rflags & 0x8d5);
    __asm__ volatile("fldcw %0" : : "m"(host_cw));
    return fl;
}
