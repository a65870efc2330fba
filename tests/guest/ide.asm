; ide.asm -- the PIIX3 IDE function (00:01.1) as QEMU's "pc" machine presents it without
; firmware and with no disk on the primary channel (every register of an absent device reads 0).
; Real mode: IDs 8086:7010 and class 0101 prog-if 80 (compatibility mode, bus master), BAR4 at
; 0xC000 (16 I/O ports, bit 0 reading 1), the bus-master PRD pointer and the status register's
; read/write bits 5-6 and write-1-to-clear bits 1-2, the empty primary channel's status.
; Specs: 82371SB (PIIX3) datasheet 2.7 (BMIBA, BMICx, BMISx, BMIDTPx); SFF-8038i; PCI 3.0 6.2.5.
%define TESTNAME "ide"
%include "lib/common.inc"

BMIBA equ 0xC000

; CFG dev, fn, reg -> EAX = CONFIG_ADDRESS, DX = CONFIG_DATA
%macro CFG 3
    mov eax, 0x80000000 | ((%1) << 11) | ((%2) << 8) | ((%3) & 0xFC)
    mov dx, 0xCF8
    out dx, eax
    mov dx, 0xCFC
%endmacro

section .rm
bits 16
main_rm:
    CFG 1, 1, 0x00
    in eax, dx
    CHECK eax, 0x70108086, 0x11, "IDE function IDs"
    CFG 1, 1, 0x08
    in eax, dx
    and eax, 0xFFFFFF00
    CHECK eax, 0x01018000, 0x12, "class code"
    CFG 1, 1, 0x20
    mov eax, BMIBA
    out dx, eax
    in eax, dx
    CHECK eax, BMIBA | 1, 0x13, "BAR4"
    CFG 1, 1, 0x04
    mov ax, 0x0005                      ; I/O space, bus master
    out dx, ax

    mov dx, BMIBA + 4
    mov eax, 0x00123454
    out dx, eax
    in eax, dx
    CHECK eax, 0x00123454, 0x14, "PRD table pointer"
    mov dx, BMIBA + 2
    mov al, 0x66                        ; drive 0/1 DMA capable; clear error and interrupt
    out dx, al
    in al, dx
    movzx eax, al
    CHECK eax, 0x60, 0x15, "bus-master status"
    mov al, 0x00
    out dx, al
    in al, dx
    movzx eax, al
    CHECK eax, 0x00, 0x16, "bus-master status bits 5-6 cleared"
    mov dx, 0x1F6
    mov al, 0xA0
    out dx, al
    mov dx, 0x1F7
    in al, dx
    movzx eax, al
    CHECK eax, 0x00, 0x17, "empty primary channel status"
    mov dx, 0x1F2
    mov al, 0x55
    out dx, al
    in al, dx
    movzx eax, al
    CHECK eax, 0x00, 0x18, "empty primary channel sector count"
    jmp go_pm32

section .pm
bits 32
main32:
    PASS
