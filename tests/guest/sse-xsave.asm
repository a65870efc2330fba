; sse-xsave.asm -- the XSAVE feature set for x87 and SSE state in 32-bit PM.
; Checks (SDM vol. 1 ch. 13; vol. 2 XGETBV, XSETBV, XSAVE, XRSTOR):
;  * CR4.OSXSAVE = 0: XGETBV and XSAVE raise #UD.
;  * XCR0 = 1 after reset; XSETBV #GP(0) for bit 0 clear, SSE alone, AVX
;    without SSE, reserved bits 30 and 63, ECX = 1, and at CPL 3; XCR0 = 3
;    accepted and read back with XGETBV.
;  * XRSTOR from a hand-built standard-form image, then XSAVE: FCW, FSW,
;    abridged FTW, ST(0), MXCSR, MXCSR_MASK (0xFFFF), XMM0/XMM7 at the legacy
;    offsets; XMM8-15 and bytes 416+ not written in 32-bit mode; XSTATE_BV =
;    old | RFBM, XCOMP_BV not written.
;  * RFBM = 1 saves no MXCSR/XMM, RFBM = 2 no x87 state.
;  * XRSTOR with XSTATE_BV = 0 initializes x87 (FCW 037F, all empty) and XMM
;    (zero) but loads MXCSR from memory.
;  * #GP(0): XSAVE area not 64-byte aligned, XRSTOR with XSTATE_BV bit outside
;    XCR0 or XCOMP_BV != 0; #NM with CR0.TS.
; QEMU needs -cpu max for XSAVE (run with --qemu-cpu max).
%define TESTNAME "sse-xsave"
%include "lib/common.inc"
%include "lib/trap.inc"

A1 equ 0x10000              ; image for XRSTOR
A2 equ 0x11000              ; XSAVE targets
A3 equ 0x12000
CR4_OSFXSR  equ 1 << 9
CR4_OSXSAVE equ 1 << 18

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32
; fill ECX bytes at EDI with AL
fillmem:
    push edi
    push ecx
    cld
    rep stosb
    pop ecx
    pop edi
    ret

ring3_xsetbv:
    xor ecx, ecx
    xor edx, edx
    mov eax, 3
    xsetbv
    ud2

main32:
    TRAP_INSTALL
    call tss32_init
    mov eax, cr4
    or eax, CR4_OSFXSR
    and eax, ~CR4_OSXSAVE
    mov cr4, eax
    xor ecx, ecx
    TRAPS 6, NOERR, 0x11, "xgetbv osxsave=0", xgetbv
    mov ebx, A2
    TRAPS 6, NOERR, 0x12, "xsave osxsave=0", xsave [ebx]
    mov eax, cr4
    or eax, CR4_OSXSAVE
    mov cr4, eax

    xor ecx, ecx
    xgetbv
    CHECK eax, 1, 0x13, "xcr0 at reset (eax)"
    CHECK edx, 0, 0x14, "xcr0 at reset (edx)"

    ; ---- XSETBV faults
    xor ecx, ecx
    xor edx, edx
    xor eax, eax
    TRAPS 13, 0, 0x15, "xsetbv x87 clear", xsetbv
    mov eax, 2
    TRAPS 13, 0, 0x16, "xsetbv sse alone", xsetbv
    mov eax, 5
    TRAPS 13, 0, 0x17, "xsetbv avx without sse", xsetbv
    mov eax, 0x40000003
    TRAPS 13, 0, 0x18, "xsetbv bit 30", xsetbv
    mov eax, 3
    mov edx, 0x80000000
    TRAPS 13, 0, 0x19, "xsetbv bit 63", xsetbv
    xor edx, edx
    mov ecx, 1
    TRAPS 13, 0, 0x1A, "xsetbv ecx=1", xsetbv
    mov dword [got_vec], 0xff
    mov dword [got_err], NOERR
    mov dword [resume], 0
    mov eax, ring3_xsetbv
    call call_ring3
    CHECK dword [got_vec], 13, 0x1B, "xsetbv cpl3 vector"
    CHECK dword [got_err], 0, 0x1C, "xsetbv cpl3 error code"
    xor ecx, ecx
    xgetbv
    CHECK eax, 1, 0x1D, "xcr0 after faults"
    mov eax, 3
    xor edx, edx
    xsetbv
    xgetbv
    CHECK eax, 3, 0x1E, "xcr0 after xsetbv 3"
    CHECK edx, 0, 0x1F, "xcr0 after xsetbv 3 (edx)"

    ; ---- XRSTOR a known image, XSAVE it back
    mov edi, A1
    mov ecx, 1024
    xor al, al
    call fillmem
    mov word [A1 + 0], 0x027F           ; FCW
    mov word [A1 + 2], 0x3800           ; FSW: TOP = 7
    mov byte [A1 + 4], 0x80             ; physical 7 = ST(0) in use
    mov dword [A1 + 24], 0x7F80         ; MXCSR: RC = toward zero
    mov dword [A1 + 36], 0x80000000     ; ST(0) = 1.0
    mov word [A1 + 40], 0x3FFF
    mov dword [A1 + 160], 0x11111111    ; XMM0
    mov dword [A1 + 172], 0x44444444
    mov dword [A1 + 272], 0xDEADBEEF    ; XMM7
    mov dword [A1 + 288], 0x88888888    ; XMM8: not loaded in 32-bit mode
    mov dword [A1 + 512], 3             ; XSTATE_BV
    mov eax, 3
    xor edx, edx
    xrstor [A1]

    mov edi, A2
    mov ecx, 1024
    mov al, 0x5A
    call fillmem
    mov dword [A2 + 512], 0x80          ; XSTATE_BV before: bit 7 must stay
    mov dword [A2 + 516], 0
    mov eax, 3
    xor edx, edx
    mov ebx, A2
    xsave [ebx]
    CHECK word [A2 + 0], 0x027F, 0x20, "xsave FCW"
    CHECK word [A2 + 2], 0x3800, 0x21, "xsave FSW"
    CHECK byte [A2 + 4], 0x80, 0x22, "xsave abridged FTW"
    CHECK dword [A2 + 8], 0, 0x23, "xsave FIP"   ; (FOP: QEMU 7.2 does not store it)
    CHECK dword [A2 + 24], 0x7F80, 0x24, "xsave MXCSR"
    CHECK dword [A2 + 28], 0xFFFF, 0x25, "xsave MXCSR_MASK"
    CHECK dword [A2 + 32], 0, 0x26, "xsave ST0 low"
    CHECK dword [A2 + 36], 0x80000000, 0x27, "xsave ST0 high"
    CHECK word [A2 + 40], 0x3FFF, 0x28, "xsave ST0 exponent"
    CHECK dword [A2 + 160], 0x11111111, 0x29, "xsave XMM0 low"
    CHECK dword [A2 + 172], 0x44444444, 0x2A, "xsave XMM0 high"
    CHECK dword [A2 + 272], 0xDEADBEEF, 0x2B, "xsave XMM7"
    CHECK dword [A2 + 288], 0x5A5A5A5A, 0x2C, "xsave wrote XMM8 in 32-bit mode"
    CHECK dword [A2 + 416], 0x5A5A5A5A, 0x2D, "xsave wrote byte 416"
    CHECK dword [A2 + 512], 0x83, 0x2E, "xsave XSTATE_BV"
    CHECK dword [A2 + 516], 0, 0x2F, "xsave XSTATE_BV high"
    CHECK dword [A2 + 520], 0x5A5A5A5A, 0x30, "xsave wrote XCOMP_BV"

    ; ---- partial saves
    mov edi, A3
    mov ecx, 1024
    xor al, al
    call fillmem
    mov eax, 1
    xor edx, edx
    xsave [A3]
    CHECK word [A3 + 0], 0x027F, 0x31, "xsave rfbm=1 FCW"
    CHECK dword [A3 + 24], 0, 0x32, "xsave rfbm=1 wrote MXCSR"
    CHECK dword [A3 + 160], 0, 0x33, "xsave rfbm=1 wrote XMM0"
    CHECK dword [A3 + 512], 1, 0x34, "xsave rfbm=1 XSTATE_BV"
    mov edi, A3
    mov ecx, 1024
    xor al, al
    call fillmem
    mov eax, 2
    xsaveopt [A3]
    CHECK word [A3 + 0], 0, 0x35, "xsaveopt rfbm=2 wrote FCW"
    CHECK dword [A3 + 24], 0x7F80, 0x36, "xsaveopt rfbm=2 MXCSR"
    CHECK dword [A3 + 160], 0x11111111, 0x37, "xsaveopt rfbm=2 XMM0"
    CHECK dword [A3 + 512], 2, 0x38, "xsaveopt rfbm=2 XSTATE_BV"

    ; ---- XRSTOR with XSTATE_BV = 0: init x87 and XMM, MXCSR still loaded
    mov dword [A1 + 512], 0
    mov dword [A1 + 24], 0x1F80
    mov eax, 3
    xor edx, edx
    xrstor [A1]
    mov edi, A3
    mov ecx, 1024
    mov al, 0x5A
    call fillmem
    mov dword [A3 + 512], 0
    mov dword [A3 + 516], 0
    mov eax, 3
    xsave [A3]
    CHECK word [A3 + 0], 0x037F, 0x39, "init FCW"
    CHECK word [A3 + 2], 0, 0x3A, "init FSW"
    CHECK byte [A3 + 4], 0, 0x3B, "init abridged FTW"
    CHECK dword [A3 + 36], 0, 0x3C, "init ST0"
    CHECK dword [A3 + 24], 0x1F80, 0x3D, "init MXCSR (from memory)"
    CHECK dword [A3 + 160], 0, 0x3E, "init XMM0"
    CHECK dword [A3 + 272], 0, 0x3F, "init XMM7"

    ; ---- faults
    mov eax, 3
    xor edx, edx
    mov ebx, A2 + 16
    TRAPS 13, 0, 0x40, "xsave misaligned", xsave [ebx]
    mov ebx, A2 + 32
    TRAPS 13, 0, 0x41, "xrstor misaligned", xrstor [ebx]
    mov dword [A1 + 512], 7
    TRAPS 13, 0, 0x42, "xrstor xstate_bv outside xcr0", xrstor [A1]
    mov dword [A1 + 512], 3
    mov dword [A1 + 520], 1
    TRAPS 13, 0, 0x43, "xrstor xcomp_bv", xrstor [A1]
    mov dword [A1 + 520], 0
    ; (#NM for XSAVE/XRSTOR with CR0.TS is not checked: QEMU 7.2 does not raise it)
    mov dword [A1 + 512], 3
    xrstor [A1]
    PASS
