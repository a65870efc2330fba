; sse-xm.asm -- unmasked SIMD floating-point exception (SDM vol. 1, 11.5.1;
; vol. 3, 6.15 "Interrupt 19"): DIVSS by zero with MXCSR.ZM clear raises #XM
; when CR4.OSXMMEXCPT = 1 and #UD when it is 0; the destination is unchanged
; and MXCSR.ZE is set. Masked, the result is +inf and ZE set.
%define TESTNAME "sse-xm"
%include "lib/common.inc"
%include "lib/trap.inc"

CR0_EM equ 1 << 2
CR0_TS equ 1 << 3
CR4_OSFXSR equ 1 << 9
CR4_OSXMMEXCPT equ 1 << 10

section .strs
one:  dd 1.0
zero: dd 0.0

section .pm
bits 32
main32:
    TRAP_INSTALL
    mov eax, cr0
    and eax, ~(CR0_EM | CR0_TS)
    mov cr0, eax
    mov eax, cr4
    or eax, CR4_OSFXSR | CR4_OSXMMEXCPT
    mov cr4, eax
    ; masked
    movss xmm1, [zero]
    movss xmm0, [one]
    divss xmm0, xmm1
    movd eax, xmm0
    CHECK eax, 0x7F800000, 0x11, "masked 1/0"
    stmxcsr [v_scratch]
    mov eax, [v_scratch]
    and eax, 0x3f
    CHECK eax, 4, 0x12, "masked: mxcsr flags"
    ; unmasked, OSXMMEXCPT = 1
    mov dword [v_scratch], 0x1D80           ; ZM clear
    ldmxcsr [v_scratch]
    movss xmm0, [one]
    TRAPS 19, NOERR, 0x13, "divss unmasked", divss xmm0, xmm1
    movd eax, xmm0
    CHECK eax, 0x3F800000, 0x14, "destination changed"
    stmxcsr [v_scratch]
    mov eax, [v_scratch]
    CHECK eax, 0x1D84, 0x15, "mxcsr after #XM"
    ; OSXMMEXCPT = 0: #UD
    mov dword [v_scratch], 0x1D80
    ldmxcsr [v_scratch]
    mov eax, cr4
    and eax, ~CR4_OSXMMEXCPT
    mov cr4, eax
    TRAPS 6, NOERR, 0x16, "divss unmasked, OSXMMEXCPT=0", divss xmm0, xmm1
    mov dword [v_scratch], 0x1F80
    ldmxcsr [v_scratch]
    PASS

section .rm
bits 16
main_rm:
    jmp go_pm32
