; pace-tick.asm -- a guest that idles on a 1 kHz timer and answers serial input with the time it
; saw it, for the pacing tests (tests/unit/test_pace.c).
;
; Real mode from the reset vector.  The 8254's counter 0 in mode 2 divides its 1.193182 MHz clock
; by 1193 (one IRQ 0 every 999.85 us); the 8259 master at vector 8 passes IRQ 0 and IRQ 4 only;
; the 16550A at 0x3F8 interrupts on received data.  The main loop is `sti; hlt`, then 2,500
; instructions of busy work (about 5 M in all, so a run crosses the frontend's slice ends while
; the CPU runs), then it mixes the tick count and the TSC into EBX, so the CPU state at the end
; depends on when every wake-up happened.  Each received byte is echoed as "<byte>@<ticks>:<TSC bits 16-31> " (hex), so the
; output shows when the guest saw it.  After TICKS_END ticks, or on 'q', it prints "end\n" and
; writes 0x10 to isa-debug-exit (exit status 33).  The first IRQ 0 comes as the counter is
; programmed (OUT rises with the mode 2 control word), so the run lasts 1999 periods, 1.99869 s
; of virtual time.
bits 16
org 0

%include "lib/com1.inc"

TICKS     equ 0x500                       ; dword, counted by the IRQ 0 handler
TICKS_END equ 2000
BUSY      equ 2500                        ; instructions of work after every wake-up

start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7000
    mov word [8 * 4], irq0                ; IVT entry of IRQ 0 (vector 0x08)
    mov word [8 * 4 + 2], 0xf000
    mov word [(8 + 4) * 4], irq4          ; IRQ 4 (vector 0x0C)
    mov word [(8 + 4) * 4 + 2], 0xf000
    mov dword [TICKS], 0
    xor ebx, ebx

    PIC_INIT_RM 0xee                      ; IRQ 0 and IRQ 4 only
    COM1_INIT_RX

    mov al, 0x34                          ; counter 0, LSB then MSB, mode 2, binary
    out 0x43, al
    mov al, 1193 & 0xff
    out 0x40, al
    mov al, 1193 >> 8
    out 0x40, al

idle:
    sti
    hlt
    mov cx, BUSY
.busy:
    loop .busy
    imul ebx, ebx, 31                     ; EBX = EBX * 31 + ticks + TSC
    add ebx, [TICKS]
    rdtsc
    add ebx, eax
    cmp dword [TICKS], TICKS_END
    jb idle
finish:
    cli
    mov al, 'e'
    call putc
    mov al, 'n'
    call putc
    mov al, 'd'
    call putc
    mov al, 10
    call putc
    mov al, 0x10
    out 0xf4, al                          ; exit status 33
    hlt

irq0:
    inc dword [TICKS]
    push ax
    mov al, 0x20                          ; non-specific EOI
    out 0x20, al
    pop ax
    iret

irq4:
    pushad
.more:
    mov dx, COM1 + 5
    in al, dx
    test al, 0x01                         ; DR
    jz .done
    mov dx, COM1
    in al, dx
    mov cl, al
    call putc
    mov al, '@'
    call putc
    mov ax, [TICKS]
    call puthex16
    mov al, ':'
    call putc
    rdtsc
    shr eax, 16
    call puthex16
    mov al, ' '
    call putc
    cmp cl, 'q'
    je finish
    jmp .more
.done:
    mov al, 0x20
    out 0x20, al
    popad
    iret

; AL -> COM1, once the transmitter holding register is empty
putc:
    push dx
    push ax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20                         ; THRE
    jz .wait
    pop ax
    mov dx, COM1
    out dx, al
    pop dx
    ret

; AX -> four hex digits on COM1
puthex16:
    push cx
    push bx
    mov bx, ax
    mov cx, 4
.digit:
    rol bx, 4
    mov al, bl
    and al, 0x0f
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'a' - '0' - 10
.out:
    call putc
    loop .digit
    pop bx
    pop cx
    ret

    times 0xfff0 - ($ - $$) db 0xf4
    jmp 0xf000:start
    times 0x10000 - ($ - $$) db 0xf4
