; vgabios.asm -- the VGA BIOS in the std VGA's expansion ROM runs on softvisor's VGA: the ROM
; BAR is mapped, checked for the 55 AA option-ROM signature, copied to C0000 (made RAM through
; the i440FX PAM registers, as firmware shadows option ROMs) and initialised with a far call to C000:0003 (PCI Firmware 3.0: AX = bus,
; device, function), every other interrupt vector pointing at an IRET.  Then INT 10h sets mode 3
; (AH=00h), writes "VGA BIOS OK" by teletype (AH=0Eh), and the mode (AH=0Fh) and the text in
; B800:0000 are checked.  Under softvisor the ROM is Debian's vgabios-stdvga.bin (when
; installed); under QEMU its own copy.  A screenshot during the final spin shows the BIOS font
; (tests/display/screen-test.sh).
%define TESTNAME "vgabios"
%include "lib/common.inc"

ROMBAR equ 0xE2000000

section .rm
bits 16
main_rm:
    ; the BIOS data area fields a VGA BIOS reads: 639 KiB base memory, EBDA at 9FC0
    mov word [0x413], 639
    mov word [0x40E], 0x9FC0
    ; every vector -> iret_stub (F000:iret_stub)
    xor di, di
    mov cx, 256
.ivt:
    mov word [di], iret_stub
    mov word [di + 2], 0xF000
    add di, 4
    loop .ivt
    ; i440FX PAM1/PAM2 (config 0x5A, 0x5B) = 33h: C0000-CFFFF read/write RAM, where the VGA BIOS
    ; is shadowed (on QEMU it is read-only ROM at power-on)
    mov eax, 0x80000058
    mov dx, 0xCF8
    out dx, eax
    mov dx, 0xCFE
    mov ax, 0x3333
    out dx, ax
    ; expansion ROM at ROMBAR, memory space on
    mov eax, 0x80000000 | (2 << 11) | 0x30
    mov dx, 0xCF8
    out dx, eax
    mov dx, 0xCFC
    mov eax, ROMBAR | 1
    out dx, eax
    mov eax, 0x80000000 | (2 << 11) | 0x04
    mov dx, 0xCF8
    out dx, eax
    mov dx, 0xCFC
    mov eax, 3
    out dx, eax
    jmp go_pm32                     ; the copy from above 1 MiB needs 32-bit addressing

rm_after_copy:
    o32 lidt [cs:idtr_rm_ivt]       ; the real-mode IVT again
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, STACK_RM               ; all of ESP: the BIOS's gcc -m16 code addresses with ESP
    mov ax, 0xC000
    mov es, ax
    cmp word [es:0], 0xAA55
    je .sig_ok
    FAIL 0x11, "no 55 AA signature in the expansion ROM"
.sig_ok:
    mov ax, (2 << 3)                ; bus 0, device 2, function 0
    call 0xC000:0x0003
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, STACK_RM
    mov ax, 0x0003
    int 0x10
    mov si, msg
.tt:
    mov al, [cs:si]
    test al, al
    jz .tt_end
    mov ah, 0x0E
    mov bx, 0x0007
    int 0x10
    inc si
    jmp .tt
.tt_end:
    mov ah, 0x0F
    int 0x10
    and al, 0x7F
    CHECK al, 3, 0x12, "INT 10h AH=0Fh: mode"
    mov ax, 0xB800
    mov es, ax
    mov eax, [es:0]
    CHECK eax, 0x07470756, 0x13, "text at B800:0000 ('VG', grey on black)"
    mov ecx, 500000
.spin:
    dec ecx
    jnz .spin
    PASS

iret_stub:
    iret

msg:
    db "VGA BIOS OK", 0

section .pm
bits 32
main32:
    mov esi, ROMBAR
    mov edi, 0xC0000
    mov ecx, 0x10000 / 4
    rep movsd
    ; back to real mode through a 16-bit protected-mode segment
    jmp SEL_CODE16:pm16_back - 0xF0000

bits 16
pm16_back:
    mov ax, SEL_DATA16
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr0
    and eax, ~1
    mov cr0, eax
    jmp 0xF000:rm_after_copy
