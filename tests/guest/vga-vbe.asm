; vga-vbe.asm -- the Bochs VBE interface of QEMU's std VGA without a BIOS: BAR0 (linear
; framebuffer) and BAR2 (MMIO) are programmed as firmware would, a 320x200x32 mode is set through
; ports 0x1CE/0x1CF, the registers read back (VIRT_WIDTH, VIDEO_MEMORY_64K, the VBE registers
; through BAR2 at 0x500 + index * 2), and a pattern is drawn into the framebuffer from 32-bit
; protected mode: pixel (x, y) = R (x + y) & 255, G y, B x & 255.  Then it spins ~1M
; instructions and passes; tests/display/vga-vbe-test.sh screenshots the spin and checks every
; pixel.  Specs: Bochs VBE DISPI registers; QEMU docs/specs/standard-vga.txt (BAR0, BAR2 layout).
%define TESTNAME "vga-vbe"
%include "lib/common.inc"

LFB equ 0xE0000000
MMIO equ 0xE1000000

; VBEW index, value
%macro VBEW 2
    mov dx, 0x1CE
    mov ax, %1
    out dx, ax
    inc dx
    mov ax, %2
    out dx, ax
%endmacro

; VBER index -> AX
%macro VBER 1
    mov dx, 0x1CE
    mov ax, %1
    out dx, ax
    inc dx
    in ax, dx
%endmacro

; CFGW reg, value: 00:02.0 configuration dword
%macro CFGW 2
    mov eax, 0x80000000 | (2 << 11) | (%1)
    mov dx, 0xCF8
    out dx, eax
    mov dx, 0xCFC
    mov eax, %2
    out dx, eax
%endmacro

section .rm
bits 16
main_rm:
    CFGW 0x10, LFB
    CFGW 0x18, MMIO
    CFGW 0x04, 0x00000003           ; I/O and memory space on
    VBEW 4, 0                       ; ENABLE off
    VBEW 1, 320
    VBEW 2, 200
    VBEW 3, 32
    VBEW 4, 0x41                    ; ENABLED | LFB_ENABLED
    VBER 6
    CHECK ax, 320, 0x11, "VIRT_WIDTH after enable"
    VBER 0x0A
    CHECK ax, 256, 0x12, "VIDEO_MEMORY_64K (16 MiB)"
    VBER 3
    CHECK ax, 32, 0x13, "BPP read-back"
    jmp go_pm32

section .pm
bits 32
main32:
    mov ax, [MMIO + 0x500]
    CHECK ax, 0xB0C5, 0x14, "VBE ID through BAR2"
    mov ax, [MMIO + 0x500 + 2 * 1]
    CHECK ax, 320, 0x15, "XRES through BAR2"
    mov edi, LFB
    xor ebx, ebx                    ; y
.row:
    xor ecx, ecx                    ; x
.px:
    lea eax, [ecx + ebx]
    and eax, 0xFF
    shl eax, 8
    mov al, bl
    shl eax, 8
    mov al, cl
    mov [edi], eax
    add edi, 4
    inc ecx
    cmp ecx, 320
    jb .px
    inc ebx
    cmp ebx, 200
    jb .row
    mov eax, [LFB + (199 * 320 + 319) * 4]
    CHECK eax, 0x0006C73F, 0x16, "last pixel read back"
    mov ecx, 300000
.spin:
    dec ecx
    jnz .spin
    PASS
