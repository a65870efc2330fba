; pic.asm -- the cascaded 8259A PICs as a guest sees them (8259A datasheet; PIIX3 ELCR), with
; the MC146818 RTC's periodic interrupt (IRQ 8, slave IR0, vector 0x28) as the request source.
;
;   1. ICW1-ICW4 as a PC BIOS programs them (master 0x20, slave 0x28 on IR2); IMR read back;
;      ELCR1/ELCR2 (0x4D0/0x4D1) keep only the bits that exist (IRQ 0, 1, 2, 8, 13 are edge only:
;      0xF8 / 0xDE); ISR empty.
;   2. IRQ 8 with the local APIC in virtual-wire mode (LINT0 = ExtINT): three interrupts; inside
;      the handler the slave ISR is 0x01 and the master ISR 0x04 (cascade), RTC register C shows
;      IRQF|PF; EOI to both.
;   3. IMR: with slave IR0 masked the request waits in the slave's IRR (OCW3 read IRR); unmasking
;      delivers it.
;   4. AEOI (ICW4 bit 1): inside the handler both ISRs are already clear.
; Passes under QEMU and softvisor.
%define TESTNAME "pic"
%include "lib/common.inc"

LAPIC_SVR   equ 0xFEE000F0
LAPIC_LINT0 equ 0xFEE00350
LAPIC_LINT1 equ 0xFEE00360

irq_count   equ VARS + 0x50
isr_master  equ VARS + 0x54
isr_slave   equ VARS + 0x58
rtc_c       equ VARS + 0x5C

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32
rtc_handler:
    push eax
    inc dword [irq_count]
    mov al, 0x0B                ; OCW3: read ISR
    out 0x20, al
    out 0xA0, al
    in al, 0x20
    mov [isr_master], al
    in al, 0xA0
    mov [isr_slave], al
    mov al, 0x0C                ; RTC register C: reading it lowers IRQ 8
    out 0x70, al
    in al, 0x71
    mov [rtc_c], al
    mov al, 0x20
    out 0xA0, al                ; EOI slave, then master
    out 0x20, al
    pop eax
    iret

stray_handler:
    FAIL 0x30, "stray PIC interrupt"

; PIC_INIT icw4: both chips, PC layout
%macro PIC_INIT 1
    mov al, 0x11
    out 0x20, al
    out 0xA0, al
    mov al, 0x20
    out 0x21, al
    mov al, 0x28
    out 0xA1, al
    mov al, 0x04
    out 0x21, al
    mov al, 0x02
    out 0xA1, al
    mov al, %1
    out 0x21, al
    out 0xA1, al
    mov al, 0xFB                ; master: only the cascade
    out 0x21, al
    mov al, 0xFE                ; slave: only IRQ 8
    out 0xA1, al
%endmacro

; RTC_REG index, value
%macro RTC_REG 2
    mov al, %1
    out 0x70, al
    mov al, %2
    out 0x71, al
%endmacro

; HLT_UNTIL n: sti; hlt until irq_count >= n (the RTC interrupts every ~1 ms), at most 1000 HLTs
%macro HLT_UNTIL 1
    mov ecx, 1000
%%l:
    cmp dword [irq_count], %1
    jae %%done
    sti
    hlt
    cli
    dec ecx
    jnz %%l
%%done:
    cli
%endmacro

main32:
%assign v 0x20
%rep 16
    IDT32_SET v, stray_handler, 0x8E
%assign v v + 1
%endrep
    IDT32_SET 0x28, rtc_handler, 0x8E
    ; after RESET the local APIC's LINT0 is masked: virtual-wire mode as a BIOS sets it
    or dword [LAPIC_SVR], 0x1FF
    mov dword [LAPIC_LINT0], 0x700
    mov dword [LAPIC_LINT1], 0x400

    ; --- 1: initialisation and registers
    PIC_INIT 0x01
    in al, 0x21
    CHECK al, 0xFB, 0x11, "master IMR"
    in al, 0xA1
    CHECK al, 0xFE, 0x12, "slave IMR"
    mov al, 0xFF
    mov dx, 0x4D0
    out dx, al
    in al, dx
    CHECK al, 0xF8, 0x13, "ELCR1 writable bits"
    mov al, 0xFF
    mov dx, 0x4D1
    out dx, al
    in al, dx
    CHECK al, 0xDE, 0x14, "ELCR2 writable bits"
    xor al, al
    out dx, al
    mov dx, 0x4D0
    out dx, al
    mov al, 0x0B
    out 0x20, al
    out 0xA0, al
    in al, 0x20
    CHECK al, 0, 0x15, "master ISR after init"
    in al, 0xA0
    CHECK al, 0, 0x16, "slave ISR after init"

    ; --- 2: RTC periodic interrupt at 1024 Hz through the cascade
    mov dword [irq_count], 0
    RTC_REG 0x0A, 0x26          ; 32.768 kHz time base, rate 6 = 1024 Hz
    mov al, 0x0C
    out 0x70, al
    in al, 0x71                 ; clear pending flags
    RTC_REG 0x0B, 0x42          ; PIE, 24 h
    HLT_UNTIL 3
    cmp dword [irq_count], 3
    jae .three
    FAILV 0x17, "IRQ 8 count", dword [irq_count]
.three:
    CHECK byte [isr_slave], 0x01, 0x18, "slave ISR in handler"
    CHECK byte [isr_master], 0x04, 0x19, "master ISR in handler"
    mov al, [rtc_c]
    and al, 0xC0
    CHECK al, 0xC0, 0x1A, "RTC register C in handler"

    ; --- 3: a masked request waits in IRR
    mov al, 0xFF
    out 0xA1, al                ; mask slave IR0
    mov esi, [irq_count]
    sti                         ; masked: nothing may arrive
    mov al, 0x0A                ; OCW3: read IRR
    out 0xA0, al
    mov ecx, 50000000
.poll:
    in al, 0xA0
    test al, 0x01
    jnz .pending
    dec ecx
    jnz .poll
    FAIL 0x1B, "masked IRQ 8 not in slave IRR"
.pending:
    cli
    mov ebx, [irq_count]
    CHECK ebx, esi, 0x1C, "interrupt while masked"
    inc esi
    mov al, 0xFE
    out 0xA1, al                ; unmask: delivered
    HLT_UNTIL esi
    CHECK dword [irq_count], esi, 0x1D, "IRQ 8 after unmasking"

    ; --- 4: automatic EOI
    PIC_INIT 0x03
    mov al, 0x0C                ; ICW1 reset the edge latch: lower IRQ 8 so that the next
    out 0x70, al                ; period gives a fresh rising edge
    in al, 0x71
    mov byte [isr_slave], 0xEE
    mov byte [isr_master], 0xEE
    inc esi
    HLT_UNTIL esi
    CHECK dword [irq_count], esi, 0x1E, "IRQ 8 in AEOI mode"
    CHECK byte [isr_slave], 0, 0x1F, "slave ISR in AEOI handler"
    CHECK byte [isr_master], 0, 0x20, "master ISR in AEOI handler"

    RTC_REG 0x0B, 0x02          ; periodic interrupt off
    mov al, 0xFF
    out 0x21, al
    out 0xA1, al
    PASS
