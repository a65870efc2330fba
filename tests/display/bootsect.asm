; bootsect.asm -- the boot sector that tests/display/boot-disk.sh boots through SeaBIOS from an IDE
; disk (MBR, 512 bytes with the 0x55 0xAA signature) or from an El Torito no-emulation CD image
; (assembled with -DCD: padded to 2048 bytes, one CD sector; SeaBIOS loads -boot-load-size 4
; virtual 512-byte sectors of it).  Either way the BIOS jumps to 0000:7C00 in real mode.
; It writes "BOOT-OK <medium>" to the debug console (port 0xE9) and through INT 10h AH=0Eh
; (teletype output) to the VGA text screen, then spins so that the screen can be dumped at a fixed
; instruction count.
bits 16
org 0x7c00

start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    mov si, msg
.next:
    lodsb
    test al, al
    jz .done
    out 0xe9, al                ; debug console
    mov ah, 0x0e                ; INT 10h teletype: AL char, BH page 0, BL colour
    xor bx, bx
    int 0x10
    jmp .next
.done:
    jmp .done                   ; spin (the test ends the run at its instruction limit)

msg:
%ifdef CD
    db 13, 10, "BOOT-OK cd", 13, 10, 0
%else
    db 13, 10, "BOOT-OK disk", 13, 10, 0
%endif

    times 510 - ($ - $$) db 0
    db 0x55, 0xaa
%ifdef CD
    times 2048 - ($ - $$) db 0
%endif
