; reverse-target.asm -- the guest the reverse-debugging tests (tests/gdb, gdb_test.py reverse-*)
; record and replay; it also passes on its own.
; Real mode: straight-line instructions to step forward and back.  Then flat 32-bit protected mode
; (no paging): the 8259 pair initialised as a PC BIOS does (master vectors 0x20-0x27, only IRQ 0
; unmasked, reaching the CPU through the local APIC in virtual-wire mode), the 8254's counter 0 in mode 2 at about 1 kHz (Intel 8254 datasheet), and a loop
; that five times calls `bump` (which increments the dword at VAR through `mov [VAR], eax`, A3
; disp32, then a NOP) and then waits in STI; HLT for a timer interrupt, whose handler counts
; TICKS.  Interrupts are enabled only around the HLT (the STI shadow covers it), so each one is
; taken while the CPU is halted: the replay's positions include interrupt entries and halts.
%define TESTNAME "reverse-target"
%include "lib/common.inc"

LAPIC_SVR   equ 0xFEE000F0
LAPIC_LINT0 equ 0xFEE00350
LAPIC_LINT1 equ 0xFEE00360
VAR     equ 0x6000
TICKS   equ 0x6004

section .rm
bits 16
main_rm:
    mov ax, 3
    shl ax, 2
    mov bx, ax
    sub bx, 5
    xor dx, dx
    inc dx
    add dx, bx
    nop
    xchg ax, dx
    mov si, 0x55
    dec si
    nop
    jmp go_pm32

section .pm
bits 32
main32:
    ; after RESET the local APIC's LINT0 is masked: virtual-wire mode (LINT0 = ExtINT) as a BIOS
    ; sets it, so that the 8259's INTR reaches the CPU
    or dword [LAPIC_SVR], 0x1FF
    mov dword [LAPIC_LINT0], 0x700
    mov dword [LAPIC_LINT1], 0x400
    mov al, 0x11                    ; ICW1: edge, cascade, ICW4
    out 0x20, al
    out 0xA0, al
    mov al, 0x20                    ; ICW2: vectors
    out 0x21, al
    mov al, 0x28
    out 0xA1, al
    mov al, 4                       ; ICW3: slave on IR2
    out 0x21, al
    mov al, 2
    out 0xA1, al
    mov al, 1                       ; ICW4: 8086 mode
    out 0x21, al
    out 0xA1, al
    mov al, 0xFE                    ; only IRQ 0
    out 0x21, al
    mov al, 0xFF
    out 0xA1, al
    IDT32_SET 0x20, timer_handler, 0x8E
    mov al, 0x34                    ; counter 0, LSB then MSB, mode 2, binary
    out 0x43, al
    mov al, 1193 & 0xFF
    out 0x40, al
    mov al, 1193 >> 8
    out 0x40, al
    xor ebp, ebp                    ; the outermost frame, for gdb's unwinder
    mov dword [VAR], 0
    mov dword [TICKS], 0
    call run_loop
    mov eax, [VAR]
    CHECK eax, 5, 0x11, "counter"
    cmp dword [TICKS], 5
    jb .few
    PASS
.few:
    FAIL 0x12, "fewer than 5 timer interrupts"

; the loop, in a function of its own so that gdb sees two framed functions (its unwinder takes
; EBP = 0 for the outermost frame, and reverse-nexti compares frames)
run_loop:
    push ebp
    mov ebp, esp
    mov ecx, 5
.loop:
    call bump
    sti
    hlt                             ; the next tick
    cli
    loop .loop
    pop ebp
    ret

; a function with an EBP frame, which gdb's i386 prologue analyser unwinds without debug
; information (reverse-finish and reverse-next need the caller's frame)
bump:
    push ebp
    mov ebp, esp
    mov eax, [VAR]
    inc eax
    mov [VAR], eax                  ; A3 00 60 00 00
    nop
    pop ebp
    ret

timer_handler:
    inc dword [TICKS]
    push eax
    mov al, 0x20                    ; non-specific EOI
    out 0x20, al
    pop eax
    iretd
