; serial-echo.asm -- echoes COM1 input back to COM1, interrupt driven, until it receives 'q'.
;
; Real mode from the reset vector.  8259 master at vector 8 with only IRQ 4 unmasked; the 16550A
; at 0x3F8 with FIFOs (trigger 1), OUT2 (the IRQ reaches the bus) and the receive interrupt on.
; The main loop is `sti; hlt`: with no timer armed the machine idles until input arrives.
; The IRQ 4 handler copies every received byte (LSR.DR) to THR; after echoing 'q' it writes
; 0x10 to isa-debug-exit (exit status 33).  Used by tests/guest/serial-echo-test.sh, which
; pipes text into softvisor's stdin and checks that stdout is the same text.
bits 16
org 0

%include "lib/com1.inc"

start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7000
    mov word [(8 + 4) * 4], irq4          ; IVT entry of IRQ 4 (vector 0x0C)
    mov word [(8 + 4) * 4 + 2], 0xf000

    PIC_INIT_RM 0xef                      ; only IRQ 4
    COM1_INIT_RX

idle:
    sti
    hlt
    jmp idle

irq4:
    push ax
    push dx
.more:
    mov dx, COM1 + 5
    in al, dx
    test al, 0x01                         ; DR
    jz .done
    mov dx, COM1
    in al, dx
    out dx, al
    cmp al, 'q'
    jne .more
    mov al, 0x10
    out 0xf4, al                          ; pass: exit status 33
.done:
    mov al, 0x20                          ; non-specific EOI
    out 0x20, al
    pop dx
    pop ax
    iret

    times 0xfff0 - ($ - $$) db 0xf4
    jmp 0xf000:start
    times 0x10000 - ($ - $$) db 0xf4
