; nmi.asm -- NMI blocking (SDM vol. 3A 6.7.1), 32-bit ring 0.  The guest
; sends NMIs to itself through the local APIC ICR (delivery mode NMI,
; physical destination = its own APIC ID 0, SDM vol. 3A 10.6.1).
;   Inside the NMI handler it sends two more: neither is taken before the
;   handler's IRET, then exactly one arrives (one NMI is kept pending while
;   blocked, the other merges with it).
; With NMI_IRET_FAULT defined (nmi-iret-fault.asm) the handler leaves through
; an IRET that faults (#GP: CS beyond the GDT limit): the IRET unblocks NMIs
; even so, and the pending NMI arrives before the #GP handler's first
; instruction.  QEMU 7.2 unblocks NMIs only when IRET completes, so that
; variant runs under softvisor only.
%ifndef TESTNAME
%define TESTNAME "nmi"
%endif
%include "lib/common.inc"

APIC        equ 0xFEE00000
A_SVR       equ APIC + 0x0F0
A_ICR_LO    equ APIC + 0x300
A_ICR_HI    equ APIC + 0x310

nmi_count   equ VARS + 0x100
inner       equ VARS + 0x104    ; NMIs counted at the end of the first handler
gp_saw      equ VARS + 0x108    ; NMIs counted when the #GP handler starts
gp_hits     equ VARS + 0x10C

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32
main32:
    IDT32_SET 2, nmi32, 0x8E
    IDT32_SET 13, gp32, 0x8E
    mov dword [A_SVR], 0x1FF        ; APIC software-enabled
    mov dword [nmi_count], 0
    mov dword [inner], 0
    mov dword [gp_hits], 0
    call send_nmi
    mov ecx, 100000
.wait:
    cmp dword [nmi_count], 2
    jae .got
    loop .wait
.got:
    mov ecx, 1000                   ; room for a (wrong) third NMI
.more:
    loop .more
    CHECK dword [inner], 1, 0x11, "NMI nested inside the NMI handler"
    CHECK dword [nmi_count], 2, 0x12, "NMIs taken (want 1 + 1 latched)"
%ifdef NMI_IRET_FAULT
    CHECK dword [gp_hits], 1, 0x13, "faulting IRET: #GP not taken"
    CHECK dword [gp_saw], 2, 0x14, "faulting IRET: latched NMI not taken before the #GP handler"
%endif
    PASS

; ICR: NMI (delivery mode 100b), physical, assert, destination APIC ID 0
send_nmi:
    mov dword [A_ICR_HI], 0
    mov dword [A_ICR_LO], 0x00004400
    ret

nmi32:
    push eax
    push ecx
    inc dword [nmi_count]
    cmp dword [nmi_count], 1
    jne .out
    call send_nmi
    call send_nmi
    mov ecx, 1000                   ; a nested NMI would be taken here
.spin:
    loop .spin
    mov eax, [nmi_count]
    mov [inner], eax
%ifdef NMI_IRET_FAULT
    pop ecx
    pop eax
    mov dword [esp + 4], 0x200B     ; CS beyond the GDT limit: IRET raises #GP
    iretd
%endif
.out:
    pop ecx
    pop eax
    iretd

; #GP from the faulting IRET: resume main32 at .got's wait loop (the NMI
; frame the IRET did not pop stays below; drop it there)
gp32:
    push eax
    mov eax, [nmi_count]
    mov [gp_saw], eax
    inc dword [gp_hits]
    pop eax
    add esp, 4                      ; error code
    mov dword [esp], gp_back
    mov dword [esp + 4], SEL_CODE32
    iretd
gp_back:
    add esp, 12                     ; EIP, CS, EFLAGS of the NMI frame
    jmp main32.got
