; fpu-fxsave.asm -- FXSAVE/FXRSTOR layout in 32-bit PM (SDM vol. 2 FXSAVE,
; table 3-43): after FNINIT, FLDCW 027F, FLD1, FLDZ (TOP = 6, ST(0) = +0,
; ST(1) = 1.0), LDMXCSR 7F80 and MOVDQU into XMM0/XMM7, FXSAVE stores FCW,
; FSW (TOP in bits 13:11), abridged FTW (physical 6 and 7 in use), ST(i) in
; stack order at 32 + 16*i, MXCSR, MXCSR_MASK 0xFFFF and XMMi at 160 + 16*i;
; bytes 464-511 are not written. FXRSTOR of an edited image loads FCW, the
; stack and XMM1; FXSAVE to an area that is not 16-byte aligned is #GP(0).
%define TESTNAME "fpu-fxsave"
%include "lib/common.inc"
%include "lib/trap.inc"

CR0_MP equ 1 << 1
CR0_EM equ 1 << 2
CR0_TS equ 1 << 3
CR0_NE equ 1 << 5
CR4_OSFXSR equ 1 << 9
AREA equ 0x10000

section .strs
align 16
pat0: dd 0x11111111, 0x22222222, 0x33333333, 0x44444444
pat7: dd 0xDEADBEEF, 0xCAFEF00D, 0x01234567, 0x89ABCDEF

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32
main32:
    TRAP_INSTALL
    mov eax, cr0
    and eax, ~(CR0_EM | CR0_TS)
    or eax, CR0_MP | CR0_NE
    mov cr0, eax
    mov eax, cr4
    or eax, CR4_OSFXSR
    mov cr4, eax
    mov edi, AREA
    mov ecx, 1024
    mov al, 0x5A
    cld
    rep stosb

    fninit
    mov word [v_scratch], 0x027F
    fldcw [v_scratch]
    fld1
    fldz
    mov dword [v_scratch], 0x7F80
    ldmxcsr [v_scratch]
    movdqu xmm0, [pat0]
    movdqu xmm7, [pat7]
    fxsave [AREA]
    CHECK word [AREA + 0], 0x027F, 0x11, "FCW"
    CHECK word [AREA + 2], 0x3000, 0x12, "FSW"
    CHECK byte [AREA + 4], 0xC0, 0x13, "abridged FTW"
    CHECK dword [AREA + 24], 0x7F80, 0x14, "MXCSR"
    CHECK dword [AREA + 28], 0xFFFF, 0x15, "MXCSR_MASK"
    CHECK dword [AREA + 32], 0, 0x16, "ST0 low"
    CHECK dword [AREA + 36], 0, 0x17, "ST0 high"
    CHECK word [AREA + 40], 0, 0x18, "ST0 exponent"
    CHECK dword [AREA + 48], 0, 0x19, "ST1 low"
    CHECK dword [AREA + 52], 0x80000000, 0x1A, "ST1 high"
    CHECK word [AREA + 56], 0x3FFF, 0x1B, "ST1 exponent"
    CHECK dword [AREA + 160], 0x11111111, 0x1C, "XMM0 low"
    CHECK dword [AREA + 172], 0x44444444, 0x1D, "XMM0 high"
    CHECK dword [AREA + 272], 0xDEADBEEF, 0x1E, "XMM7 low"
    CHECK dword [AREA + 284], 0x89ABCDEF, 0x1F, "XMM7 high"
    CHECK dword [AREA + 464], 0x5A5A5A5A, 0x20, "byte 464 written"

    ; edit the image: FCW 037F, ST(0) = 2.0, XMM1 = pattern, MXCSR 1F80
    mov word [AREA + 0], 0x037F
    mov word [AREA + 40], 0x4000
    mov dword [AREA + 36], 0x80000000
    mov dword [AREA + 24], 0x1F80
    mov dword [AREA + 176], 0x55555555
    mov dword [AREA + 188], 0x66666666
    fxrstor [AREA]
    fnstcw [v_scratch]
    CHECK word [v_scratch], 0x037F, 0x21, "FCW after fxrstor"
    fstp dword [v_scratch]
    CHECK dword [v_scratch], 0x40000000, 0x22, "ST0 after fxrstor"
    fstp dword [v_scratch]
    CHECK dword [v_scratch], 0x3F800000, 0x23, "ST1 after fxrstor"
    movdqu [v_scratch], xmm1
    CHECK dword [v_scratch], 0x55555555, 0x24, "XMM1 low after fxrstor"
    CHECK dword [v_scratch + 12], 0x66666666, 0x25, "XMM1 high after fxrstor"
    stmxcsr [v_scratch]
    CHECK dword [v_scratch], 0x1F80, 0x26, "MXCSR after fxrstor"

    mov ebx, AREA + 8
    TRAPS 13, 0, 0x27, "fxsave misaligned", fxsave [ebx]
    PASS
