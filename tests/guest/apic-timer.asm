; apic-timer.asm -- the local APIC in 32-bit PM (SDM vol. 3, chapter 11).
;  * CPUID.1:EDX.APIC, IA32_APIC_BASE = FEE00900h (enabled, BSP), version 00050014h.
;  * Software enable (SVR), timer in periodic mode (divide by 1): HLT until five interrupts;
;    the handler sees its vector in ISR and EOIs it.
;  * TPR = 40h holds a one-shot vector-40h interrupt in IRR (PPR = 40h); TPR = 0 lets it in.
;  * A masked periodic LVT keeps counting (the current count reloads) but never sets IRR.
;  * Self IPI (ICR shorthand self, vector 41h); ESR reads 0 after a write.
%define TESTNAME "apic-timer"
%include "lib/common.inc"

APIC        equ 0xFEE00000
A_VER       equ APIC + 0x030
A_TPR       equ APIC + 0x080
A_PPR       equ APIC + 0x0A0
A_EOI       equ APIC + 0x0B0
A_SVR       equ APIC + 0x0F0
A_ISR2      equ APIC + 0x120            ; ISR bits 64-95: vector 40h is bit 0, 41h bit 1
A_IRR2      equ APIC + 0x220
A_ESR       equ APIC + 0x280
A_ICR_LO    equ APIC + 0x300
A_LVT_TIMER equ APIC + 0x320
A_INIT      equ APIC + 0x380
A_CUR       equ APIC + 0x390
A_DCR       equ APIC + 0x3E0

ticks       equ VARS + 0x40             ; timer interrupts taken
isr_bad     equ VARS + 0x44             ; handler did not see its ISR bit
ipis        equ VARS + 0x48
spurious    equ VARS + 0x4C

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32
main32:
    IDT32_SET 0x40, timer_isr, 0x8E
    IDT32_SET 0x41, ipi_isr, 0x8E
    IDT32_SET 0xFF, spurious_isr, 0x8E
    mov dword [ticks], 0
    mov dword [isr_bad], 0
    mov dword [ipis], 0
    mov dword [spurious], 0

    mov eax, 1
    cpuid
    and edx, 1 << 9
    CHECK edx, 1 << 9, 0x11, "CPUID.1:EDX.APIC"
    mov ecx, 0x1B
    rdmsr
    and eax, 0xFFFFFF00
    CHECK eax, 0xFEE00900, 0x12, "IA32_APIC_BASE"
    mov eax, [A_VER]
    CHECK eax, 0x00050014, 0x13, "version"

    mov dword [A_SVR], 0x1FF            ; software enable, spurious vector FFh
    mov dword [A_ESR], 0
    mov eax, [A_ESR]
    CHECK eax, 0, 0x14, "ESR"

    ; periodic, divide by 1, 200000 bus ticks (200 us at QEMU's and softvisor's 1 GHz)
    mov dword [A_DCR], 0xB
    mov dword [A_LVT_TIMER], 0x20040
    mov dword [A_INIT], 200000
    mov eax, [A_CUR]
    cmp eax, 200000
    jbe .cur_ok
    FAILV 0x15, "current count above initial", eax
.cur_ok:
    sti
.wait:
    hlt
    cmp dword [ticks], 5
    jb .wait
    cli
    mov dword [A_INIT], 0               ; stop
    mov eax, [isr_bad]
    CHECK eax, 0, 0x16, "ISR bit in handler"

    ; TPR holds the interrupt in IRR
    mov eax, [ticks]
    mov [v_scratch], eax
    mov dword [A_TPR], 0x40
    mov eax, [A_PPR]
    CHECK eax, 0x40, 0x17, "PPR"
    mov dword [A_LVT_TIMER], 0x00040    ; one-shot
    mov dword [A_INIT], 1000
    mov ecx, 100000000
.wait_irr:
    test dword [A_IRR2], 1
    jnz .irr_set
    dec ecx
    jnz .wait_irr
    FAIL 0x18, "one-shot never set IRR"
.irr_set:
    sti
    mov ecx, 1000
.spin1:
    dec ecx
    jnz .spin1
    mov eax, [ticks]
    CHECK eax, [v_scratch], 0x19, "interrupt taken through TPR"
    mov dword [A_TPR], 0
    mov ecx, 1000
.spin2:
    dec ecx
    jnz .spin2
    cli
    mov eax, [v_scratch]
    inc eax
    CHECK [ticks], eax, 0x1A, "held interrupt after TPR = 0"

    ; masked periodic timer: counts and reloads, no IRR
    mov dword [A_LVT_TIMER], 0x30040
    mov dword [A_INIT], 20000
    mov ebx, [A_CUR]
    mov ecx, 100000000
.wait_wrap:
    mov eax, [A_CUR]
    cmp eax, ebx
    ja .wrapped
    mov ebx, eax
    dec ecx
    jnz .wait_wrap
    FAIL 0x1B, "masked periodic count never reloaded"
.wrapped:
    mov eax, [A_IRR2]
    and eax, 1
    CHECK eax, 0, 0x1C, "masked timer set IRR"
    mov dword [A_INIT], 0

    ; self IPI
    sti
    mov dword [A_ICR_LO], 0x00044041
    mov ecx, 1000
.spin3:
    dec ecx
    jnz .spin3
    cli
    CHECK dword [ipis], 1, 0x1D, "self IPI"
    CHECK dword [spurious], 0, 0x1E, "spurious interrupts"
    PASS

timer_isr:
    push eax
    test dword [A_ISR2], 1
    jnz .ok
    inc dword [isr_bad]
.ok:
    inc dword [ticks]
    mov dword [A_EOI], 0
    pop eax
    iretd

ipi_isr:
    inc dword [ipis]
    mov dword [A_EOI], 0
    iretd

spurious_isr:
    inc dword [spurious]
    iretd
