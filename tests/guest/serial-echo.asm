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

COM1 equ 0x3f8

start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7000
    mov word [(8 + 4) * 4], irq4          ; IVT entry of IRQ 4 (vector 0x0C)
    mov word [(8 + 4) * 4 + 2], 0xf000

    mov al, 0x11                          ; ICW1: edge, cascade, ICW4
    out 0x20, al
    out 0xa0, al
    mov al, 0x08                          ; ICW2: master vectors 0x08-0x0F
    out 0x21, al
    mov al, 0x70                          ; slave vectors 0x70-0x77
    out 0xa1, al
    mov al, 0x04                          ; ICW3: slave on IR2
    out 0x21, al
    mov al, 0x02
    out 0xa1, al
    mov al, 0x01                          ; ICW4: 8086 mode
    out 0x21, al
    out 0xa1, al
    mov al, 0xef                          ; OCW1: only IRQ 4
    out 0x21, al
    mov al, 0xff
    out 0xa1, al

    mov dx, COM1 + 3
    mov al, 0x80                          ; DLAB
    out dx, al
    mov dx, COM1
    mov al, 1                             ; 115200 baud
    out dx, al
    inc dx
    xor al, al
    out dx, al
    mov dx, COM1 + 3
    mov al, 0x03                          ; 8N1
    out dx, al
    mov dx, COM1 + 2
    mov al, 0x07                          ; FIFOs on and cleared, trigger 1
    out dx, al
    mov dx, COM1 + 4
    mov al, 0x0b                          ; DTR, RTS, OUT2
    out dx, al
    mov dx, COM1 + 1
    mov al, 0x01                          ; ERBFI
    out dx, al

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
