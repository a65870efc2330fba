; stack-atomic.asm -- stack instructions that store several values are all or
; nothing (SDM vol. 2 PUSHA/PUSHAD, ENTER; vol. 3, 6.5: faults are restartable),
; and SYSCALL/SYSRET outside 64-bit mode (SDM vol. 2 SYSCALL, SYSRET, CPUID).
;
; Run under QEMU and softvisor:
;   PUSHAD from ring 3 whose lower four slots lie on a not-present page: #PF
;     (error 6), ESP unchanged, nothing written on the present page above.
; Run under softvisor only (SV_ONLY, stack-atomic-sv.asm), where QEMU 7.2 TCG
; is wrong:
;   ENTER with a 32-bit operand on a 16-bit stack (SS.B = 0): pushes EBP and
;     FrameTemp (= ESP, bits 31:16 kept) as dwords, changes only BP and SP
;     (QEMU writes all of EBP);
;   PUSHAD across the limit of an expand-down stack segment: #SS(0) with
;     nothing written (QEMU checks no data segment limits);
;   PUSHAD whose upper four slots lie on a not-present page: #PF with nothing
;     written (QEMU stores EDI first, upwards, so the slots on the present page
;     below are already written when it faults);
;   ENTER in ring 3 whose final ESP lies on a supervisor-only page: #PF (error
;     7, CR2 = final ESP) with EBP, ESP and memory unchanged (SDM ENTER: "if a
;     write using the final value of the stack pointer ... would cause a page
;     fault"; QEMU never checks the final ESP);
;   SYSCALL and SYSRET in 32-bit protected mode with EFER.SCE = 1: #UD, and
;     CPUID 80000001h EDX.SYSCALL = 0 outside 64-bit mode (Intel; QEMU runs
;     them as AMD does and always reports the flag).
%ifndef TESTNAME
%define TESTNAME "stack-atomic"
%endif
%include "lib/common.inc"
%include "lib/trap.inc"

PD          equ 0x20000
PT          equ 0x21000
PG_NP_LO    equ 0x60000             ; not present; 0x61000 above it is a user page
PG_NP_HI    equ 0x63000             ; not present; 0x62000 below it is a user page
PG_SUP      equ 0x64000             ; supervisor only; 0x65000 above it is a user page
SEL_XD3     equ SEL_FREE            ; 0x68: expand-down data, DPL3, B=1, offsets 0x7000..FFFFFFFF
PATTERN     equ 0x5A5A5A5A

; PATTERN_FILL addr: the 4 dwords at addr := PATTERN
%macro PATTERN_FILL 1
    mov edi, %1
    call pattern_fill
%endmacro

; PATTERN_KEPT addr, code, "msg": fail unless the 4 dwords at addr hold PATTERN
%macro PATTERN_KEPT 3
    mov edi, %1
    call pattern_intact
    jz %%ok
    FAIL %2, %3
%%ok:
%endmacro

; FAULT_PAGE page, code, "msg": fail unless the last trap's CR2 lies in page
%macro FAULT_PAGE 3
    mov eax, [got_cr2]
    and eax, ~0xFFF
    CHECK eax, %1, %2, %3
%endmacro

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32
main32:
    call tss32_init
    TRAP_INSTALL
    IDT32_SET 12, trap_ss, 0x8E
    IDT32_SET 14, trap_pf, 0x8E

%ifdef SV_ONLY
    ; ---- ENTER 8, 1 with a 32-bit operand on a 16-bit stack (ring 0, paging off)
    mov dword [0x6FFC], 0
    mov dword [0x6FF8], 0
    mov ax, SEL_DATA16
    mov ss, ax
    mov esp, 0xABCD7000
    mov ebp, 0x12345678
    enter 8, 1
    mov ecx, ebp
    mov edx, esp
    mov ax, SEL_DATA
    mov ss, ax
    mov esp, STACK0_TOP
    CHECK ecx, 0x12346FFC, 0x11, "enter o32, SS.B=0: EBP (only BP written)"
    CHECK edx, 0xABCD6FF0, 0x12, "enter o32, SS.B=0: ESP"
    CHECK dword [0x6FFC], 0x12345678, 0x13, "enter o32, SS.B=0: pushed EBP"
    CHECK dword [0x6FF8], 0xABCD6FFC, 0x14, "enter o32, SS.B=0: pushed FrameTemp"

%endif

    ; ---- paging: identity map of the first 4 MiB, user pages, three test pages
    mov edi, PD
    mov ecx, 2 * 4096 / 4
    xor eax, eax
    rep stosd
    mov dword [PD], PT | 7
    mov edi, PT
    mov eax, 7
    mov ecx, 1024
.pt:
    stosd
    add eax, 0x1000
    loop .pt
    mov dword [PT + (PG_NP_LO >> 12) * 4], 0
    mov dword [PT + (PG_NP_HI >> 12) * 4], 0
    mov dword [PT + (PG_SUP >> 12) * 4], PG_SUP | 3
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax

    ; ---- PUSHAD in ring 3, slots 4..7 on the not-present page below
    PATTERN_FILL PG_NP_LO + 0x1000
    TRAPS3 14, 6, 0x21, "pushad, lower slots not present", r3_pushad_np_lo
    CHECK dword [got_esp], PG_NP_LO + 0x1010, 0x22, "pushad #PF: ESP changed"
    FAULT_PAGE PG_NP_LO, 0x23, "pushad #PF: CR2 page"
    PATTERN_KEPT PG_NP_LO + 0x1000, 0x24, "pushad #PF: slots on the present page written"

%ifdef SV_ONLY
    ; ---- PUSHAD in ring 3 across the limit of an expand-down stack segment
    mov eax, SEL_XD3
    xor ebx, ebx
    mov ecx, 0x6FFF
    mov dl, 0xF6                    ; P, DPL3, data, expand-down, writable
    mov dh, 0x4                     ; B = 1, byte granular
    call set_desc32
    PATTERN_FILL 0x7000
    TRAPS3 12, 0, 0x31, "pushad across the SS limit", r3_pushad_limit
    CHECK dword [got_esp], 0x7010, 0x32, "pushad #SS: ESP changed"
    PATTERN_KEPT 0x7000, 0x33, "pushad #SS: slots inside the limit written"

    ; ---- PUSHAD in ring 3, slots 0..3 on the not-present page above
    PATTERN_FILL PG_NP_HI - 0x10
    TRAPS3 14, 6, 0x34, "pushad, upper slots not present", r3_pushad_np_hi
    CHECK dword [got_esp], PG_NP_HI + 0x10, 0x35, "pushad #PF: ESP changed"
    FAULT_PAGE PG_NP_HI, 0x36, "pushad #PF: CR2 page"
    PATTERN_KEPT PG_NP_HI - 0x10, 0x37, "pushad #PF: slots on the present page written"

    ; ---- ENTER in ring 3 with the final ESP on a supervisor page
    PATTERN_FILL PG_SUP + 0x1000
    TRAPS3 14, 7, 0x38, "enter, final ESP on a supervisor page", r3_enter_sup
    CHECK dword [got_cr2], PG_SUP + 0xFEC, 0x39, "enter #PF: CR2"
    CHECK dword [got_esp], PG_SUP + 0x1010, 0x3A, "enter #PF: ESP changed"
    CHECK dword [got_ebp], 0x11111111, 0x3B, "enter #PF: EBP changed"
    PATTERN_KEPT PG_SUP + 0x1000, 0x3C, "enter #PF: EBP pushed"

    ; ---- SYSCALL / SYSRET in 32-bit protected mode (EFER.SCE = 1): #UD on Intel
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 11
    jz .cpuid_ok
    FAILV 0x41, "CPUID 80000001h EDX.SYSCALL set outside 64-bit mode", edx
.cpuid_ok:
    mov ecx, 0xC0000080
    rdmsr
    or eax, 1                       ; SCE
    wrmsr
    TRAPS 6, NOERR, 0x42, "syscall in 32-bit protected mode", syscall
    TRAPS 6, NOERR, 0x43, "sysret in 32-bit protected mode", sysret
%endif
    PASS

; pattern_fill / pattern_intact: 4 dwords at EDI := PATTERN / ZF = all hold it
pattern_fill:
    pushad
    mov eax, PATTERN
    mov ecx, 4
    rep stosd
    popad
    ret

pattern_intact:
    pushad
    mov eax, PATTERN
    mov ecx, 4
    repe scasd
    popad
    ret

; ---- ring-3 programs (call_ring3); each must fault before its UD2
r3_pushad_np_lo:
    mov esp, PG_NP_LO + 0x1010
    pushad
    ud2

%ifdef SV_ONLY
r3_pushad_limit:
    mov ax, SEL_XD3 | 3
    mov ss, ax
    mov esp, 0x7010
    pushad
    ud2

r3_pushad_np_hi:
    mov esp, PG_NP_HI + 0x10
    pushad
    ud2

r3_enter_sup:
    mov esp, PG_SUP + 0x1010
    mov ebp, 0x11111111
    enter 0x20, 0
    ud2
%endif
